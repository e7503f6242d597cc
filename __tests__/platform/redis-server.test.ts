import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PREVIEW_TTL_SECONDS, REDIS_TLS_RELOADER, redisAclFile, redisConf, redisServeScript } from "../../constructs/kubernetes/config/redis-conf";
import { freePort, holdSession, issueServerCertificate, makeTestPki, presentedSerial, removeDir, requireBinaries, run, startServer, tempDir, type RunningServer, type TestPki, waitFor } from "./support/servers";

// A real redis-server started on loopback with the GENERATED redis.conf and ACL file (only file
// paths, the port and the password hash are the test's), run by the GENERATED start script (ACL
// composition, redis-server and its certificate watcher, as in the pod). `.ci/install-test-servers` installs it.
const PASSWORD = "test-only-cache-password"; // throwaway, for a throwaway server
const OPS_PASSWORD = "test-only-ops-password";
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
jest.setTimeout(60_000);

let dir: string;
let pki: TestPki;
let port: number;
let server: RunningServer | undefined;

type Client = { tls?: boolean; clientCert?: boolean; user?: string; password?: string };

/** redis-cli against the test server; the password goes through REDISCLI_AUTH, never argv. */
function cli(c: Client, ...command: string[]) {
  const args = ["-h", "127.0.0.1", "-p", String(port)];
  if (c.tls) args.push("--tls", "--cacert", pki.caCert);
  if (c.tls && c.clientCert !== false) args.push("--cert", pki.clientCert, "--key", pki.clientKey);
  if (c.user) args.push("--user", c.user);
  return run("redis-cli", [...args, ...command], c.password ? { REDISCLI_AUTH: c.password } : {}, 10_000);
}
const atlas: Client = { tls: true, user: "atlas", password: PASSWORD };
const ops: Client = { tls: true, user: "ops", password: OPS_PASSWORD };

beforeAll(async () => {
  requireBinaries(["redis-server", "redis-cli", "openssl"]);
  dir = tempDir("redis-test-");
  pki = makeTestPki(dir);
  port = await freePort();
  const usersAcl = join(dir, "users.acl");
  const runtimeDir = join(dir, "run");
  mkdirSync(runtimeDir);
  // The generated file (Vault Agent's), plus a test-only operator that may read CONFIG (application users may not).
  writeFileSync(usersAcl, `${redisAclFile([{ name: "atlas", passwordSha256: sha256(PASSWORD) }])}user ops on #${sha256(OPS_PASSWORD)} ~* +@all\n`);
  const conf = join(dir, "redis.conf");
  const tls = { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.caCert };
  writeFileSync(conf, redisConf({ bind: "127.0.0.1", tlsPort: port, tls, aclFile: join(runtimeDir, "users.acl"), dir, maxMemoryMiB: 64 }));
  // The pod's start script with a 1 s watcher round.
  const start = join(dir, "start.sh");
  writeFileSync(start, redisServeScript({ confFile: conf, tlsPort: port, tls, usersAclFile: usersAcl, runtimeDir, intervalSeconds: 1 }));
  server = startServer("sh", [start]);
  await waitFor("redis to answer over TLS", () => /NOAUTH/.test(cli({ tls: true }, "PING").out), 20_000).catch((e) => {
    throw new Error(`${e.message}\n${server?.output()}`);
  });
});

afterAll(async () => {
  await server?.stop("SIGTERM", 10_000);
  if (dir) removeDir(dir);
});

test("a plaintext connection gets no answer (port 0: only the TLS port exists)", () => {
  const r = cli({ password: PASSWORD, user: "atlas" }, "PING");
  expect(r.out).not.toMatch(/PONG/);
});

test("a TLS connection without a client certificate is refused (tls-auth-clients yes)", () => {
  const r = cli({ ...atlas, clientCert: false }, "PING");
  expect(r.out).not.toMatch(/PONG/);
});

test("TLS without authentication is refused (the default user is off)", () => {
  expect(cli({ tls: true }, "PING").out).toMatch(/NOAUTH/);
  expect(cli({ tls: true }, "GET", "preview:x").out).toMatch(/NOAUTH/);
});

test("the default user cannot authenticate at all", () => {
  expect(cli({ tls: true, user: "default", password: "" }, "PING").out).not.toMatch(/PONG/);
});

test("a wrong password is refused", () => {
  expect(cli({ ...atlas, password: "wrong" }, "PING").out).toMatch(/WRONGPASS|invalid username-password/);
});

test("TLS + ACL user works, and previews are written with the documented TTL", () => {
  expect(cli(atlas, "PING").out.trim()).toBe("PONG");
  expect(cli(atlas, "SET", "preview:table-1", "rows", "EX", String(PREVIEW_TTL_SECONDS)).out.trim()).toBe("OK");
  const ttl = Number(cli(atlas, "TTL", "preview:table-1").out.trim());
  expect(ttl).toBeGreaterThan(PREVIEW_TTL_SECONDS - 10);
  expect(ttl).toBeLessThanOrEqual(PREVIEW_TTL_SECONDS);
});

test("the application user is confined to preview:* keys and denied dangerous commands", () => {
  expect(cli(atlas, "SET", "other:key", "x").out).toMatch(/NOPERM/);
  for (const cmd of [["FLUSHALL"], ["CONFIG", "GET", "maxmemory"], ["KEYS", "*"], ["DEBUG", "SLEEP", "0"], ["SHUTDOWN"], ["ACL", "LIST"], ["EVAL", "return 1", "0"], ["REPLICAOF", "127.0.0.1", "1"]]) {
    expect(`${cmd[0]}: ${cli(atlas, ...cmd).out}`).toMatch(/NOPERM|no permissions|DEBUG command not allowed/);
  }
});

test("memory is bounded with allkeys-lru and persistence is off", () => {
  const get = (key: string) => cli(ops, "CONFIG", "GET", key).out.split("\n").slice(0, 2);
  expect(get("maxmemory-policy")).toEqual(["maxmemory-policy", "allkeys-lru"]);
  expect(get("maxmemory")).toEqual(["maxmemory", String(64 * 1024 * 1024)]);
  expect(get("save")).toEqual(["save", ""]);
  expect(get("appendonly")).toEqual(["appendonly", "no"]);
  expect(get("port")).toEqual(["port", "0"]);
  expect(get("tls-replication")).toEqual(["tls-replication", "yes"]);
  expect(get("tls-protocols")).toEqual(["tls-protocols", "TLSv1.2 TLSv1.3"]);
});

test("a TLS 1.1 client is refused while TLS 1.2 is accepted", () => {
  // SECLEVEL=0 lets the client offer TLS 1.1, so a refusal is the server's.
  const handshake = (version: string) =>
    run("openssl", ["s_client", "-brief", "-connect", `127.0.0.1:${port}`, version, "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", pki.caCert, "-cert", pki.clientCert, "-key", pki.clientKey], {}, 10_000);
  expect(handshake("-tls1_2").out).toMatch(/Protocol version: TLSv1\.2/);
  expect(handshake("-tls1_1").out).not.toMatch(/Protocol version/);
});

test("the reloader user may run CONFIG SET and nothing else, with a password made at start and kept in the runtime directory", () => {
  const reloader: Client = { tls: true, user: REDIS_TLS_RELOADER, password: readFileSync(join(dir, "run", `${REDIS_TLS_RELOADER}.password`), "utf8") };
  expect(reloader.password).toMatch(/^[0-9a-f]{64}$/);
  for (const f of [`${REDIS_TLS_RELOADER}.password`, "users.acl"]) expect(`${f} ${(statSync(join(dir, "run", f)).mode & 0o777).toString(8)}`).toBe(`${f} 600`);
  expect(cli(reloader, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru").out.trim()).toBe("OK");
  for (const cmd of [["GET", "preview:x"], ["CONFIG", "GET", "*"], ["ACL", "LIST"], ["FLUSHALL"], ["CONFIG", "REWRITE"]]) {
    expect(`${cmd[0]}: ${cli(reloader, ...cmd).out}`).toMatch(/NOPERM|no permissions/);
  }
  // Protected configs stay immutable even for it.
  expect(cli(reloader, "CONFIG", "SET", "dir", "/tmp").out).toMatch(/protected config/);
  // The composed ACL file holds only hashes.
  expect(readFileSync(join(dir, "run", "users.acl"), "utf8")).not.toContain(reloader.password!);
});

test("a renewed certificate is served to new connections after the watcher's CONFIG SET, with no restart and the open connection kept", async () => {
  const serial = () => presentedSerial(port, ["-CAfile", pki.caCert, "-cert", pki.clientCert, "-key", pki.clientKey]);
  const info = (field: string) => new RegExp(`^${field}:(\\S+)`, "m").exec(cli(ops, "INFO", "server").out)?.[1];
  const before = { serial: serial(), runId: info("run_id") };
  expect(before.runId).toMatch(/^[0-9a-f]{40}$/);
  const renewed = issueServerCertificate(pki, "server-renewed");
  expect(renewed.serial).not.toBe(before.serial);

  // A connection opened on certificate A stays open across the renewal.
  const args = ["-h", "127.0.0.1", "-p", String(port), "--tls", "--cacert", pki.caCert, "--cert", pki.clientCert, "--key", pki.clientKey, "--user", "ops"];
  const held = holdSession("redis-cli", args, { REDISCLI_AUTH: OPS_PASSWORD });
  held.send("CLIENT SETNAME held");
  held.send("CLIENT ID");
  await waitFor("the held connection", () => /name=held/.test(cli(ops, "CLIENT", "LIST").out), 10_000);

  // What Vault Agent does on renewal: the key, then the chain, rewritten in place.
  writeFileSync(pki.serverKey, readFileSync(renewed.key));
  writeFileSync(pki.serverCert, readFileSync(renewed.cert));
  await waitFor("a new connection to present the renewed certificate", () => serial() === renewed.serial, 20_000).catch((e) => {
    throw new Error(`${e.message}\n${server?.output()}`);
  });

  expect(info("run_id")).toBe(before.runId); // the same process: no restart
  const r = await held.finish("CLIENT ID");
  expect(r.status).toBe(0);
  const [ok, idBefore, idAfter] = r.out.trim().split("\n");
  expect(ok).toBe("OK");
  expect(idAfter).toBe(idBefore); // the same connection answered before and after
  expect(server?.output()).toMatch(/tls-reload: certificate files changed; server reloaded them/);
  expect(cli(atlas, "PING").out.trim()).toBe("PONG");
});

test("the start script forwards SIGTERM and exits with the server's status", async () => {
  const proc = server!.process;
  const pid = Number(/^process_id:(\d+)/m.exec(cli(ops, "INFO", "server").out)?.[1]);
  expect(pid).not.toBe(proc.pid);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  await server!.stop("SIGTERM", 15_000);
  expect(await Promise.race([exited, Promise.resolve(proc.exitCode)])).toBe(0);
  expect(server!.output()).toMatch(/Received SIGTERM scheduling shutdown/);
  expect(() => process.kill(pid, 0)).toThrow();
});
