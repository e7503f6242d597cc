import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PREVIEW_TTL_SECONDS, REDIS_TLS_RELOADER } from "../../constructs/kubernetes/server-config/redis-conf";
import { configMapData, localPod, PodRewrite, podContainer, probeCommand, writeConfigMap, type LocalPod } from "./support/pod";
import { certificateSerial, freePort, holdSession, presentedSerial, removeDir, requireBinaries, run, startServer, tempDir, type RunningServer, waitFor } from "./support/servers";

// A real redis-server started on loopback from the SYNTHESIZED redis pod of the default deployment: the
// decoded `redis-config` ConfigMap (redis.conf, start.sh) and the files its Vault Agent renders
// (certificate, key and chain issued the way the synthesized PKI role issues them; the ACL file with
// the hash of the password `npm run vault:bootstrap` wrote). The test changes only paths (pod -> local),
// the port, the bind address and the watcher's interval. The probes are the synthesized ones.
// `.ci/install-test-servers` installs redis.
jest.setTimeout(90_000);

const KEY = "default";
let dir: string;
let redis: LocalPod;
let atlas: LocalPod;
let entryPoint: LocalPod;
let port: number;
let rewrite: PodRewrite;
let server: RunningServer | undefined;
const OPS_PASSWORD = "test-only-ops-password";
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** A client's TLS files: a pod's rendered tls.crt/tls.key/ca.crt. */
const tlsOf = (p: LocalPod) => ({ ca: p.local("/vault/secrets/ca.crt"), cert: p.local("/vault/secrets/tls.crt"), key: p.local("/vault/secrets/tls.key") });

type Client = { tls?: { ca: string; cert?: string; key?: string }; user?: string; password?: string };

/** redis-cli against the server; the password goes through REDISCLI_AUTH, never argv. */
function cli(c: Client, ...command: string[]) {
  const args = ["-h", "127.0.0.1", "-p", String(port)];
  if (c.tls) args.push("--tls", "--cacert", c.tls.ca, ...(c.tls.cert ? ["--cert", c.tls.cert, "--key", c.tls.key!] : []));
  if (c.user) args.push("--user", c.user);
  return run("redis-cli", [...args, ...command], c.password ? { REDISCLI_AUTH: c.password } : {}, 10_000);
}

let atlasClient: Client;
let ops: Client;
let anonymous: Client;

beforeAll(async () => {
  requireBinaries(["redis-server", "redis-cli", "openssl"]);
  dir = tempDir("redis-pod-");
  const caDir = join(dir, "ca");
  redis = localPod(KEY, "redis", { root: join(dir, "redis"), caDir });
  atlas = localPod(KEY, "atlas", { root: join(dir, "atlas"), caDir });
  entryPoint = localPod(KEY, "entry-point", { root: join(dir, "entry-point"), caDir });
  port = await freePort();
  const container = podContainer(redis.pod, "redis");
  // Every directory the redis container mounts, under the pod's root.
  const mounts = Object.fromEntries((container.body.volume_mount as { mount_path: string }[]).map((m) => [m.mount_path, redis.local(m.mount_path)]));
  for (const d of Object.values(mounts)) mkdirSync(d, { recursive: true });
  rewrite = new PodRewrite(mounts, [
    [/^bind .*$/m, "bind 127.0.0.1"],
    ["tls-port 6379", `tls-port ${port}`],
    ["-p 6379", `-p ${port}`],
    ["sleep 60 ", "sleep 1 "],
  ]);
  writeConfigMap(configMapData(KEY, "redis-config"), mounts["/etc/redis"], rewrite);
  // Test only: an operator user that may read CONFIG (application users may not), next to Vault's users.
  writeFileSync(redis.local("/vault/secrets/users.acl"), `${readFileSync(redis.local("/vault/secrets/users.acl"), "utf8")}user ops on #${sha256(OPS_PASSWORD)} ~* +@all\n`);
  server = startServer("sh", rewrite.command(container.command.slice(1)));

  atlasClient = { tls: tlsOf(atlas), user: "atlas", password: readFileSync(atlas.local("/vault/secrets/redis-password"), "utf8") };
  ops = { tls: tlsOf(redis), user: "ops", password: OPS_PASSWORD };
  anonymous = { tls: tlsOf(redis) };
  const readiness = rewrite.command(probeCommand(container, "readiness"));
  await waitFor("the synthesized readiness probe to pass", () => run(readiness[0], readiness.slice(1), {}, 10_000).status === 0, 30_000).catch((e) => {
    throw new Error(`${e.message}\n${server?.output()}\nprobe: ${run(readiness[0], readiness.slice(1)).out}`);
  });
});

afterAll(async () => {
  await server?.stop("SIGTERM", 10_000);
  if (dir) removeDir(dir);
});

test("the synthesized startup, readiness and liveness probes pass: Redis's own certificate is accepted as a client certificate", () => {
  const container = podContainer(redis.pod, "redis");
  for (const probe of ["startup", "readiness", "liveness"] as const) {
    const cmd = rewrite.command(probeCommand(container, probe));
    const r = run(cmd[0], cmd.slice(1), {}, 10_000);
    expect(`${probe}: ${r.status} ${r.out}`).toBe(`${probe}: 0 `);
  }
});

test("Atlas connects with its own Vault-issued certificate and the password Vault rendered for it, verifying Redis's name", () => {
  expect(cli(atlasClient, "PING").out.trim()).toBe("PONG");
  const verify = run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-verify_hostname", "redis.cache.svc", "-verify_return_error", "-CAfile", atlasClient.tls!.ca, "-cert", atlasClient.tls!.cert!, "-key", atlasClient.tls!.key!], {}, 10_000);
  expect(verify.out).toMatch(/Verify return code: 0 \(ok\)/);
});

test("a client without a certificate, or with a Vault certificate that lacks the clientAuth usage, is refused", () => {
  expect(cli({ ...atlasClient, tls: { ca: atlasClient.tls!.ca } }, "PING").out).not.toMatch(/PONG/);
  // The entry point's role issues server certificates only (client_flag false).
  const serverOnly = cli({ ...atlasClient, tls: tlsOf(entryPoint) }, "PING");
  expect(serverOnly.out).not.toMatch(/PONG/);
  expect(serverOnly.out).toMatch(/I\/O error|Server closed the connection/);
  // The server's TLS alert names the reason: the certificate's purpose (no clientAuth usage).
  const e = tlsOf(entryPoint);
  const alert = run("openssl", ["s_client", "-tls1_2", "-connect", `127.0.0.1:${port}`, "-CAfile", e.ca, "-cert", e.cert, "-key", e.key], {}, 10_000);
  expect(alert.out).toMatch(/alert unsupported certificate/);
});

test("a plaintext connection gets no answer (port 0: only the TLS port exists)", () => {
  expect(cli({ user: "atlas", password: atlasClient.password }, "PING").out).not.toMatch(/PONG/);
});

test("TLS without authentication is refused (the default user is off), and so is a wrong password", () => {
  expect(cli(anonymous, "PING").out).toMatch(/NOAUTH/);
  expect(cli(anonymous, "GET", "preview:x").out).toMatch(/NOAUTH/);
  expect(cli({ ...anonymous, user: "default", password: "" }, "PING").out).not.toMatch(/PONG/);
  expect(cli({ ...atlasClient, password: "wrong" }, "PING").out).toMatch(/WRONGPASS|invalid username-password/);
});

test("Atlas is confined to preview:* keys with the documented TTL, and denied dangerous commands", () => {
  expect(cli(atlasClient, "SET", "preview:table-1", "rows", "EX", String(PREVIEW_TTL_SECONDS)).out.trim()).toBe("OK");
  const ttl = Number(cli(atlasClient, "TTL", "preview:table-1").out.trim());
  expect(ttl).toBeGreaterThan(PREVIEW_TTL_SECONDS - 10);
  expect(cli(atlasClient, "SET", "other:key", "x").out).toMatch(/NOPERM/);
  for (const cmd of [["FLUSHALL"], ["CONFIG", "GET", "maxmemory"], ["KEYS", "*"], ["DEBUG", "SLEEP", "0"], ["SHUTDOWN"], ["ACL", "LIST"], ["EVAL", "return 1", "0"], ["REPLICAOF", "127.0.0.1", "1"]]) {
    expect(`${cmd[0]}: ${cli(atlasClient, ...cmd).out}`).toMatch(/NOPERM|no permissions|DEBUG command not allowed/);
  }
});

test("memory is bounded with allkeys-lru, persistence is off, TLS only (1.2+) and mutual", () => {
  const get = (key: string) => cli(ops, "CONFIG", "GET", key).out.split("\n").slice(0, 2);
  expect(get("maxmemory-policy")).toEqual(["maxmemory-policy", "allkeys-lru"]);
  expect(get("maxmemory")).toEqual(["maxmemory", String(512 * 1024 * 1024)]);
  expect(get("save")).toEqual(["save", ""]);
  expect(get("appendonly")).toEqual(["appendonly", "no"]);
  expect(get("port")).toEqual(["port", "0"]);
  expect(get("tls-auth-clients")).toEqual(["tls-auth-clients", "yes"]);
  const handshake = (version: string) =>
    run("openssl", ["s_client", "-brief", "-connect", `127.0.0.1:${port}`, version, "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", ops.tls!.ca, "-cert", ops.tls!.cert!, "-key", ops.tls!.key!], {}, 10_000);
  expect(handshake("-tls1_2").out).toMatch(/Protocol version: TLSv1\.2/);
  expect(handshake("-tls1_1").out).not.toMatch(/Protocol version/);
});

test("the reloader may run CONFIG SET and nothing else, with a password made at start in the runtime directory", () => {
  const runtime = rewrite.path("/run/redis");
  const reloader: Client = { tls: tlsOf(redis), user: REDIS_TLS_RELOADER, password: readFileSync(join(runtime, `${REDIS_TLS_RELOADER}.password`), "utf8") };
  expect(reloader.password).toMatch(/^[0-9a-f]{64}$/);
  for (const f of [`${REDIS_TLS_RELOADER}.password`, "users.acl"]) expect(`${f} ${(statSync(join(runtime, f)).mode & 0o777).toString(8)}`).toBe(`${f} 600`);
  expect(cli(reloader, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru").out.trim()).toBe("OK");
  for (const cmd of [["GET", "preview:x"], ["CONFIG", "GET", "*"], ["ACL", "LIST"], ["FLUSHALL"]]) expect(`${cmd[0]}: ${cli(reloader, ...cmd).out}`).toMatch(/NOPERM|no permissions/);
  expect(cli(reloader, "CONFIG", "SET", "dir", "/tmp").out).toMatch(/protected config/);
});

test("a renewal by the sidecar is served to new connections after the watcher's CONFIG SET, with no restart and the open connection kept", async () => {
  const tls = tlsOf(redis);
  const serial = () => presentedSerial(port, ["-CAfile", tls.ca, "-cert", tls.cert, "-key", tls.key]);
  const info = (field: string) => new RegExp(`^${field}:(\\S+)`, "m").exec(cli(ops, "INFO", "server").out)?.[1];
  const before = { serial: serial(), runId: info("run_id") };
  const args = ["-h", "127.0.0.1", "-p", String(port), "--tls", "--cacert", tls.ca, "--cert", tls.cert, "--key", tls.key, "--user", "ops"];
  const held = holdSession("redis-cli", args, { REDISCLI_AUTH: OPS_PASSWORD });
  held.send("CLIENT SETNAME held");
  held.send("CLIENT ID");
  await waitFor("the held connection", () => /name=held/.test(cli(ops, "CLIENT", "LIST").out), 10_000);

  // The sidecar, 66 h later: past ~90% of the 72 h certificate, it issues a new one and rewrites the files.
  const renewed = redis.rerender(66 * 3600);
  expect(renewed.issued).toHaveLength(1);
  const newSerial = certificateSerial(readFileSync(tls.cert, "utf8"));
  expect(newSerial).not.toBe(before.serial);
  await waitFor("a new connection to present the renewed certificate", () => serial() === newSerial, 20_000).catch((e) => {
    throw new Error(`${e.message}\n${server?.output()}`);
  });
  expect(info("run_id")).toBe(before.runId);
  const r = await held.finish("CLIENT ID");
  const [ok, idBefore, idAfter] = r.out.trim().split("\n");
  expect(ok).toBe("OK");
  expect(idAfter).toBe(idBefore);
  expect(cli(atlasClient, "PING").out.trim()).toBe("PONG");
});

test("the synthesized start script forwards SIGTERM and exits with the server's status", async () => {
  const proc = server!.process;
  const pid = Number(/^process_id:(\d+)/m.exec(cli(ops, "INFO", "server").out)?.[1]);
  expect(pid).not.toBe(proc.pid);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  await server!.stop("SIGTERM", 15_000);
  expect(await Promise.race([exited, Promise.resolve(proc.exitCode)])).toBe(0);
  expect(() => process.kill(pid, 0)).toThrow();
});
