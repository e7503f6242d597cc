import { execFileSync } from "node:child_process";
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEPLOYMENTS } from "../support/deployments";
import { bootstrapKv } from "../support/fake-vault";
import { one, resources, strings } from "../support/synthesized";
import { vaultWorld } from "../support/vault-agent";
import { configMapData, localPod, PodRewrite, podContainer, probeCommand, writeConfigMap, type LocalPod } from "./support/pod";
import { chownTree, freePort, removeDir, requireBinaries, run, startServer, tempDir, type RunningServer, waitFor } from "./support/servers";

// A real PostgreSQL (Debian's 15; the image runs 16, see below) started by the SYNTHESIZED start script
// of pod postgresql-0 of the default deployment, on its decoded ConfigMap (postgresql.conf, pg_hba.conf)
// and the files its Vault Agent renders (certificate issued as the synthesized PKI role issues it, the
// superuser password and bootstrap.sql with the values `npm run vault:bootstrap` wrote). Only paths,
// the port and the listen address are the test's. Then Vault's side, from the synthesized vault-config
// stack: its connection (as vault_admin, verify-full against the PKI root, by the pod's DNS name),
// and every database role's creation, renewal and revocation statements, run as Vault runs them.
//
// PostgreSQL 16 differs in what CREATEROLE grants (the creator gets ADMIN OPTION on the roles it makes,
// without INHERIT: `createrole_self_grant` empty; REASSIGN/DROP OWNED need the role's privileges). The
// creation statements grant each login to the admin explicitly, which both versions accept; Debian 12
// has no postgresql-16 package, so 16 is not run here.
jest.setTimeout(120_000);

const KEY = "default";
const BIN = "/usr/lib/postgresql/15/bin";
let dir: string;
let pg: LocalPod;
let keycloak: LocalPod;
let port: number;
let server: RunningServer | undefined;
let rootCa: string;
let adminPassword: string;
const world = () => vaultWorld(KEY);

const asPostgres = (command: string, args: string[]): [string, string[]] =>
  process.getuid?.() === 0 ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", command, ...args]] : [command, args];

/**
 * A libpq connection as Vault's connection URL makes it: the pod's DNS name (reached at 127.0.0.1),
 * verify-full, the PKI root. gssencmode=disable: psql would otherwise look for Kerberos credentials
 * for that name first (Vault's pgx and Keycloak's JDBC driver do not).
 */
function conninfo(user: string, database: string, ca = rootCa): string {
  return `host=postgresql-0.postgresql-headless.identity.svc hostaddr=127.0.0.1 port=${port} user=${user} dbname=${database} sslmode=verify-full sslrootcert=${ca} gssencmode=disable connect_timeout=5`;
}
/** A synthesized probe of the postgresql container, with the test's port. */
const probe = (kind: "startup" | "readiness" | "liveness") => probeCommand(podContainer(pg.pod, "postgresql"), kind).map((w) => (w === "5432" ? String(port) : w));
const psql = (info: string, password: string, sql: string) => run("psql", [info, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql], { PGPASSWORD: password }, 20_000);

/** Vault's SCRAM-SHA-256 verifier of a password (plugins/database/postgresql/scram: 4096 iterations, 16-byte salt). */
function scram(password: string): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, 4096, 32, "sha256");
  const hmac = (k: Buffer, s: string) => createHmac("sha256", k).update(s).digest();
  const stored = createHash("sha256").update(hmac(salted, "Client Key")).digest();
  return `SCRAM-SHA-256$4096:${salt.toString("base64")}$${stored.toString("base64")}:${hmac(salted, "Server Key").toString("base64")}`;
}

/** Vault's expiration format (postgresql.go expirationFormat "2006-01-02 15:04:05-0700"). */
function expiration(secondsFromNow: number): string {
  const d = new Date(Date.now() + secondsFromNow * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}+0000`;
}

/**
 * Runs statements as Vault does: placeholders replaced (QueryHelper), each statement split at `;`
 * (strutil.ParseArbitraryStringSlice), all in ONE transaction that a failure rolls back.
 */
function asVault(statements: readonly string[], values: Record<string, string>, password = adminPassword) {
  const queries = statements
    .flatMap((s) => s.split(";"))
    .map((q) => q.trim())
    .filter((q) => q !== "")
    .map((q) => Object.entries(values).reduce((acc, [k, v]) => acc.split(`{{${k}}}`).join(v), q));
  const sql = ["BEGIN;", ...queries.map((q) => `${q};`), "COMMIT;"].join("\n");
  return run("psql", [conninfo("vault_admin", "postgres"), "-XAtq", "-v", "ON_ERROR_STOP=1"].concat(["-c", sql]), { PGPASSWORD: password }, 20_000);
}

beforeAll(async () => {
  requireBinaries([`${BIN}/initdb`, `${BIN}/postgres`, "psql", "openssl"]);
  dir = tempDir("pg-pod-");
  const caDir = join(dir, "ca");
  pg = localPod(KEY, "postgresql", { root: join(dir, "postgresql"), caDir, ordinal: 0 });
  keycloak = localPod(KEY, "keycloak", { root: join(dir, "keycloak"), caDir });
  rootCa = join(caDir, "root.crt");
  adminPassword = bootstrapKv(KEY)["kv/services/identity/postgresql"].vault_admin_password;
  port = await freePort();
  const container = podContainer(pg.pod, "postgresql");
  const mounts = Object.fromEntries((container.body.volume_mount as { mount_path: string }[]).map((m) => [m.mount_path, pg.local(m.mount_path)]));
  for (const d of Object.values(mounts)) mkdirSync(d, { recursive: true });
  const rewrite = new PodRewrite(mounts, [
    [/^listen_addresses = .*$/m, "listen_addresses = '127.0.0.1'"],
    [/^port = 5432$/m, `port = ${port}`],
    [/port=5432/g, `port=${port}`],
    [/ -p 5432/g, ` -p ${port}`],
  ]);
  writeConfigMap(configMapData(KEY, "postgresql-config"), mounts["/etc/postgresql"], rewrite);
  if (process.getuid?.() === 0) chownTree(dir, Number(execFileSync("id", ["-u", "postgres"])), Number(execFileSync("id", ["-g", "postgres"])));
  const env = Object.fromEntries(container.env.map((e) => [e.name, e.value ?? (e.fieldPath === "metadata.namespace" ? pg.pod.namespace : "")]));
  const [cmd, args] = asPostgres("env", [
    `PATH=${BIN}:${process.env.PATH}`,
    `HOSTNAME=${pg.pod.podNames[0]}`,
    ...Object.entries(env).map(([k, v]) => `${k}=${rewrite.text(v)}`),
    ...rewrite.command(container.command),
  ]);
  server = startServer(cmd, args, { logFile: join(dir, "postgresql.log") });
  const ready = probe("readiness");
  await waitFor("the synthesized readiness probe to pass", () => run(`${BIN}/${ready[0]}`, ready.slice(1)).status === 0, 60_000).catch((e) => {
    throw new Error(`${e.message}\n${server?.output()}`);
  });
});

afterAll(async () => {
  await server?.stop("SIGINT", 15_000);
  if (dir) removeDir(dir);
});

test("the synthesized start script initialises and serves; its startup, readiness and liveness probes pass", () => {
  const container = podContainer(pg.pod, "postgresql");
  expect(probeCommand(container, "readiness")).toEqual(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-t", "3"]);
  for (const kind of ["startup", "readiness", "liveness"] as const) {
    const cmd = probe(kind);
    expect(`${kind}: ${run(`${BIN}/${cmd[0]}`, cmd.slice(1)).status}`).toBe(`${kind}: 0`);
  }
});

test("Vault's connection works as synthesized: vault_admin with the bootstrap's password, verify-full by the pod's name against the PKI root", () => {
  const conn = one(resources(KEY, "vault-config", "vault_database_secret_backend_connection")[0].body.postgresql);
  expect(String(conn.connection_url)).toMatch(/postgresql-0\.postgresql-headless\.identity\.svc:5432.*sslmode=verify-full/);
  const r = psql(conninfo(String(conn.username), "postgres"), adminPassword, "select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()");
  expect(r.out.trim()).toBe("vault_admin|t");
});

test("a client that trusts another CA, or asks for a name the certificate does not carry, is refused", () => {
  const other = join(dir, "other-ca");
  mkdirSync(other);
  run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(other, "k"), "-out", join(other, "ca.crt"), "-days", "1", "-subj", "/CN=other"]);
  expect(psql(conninfo("vault_admin", "postgres", join(other, "ca.crt")), adminPassword, "select 1").out).toMatch(/certificate verify failed/);
  const wrongName = conninfo("vault_admin", "postgres").replace("postgresql-0.postgresql-headless", "postgresql-9.postgresql-headless");
  expect(psql(wrongName, adminPassword, "select 1").out).toMatch(/does not match host name/);
});

/** Every distinct database role across the shipped deployments (identical ones run once), with the deployments that synthesize it. */
function distinctRoles() {
  const byStatements = new Map<string, { keys: string[]; role: ReturnType<typeof vaultWorld>["database"]["roles"][string] }>();
  for (const d of DEPLOYMENTS) {
    for (const role of Object.values(vaultWorld(d.key).database.roles)) {
      const id = JSON.stringify([role.name, role.creation_statements, role.renew_statements, role.revocation_statements]);
      const seen = byStatements.get(id);
      if (seen) seen.keys.push(d.key);
      else byStatements.set(id, { keys: [d.key], role });
    }
  }
  return [...byStatements.values()];
}

test("every synthesized database role of every shipped deployment: creation (as vault_admin, one transaction), a login into its group's database, renewal and revocation work, and the role is gone afterwards", () => {
  const roles = distinctRoles();
  expect(roles.length).toBeGreaterThan(0);
  expect(new Set(roles.flatMap((r) => r.keys))).toEqual(new Set(DEPLOYMENTS.map((d) => d.key)));
  for (const { role, keys } of roles) {
    const label = `${role.name} (${keys.join(", ")})`;
    const name = `v-kubernet-${String(role.name).slice(0, 8)}-${randomBytes(10).toString("hex")}-${Math.floor(Date.now() / 1000)}`;
    const password = `A1-${randomBytes(12).toString("hex")}`;
    const created = asVault(strings(role.creation_statements), { name, username: name, password: scram(password), expiration: expiration(3600) });
    expect(`${label} creation: ${created.status} ${created.out}`).toBe(`${label} creation: 0 `);
    const group = /IN ROLE "([^"]+)"/.exec(strings(role.creation_statements)[0])![1];
    const database = /^CREATE DATABASE (\S+) OWNER (\S+);$/m.exec(readFileSync(pg.local("/vault/secrets/bootstrap.sql"), "utf8").split("\n").find((l) => l.endsWith(`OWNER ${group};`))!)![1];
    const asUser = psql(conninfo(name, database), password, `create table t_${randomBytes(4).toString("hex")}(x int); select current_user`);
    expect(`${label}: ${asUser.out.trim()}`).toBe(`${label}: ${group}`);
    const renewed = asVault(strings(role.renew_statements), { name, username: name, expiration: expiration(7200) });
    expect(`${label} renewal: ${renewed.status} ${renewed.out}`).toBe(`${label} renewal: 0 `);
    const revoked = asVault(strings(role.revocation_statements), { name, username: name });
    expect(`${label} revocation: ${revoked.status} ${revoked.out}`).toBe(`${label} revocation: 0 `);
    expect(psql(conninfo("vault_admin", "postgres"), adminPassword, `select count(*) from pg_roles where rolname = '${name}'`).out.trim()).toBe("0");
    expect(psql(conninfo(name, database), password, "select 1").status).not.toBe(0);
  }
});

test("the fact the creation's GRANT is for: without it, the revocation fails on PostgreSQL 15 and rolls back", () => {
  const role = Object.values(world().database.roles)[0];
  const name = `v-nogrant-${randomBytes(6).toString("hex")}`;
  const withoutGrant = strings(role.creation_statements).filter((s) => !s.startsWith("GRANT"));
  expect(asVault(withoutGrant, { name, password: scram("x-Passw0rd"), expiration: expiration(600) }).status).toBe(0);
  const revoked = asVault(strings(role.revocation_statements), { name });
  expect(revoked.status).not.toBe(0);
  expect(revoked.out).toMatch(/permission denied to reassign objects|must be member of role|permission denied to drop objects/);
  expect(psql(conninfo("vault_admin", "postgres"), adminPassword, `select count(*) from pg_roles where rolname = '${name}'`).out.trim()).toBe("1");
});

test("renewal is what keeps a login valid: past its first expiry, only the renewed login still gets in", async () => {
  const role = Object.values(world().database.roles)[0];
  const make = (name: string) => asVault(strings(role.creation_statements), { name, password: scram("R3new-Passw0rd"), expiration: expiration(2) });
  expect(make("v-renewed").status).toBe(0);
  expect(make("v-not-renewed").status).toBe(0);
  expect(asVault(strings(role.renew_statements), { name: "v-renewed", expiration: expiration(3600) }).status).toBe(0);
  await new Promise((r) => setTimeout(r, 3500));
  expect(psql(conninfo("v-renewed", "postgres"), "R3new-Passw0rd", "select 1").out.trim()).toBe("1");
  expect(psql(conninfo("v-not-renewed", "postgres"), "R3new-Passw0rd", "select 1").out).toMatch(/password authentication failed/);
});

test("Keycloak's rendered configuration logs in: the sidecar's lease, created by the synthesized statements, over its JDBC URL's TLS settings", () => {
  const lease = keycloak.sidecar.leases[0];
  expect(keycloak.init.leases).toEqual([]);
  const role = world().database.roles[lease.role];
  expect(asVault(strings(role.creation_statements), { name: lease.username, password: scram(lease.password), expiration: lease.expiration }).status).toBe(0);
  const conf = readFileSync(keycloak.local("/vault/secrets/keycloak.conf"), "utf8");
  const setting = (k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(conf)![1];
  const url = new URL(setting("db-url").replace(/^jdbc:/, "").replace(/^postgresql:\/\/[^/]+/, "postgresql://host"));
  expect(url.searchParams.get("sslmode")).toBe("verify-full");
  const ca = keycloak.local(url.searchParams.get("sslrootcert")!);
  const r = psql(conninfo(setting("db-username"), url.pathname.slice(1), ca), setting("db-password"), "select current_user");
  expect(r.out.trim()).toBe("keycloak_app");
});

test("rotate-root as synthesized: vault_admin changes its own password (a SCRAM verifier), and the old one stops working", () => {
  const conn = resources(KEY, "vault-config", "vault_database_secret_backend_connection")[0].body;
  const next = `Rot4ted-${randomBytes(8).toString("hex")}`;
  expect(asVault(strings(conn.root_rotation_statements), { username: "vault_admin", name: "vault_admin", password: scram(next) }).status).toBe(0);
  expect(psql(conninfo("vault_admin", "postgres"), next, "select 1").out.trim()).toBe("1");
  expect(psql(conninfo("vault_admin", "postgres"), adminPassword, "select 1").out).toMatch(/password authentication failed/);
  adminPassword = next;
});
