import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import type { ObjectStore, WorkloadIdentityBinding } from "../../stacks/platform-foundation";
import { SERVICES } from "../../stacks/service-catalog";
import { vaultNames } from "../vault/paths";
import { WITH_PASSWD_ENTRY } from "./config/passwd-entry";
import { pgHbaConf, postgresqlBootstrapSql, postgresqlConf, postgresqlServe } from "./config/postgresql-conf";
import { IMAGES, imageRef, secretsServerImage, type ImageSettings } from "./images";
import { HEARTBEAT_DIR, HEARTBEAT_VOLUME, TMP_VOLUME, bucketUploader, dailyAt, heartbeatMount, heartbeatProbes, kvField, scheduledLoop, serviceCertificate } from "./platform-pod";
import { StatefulWorkload } from "./stateful-workload";
import { VaultAgent } from "./vault-agent";
import { WORKLOAD_IDS } from "./workload-ids";

/** Props of Postgresql. */
export interface PostgresqlProps {
  /** Namespace (a SecureNamespace reference); the catalog's `identity`. */
  readonly namespace: string;
  /** Zones to spread the primary and the standby across. */
  readonly zones: readonly string[];
  readonly images: ImageSettings;
  /** The platform bucket WAL and base backups go to. */
  readonly objectStore: ObjectStore;
  /** The `backup` workload identity (the `postgresql` service account is one of its subjects). */
  readonly backupIdentity: WorkloadIdentityBinding;
  /** Networks clients connect from (pg_hba `hostssl` lines): the pod range. */
  readonly clientCidrs: readonly string[];
  /** Primary plus standbys. @default 2 - a primary and one streaming standby in another zone */
  readonly replicas?: number;
  /** Data volume per replica. @default 50 */
  readonly storageGiB?: number;
  /** Hour (UTC) of the daily base backup. @default 1 */
  readonly baseBackupHourUtc?: number;
  /** Let `cdktf destroy` remove the set (volumes are retained regardless). @default false */
  readonly allowDestroy?: boolean;
}

const DATA = "/var/lib/postgresql/data";
const PGDATA = `${DATA}/pgdata`;
const OUTBOX = `${DATA}/outbox`;
const CONF = "/etc/postgresql";
const SECRETS = "/vault/secrets";
const UID = WORKLOAD_IDS.postgresql; // any UID: initdb gets its passwd entry from nss_wrapper (with_passwd_entry)

/**
 * PostgreSQL for Keycloak's users/roles/groups and the data-quality metrics.
 *
 * - TLS only (pg_hba: `hostnossl ... reject`, then `hostssl ... scram-sha-256`; TLS 1.2+), no Unix socket.
 * - Credentials: the superuser, `replicator` and `vault` passwords come from Vault KV through Vault
 *   Agent; applications get short-lived users from Vault's database engine (role `vault`).
 * - HA: pod 0 is the primary, the others stream from it over TLS (verify-full) as hot standbys in other
 *   zones. Clients list every pod and ask for the writable one (`targetServerType=primary` in JDBC,
 *   `target_session_attrs=read-write` in libpq: `primaryAwareJdbcUrl`), so a promoted standby is found
 *   without any Service change. Failover is a documented manual promotion (docs/platform.md), a
 *   deliberate choice over an operator.
 * - Backups: WAL segments archived to an outbox on the encrypted volume and a daily `pg_basebackup`
 *   (over TLS, on localhost), both moved to the platform bucket by rclone under the backup identity.
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
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`Postgresql: replicas must be a positive integer, got ${replicas}`);
    const confOptions = {
      walArchiveDirectory: `${OUTBOX}/wal`,
      // The backup container connects over TLS on localhost.
      clientCidrs: [...props.clientCidrs, "127.0.0.1/32"],
    };

    const start = [
      "set -eu",
      // initdb and single-user mode need a passwd entry for the pod's UID, which the image does not have.
      WITH_PASSWD_ENTRY,
      'ORDINAL="${HOSTNAME##*-}"',
      `mkdir -p ${OUTBOX}/wal ${OUTBOX}/base ${DATA}/base-tmp`,
      // Fencing: pod 0 never starts (nor initializes) a second primary after a standby was promoted in its absence.
      `if [ "$ORDINAL" = "0" ] && [ ! -f ${PGDATA}/standby.signal ]; then`,
      `  for i in $(seq 1 ${replicas - 1}); do`,
      `    if [ "$(psql "host=${spec.name}-$i.${headless}.$NAMESPACE.svc port=5432 dbname=postgres user=replicator sslmode=verify-full sslrootcert=${SECRETS}/ca.crt passfile=${SECRETS}/replication.pgpass connect_timeout=5" -XAtqc "select pg_is_in_recovery()" 2>/dev/null)" = "f" ]; then`,
      `      echo "${spec.name}-$i is a promoted primary: refusing to start a second one; rebuild this node as a standby (docs/platform.md)" >&2`,
      "      exit 1",
      "    fi",
      "  done",
      "fi",
      `if [ ! -s ${PGDATA}/PG_VERSION ]; then`,
      '  if [ "$ORDINAL" = "0" ]; then',
      `    with_passwd_entry initdb -D ${PGDATA} -U postgres --pwfile=${SECRETS}/superuser-password --auth=scram-sha-256 --data-checksums`,
      `    with_passwd_entry postgres --single -D ${PGDATA} postgres < ${SECRETS}/bootstrap.sql`,
      "  else",
      `    pg_basebackup --pgdata=${PGDATA} --wal-method=stream --checkpoint=fast --dbname="host=${spec.name}-0.${headless}.$NAMESPACE.svc port=5432 user=replicator sslmode=verify-full sslrootcert=${SECRETS}/ca.crt passfile=${SECRETS}/replication.pgpass"`,
      `    touch ${PGDATA}/standby.signal`,
      "  fi",
      "fi",
      `CONF_FILE=${CONF}/postgresql.conf`,
      `[ "$ORDINAL" = "0" ] || CONF_FILE=${CONF}/postgresql-standby.conf`,
      // The postmaster, with its renewed certificate re-read on SIGHUP (no restart, sessions kept).
      postgresqlServe({ args: `-D ${PGDATA} -c config_file="$CONF_FILE" -c hba_file=${CONF}/pg_hba.conf` }),
    ].join("\n");

    // Daily base backup on the primary only, written aside and moved into the outbox when complete.
    const baseBackup = scheduledLoop(
      [
        '  [ "${HOSTNAME##*-}" = "0" ] || return 0',
        `  ${dailyAt(hourUtc, "base")} || return 0`,
        '  stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
        `  rm -rf ${DATA}/base-tmp/* && \\`,
        `  pg_basebackup --pgdata=${DATA}/base-tmp/$stamp --format=tar --gzip --wal-method=fetch --checkpoint=fast --dbname="host=127.0.0.1 port=5432 user=replicator sslmode=verify-ca sslrootcert=${SECRETS}/ca.crt passfile=${SECRETS}/replication.pgpass" && \\`,
        `  mv ${DATA}/base-tmp/$stamp ${OUTBOX}/base/$stamp && \\`,
        `  touch ${HEARTBEAT_DIR}/base-$(date -u +%F)`,
      ].join("\n"),
      60,
    );

    this.config = new ConfigMapV1(this, "Config", {
      metadata: { name: `${spec.name}-config`, namespace: props.namespace },
      data: {
        "postgresql.conf": postgresqlConf(confOptions),
        "postgresql-standby.conf": postgresqlConf({
          ...confOptions,
          standby: { primaryHost: `${spec.name}-0.${headless}.${spec.namespace}.svc`, passwordFile: `${SECRETS}/replication.pgpass` },
        }),
        "pg_hba.conf": pgHbaConf(confOptions),
        "start.sh": start,
        "base-backup.sh": baseBackup,
      },
    });

    const agent = new VaultAgent(this, "VaultAgent", {
      name: spec.name,
      namespace: props.namespace,
      role: vaultNames(spec).role,
      image: secretsServerImage(props.images),
      templates: [
        serviceCertificate(spec),
        { fileName: "superuser-password", contents: `${kvField(kv, "superuser_password")}\n`, perms: "0400" },
        // libpq ignores a password file readable by group or others.
        { fileName: "replication.pgpass", contents: `*:*:*:replicator:${kvField(kv, "replication_password")}\n`, perms: "0400" },
        {
          fileName: "bootstrap.sql",
          contents: postgresqlBootstrapSql({ replication: sqlQuoted(kvField(kv, "replication_password")), vaultAdmin: sqlQuoted(kvField(kv, "vault_admin_password")) }),
          perms: "0400",
        },
      ],
    });

    const pgImage = imageRef(IMAGES.postgresql, props.images);
    const configMount = { name: "config", mountPath: CONF, readOnly: true };
    const dataMount = { name: "data", mountPath: DATA, readOnly: false };
    const tmp = { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false };
    const run = { name: "run", mountPath: "/var/run/postgresql", readOnly: false };
    const alive = ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-t", "3"];

    this.workload = new StatefulWorkload(this, "Resource", {
      name: spec.name,
      namespace: props.namespace,
      zones: props.zones,
      replicas,
      serviceAccountName: spec.serviceAccount,
      serviceAccountAnnotations: props.backupIdentity.serviceAccountAnnotations,
      podLabels: props.backupIdentity.podLabels,
      runAsUser: UID,
      terminationGracePeriodSeconds: 60,
      ports: spec.ports,
      vaultAgent: agent,
      volumes: [
        { name: "config", configMap: { name: this.config.metadata.name } },
        TMP_VOLUME,
        { name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
        HEARTBEAT_VOLUME,
      ],
      volumeClaims: [{ name: "data", sizeGiB: props.storageGiB ?? 50 }],
      allowDestroy: props.allowDestroy ?? false,
      containers: [
        {
          name: "postgresql",
          image: pgImage,
          command: ["sh", `${CONF}/start.sh`],
          env: [
            { name: "NAMESPACE", fieldPath: "metadata.namespace" },
            { name: "PGDATA", value: PGDATA },
          ],
          ports: spec.ports,
          resources: { cpuRequest: "250m", memoryRequest: "1Gi" },
          volumeMounts: [configMount, dataMount, tmp, run],
          probes: {
            startup: { check: { exec: { command: alive } }, failureThreshold: 90 },
            readiness: { check: { exec: { command: alive } } },
            liveness: { check: { exec: { command: alive } }, failureThreshold: 6 },
          },
        },
        {
          name: "base-backup",
          image: pgImage,
          command: ["sh", `${CONF}/base-backup.sh`],
          resources: { cpuRequest: "50m", memoryRequest: "128Mi", memoryLimit: "256Mi" },
          volumeMounts: [configMount, dataMount, tmp, heartbeatMount("base-backup")],
          probes: heartbeatProbes(15),
        },
        bucketUploader({
          image: imageRef(IMAGES.rclone, props.images),
          store: props.objectStore,
          sourceDir: OUTBOX,
          prefix: "postgresql",
          volumeMounts: [dataMount],
        }),
      ],
    });
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

/** A Vault template value inside a single-quoted SQL literal: quotes doubled at render time. */
function sqlQuoted(expression: string): string {
  return expression.replace(/\}\}\{\{ end \}\}$/, ` | replaceAll "'" "''" }}{{ end }}`);
}
