import type { ObjectStore } from "../../stacks/platform-foundation";
import type { ServiceSpec } from "../../stacks/service-catalog";
import { VAULT_MOUNTS, podDnsDomains, serviceDnsNames, vaultNames } from "../vault/paths";
import type { ContainerResources, ContainerSpec, EnvVar, Probes, VolumeMount, VolumeSpec } from "./pod-spec";
import { pkiCertificateTemplate, type VaultAgentTemplate } from "./vault-agent";

/**
 * Pieces the platform's services share: their TLS certificate from Vault's PKI, the in-pod backup
 * containers (scheduled loops that upload to the platform bucket under the pod's own cloud identity),
 * and the heartbeat probes those containers report through.
 *
 * Backups run inside the store's pod, not in a CronJob: a CronJob pod would need either a new edge in
 * the allow graph (the issue allows none) or exec rights into the store's pod. In the pod they reach the
 * store over localhost and write with the store's own service account, which is exactly the one the
 * `backup` workload identity is bound to (WORKLOAD_IDENTITIES).
 */

/** Options of serviceCertificate. */
export interface ServiceCertificateOptions {
  /** How long a certificate lives; the Vault Agent sidecar re-issues it before expiry. @default "72h" */
  readonly ttl?: string;
  /** Where the files land (the agent's secretsPath). @default "/vault/secrets" */
  readonly dir?: string;
  /** The key as PKCS#8 (servers that read nothing else, e.g. Cassandra). @default false */
  readonly pkcs8?: boolean;
}

/**
 * A service's TLS certificate (tls.crt, tls.key, ca.crt, and tls-bundle.pem with all three) issued by
 * Vault's intermediate CA for every DNS name the service is reached by and, for peers, the replica's
 * own names under its headless Service. The server must pick up the renewed files by itself (Cassandra,
 * Elasticsearch, Keycloak) or run under `serveWithTlsReload` (config/tls-reload.ts: PostgreSQL, Redis, nginx).
 */
export function serviceCertificate(service: ServiceSpec, options: ServiceCertificateOptions = {}): VaultAgentTemplate {
  return pkiCertificateTemplate({
    role: vaultNames(service).pkiRole,
    commonName: `${service.name}.${service.namespace}.svc`,
    altNames: serviceDnsNames(service),
    podDomains: podDnsDomains(service),
    ttl: options.ttl ?? "72h",
    dir: options.dir,
    pkcs8: options.pkcs8,
  });
}

/** A KV v2 read inside a Vault Agent template: `{{ with secret "kv/data/<prefix>" }}{{ .Data.data.<field> }}{{ end }}`. */
export function kvField(kvPath: string, field: string): string {
  return `{{ with secret "${VAULT_MOUNTS.kv}/data/${kvPath}" }}{{ .Data.data.${field} }}{{ end }}`;
}

/** Directory of the heartbeat file backup containers touch after every successful round. */
export const HEARTBEAT_DIR = "/run/heartbeat";

/** The heartbeat volume (in memory, tiny). */
export const HEARTBEAT_VOLUME: VolumeSpec = { name: "heartbeat", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } };

/** Mounts the heartbeat volume for one container: its own sub-directory, so one container's success never masks another's failure. */
export function heartbeatMount(container: string): VolumeMount {
  return { name: HEARTBEAT_VOLUME.name, mountPath: HEARTBEAT_DIR, readOnly: false, subPath: container };
}

/**
 * Probes of a scheduled container: started once its first round succeeded; restarted (liveness) when
 * no round has succeeded for `staleMinutes`, so a backup that keeps failing shows in restarts and alerts
 * instead of failing silently. Readiness only asks for that first success: a late backup must never
 * take the store itself out of its Service.
 */
export function heartbeatProbes(staleMinutes: number): Probes {
  const started = { exec: { command: ["test", "-f", `${HEARTBEAT_DIR}/ok`] } };
  const fresh = { exec: { command: ["sh", "-c", `find ${HEARTBEAT_DIR}/ok -mmin -${staleMinutes} | grep -q ok`] } };
  return {
    startup: { check: started, periodSeconds: 10, failureThreshold: 60 },
    readiness: { check: started, periodSeconds: 60 },
    liveness: { check: fresh, periodSeconds: 60, failureThreshold: 3 },
  };
}

/**
 * A shell loop: runs `round` every `intervalSeconds` and touches the heartbeat when it succeeds.
 * `round` is a shell snippet; it must be idempotent.
 */
export function scheduledLoop(round: string, intervalSeconds: number): string {
  return [
    "set -u",
    `mkdir -p ${HEARTBEAT_DIR}`,
    "round() {",
    round,
    "}",
    "while true; do",
    `  if round; then touch ${HEARTBEAT_DIR}/ok; else echo "round failed; retrying in ${intervalSeconds}s" >&2; fi`,
    `  sleep ${intervalSeconds}`,
    "done",
    "",
  ].join("\n");
}

/** Shell test: true once a day at `hourUtc` (00-23), the first round of that hour (marker in the heartbeat dir). */
export function dailyAt(hourUtc: number, marker: string): string {
  const hh = String(hourUtc).padStart(2, "0");
  return `[ "$(date -u +%H)" = "${hh}" ] && [ ! -f ${HEARTBEAT_DIR}/${marker}-$(date -u +%F) ]`;
}

/**
 * rclone's remote `bucket:` as environment variables: the platform bucket through the cloud SDK's
 * default credential chain (the pod's workload identity), never an access key.
 */
export function rcloneBucketEnv(store: ObjectStore): EnvVar[] {
  const env = (name: string, value: string): EnvVar => ({ name: `RCLONE_CONFIG_BUCKET_${name}`, value });
  switch (store.kind) {
    case "s3":
      return [env("TYPE", "s3"), env("PROVIDER", "AWS"), env("ENV_AUTH", "true"), env("REGION", store.region), env("SERVER_SIDE_ENCRYPTION", "AES256"), env("NO_CHECK_BUCKET", "true")];
    case "gcs":
      return [env("TYPE", "google cloud storage"), env("ENV_AUTH", "true"), env("BUCKET_POLICY_ONLY", "true"), env("NO_CHECK_BUCKET", "true")];
    case "azure-blob":
      if (!store.accountName) throw new Error("objectStore.accountName: an Azure object store needs the storage account name");
      return [env("TYPE", "azureblob"), env("ACCOUNT", store.accountName), env("ENV_AUTH", "true"), env("NO_CHECK_CONTAINER", "true")];
  }
}

/** Props of `bucketUploader`. */
export interface BucketUploaderOptions {
  /** The rclone image reference. */
  readonly image: string;
  readonly store: ObjectStore;
  /** Local directory whose files are moved (uploaded, then deleted locally). */
  readonly sourceDir: string;
  /** Prefix in the bucket, e.g. "postgresql/wal". */
  readonly prefix: string;
  /** Mounts giving access to `sourceDir` (writable: moved files are removed). */
  readonly volumeMounts: readonly VolumeMount[];
  /** rclone `--include` filters (relative to `sourceDir`). @default - every file */
  readonly include?: readonly string[];
  /** @default 60 */
  readonly intervalSeconds?: number;
  /** @default 10m CPU / 64Mi */
  readonly resources?: ContainerResources;
  /** @default 65532 */
  readonly runAsUser?: number;
}

/**
 * A container that moves finished files (WAL segments, base backups, snapshots) to the platform bucket
 * every minute. Objects are never overwritten in place: the bucket is versioned, so an older object
 * version survives a bad upload.
 */
export function bucketUploader(o: BucketUploaderOptions): ContainerSpec {
  const interval = o.intervalSeconds ?? 60;
  const bucket = o.store.dataBucket;
  const include = (o.include ?? []).map((f) => ` --include '${f}'`).join("");
  const round = `  rclone move --min-age 10s --no-traverse --delete-empty-src-dirs${include} "${o.sourceDir}" "bucket:${bucket}/${o.prefix}" --config /dev/null`;
  return {
    name: "uploader",
    image: o.image,
    command: ["sh", "-c", scheduledLoop(round, interval)],
    env: [...rcloneBucketEnv(o.store), { name: "HOME", value: "/tmp" }],
    resources: o.resources ?? { cpuRequest: "10m", memoryRequest: "64Mi", memoryLimit: "128Mi" },
    volumeMounts: [...o.volumeMounts, heartbeatMount("uploader"), { name: "tmp", mountPath: "/tmp", readOnly: false }],
    probes: heartbeatProbes(Math.max(15, Math.ceil((interval * 5) / 60))),
    ...(o.runAsUser !== undefined ? { runAsUser: o.runAsUser } : {}),
  };
}

/** A small writable /tmp (the root filesystem is read-only everywhere). */
export const TMP_VOLUME: VolumeSpec = { name: "tmp", emptyDir: { sizeLimit: "256Mi" } };
