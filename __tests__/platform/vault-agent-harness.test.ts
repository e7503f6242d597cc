import { spawnSync } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { harnessBinary, imagePrograms } from "../support/vault-agent";
import { removeDir, tempDir } from "./support/servers";

// The harness itself (support/vault-agent/main.go): what it refuses is what consul-template and Vault
// refuse, so a template that passes the template tests would pass in the agent. Each case below is a
// small template against a small Vault; the shipped templates are in vault-agent-templates.test.ts.
jest.setTimeout(60_000);

let dir: string;
beforeAll(() => {
  dir = tempDir("harness-");
});
afterAll(() => removeDir(dir));

const role = (over: Record<string, unknown> = {}) => ({
  allowed_domains: ["svc.ns.svc", "svc-*.svc-headless.ns.svc"],
  allow_bare_domains: true,
  allow_subdomains: false,
  allow_glob_domains: true,
  allow_wildcard_certificates: false,
  allow_any_name: false,
  allow_localhost: false,
  allow_ip_sans: false,
  enforce_hostnames: true,
  server_flag: true,
  client_flag: false,
  key_type: "ec",
  key_bits: 256,
  ttl: "72h",
  max_ttl: "720h",
  ...over,
});

let n = 0;
function render(contents: string, opts: { policy?: { path: string; capabilities: string[] }[]; roleOver?: Record<string, unknown>; missingKeyError?: boolean; env?: Record<string, string>; root?: string } = {}) {
  const root = opts.root ?? path.join(dir, `r${n++}`);
  const input = {
    root,
    env: opts.env ?? {},
    templates: [{ destination: "/out/file", contents, perms: "0400", error_on_missing_key: opts.missingKeyError ?? true }],
    vault: {
      policy: opts.policy ?? [
        { path: "kv/data/app", capabilities: ["read"] },
        { path: "pki/issue/svc", capabilities: ["update"] },
        { path: "pki/cert/ca_chain", capabilities: ["read"] },
      ],
      kvMounts: ["kv"],
      kv: { "kv/app": { password: "p" } },
      database: { mount: "database", roles: {}, displayName: "kubernetes-ns-svc" },
      pki: {
        mount: "pki",
        caDir: path.join(dir, "ca"),
        root: { common_name: "root", key_type: "ec", key_bits: 384, ttl: "87600h" },
        intermediate: { common_name: "int", key_type: "ec", key_bits: 256, ttl: "43800h" },
        roles: { svc: role(opts.roleOver) },
      },
    },
  };
  const r = spawnSync(harnessBinary(), [], { input: JSON.stringify(input), encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const out = JSON.parse(r.stdout) as { templates: { ok: boolean; error?: string }[]; issued: { dnsNames: string[]; keyPemType: string; extKeyUsage: string[] }[] };
  return { ...out.templates[0], issued: out.issued, root };
}

test("a function consul-template does not register fails to parse (Sprig's dict is sprig_dict)", () => {
  expect(render(`{{ dict "a" "b" }}`).error).toMatch(/function "dict" not defined/);
  // Registered, so it parses; the harness asks for a model before it runs.
  expect(render(`{{ sprig_dict "a" "b" | toJSON }}`).error).toMatch(/does not model/);
});

test("a field read from the wrong value fails: a secret has no .Key", () => {
  expect(render(`{{ with secret "pki/cert/ca_chain" }}{{ .Key }}{{ end }}`).error).toMatch(/can't evaluate field Key in type \*main\.Secret/);
});

test("a missing KV field fails with error_on_missing_key", () => {
  expect(render(`{{ with secret "kv/data/app" }}{{ .Data.data.nope }}{{ end }}`).error).toMatch(/map has no entry for key "nope"/);
  expect(render(`{{ with secret "kv/data/app" }}{{ .Data.data.password }}{{ end }}`).ok).toBe(true);
});

test("a path the pod's policy does not grant is refused", () => {
  expect(render(`{{ with secret "kv/data/other" }}{{ .Data.data.x }}{{ end }}`).error).toMatch(/permission denied/);
});

test("Vault's name rules: a wildcard is refused when wildcard certificates are off, even where a glob would match", () => {
  const wildcard = render(`{{ with pkiCert "pki/issue/svc" "common_name=svc.ns.svc" "alt_names=*.svc-headless.ns.svc" }}{{ .Cert }}{{ end }}`);
  expect(wildcard.error).toMatch(/subject alternate name \*\.svc-headless\.ns\.svc not allowed by this role/);
  const pod = render(`{{ with pkiCert "pki/issue/svc" "common_name=svc.ns.svc" (printf "alt_names=%s.svc-headless.ns.svc" (env "POD_NAME")) }}{{ .Cert }}{{ end }}`, { env: { POD_NAME: "svc-0" } });
  expect(pod.ok).toBe(true);
  expect(pod.issued[0].dnsNames).toEqual(["svc.ns.svc", "svc-0.svc-headless.ns.svc"]);
  expect(render(`{{ with pkiCert "pki/issue/svc" "common_name=other.ns.svc" }}{{ .Cert }}{{ end }}`).error).toMatch(/common name other\.ns\.svc not allowed/);
  expect(render(`{{ with pkiCert "pki/issue/svc" "common_name=svc.ns.svc" "ip_sans=127.0.0.1" }}{{ .Cert }}{{ end }}`).error).toMatch(/IP Subject Alternative Names are not allowed/);
});

test("keys are SEC1 unless PKCS#8 is asked for; EKUs follow server_flag/client_flag", () => {
  const sec1 = render(`{{ with pkiCert "pki/issue/svc" "common_name=svc.ns.svc" }}{{ .Key }}{{ end }}`);
  expect(readFileSync(path.join(sec1.root, "out/file"), "utf8")).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
  expect(sec1.issued[0].extKeyUsage).toEqual(["serverAuth"]);
  const p8 = render(`{{ with pkiCert "pki/issue/svc" "common_name=svc.ns.svc" "private_key_format=pkcs8" }}{{ .Key }}{{ end }}`, { roleOver: { client_flag: true } });
  const pem = readFileSync(path.join(p8.root, "out/file"), "utf8");
  expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  expect(createPrivateKey(pem).asymmetricKeyType).toBe("ec");
  expect(p8.issued[0].extKeyUsage).toEqual(["serverAuth", "clientAuth"]);
});

test("pkiCert reuses the certificate in its destination and returns only what the file holds", () => {
  const first = render(`{{ with pkiCert "pki/issue/svc" "common_name=svc.ns.svc" }}{{ .Cert }}{{ end }}`);
  // The same template again, on the same files: no new issue, and no key (the destination has none).
  const again = render(`{{ with pkiCert "pki/issue/svc" "common_name=svc.ns.svc" }}{{ .Cert }}|{{ .Key }}|{{ end }}`, { root: first.root });
  expect(again.issued).toEqual([]);
  expect(readFileSync(path.join(first.root, "out/file"), "utf8")).toMatch(/-----END CERTIFICATE-----\n\|\|$/);
  writeFileSync(path.join(first.root, "out/file"), "");
});

test("a template's exec runs after a render that wrote the destination only, with the image's programs, and its failure fails the render (consul-template manager/runner.go, child/child.go)", () => {
  const root = path.join(dir, "exec");
  const run = (command: string[]) => {
    const input = {
      root,
      env: {},
      commandPath: imagePrograms(),
      templates: [{ destination: "/out/file", contents: `{{ with secret "kv/data/app" }}{{ .Data.data.password }}{{ end }}`, perms: "0400", error_on_missing_key: true, exec: { command, timeout: "5s" } }],
      vault: { policy: [{ path: "kv/data/app", capabilities: ["read"] }], kvMounts: ["kv"], kv: { "kv/app": { password: "p" } }, database: { mount: "database", roles: {}, displayName: "x" }, pki: { mount: "pki", roles: {} } },
    };
    const r = spawnSync(harnessBinary(), [], { input: JSON.stringify(input), encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return (JSON.parse(r.stdout) as { templates: { ok: boolean; error?: string; files: string[] }[] }).templates[0];
  };
  // Written (new file): the command runs; its argument naming the pod's directory is placed under the root.
  const first = run(["/bin/sh", "-c", 'cp "$1/file" "$1/copy"', "x", "/out"]);
  expect(first).toMatchObject({ ok: true, files: ["/out/file", "/out/copy"] });
  expect(readFileSync(path.join(root, "out", "copy"), "utf8")).toBe("p");
  // Unchanged destination: not written, so the command does not run (it would fail).
  expect(run(["/bin/sh", "-c", "exit 3"])).toMatchObject({ ok: true, files: ["/out/file"] });
  // A program the image does not have is refused, and a non-zero exit fails the render.
  writeFileSync(path.join(root, "out", "file"), "changed");
  expect(run(["/usr/bin/python3", "-c", "1"]).error).toMatch(/not among the image's programs/);
  writeFileSync(path.join(root, "out", "file"), "changed again");
  expect(run(["/bin/sh", "-c", "exit 3"]).error).toMatch(/failed to execute command .* exit status 3/);
  // A file a reader is given, rewritten in place (here by the shell's own redirection, which no program wrapper sees), is refused.
  writeFileSync(path.join(root, "out", "file"), "changed once more");
  expect(run(["/bin/sh", "-c", 'echo x > "$1/copy"', "x", "/out"]).error).toMatch(/rewrote \/out\/copy in place/);
});
