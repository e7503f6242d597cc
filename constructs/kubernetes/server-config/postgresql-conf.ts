import { tlsFilesIn, type TlsFiles } from "./paths";
import { SIGHUP_RELOAD, serveWithTlsReload } from "./tls-reload";

/** Options of the generated postgresql.conf and pg_hba.conf. Every default is the secure one. */
export interface PostgresqlConfigOptions {
  /** Addresses the server listens on. @default "*" (the pod's interfaces; NetworkPolicies decide who reaches them) */
  readonly listenAddresses?: string;
  /** TCP port. @default 5432 */
  readonly port?: number;
  /** The server's certificate, key and the CA (rendered by Vault Agent). @default tlsFilesIn("/vault/secrets") */
  readonly tls?: TlsFiles;
  /**
   * Directory for the Unix socket, or "" for none.
   * @default "" - no Unix socket: every connection, even a local one, goes through `hostssl` rules
   */
  readonly unixSocketDirectory?: string;
  /** Networks clients connect from (pg_hba `hostssl` lines). @default ["0.0.0.0/0"] - any address, TLS and SCRAM still required */
  readonly clientCidrs?: readonly string[];
  /** Role used by standbys and base backups for the replication protocol. @default "replicator" */
  readonly replicationUser?: string;
  /**
   * Directory WAL segments are copied to by `archive_command`; a sidecar moves them to the
   * platform bucket (rclone). Kept on the data volume so an upload outage never loses a segment.
   * @default "/var/lib/postgresql/data/wal-archive"
   */
  readonly walArchiveDirectory?: string;
  /**
   * `restore_command`: how a server in recovery (a standby that cannot stream, a point-in-time restore)
   * fetches an archived segment `%f` into `%p`. Must fail when the segment does not exist.
   * @default - a copy from `walArchiveDirectory` (`cp <dir>/%f %p`)
   */
  readonly walRestoreCommand?: string;
  /** Maximum client connections. @default 200 */
  readonly maxConnections?: number;
  /** Shared buffers. @default "256MB" */
  readonly sharedBuffers?: string;
  /**
   * WAL a replication slot may hold back for a standby that is away (`max_slot_wal_keep_size`). Past it
   * the slot is invalidated and the standby catches up from the archive (`walRestoreCommand`) instead;
   * it bounds the disk a dead standby can fill.
   * @default "10GB"
   */
  readonly maxSlotWalKeepSize?: string;
  /**
   * A file read last, if it exists (`include_if_exists`): the recovery target of a point-in-time
   * restore, written by the start script for that one recovery.
   * @default - none
   */
  readonly includeIfExists?: string;
}

/** The directory `archive_command` fills with completed WAL segments by default. */
export const DEFAULT_WAL_ARCHIVE_DIRECTORY = "/var/lib/postgresql/data/wal-archive";

/**
 * postgresql.conf for the platform's PostgreSQL: TLS only (TLS 1.2+), SCRAM-SHA-256 passwords,
 * WAL archived for point-in-time recovery and restored from the archive in recovery, streaming
 * replication with a bound on what a replication slot may hold back, connection logging. The same file
 * serves the primary and the standbys (a standby is a server started with `standby.signal` and
 * `primary_conninfo`).
 */
export function postgresqlConf(options: PostgresqlConfigOptions = {}): string {
  const tls = options.tls ?? tlsFilesIn();
  const archive = options.walArchiveDirectory ?? DEFAULT_WAL_ARCHIVE_DIRECTORY;
  const settings: [string, string | number | boolean][] = [
    ["listen_addresses", options.listenAddresses ?? "*"],
    ["port", options.port ?? 5432],
    ["unix_socket_directories", options.unixSocketDirectory ?? ""],
    ["max_connections", options.maxConnections ?? 200],
    ["shared_buffers", options.sharedBuffers ?? "256MB"],
    // Encryption in transit: the server refuses anything below TLS 1.2 (pg_hba refuses non-TLS).
    ["ssl", true],
    ["ssl_cert_file", tls.certFile],
    ["ssl_key_file", tls.keyFile],
    ["ssl_ca_file", tls.caFile],
    ["ssl_min_protocol_version", "TLSv1.2"],
    ["ssl_prefer_server_ciphers", true],
    ["ssl_ciphers", "HIGH:!aNULL:!MD5:!3DES:!RC4"],
    // Passwords are stored as SCRAM verifiers, never MD5.
    ["password_encryption", "scram-sha-256"],
    // Replication and point-in-time recovery.
    ["wal_level", "replica"],
    ["max_wal_senders", 10],
    ["max_replication_slots", 10],
    ["wal_keep_size", "1GB"],
    ["hot_standby", true],
    ["archive_mode", true],
    // Never overwrite a segment already archived (an identical copy counts as done: PostgreSQL retries a
    // segment whose archiving it had not yet recorded), and rename into place only when complete: the
    // uploader moves files as soon as they appear and never takes `*.partial`. The directory is
    // (re)created: nothing may stop archiving but a full disk.
    ["archive_command", walArchiveCommand(archive)],
    ["archive_timeout", 300],
    ["restore_command", options.walRestoreCommand ?? `cp ${archive}/%f %p`],
    // A standby that is away keeps its slot's WAL on the primary up to this bound, then falls back to the archive.
    ["max_slot_wal_keep_size", options.maxSlotWalKeepSize ?? "10GB"],
    // Audit trail of who connected.
    ["log_connections", true],
    ["log_disconnections", true],
    ["log_line_prefix", "%m [%p] %q%u@%d from %h "],
  ];
  if (options.includeIfExists) settings.push(["include_if_exists", options.includeIfExists]);
  return `${settings.map(([k, v]) => `${k} = ${confValue(v)}`).join("\n")}\n`;
}

/** `archive_command` copying `%p` into `dir` under its own name `%f`: see postgresqlConf. */
export function walArchiveCommand(dir: string): string {
  return `mkdir -p ${dir} && f=${dir}/%f && if [ -f "$f" ]; then cmp -s %p "$f"; else cp %p "$f.partial" && mv "$f.partial" "$f"; fi`;
}

/**
 * The `primary_conninfo` of a standby streaming from `service` (an entry of the pods' libpq service
 * file, which carries host, port, user, TLS verification and the password file).
 */
export function primaryConninfo(service: string, applicationName: string): string {
  return `service=${service} application_name=${applicationName}`;
}

/** One entry of a libpq service file: where a server is and how it is verified. */
export interface PgServiceEntry {
  /** Section name, used as `service=<name>` in a conninfo. */
  readonly name: string;
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** `verify-full` checks the host name against the certificate; `verify-ca` only the chain (loopback). */
  readonly sslmode: "verify-full" | "verify-ca";
}

/** Connection settings every entry of the service file shares. */
export interface PgServiceCommon {
  readonly user: string;
  /** The libpq password file (mode 0600 or stricter: libpq ignores a looser one). */
  readonly passfile: string;
  readonly sslrootcert: string;
  /** @default "postgres" (ignored by replication connections) */
  readonly dbname?: string;
  /** @default 5 */
  readonly connectTimeoutSeconds?: number;
}

/**
 * A libpq connection service file (`PGSERVICEFILE`; PostgreSQL docs "The Connection Service File"):
 * scripts, `pg_basebackup` and a standby's `primary_conninfo` name a server by `service=<name>` and get
 * its host, port, user, password file and TLS verification from here, so no connection detail is
 * repeated in a script. TLS is always required and verified.
 */
export function pgServiceFile(entries: readonly PgServiceEntry[], common: PgServiceCommon): string {
  return entries
    .map((e) =>
      [
        `[${e.name}]`,
        `host=${e.host}`,
        `port=${e.port ?? 5432}`,
        `user=${common.user}`,
        `dbname=${common.dbname ?? "postgres"}`,
        `passfile=${common.passfile}`,
        `sslmode=${e.sslmode}`,
        `sslrootcert=${common.sslrootcert}`,
        `connect_timeout=${common.connectTimeoutSeconds ?? 5}`,
        "",
      ].join("\n"),
    )
    .join("\n");
}

/**
 * pg_hba.conf: non-TLS connections are rejected outright, every TLS connection authenticates with
 * SCRAM-SHA-256. No `host`, `local` or `trust` line exists.
 */
export function pgHbaConf(options: PostgresqlConfigOptions = {}): string {
  const cidrs = options.clientCidrs ?? ["0.0.0.0/0"];
  const replication = options.replicationUser ?? "replicator";
  const lines = [
    "# TYPE     DATABASE     USER         ADDRESS          METHOD",
    // Explicit refusal of plaintext, before anything else can match.
    "hostnossl  all          all          0.0.0.0/0        reject",
    "hostnossl  all          all          ::/0             reject",
    ...cidrs.map((c) => `hostssl    replication  ${replication.padEnd(12)} ${c.padEnd(16)} scram-sha-256`),
    ...cidrs.map((c) => `hostssl    all          all          ${c.padEnd(16)} scram-sha-256`),
  ];
  return `${lines.join("\n")}\n`;
}

function confValue(v: string | number | boolean): string {
  if (typeof v === "boolean") return v ? "on" : "off";
  if (typeof v === "number") return String(v);
  return `'${v.replace(/'/g, "''")}'`;
}

/** Passwords of the bootstrap roles: Vault Agent template expressions in the cluster, literals in tests. */
export interface PostgresqlBootstrapPasswords {
  /** Of `replicator` (standbys and base backups). */
  readonly replication: string;
  /**
   * Initial password of `vault_admin`, the login Vault's database secrets engine manages dynamic users
   * with; Vault rotates it (rotate-root) right after the first apply, after which only Vault knows it.
   */
  readonly vaultAdmin: string;
}

/**
 * Databases the platform keeps in PostgreSQL, each owned by the NOLOGIN group role that Vault's dynamic
 * users join (DATABASE_ROLES of the vault-config stack).
 */
export const POSTGRESQL_DATABASES = [
  { name: "keycloak", owner: "keycloak_app" },
  { name: "metrics", owner: "data_quality_writer" },
] as const;

/**
 * SQL run once, in single-user mode (no network listener), right after initdb on the primary: the
 * replication role, the login Vault's database engine uses (`vault_admin`), and the platform's databases
 * owned by group roles. Vault's dynamic users join those roles; no application password is here.
 * One statement per line (single-user mode ends a statement at the newline).
 */
export function postgresqlBootstrapSql(p: PostgresqlBootstrapPasswords, replicationUser = "replicator"): string {
  const lines = [
    `CREATE ROLE ${replicationUser} WITH LOGIN REPLICATION PASSWORD '${p.replication}';`,
    `CREATE ROLE vault_admin WITH LOGIN CREATEROLE PASSWORD '${p.vaultAdmin}';`,
    ...POSTGRESQL_DATABASES.flatMap(({ name, owner }) => [
      `CREATE ROLE ${owner} NOLOGIN;`,
      `CREATE DATABASE ${name} OWNER ${owner};`,
      `REVOKE ALL ON DATABASE ${name} FROM PUBLIC;`,
      // Vault grants the role to the users it creates, and takes their objects back on revocation.
      `GRANT ${owner} TO vault_admin WITH ADMIN OPTION;`,
    ]),
  ];
  return `${lines.join("\n")}\n`;
}

/** Options of `postgresqlServe`. */
export interface PostgresqlServeOptions {
  /** Arguments of `postgres` (shell words), e.g. `-D /data -c config_file="$CONF_FILE"`. */
  readonly args: string;
  /** The TLS files postgresql.conf names. @default tlsFilesIn("/vault/secrets") */
  readonly tls?: TlsFiles;
  /** @default TLS_RELOAD_INTERVAL_SECONDS (60) */
  readonly intervalSeconds?: number;
  /** @default "postgres" */
  readonly postgresBinary?: string;
}

/**
 * The end of PostgreSQL's start script: the postmaster in the foreground, and a renewed certificate
 * picked up with no restart: SIGHUP (`pg_ctl reload`) makes PostgreSQL 10+ re-read ssl_cert_file,
 * ssl_key_file and ssl_ca_file for new connections; sessions already open go on. A pair that fails
 * to load leaves the previous one in use (the server logs it).
 */
export function postgresqlServe(o: PostgresqlServeOptions): string {
  const tls = o.tls ?? tlsFilesIn();
  return serveWithTlsReload(`${o.postgresBinary ?? "postgres"} ${o.args}`, {
    watchFiles: [tls.certFile, tls.keyFile, tls.caFile],
    reload: SIGHUP_RELOAD,
    intervalSeconds: o.intervalSeconds,
  });
}
