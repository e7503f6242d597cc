import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { entryPointNginxConf, nginxServeScript } from "../../constructs/kubernetes/config/nginx-conf";
import { freePort, issueServerCertificate, makeTestPki, presentedSerial, removeDir, requireBinaries, run, startServer, tempDir, type RunningServer, type TestPki, waitFor } from "./support/servers";

// A real nginx started on loopback with the GENERATED entry-point configuration (only ports, file
// paths and upstream addresses are the test's), in front of a small HTTPS upstream, run by the
// GENERATED serve script (nginx + certificate watcher, as in the pod).
// `.ci/install-test-servers` installs nginx.
jest.setTimeout(60_000);

let dir: string;
let pki: TestPki;
let https: number;
let http: number;
let upstreamPort: number;
let nginx: RunningServer | undefined;
let upstream: RunningServer | undefined;

function curl(...args: string[]) {
  return run("curl", ["-sS", "--max-time", "5", "--cacert", pki.caCert, "-o", "-", "-w", "\n%{http_code}", ...args], {}, 10_000);
}
const status = (r: { out: string }) => r.out.trim().split("\n").pop();

beforeAll(async () => {
  requireBinaries(["/usr/sbin/nginx", "curl", "openssl"]);
  dir = tempDir("nginx-test-");
  pki = makeTestPki(dir);
  [https, http, upstreamPort] = [await freePort(), await freePort(), await freePort()];
  // The upstream presents a certificate for "localhost" from the test CA, as Atlas's would for its name.
  // A separate process: the clients below run synchronously and would block an in-process server.
  const script = `require("node:https").createServer({ cert: require("node:fs").readFileSync(process.argv[1]), key: require("node:fs").readFileSync(process.argv[2]) },
    (req, res) => res.end("upstream saw " + req.url + " proto=" + req.headers["x-forwarded-proto"])).listen(Number(process.argv[3]), "127.0.0.1");`;
  upstream = startServer(process.execPath, ["-e", script, pki.serverCert, pki.serverKey, String(upstreamPort)]);
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    entryPointNginxConf({
      serverName: "localhost",
      httpsPort: https,
      httpPort: http,
      certificate: { certFile: pki.serverCert, keyFile: pki.serverKey },
      upstreamCaFile: pki.caCert,
      runtimeDir: dir,
      listenAddress: "127.0.0.1",
      accessLog: join(dir, "access.log"),
      routes: [
        // A name the upstream's certificate does not carry: verification must refuse it.
        { path: "/wrong-name/", upstream: `https://127.0.0.1:${upstreamPort}`, upstreamName: "keycloak.identity.svc" },
        { path: "/", upstream: `https://127.0.0.1:${upstreamPort}`, upstreamName: "localhost" },
      ],
    }),
  );
  const check = run("/usr/sbin/nginx", ["-t", "-c", conf, "-p", dir]);
  if (check.status !== 0) throw new Error(`nginx -t failed:\n${check.out}\n${readFileSync(conf, "utf8")}`);
  // The pod's serve script with a 1 s watcher round.
  const serve = join(dir, "serve.sh");
  writeFileSync(serve, nginxServeScript({ confFile: conf, prefix: dir, nginxBinary: "/usr/sbin/nginx", watchFiles: [pki.serverCert, pki.serverKey, pki.caCert], intervalSeconds: 1 }));
  nginx = startServer("sh", [serve]);
  await waitFor("the upstream", () => run("curl", ["-sk", "--max-time", "2", `https://127.0.0.1:${upstreamPort}/`]).out.startsWith("upstream saw"), 20_000);
  await waitFor("nginx to serve HTTPS", () => status(curl(`https://localhost:${https}/healthz`)) === "200", 20_000).catch((e) => {
    throw new Error(`${e.message}\n${nginx?.output()}`);
  });
});

afterAll(async () => {
  await nginx?.stop("SIGQUIT", 10_000);
  await upstream?.stop("SIGTERM", 5_000);
  if (dir) removeDir(dir);
});

test("plain HTTP only redirects to HTTPS, keeping the path", () => {
  const r = run("curl", ["-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", `http://localhost:${http}/search?q=x`], {}, 10_000);
  expect(r.out).toBe("301 https://localhost/search?q=x");
});

test("HTTPS serves with HSTS", () => {
  const r = run("curl", ["-sS", "--max-time", "5", "--cacert", pki.caCert, "-D", "-", "-o", "/dev/null", `https://localhost:${https}/healthz`], {}, 10_000);
  expect(r.out).toMatch(/^HTTP\/\S+ 200/);
  expect(r.out).toMatch(/strict-transport-security: max-age=31536000; includeSubDomains/i);
});

test("TLS 1.1 is refused, TLS 1.2 accepted", () => {
  const handshake = (version: string) =>
    run("openssl", ["s_client", "-brief", "-connect", `127.0.0.1:${https}`, version, "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", pki.caCert, "-servername", "localhost"], {}, 10_000);
  expect(handshake("-tls1_2").out).toMatch(/Protocol version: TLSv1\.2/);
  expect(handshake("-tls1_1").out).not.toMatch(/Protocol version/);
});

test("a route reaches its upstream over TLS verified against the platform CA", () => {
  const r = curl(`https://localhost:${https}/api/atlas/v2/search`);
  expect(r.out).toContain("upstream saw /api/atlas/v2/search proto=https");
  expect(status(r)).toBe("200");
});

test("an upstream whose certificate does not match the expected name is refused (502)", () => {
  expect(status(curl(`https://localhost:${https}/wrong-name/x`))).toBe("502");
});

test("a renewed certificate is served to new connections after the watcher's tested reload, with no restart of the master", async () => {
  const serial = () => presentedSerial(https, ["-CAfile", pki.caCert]);
  const master = () => readFileSync(join(dir, "nginx.pid"), "utf8").trim();
  const before = { serial: serial(), master: master() };
  const renewed = issueServerCertificate(pki, "server-renewed");
  expect(renewed.serial).not.toBe(before.serial);

  // A half-written renewal (the new key beside the old chain) fails `nginx -t`: nothing is reloaded, the
  // old pair keeps serving, and the watcher retries.
  writeFileSync(pki.serverKey, readFileSync(renewed.key));
  await waitFor("the watcher to refuse the mismatched pair", () => /reload failed; retrying/.test(nginx?.output() ?? ""), 20_000);
  expect(serial()).toBe(before.serial);
  expect(status(curl(`https://localhost:${https}/healthz`))).toBe("200");

  writeFileSync(pki.serverCert, readFileSync(renewed.cert));
  await waitFor("a new connection to present the renewed certificate", () => serial() === renewed.serial, 20_000).catch((e) => {
    throw new Error(`${e.message}\n${nginx?.output()}`);
  });
  expect(master()).toBe(before.master); // the same master: reloaded, not restarted
  expect(nginx?.output()).toMatch(/tls-reload: certificate files changed; server reloaded them/);
  expect(status(curl(`https://localhost:${https}/api/atlas/v2/search`))).toBe("200");
});

test("the serve script forwards SIGQUIT (graceful stop) and exits with nginx's status", async () => {
  const proc = nginx!.process;
  const master = Number(readFileSync(join(dir, "nginx.pid"), "utf8").trim());
  expect(master).not.toBe(proc.pid);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  await nginx!.stop("SIGQUIT", 15_000);
  expect(await Promise.race([exited, Promise.resolve(proc.exitCode)])).toBe(0);
  expect(() => process.kill(master, 0)).toThrow();
});
