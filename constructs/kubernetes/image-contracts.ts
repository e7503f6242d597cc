import type { ImageName } from "./images";

/**
 * What each pinned image does when it runs, as data, next to the pins in images.ts: the user it runs
 * as, the commands it offers and whether the process they start stays in the foreground (a container
 * whose first process exits is restarted forever), the paths it writes (every one must be a writable
 * mount: the root filesystem is read-only), where it decides its listening address, and the
 * environment it reads. Each fact names its upstream source: repository, file and release.
 *
 * The images cannot run here, so __tests__/kubernetes/image-contracts.test.ts holds every container
 * of every synthesized pod of every shipped deployment against this table. Bump an image, re-read its
 * sources, update its contract.
 */

/** Where a fact comes from: an upstream repository, a file in it, and the release it was read at. */
export interface UpstreamSource {
  /** e.g. "github.com/docker-library/postgres". */
  readonly repo: string;
  /** Path in the repository, or a documentation URL. */
  readonly file: string;
  /** Tag or version the file was read at. */
  readonly release: string;
}

/** A command the image offers and what its first process does. */
export interface Launcher {
  /** Regular expression over the container's command line, with the text of the script it runs (inline or from a mounted ConfigMap). */
  readonly match: string;
  /** The process it starts stays the container's main process until the server stops. */
  readonly foreground: boolean;
  /** Why this command runs correctly under any non-root UID (the pod's), when it does. @default - the image's user only */
  readonly anyUid?: string;
  readonly why: string;
  readonly source: UpstreamSource;
}

/** A path the image writes while it runs. */
export interface WrittenPath {
  /** Absolute path, or the default when `setBy` is given. */
  readonly path: string;
  /**
   * What moves it: an environment variable (`env:NAME`), a JVM system property (`jvm:name`), the home a
   * launcher is started from (`home-of:bin/kc.sh`: the directory above bin/), or Vault Agent's template
   * destinations (`agent-destinations`, from its -config file). @default - fixed
   */
  readonly setBy?: string;
  /** Only when the container's command matches this launcher's `match`. @default - always */
  readonly onlyWith?: string;
  readonly why: string;
  readonly source: UpstreamSource;
}

/** Where the image decides the address and port it listens on (read from the rendered configuration by the test). */
export interface ListenerSetting {
  /** The configuration file and key, e.g. "atlas-application.properties atlas.server.bind.address". */
  readonly setting: string;
  /** Address used when the setting is absent: "0.0.0.0" (every interface) or "127.0.0.1". */
  readonly defaultAddress: string;
  readonly source: UpstreamSource;
}

/** The runtime contract of one image. */
export interface RuntimeContract {
  /**
   * The image's own user; `anyUid` says why the image runs correctly as any non-root UID and GID (the pod's,
   * WORKLOAD_IDS: at least 10000, policy K8S-26). An image without it runs as its own user only, and its
   * workload carries a K8S-26 suppression giving the reason.
   */
  readonly user: { readonly uid: number; readonly gid: number; readonly anyUid?: string; readonly source: UpstreamSource };
  /** The image's ENTRYPOINT + CMD, for containers that do not set a command. */
  readonly entrypoint: string;
  readonly launchers: readonly Launcher[];
  readonly writes: readonly WrittenPath[];
  readonly listens: readonly ListenerSetting[];
  /** Environment variables the image reads, with their meaning. A variable set on a container but absent here is read by nobody. */
  readonly env: Readonly<Record<string, string>>;
}

const ATLAS_RELEASE = "release-2.5.0";
const atlasSrc = (file: string): UpstreamSource => ({ repo: "github.com/apache/atlas", file, release: ATLAS_RELEASE });
const recipe = (file: string): UpstreamSource => ({ repo: "this repository", file, release: "images/atlas (Atlas 2.5.0)" });
const vaultSrc = (file: string): UpstreamSource => ({ repo: "github.com/hashicorp/vault", file, release: "v1.18.3" });
const baoSrc = (file: string): UpstreamSource => ({ repo: "github.com/openbao/openbao", file, release: "v2.1.0" });
const pgSrc = (file: string): UpstreamSource => ({ repo: "github.com/docker-library/postgres", file, release: "16.6 (16/bookworm)" });
const pgDocs = (file: string): UpstreamSource => ({ repo: "postgresql.org/docs/16", file, release: "16" });
const redisSrc = (file: string): UpstreamSource => ({ repo: "github.com/docker-library/redis", file, release: "7.4.1 (7.4/debian)" });
const kcSrc = (file: string): UpstreamSource => ({ repo: "github.com/keycloak/keycloak", file, release: "26.3.3" });
const esSrc = (file: string): UpstreamSource => ({ repo: "github.com/elastic/elasticsearch", file, release: "v8.17.0" });
const cassSrc = (file: string): UpstreamSource => ({ repo: "github.com/docker-library/cassandra", file, release: "4.1.7 (4.1/Dockerfile)" });
const cassConf = (file: string): UpstreamSource => ({ repo: "github.com/apache/cassandra", file, release: "cassandra-4.1.7" });
const nginxSrc = (file: string): UpstreamSource => ({ repo: "github.com/nginxinc/docker-nginx-unprivileged", file, release: "1.27.3 (mainline/alpine)" });
const nginxDocs = (file: string): UpstreamSource => ({ repo: "nginx.org/en/docs", file, release: "1.27" });
const rcloneSrc = (file: string): UpstreamSource => ({ repo: "github.com/rclone/rclone", file, release: "v1.68.2" });
const cfsslSrc = (file: string): UpstreamSource => ({ repo: "github.com/cloudflare/cfssl", file, release: "v1.6.5" });
const platform = (file: string): UpstreamSource => ({ repo: "this repository", file, release: "-" });
/** The platform's in-pod schedulers (backups, maintenance, registration): a loop that never returns. */
const scheduledLoop: Launcher = { match: "^while true; do$", foreground: true, why: "scheduledLoop: runs a round, sleeps, forever", source: platform("constructs/kubernetes/platform-pod.ts (scheduledLoop)") };

/** Vault's and OpenBao's server and agent: the same binary, the same behaviour. */
function vaultLike(bin: "vault" | "bao", src: (file: string) => UpstreamSource, envPrefix: "VAULT" | "BAO"): RuntimeContract {
  return {
    // Alpine `adduser -S -G vault vault`: the first system user (100) in the group created before it (1000).
    user: {
      uid: 100,
      gid: 1000,
      anyUid: `a static Go binary started directly (not through docker-entrypoint.sh, which only switches user when run as root); it needs no passwd entry and writes only its mounted volumes (raft storage, audit, template destinations) and /tmp`,
      source: src("Dockerfile (addgroup/adduser; ENTRYPOINT docker-entrypoint.sh) and .release/docker/docker-entrypoint.sh (su-exec only when id -u is 0)"),
    },
    entrypoint: `docker-entrypoint.sh server -dev`,
    launchers: [
      { match: `^${bin} server `, foreground: true, why: "the server runs in the calling process until it is stopped", source: src("command/server.go") },
      {
        // constructs/vault/vault-server.ts vaultServeScript: `sh -c 'echo $$ > pidfile; exec vault server …' &`, then waits for it.
        match: `exec ${bin} server `,
        foreground: true,
        why: "the platform's serve script runs the server (exec'd in a child shell) and waits for it, forwarding signals",
        source: src("command/server.go"),
      },
      {
        match: `^${bin} agent `,
        foreground: true,
        why: "the agent runs until stopped; with exit_after_auth it renders once and exits (init containers only)",
        anyUid: "a static Go binary that reads its -config and writes only its template destinations (the pod's in-memory secrets volume), so the files belong to the application's user",
        source: src("command/agent.go"),
      },
      {
        // constructs/kubernetes/vault-agent.ts: a shell runs the certificate template's exec over a bundle left by an earlier run, then `exec`s the agent.
        match: `^exec ${bin} agent `,
        foreground: true,
        why: "the start shell replaces itself with the agent, which runs until stopped (exits after one render with exit_after_auth: init containers only)",
        anyUid: "busybox sh and applets that write only the agent's template destinations, then the agent (a static Go binary)",
        source: src("command/agent.go"),
      },
    ],
    writes: [
      { path: "/vault/data", onlyWith: `(^|exec )${bin} server `, why: "raft storage.path in the rendered server configuration", source: src("physical/raft/raft.go") },
      { path: "/vault/audit", onlyWith: `(^|exec )${bin} server `, why: "the file audit device (vault-config stack) writes here", source: src("builtin/audit/file/backend.go") },
      { path: "/vault/secrets", setBy: "agent-destinations", onlyWith: `^(exec )?${bin} agent `, why: "template destinations of the agent configuration (-config file)", source: src("command/agent/config/config.go") },
    ],
    listens: [{ setting: "vault.json listener.tcp.address", defaultAddress: "127.0.0.1", source: src("command/server/listener_tcp.go (default 127.0.0.1:8200)") }],
    env: {
      [`${envPrefix}_API_ADDR`]: "address advertised to clients",
      [`${envPrefix}_CLUSTER_ADDR`]: "address advertised to raft peers",
      [`${envPrefix}_RAFT_NODE_ID`]: "raft node id",
      [`${envPrefix}_ADDR`]: "CLI target",
      [`${envPrefix}_CACERT`]: "CLI CA file",
      HOME: "token helper file (~/.vault-token) of the CLI",
      POD_NAME: "used only to compose the variables above (Kubernetes $(VAR) expansion)",
    },
  };
}

/** The runtime contract of every image in IMAGES. */
export const IMAGE_CONTRACTS: Readonly<Record<ImageName, RuntimeContract>> = {
  vault: vaultLike("vault", vaultSrc, "VAULT"),
  openbao: vaultLike("bao", baoSrc, "BAO"),
  tlsBootstrap: {
    // The cfssl image declares no USER (root); cfssl/cfssljson are static Go binaries with no home.
    user: { uid: 0, gid: 0, anyUid: "static Go binaries; the Job's script writes only to its workingDir", source: cfsslSrc("Dockerfile") },
    entrypoint: "cfssl",
    launchers: [{ match: "^/bin/sh /bootstrap/bootstrap\\.sh", foreground: true, why: "a one-shot script of a Job: runs to completion", source: cfsslSrc("cmd/cfssljson/cfssljson.go (writes <name>.pem to the working directory)") }],
    writes: [{ path: "/work", why: "cfssljson -bare writes its files to the working directory", source: cfsslSrc("cmd/cfssljson/cfssljson.go") }],
    listens: [],
    env: {},
  },
  postgresql: {
    user: {
      uid: 999,
      gid: 999,
      anyUid: "the image supports --user with any UID: initdb and single-user mode need a passwd entry, which nss_wrapper (shipped in the image for this) provides (the platform's with_passwd_entry, as the entrypoint's docker_init_database_dir); the postmaster, psql and pg_basebackup need none; the data directory is created by that UID, so the postmaster's ownership check holds (postgresql-uid.test.ts runs it)",
      source: pgSrc("16/bookworm/Dockerfile (libnss-wrapper; useradd --uid=999) and docker-entrypoint.sh (docker_init_database_dir: \"initdb is particular about the current user existing in /etc/passwd\")"),
    },
    entrypoint: "docker-entrypoint.sh postgres",
    launchers: [
      scheduledLoop,
      { match: "exec postgres |postgres -D |\\bpostgres\\b.*-c config_file", foreground: true, why: "the postmaster runs in the foreground unless started through pg_ctl", source: pgDocs("app-postgres.html") },
      { match: "pg_ctl( .*)? start", foreground: false, why: "pg_ctl start forks the postmaster and returns", source: pgDocs("app-pg-ctl.html") },
    ],
    writes: [
      { path: "/var/lib/postgresql/data/pgdata", setBy: "env:PGDATA", onlyWith: "\\bpostgres\\b.*-c config_file|postgres -D ", why: "the data directory (initdb, WAL, postmaster.pid)", source: pgSrc("16/bookworm/Dockerfile (ENV PGDATA)") },
      { path: "/var/lib/postgresql/data/outbox", why: "archive_command and base backups of this platform (postgresql.conf)", source: pgDocs("runtime-config-wal.html#GUC-ARCHIVE-COMMAND") },
      { path: "/var/run/postgresql", onlyWith: "\\bpostgres\\b.*-c config_file|postgres -D ", why: "the image's runtime directory (lock files of the default socket directory)", source: pgSrc("16/bookworm/Dockerfile (mkdir -p /var/run/postgresql)") },
      { path: "/tmp", why: "libpq clients and sort spill of tools", source: pgDocs("libpq-envars.html") },
    ],
    listens: [{ setting: "postgresql.conf listen_addresses", defaultAddress: "127.0.0.1", source: pgDocs("runtime-config-connection.html#GUC-LISTEN-ADDRESSES (default localhost)") }],
    env: {
      PGDATA: "data directory",
      NAMESPACE: "read by the platform's start script only",
      PGSERVICEFILE: "libpq's connection service file (psql, pg_basebackup, the standby's walreceiver)",
      "RCLONE_CONFIG_BUCKET_*": "the remote `bucket:` of the rclone the platform's restore_command runs (copied from the rclone image)",
      PLATFORM_BUCKET: "read by the platform's restore_command and start script only",
    },
  },
  redis: {
    user: {
      uid: 999,
      gid: 999,
      anyUid: "redis-server needs no passwd entry; the entrypoint changes user only when started as root (\"allow the container to be started with --user\"), and the platform starts redis-server itself; it writes only /data, /run/redis and /tmp (mounts)",
      source: redisSrc("7.4/debian/Dockerfile (useradd -u 999 redis) and docker-entrypoint.sh (gosu only when id -u is 0)"),
    },
    entrypoint: "docker-entrypoint.sh redis-server",
    launchers: [
      { match: "redis-server", foreground: true, why: "daemonize defaults to no", source: { repo: "github.com/redis/redis", file: "redis.conf (daemonize no)", release: "7.4.1" } },
      { match: "daemonize yes", foreground: false, why: "redis forks into the background", source: { repo: "github.com/redis/redis", file: "redis.conf", release: "7.4.1" } },
    ],
    writes: [
      { path: "/data", why: "`dir` of redis.conf (RDB/AOF when enabled; the working directory)", source: redisSrc("7.4/debian/Dockerfile (WORKDIR /data)") },
      { path: "/run/redis", why: "the platform's start script composes the ACL file here (REDIS_RUNTIME_DIR)", source: platform("constructs/kubernetes/server-config/redis-conf.ts") },
      { path: "/tmp", why: "temporary files of the start script", source: redisSrc("docker-entrypoint.sh") },
    ],
    listens: [{ setting: "redis.conf bind", defaultAddress: "0.0.0.0", source: { repo: "github.com/redis/redis", file: "redis.conf (bind * -::* when unset: all interfaces)", release: "7.4.1" } }],
    env: {},
  },
  keycloak: {
    user: {
      uid: 1000,
      gid: 0,
      anyUid: "built for arbitrary UIDs: /opt/keycloak is owned 1000:0 with g+rwX and world-readable (the distribution's modes: 0644 files, 0755 directories and bin/), so the build init container of any UID copies it into the pod's own writable home, and kc.sh and the JVM need no passwd entry",
      source: kcSrc("quarkus/container/Dockerfile (chown 1000:0; chmod -R g+rwX /opt/keycloak) and quarkus/dist/assembly.xml (bin/ fileMode 0755; maven-assembly-plugin defaults 0644/0755)"),
    },
    entrypoint: "/opt/keycloak/bin/kc.sh",
    launchers: [
      { match: "kc\\.sh (--[^ ]+ )*start( |$)", foreground: true, why: "kc.sh execs the Quarkus server in the foreground", source: kcSrc("quarkus/dist/src/main/content/bin/kc.sh") },
      { match: "kc\\.sh (--[^ ]+ )*build( |$)", foreground: true, why: "a build that runs to completion (init container)", source: kcSrc("quarkus/dist/src/main/content/bin/kc.sh") },
      {
        match: "^while true; do$",
        foreground: true,
        why: "realm-sync: a bash loop that runs kcadm.sh (the admin CLI: a client that exits after each call) and sleeps, forever",
        source: kcSrc("quarkus/dist/src/main/content/bin/kcadm.sh"),
      },
    ],
    writes: [
      { path: "/tmp", onlyWith: "kcadm\\.sh", why: "realm-sync's --config file, truststore and state (its work directory)", source: kcSrc("integration/admin-cli/src/main/java/org/keycloak/client/admin/cli/KcAdmMain.java (--config)") },
      { path: "/opt/keycloak", setBy: "home-of:bin/kc.sh", onlyWith: "kc\\.sh (--[^ ]+ )*(start|build)( |$)", why: "kc.sh build rewrites lib/quarkus; the server writes data/tmp and transaction logs under data/", source: kcSrc("quarkus/runtime/src/main/java/org/keycloak/quarkus/runtime/Environment.java") },
      { path: "/tmp", why: "java.io.tmpdir", source: kcSrc("quarkus/dist/src/main/content/bin/kc.sh") },
    ],
    listens: [
      { setting: "keycloak.conf https-port (http-enabled=false), management port 9000", defaultAddress: "0.0.0.0", source: kcSrc("docs/guides/server/all-config.adoc (http-host default 0.0.0.0)") },
    ],
    env: { JAVA_OPTS_APPEND: "extra JVM options appended by kc.sh", KC_DB_URL: "database URL" },
  },
  elasticsearch: {
    // groupadd -g 1000 elasticsearch; adduser --uid 1000 --gid 1000 ... elasticsearch
    user: {
      uid: 1000,
      gid: 1000,
      anyUid: "every file of the distribution is world-readable (0444, directories and bin/ 0555, config 0664) and the entrypoint changes user only as root; ES writes only config, data, logs and ES_TMPDIR, all mounts of the pod",
      source: esSrc("distribution/docker/src/docker/Dockerfile (find . -type f -exec chmod 0444; chmod 0775 bin config data logs plugins) and bin/docker-entrypoint.sh"),
    },
    entrypoint: "/bin/tini -- /usr/local/bin/docker-entrypoint.sh eswrapper",
    launchers: [
      scheduledLoop,
      { match: "docker-entrypoint\\.sh eswrapper$", foreground: true, why: "the entrypoint execs bin/elasticsearch in the foreground (no -d)", source: esSrc("distribution/docker/src/docker/bin/docker-entrypoint.sh") },
      { match: "bin/elasticsearch .*(-d|--daemonize)", foreground: false, why: "-d daemonizes", source: esSrc("distribution/src/bin/elasticsearch") },
    ],
    writes: [
      { path: "/usr/share/elasticsearch/config", onlyWith: "eswrapper", why: "elasticsearch.keystore is created at first start; the platform renders certificates here", source: esSrc("distribution/docker/src/docker/bin/docker-entrypoint.sh (elasticsearch-keystore create)") },
      { path: "/usr/share/elasticsearch/data", onlyWith: "eswrapper", why: "path.data", source: esSrc("distribution/docker/src/docker/config/elasticsearch.yml") },
      { path: "/usr/share/elasticsearch/logs", onlyWith: "eswrapper", why: "path.logs (gc logs, deprecation logs)", source: esSrc("distribution/src/config/jvm.options (-Xlog:gc:logs/gc.log)") },
      { path: "/tmp", setBy: "env:ES_TMPDIR", onlyWith: "eswrapper", why: "ES_TMPDIR: native libraries (JNA) and JVM temp files", source: esSrc("distribution/src/bin/elasticsearch-env") },
    ],
    listens: [{ setting: "elasticsearch.yml network.host", defaultAddress: "127.0.0.1", source: esSrc("docs/reference/modules/network.asciidoc (network.host default _local_)") }],
    env: {
      ES_JAVA_OPTS: "JVM options",
      ELASTIC_PASSWORD_FILE: "bootstrap password of the elastic user, read by the entrypoint",
      AZURE_FEDERATED_TOKEN_FILE: "the Azure repository's workload identity token, inside the config directory (reference/8.17/repository-azure.html#repository-azure-default-credentials)",
      PLATFORM_STORAGE_ACCOUNT: "read by the platform's config script only (into the keystore)",
      NAMESPACE: "read by the platform's scripts only",
    },
  },
  cassandra: {
    user: {
      uid: 999,
      gid: 999,
      anyUid: "the image prepares for arbitrary users (chmod 1777 of the config, data and log directories; chmod -R a+rwX of the config), the entrypoint changes user only as root, and the JVM and cqlsh need no passwd entry (cqlsh's HOME is set)",
      source: cassSrc("4.1/Dockerfile (chmod 1777 \"$CASSANDRA_CONF\" /var/lib/cassandra /var/log/cassandra; chmod -R a+rwX \"$CASSANDRA_CONF\") and docker-entrypoint.sh (gosu only when id -u is 0)"),
    },
    entrypoint: "docker-entrypoint.sh cassandra -f",
    launchers: [
      scheduledLoop,
      { match: "\\bcassandra -f\\b", foreground: true, why: "-f keeps Cassandra in the foreground", source: cassConf("bin/cassandra (-f: foreground)") },
      { match: "^\\s*(exec\\s+)?(\\S*/)?cassandra(\\s+-(?!f\\b)\\S+)*\\s*$", foreground: false, why: "without -f bin/cassandra backgrounds the JVM and returns", source: cassConf("bin/cassandra") },
    ],
    writes: [
      { path: "/var/lib/cassandra", why: "data_file_directories, commitlog, hints, saved_caches (cassandra.yaml)", source: cassConf("conf/cassandra.yaml") },
      { path: "/opt/cassandra/logs", setBy: "env:CASSANDRA_LOG_DIR", onlyWith: "\\bcassandra -f\\b", why: "system.log, debug.log, gc.log", source: cassConf("bin/cassandra (CASSANDRA_LOG_DIR)") },
      { path: "/tmp", why: "java.io.tmpdir (native libraries); cqlsh history under HOME", source: cassConf("conf/jvm-server.options") },
    ],
    listens: [{ setting: "cassandra.yaml rpc_address / listen_address", defaultAddress: "0.0.0.0", source: cassConf("conf/cassandra.yaml (unset: the address of the host name, i.e. the pod IP)") }],
    env: {
      CASSANDRA_LOG_DIR: "log directory",
      MAX_HEAP_SIZE: "heap (cassandra-env.sh)",
      HEAP_NEWSIZE: "young generation (cassandra-env.sh)",
      CQLSH_HOME: "cqlsh",
      HOME: "cqlsh history and cqlshrc",
      NAMESPACE: "read by the platform's scripts only",
    },
  },
  entryPoint: {
    // The image also prepares its own directories for arbitrary UIDs in group 0; the platform's nginx.conf writes only /tmp.
    user: { uid: 101, gid: 101, anyUid: "runs as the pod's user beside an application (the TLS sidecar reads that user's 0400 key); pid and temp files go to /tmp", source: nginxSrc("mainline/alpine/Dockerfile (USER $UID, UID=101; chown $UID:0, chmod g+w)") },
    entrypoint: "/docker-entrypoint.sh nginx -g 'daemon off;'",
    launchers: [
      { match: "nginx -c [^ ]+ -g ['\"]?daemon off", foreground: true, why: "daemon off keeps the master process in the foreground", source: nginxDocs("ngx_core_module.html#daemon") },
      { match: "nginx(?! -s)(?!.*daemon off)( -c [^ ]+)?\\s*$", foreground: false, why: "nginx daemonizes by default", source: nginxDocs("ngx_core_module.html#daemon") },
    ],
    writes: [
      { path: "/tmp", why: "pid file and *_temp_path of the platform's nginx.conf (runtimeDir)", source: nginxDocs("ngx_core_module.html#pid") },
    ],
    listens: [{ setting: "nginx.conf listen", defaultAddress: "0.0.0.0", source: nginxDocs("ngx_http_core_module.html#listen (address omitted: all)") }],
    env: {},
  },
  atlas: {
    user: { uid: 10001, gid: 10001, source: recipe("images/atlas/Dockerfile (useradd --uid 10001; USER 10001:10001)") },
    entrypoint: "java -Datlas.home=/opt/apache-atlas ... org.apache.atlas.Atlas -app /opt/apache-atlas/server/webapp/atlas",
    launchers: [
      {
        match: "atlas_start\\.py",
        foreground: false,
        why: "atlas_start.py forks the JVM (subprocess.Popen), writes atlas.pid, waits for the port and returns",
        source: atlasSrc("distro/src/bin/atlas_start.py (start_atlas_server, mc.writePid)"),
      },
      {
        match: "^java .*org\\.apache\\.atlas\\.Atlas -app ",
        foreground: true,
        why: "org.apache.atlas.Atlas main starts the embedded Jetty and joins it",
        source: atlasSrc("webapp/src/main/java/org/apache/atlas/web/service/EmbeddedServer.java (server.start(); server.join())"),
      },
      { match: "^sh -c .*keytool ", foreground: true, why: "the init container's assembly, runs to completion", source: recipe("constructs/kubernetes/atlas.ts") },
    ],
    writes: [
      { path: "/opt/apache-atlas/logs", setBy: "env:ATLAS_PID_DIR", onlyWith: "atlas_start\\.py", why: "pid file $ATLAS_PID_DIR/atlas.pid (default $ATLAS_HOME/logs)", source: atlasSrc("distro/src/bin/atlas_config.py (pidFile)") },
      { path: "/opt/apache-atlas/data", setBy: "env:ATLAS_DATA_DIR", onlyWith: "atlas_start\\.py", why: "dirMustExist(dataDir) creates $ATLAS_DATA_DIR (ATLAS_DATA is not read)", source: atlasSrc("distro/src/bin/atlas_config.py (ATLAS_DATA = \"ATLAS_DATA_DIR\")") },
      { path: "/opt/apache-atlas/server/webapp", setBy: "env:ATLAS_EXPANDED_WEBAPP_DIR", onlyWith: "atlas_start\\.py", why: "expandWebApp unpacks atlas.war on first start", source: atlasSrc("distro/src/bin/atlas_config.py (expandWebApp)") },
      { path: "/opt/apache-atlas/logs", setBy: "jvm:atlas.log.dir", onlyWith: "org\\.apache\\.atlas\\.Atlas", why: "atlas-logback.xml file appenders write ${atlas.log.dir}", source: atlasSrc("distro/src/conf/atlas-logback.xml") },
      { path: "/tmp", setBy: "jvm:java.io.tmpdir", onlyWith: "org\\.apache\\.atlas\\.Atlas", why: "Jetty's work directory and JVM temporary files", source: atlasSrc("webapp/src/main/java/org/apache/atlas/web/service/EmbeddedServer.java") },
      { path: "/opt/atlas-conf", onlyWith: "keytool", why: "the init container assembles ATLAS_CONF", source: recipe("constructs/kubernetes/atlas.ts") },
      { path: "/opt/atlas-stores", onlyWith: "keytool", why: "keytool writes the truststore", source: recipe("constructs/kubernetes/atlas.ts") },
    ],
    listens: [
      {
        setting: "atlas-application.properties atlas.server.bind.address / atlas.server.http.port",
        defaultAddress: "0.0.0.0",
        source: atlasSrc("webapp/src/main/java/org/apache/atlas/web/service/EmbeddedServer.java (ATLAS_DEFAULT_BIND_ADDRESS = \"0.0.0.0\")"),
      },
    ],
    env: {
      ATLAS_CONF: "atlas_start.py only",
      ATLAS_LOG_DIR: "atlas_start.py only",
      ATLAS_PID_DIR: "atlas_start.py only",
      ATLAS_DATA_DIR: "atlas_start.py only",
      ATLAS_OPTS: "atlas_start.py only: replaces DEFAULT_JVM_OPTS",
      ATLAS_SERVER_OPTS: "atlas_start.py only",
      ATLAS_SERVER_HEAP: "atlas_start.py only",
      ATLAS_EXPANDED_WEBAPP_DIR: "atlas_start.py only",
      ATLAS_HOME: "set by the image",
    },
  },
  rclone: {
    // The image declares no USER; rclone is a static binary that runs as the store's user to read its files.
    user: { uid: 0, gid: 0, anyUid: "static binary; config from environment (--config /dev/null), cache under $HOME", source: rcloneSrc("Dockerfile") },
    entrypoint: "rclone",
    launchers: [scheduledLoop],
    writes: [{ path: "/tmp", setBy: "env:HOME", why: "rclone's cache directory ($HOME/.cache/rclone)", source: rcloneSrc("lib/cache/cache.go (XDG cache dir under $HOME)") }],
    listens: [],
    env: {
      HOME: "cache directory",
      "RCLONE_CONFIG_BUCKET_*": "the remote `bucket:` (rclone reads RCLONE_CONFIG_<REMOTE>_<OPTION>, docs/content/docs.md#config-file)",
      PLATFORM_BUCKET: "read by the platform's uploader script only",
    },
  },
};

/** JVM options atlas_start.py passes by default (DEFAULT_JVM_OPTS); setting ATLAS_OPTS replaces them, so a launcher must keep them. */
export const ATLAS_DEFAULT_JVM_OPTS = {
  options: ["-Dlogback.configurationFile=atlas-logback.xml", "-Djava.net.preferIPv4Stack=true", "-server"],
  source: atlasSrc("distro/src/bin/atlas_start.py (DEFAULT_JVM_OPTS)"),
} as const;
