import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodedStack } from "../support/deployments";
import { freePort, makeTestPki, removeDir, requireBinaries, run, startServer, tempDir, waitFor, type RunningServer, type TestPki } from "./support/servers";

// Keycloak's admin console, admin API and master realm are off the public path: a real nginx runs the
// entry point's nginx.conf AS SYNTHESIZED (the default deployment, decoded by terraform); only ports,
// file paths and the upstream address are the test's. The upstream echoes the path it receives.
jest.setTimeout(60_000);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let dir: string;
let pki: TestPki;
let https: number;
let nginx: RunningServer | undefined;
let upstream: RunningServer | undefined;

beforeAll(async () => {
  requireBinaries(["/usr/sbin/nginx", "curl", "openssl"]);
  const blocks = decodedStack("default", "platform").blocks as Record<string, Json>;
  let conf: string = Object.values(blocks).find((b) => b.metadata?.name === "entry-point-config")!.data["nginx.conf"];
  dir = tempDir("nginx-admin-");
  pki = makeTestPki(dir);
  const [http, upstreamPort] = [await freePort(), await freePort()];
  https = await freePort();
  const script = `require("node:https").createServer({ cert: require("node:fs").readFileSync(process.argv[1]), key: require("node:fs").readFileSync(process.argv[2]) },
    (req, res) => res.end("upstream saw " + req.url)).listen(Number(process.argv[3]), "127.0.0.1");`;
  upstream = startServer(process.execPath, ["-e", script, pki.serverCert, pki.serverKey, String(upstreamPort)]);
  conf = conf
    .replace(/listen 8443 ssl http2;/, `listen 127.0.0.1:${https} ssl http2;`)
    .replace(/listen 8080;/, `listen 127.0.0.1:${http};`)
    .replace(/\/vault\/secrets\/tls\.crt/g, pki.serverCert)
    .replace(/\/vault\/secrets\/tls\.key/g, pki.serverKey)
    .replace(/\/vault\/secrets\/ca\.crt/g, pki.caCert)
    .replace(/https:\/\/(keycloak\.identity|atlas\.metadata)\.svc:\d+;/g, `https://127.0.0.1:${upstreamPort};`)
    .replace(/proxy_ssl_name (?!localhost)[^\s;]+;/g, "proxy_ssl_name localhost;")
    .replace(/pid \/tmp\//, `pid ${dir}/`)
    .replace("access_log /dev/stdout;", `access_log ${dir}/access.log;`)
    .replace(/_temp_path \/tmp\//g, `_temp_path ${dir}/`)
    .replace(/^(\s*)server_name \S+;/gm, "$1server_name localhost;");
  writeFileSync(join(dir, "nginx.conf"), conf);
  await waitFor("the upstream", () => run("curl", ["-sk", "--max-time", "2", `https://127.0.0.1:${upstreamPort}/`]).out.startsWith("upstream saw"), 20_000);
  nginx = startServer("/usr/sbin/nginx", ["-c", join(dir, "nginx.conf"), "-p", dir, "-g", "daemon off;"]);
  await waitFor("nginx", () => run("curl", ["-sk", "--max-time", "2", `https://127.0.0.1:${https}/healthz`]).out === "ok", 20_000).catch((e) => {
    throw new Error(`${e.message}\n${nginx?.output()}\n${conf}`);
  });
});

afterAll(async () => {
  await nginx?.stop("SIGQUIT", 10_000);
  await upstream?.stop("SIGTERM", 5_000);
  if (dir) removeDir(dir);
});

const get = (path: string) => {
  const r = run("curl", ["-sS", "--path-as-is", "--max-time", "5", "--cacert", pki.caCert, "-o", "-", "-w", "\n%{http_code}", `https://localhost:${https}${path}`], {}, 10_000);
  const lines = r.out.trim().split("\n");
  return { status: lines.pop(), body: lines.join("\n") };
};

test("the platform realm's login, OIDC and broker endpoints and the theme resources reach Keycloak", () => {
  for (const p of ["/auth/realms/platform/protocol/openid-connect/auth?client_id=atlas", "/auth/realms/platform/broker/saml/endpoint", "/auth/resources/abc12/login/keycloak.v2/css/styles.css"]) {
    expect(get(p)).toEqual({ status: "200", body: `upstream saw ${p}` });
  }
});

test("the admin console, the admin REST API, the master realm and the rest of /auth/ answer 404 and never reach Keycloak", () => {
  for (const p of [
    "/auth/admin/master/console/",
    "/auth/admin/realms/platform/users",
    "/auth/realms/master/protocol/openid-connect/token",
    "/auth/realms/master/protocol/openid-connect/auth?client_id=security-admin-console",
    "/auth/",
    "/auth/metrics",
    "/auth/realms/platform/../../admin/master/console/",
    "/auth/realms/platform/%2e%2e/%2e%2e/admin/master/console/",
    "/auth/realms/platform/..%2f..%2fadmin/master/console/",
    "/auth/resources/../admin/master/console/",
    "/auth//admin/master/console/",
  ]) {
    expect({ p, ...get(p) }).toEqual({ p, status: "404", body: expect.not.stringContaining("upstream saw") });
  }
});
