import { tlsFilesIn, VAULT_SECRETS_DIR, type TlsFiles } from "./paths";
import { serveWithTlsReload } from "./tls-reload";

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
    if (!/^[a-z][a-z0-9_-]*$/.test(u.name) || u.name === "default" || u.name === REDIS_TLS_RELOADER) {
      throw new Error(`Redis ACL user '${u.name}': use a lowercase name other than 'default' and '${REDIS_TLS_RELOADER}'`);
    }
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

/** The ACL user that may only run CONFIG SET, so the certificate watcher can make Redis re-read its TLS files. */
export const REDIS_TLS_RELOADER = "tls-reloader";

/** Where the Redis container keeps what it composes at start (an in-memory volume). */
export const REDIS_RUNTIME_DIR = "/run/redis";

/** Options of `redisServeScript`. */
export interface RedisServeOptions {
  /** The generated redis.conf; its `aclfile` must be `<runtimeDir>/users.acl`. */
  readonly confFile: string;
  /** The TLS port (the watcher connects to 127.0.0.1 on it). */
  readonly tlsPort: number;
  /** The TLS files redis.conf names; the watcher also connects with them. @default tlsFilesIn("/vault/secrets") */
  readonly tls?: TlsFiles;
  /** The application users rendered by Vault Agent (`redisAclFile`). @default "/vault/secrets/users.acl" */
  readonly usersAclFile?: string;
  /** Writable in-memory directory for the composed ACL file and the reloader's password. @default REDIS_RUNTIME_DIR */
  readonly runtimeDir?: string;
  /** @default TLS_RELOAD_INTERVAL_SECONDS (60) */
  readonly intervalSeconds?: number;
}

/**
 * The Redis container script: redis-server in the foreground, and a renewed certificate picked up with
 * no restart: `CONFIG SET tls-cert-file … tls-key-file … tls-ca-cert-file …` (all three at once, Redis
 * 7+) makes Redis load the files again even under the same names; open connections are kept.
 *
 * CONFIG needs a user: at every start the script makes a random password (never stored outside this
 * container's in-memory volume, never in Vault or state), and composes the ACL file from Vault's
 * users plus `tls-reloader`, which may run CONFIG SET and nothing else (protected configs stay
 * immutable: `enable-protected-configs no`). Application users still cannot run CONFIG.
 */
export function redisServeScript(o: RedisServeOptions): string {
  const tls = o.tls ?? tlsFilesIn();
  const run = o.runtimeDir ?? REDIS_RUNTIME_DIR;
  const password = `${run}/${REDIS_TLS_RELOADER}.password`;
  const cli = [
    `REDISCLI_AUTH="$(cat ${password})" redis-cli --tls --cacert ${tls.caFile} --cert ${tls.certFile} --key ${tls.keyFile}`,
    `-h 127.0.0.1 -p ${o.tlsPort} --user ${REDIS_TLS_RELOADER}`,
    `CONFIG SET tls-cert-file ${tls.certFile} tls-key-file ${tls.keyFile} tls-ca-cert-file ${tls.caFile} | grep -qx OK`,
  ].join(" ");
  return [
    "set -eu",
    "umask 077",
    `head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > ${password}`,
    `hash="$(sha256sum < ${password} | cut -d' ' -f1)"`,
    `{ cat ${o.usersAclFile ?? `${VAULT_SECRETS_DIR}/users.acl`}; echo "user ${REDIS_TLS_RELOADER} on #$hash resetkeys resetchannels -@all +config|set"; } > ${run}/users.acl`,
    serveWithTlsReload(`redis-server ${o.confFile}`, { watchFiles: [tls.certFile, tls.keyFile, tls.caFile], reload: cli, intervalSeconds: o.intervalSeconds }),
  ].join("\n");
}
