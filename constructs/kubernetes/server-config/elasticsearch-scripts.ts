import type { ObjectStore } from "../../../platform/platform-foundation";
import { ELASTICSEARCH_FACTS, ELASTICSEARCH_REPOSITORY } from "./elasticsearch-yml";

/**
 * The scripts and documents of the platform's Elasticsearch pods: the config init container's script
 * (the node's config directory, first-formation settings, the snapshot repository's credentials), the
 * register round (Atlas's role and user, the snapshot repository and lifecycle policy, over localhost),
 * and Atlas's role and user documents.
 */

const HOME = "/usr/share/elasticsearch";
const CONFIG = `${HOME}/config`;

/** Paths inside the Elasticsearch pod. */
export const ELASTICSEARCH_PATHS = {
  home: HOME,
  /** The node's config directory (a memory-backed volume the config init container fills). */
  config: CONFIG,
  // Elasticsearch reads TLS files only from inside its config directory: Vault Agent renders them there.
  certs: `${CONFIG}/certs`,
  /** The ConfigMap, in the running containers. */
  platform: `${CONFIG}/platform`,
  /** Where the config init container writes the node's config directory (the `es-config` volume). */
  initOut: "/out",
  /** Where the config init container reads the ConfigMap. */
  initPlatform: "/platform",
} as const;

const CERTS = ELASTICSEARCH_PATHS.certs;
const OUT = ELASTICSEARCH_PATHS.initOut;
const PLATFORM = ELASTICSEARCH_PATHS.initPlatform;

/** The init container's name for the storage account (Azure), which only the keystore may hold. */
export const ELASTICSEARCH_STORAGE_ACCOUNT_ENV = "PLATFORM_STORAGE_ACCOUNT";

/** Where a node of the cluster answers. */
export interface ElasticsearchAddress {
  /** The headless Service the nodes are under. */
  readonly headless: string;
  readonly namespace: string;
  /** The HTTPS port. */
  readonly port: number;
}

/**
 * One round of the `register` container (the body of a scheduledLoop round): pod 0 keeps the
 * cluster-level objects in place (PUT is idempotent), as `elastic` over the node's own name.
 */
export function elasticsearchRegisterRound(o: Pick<ElasticsearchAddress, "headless" | "port">): string {
  const api = (method: string, path: string, body?: string) =>
    `curl -fsS --cacert ${CERTS}/ca.crt -u "elastic:$(cat ${CERTS}/elastic-password)" -X ${method} "https://$HOSTNAME.${o.headless}.$NAMESPACE.svc:${o.port}${path}"${
      body ? ` -H 'Content-Type: application/json' --data-binary @${body}` : ""
    } >/dev/null`;
  return [
    '  [ "${HOSTNAME##*-}" = "0" ] || return 0',
    `  ${api("PUT", "/_security/role/atlas", `${CONFIG}/platform/atlas-role.json`)} || return 1`,
    `  ${api("PUT", "/_security/user/atlas", `${CERTS}/atlas-user.json`)} || return 1`,
    `  ${api("PUT", `/_snapshot/${ELASTICSEARCH_REPOSITORY}`, `${CONFIG}/platform/repository.json`)} || return 1`,
    `  ${api("PUT", "/_slm/policy/nightly", `${CONFIG}/platform/slm-policy.json`)} || return 1`,
  ].join("\n");
}

/**
 * prepare-config.sh of the config init container: the node's config directory, the image's own
 * (jvm.options, log4j2) plus ours, in a memory-backed volume, since the image's entrypoint writes the
 * elastic password into its keystore there.
 */
export function elasticsearchPrepareConfigScript(o: ElasticsearchAddress & { readonly storeKind: ObjectStore["kind"] }): string {
  return [
    "set -eu",
    `cp -R ${CONFIG}/. ${OUT}/`,
    `cp ${PLATFORM}/elasticsearch.yml ${OUT}/elasticsearch.yml`,
    // cluster.initial_master_nodes only to form a brand-new cluster: never on a node that has joined a
    // cluster (its data path holds the cluster state), nor when a node of the cluster already answers.
    `if [ -d ${HOME}/data/${ELASTICSEARCH_FACTS.clusterStateDirectory} ]; then`,
    '  echo "this node has joined a cluster before: starting without cluster.initial_master_nodes"',
    // Any HTTP answer (401 included) means a node serves; nothing is sent but the TLS handshake.
    `elif curl -sk --max-time 10 -o /dev/null "https://${o.headless}.${o.namespace}.svc:${o.port}/"; then`,
    '  echo "a node of the cluster answers: joining it without cluster.initial_master_nodes"',
    "else",
    '  echo "no cluster answers and this node never joined one: bootstrapping with cluster.initial_master_nodes"',
    `  cat ${PLATFORM}/bootstrap.yml >> ${OUT}/elasticsearch.yml`,
    "fi",
    ...repositoryCredentialSteps(o.storeKind),
    "",
  ].join("\n");
}

/**
 * Steps of the config init container that give the snapshot repository its cloud credentials from the
 * pod's workload identity (ELASTICSEARCH_FACTS). A missing identity is reported, never fatal: backups
 * must not keep the node from serving.
 */
function repositoryCredentialSteps(kind: ObjectStore["kind"]): string[] {
  const link = (envVar: string, target: string) => [
    `if [ -n "\${${envVar}:-}" ]; then`,
    `  mkdir -p ${OUT}/${target.split("/")[0]} && ln -sfn "$${envVar}" ${OUT}/${target}`,
    "else",
    `  echo "${envVar} is not set (no workload identity on this pod): the snapshot repository cannot authenticate" >&2`,
    "fi",
  ];
  switch (kind) {
    case "s3":
      return link("AWS_WEB_IDENTITY_TOKEN_FILE", ELASTICSEARCH_FACTS.s3WebIdentityTokenLink);
    case "azure-blob":
      return [
        ...link("AZURE_FEDERATED_TOKEN_FILE", ELASTICSEARCH_FACTS.azureTokenInConfig),
        `[ -f ${OUT}/${ELASTICSEARCH_FACTS.keystoreFile} ] || ES_PATH_CONF=${OUT} elasticsearch-keystore create`,
        `printf '%s' "$${ELASTICSEARCH_STORAGE_ACCOUNT_ENV}" | ES_PATH_CONF=${OUT} elasticsearch-keystore add --stdin --force ${ELASTICSEARCH_FACTS.azureAccountSetting}`,
      ];
    case "gcs":
      return [];
  }
}

/** Atlas's role: cluster monitoring, and everything on its own indices only. */
export const ELASTICSEARCH_ATLAS_ROLE = {
  cluster: ["monitor"],
  indices: [{ names: ["janusgraph*", "atlas*"], privileges: ["all"] }],
};

/** Atlas's user document; `passwordJson` is the password as a JSON string (a template expression in the cluster). */
export function elasticsearchAtlasUserJson(passwordJson: string): string {
  return `{"password":${passwordJson},"roles":["atlas"]}\n`;
}
