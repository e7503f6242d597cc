import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { one, resolveReference, resources } from "../support/synthesized";
import { freePort, removeDir, requireBinaries, run, startServer, tempDir, type RunningServer, waitFor } from "../platform/support/servers";

// Vault's listener certificate, issued and renewed in the cluster: the SYNTHESIZED script of the default
// deployment's vault stack (ConfigMap vault-tls-bootstrap, run by the Job and the daily CronJob), run by
// /bin/sh with the real cfssl and curl (Debian's golang-cfssl 1.2.0; the image runs 1.6.5, whose
// gencert/certinfo output is the same for these calls) against a stand-in for the Kubernetes API.
// What the stand-in relies on: Secrets and ConfigMaps as the core/v1 REST API serves them (data
// base64-encoded; 404 when absent, 409 on creating an existing one), pretty-printed for curl (the API
// server pretty-prints for user agents starting with "curl": k8s.io/apiserver endpoints/handlers/
// responsewriters isPrettyPrint). Only the API's address and the test's lifetimes are the test's.
jest.setTimeout(90_000);

const API_STAND_IN = `
const fs = require("node:fs"), https = require("node:https");
const [cert, key, port, stateFile] = process.argv.slice(1);
const load = () => JSON.parse(fs.readFileSync(stateFile, "utf8"));
https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
  let body = ""; req.on("data", (d) => (body += d)); req.on("end", () => {
    const s = load();
    s.requests.push(req.method + " " + req.url);
    const m = /^\\/api\\/v1\\/namespaces\\/([^/]+)\\/(secrets|configmaps)(?:\\/([^/?]+))?$/.exec(req.url);
    const send = (code, obj) => { fs.writeFileSync(stateFile, JSON.stringify(s)); res.writeHead(code, { "Content-Type": "application/json" }); res.end(JSON.stringify(obj, null, 2)); };
    if (!m || req.headers.authorization !== "Bearer test-token") return send(403, { kind: "Status", code: 403 });
    const [, ns, kind, name] = m; const key = ns + "/" + kind;
    s.objects[key] = s.objects[key] || {};
    if (req.method === "GET") return s.objects[key][name] ? send(200, s.objects[key][name]) : send(404, { kind: "Status", code: 404 });
    const obj = JSON.parse(body);
    if (req.method === "POST") { if (s.objects[key][obj.metadata.name]) return send(409, { kind: "Status", code: 409 }); s.objects[key][obj.metadata.name] = obj; return send(201, obj); }
    if (req.method === "PUT") { if (!s.objects[key][name]) return send(404, { kind: "Status", code: 404 }); s.objects[key][name] = obj; return send(200, obj); }
    send(405, {});
  });
}).listen(Number(port), "127.0.0.1");
`;

let dir: string;
let api: RunningServer | undefined;
let port: number;
const stateFile = () => join(dir, "api-state.json");
const state = () => JSON.parse(readFileSync(stateFile(), "utf8")) as { requests: string[]; objects: Record<string, Record<string, { data: Record<string, string> }>> };
const secret = (name: string) => state().objects["vault/secrets"]?.[name]?.data;
const pem = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

/** The synthesized files, with the test's API address and optional lifetime overrides. */
function bootstrapFiles(overrides: { caExpiry?: string; certExpiry?: string } = {}): Record<string, string> {
  const cm = resources("default", "vault", "kubernetes_config_map_v1").find((c) => one(c.body.metadata).name === "vault-tls-bootstrap")!;
  const data = { ...(one(cm.body.data) as Record<string, string>) };
  // The namespace list is made of references to the stack's namespaces: resolved to their names.
  data.namespaces = String(one(cm.raw.data).namespaces)
    .split("\n")
    .map((line) => String(resolveReference("default", "vault", line)))
    .join("\n");
  data["bootstrap.sh"] = data["bootstrap.sh"]
    .replace("API=https://kubernetes.default.svc", `API=https://localhost:${port}`)
    .replace("SA=/var/run/secrets/kubernetes.io/serviceaccount", `SA=${join(dir, "sa")}`)
    .replaceAll("/bootstrap/", `${join(dir, "bootstrap")}/`);
  if (overrides.caExpiry) data["ca-csr.json"] = data["ca-csr.json"].replace(/"expiry":"\d+h"/, `"expiry":"${overrides.caExpiry}"`);
  if (overrides.certExpiry) data["signing.json"] = data["signing.json"].replace(/"expiry":"\d+h"/, `"expiry":"${overrides.certExpiry}"`);
  return data;
}

/** One run of the script in a fresh in-memory work directory, as one Job pod. */
function runOnce(overrides: { caExpiry?: string; certExpiry?: string } = {}) {
  const files = bootstrapFiles(overrides);
  const b = join(dir, "bootstrap");
  mkdirSync(b, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(b, name), text);
  const work = tempDir("tls-work-");
  const out = runIn(work, join(b, "bootstrap.sh"));
  const left = readdirSync(work);
  removeDir(work);
  return { ...out, left };
}

function runIn(cwd: string, script: string) {
  const r = spawnSync("sh", [script], { cwd, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function resetCluster(objects: Record<string, unknown> = {}) {
  writeFileSync(stateFile(), JSON.stringify({ requests: [], objects }));
}

beforeAll(async () => {
  requireBinaries(["cfssl", "cfssljson", "curl", "openssl"]);
  dir = tempDir("vault-tls-");
  mkdirSync(join(dir, "sa"));
  run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(dir, "api.key"), "-out", join(dir, "sa", "ca.crt"), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]);
  writeFileSync(join(dir, "sa", "namespace"), "vault");
  writeFileSync(join(dir, "sa", "token"), "test-token");
  resetCluster();
  port = await freePort();
  api = startServer(process.execPath, ["-e", API_STAND_IN, join(dir, "sa", "ca.crt"), join(dir, "api.key"), String(port), stateFile()]);
  await waitFor("the API stand-in", () => run("curl", ["-s", "--cacert", join(dir, "sa", "ca.crt"), `https://localhost:${port}/api/v1/namespaces/x/secrets/y`]).out.includes("403"), 20_000);
});

afterAll(async () => {
  await api?.stop();
  if (dir) removeDir(dir);
});

test("a new cluster: the CA is made and kept in vault-tls-ca, the listener certificate issued into vault-tls, the CA published; no key is left behind", () => {
  resetCluster();
  const r = runOnce();
  expect(`${r.status} ${r.out}`).toMatch(/^0 /);
  const ca = new X509Certificate(pem(secret("vault-tls-ca")!["ca.crt"]));
  expect(pem(secret("vault-tls-ca")!["ca.key"])).toMatch(/PRIVATE KEY/);
  const leaf = new X509Certificate(pem(secret("vault-tls")!["tls.crt"]));
  expect(leaf.verify(ca.publicKey)).toBe(true);
  // The raft peers reach each other by pod name (retry_join's leader_tls_servername).
  for (const name of ["vault.vault.svc", "vault-0.vault-headless.vault.svc"]) expect(`${name}: ${leaf.checkHost(name) !== undefined}`).toBe(`${name}: true`);
  const days = (new Date(leaf.validTo).getTime() - Date.now()) / 86_400_000;
  expect(days).toBeGreaterThan(364);
  const caDays = (new Date(ca.validTo).getTime() - Date.now()) / 86_400_000;
  expect(caDays).toBeGreaterThan(3640);
  const namespaces = bootstrapFiles().namespaces.split("\n").filter(Boolean);
  for (const ns of namespaces) expect(state().objects[`${ns}/configmaps`]?.["vault-ca"]).toBeDefined();
  expect(r.left.filter((f) => /key/.test(f))).toEqual([]);
});

test("the daily run leaves a certificate with enough life alone", () => {
  const before = secret("vault-tls")!["tls.crt"];
  const n = state().requests.length;
  const r = runOnce();
  expect(r.status).toBe(0);
  expect(r.out).toMatch(/vault-tls: valid for 36\d more days/);
  expect(state().requests.slice(n).filter((q) => /^(POST|PUT) .*secrets/.test(q))).toEqual([]);
  expect(secret("vault-tls")!["tls.crt"]).toBe(before);
});

test("a certificate with fewer than 90 days left is renewed by the same CA, so no client's trust changes", () => {
  resetCluster();
  expect(runOnce({ certExpiry: "1000h" }).status).toBe(0); // about 41 days
  const ca = secret("vault-tls-ca")!["ca.crt"];
  const old = new X509Certificate(pem(secret("vault-tls")!["tls.crt"]));
  const r = runOnce();
  expect(r.out).toMatch(/vault-tls: renewed, valid for 36\d days/);
  expect(state().requests).toContain("PUT /api/v1/namespaces/vault/secrets/vault-tls");
  const renewed = new X509Certificate(pem(secret("vault-tls")!["tls.crt"]));
  expect(renewed.serialNumber).not.toBe(old.serialNumber);
  expect(secret("vault-tls-ca")!["ca.crt"]).toBe(ca);
  expect(renewed.verify(new X509Certificate(pem(ca)).publicKey)).toBe(true);
  expect(pem(secret("vault-tls")!["ca.crt"])).toBe(pem(ca));
});

test("a CA with less than a year left fails the run every day, naming the fix (the certificates are still issued)", () => {
  resetCluster();
  const r = runOnce({ caExpiry: "8000h" });
  expect(r.status).toBe(1);
  expect(r.out).toMatch(/WARNING: Vault's listener CA expires in 33\d days: rotate it \(docs\/vault\.md\)/);
  expect(secret("vault-tls")).toBeDefined();
});

test("a listener certificate whose CA key was deleted (the earlier design) stops the run with the procedure", () => {
  resetCluster({ "vault/secrets": { "vault-tls": { data: { "tls.crt": "", "tls.key": "", "ca.crt": "" } } } });
  const r = runOnce();
  expect(r.status).toBe(1);
  expect(r.out).toMatch(/vault-tls exists but vault-tls-ca does not .* rotate the CA as docs\/vault\.md describes/);
});
