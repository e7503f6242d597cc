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

/**
 * What the readiness check relies on, with the sources:
 * - `imageTools`: the elasticsearch 8.17.0 image (elastic's Dockerfile at the release's revision
 *   2b6a7fed44faa321997703718f07ee0420804b41, as its image history reads in docker-library/repo-info
 *   repos/elasticsearch, tag 8.17.0) installs `ca-certificates curl netcat p11-kit unzip zip` on Ubuntu 20.04
 *   (curl 7.68: --resolve, -K, --max-time) and runs `yes no | dpkg-reconfigure dash`, so /bin/sh is bash. The
 *   check is POSIX sh (the tests run it with dash).
 * - `health`: GET /_cluster/health answers the master's view; `local=true` "retrieves information from the
 *   local node only"; `status` is green (all shards assigned), yellow (all primaries assigned, a replica not)
 *   or red (a primary unassigned) (https://www.elastic.co/guide/en/elasticsearch/reference/8.17/cluster-health.html).
 *   A node without an elected master, or whose cluster state is not recovered, holds a global block of status
 *   SERVICE_UNAVAILABLE, and its health is then red (elastic/elasticsearch
 *   server/src/main/java/org/elasticsearch/cluster/health/ClusterStateHealth.java, the constructor:
 *   `hasGlobalBlockWithStatus(RestStatus.SERVICE_UNAVAILABLE)` -> RED). Without a master a non-local request
 *   waits for one (master_timeout, 30s by default), longer than the check allows.
 * - `firstReadyGate`: Elastic's own chart gates a pod's first readiness on `wait_for_status=green` and then
 *   checks the node alone, so a permanently yellow cluster does not take every node out of service
 *   (elastic/helm-charts elasticsearch/templates/statefulset.yaml, readinessProbe, START_FILE).
 */
export const ELASTICSEARCH_READINESS_FACTS = {
  imageTools: { value: ["sh", "curl", "grep"], source: "docker-library/repo-info repos/elasticsearch (elasticsearch:8.17.0 image history; elastic/elasticsearch distribution/docker at 2b6a7fed44faa321997703718f07ee0420804b41)" },
  health: { path: "/_cluster/health", local: "local=true", source: "https://www.elastic.co/guide/en/elasticsearch/reference/8.17/cluster-health.html; elastic/elasticsearch ClusterStateHealth.java" },
  firstReadyGate: { source: "elastic/helm-charts elasticsearch/templates/statefulset.yaml (readinessProbe: wait_for_status=green until START_FILE exists)" },
  /**
   * The kubelet runs an exec probe inside the container, and the check connects to 127.0.0.1 in the pod's own
   * network namespace: NetworkPolicies cannot block it ("Pods cannot currently block localhost access, nor do they
   * have the ability to block access from their resident node", which also covers the tcpSocket startup and
   * liveness probes from the node).
   */
  networkPolicy: { address: "127.0.0.1", source: "https://kubernetes.io/docs/concepts/services-networking/network-policies/#what-you-can-t-do-with-network-policies-at-least-not-yet" },
} as const;

/** Where the readiness check connects: the node itself (loopback), verifying its certificate for `name`. */
export interface ElasticsearchReadinessOptions {
  /** A DNS name the node's certificate carries (the Service's, serviceDnsNames). */
  readonly name: string;
  /** The HTTPS port. */
  readonly port: number;
  /** A file on a pod-lifetime volume that records the pod's first readiness. */
  readonly readyOnceFile: string;
  /** curl's whole-request limit, below the probe's timeoutSeconds. */
  readonly maxTimeSeconds: number;
}

/**
 * The Elasticsearch container's readiness check (ELASTICSEARCH_READINESS_FACTS), run by the kubelet inside the
 * container (an exec probe: no network path, no NetworkPolicy involved):
 * - until the pod has once been ready: the cluster, as its master reports it, is green: the node has joined a
 *   cluster with a master, and every shard, this node's replicas included, is assigned again. A StatefulSet
 *   rolling update waits for each updated pod to be Running and Ready before it updates the next
 *   (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#rolling-updates; podManagementPolicy
 *   "only affects the behavior for scaling operations"), so no second node restarts while replicas recover;
 * - afterwards: the node answers its own health (`local=true`), over verified TLS, as elastic, whatever the status:
 *   as Elastic's chart does after the first start (firstReadyGate), a red index (or a lost master) does not take
 *   every node out of the Service at once, which would cut Atlas off the healthy indices too and block node drains.
 *   No answer, a refused login or an unverifiable certificate takes it out of service.
 * The elastic password reaches curl on its standard input (a config line, -K -), never in its arguments.
 */
export function elasticsearchReadinessScript(o: ElasticsearchReadinessOptions): string {
  const url = `https://${o.name}:${o.port}${ELASTICSEARCH_READINESS_FACTS.health.path}`;
  return [
    `if [ -f ${o.readyOnceFile} ]; then query='?${ELASTICSEARCH_READINESS_FACTS.health.local}'; want='green|yellow|red'; else query=''; want='green'; fi`,
    `credential=$(cat ${CERTS}/elastic-password) || exit 1`,
    `body=$(printf 'user = "elastic:%s"\\n' "$credential" | curl -sS --fail --max-time ${o.maxTimeSeconds} -K - --cacert ${CERTS}/ca.crt --resolve ${o.name}:${o.port}:${ELASTICSEARCH_READINESS_FACTS.networkPolicy.address} "${url}$query") || exit 1`,
    `if printf '%s' "$body" | grep -Eq "\\"status\\" *: *\\"($want)\\""; then`,
    `  [ -f ${o.readyOnceFile} ] || : > ${o.readyOnceFile}`,
    "else",
    `  echo "not ready (wanted $want): $body" >&2`,
    "  exit 1",
    "fi",
  ].join("\n");
}
