import { tlsFilesIn, VAULT_SECRETS_DIR, type TlsFiles } from "./paths";

/** Options of the generated redis.conf. Every default is the secure one. */
export interface RedisConfigOptions {
  /** Addresses to bind. @default "* -::*" (the pod's interfaces; NetworkPolicies decide who reaches them) */
  readonly bind?: string;
  /** The TLS port; the plaintext port is always 0 (closed). @default 6379 */
  readonly tlsPort?: number;
  /** The server's certificate, key and CA. @default tlsFilesIn("/vault/secrets") */
  readonly tls?: TlsFiles;
  /** The ACL users file (rendered by Vault Agent, see `redisAclFile`). @default "/vault/secrets/users.acl" */
  readonly aclFile?: string;
  /** Memory bound for the cache, in MiB. @default 512 */
  readonly maxMemoryMiB?: number;
  /** Working directory (nothing is persisted there: no RDB, no AOF). @default "/data" */
  readonly dir?: string;
}

/**
 * redis.conf for the preview cache: plaintext port closed, TLS 1.2+ with client certificates on every
 * connection (replication too), ACL users from a file with the default user off, bounded memory with
 * LRU eviction, and no persistence at all (it is a cache of 100-row previews: nothing to keep on disk).
 */
export function redisConf(options: RedisConfigOptions = {}): string {
  const tls = options.tls ?? tlsFilesIn();
  const lines = [
    `bind ${options.bind ?? "* -::*"}`,
    "protected-mode yes",
    // Plaintext closed; TLS only, mutual, for clients and replication alike.
    "port 0",
    `tls-port ${options.tlsPort ?? 6379}`,
    `tls-cert-file ${tls.certFile}`,
    `tls-key-file ${tls.keyFile}`,
    `tls-ca-cert-file ${tls.caFile}`,
    "tls-auth-clients yes",
    "tls-replication yes",
    "tls-cluster yes",
    'tls-protocols "TLSv1.2 TLSv1.3"',
    "tls-prefer-server-ciphers yes",
    // Authentication: users and their permissions live in the ACL file; the default user is off there.
    `aclfile ${options.aclFile ?? `${VAULT_SECRETS_DIR}/users.acl`}`,
    // A cache: bounded, evicts least-recently-used keys of any kind.
    `maxmemory ${options.maxMemoryMiB ?? 512}mb`,
    "maxmemory-policy allkeys-lru",
    // Persistence off: no RDB snapshots, no append-only file.
    'save ""',
    "appendonly no",
    `dir ${options.dir ?? "/data"}`,
    // Neither DEBUG nor MODULE commands can be enabled at run time.
    "enable-debug-command no",
    "enable-module-command no",
    "enable-protected-configs no",
    "loglevel notice",
  ];
  return `${lines.join("\n")}\n`;
}

/** One ACL user of the cache. */
export interface RedisAclUser {
  /** User name, e.g. "atlas". */
  readonly name: string;
  /**
   * SHA-256 of the password, hex: a Vault Agent template expression in the cluster (the password
   * lives only in Vault), a concrete hash in tests. Never the password itself.
   */
  readonly passwordSha256: string;
  /** Key patterns the user may touch. @default ["preview:*"] */
  readonly keyPatterns?: readonly string[];
}

/**
 * Commands no application user may run: administration, scripting that could bypass key patterns,
 * flushing the cache, and introspection of other clients. The dangerous category covers CONFIG,
 * DEBUG, SHUTDOWN, FLUSHALL/FLUSHDB, KEYS, MONITOR, ACL, REPLICAOF, MIGRATE and friends.
 */
export const REDIS_DENIED = ["-@dangerous", "-@admin", "-@scripting", "-@pubsub"] as const;

/**
 * The ACL users file: `default` is disabled with no password and no permissions; each application
 * user may run only data commands on its key patterns, with dangerous commands denied.
 */
export function redisAclFile(users: readonly RedisAclUser[]): string {
  const lines = ["user default off resetkeys resetchannels -@all"];
  for (const u of users) {
    if (!/^[a-z][a-z0-9_-]*$/.test(u.name) || u.name === "default") throw new Error(`Redis ACL user '${u.name}': use a lowercase name other than 'default'`);
    const keys = (u.keyPatterns ?? ["preview:*"]).map((k) => `~${k}`).join(" ");
    lines.push(`user ${u.name} on #${u.passwordSha256} resetchannels ${keys} +@all ${REDIS_DENIED.join(" ")}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * How long a cached preview lives: the application writes `preview:*` keys with this TTL (SET ... EX).
 * One hour keeps a revisited preview fast while sampled rows never linger past the working session.
 */
export const PREVIEW_TTL_SECONDS = 3600;
