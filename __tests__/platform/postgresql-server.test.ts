import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { POSTGRESQL_DATABASES, pgHbaConf, postgresqlBootstrapSql, postgresqlConf, postgresqlServe } from "../../constructs/kubernetes/server-config/postgresql-conf";
import { DATABASE_ROLES } from "../../stacks/vault-config-stack";
import { chownTree, freePort, holdSession, issueServerCertificate, makeTestPki, presentedSerial, removeDir, requireBinaries, run, startServer, tempDir, type RunningServer, type TestPki, waitFor } from "./support/servers";

// A real PostgreSQL 15 started on loopback with the GENERATED postgresql.conf and pg_hba.conf
// (only file paths, the port and the client range are the test's), run by the GENERATED serve script
// (postmaster + certificate watcher, as in the pod). `.ci/install-test-servers` installs it.
const BIN = "/usr/lib/postgresql/15/bin";
const PASSWORD = "test-only-Passw0rd!"; // a throwaway password for a throwaway server
const REPLICATION_PASSWORD = "test-only-replication-pw";
jest.setTimeout(60_000);

let dir: string;
let pki: TestPki;
let port: number;
let server: RunningServer | undefined;
let archiveDir: string;

/**
 * Runs the server's tools as the `postgres` user when the tests run as root (PostgreSQL refuses root).
 * setpriv execs in place (no parent process in between), so stop signals reach postgres itself.
 */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", command, ...args]] : [command, args];
}

function psql(conninfo: string, sql: string, password = PASSWORD) {
  return run("psql", [`host=127.0.0.1 port=${port} user=postgres dbname=postgres connect_timeout=5 ${conninfo}`, "-XAtqc", sql], { PGPASSWORD: password });
}

beforeAll(async () => {
  requireBinaries([`${BIN}/initdb`, `${BIN}/postgres`, "psql", "openssl"]);
  dir = tempDir("pg-test-");
  const tls = join(dir, "tls");
  mkdirSync(tls);
  pki = makeTestPki(tls);
  port = await freePort();
  archiveDir = join(dir, "wal-archive");
  mkdirSync(archiveDir);
  const data = join(dir, "data");
  writeFileSync(join(dir, "pwfile"), `${PASSWORD}\n`);
  if (process.getuid?.() === 0) chownTree(dir, Number(execFileSync("id", ["-u", "postgres"])), Number(execFileSync("id", ["-g", "postgres"])));
  const [initdb, initArgs] = asServerUser(`${BIN}/initdb`, ["-D", data, "-U", "postgres", `--pwfile=${join(dir, "pwfile")}`, "--auth=scram-sha-256", "--no-instructions"]);
  execFileSync(initdb, initArgs, { stdio: "pipe", timeout: 60_000 });
  // The generated bootstrap, as the start script runs it: single-user mode, before any listener exists.
  const [single, singleArgs] = asServerUser(`${BIN}/postgres`, ["--single", "-D", data, "postgres"]);
  execFileSync(single, singleArgs, { input: postgresqlBootstrapSql({ replication: REPLICATION_PASSWORD, vaultAdmin: "test-only-vault-pw" }), stdio: "pipe", timeout: 60_000 });
  const options = {
    listenAddresses: "127.0.0.1",
    port,
    tls: { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caCert },
    clientCidrs: ["127.0.0.1/32"],
    walArchiveDirectory: archiveDir,
  };
  writeFileSync(join(data, "postgresql.conf"), postgresqlConf(options));
  writeFileSync(join(data, "pg_hba.conf"), pgHbaConf(options));
  if (process.getuid?.() === 0) execFileSync("chown", ["-R", "postgres:postgres", data]);
  // The pod's serve script with a 1 s watcher round, so a renewal is picked up within seconds.
  const serve = join(dir, "serve.sh");
  writeFileSync(serve, `set -eu\n${postgresqlServe({ args: `-D ${data}`, postgresBinary: `${BIN}/postgres`, tls: options.tls, intervalSeconds: 1 })}`);
  const [cmd, args] = asServerUser("sh", [serve]);
  server = startServer(cmd, args);
  await waitFor("postgres to accept connections", () => run(`${BIN}/pg_isready`, ["-h", "127.0.0.1", "-p", String(port), "-t", "2"]).status === 0, 30_000).catch((e) => {
    throw new Error(`${e.message}\n${server?.output()}`);
  });
});

afterAll(async () => {
  await server?.stop("SIGINT", 10_000); // fast shutdown, forwarded by the serve script
  if (dir) removeDir(dir);
});

test("a plaintext connection is refused by pg_hba (hostnossl ... reject)", () => {
  const r = psql("sslmode=disable", "select 1");
  expect(r.status).not.toBe(0);
  expect(r.out).toMatch(/pg_hba\.conf rejects connection.*no encryption/);
});

test("a TLS connection with a wrong password is refused (SCRAM)", () => {
  const r = psql("sslmode=require", "select 1", "wrong-password");
  expect(r.status).not.toBe(0);
  expect(r.out).toMatch(/password authentication failed/);
});

test("a TLS connection without a password is refused", () => {
  const r = run("psql", [`host=127.0.0.1 port=${port} user=postgres dbname=postgres sslmode=require connect_timeout=5`, "-wXAtqc", "select 1"], { PGPASSWORD: "" });
  expect(r.status).not.toBe(0);
  expect(r.out).toMatch(/password/);
});

test("a TLS 1.1 client is refused while TLS 1.2 is accepted (ssl_min_protocol_version)", () => {
  // openssl speaks PostgreSQL's SSLRequest itself; SECLEVEL=0 lets it offer TLS 1.1, so a refusal is the server's.
  const handshake = (version: string) =>
    run("openssl", ["s_client", "-brief", "-starttls", "postgres", "-connect", `127.0.0.1:${port}`, version, "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", pki.caCert], {}, 10_000);
  expect(handshake("-tls1_2").out).toMatch(/Protocol version: TLSv1\.2/);
  expect(handshake("-tls1_1").out).not.toMatch(/Protocol version/);
});

test("TLS + SCRAM works, verified against the CA, and the session is encrypted", () => {
  const r = psql(`sslmode=verify-full sslrootcert=${pki.caCert}`, "select ssl, version from pg_stat_ssl where pid = pg_backend_pid()");
  expect(r.out).toMatch(/^t\|TLSv1\.[23]$/m);
  expect(r.status).toBe(0);
});

test("passwords are stored as SCRAM-SHA-256 verifiers", () => {
  const r = psql("sslmode=require", "select current_setting('password_encryption'), left(rolpassword, 14) from pg_authid where rolname = 'postgres'");
  expect(r.out.trim()).toBe("scram-sha-256|SCRAM-SHA-256$");
});

test("WAL archiving copies completed segments to the archive directory", async () => {
  const r = psql("sslmode=require", "create table t(x int); insert into t values (1); select pg_walfile_name(pg_switch_wal());");
  expect(r.status).toBe(0);
  const segment = r.out.trim();
  // The signal is the server's own: pg_stat_archiver counts a segment once archive_command returned 0
  // (the file appears in the directory just before that, so reading the view on the file's arrival races).
  await waitFor(`${segment} counted as archived`, () => psql("sslmode=require", "select last_archived_wal from pg_stat_archiver").out.trim() === segment, 30_000);
  expect(readdirSync(archiveDir)).toContain(segment);
  expect(psql("sslmode=require", "select failed_count from pg_stat_archiver").out.trim()).toBe("0");
});

test("the bootstrap made the databases and roles, and the replicator streams a base backup over TLS", () => {
  expect(psql("sslmode=require", "select string_agg(datname, ',' order by datname) from pg_database where datname in ('keycloak','metrics')").out.trim()).toBe("keycloak,metrics");
  const target = join(dir, "base-backup");
  const r = run(`${BIN}/pg_basebackup`, ["-d", `host=127.0.0.1 port=${port} user=replicator sslmode=verify-full sslrootcert=${pki.caCert}`, "-D", target, "-Ft", "-X", "fetch", "--checkpoint=fast"], { PGPASSWORD: REPLICATION_PASSWORD }, 30_000);
  expect(r.out).toBe("");
  expect(r.status).toBe(0);
  expect(readdirSync(target)).toContain("base.tar");
});

test("the replicator cannot replicate without TLS", () => {
  const r = run(`${BIN}/pg_basebackup`, ["-d", `host=127.0.0.1 port=${port} user=replicator sslmode=disable`, "-D", join(dir, "nope"), "-Ft"], { PGPASSWORD: REPLICATION_PASSWORD }, 30_000);
  expect(r.status).not.toBe(0);
  expect(r.out).toMatch(/no encryption/);
});

test("vault_admin can create a short-lived user in each group role Vault's database roles name, and that user works over TLS", () => {
  const adminRun = (sql: string) =>
    run("psql", [`host=127.0.0.1 port=${port} user=vault_admin dbname=postgres sslmode=verify-full sslrootcert=${pki.caCert}`, "-XAtqc", sql], { PGPASSWORD: "test-only-vault-pw" });
  for (const role of DATABASE_ROLES) {
    const user = `v-test-${role.name}`;
    // The creation statements of the vault-config stack's PostgresSecretsEngine, with values filled in.
    const r = adminRun(`CREATE ROLE "${user}" WITH LOGIN PASSWORD 'Dyn-Passw0rd-1' VALID UNTIL 'infinity' INHERIT IN ROLE "${role.groupRole}"; ALTER ROLE "${user}" SET role = "${role.groupRole}";`);
    expect(`${role.name}: ${r.out}`).toBe(`${role.name}: `);
  }
  const db = POSTGRESQL_DATABASES.find((d) => d.owner === "keycloak_app")!.name;
  const asUser = run("psql", [`host=127.0.0.1 port=${port} user=v-test-keycloak dbname=${db} sslmode=require`, "-XAtqc", "create table realm_probe(x int); select current_user"], { PGPASSWORD: "Dyn-Passw0rd-1" });
  expect(asUser.out.trim()).toBe("keycloak_app");
});

test("a renewed certificate is served to new connections after the watcher's reload, with no restart and the open session kept", async () => {
  const startTime = () => psql("sslmode=require", "select pg_postmaster_start_time()").out.trim();
  const serial = () => presentedSerial(port, ["-starttls", "postgres", "-CAfile", pki.caCert]);
  const before = { serial: serial(), started: startTime() };
  const renewed = issueServerCertificate(pki, "server-renewed");
  expect(renewed.serial).not.toBe(before.serial);

  // A session opened on certificate A stays open across the renewal.
  const held = holdSession("psql", [`host=127.0.0.1 port=${port} user=postgres dbname=postgres sslmode=verify-full sslrootcert=${pki.caCert} application_name=held`, "-XAtq"], { PGPASSWORD: PASSWORD });
  held.send("select 'before', pg_backend_pid();");
  await waitFor("the held session", () => psql("sslmode=require", "select count(*) from pg_stat_activity where application_name = 'held'").out.trim() === "1", 10_000);

  // What Vault Agent does on renewal: the key, then the chain, rewritten in place.
  writeFileSync(pki.serverKey, readFileSync(renewed.key));
  writeFileSync(pki.serverCert, readFileSync(renewed.cert));
  await waitFor("a new connection to present the renewed certificate", () => serial() === renewed.serial, 20_000).catch((e) => {
    throw new Error(`${e.message}\n${server?.output()}`);
  });

  expect(startTime()).toBe(before.started);
  const r = await held.finish("select 'after', pg_backend_pid();");
  expect(r.status).toBe(0);
  const lines = r.out.trim().split("\n");
  expect(lines.map((l) => l.split("|")[0])).toEqual(["before", "after"]);
  const [b, a] = lines.map((l) => l.split("|"));
  expect(a[1]).toBe(b[1]); // the same backend: the connection was never dropped
  expect(server?.output()).toMatch(/tls-reload: certificate files changed; server reloaded them/);
  // The new pair is also what verify-full clients accept.
  expect(psql(`sslmode=verify-full sslrootcert=${pki.caCert}`, "select 1").out.trim()).toBe("1");
});

test("the serve script forwards the stop signal and exits with the server's status", async () => {
  const proc = server!.process;
  const postmaster = Number(readFileSync(join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
  expect(postmaster).not.toBe(proc.pid); // the script is the parent, the postmaster its child
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  await server!.stop("SIGINT", 15_000);
  // A fast shutdown (SIGINT forwarded to the postmaster) exits 0, and the postmaster is gone.
  expect(await Promise.race([exited, Promise.resolve(proc.exitCode)])).toBe(0);
  expect(server!.output()).toMatch(/received fast shutdown request/);
  expect(() => process.kill(postmaster, 0)).toThrow();
});
