import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { stringify } from "yaml";
import type { ObjectStore, WorkloadIdentityBinding } from "../../platform/platform-foundation";
import { SERVICES } from "../../platform/service-catalog";
import { VAULT_MOUNTS, vaultNames } from "../../platform/service-names";
import { ELASTICSEARCH_FACTS, ELASTICSEARCH_REPOSITORY, elasticsearchBootstrapYml, elasticsearchSnapshotRepository, elasticsearchYml } from "./config/elasticsearch-yml";
import { tlsFilesIn } from "./config/paths";
import { IMAGES, imageRef, secretsServerImage, type ImageSettings } from "./images";
import { HEARTBEAT_VOLUME, TMP_VOLUME, heartbeatMount, scheduledProbes, kvField, scheduledLoop, serviceCertificate } from "./platform-pod";
import type { EnvVar } from "./pod-spec";
import { StatefulWorkload } from "./stateful-workload";
import { VaultAgent } from "./vault-agent";
import { WORKLOAD_IDS } from "./workload-ids";

/** Props of Elasticsearch. */
export interface ElasticsearchProps {
  /** Namespace (a SecureNamespace reference); the catalog's `metadata`. */
  readonly namespace: string;
  readonly zones: readonly string[];
  readonly images: ImageSettings;
  /** The platform bucket the snapshot repository lives in. */
  readonly objectStore: ObjectStore;
  /** The `backup` workload identity (the `elasticsearch` service account is one of its subjects). */
  readonly backupIdentity: WorkloadIdentityBinding;
  /** Nodes, one per zone; all master-eligible data nodes. @default 3 */
  readonly replicas?: number;
  /** Data volume per node. @default 100 */
  readonly storageGiB?: number;
  /** Let `cdktf destroy` remove the set (volumes are retained regardless). @default false */
  readonly allowDestroy?: boolean;
}

const HOME = "/usr/share/elasticsearch";
const CONFIG = `${HOME}/config`;
// Elasticsearch reads TLS files only from inside its config directory: Vault Agent renders them there.
const CERTS = `${CONFIG}/certs`;
const UID = WORKLOAD_IDS.elasticsearch; // any UID (image-contracts.ts)
/** Where the config init container writes the node's config directory (the `es-config` volume). */
const OUT = "/out";
/** Where the config init container reads the ConfigMap. */
const PLATFORM = "/platform";
/** The init container's name for the storage account (Azure), which only the keystore may hold. */
const STORAGE_ACCOUNT_ENV = "PLATFORM_STORAGE_ACCOUNT";

/** The snapshot lifecycle policy: nightly at 01:30 UTC into the platform bucket, 30 days kept (5 to 50 snapshots). */
export const ELASTICSEARCH_SLM_POLICY = {
  schedule: "0 30 1 * * ?",
  name: "<nightly-{now/d}>",
  repository: ELASTICSEARCH_REPOSITORY,
  config: { indices: ["*"], include_global_state: true },
  retention: { expire_after: "30d", min_count: 5, max_count: 50 },
};

/**
 * Elasticsearch, Atlas's search index: 3 nodes across zones on encrypted volumes.
 *
 * - Security on; the `elastic` password comes from Vault (ELASTIC_PASSWORD_FILE), Atlas gets its own
 *   user limited to its indices; no anonymous access.
 * - TLS on HTTP (9200) and transport (9300, client certificates required) with PEM files from Vault's
 *   PKI, which Elasticsearch reloads when Vault Agent renews them.
 * - Backups: a snapshot repository in the platform bucket (reached by the backup identity) and a
 *   snapshot lifecycle policy; a small in-pod container registers both idempotently over localhost.
 */
export class Elasticsearch extends Construct {
  readonly workload: StatefulWorkload;
  readonly config: ConfigMapV1;

  constructor(scope: Construct, id: string, props: ElasticsearchProps) {
    super(scope, id);
    const spec = SERVICES.elasticsearch;
    const kv = vaultNames(spec).kvSecret;
    const replicas = props.replicas ?? 3;
    const headless = `${spec.name}-headless`;
    const nodes = Array.from({ length: replicas }, (_, i) => `${spec.name}-${i}`);
    const https = spec.ports[0].port;

    const api = (method: string, path: string, body?: string) =>
      `curl -fsS --cacert ${CERTS}/ca.crt -u "elastic:$(cat ${CERTS}/elastic-password)" -X ${method} "https://$HOSTNAME.${headless}.$NAMESPACE.svc:${https}${path}"${
        body ? ` -H 'Content-Type: application/json' --data-binary @${body}` : ""
      } >/dev/null`;
    const register = scheduledLoop(
      [
        // Pod 0 keeps the cluster-level objects in place (PUT is idempotent).
        '  [ "${HOSTNAME##*-}" = "0" ] || return 0',
        `  ${api("PUT", "/_security/role/atlas", `${CONFIG}/platform/atlas-role.json`)} || return 1`,
        `  ${api("PUT", "/_security/user/atlas", `${CERTS}/atlas-user.json`)} || return 1`,
        `  ${api("PUT", `/_snapshot/${ELASTICSEARCH_REPOSITORY}`, `${CONFIG}/platform/repository.json`)} || return 1`,
        `  ${api("PUT", "/_slm/policy/nightly", `${CONFIG}/platform/slm-policy.json`)} || return 1`,
      ].join("\n"),
      300,
    );

    // The node's config directory: the image's own (jvm.options, log4j2) plus ours, in a memory-backed
    // volume, since the image's entrypoint writes the elastic password into its keystore there.
    const prepareConfig = [
      "set -eu",
      `cp -R ${CONFIG}/. ${OUT}/`,
      `cp ${PLATFORM}/elasticsearch.yml ${OUT}/elasticsearch.yml`,
      // cluster.initial_master_nodes only to form a brand-new cluster: never on a node that has joined a
      // cluster (its data path holds the cluster state), nor when a node of the cluster already answers.
      `if [ -d ${HOME}/data/${ELASTICSEARCH_FACTS.clusterStateDirectory} ]; then`,
      '  echo "this node has joined a cluster before: starting without cluster.initial_master_nodes"',
      // Any HTTP answer (401 included) means a node serves; nothing is sent but the TLS handshake.
      `elif curl -sk --max-time 10 -o /dev/null "https://${headless}.${spec.namespace}.svc:${https}/"; then`,
      '  echo "a node of the cluster answers: joining it without cluster.initial_master_nodes"',
      "else",
      '  echo "no cluster answers and this node never joined one: bootstrapping with cluster.initial_master_nodes"',
      `  cat ${PLATFORM}/bootstrap.yml >> ${OUT}/elasticsearch.yml`,
      "fi",
      ...repositoryCredentialSteps(props.objectStore.kind),
      "",
    ].join("\n");

    this.config = new ConfigMapV1(this, "Config", {
      metadata: { name: `${spec.name}-config`, namespace: props.namespace },
      data: {
        "elasticsearch.yml": stringify(elasticsearchYml({ seedHosts: [`${headless}.${spec.namespace}.svc`], tls: tlsFilesIn(CERTS) }), { aliasDuplicateObjects: false }),
        "bootstrap.yml": stringify(elasticsearchBootstrapYml(nodes)),
        "prepare-config.sh": prepareConfig,
        "repository.json": JSON.stringify(elasticsearchSnapshotRepository(props.objectStore)),
        "slm-policy.json": JSON.stringify(ELASTICSEARCH_SLM_POLICY),
        "atlas-role.json": JSON.stringify({
          cluster: ["monitor"],
          indices: [{ names: ["janusgraph*", "atlas*"], privileges: ["all"] }],
        }),
        "register.sh": register,
      },
    });

    const agent = new VaultAgent(this, "VaultAgent", {
      name: spec.name,
      namespace: props.namespace,
      role: vaultNames(spec).role,
      image: secretsServerImage(props.images),
      secretsPath: CERTS,
      templates: [
        serviceCertificate(spec, { dir: CERTS }),
        { fileName: "elastic-password", contents: kvField(kv, "elastic_password"), perms: "0400" },
        {
          fileName: "atlas-user.json",
          // consul-template has no dict/list (Sprig's are sprig_dict/sprig_list): the JSON is literal, the
          // password quoted by toJSON.
          contents: `{"password":{{ with secret "${VAULT_MOUNTS.kv}/data/${kv}" }}{{ .Data.data.atlas_password | toJSON }}{{ end }},"roles":["atlas"]}\n`,
          perms: "0400",
        },
      ],
    });

    const image = imageRef(IMAGES.elasticsearch, props.images);
    const env = [{ name: "NAMESPACE", fieldPath: "metadata.namespace" }];
    const platformConfig = { name: "config", mountPath: `${CONFIG}/platform`, readOnly: true };
    const configDir = { name: "es-config", mountPath: CONFIG, readOnly: false };

    this.workload = new StatefulWorkload(this, "Resource", {
      name: spec.name,
      namespace: props.namespace,
      zones: props.zones,
      replicas,
      serviceAccountName: spec.serviceAccount,
      serviceAccountAnnotations: props.backupIdentity.serviceAccountAnnotations,
      podLabels: props.backupIdentity.podLabels,
      runAsUser: UID,
      terminationGracePeriodSeconds: 120,
      podManagementPolicy: "Parallel",
      ports: spec.ports,
      vaultAgent: agent,
      volumes: [
        { name: "config", configMap: { name: this.config.metadata.name } },
        // The keystore with the elastic password lives here: memory, never a disk.
        { name: "es-config", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
        { name: "logs", emptyDir: { sizeLimit: "1Gi" } },
        TMP_VOLUME,
        HEARTBEAT_VOLUME,
      ],
      volumeClaims: [{ name: "data", sizeGiB: props.storageGiB ?? 100 }],
      allowDestroy: props.allowDestroy ?? false,
      initContainers: [
        {
          name: "config",
          image,
          command: ["sh", `${PLATFORM}/prepare-config.sh`],
          env: initEnv(props.objectStore),
          // The keystore tool (Azure) is a JVM.
          resources: { cpuRequest: "10m", memoryRequest: "256Mi" },
          volumeMounts: [
            { name: "es-config", mountPath: OUT, readOnly: false },
            { name: "config", mountPath: PLATFORM, readOnly: true },
            { name: "data", mountPath: `${HOME}/data`, readOnly: true },
            { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false },
          ],
        },
      ],
      containers: [
        {
          name: "elasticsearch",
          image,
          env: [
            ...env,
            { name: "ELASTIC_PASSWORD_FILE", value: `${CERTS}/elastic-password` },
            ...repositoryEnv(props.objectStore.kind),
            { name: "ES_JAVA_OPTS", value: "-Xms2g -Xmx2g" },
          ],
          ports: spec.ports,
          resources: { cpuRequest: "1", memoryRequest: "4Gi" },
          volumeMounts: [
            configDir,
            platformConfig,
            { name: "data", mountPath: `${HOME}/data`, readOnly: false },
            { name: "logs", mountPath: `${HOME}/logs`, readOnly: false },
            { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false },
          ],
          probes: {
            // Unauthenticated health is refused (401), so the probes check that the TLS listener is up.
            startup: { check: { tcpSocket: { port: https } }, failureThreshold: 60 },
            readiness: { check: { tcpSocket: { port: https } } },
            liveness: { check: { tcpSocket: { port: https } }, failureThreshold: 6 },
          },
        },
        {
          name: "register",
          image,
          command: ["sh", `${CONFIG}/platform/register.sh`],
          env,
          resources: { cpuRequest: "10m", memoryRequest: "64Mi", memoryLimit: "128Mi" },
          volumeMounts: [configDir, platformConfig, { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false }, heartbeatMount("register")],
          probes: scheduledProbes(30),
        },
      ],
    });
  }
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
        `printf '%s' "$${STORAGE_ACCOUNT_ENV}" | ES_PATH_CONF=${OUT} elasticsearch-keystore add --stdin --force ${ELASTICSEARCH_FACTS.azureAccountSetting}`,
      ];
    case "gcs":
      return [];
  }
}

/** Environment of the config init container: the storage account (Azure), by reference to the cloud stack. */
function initEnv(store: ObjectStore): EnvVar[] {
  if (store.kind !== "azure-blob") return [];
  if (!store.accountName) throw new Error("objectStore.accountName: an Azure object store needs the storage account name (the snapshot repository's client account)");
  return [{ name: STORAGE_ACCOUNT_ENV, value: store.accountName }];
}

/** Environment of the Elasticsearch container for its repository's credentials. */
function repositoryEnv(kind: ObjectStore["kind"]): EnvVar[] {
  // The Azure SDK reads the token where AZURE_FEDERATED_TOKEN_FILE points: the link inside the config
  // directory. The identity webhook adds its own value only where the variable is not set
  // (Azure/azure-workload-identity pkg/webhook/webhook.go: "add environment variables to container if not exists").
  return kind === "azure-blob" ? [{ name: "AZURE_FEDERATED_TOKEN_FILE", value: `${CONFIG}/${ELASTICSEARCH_FACTS.azureTokenInConfig}` }] : [];
}
