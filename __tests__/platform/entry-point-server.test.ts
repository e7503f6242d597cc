import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { entryPointNginxConf } from "../../constructs/kubernetes/config/nginx-conf";
import { freePort, makeTestPki, removeDir, run, startServer, tempDir, waitFor, type RunningServer, type TestPki } from "./support/servers";

// A real nginx started on loopback with the GENERATED entry-point configuration (only ports, file
// paths and upstream addresses are the test's), in front of a small HTTPS upstream.
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
  nginx = startServer("/usr/sbin/nginx", ["-c", conf, "-p", dir, "-g", "daemon off;"]);
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
