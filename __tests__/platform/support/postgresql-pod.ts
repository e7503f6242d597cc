import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { postgresqlBootstrapSql } from "../../../constructs/kubernetes/server-config/postgresql-conf";
import { asServerUser, containerEnv, decodedWorkload, giveToServerUser, linkRclone, localBucketEnv, localize, readIfExists, runShell, startCommand, writeFile, type DecodedWorkload } from "./local-pod";
import { freePort, makeTestPki, removeDir, requireBinaries, run, tempDir, waitFor, type RunningServer, type TestPki } from "./servers";

/**
 * The platform's PostgreSQL pods, run here from the synthesized stack: a real PostgreSQL 15 per pod,
 * started by the pod's own start.sh, with its base-backup and uploader containers running their own
 * loops and rclone moving files to a local directory that stands in for the bucket.
 *
 * What is the test's: each pod's volumes are directories (paths rewritten), each pod listens on
 * 127.0.0.1 on its own port (the pods' libpq service file gets the test's hosts and ports; the
 * certificates are the test CA's, for localhost), the loops run every second instead of every minute,
 * and the bucket is rclone's `local` backend. Passwords are throwaway literals, and bootstrap.sql is
 * rendered with them (the Vault Agent template's own rendering is tested elsewhere).
 */

export const PG_BIN = "/usr/lib/postgresql/15/bin";
export const SUPERUSER_PASSWORD = "test-only-Passw0rd!";
export const REPLICATION_PASSWORD = "test-only-replication-pw";

/** The pod paths a test maps to directories, and the container-specific heartbeat directory. */
const POD_PATHS = { data: "/var/lib/postgresql/data", conf: "/etc/postgresql", secrets: "/vault/secrets", run: "/var/run/postgresql", tools: "/opt/platform-tools", heartbeat: "/run/heartbeat" };

/** A set of PostgreSQL pods sharing a CA and a bucket. */
export class LocalPostgresqlCluster {
  readonly workload: DecodedWorkload;
  readonly pki: TestPki;
  readonly bucket: string;
  private readonly pods: LocalPostgresqlPod[] = [];

  private constructor(
    readonly dir: string,
    readonly ports: readonly number[],
    deployment: string,
  ) {
    requireBinaries([`${PG_BIN}/initdb`, `${PG_BIN}/postgres`, `${PG_BIN}/pg_basebackup`, "psql", "openssl", "rclone", "setpriv"]);
    this.workload = decodedWorkload(deployment, "Postgresql");
    mkdirSync(join(dir, "tls"));
    this.pki = makeTestPki(join(dir, "tls"));
    this.bucket = join(dir, "bucket");
    mkdirSync(this.bucket);
    giveToServerUser(dir);
  }

  /** A cluster of `replicas` pods (the synthesized StatefulSet's count by default: 2). */
  static async create(deployment = "default", replicas = 2): Promise<LocalPostgresqlCluster> {
    const ports: number[] = [];
    for (let i = 0; i < replicas; i++) ports.push(await freePort());
    return new LocalPostgresqlCluster(tempDir("pg-pods-"), ports, deployment);
  }

  /** Pod `postgresql-<ordinal>` on a fresh volume (`generation` > 0: another fresh volume for the same ordinal). */
  pod(ordinal: number, generation = 0): LocalPostgresqlPod {
    const pod = new LocalPostgresqlPod(this, ordinal, join(this.dir, `postgresql-${ordinal}${generation ? `-v${generation}` : ""}`));
    this.pods.push(pod);
    return pod;
  }

  /** Files in the bucket under `prefix` (relative paths). */
  objects(prefix: string): string[] {
    const r = run("find", [join(this.bucket, prefix), "-type", "f", "-printf", "%P\\n"]);
    return r.status === 0 ? r.out.split("\n").filter(Boolean).sort() : [];
  }

  /**
   * A WAL segment moved by `pod`'s uploader: in the bucket and gone from the pod's outbox (rclone deletes
   * the source only once the upload is complete, so the object is whole).
   */
  walUploaded(pod: LocalPostgresqlPod, segment: string): boolean {
    return this.objects("postgresql/wal").includes(segment) && !existsSync(join(pod.root, "data", "outbox", "wal", segment));
  }

  async stop(): Promise<void> {
    for (const p of this.pods) await p.stop();
    removeDir(this.dir);
  }
}

/** One pod: its volumes as directories, its containers as processes. */
export class LocalPostgresqlPod {
  readonly name: string;
  readonly port: number;
  private readonly processes = new Map<string, RunningServer>();

  constructor(
    readonly cluster: LocalPostgresqlCluster,
    readonly ordinal: number,
    readonly root: string,
  ) {
    this.name = `postgresql-${ordinal}`;
    this.port = cluster.ports[ordinal];
    const files = cluster.workload.files;
    for (const d of ["data", "run", "hb", "home"]) mkdirSync(join(root, d), { recursive: true });
    // The ConfigMap, with the test's paths, address, port and loop interval.
    // Each container mounts its own heartbeat directory at the same path; a script is localized for the container that runs it.
    for (const [name, container] of [
      ["pg_hba.conf", "postgresql"],
      ["start.sh", "postgresql"],
      ["base-backup.sh", "base-backup"],
      ["request-restore.sh", "postgresql"],
    ]) {
      writeFile(join(root, "conf", name), this.local(files[name], container));
    }
    writeFile(
      join(root, "conf", "postgresql.conf"),
      localize(this.local(files["postgresql.conf"], "postgresql"), [["listen_addresses = '*'", "listen_addresses = '127.0.0.1'"], ["\nport = 5432\n", `\nport = ${this.port}\n`]], ["listen_addresses = '*'", "\nport = 5432\n"]),
    );
    writeFile(join(root, "conf", "pg_service.conf"), this.serviceFile(this.local(files["pg_service.conf"], "postgresql")));
    // What Vault Agent renders into /vault/secrets.
    const secrets = join(root, "secrets");
    for (const [from, to] of [
      [cluster.pki.serverCert, "tls.crt"],
      [cluster.pki.serverKey, "tls.key"],
      [cluster.pki.caCert, "ca.crt"],
    ]) {
      mkdirSync(secrets, { recursive: true });
      copyFileSync(from, join(secrets, to));
    }
    writeFile(join(secrets, "superuser-password"), `${SUPERUSER_PASSWORD}\n`, 0o400);
    writeFile(join(secrets, "replication.pgpass"), `*:*:*:replicator:${REPLICATION_PASSWORD}\n`, 0o400);
    writeFile(join(secrets, "bootstrap.sql"), postgresqlBootstrapSql({ replication: REPLICATION_PASSWORD, vaultAdmin: "test-only-vault-pw" }), 0o400);
    // The platform-tools init container's copy of rclone.
    linkRclone(join(root, "tools"));
    giveToServerUser(root);
  }

  /** The pod's paths rewritten to this pod's directories (the heartbeat directory is per container), and the loops' interval to 1 s. */
  paths(container: string): [string, string][] {
    return [
      [POD_PATHS.data, join(this.root, "data")],
      [POD_PATHS.conf, join(this.root, "conf")],
      [POD_PATHS.secrets, join(this.root, "secrets")],
      [POD_PATHS.run, join(this.root, "run")],
      [POD_PATHS.tools, join(this.root, "tools")],
      [POD_PATHS.heartbeat, join(this.root, "hb", container)],
    ];
  }

  private local(text: string, container: string): string {
    return localize(text, [...this.paths(container), ["sleep 60", "sleep 1"]]);
  }

  /** The decoded service file with each section's host and port replaced by the test's (localhost, each pod's port). */
  private serviceFile(text: string): string {
    let section = "";
    return text
      .split("\n")
      .map((line) => {
        const s = /^\[(.+)\]$/.exec(line);
        if (s) section = s[1];
        const port = section === "local" ? this.port : this.cluster.ports[Number(/^postgresql-(\d+)$/.exec(section)?.[1])];
        if (line.startsWith("host=")) return section === "local" ? line : "host=localhost";
        if (line.startsWith("port=")) return `port=${port}`;
        return line;
      })
      .join("\n");
  }

  /** The decoded container's environment, localized, with the pod's hostname and the PostgreSQL binaries first on the PATH. */
  env(container: string): Record<string, string> {
    const c = this.cluster.workload.containers[container];
    return {
      ...containerEnv(c, this.paths(container), localBucketEnv(this.cluster.bucket)),
      HOSTNAME: this.name,
      HOME: join(this.root, "home"),
      PATH: `${PG_BIN}:/usr/bin:/bin`,
    };
  }

  /** Starts a container (`postgresql`, `base-backup`, `uploader`) with its decoded command. */
  start(container: string): RunningServer {
    const c = this.cluster.workload.containers[container];
    const argv = c.command.map((a) => this.local(a, container));
    const p = startCommand(argv, this.env(container));
    this.processes.set(container, p);
    return p;
  }

  /** The running container's output so far. */
  output(container: string): string {
    return this.processes.get(container)?.output() ?? "";
  }

  /** Stops a container (the postmaster with a fast shutdown, forwarded by start.sh). */
  async stopContainer(container: string): Promise<void> {
    await this.processes.get(container)?.stop("SIGINT", 15_000);
    this.processes.delete(container);
  }

  async stop(): Promise<void> {
    for (const c of [...this.processes.keys()].reverse()) await this.stopContainer(c);
  }

  /**
   * Waits for this pod's server to say it accepts connections (its own log line, so another process on
   * the port cannot stand in for it) and to answer pg_isready; fails at once if the container exits.
   */
  async ready(timeoutMs = 60_000): Promise<void> {
    const p = this.processes.get("postgresql");
    const exited = () => !p || p.process.exitCode !== null || p.process.signalCode !== null;
    await waitFor(
      `${this.name} to accept connections`,
      () => exited() || (/ready to accept (read-only )?connections/.test(this.output("postgresql")) && run(`${PG_BIN}/pg_isready`, ["-h", "127.0.0.1", "-p", String(this.port), "-t", "2"]).status === 0),
      timeoutMs,
    ).catch((e) => {
      throw new Error(`${e.message}\n${this.output("postgresql")}`);
    });
    if (exited()) throw new Error(`${this.name}'s postgresql container exited:\n${this.output("postgresql")}`);
  }

  /** SQL as the superuser over TLS. */
  sql(query: string, db = "postgres"): { status: number | null; out: string } {
    return run("psql", [`host=127.0.0.1 port=${this.port} user=postgres dbname=${db} sslmode=require connect_timeout=5`, "-XAtqc", query], { PGPASSWORD: SUPERUSER_PASSWORD });
  }

  /** One value from a query that must succeed. */
  value(query: string, db = "postgres"): string {
    const r = this.sql(query, db);
    if (r.status !== 0) throw new Error(`${this.name}: ${query}: ${r.out}\n${this.output("postgresql")}`);
    return r.out.trim();
  }

  /** Runs a decoded probe command of a container, as the kubelet would (exit status and output). */
  probe(container: string, kind: "liveness" | "readiness" | "startup"): { status: number | null; out: string } {
    const c = this.cluster.workload.containers[container];
    const command = { liveness: c.livenessCommand, readiness: c.readinessCommand, startup: c.startupCommand }[kind];
    if (!command) throw new Error(`${container} has no exec ${kind} probe`);
    // The pod's port is this pod's loopback port here.
    const argv = command.map((a, i) => (command[i - 1] === "-p" && a === "5432" ? String(this.port) : this.local(a, container)));
    const [cmd, args] = asServerUser(argv[0], argv.slice(1));
    return run(cmd, args, this.env(container));
  }

  /** A decoded ConfigMap script run to completion in a container (e.g. `request-restore.sh` via kubectl exec). */
  exec(container: string, script: string, args: readonly string[] = []): { status: number | null; out: string } {
    return runShell(`sh ${join(this.root, "conf", script)} ${args.map((a) => `'${a}'`).join(" ")}`, this.env(container));
  }

  /** A heartbeat file of a scheduled container ("" when absent). */
  heartbeat(container: string, file: string): string {
    return readIfExists(join(this.root, "hb", container, file));
  }

  heartbeatExists(container: string, file: string): boolean {
    return existsSync(join(this.root, "hb", container, file));
  }

  /** Runs a PostgreSQL tool as the server user. */
  tool(name: string, args: readonly string[]): { status: number | null; out: string } {
    const [cmd, a] = asServerUser(`${PG_BIN}/${name}`, args);
    return run(cmd, a, {}, 60_000);
  }

  get pgdata(): string {
    return join(this.root, "data", "pgdata");
  }
}
