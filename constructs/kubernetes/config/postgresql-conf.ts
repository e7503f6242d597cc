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
  /** Maximum client connections. @default 200 */
  readonly maxConnections?: number;
  /** Shared buffers. @default "256MB" */
  readonly sharedBuffers?: string;
  /**
   * Replication role of this server's configuration. A standby streams from `primaryHost` and
   * replays archived WAL only when streaming falls behind.
   * @default "primary"
   */
  readonly standby?: { readonly primaryHost: string; readonly passwordFile: string };
}

/** The directory `archive_command` fills with completed WAL segments by default. */
export const DEFAULT_WAL_ARCHIVE_DIRECTORY = "/var/lib/postgresql/data/wal-archive";

/**
 * postgresql.conf for the platform's PostgreSQL: TLS only (TLS 1.2+), SCRAM-SHA-256 passwords,
 * WAL archived for point-in-time recovery, streaming replication to a standby, connection logging.
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
    // The classic, documented form: never overwrite a segment already archived.
    ["archive_command", `test ! -f ${archive}/%f && cp %p ${archive}/%f`],
    ["archive_timeout", 300],
    // Audit trail of who connected.
    ["log_connections", true],
    ["log_disconnections", true],
    ["log_line_prefix", "%m [%p] %q%u@%d from %h "],
  ];
  if (options.standby) {
    // A standby: stream from the primary over TLS with certificate and host verification.
    const conninfo = [
      `host=${options.standby.primaryHost}`,
      `port=${options.port ?? 5432}`,
      `user=${options.replicationUser ?? "replicator"}`,
      `passfile=${options.standby.passwordFile}`,
      "sslmode=verify-full",
      `sslrootcert=${tls.caFile}`,
      "application_name=standby",
    ].join(" ");
    settings.push(["primary_conninfo", conninfo], ["restore_command", `cp ${archive}/%f %p`]);
  }
  return `${settings.map(([k, v]) => `${k} = ${confValue(v)}`).join("\n")}\n`;
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
