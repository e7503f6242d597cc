import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { configMapData, localPod, PodRewrite, podContainer, probeCheck, writeConfigMap, type LocalPod } from "./support/pod";
import { synthesizedStacks } from "../support/deployments";
import { certificateSerial, freePort, presentedSerial, removeDir, requireBinaries, run, startServer, tempDir, type RunningServer, waitFor } from "./support/servers";

// Two real nginx servers from the SYNTHESIZED default deployment, each run by its pod's synthesized
// serve script on its decoded ConfigMap and the files its Vault Agent renders: the entry point (public
// certificate issued by the entry point's PKI role for the public name) and Atlas's TLS sidecar (in
// front of a stand-in for Atlas on loopback). Keycloak is a stand-in presenting Keycloak's Vault-issued
// certificate. The entry point verifies both upstreams by their service names against the platform CA.
// Only ports, file paths, upstream addresses and the watcher's interval are the test's.
jest.setTimeout(90_000);

const KEY = "default";
const PUBLIC = "catalog.example.com";
let dir: string;
let entry: LocalPod;
let atlas: LocalPod;
let keycloak: LocalPod;
let redis: LocalPod;
const ports: Record<string, number> = {};
const servers: RunningServer[] = [];
let entryNginx: RunningServer;
let keycloakStandIn: RunningServer;

/** An HTTPS stand-in presenting a pod's rendered certificate. */
function httpsStandIn(name: string, p: LocalPod, port: number): RunningServer {
  const script = `const fs = require("node:fs"); require("node:https").createServer({ cert: fs.readFileSync(process.argv[1]), key: fs.readFileSync(process.argv[2]) },
    (req, res) => res.end(process.argv[4] + " saw " + req.url + " proto=" + req.headers["x-forwarded-proto"])).listen(Number(process.argv[3]), "127.0.0.1");`;
  return startServer(process.execPath, ["-e", script, p.local("/vault/secrets/tls.crt"), p.local("/vault/secrets/tls.key"), String(port), name]);
}

/** Starts a pod's nginx container by its synthesized command, with the test's paths and ports. */
function startNginx(p: LocalPod, configMap: string, literals: readonly (readonly [string | RegExp, string])[]): RunningServer {
  const container = podContainer(p.pod, p.pod.name === "atlas" ? "tls" : "nginx");
  const mounts = Object.fromEntries((container.body.volume_mount as { mount_path: string }[]).map((m) => [m.mount_path, p.local(m.mount_path)]));
  for (const d of Object.values(mounts)) mkdirSync(d, { recursive: true });
  const rewrite = new PodRewrite(mounts, [...literals, ["sleep 60 ", "sleep 1 "], ["nginx -c", "/usr/sbin/nginx -c"], ["nginx -t -c", "/usr/sbin/nginx -t -c"]]);
  writeConfigMap(configMapData(KEY, configMap), mounts["/etc/nginx-platform"], rewrite);
  const s = startServer(container.command[0], rewrite.command(container.command.slice(1)), { logFile: p.local("/tmp/nginx.log") });
  servers.push(s);
  return s;
}

const curl = (...args: string[]) => run("curl", ["-sS", "--max-time", "5", "-o", "-", "-w", "\n%{http_code}", ...args], {}, 10_000);
const status = (r: { out: string }) => r.out.trim().split("\n").pop();
/** A user's request: the public name resolved to the test's port, verified against the platform CA. */
const user = (path: string, ...extra: string[]) =>
  curl("--resolve", `${PUBLIC}:${ports.https}:127.0.0.1`, "--cacert", entry.local("/vault/secrets/ca.crt"), ...extra, `https://${PUBLIC}:${ports.https}${path}`);

beforeAll(async () => {
  requireBinaries(["/usr/sbin/nginx", "curl", "openssl"]);
  dir = tempDir("nginx-pods-");
  const caDir = join(dir, "ca");
  entry = localPod(KEY, "entry-point", { root: join(dir, "entry-point"), caDir });
  atlas = localPod(KEY, "atlas", { root: join(dir, "atlas"), caDir });
  keycloak = localPod(KEY, "keycloak", { root: join(dir, "keycloak"), caDir });
  redis = localPod(KEY, "redis", { root: join(dir, "redis"), caDir });
  for (const k of ["https", "http", "atlasTls", "atlas", "keycloak"]) ports[k] = await freePort();

  servers.push(startServer(process.execPath, ["-e", `require("node:http").createServer((q, r) => r.end("atlas saw " + q.url + " proto=" + q.headers["x-forwarded-proto"])).listen(${ports.atlas}, "127.0.0.1")`]));
  keycloakStandIn = httpsStandIn("keycloak", keycloak, ports.keycloak);
  servers.push(keycloakStandIn);
  startNginx(atlas, "atlas-config", [
    ["listen 21443 ssl;", `listen 127.0.0.1:${ports.atlasTls} ssl;`],
    ["proxy_pass http://127.0.0.1:21000;", `proxy_pass http://127.0.0.1:${ports.atlas};`],
  ]);
  entryNginx = startNginx(entry, "entry-point-config", [
    [/listen 8443 ssl/g, `listen 127.0.0.1:${ports.https} ssl`],
    [/listen 8080;/g, `listen 127.0.0.1:${ports.http};`],
    ["proxy_pass https://keycloak.identity.svc:8443;", `proxy_pass https://127.0.0.1:${ports.keycloak};`],
    ["proxy_pass https://atlas.metadata.svc:21443;", `proxy_pass https://127.0.0.1:${ports.atlasTls};`],
  ]);
  await waitFor("the entry point to answer its health check", () => status(curl("-k", `https://127.0.0.1:${ports.https}/healthz`)) === "200", 30_000).catch((e) => {
    throw new Error(`${e.message}\n${servers.map((s) => s.output()).join("\n")}`);
  });
});

afterAll(async () => {
  for (const s of servers.reverse()) await s.stop("SIGQUIT", 10_000);
  if (dir) removeDir(dir);
});

test("the synthesized probes pass: the entry point's /healthz over HTTPS, the Atlas sidecar's TLS port", () => {
  const health = probeCheck(podContainer(entry.pod, "nginx"), "readiness");
  expect(health.http_get).toEqual({ path: "/healthz", port: "https", scheme: "HTTPS" });
  // The kubelet's HTTPS probe does not verify the certificate.
  expect(status(curl("-k", `https://127.0.0.1:${ports.https}/healthz`))).toBe("200");
  const tcp = probeCheck(podContainer(atlas.pod, "tls"), "readiness");
  expect(tcp.tcp_socket).toEqual([{ port: "21443" }]);
  expect(run("openssl", ["s_client", "-connect", `127.0.0.1:${ports.atlasTls}`], {}, 10_000).out).toMatch(/CONNECTED/);
});

test("a GKE Gateway's health check, as the synthesized HealthCheckPolicy (examples/gcp-estate-keys.yaml) sets it, is answered 200: HTTPS, no SNI, Host the endpoint's address", () => {
  const platform = (synthesizedStacks("examples-gcp-estate-keys") as unknown as Record<string, { resource: Record<string, Record<string, { manifest: Record<string, any> }>> }>)["globex-keys-platform"]; // eslint-disable-line @typescript-eslint/no-explicit-any
  const policy = Object.values(platform.resource.kubernetes_manifest).map((m) => m.manifest).find((m) => m.kind === "HealthCheckPolicy");
  const check = policy?.spec.default.config;
  expect(check?.type).toBe("HTTPS");
  // The policy's port is the container port nginx serves HTTPS on (the endpoint's port, with NEGs).
  const httpsPort = (podContainer(entry.pod, "nginx").body.port as { name: string; container_port: number }[]).find((p) => p.name === "https");
  expect(check.httpsHealthCheck.port).toBe(httpsPort?.container_port);
  // Google's checker sends no SNI and, with no host set, the endpoint's IP as Host; it does not verify the certificate.
  expect(check.httpsHealthCheck.host).toBeUndefined();
  expect(status(curl("-k", "-H", "Host: 10.96.0.10", `https://127.0.0.1:${ports.https}${check.httpsHealthCheck.requestPath}`))).toBe("200");
});

test("a user verifies the entry point's certificate for the public name against the platform CA, and gets HSTS", () => {
  const r = user("/healthz", "-D", "-");
  expect(status(r)).toBe("200");
  expect(r.out).toMatch(/strict-transport-security: max-age=31536000; includeSubDomains/i);
});

test("plain HTTP only redirects to HTTPS, keeping the path", () => {
  const r = run("curl", ["-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "--resolve", `${PUBLIC}:${ports.http}:127.0.0.1`, `http://${PUBLIC}:${ports.http}/search?q=x`], {}, 10_000);
  expect(r.out).toBe(`301 https://${PUBLIC}/search?q=x`);
});

test("TLS 1.1 is refused, TLS 1.2 accepted", () => {
  const handshake = (version: string) =>
    run("openssl", ["s_client", "-brief", "-connect", `127.0.0.1:${ports.https}`, version, "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", entry.local("/vault/secrets/ca.crt"), "-servername", PUBLIC], {}, 10_000);
  expect(handshake("-tls1_2").out).toMatch(/Protocol version: TLSv1\.2/);
  expect(handshake("-tls1_1").out).not.toMatch(/Protocol version/);
});

test("Atlas is reached through its TLS sidecar, whose Vault certificate the entry point verifies as atlas.metadata.svc", () => {
  const r = user("/api/atlas/v2/search");
  expect(r.out).toContain("atlas saw /api/atlas/v2/search proto=https");
  expect(status(r)).toBe("200");
});

test("Keycloak is reached over TLS verified as keycloak.identity.svc; another service's Vault certificate at its address is refused (502)", async () => {
  const r = user("/auth/realms/platform/protocol/openid-connect/auth?client_id=atlas");
  expect(r.out).toContain("keycloak saw /auth/realms/platform/protocol/openid-connect/auth?client_id=atlas proto=https");
  // The same address now answered by a server holding Redis's certificate (names redis.cache.svc...).
  await keycloakStandIn.stop("SIGTERM", 5_000);
  const impostor = httpsStandIn("impostor", redis, ports.keycloak);
  servers.push(impostor);
  await waitFor("the impostor", () => run("curl", ["-sk", "--max-time", "2", `https://127.0.0.1:${ports.keycloak}/`]).out.startsWith("impostor saw"), 20_000);
  expect(status(user("/auth/realms/platform/account"))).toBe("502");
  expect(readFileSync(entry.local("/tmp/nginx.log"), "utf8")).toMatch(/upstream SSL certificate does not match "keycloak\.identity\.svc"/);
});

test("a renewal by the sidecar is served to new connections after the watcher's tested reload, with no restart of the master", async () => {
  const serial = () => presentedSerial(ports.https, ["-CAfile", entry.local("/vault/secrets/ca.crt"), "-servername", PUBLIC]);
  const master = () => readFileSync(entry.local("/tmp/nginx.pid"), "utf8").trim();
  const before = { serial: serial(), master: master() };
  // The sidecar 630 h later: past ~87% of the 720 h public certificate, it issues a new one.
  expect(entry.rerender(630 * 3600).issued).toHaveLength(1);
  const renewed = certificateSerial(readFileSync(entry.local("/vault/secrets/tls.crt"), "utf8"));
  expect(renewed).not.toBe(before.serial);
  await waitFor("a new connection to present the renewed certificate", () => serial() === renewed, 20_000).catch((e) => {
    throw new Error(`${e.message}\n${entryNginx.output()}`);
  });
  expect(master()).toBe(before.master);
  expect(status(user("/api/atlas/v2/search"))).toBe("200");
});

test("the synthesized serve script forwards SIGQUIT (graceful stop) and exits with nginx's status", async () => {
  const proc = entryNginx.process;
  const pid = Number(readFileSync(entry.local("/tmp/nginx.pid"), "utf8").trim());
  expect(pid).not.toBe(proc.pid);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  await entryNginx.stop("SIGQUIT", 15_000);
  expect(await Promise.race([exited, Promise.resolve(proc.exitCode)])).toBe(0);
  expect(() => process.kill(pid, 0)).toThrow();
});
