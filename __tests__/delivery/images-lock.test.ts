import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify as toYaml } from "yaml";
import { DEFAULT_DEPLOYMENT } from "../../config/default";
import { deploymentImages } from "../../constructs/kubernetes/images";
import { ROOT, runMain } from "../support/helpers";
import { freePort, makeTestPki, removeDir, requireBinaries, run, startOnFreePort, startServer, tempDir, type RunningServer, type TestPki } from "../platform/support/servers";

/**
 * `npm run images:lock` against a REAL registry on loopback: Debian's docker-registry (the CNCF distribution
 * server, 2.8) over TLS, with token authentication (its WWW-Authenticate challenge, and a token service that
 * signs what the registry verifies), holding small multi-platform images (an OCI image index) that the test
 * builds as OCI layouts and pushes with skopeo, digests preserved. Then the lock feeds the real synth
 * (main.ts), and the policy's "digests required" option is held against it.
 * `.ci/install-test-servers` installs docker-registry and skopeo.
 */
jest.setTimeout(240_000);
const execFileAsync = promisify(execFile);
const TSX_LOADER = path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs");
const INDEX = "application/vnd.oci.image.index.v1+json";
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const PUSHER = { user: "pusher", password: "test-only-push-password" };

let dir: string;
let pki: TestPki;
let tokenService: RunningServer | undefined;
let registry: RunningServer | undefined;
let registryPort: number;
const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/**
 * A token service as registries' are (distribution docs/spec/auth/token.md): an ES256 JWT for the scopes
 * asked, the signing certificate in `x5c` (what the registry verifies against its rootcertbundle), pull for
 * anyone, push for the pusher. Its own process: the test's synchronous clients (skopeo, curl) block this one.
 */
const TOKEN_SERVICE = `
const { createServer } = require("node:https");
const { createPrivateKey, randomUUID, sign, X509Certificate } = require("node:crypto");
const { readFileSync } = require("node:fs");
const [port, cert, key, signingKey, signingCert, user, password] = process.argv.slice(2);
const pkey = createPrivateKey(readFileSync(signingKey));
const x5c = [new X509Certificate(readFileSync(signingCert)).raw.toString("base64")];
const b64 = (x) => (Buffer.isBuffer(x) ? x : Buffer.from(JSON.stringify(x))).toString("base64url");
createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  const url = new URL(req.url, "https://127.0.0.1");
  const basic = /^Basic (.+)$/.exec(req.headers.authorization || "");
  const [u, p] = basic ? Buffer.from(basic[1], "base64").toString().split(":") : [];
  const pusher = u === user && p === password;
  if (basic && !pusher) return res.writeHead(401).end();
  const access = url.searchParams.getAll("scope").map((scope) => {
    const [type, name, actions] = scope.split(":");
    return { type, name, actions: actions.split(",").filter((a) => a === "pull" || pusher) };
  });
  const now = Math.floor(Date.now() / 1000);
  const input = b64({ typ: "JWT", alg: "ES256", x5c }) + "." + b64({ iss: "test-issuer", sub: u || "", aud: url.searchParams.get("service"), exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access });
  const token = input + "." + b64(sign("sha256", Buffer.from(input), { key: pkey, dsaEncoding: "ieee-p1363" }));
  res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
}).listen(Number(port), "127.0.0.1", () => console.log("token service listening on " + port));
`;

/** Writes an OCI layout holding one image index (one linux/amd64 image whose layer holds `content`); returns the index's bytes. */
function buildImage(layoutDir: string, content: string): Buffer {
  const blobs = path.join(layoutDir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer) => {
    const hex = sha256(b);
    writeFileSync(path.join(blobs, hex), b);
    return { digest: `sha256:${hex}`, size: b.length };
  };
  const src = path.join(layoutDir, "src");
  mkdirSync(src);
  writeFileSync(path.join(src, "hello.txt"), content);
  const tar = run("tar", ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", src, "-cf", path.join(layoutDir, "layer.tar"), "hello.txt"]);
  if (tar.status !== 0) throw new Error(tar.out);
  const rawLayer = readFileSync(path.join(layoutDir, "layer.tar"));
  if (run("gzip", ["-n", "-9", path.join(layoutDir, "layer.tar")]).status !== 0) throw new Error("gzip failed");
  const layer = put(readFileSync(path.join(layoutDir, "layer.tar.gz")));
  const config = put(Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [`sha256:${sha256(rawLayer)}`] } })));
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
      }),
    ),
  );
  const indexBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [{ mediaType: MANIFEST, ...manifest, platform: { architecture: "amd64", os: "linux" } }] }));
  const index = put(indexBytes);
  writeFileSync(path.join(layoutDir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    path.join(layoutDir, "index.json"),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: INDEX, ...index, annotations: { "org.opencontainers.image.ref.name": "built" } }] }),
  );
  return indexBytes;
}

/**
 * Pushes a layout's index, every platform image and all, with its digests kept, to `ref` on the test registry.
 * Asynchronous: the registry's log pipe is drained by this process's event loop, which a synchronous child would stall.
 */
async function push(layoutDir: string, ref: string): Promise<void> {
  const args = ["copy", "--all", "--preserve-digests", "--dest-cert-dir", path.join(dir, "certs"), "--dest-creds", `${PUSHER.user}:${PUSHER.password}`, `oci:${layoutDir}:built`, `docker://${ref}`];
  await execFileAsync("skopeo", args, { timeout: 60_000 }).catch((e: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`skopeo copy to ${ref} failed:\n${e.stdout ?? ""}${e.stderr ?? e.message}`);
  });
}

/** Runs the lock command as a user does (npm run images:lock runs tsx on the script), with no credentials of the machine. */
function imagesLock(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX_LOADER, path.join(ROOT, "scripts", "images-lock.ts"), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", HOME: dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

/** A deployment file (the embedded default, through a mirror on the test registry); returns its path. */
function deploymentFile(name: string, images: Record<string, unknown>): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, toYaml({ ...DEFAULT_DEPLOYMENT, name, images }));
  return file;
}

const mirror = (prefix: string) => `127.0.0.1:${registryPort}/${prefix}`;
const lockOf = (file: string) => JSON.parse(readFileSync(file.replace(/\.yaml$/, ".images-lock.json"), "utf8")) as { images: Record<string, { digest: string; mediaType: string }> };
const refs = (prefix: string) => deploymentImages({ vaultDistribution: "vault", registry: mirror(prefix) });
const expected = new Map<string, string>();

beforeAll(async () => {
  requireBinaries(["docker-registry", "skopeo", "openssl", "tar", "gzip"]);
  dir = tempDir("images-lock-");
  const tls = path.join(dir, "tls");
  mkdirSync(tls);
  pki = makeTestPki(tls);
  // skopeo's cert dir trusts every *.crt as a CA and pairs *.key with *.cert: only the CA goes there.
  mkdirSync(path.join(dir, "certs"));
  writeFileSync(path.join(dir, "certs", "ca.crt"), readFileSync(pki.caCert));
  const openssl = (...args: string[]) => {
    const r = run("openssl", args, {}, 30_000);
    if (r.status !== 0) throw new Error(r.out);
  };
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path.join(tls, "token.key"), "-out", path.join(tls, "token.crt"), "-days", "1", "-subj", "/CN=test-token-issuer");
  writeFileSync(path.join(dir, "token-service.js"), TOKEN_SERVICE);
  const token = await startOnFreePort(
    "token service",
    (port) =>
      startServer(process.execPath, [path.join(dir, "token-service.js"), String(port), pki.serverCert, pki.serverKey, path.join(tls, "token.key"), path.join(tls, "token.crt"), PUSHER.user, PUSHER.password]),
    (s) => /token service listening/.test(s.output()),
  );
  tokenService = token.server;
  const tokenPort = token.port;

  const started = await startOnFreePort(
    "docker-registry",
    (port) => {
      const config = path.join(dir, `registry-${port}.yml`);
      writeFileSync(
        config,
        toYaml({
          version: 0.1,
          log: { level: "info" },
          storage: { filesystem: { rootdirectory: path.join(dir, "storage") }, delete: { enabled: true } },
          http: { addr: `127.0.0.1:${port}`, tls: { certificate: pki.serverCert, key: pki.serverKey } },
          auth: { token: { realm: `https://127.0.0.1:${tokenPort}/token`, service: "test-registry", issuer: "test-issuer", rootcertbundle: path.join(tls, "token.crt") } },
        }),
      );
      return startServer("docker-registry", ["serve", config]);
    },
    (s) => /listening on 127\.0\.0\.1/.test(s.output()),
  );
  registry = started.server;
  registryPort = started.port;

  // Every image the deployment runs, under the mirror prefix, each a distinct image.
  for (const image of refs("mirror")) {
    const layout = path.join(dir, `layout-${image.name}`);
    const bytes = buildImage(layout, `${image.name} ${randomUUID()}\n`);
    await push(layout, image.ref);
    expected.set(image.ref, `sha256:${sha256(bytes)}`);
  }
});

afterAll(async () => {
  await registry?.stop();
  await tokenService?.stop();
  if (dir) removeDir(dir);
});

test("the registry wants a token: anonymous manifest requests get its Bearer challenge (what the command must follow)", () => {
  const r = run("curl", ["-sS", "-o", "/dev/null", "-D", "-", "--cacert", path.join(dir, "certs", "ca.crt"), `https://127.0.0.1:${registryPort}/v2/mirror/hashicorp/vault/manifests/1.18.3`]);
  expect(r.out).toMatch(/^HTTP\/\S+ 401/m);
  expect(r.out).toMatch(/www-authenticate: Bearer realm="https:\/\/127\.0\.0\.1:\d+\/token",service="test-registry",scope="repository:mirror\/hashicorp\/vault:pull"/i);
});

test("through a mirror prefix, every image resolves to the digest of the index that was pushed, as the registry itself serves it", async () => {
  const file = deploymentFile("mirrored", { registry: mirror("mirror"), projectRegistry: "registry.example.com/platform" });
  const r = await imagesLock(["--config", file, "--ca-file", path.join(dir, "certs", "ca.crt")]);
  expect(r).toEqual({ code: 0, out: expect.stringContaining("10 images pinned by digest") });
  const lock = lockOf(file);
  expect(Object.keys(lock.images).sort()).toEqual([...expected.keys()].sort());
  for (const [ref, digest] of expected) {
    expect(lock.images[ref]).toEqual({ digest, mediaType: INDEX });
    // skopeo asks the registry on its own: the raw manifest it gets hashes to the locked digest.
    const raw = run("skopeo", ["inspect", "--raw", "--cert-dir", path.join(dir, "certs"), `docker://${ref}`], {}, 30_000);
    expect(`sha256:${sha256(raw.out)}`).toBe(digest);
  }
  // The deployment file names a mirror that holds Atlas too: the project registry is not used.
  expect(Object.keys(lock.images).every((ref) => ref.startsWith(`${mirror("mirror")}/`))).toBe(true);
});

test("synth pulls every image by the locked digest, and with digestsRequired the policy passes", async () => {
  const file = deploymentFile("pinned", { registry: mirror("mirror"), digestsRequired: true });
  expect((await imagesLock(["--config", file, "--ca-file", path.join(dir, "certs", "ca.crt")])).code).toBe(0);
  const out = path.join(dir, "synth-pinned");
  mkdirSync(out);
  const synth = await runMain(["--config", file], out);
  expect({ code: synth.code, stderr: synth.stderr }).toEqual({ code: 0, stderr: "" });
  const images = ["pinned-vault", "pinned-platform"].flatMap((stack) => {
    const text = readFileSync(path.join(out, "cdktf.out", "stacks", stack, "cdk.tf.json"), "utf8");
    return [...text.matchAll(/"image": "([^"]+)"/g)].map((m) => m[1]);
  });
  expect(images.length).toBeGreaterThan(10);
  for (const image of images) {
    const [ref, digest] = image.split("@");
    expect({ image, digest: `${digest}` }).toEqual({ image, digest: expected.get(ref) });
  }
});

test("digestsRequired without a lock fails the policy, naming each image and the command", async () => {
  const file = deploymentFile("unlocked", { registry: mirror("mirror"), digestsRequired: true });
  const out = path.join(dir, "synth-unlocked");
  mkdirSync(out);
  const synth = await runMain(["--config", file], out);
  expect(synth.code).toBe(1);
  expect(synth.stderr).toContain(`[K8S-28] a container image is not pinned by digest: container "vault": image "${mirror("mirror")}/hashicorp/vault:1.18.3" has no digest in the deployment's image lock`);
  expect(synth.stderr).toContain("npm run images:lock -- --config <deployment file>");
});

test("a tag that moved: the lock follows the registry, and the command says which digest it replaced", async () => {
  const file = deploymentFile("moving", { registry: mirror("mirror"), projectRegistry: "registry.example.com/platform" });
  const ca = ["--ca-file", path.join(dir, "certs", "ca.crt")];
  expect((await imagesLock(["--config", file, ...ca])).code).toBe(0);
  const redis = refs("mirror").find((i) => i.name === "redis")!.ref;
  const before = lockOf(file).images[redis].digest;
  const layout = path.join(dir, "layout-redis-moved");
  const bytes = buildImage(layout, `redis, rebuilt ${randomUUID()}\n`);
  await push(layout, redis);
  const after = `sha256:${sha256(bytes)}`;
  const r = await imagesLock(["--config", file, ...ca]);
  expect(r.code).toBe(0);
  expect(r.out).toContain(`${redis} ${after} (index; MOVED: was ${before})`);
  expect(lockOf(file).images[redis].digest).toBe(after);
  expect(r.out.match(/unchanged\)/g)).toHaveLength(9);
  expected.set(redis, after);
});

test("a missing tag: the command names the image and the registry's 404, and writes nothing", async () => {
  // Under `partial/`, every image but Keycloak.
  for (const image of refs("partial").filter((i) => i.name !== "keycloak")) {
    const layout = path.join(dir, `layout-partial-${image.name}`);
    buildImage(layout, `${image.name} ${randomUUID()}\n`);
    await push(layout, image.ref);
  }
  const file = deploymentFile("partial", { registry: mirror("partial") });
  const r = await imagesLock(["--config", file, "--ca-file", path.join(dir, "certs", "ca.crt")]);
  expect(r.code).toBe(1);
  expect(r.out).toContain("1 of 10 images could not be resolved; nothing was written");
  expect(r.out).toMatch(new RegExp(`images\\.keycloak ${mirror("partial").replace(/\./g, "\\.")}/keycloak/keycloak:26\\.3\\.3: .*not found on 127\\.0\\.0\\.1:${registryPort} \\(HTTP 404 (NAME_UNKNOWN|MANIFEST_UNKNOWN)`));
  expect(existsSync(file.replace(/\.yaml$/, ".images-lock.json"))).toBe(false);
});

test("an unreachable registry: the command names the host, exits 1, and leaves the committed lock as it was", async () => {
  const file = deploymentFile("mirrored", { registry: mirror("mirror"), projectRegistry: "registry.example.com/platform" });
  const lockFile = file.replace(/\.yaml$/, ".images-lock.json");
  const committed = readFileSync(lockFile, "utf8");
  const closed = await freePort(); // nothing listens there
  writeFileSync(file, toYaml({ ...DEFAULT_DEPLOYMENT, name: "mirrored", images: { registry: `127.0.0.1:${closed}/mirror` } }));
  const r = await imagesLock(["--config", file, "--ca-file", path.join(dir, "certs", "ca.crt")]);
  expect(r.code).toBe(1);
  expect(r.out).toContain(`cannot reach 127.0.0.1:${closed} (ECONNREFUSED)`);
  expect(r.out).toContain(`(${lockFile} is unchanged)`);
  expect(readFileSync(lockFile, "utf8")).toBe(committed);
});

test("a lock written by hand into the deployment file is refused: digests come only from the lock file", async () => {
  const file = deploymentFile("handmade", { registry: mirror("mirror"), lock: { lockVersion: 1, images: {} } });
  const out = path.join(dir, "synth-handmade");
  mkdirSync(out);
  const synth = await runMain(["--config", file], out);
  expect(synth.code).toBe(1);
  expect(synth.stderr).toContain("images.lock: digests are read from the lock file only");
});
