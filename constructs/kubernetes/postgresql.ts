import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import type { ObjectStore, WorkloadIdentityBinding } from "../../stacks/platform-foundation";
import { SERVICES } from "../../stacks/service-catalog";
import { vaultNames } from "../vault/paths";
import { WITH_PASSWD_ENTRY } from "./config/passwd-entry";
import { pgHbaConf, pgServiceFile, postgresqlBootstrapSql, postgresqlConf, postgresqlServe, primaryConninfo } from "./config/postgresql-conf";
import { IMAGES, imageRef, secretsServerImage, type ImageSettings } from "./images";
import { BUCKET_ENV, HEARTBEAT_VOLUME, RCLONE_IMAGE_BINARY, TMP_VOLUME, bucketEnv, bucketUploader, heartbeatMount, kvField, scheduledLoop, scheduledProbes, serviceCertificate } from "./platform-pod";
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
  /** Hour (UTC) of the daily base backup (the first base backup on a timeline is taken at once). @default 1 */
  readonly baseBackupHourUtc?: number;
  /** Let `cdktf destroy` remove the set (volumes are retained regardless). @default false */
  readonly allowDestroy?: boolean;
}

const DATA = "/var/lib/postgresql/data";
const PGDATA = `${DATA}/pgdata`;
const OUTBOX = `${DATA}/outbox`;
/** What the backup container remembers across restarts: the timeline of the last base backup. */
const BACKUP_STATE = `${DATA}/backup-state`;
/** Written by `request-restore.sh`, consumed by the start script. */
const RESTORE_REQUEST = `${DATA}/restore.request`;
/** Marks a volume whose cluster was initialised here once: pod 0 never runs initdb on it again. */
const INITIALIZED = `${DATA}/initdb.done`;
const CONF = "/etc/postgresql";
const SECRETS = "/vault/secrets";
/** rclone, copied from its image by an init container: the server's restore_command fetches archived WAL with it. */
const TOOLS = "/opt/platform-tools";
const UID = WORKLOAD_IDS.postgresql; // any UID: initdb gets its passwd entry from nss_wrapper (with_passwd_entry)

/** The libpq service of the local server (the in-pod backup container connects through it). */
const LOCAL_SERVICE = "local";
/** Physical replication slot of the standby with ordinal `$ORDINAL` on whichever pod is its primary. */
const SLOT = "standby_$ORDINAL";

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
        { name: LOCAL_SERVICE, host: "127.0.0.1", sslmode: "verify-ca" },
        ...peers.map((p) => ({ name: p, host: `${p}.${headless}.${spec.namespace}.svc`, sslmode: "verify-full" as const })),
      ],
      { user: "replicator", passfile: `${SECRETS}/replication.pgpass`, sslrootcert: `${SECRETS}/ca.crt` },
    );

    const start = [
      "set -eu",
      // initdb and single-user mode need a passwd entry for the pod's UID, which the image does not have.
      WITH_PASSWD_ENTRY,
      'ORDINAL="${HOSTNAME##*-}"',
      `PGDATA=${PGDATA}`,
      "",
      "# The peer that answers as a writable server (its service name in pg_service.conf), or nothing.",
      "current_primary() {",
      `  for i in $(seq 0 ${replicas - 1}); do`,
      '    [ "$i" = "$ORDINAL" ] && continue',
      `    if [ "$(psql "service=${spec.name}-$i" -XAtqc "select pg_is_in_recovery()" 2>/dev/null)" = "f" ]; then echo "${spec.name}-$i"; return 0; fi`,
      "  done",
      "  return 0",
      "}",
      "",
      "# A fresh copy of the primary $1, as its standby with this node's own replication slot.",
      "clone_from() {",
      '  rm -rf "$PGDATA.new"',
      `  pg_receivewal --drop-slot --slot="${SLOT}" --dbname="service=$1" 2>/dev/null || :`,
      `  pg_basebackup --pgdata="$PGDATA.new" --wal-method=stream --checkpoint=fast --create-slot --slot="${SLOT}" --dbname="service=$1"`,
      '  touch "$PGDATA.new/standby.signal"',
      '  mv "$PGDATA.new" "$PGDATA"',
      "}",
      "",
      "# Keeps the current data directory aside (never deletes it): $1 says why.",
      "set_aside() {",
      '  if [ -d "$PGDATA" ]; then',
      '    aside="$PGDATA.$1-$(date -u +%Y%m%dT%H%M%SZ)"',
      '    mv "$PGDATA" "$aside"',
      '    echo "the previous data directory is kept in $aside: delete it once it is no longer needed" >&2',
      "  fi",
      "}",
      "",
      "# A base backup from the bucket, then recovery from the archived WAL (up to target_time if given).",
      "restore_from_bucket() {",
      `  base="$(sed -n 's/^base=//p' ${RESTORE_REQUEST})"`,
      `  target="$(sed -n 's/^target_time=//p' ${RESTORE_REQUEST})"`,
      '  case "$target" in *[!0-9:.\\ T+Z-]*) echo "restore: invalid target_time \'$target\'" >&2; exit 1 ;; esac',
      '  if [ "$base" = latest ]; then',
      `    base="$(${rclone} lsf --dirs-only "bucket:$${BUCKET_ENV}/${spec.name}/base" --config /dev/null | sort | tail -n 1 | tr -d /)"`,
      "  fi",
      '  case "$base" in "" | *[!0-9TZ]*) echo "restore: no base backup \'$base\' in the bucket" >&2; exit 1 ;; esac',
      `  work=${DATA}/restore-work`,
      '  rm -rf "$work" && mkdir -p "$work/pgdata"',
      `  ${rclone} copy "bucket:$${BUCKET_ENV}/${spec.name}/base/$base" "$work/download" --config /dev/null`,
      '  tar -xzf "$work/download/base.tar.gz" -C "$work/pgdata"',
      '  if [ -f "$work/download/pg_wal.tar.gz" ]; then tar -xzf "$work/download/pg_wal.tar.gz" -C "$work/pgdata/pg_wal"; fi',
      '  chmod 700 "$work/pgdata"',
      '  rm -f "$work/pgdata/standby.signal"',
      "  if [ -n \"$target\" ]; then printf \"recovery_target_time = '%s'\\nrecovery_target_action = 'promote'\\n\" \"$target\" > \"$work/pgdata/recovery-target.conf\"; fi",
      '  touch "$work/pgdata/recovery.signal"',
      "  set_aside before-restore",
      '  mv "$work/pgdata" "$PGDATA"',
      '  rm -rf "$work"',
      `  echo "restore: base backup $base in place; replaying archived WAL\${target:+ up to $target}" >&2`,
      "}",
      "",
      `mkdir -p ${OUTBOX}/wal ${OUTBOX}/base`,
      `if [ -f ${RESTORE_REQUEST} ]; then`,
      `  if [ "$(sed -n 's/^base=//p' ${RESTORE_REQUEST})" = standby ]; then set_aside before-reclone; else restore_from_bucket; fi`,
      `  rm -f ${RESTORE_REQUEST}`,
      "fi",
      // The point-in-time target holds for one recovery only.
      '[ -f "$PGDATA/recovery.signal" ] || rm -f "$PGDATA/recovery-target.conf"',
      'PRIMARY="$(current_primary)"',
      // Fencing: a former primary that finds a promoted peer never serves as a second primary.
      'if [ -s "$PGDATA/PG_VERSION" ] && [ ! -f "$PGDATA/standby.signal" ] && [ ! -f "$PGDATA/recovery.signal" ] && [ -n "$PRIMARY" ]; then',
      '  echo "fencing: $PRIMARY is the primary and this node was one too; rejoining as its standby" >&2',
      "  set_aside fenced",
      "fi",
      'if [ ! -s "$PGDATA/PG_VERSION" ]; then',
      '  if [ -n "$PRIMARY" ]; then',
      '    clone_from "$PRIMARY"',
      // Only pod 0 initialises, and only once per volume: an emptied volume never becomes an empty primary.
      `  elif [ "$ORDINAL" = "0" ] && [ ! -f ${INITIALIZED} ]; then`,
      '    rm -rf "$PGDATA"',
      `    with_passwd_entry initdb -D "$PGDATA" -U postgres --pwfile=${SECRETS}/superuser-password --auth=scram-sha-256 --data-checksums`,
      `    with_passwd_entry postgres --single -D "$PGDATA" postgres < ${SECRETS}/bootstrap.sql`,
      `    touch ${INITIALIZED}`,
      "  else",
      '    echo "no primary answers and this node has no data: waiting for a primary to clone (the pod restarts)" >&2',
      "    exit 1",
      "  fi",
      "fi",
      `[ -f ${INITIALIZED} ] || touch ${INITIALIZED}`,
      "set --",
      'if [ -f "$PGDATA/standby.signal" ]; then',
      // Stream from the primary found now, else from the last one known; replay from the bucket meanwhile.
      `  UPSTREAM="\${PRIMARY:-$(cat ${DATA}/upstream 2>/dev/null || :)}"`,
      '  if [ -n "$UPSTREAM" ]; then',
      `    echo "$UPSTREAM" > ${DATA}/upstream`,
      // The slot on a primary this standby was not cloned from (after a failover elsewhere).
      `    pg_receivewal --create-slot --if-not-exists --slot="${SLOT}" --dbname="service=$UPSTREAM" 2>/dev/null || :`,
      `    set -- -c "primary_conninfo=${primaryConninfo("$UPSTREAM", "$HOSTNAME")}" -c "primary_slot_name=${SLOT}"`,
      "  fi",
      "fi",
      // The postmaster, with its renewed certificate re-read on SIGHUP (no restart, sessions kept).
      postgresqlServe({ args: `-D "$PGDATA" -c config_file=${CONF}/postgresql.conf -c hba_file=${CONF}/pg_hba.conf "$@"` }),
    ].join("\n");

    // Archiving health on every pod; base backups on whichever pod is the primary: the first on each
    // timeline (a new cluster, a promotion, a restore), then daily at hourUtc, and any overdue one at once.
    const hh = String(hourUtc).padStart(2, "0");
    const baseBackup = scheduledLoop(
      [
        `  state="$(psql service=${LOCAL_SERVICE} -XAtqc "select pg_is_in_recovery(), coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false), coalesce(last_failed_wal, ''), coalesce(last_failed_time::text, '') from pg_stat_archiver")" || {`,
        '    echo "PostgreSQL on localhost does not answer" >&2; return 1',
        "  }",
        "  IFS='|' read -r recovery failing wal at <<EOF",
        "$state",
        "EOF",
        '  if [ "$failing" = t ]; then',
        '    echo "WAL archiving is failing: segment $wal was not archived (last attempt $at); archive_command\'s error is in the postgresql container\'s log" >&2',
        "    return 1",
        "  fi",
        '  [ "$recovery" = f ] || return 0',
        // The directories a moved base backup leaves behind (ours, not the server's).
        `  find ${OUTBOX}/base -mindepth 1 -maxdepth 1 -type d -empty -exec rmdir {} + 2>/dev/null || :`,
        `  tl="$(pg_controldata -D ${PGDATA} | sed -n 's/^Latest checkpoint.s TimeLineID: *//p')"`,
        `  last=${BACKUP_STATE}/last-base`,
        '  due=""',
        '  if [ "$(cat "$last" 2>/dev/null || :)" != "$tl" ]; then due="the first on timeline $tl"',
        '  elif [ -n "$(find "$last" -mmin +1500)" ]; then due="overdue"',
        `  elif [ "$(date -u +%H)" = "${hh}" ] && [ -n "$(find "$last" -mmin +1200)" ]; then due="daily"`,
        "  fi",
        '  [ -n "$due" ] || return 0',
        '  stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
        `  mkdir -p ${DATA}/base-tmp ${OUTBOX}/base ${BACKUP_STATE}`,
        `  rm -rf ${DATA}/base-tmp/*`,
        `  pg_basebackup --pgdata=${DATA}/base-tmp/$stamp --format=tar --gzip --wal-method=fetch --checkpoint=fast --dbname=service=${LOCAL_SERVICE} || return 1`,
        // Into the outbox only when complete: the uploader takes whatever appears there.
        `  mv ${DATA}/base-tmp/$stamp ${OUTBOX}/base/$stamp || return 1`,
        '  echo "$tl" > "$last.new" && mv "$last.new" "$last"',
        '  echo "base backup $stamp ($due) is in the outbox"',
      ].join("\n"),
      60,
    );

    const requestRestore = [
      "set -eu",
      "# Usage: request-restore.sh [latest | <base backup, e.g. 20250101T010000Z>] [<target time, e.g. '2025-01-01 12:00:00+00'>]",
      "#        request-restore.sh standby   (rebuild this pod as a standby of the current primary)",
      "# Takes effect at the pod's next start (kubectl delete pod); the current data directory is kept aside.",
      'base="${1:-latest}"',
      'target="${2:-}"',
      'case "$base" in',
      "  latest | standby) ;;",
      '  *[!0-9TZ]* | "") echo "base backup: latest, standby or a name listed by: rclone lsf bucket:<bucket>/postgresql/base" >&2; exit 2 ;;',
      "esac",
      'case "$target" in *[!0-9:.\\ T+Z-]*) echo "target time: e.g. \'2025-01-01 12:00:00+00\'" >&2; exit 2 ;; esac',
      `printf 'base=%s\\ntarget_time=%s\\n' "$base" "$target" > ${RESTORE_REQUEST}.new`,
      `mv ${RESTORE_REQUEST}.new ${RESTORE_REQUEST}`,
      'echo "requested: $base${target:+ up to $target}; restart the pod to carry it out: kubectl delete pod $HOSTNAME"',
      "",
    ].join("\n");

    this.config = new ConfigMapV1(this, "Config", {
      metadata: { name: `${spec.name}-config`, namespace: props.namespace },
      data: {
        "postgresql.conf": postgresqlConf(confOptions),
        "pg_hba.conf": pgHbaConf(confOptions),
        "pg_service.conf": serviceFile,
        "start.sh": start,
        "base-backup.sh": baseBackup,
        "request-restore.sh": requestRestore,
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
          contents: postgresqlBootstrapSql({
            replication: kvField(kv, "replication_password", { quote: "sql-literal" }),
            vaultAdmin: kvField(kv, "vault_admin_password", { quote: "sql-literal" }),
          }),
          perms: "0400",
        },
      ],
    });

    const pgImage = imageRef(IMAGES.postgresql, props.images);
    const rcloneImage = imageRef(IMAGES.rclone, props.images);
    const configMount = { name: "config", mountPath: CONF, readOnly: true };
    const dataMount = { name: "data", mountPath: DATA, readOnly: false };
    const tmp = { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false };
    const run = { name: "run", mountPath: "/var/run/postgresql", readOnly: false };
    const tools = { name: "platform-tools", mountPath: TOOLS, readOnly: true };
    const serviceFileEnv = { name: "PGSERVICEFILE", value: `${CONF}/pg_service.conf` };
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
        { name: "platform-tools", emptyDir: { sizeLimit: "128Mi" } },
        HEARTBEAT_VOLUME,
      ],
      volumeClaims: [{ name: "data", sizeGiB: storageGiB }],
      allowDestroy: props.allowDestroy ?? false,
      initContainers: [
        {
          // The rclone binary (static: CGO_ENABLED=0 in rclone's Dockerfile) for the server's restore_command.
          name: "platform-tools",
          image: rcloneImage,
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
          probes: {
            // Up to 30 minutes to start: cloning a primary or restoring a base backup happens before the server listens.
            startup: { check: { exec: { command: alive } }, failureThreshold: 180 },
            readiness: { check: { exec: { command: alive } } },
            liveness: { check: { exec: { command: alive } }, failureThreshold: 6 },
          },
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
        bucketUploader({
          image: rcloneImage,
          store: props.objectStore,
          sourceDir: OUTBOX,
          prefix: spec.name,
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

