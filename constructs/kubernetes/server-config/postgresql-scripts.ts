import { WITH_PASSWD_ENTRY } from "./passwd-entry";
import { postgresqlServe, primaryConninfo } from "./postgresql-conf";

/**
 * The shell scripts of the platform's PostgreSQL pods (mounted from its ConfigMap): the server's start
 * script (initdb once, clone a primary, fence a former primary, restore from the bucket), the base-backup
 * round, and `request-restore.sh`. Plain text: the construct (postgresql.ts) mounts and runs them.
 */

/** Paths inside the PostgreSQL pod. */
export const POSTGRESQL_PATHS = {
  /** The data volume. */
  data: "/var/lib/postgresql/data",
  pgdata: "/var/lib/postgresql/data/pgdata",
  /** WAL segments and base backups waiting for the uploader. */
  outbox: "/var/lib/postgresql/data/outbox",
  /** What the backup container remembers across restarts: the timeline of the last base backup. */
  backupState: "/var/lib/postgresql/data/backup-state",
  /** Written by `request-restore.sh`, consumed by the start script. */
  restoreRequest: "/var/lib/postgresql/data/restore.request",
  /** Marks a volume whose cluster was initialised here once: pod 0 never runs initdb on it again. */
  initialized: "/var/lib/postgresql/data/initdb.done",
  /** The ConfigMap: postgresql.conf, pg_hba.conf, pg_service.conf and the scripts. */
  conf: "/etc/postgresql",
  secrets: "/vault/secrets",
  /** rclone, copied from its image by an init container: the server's restore_command fetches archived WAL with it. */
  tools: "/opt/platform-tools",
} as const;

const DATA = POSTGRESQL_PATHS.data;
const PGDATA = POSTGRESQL_PATHS.pgdata;
const OUTBOX = POSTGRESQL_PATHS.outbox;
const BACKUP_STATE = POSTGRESQL_PATHS.backupState;
const RESTORE_REQUEST = POSTGRESQL_PATHS.restoreRequest;
const INITIALIZED = POSTGRESQL_PATHS.initialized;
const CONF = POSTGRESQL_PATHS.conf;
const SECRETS = POSTGRESQL_PATHS.secrets;

/** The libpq service of the local server (the in-pod backup container connects through it). */
export const POSTGRESQL_LOCAL_SERVICE = "local";
/** Physical replication slot of the standby with ordinal `$ORDINAL` on whichever pod is its primary. */
const SLOT = "standby_$ORDINAL";

/** Options of postgresqlStartScript. */
export interface PostgresqlStartOptions {
  /** The service's name: pods are `<name>-<ordinal>`, each a service of pg_service.conf. */
  readonly name: string;
  readonly replicas: number;
  /** The rclone remote of this service's backups, e.g. `bucket:$PLATFORM_BUCKET/postgresql` (base backups under `base/`). */
  readonly bucket: string;
  /** The rclone binary. */
  readonly rclone: string;
}

/**
 * start.sh of the `postgresql` container: restores what `request-restore.sh` asked for, fences a former
 * primary that finds a promoted peer (its data kept aside, never deleted), clones the current primary
 * into an empty volume (only pod 0 initialises, once per volume), then serves, as a standby of the
 * primary found when one answers.
 */
export function postgresqlStartScript(o: PostgresqlStartOptions): string {
  return [
    "set -eu",
    // initdb and single-user mode need a passwd entry for the pod's UID, which the image does not have.
    WITH_PASSWD_ENTRY,
    'ORDINAL="${HOSTNAME##*-}"',
    `PGDATA=${PGDATA}`,
    "",
    "# The peer that answers as a writable server (its service name in pg_service.conf), or nothing.",
    "current_primary() {",
    `  for i in $(seq 0 ${o.replicas - 1}); do`,
    '    [ "$i" = "$ORDINAL" ] && continue',
    `    if [ "$(psql "service=${o.name}-$i" -XAtqc "select pg_is_in_recovery()" 2>/dev/null)" = "f" ]; then echo "${o.name}-$i"; return 0; fi`,
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
    `    base="$(${o.rclone} lsf --dirs-only "${o.bucket}/base" --config /dev/null | sort | tail -n 1 | tr -d /)"`,
    "  fi",
    '  case "$base" in "" | *[!0-9TZ]*) echo "restore: no base backup \'$base\' in the bucket" >&2; exit 1 ;; esac',
    `  work=${DATA}/restore-work`,
    '  rm -rf "$work" && mkdir -p "$work/pgdata"',
    `  ${o.rclone} copy "${o.bucket}/base/$base" "$work/download" --config /dev/null`,
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
}

/** Options of postgresqlBaseBackupRound. */
export interface PostgresqlBaseBackupOptions {
  /** Hour (UTC, 0-23) of the daily base backup. */
  readonly hourUtc: number;
}

/**
 * One round of the `base-backup` container (the body of a scheduledLoop round): archiving health on
 * every pod; base backups on whichever pod is the primary: the first on each timeline (a new cluster, a
 * promotion, a restore), then daily at `hourUtc`, and any overdue one at once.
 */
export function postgresqlBaseBackupRound(o: PostgresqlBaseBackupOptions): string {
  const hh = String(o.hourUtc).padStart(2, "0");
  return [
    `  state="$(psql service=${POSTGRESQL_LOCAL_SERVICE} -XAtqc "select pg_is_in_recovery(), coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false), coalesce(last_failed_wal, ''), coalesce(last_failed_time::text, '') from pg_stat_archiver")" || {`,
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
    `  pg_basebackup --pgdata=${DATA}/base-tmp/$stamp --format=tar --gzip --wal-method=fetch --checkpoint=fast --dbname=service=${POSTGRESQL_LOCAL_SERVICE} || return 1`,
    // Into the outbox only when complete: the uploader takes whatever appears there.
    `  mv ${DATA}/base-tmp/$stamp ${OUTBOX}/base/$stamp || return 1`,
    '  echo "$tl" > "$last.new" && mv "$last.new" "$last"',
    '  echo "base backup $stamp ($due) is in the outbox"',
  ].join("\n");
}

/** request-restore.sh: records what the next start restores (a base backup up to a time, or a fresh standby). */
export function postgresqlRequestRestoreScript(): string {
  return [
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
}
