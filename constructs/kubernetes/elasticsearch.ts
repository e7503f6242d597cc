import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { stringify } from "yaml";
import type { ObjectStore, WorkloadIdentityBinding } from "../../stacks/platform-foundation";
import { SERVICES } from "../../stacks/service-catalog";
import { VAULT_MOUNTS, vaultNames } from "../vault/paths";
import { ELASTICSEARCH_REPOSITORY, elasticsearchSnapshotRepository, elasticsearchYml } from "./config/elasticsearch-yml";
import { tlsFilesIn } from "./config/paths";
import { IMAGES, imageRef, secretsServerImage, type ImageSettings } from "./images";
import { HEARTBEAT_VOLUME, TMP_VOLUME, heartbeatMount, heartbeatProbes, kvField, scheduledLoop, serviceCertificate } from "./platform-pod";
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

    this.config = new ConfigMapV1(this, "Config", {
      metadata: { name: `${spec.name}-config`, namespace: props.namespace },
      data: {
        "elasticsearch.yml": stringify(
          elasticsearchYml({ seedHosts: [`${headless}.${spec.namespace}.svc`], initialMasterNodes: nodes, tls: tlsFilesIn(CERTS) }),
          { aliasDuplicateObjects: false },
        ),
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
        { ...serviceCertificate(spec), contents: serviceCertificate(spec).contents.replaceAll("/vault/secrets/", `${CERTS}/`) },
        { fileName: "elastic-password", contents: kvField(kv, "elastic_password"), perms: "0400" },
        {
          fileName: "atlas-user.json",
          contents: `{{ with secret "${VAULT_MOUNTS.kv}/data/${kv}" }}{{ dict "password" .Data.data.atlas_password "roles" (list "atlas") | toJSON }}{{ end }}\n`,
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
        { name: "es-config", emptyDir: { sizeLimit: "64Mi" } },
        { name: "logs", emptyDir: { sizeLimit: "1Gi" } },
        TMP_VOLUME,
        HEARTBEAT_VOLUME,
      ],
      volumeClaims: [{ name: "data", sizeGiB: props.storageGiB ?? 100 }],
      allowDestroy: props.allowDestroy ?? false,
      initContainers: [
        {
          // The image's config directory (jvm.options, log4j2) plus ours, in a writable copy (the keystore lives there).
          name: "config",
          image,
          command: ["sh", "-c", `cp -R ${CONFIG}/. /out/ && cp /platform/elasticsearch.yml /out/elasticsearch.yml`],
          resources: { cpuRequest: "10m", memoryRequest: "64Mi" },
          volumeMounts: [
            { name: "es-config", mountPath: "/out", readOnly: false },
            { name: "config", mountPath: "/platform", readOnly: true },
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
          probes: heartbeatProbes(30),
        },
      ],
    });
  }
}
