import { Construct } from "constructs";
import type { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { stringify } from "yaml";
import type { ObjectStore } from "../../platform/platform-foundation";
import { SERVICES } from "../../platform/service-catalog";
import { vaultNames } from "../../platform/service-names";
import { backedUpStore, serverProbes, type BackedUpStoreProps } from "./backed-up-store";
import { ELASTICSEARCH_FACTS, ELASTICSEARCH_REPOSITORY, elasticsearchBootstrapYml, elasticsearchSnapshotRepository, elasticsearchYml } from "./server-config/elasticsearch-yml";
import {
  ELASTICSEARCH_ATLAS_ROLE,
  ELASTICSEARCH_PATHS,
  ELASTICSEARCH_STORAGE_ACCOUNT_ENV,
  elasticsearchAtlasUserJson,
  elasticsearchPrepareConfigScript,
  elasticsearchReadinessScript,
  elasticsearchRegisterRound,
} from "./server-config/elasticsearch-scripts";
import { tlsFilesIn } from "./server-config/paths";
import { IMAGES, imageRef } from "./images";
import { TMP_VOLUME, heartbeatMount, scheduledProbes, kvField, scheduledLoop, serviceCertificate } from "./platform-pod";
import type { EnvVar } from "./pod-spec";
import type { StatefulWorkload } from "./stateful-workload";
import { WORKLOAD_IDS } from "./workload-ids";

/** Props of Elasticsearch. */
export interface ElasticsearchProps extends BackedUpStoreProps {
  /** Nodes, one per zone; all master-eligible data nodes. @default 3 */
  readonly replicas?: number;
  /** Data volume per node. @default 100 */
  readonly storageGiB?: number;
}

const { home: HOME, config: CONFIG, certs: CERTS, initOut: OUT, initPlatform: PLATFORM } = ELASTICSEARCH_PATHS;
const UID = WORKLOAD_IDS.elasticsearch; // any UID (image-contracts.ts)
/** The pod's first readiness, on the pod-lifetime /tmp volume: a replaced pod waits for green again. */
const READY_ONCE = "/tmp/elasticsearch-ready-once";

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

    const image = imageRef(IMAGES.elasticsearch, props.images);
    const env = [{ name: "NAMESPACE", fieldPath: "metadata.namespace" }];
    const platformConfig = { name: "config", mountPath: `${CONFIG}/platform`, readOnly: true };
    const configDir = { name: "es-config", mountPath: CONFIG, readOnly: false };

    const store = backedUpStore(this, spec, props, {
      replicas,
      storageGiB: props.storageGiB ?? 100,
      configFiles: {
        "elasticsearch.yml": stringify(elasticsearchYml({ seedHosts: [`${headless}.${spec.namespace}.svc`], tls: tlsFilesIn(CERTS) }), { aliasDuplicateObjects: false }),
        "bootstrap.yml": stringify(elasticsearchBootstrapYml(nodes)),
        "prepare-config.sh": elasticsearchPrepareConfigScript({ headless, namespace: spec.namespace, port: https, storeKind: props.objectStore.kind }),
        "repository.json": JSON.stringify(elasticsearchSnapshotRepository(props.objectStore)),
        "slm-policy.json": JSON.stringify(ELASTICSEARCH_SLM_POLICY),
        "atlas-role.json": JSON.stringify(ELASTICSEARCH_ATLAS_ROLE),
        // Pod 0 keeps Atlas's role and user, the repository and the policy in place.
        "register.sh": scheduledLoop(elasticsearchRegisterRound({ headless, port: https }), 300),
      },
      secretsPath: CERTS,
      templates: [
        serviceCertificate(spec, { dir: CERTS }),
        { fileName: "elastic-password", contents: kvField(kv, "elastic_password"), perms: "0400" },
        {
          fileName: "atlas-user.json",
          // consul-template has no dict/list (Sprig's are sprig_dict/sprig_list): the JSON is literal, the
          // password quoted by toJSON.
          contents: elasticsearchAtlasUserJson(kvField(kv, "atlas_password", { quote: "json-string" })),
          perms: "0400",
        },
      ],
      runAsUser: UID,
      terminationGracePeriodSeconds: 120,
      podManagementPolicy: "Parallel",
      volumes: [
        // The keystore with the elastic password lives here: memory, never a disk.
        { name: "es-config", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
        { name: "logs", emptyDir: { sizeLimit: "1Gi" } },
        TMP_VOLUME,
      ],
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
            // Started and alive: the TLS listener is up (unauthenticated requests are refused, 401). Neither
            // restarts a node for the cluster's health.
            ...serverProbes({ tcpSocket: { port: https } }, 60),
            // Ready: Elasticsearch's own health for this node (elasticsearchReadinessScript).
            readiness: { check: { exec: { command: ["sh", "-c", elasticsearchReadinessScript({ name: `${spec.name}.${spec.namespace}.svc`, port: https, readyOnceFile: READY_ONCE, maxTimeSeconds: 4 })] } }, timeoutSeconds: 5 },
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
    this.config = store.config;
    this.workload = store.workload;
  }
}

/** Environment of the config init container: the storage account (Azure), by reference to the cloud stack. */
function initEnv(store: ObjectStore): EnvVar[] {
  if (store.kind !== "azure-blob") return [];
  if (!store.accountName) throw new Error("objectStore.accountName: an Azure object store needs the storage account name (the snapshot repository's client account)");
  return [{ name: ELASTICSEARCH_STORAGE_ACCOUNT_ENV, value: store.accountName }];
}

/** Environment of the Elasticsearch container for its repository's credentials. */
function repositoryEnv(kind: ObjectStore["kind"]): EnvVar[] {
  // The Azure SDK reads the token where AZURE_FEDERATED_TOKEN_FILE points: the link inside the config
  // directory. The identity webhook adds its own value only where the variable is not set
  // (Azure/azure-workload-identity pkg/webhook/webhook.go: "add environment variables to container if not exists").
  return kind === "azure-blob" ? [{ name: "AZURE_FEDERATED_TOKEN_FILE", value: `${CONFIG}/${ELASTICSEARCH_FACTS.azureTokenInConfig}` }] : [];
}
