import { Construct } from "constructs";
import type { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { SERVICES } from "../../platform/service-catalog";
import { vaultNames } from "../../platform/service-names";
import { backedUpStore, serverProbes, type BackedUpStoreProps } from "./backed-up-store";
import { pgHbaConf, pgServiceFile, postgresqlBootstrapSql, postgresqlConf } from "./server-config/postgresql-conf";
import { POSTGRESQL_LOCAL_SERVICE, POSTGRESQL_PATHS, postgresqlBaseBackupRound, postgresqlRequestRestoreScript, postgresqlStartScript } from "./server-config/postgresql-scripts";
import { IMAGES, imageRef } from "./images";
import { BUCKET_ENV, RCLONE_IMAGE_BINARY, TMP_VOLUME, bucketEnv, heartbeatMount, kvField, scheduledLoop, scheduledProbes, serviceCertificate } from "./platform-pod";
import type { StatefulWorkload } from "./stateful-workload";
import { WORKLOAD_IDS } from "./workload-ids";

/** Props of Postgresql. */
export interface PostgresqlProps extends BackedUpStoreProps {
  /** Networks clients connect from (pg_hba `hostssl` lines): the pod range. */
  readonly clientCidrs: readonly string[];
  /** Primary plus standbys. @default 2 - a primary and one streaming standby in another zone */
  readonly replicas?: number;
  /** Data volume per replica. @default 50 */
  readonly storageGiB?: number;
  /** Hour (UTC) of the daily base backup (the first base backup on a timeline is taken at once). @default 1 */
  readonly baseBackupHourUtc?: number;
}

const { data: DATA, pgdata: PGDATA, outbox: OUTBOX, conf: CONF, secrets: SECRETS, tools: TOOLS } = POSTGRESQL_PATHS;
const UID = WORKLOAD_IDS.postgresql; // any UID: initdb gets its passwd entry from nss_wrapper (with_passwd_entry)

/**
 * PostgreSQL for Keycloak's users/roles/groups and the data-quality metrics.
 *
 * - TLS only (pg_hba: `hostnossl ... reject`, then `hostssl ... scram-sha-256`; TLS 1.2+), no Unix socket.
 * - Credentials: the superuser, `replicator` and `vault` passwords come from Vault KV through Vault
 *   Agent; applications get short-lived users from Vault's database engine (role `vault`).
 * - HA: one primary, the other pods hot standbys in other zones, streaming over TLS (verify-full)
 *   through their own replication slot on the primary, and replaying archived WAL from the bucket when
 *   they cannot stream. Whichever pod is writable is the primary: clients list every pod and ask for the
 *   writable one (`targetServerType=primary` in JDBC, `target_session_attrs=read-write` in libpq:
 *   `primaryAwareJdbcUrl`). Failover is a documented manual promotion (docs/platform.md), a deliberate
 *   choice over an operator. A former primary that finds a promoted peer is fenced: it keeps its data
 *   aside and rejoins as a standby of the new primary, never as a second primary.
 * - Backups: WAL segments archived to an outbox on the encrypted volume and base backups (`pg_basebackup`
 *   over TLS on localhost: the first on every timeline, then daily), both moved to the platform bucket by
 *   rclone under the backup identity, on whichever pod is the primary. A failing archive shows in the
 *   `base-backup` container's health probe; backup health never decides readiness.
 * - Restore: `request-restore.sh` (docs/platform.md) makes the next start restore a base backup and
 *   replay the archived WAL from the bucket, up to a point in time.
 */
export class Postgresql extends Construct {
  readonly workload: StatefulWorkload;
  readonly config: ConfigMapV1;

  constructor(scope: Construct, id: string, props: PostgresqlProps) {
    super(scope, id);
    const spec = SERVICES.postgresql;
    const kv = vaultNames(spec).kvSecret;
    const headless = `${spec.name}-headless`;
    const hourUtc = props.baseBackupHourUtc ?? 1;
    if (!Number.isInteger(hourUtc) || hourUtc < 0 || hourUtc > 23) throw new Error(`Postgresql: baseBackupHourUtc must be an hour 0-23, got ${hourUtc}`);
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`Postgresql: replicas must be a positive integer, got ${replicas}`);
    const storageGiB = props.storageGiB ?? 50;
    const rclone = `${TOOLS}/rclone`;
    const walInBucket = `bucket:$${BUCKET_ENV}/${spec.name}/wal`;
    const confOptions = {
      walArchiveDirectory: `${OUTBOX}/wal`,
      // A server in recovery fetches archived segments from the bucket: a standby that cannot stream
      // catches up from there, a restore replays from there. Fails (non-zero) for a missing segment.
      walRestoreCommand: `${rclone} copyto -q "${walInBucket}/%f" "%p" --config /dev/null`,
      // A fifth of the volume at most for a standby that is away; then it catches up from the bucket.
      maxSlotWalKeepSize: `${Math.max(1, Math.floor(storageGiB / 5))}GB`,
      includeIfExists: `${PGDATA}/recovery-target.conf`,
      // The backup container connects over TLS on localhost.
      clientCidrs: [...props.clientCidrs, "127.0.0.1/32"],
    };
    const peers = Array.from({ length: replicas }, (_, i) => `${spec.name}-${i}`);
    const serviceFile = pgServiceFile(
      [
        { name: POSTGRESQL_LOCAL_SERVICE, host: "127.0.0.1", sslmode: "verify-ca" },
        ...peers.map((p) => ({ name: p, host: `${p}.${headless}.${spec.namespace}.svc`, sslmode: "verify-full" as const })),
      ],
      { user: "replicator", passfile: `${SECRETS}/replication.pgpass`, sslrootcert: `${SECRETS}/ca.crt` },
    );


    const pgImage = imageRef(IMAGES.postgresql, props.images);
    const configMount = { name: "config", mountPath: CONF, readOnly: true };
    const dataMount = { name: "data", mountPath: DATA, readOnly: false };
    const tmp = { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false };
    const run = { name: "run", mountPath: "/var/run/postgresql", readOnly: false };
    const tools = { name: "platform-tools", mountPath: TOOLS, readOnly: true };
    const serviceFileEnv = { name: "PGSERVICEFILE", value: `${CONF}/pg_service.conf` };
    const alive = { exec: { command: ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-t", "3"] } };

    const store = backedUpStore(this, spec, props, {
      replicas,
      storageGiB,
      configFiles: {
        "postgresql.conf": postgresqlConf(confOptions),
        "pg_hba.conf": pgHbaConf(confOptions),
        "pg_service.conf": serviceFile,
        "start.sh": postgresqlStartScript({ name: spec.name, replicas, bucket: `bucket:$${BUCKET_ENV}/${spec.name}`, rclone }),
        // Archiving health on every pod, base backups on the primary.
        "base-backup.sh": scheduledLoop(postgresqlBaseBackupRound({ hourUtc }), 60),
        "request-restore.sh": postgresqlRequestRestoreScript(),
      },
      templates: [
        serviceCertificate(spec),
        { fileName: "superuser-password", contents: `${kvField(kv, "superuser_password")}\n`, perms: "0400" },
        // libpq ignores a password file readable by group or others.
        { fileName: "replication.pgpass", contents: `*:*:*:replicator:${kvField(kv, "replication_password")}\n`, perms: "0400" },
        {
          fileName: "bootstrap.sql",
          contents: postgresqlBootstrapSql({
            replication: kvField(kv, "replication_password", { quote: "sql-literal" }),
            vaultAdmin: kvField(kv, "vault_admin_password", { quote: "sql-literal" }),
          }),
          perms: "0400",
        },
      ],
      runAsUser: UID,
      terminationGracePeriodSeconds: 60,
      volumes: [TMP_VOLUME, { name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } }, { name: "platform-tools", emptyDir: { sizeLimit: "128Mi" } }],
      initContainers: [
        {
          // The rclone binary (static: CGO_ENABLED=0 in rclone's Dockerfile) for the server's restore_command.
          name: "platform-tools",
          image: imageRef(IMAGES.rclone, props.images),
          command: ["cp", RCLONE_IMAGE_BINARY, `${TOOLS}/rclone`],
          resources: { cpuRequest: "10m", memoryRequest: "32Mi", memoryLimit: "64Mi" },
          volumeMounts: [{ ...tools, readOnly: false }, tmp],
        },
      ],
      containers: [
        {
          name: "postgresql",
          image: pgImage,
          command: ["sh", `${CONF}/start.sh`],
          env: [{ name: "PGDATA", value: PGDATA }, serviceFileEnv, ...bucketEnv(props.objectStore)],
          ports: spec.ports,
          resources: { cpuRequest: "250m", memoryRequest: "1Gi" },
          volumeMounts: [configMount, dataMount, tmp, run, tools],
          // Up to 30 minutes to start: cloning a primary or restoring a base backup happens before the server listens.
          probes: serverProbes(alive, 180),
        },
        {
          name: "base-backup",
          image: pgImage,
          command: ["sh", `${CONF}/base-backup.sh`],
          env: [{ name: "PGDATA", value: PGDATA }, serviceFileEnv],
          resources: { cpuRequest: "50m", memoryRequest: "128Mi", memoryLimit: "256Mi" },
          volumeMounts: [configMount, dataMount, tmp, heartbeatMount("base-backup")],
          probes: scheduledProbes(15),
        },
      ],
      uploader: { sourceDir: OUTBOX, prefix: spec.name, volumeMounts: [dataMount] },
    });
    this.config = store.config;
    this.workload = store.workload;
  }
}

/**
 * The JDBC URL of a database on the platform's PostgreSQL: every pod listed, the writable one chosen,
 * TLS with full verification against the platform CA.
 */
export function primaryAwareJdbcUrl(database: string, replicas = 2, caFile = `${SECRETS}/ca.crt`): string {
  const hosts = postgresqlHosts(replicas).join(",");
  return `jdbc:postgresql://${hosts}/${database}?targetServerType=primary&ssl=true&sslmode=verify-full&sslrootcert=${caFile}`;
}

/**
 * `host:port` of every PostgreSQL pod, by its stable headless-service name (covered by the pods'
 * certificates). Clients list them all and ask for the writable one, so a promoted standby is found.
 */
export function postgresqlHosts(replicas = 2): string[] {
  const spec = SERVICES.postgresql;
  return Array.from({ length: replicas }, (_, i) => `${spec.name}-${i}.${spec.name}-headless.${spec.namespace}.svc:5432`);
}

