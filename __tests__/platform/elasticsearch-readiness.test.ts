import { execFile } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ELASTICSEARCH_READINESS_FACTS } from "../../constructs/kubernetes/server-config/elasticsearch-scripts";
import { decodedStack } from "../support/deployments";
import { localize } from "./support/local-pod";
import { removeDir, requireBinaries, tempDir } from "./support/servers";

// Elasticsearch cannot run here. Its readiness check can: the exec probe's command, as the real terraform decodes it
// from each shipped deployment's platform stack, is run with sh and curl against a stand-in HTTPS node that answers
// GET /_cluster/health as the Elasticsearch reference documents it (ELASTICSEARCH_READINESS_FACTS.health), behind a
// certificate made by openssl for the name the command verifies, signed by the CA file the command trusts.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const CERTS = "/usr/share/elasticsearch/config/certs";
// The pod-lifetime marker of the pod's first readiness, on its /tmp volume (an emptyDir).
const READY_ONCE = "/tmp/elasticsearch-ready-once";
const PASSWORD = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"; // the shape of SERVICE_PASSWORD_RULES: 32 alphanumerics

/** The Elasticsearch container of a shipped deployment's platform stack, as decoded. */
function elasticsearchContainer(deployment: string): Json {
  const blocks = decodedStack(deployment, "platform").blocks;
  const key = Object.keys(blocks).find((k) => /^resource\.kubernetes_stateful_set_v1\.Elasticsearch_[0-9A-F]{8}$/.test(k))!;
  const set = blocks[key] as Json;
  return { set, container: (set.spec.template.spec.container as Json[]).find((c) => c.name === "elasticsearch")! };
}

/** What the stand-in node answers next, and what it was asked. */
interface Answer {
  status: number;
  body: string;
  delayMs?: number;
}
const health = (status: "green" | "yellow" | "red") =>
  JSON.stringify({ cluster_name: "metadata", status, timed_out: false, number_of_nodes: 3, number_of_data_nodes: 3, active_primary_shards: 5, active_shards: status === "green" ? 10 : 7, relocating_shards: 0, initializing_shards: 0, unassigned_shards: status === "green" ? 0 : 3 });
// No elected master: a non-local request fails after master_timeout with this error (HTTP 503).
const NO_MASTER = JSON.stringify({ error: { root_cause: [{ type: "master_not_discovered_exception", reason: null }], type: "master_not_discovered_exception", reason: null }, status: 503 });
const UNAUTHENTICATED = JSON.stringify({ error: { type: "security_exception", reason: "missing authentication credentials for REST request [/_cluster/health]" }, status: 401 });

function openssl(cwd: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd, stdio: "pipe", timeout: 30_000 });
}
/** A CA and a server certificate for `names` (DNS SANs) signed by it, EC P-256, in `dir`. */
function pki(dir: string, names: readonly string[]): { ca: string; cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(dir, "req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=elasticsearch-test-ca");
  openssl(dir, "req", ...ec, "-keyout", "tls.key", "-out", "tls.csr", "-subj", `/CN=${names[0]}`);
  writeFileSync(join(dir, "ext"), `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=serverAuth\n`);
  openssl(dir, "x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-out", "tls.crt", "-extfile", "ext");
  return { ca: join(dir, "ca.crt"), cert: join(dir, "tls.crt"), key: join(dir, "tls.key") };
}

const { set, container } = elasticsearchContainer("default");
const readiness = container.readiness_probe as Json;
const command = readiness.exec.command as string[];
// The name the command verifies the node's certificate for, and the port, from its --resolve entry: the node itself,
// on loopback, where no NetworkPolicy applies (ELASTICSEARCH_READINESS_FACTS.networkPolicy).
const [, name, port] = new RegExp(`--resolve (\\S+):(\\d+):${ELASTICSEARCH_READINESS_FACTS.networkPolicy.address.replace(/\./g, "\\.")} `).exec(command[2])!;

let dir: string;
let server: Server;
let serverPort: number;
let answer: Answer = { status: 200, body: health("green") };
let asked: { url: string; authorization: string }[] = [];

/** Serves `answer` behind the given certificate. */
async function serve(tls: { cert: string; key: string }): Promise<void> {
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  server = createServer({ cert: execFileSync("cat", [tls.cert]), key: execFileSync("cat", [tls.key]) }, (req, res) => {
    asked.push({ url: req.url ?? "", authorization: req.headers.authorization ?? "" });
    const reply = () => res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
    if (answer.delayMs) setTimeout(reply, answer.delayMs).unref();
    else reply();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  serverPort = (server.address() as AddressInfo).port;
}

/** Runs the decoded readiness command (localized: the pod's paths, the stand-in's port) with sh (or `shell`); its exit status and time. */
function probe(shell = command[0]): Promise<{ status: number; out: string; ms: number }> {
  const script = localize(
    command[2],
    [
      [CERTS, join(dir, "certs")],
      [READY_ONCE, readyOnce()],
      [`${name}:${port}`, `${name}:${serverPort}`],
    ],
    [CERTS, READY_ONCE, `${name}:${port}`],
  );
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(shell, [command[1], script], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === "number" ? error.code : -1) : 0, out: `${stdout}${stderr}`, ms: Date.now() - started });
    });
  });
}
const readyOnce = () => join(dir, "tmp", "elasticsearch-ready-once");
const freshPod = () => rmSync(readyOnce(), { force: true });

beforeAll(async () => {
  requireBinaries(["curl", "openssl"]);
  dir = tempDir("es-readiness-");
  mkdirSync(join(dir, "tmp"));
  const own = pki(join(dir, "certs"), [name, "elasticsearch-0.elasticsearch-headless.metadata.svc"]);
  writeFileSync(join(dir, "certs", "elastic-password"), PASSWORD);
  expect(own.ca).toBe(join(dir, "certs", "ca.crt"));
  await serve(own);
});
afterAll(async () => {
  server?.closeAllConnections();
  if (server) await new Promise<void>((r) => server.close(() => r()));
  if (dir) removeDir(dir);
});
beforeEach(() => {
  asked = [];
});

describe("the Elasticsearch readiness probe reflects Elasticsearch's own health (ELASTICSEARCH_READINESS_FACTS)", () => {
  test("as synthesized: readiness runs the check with sh; startup and liveness stay on the TLS port (a red cluster restarts no node); curl gives up before the kubelet does", () => {
    for (const key of ["default", "examples-aws", "examples-azure", "examples-gcp"]) {
      const c = elasticsearchContainer(key).container;
      expect(c.readiness_probe.exec.command.slice(0, 2)).toEqual(["sh", "-c"]);
      expect(c.readiness_probe.tcp_socket ?? []).toEqual([]);
      for (const p of [c.startup_probe, c.liveness_probe]) expect([p.tcp_socket, p.exec ?? null]).toEqual([[{ port: port }], null]);
      const maxTime = Number(/--max-time (\d+)/.exec(c.readiness_probe.exec.command[2])![1]);
      expect(maxTime).toBeLessThan(Number(c.readiness_probe.timeout_seconds));
    }
    expect(name).toBe("elasticsearch.metadata.svc");
    // The marker of the first readiness is on a writable emptyDir at /tmp: it lives as long as the pod, so a
    // replaced pod (a rolling update) waits for green again.
    const tmp = (container.volume_mount as Json[]).find((m) => m.mount_path === "/tmp")!;
    expect(tmp.read_only ?? false).toBe(false);
    expect((set.spec.template.spec.volume as Json[]).find((v) => v.name === tmp.name)!.empty_dir).toBeDefined();
    expect(command[2]).toContain(READY_ONCE);
    // Rollouts wait on it: RollingUpdate updates the next pod once the updated one is Running and Ready.
    expect(set.spec.update_strategy).toMatchObject([{ type: "RollingUpdate" }]);
    // Only sh, curl and grep (ELASTICSEARCH_READINESS_FACTS.imageTools), and the password never in curl's arguments.
    expect(command[2]).not.toMatch(/curl[^|]*(-u |--user)/);
    expect(command[2]).toMatch(/\| curl [^\n]*-K - /);
  });

  test("a pod that has not yet been ready: ready only when its master reports the cluster green; yellow, red, no master and silence are not ready", async () => {
    for (const [a, ok] of [
      [{ status: 200, body: health("yellow") }, false],
      [{ status: 200, body: health("red") }, false],
      [{ status: 503, body: NO_MASTER }, false],
      [{ status: 200, body: health("green") }, true],
    ] as const) {
      freshPod();
      answer = a;
      asked = [];
      const r = await probe();
      expect({ a: a.body, status: r.status === 0, out: r.out }).toEqual({ a: a.body, status: ok, out: expect.any(String) });
      // The master's view (no local=true), asked as elastic with the pod's password.
      expect(asked.map((q) => q.url)).toEqual([ELASTICSEARCH_READINESS_FACTS.health.path]);
      expect(asked[0].authorization).toBe(`Basic ${Buffer.from(`elastic:${PASSWORD}`).toString("base64")}`);
      expect(existsSync(readyOnce())).toBe(ok);
    }
  });

  test("a pod that has been ready stays ready while its node answers its own health, whatever the status (a red index takes no node out of service); a refused login and an error answer do not", async () => {
    for (const [a, ok] of [
      [{ status: 200, body: health("green") }, true],
      [{ status: 200, body: health("yellow") }, true],
      [{ status: 200, body: health("red") }, true],
      [{ status: 401, body: UNAUTHENTICATED }, false],
      [{ status: 503, body: NO_MASTER }, false],
    ] as const) {
      writeFileSync(readyOnce(), "");
      answer = a;
      asked = [];
      const r = await probe();
      expect({ a: a.body, ready: r.status === 0 }).toEqual({ a: a.body, ready: ok });
      expect(asked.map((q) => q.url)).toEqual([`${ELASTICSEARCH_READINESS_FACTS.health.path}?${ELASTICSEARCH_READINESS_FACTS.health.local}`]);
      expect(existsSync(readyOnce())).toBe(true);
    }
  });

  test("the image's /bin/sh is bash (ELASTICSEARCH_READINESS_FACTS.imageTools): the same answers under bash", async () => {
    for (const [fresh, a, ok] of [
      [true, { status: 200, body: health("green") }, true],
      [true, { status: 200, body: health("yellow") }, false],
      [false, { status: 200, body: health("yellow") }, true],
      [false, { status: 200, body: health("red") }, true],
      [true, { status: 200, body: health("red") }, false],
    ] as const) {
      if (fresh) freshPod();
      else writeFileSync(readyOnce(), "");
      answer = a;
      expect({ fresh, a: a.body, ready: (await probe("bash")).status === 0 }).toEqual({ fresh, a: a.body, ready: ok });
    }
  });

  test("a node that does not answer in time is not ready, and the check ends before the probe's timeoutSeconds", async () => {
    freshPod();
    answer = { status: 200, body: health("green"), delayMs: 10_000 };
    const r = await probe();
    expect(r.status).not.toBe(0);
    expect(r.ms).toBeLessThan(Number(readiness.timeout_seconds) * 1000);
    expect(existsSync(readyOnce())).toBe(false);
  }, 20_000);

  test("the node's certificate is verified: one from another CA, or without the Service's name, is not ready", async () => {
    answer = { status: 200, body: health("green") };
    try {
      for (const tls of [pki(join(dir, "foreign"), [name]), pki(join(dir, "other-name"), ["elasticsearch.other.svc"])]) {
        // The CA the pod trusts stays its own; "other-name" is signed by a CA the pod does not trust either, so
        // re-sign it by the pod's CA to test the name alone.
        if (tls.cert.includes("other-name")) openssl(join(dir, "other-name"), "x509", "-req", "-in", "tls.csr", "-CA", join(dir, "certs", "ca.crt"), "-CAkey", join(dir, "certs", "ca.key"), "-CAcreateserial", "-days", "1", "-out", "tls.crt", "-extfile", "ext");
        await serve(tls);
        freshPod();
        asked = [];
        const r = await probe();
        expect({ tls: tls.cert, ready: r.status === 0, asked: asked.length }).toEqual({ tls: tls.cert, ready: false, asked: 0 });
      }
    } finally {
      await serve({ cert: join(dir, "certs", "tls.crt"), key: join(dir, "certs", "tls.key") });
    }
    freshPod();
    expect((await probe()).status).toBe(0);
  }, 30_000);
});
