import type { ObjectStore } from "../../platform/platform-foundation";
import type { ServiceSpec } from "../../platform/service-catalog";
import { VAULT_MOUNTS, podDnsDomains, serviceDnsNames, vaultNames } from "../../platform/service-names";
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

/** Options of kvField. */
export interface KvFieldOptions {
  /**
   * Where the value lands, so the template quotes it at render time:
   * - "sql-literal": inside a single-quoted SQL or CQL string literal (`'...'`): every `'` doubled,
   *   the string-literal escape of both (PostgreSQL docs "String Constants"; Cassandra CQL "Constants":
   *   "a single-quote can be escaped by doubling it"), by consul-template's `replaceAll` function
   *   (hashicorp/consul-template docs/templating-language.md, `replaceAll`).
   * - "json-string": a JSON string, quotes included (consul-template's `toJSON`, same document).
   * @default - the value as stored
   */
  readonly quote?: "sql-literal" | "json-string";
}

/** The template pipeline that quotes a value for `KvFieldOptions.quote`. */
const QUOTE_PIPES: Record<NonNullable<KvFieldOptions["quote"]>, string> = {
  "sql-literal": `replaceAll "'" "''"`,
  "json-string": "toJSON",
};

/** A KV v2 read inside a Vault Agent template: `{{ with secret "kv/data/<prefix>" }}{{ .Data.data.<field> }}{{ end }}`. */
export function kvField(kvPath: string, field: string, options: KvFieldOptions = {}): string {
  const pipe = options.quote ? ` | ${QUOTE_PIPES[options.quote]}` : "";
  return `{{ with secret "${VAULT_MOUNTS.kv}/data/${kvPath}" }}{{ .Data.data.${field}${pipe} }}{{ end }}`;
}

/** Directory of the heartbeat files scheduled (backup) containers keep: `started`, `ok`, `failing`. */
export const HEARTBEAT_DIR = "/run/heartbeat";

/** The heartbeat volume (in memory, tiny). */
export const HEARTBEAT_VOLUME: VolumeSpec = { name: "heartbeat", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } };

/** Mounts the heartbeat volume for one container: its own sub-directory, so one container's success never masks another's failure. */
export function heartbeatMount(container: string): VolumeMount {
  return { name: HEARTBEAT_VOLUME.name, mountPath: HEARTBEAT_DIR, readOnly: false, subPath: container };
}

/**
 * The environment variable that names the platform bucket (or Azure container) inside the backup
 * containers. Scripts read the bucket from here, so their text stays literal: the bucket name is a
 * reference to the cloud stack, which Terraform resolves only in the variable's value.
 */
export const BUCKET_ENV = "PLATFORM_BUCKET";

/**
 * `failureThreshold` of a probe that only reports. Kubernetes has no alert-only probe, but the kubelet
 * records a Warning event (reason `Unhealthy`, the check's output as its message) on EVERY failed check
 * and acts (restarts, for a liveness probe) only after `failureThreshold` consecutive failures
 * (kubernetes/kubernetes pkg/kubelet/prober/prober.go `runProbe`: recordContainerEvent(...,
 * events.ContainerUnhealthy, "%s probe failed: %s"); worker.go: `resultRun < FailureThreshold`). The
 * field is an int32 with no upper bound in validation: at its maximum the kubelet never acts.
 */
export const REPORT_ONLY_FAILURE_THRESHOLD = 2147483647;

/**
 * Probes of a scheduled (backup) container. Backup health never decides whether the store serves:
 * - startup and readiness: the loop has started (immediately true), so a failing or late backup never
 *   takes the store out of its Service or holds back a StatefulSet's next pod;
 * - liveness reports backup health without ever restarting anything (REPORT_ONLY_FAILURE_THRESHOLD): it
 *   fails while the last round failed (its output is the round's error) or when no round has succeeded
 *   for `staleMinutes` (a hung loop). Each failed check is a Warning event `Unhealthy` on the pod, which
 *   `kubectl get events` and every cluster event collector show: that is the alert. A restart would fix
 *   nothing (a broken upload stays broken) and would take the whole pod out of its Service meanwhile.
 */
export function scheduledProbes(staleMinutes: number): Probes {
  if (!Number.isInteger(staleMinutes) || staleMinutes < 1) throw new Error(`scheduledProbes: staleMinutes must be a positive integer, got ${staleMinutes}`);
  const started = { exec: { command: ["test", "-f", `${HEARTBEAT_DIR}/started`] } };
  const health = [
    `if [ -f ${HEARTBEAT_DIR}/failing ]; then echo "backup round failing: $(tail -c 600 ${HEARTBEAT_DIR}/failing)"; exit 1; fi`,
    `if [ -z "$(find ${HEARTBEAT_DIR}/ok ${HEARTBEAT_DIR}/started -mmin -${staleMinutes} 2>/dev/null)" ]; then echo "no successful backup round for ${staleMinutes} minutes"; exit 1; fi`,
  ].join("\n");
  return {
    startup: { check: started, periodSeconds: 5, failureThreshold: 60 },
    readiness: { check: started, periodSeconds: 60 },
    liveness: { check: { exec: { command: ["sh", "-c", health] } }, periodSeconds: 60, timeoutSeconds: 10, failureThreshold: REPORT_ONLY_FAILURE_THRESHOLD },
  };
}

/**
 * A shell loop: runs `round` every `intervalSeconds`. After a successful round it touches
 * `HEARTBEAT_DIR/ok` and removes `failing`; after a failed one it writes the round's error output to
 * `failing` (what the liveness check reports, `scheduledProbes`). The round's output goes to the
 * container log either way. `round` is a shell snippet (the body of a function: `return 1` fails it);
 * it must be idempotent.
 */
export function scheduledLoop(round: string, intervalSeconds: number): string {
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 1) throw new Error(`scheduledLoop: intervalSeconds must be a positive integer, got ${intervalSeconds}`);
  return [
    "set -u",
    `mkdir -p ${HEARTBEAT_DIR}`,
    `touch ${HEARTBEAT_DIR}/started`,
    "round() {",
    round,
    "}",
    "while true; do",
    `  if round 2>${HEARTBEAT_DIR}/round.log; then`,
    `    touch ${HEARTBEAT_DIR}/ok && rm -f ${HEARTBEAT_DIR}/failing`,
    "  else",
    `    tail -c 2000 ${HEARTBEAT_DIR}/round.log > ${HEARTBEAT_DIR}/failing`,
    `    echo "round failed; retrying in ${intervalSeconds}s" >>${HEARTBEAT_DIR}/round.log`,
    "  fi",
    `  cat ${HEARTBEAT_DIR}/round.log >&2`,
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

/** What a container needs to reach `bucket:$PLATFORM_BUCKET/...` with rclone: the remote and the bucket's name. */
export function bucketEnv(store: ObjectStore): EnvVar[] {
  return [...rcloneBucketEnv(store), { name: BUCKET_ENV, value: store.dataBucket }];
}

/** Props of `bucketUploader`. */
export interface BucketUploaderOptions {
  /** The rclone image reference. */
  readonly image: string;
  readonly store: ObjectStore;
  /** Local directory whose files are moved (uploaded, then deleted locally). Its directories are never deleted. */
  readonly sourceDir: string;
  /** Prefix in the bucket, e.g. "postgresql"; shell words such as `$HOSTNAME` are expanded. */
  readonly prefix: string;
  /** Mounts giving access to `sourceDir` (writable: moved files are removed). */
  readonly volumeMounts: readonly VolumeMount[];
  /** rclone filter patterns of the files to move (relative to `sourceDir`). @default - every file */
  readonly include?: readonly string[];
  /**
   * Move only files older than this (rclone duration), for sources whose writer gives no signal that a
   * file is complete.
   * @default - no age limit: the writer renames complete files into place (PostgreSQL's archive_command, the base backup)
   */
  readonly minAge?: string;
  /** @default 60 */
  readonly intervalSeconds?: number;
  /** @default 10m CPU / 64Mi */
  readonly resources?: ContainerResources;
  /** @default 65532 */
  readonly runAsUser?: number;
}

/**
 * Where the rclone image keeps its binary: rclone/rclone `Dockerfile` at v1.68.2 (`COPY --from=builder
 * .../rclone /usr/local/bin/`), built with `CGO_ENABLED=0`, so the binary is static and runs in any
 * other image (it is copied into PostgreSQL's pod for its restore_command).
 */
export const RCLONE_IMAGE_BINARY = "/usr/local/bin/rclone";

/** Files a writer is still filling: renamed into place when complete, never uploaded before. */
export const PARTIAL_FILE_PATTERN = "*.partial";

/**
 * A container that moves finished files (WAL segments, base backups, snapshots) to the platform bucket
 * every minute. It removes only the files it uploaded, never a directory: the directories belong to
 * the server that writes them (PostgreSQL's outbox, Cassandra's table, snapshot and backups
 * directories). `*.partial` files are never uploaded. Objects are never lost to an overwrite: the bucket
 * is versioned, so an older object version survives a bad upload.
 */
export function bucketUploader(o: BucketUploaderOptions): ContainerSpec {
  const interval = o.intervalSeconds ?? 60;
  // rclone applies filter rules in order, first match wins (rclone docs, "Filtering"); any filter also
  // rules out rclone's server-side move of the whole source directory.
  const filters = [`- ${PARTIAL_FILE_PATTERN}`, ...(o.include ? [...o.include.map((f) => `+ ${f}`), "- **"] : [])];
  const round = [
    `  rclone move --no-traverse${o.minAge ? ` --min-age ${o.minAge}` : ""}${filters.map((f) => ` --filter '${f}'`).join("")} \\`,
    `    "${o.sourceDir}" "bucket:$${BUCKET_ENV}/${o.prefix}" --config /dev/null`,
  ].join("\n");
  return {
    name: "uploader",
    image: o.image,
    command: ["sh", "-c", scheduledLoop(round, interval)],
    env: [...bucketEnv(o.store), { name: "HOME", value: "/tmp" }],
    resources: o.resources ?? { cpuRequest: "10m", memoryRequest: "64Mi", memoryLimit: "128Mi" },
    volumeMounts: [...o.volumeMounts, heartbeatMount("uploader"), { name: "tmp", mountPath: "/tmp", readOnly: false }],
    probes: scheduledProbes(Math.max(15, Math.ceil((interval * 5) / 60))),
    ...(o.runAsUser !== undefined ? { runAsUser: o.runAsUser } : {}),
  };
}

/** A small writable /tmp (the root filesystem is read-only everywhere). */
export const TMP_VOLUME: VolumeSpec = { name: "tmp", emptyDir: { sizeLimit: "256Mi" } };
