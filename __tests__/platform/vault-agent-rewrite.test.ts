import { spawnSync } from "node:child_process";
import { X509Certificate, createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { DEPLOYMENTS } from "../support/deployments";
import { bootstrapKv } from "../support/fake-vault";
import { many } from "../support/synthesized";
import { agentPods, agentUser, runAgent, vaultWorld, type AgentPod, type AgentRun, type Observation } from "../support/vault-agent";
import { removeDir, tempDir } from "./support/servers";

// A pod's agents write into one emptyDir, one after the other, as the pod's own non-root uid: the init
// container renders (consul-template executes each template once per dependency that arrives, so a
// `with pkiCert` block runs more than once already), the sidecar renders again at its start, and again
// at every renewal. The harness runs as the uid/gid/fsGroup the synthesized pod spec gives the agent
// containers (setpriv, when the tests run as root), so a file its owner made read-only cannot be
// rewritten (consul-template v0.39.1 template/funcs.go writeToFile: os.Create, then os.Chmod), as in
// the pod; a failed render is fatal there (template_config.exit_on_retry_failure): the sidecar
// crash-loops and the pod never becomes ready. The servers next to the agent read the files meanwhile:
// every run records what a server opening them by name would read after each step of the agent (its
// own writes, and each program its template command runs), and each of those moments must give a
// server whole files and a key that is its certificate's.
jest.setTimeout(180_000);

interface Rewrite {
  readonly pod: AgentPod;
  readonly root: string;
  readonly runs: readonly { readonly variant: string; readonly run: AgentRun }[];
}

const rewrites: Record<string, Rewrite[]> = {};
const dirs: string[] = [];

beforeAll(() => {
  for (const d of DEPLOYMENTS) {
    const world = vaultWorld(d.key);
    const kv = bootstrapKv(d.key);
    const caDir = tempDir(`rewrite-ca-${d.key}-`);
    dirs.push(caDir);
    rewrites[d.key] = agentPods(d.key).map((pod) => {
      const root = tempDir(`rewrite-${pod.name}-`);
      dirs.push(root);
      // observe: the harness records what a server reading the files by name would read after every step.
      const init = runAgent({ world, pod, variant: "init", root, caDir, kv, observe: true });
      const sidecar = runAgent({ world, pod, variant: "sidecar", root, caDir, kv, observe: true });
      // A renewal: the clock past the certificates' re-issue point (consul-template renews a pkiCert at ~90% of its life).
      const life = Math.max(0, ...init.issued.map((c) => (Date.parse(c.notAfter) - Date.now()) / 1000));
      const renewal = runAgent({ world, pod, variant: "sidecar", root, caDir, kv, clockSkewSeconds: Math.ceil(life * 0.95), observe: true });
      return { pod, root, runs: [{ variant: "init", run: init }, { variant: "sidecar", run: sidecar }, { variant: "sidecar renewal", run: renewal }] };
    });
  }
});

afterAll(() => {
  for (const d of dirs) removeDir(d);
});

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;
const blocks = (pem: string, type: RegExp): string[] => [...pem.matchAll(PEM_BLOCK)].filter((m) => type.test(m[1])).map((m) => m[0]);

/** The public key of a PEM private key or certificate, by the real openssl (`pkey -pubout`, `x509 -pubkey`); undefined when openssl cannot read it. */
const publicKeys = new Map<string, string | undefined>();
function publicKeyOf(kind: "key" | "cert", pem: string): string | undefined {
  const id = `${kind} ${createHash("sha256").update(pem).digest("hex")}`;
  if (!publicKeys.has(id)) {
    const args = kind === "key" ? ["pkey", "-pubout"] : ["x509", "-pubkey", "-noout"];
    const r = spawnSync("openssl", args, { input: pem, encoding: "utf8" });
    publicKeys.set(id, r.status === 0 && r.stdout.includes("PUBLIC KEY") ? r.stdout : undefined);
  }
  return publicKeys.get(id);
}

/**
 * What is wrong, for a server, with one certificate set as a reader finds it: a file missing, empty or
 * cut short, or a key that is not the certificate's (openssl reads both). `dir` holds tls.key, tls.crt
 * and ca.crt, `bundle` is the template's destination (key, certificate, chain).
 */
function setProblems(files: Observation["files"], dir: string, bundle: string): string[] {
  const problems: string[] = [];
  const read = (f: string): string | undefined => {
    const text = files[f];
    if (text === undefined || text === null) problems.push(`${f} is missing or unreadable`);
    else if (text.trim() === "") problems.push(`${f} is empty`);
    else return text;
    return undefined;
  };
  const pair = (what: string, keyPem: string | undefined, certPem: string | undefined) => {
    if (keyPem === undefined || certPem === undefined) return;
    const key = blocks(keyPem, /PRIVATE KEY$/)[0];
    const leaf = blocks(certPem, /^CERTIFICATE$/)[0];
    const keyPub = key && publicKeyOf("key", key);
    const certPub = leaf && publicKeyOf("cert", leaf);
    if (!keyPub) problems.push(`${what}: openssl reads no private key`);
    else if (!certPub) problems.push(`${what}: openssl reads no certificate`);
    else if (keyPub !== certPub) problems.push(`${what}: the key is not the certificate's`);
  };
  pair(`${dir}/tls.key + ${dir}/tls.crt`, read(`${dir}/tls.key`), read(`${dir}/tls.crt`));
  const ca = read(`${dir}/ca.crt`);
  if (ca !== undefined && !blocks(ca, /^CERTIFICATE$/).every((c) => publicKeyOf("cert", c))) problems.push(`${dir}/ca.crt: openssl cannot read it`);
  const b = read(bundle);
  pair(bundle, b, b);
  return problems;
}

describe.each(DEPLOYMENTS.map((d) => d.key))("%s", (key) => {
  test("every agent container runs as a non-root uid, read from the synthesized pod spec", () => {
    for (const r of rewrites[key]) {
      for (const c of ["vault-agent-init", "vault-agent"]) {
        const u = agentUser(r.pod, c);
        expect(`${r.pod.id} ${c} uid ${u.uid === 0 ? "root" : "non-root"}`).toBe(`${r.pod.id} ${c} uid non-root`);
      }
    }
  });

  test("the init container's render, the sidecar's on the same files, and the sidecar's renewal all succeed as the pod's uid", () => {
    const failures = rewrites[key].flatMap((r) => r.runs.flatMap(({ variant, run }) => run.templates.filter((t) => !t.ok).map((t) => `${r.pod.id} ${variant} ${t.destination}: ${t.error}`)));
    expect(failures).toEqual([]);
  });

  test("a server reading the certificate files by name at any moment of the init container's render, the sidecar's start and a renewal reads whole files, and a key that is its certificate's (real openssl)", () => {
    const problems: string[] = [];
    for (const r of rewrites[key]) {
      const bundles = r.pod.sidecar.template.filter((t) => t.contents.includes("pkiCert")).map((t) => t.destination);
      expect(bundles.length).toBeGreaterThan(0);
      for (const bundle of bundles) {
        // The set a server is given: tls.key, tls.crt and ca.crt next to the bundle (pkiCertificateTemplate's `dir`).
        const dir = path.dirname(bundle);
        const names = [`${dir}/tls.key`, `${dir}/tls.crt`, `${dir}/ca.crt`, bundle];
        // Servers start once the init container has finished; from the first moment the whole set is there, every moment counts.
        let serving = false;
        let seen = 0;
        for (const { variant, run } of r.runs) {
          expect(run.observations.length).toBeGreaterThan(0);
          for (const o of run.observations) {
            serving ||= names.every((n) => typeof o.files[n] === "string");
            if (!serving) continue;
            seen++;
            for (const p of setProblems(o.files, dir, bundle)) problems.push(`${r.pod.id} ${variant}, after ${o.step}: ${p}`);
          }
        }
        // The renewal's own steps were among them, the programs its template command ran included.
        expect(`${r.pod.id} ${bundle}: ${seen > r.runs[2].run.observations.length ? "observed" : `only ${seen} moments`}`).toBe(`${r.pod.id} ${bundle}: observed`);
        expect(`${r.pod.id} renewal steps: ${r.runs[2].run.observations.map((o) => o.step.split(" ").slice(0, 2).join(" ")).filter((s) => s === "exec mv").length > 0}`).toBe(`${r.pod.id} renewal steps: true`);
      }
    }
    expect(problems).toEqual([]);
  });

  test("the files are the agent's uid's (the harness ran as the pod's user, so permission bits applied)", () => {
    for (const r of rewrites[key]) {
      const uid = process.getuid?.() === 0 ? agentUser(r.pod, "vault-agent").uid : process.getuid?.();
      const files = [...new Set(r.runs.flatMap(({ run }) => run.templates.flatMap((t) => t.files)))];
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect(`${r.pod.id} ${f} uid ${statSync(path.join(r.root, f)).uid}`).toBe(`${r.pod.id} ${f} uid ${uid}`);
    }
  });

  test("the renewal re-issued each pod's certificates (their key and certificate files were written again)", () => {
    for (const r of rewrites[key]) {
      const [init, , renewal] = r.runs.map((x) => x.run);
      const pki = r.pod.init.template.filter((t) => t.contents.includes("pkiCert")).length;
      expect(`${r.pod.id}: ${init.issued.length} ${renewal.issued.length}`).toBe(`${r.pod.id}: ${pki} ${pki}`);
    }
  });

  test("after the renewal, the bundle (the template's 0400 destination, renamed over) and tls.crt (published by its exec) hold the renewed certificate, and one generation of the published files is left", () => {
    for (const r of rewrites[key]) {
      const renewal = r.runs[2].run;
      for (const t of renewal.templates.filter((x) => x.files.some((f) => f.endsWith("/tls.crt")))) {
        const serials = renewal.issued.map((c) => c.serial.replace(/^0+/, ""));
        for (const f of [t.destination, t.files.find((x) => x.endsWith("/tls.crt"))!]) {
          const leaf = new X509Certificate(readFileSync(path.join(r.root, f), "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0]);
          expect(`${r.pod.id} ${f} ${serials.includes(leaf.serialNumber.replace(/^0+/, ""))}`).toBe(`${r.pod.id} ${f} true`);
        }
        expect((statSync(path.join(r.root, t.destination)).mode & 0o777).toString(8)).toBe(String(r.pod.sidecar.template.find((x) => x.destination === t.destination)!.perms).replace(/^0/, ""));
        // Old generations are removed (the volume is memory, 16Mi): the init's, the sidecar start's and the renewal's leave one.
        const dir = path.dirname(path.join(r.root, t.destination));
        expect(`${r.pod.id} ${readdirSync(dir).filter((n) => n.startsWith("..")).sort().join(" ").replace(/\.\.tls\.[A-Za-z0-9]{6}/, "..tls.XXXXXX")}`).toBe(`${r.pod.id} ..tls ..tls.XXXXXX`);
      }
    }
  });

  test("every container that mounts the agent's directory can still read every file there, by the files' modes and the containers' synthesized ids", () => {
    for (const r of rewrites[key]) {
      const owner = agentUser(r.pod, "vault-agent");
      const files = [...new Set(r.runs.flatMap(({ run }) => run.templates.flatMap((t) => t.files)))];
      for (const c of [...r.pod.initContainers, ...r.pod.containers]) {
        const mount = many(c.body.volume_mount).find((m) => m.name === "vault-secrets");
        if (!mount || c.name.startsWith("vault-agent")) continue;
        const u = agentUser(r.pod, c.name);
        const groups = new Set([u.gid, ...(u.fsGroup === undefined ? [] : [u.fsGroup])]);
        for (const f of files.filter((x) => x.startsWith(`${String(mount.mount_path)}/`))) {
          const mode = statSync(path.join(r.root, f)).mode;
          // The file's group is the fsGroup (the kubelet makes the emptyDir setgid), its owner the agent's uid.
          const readable = u.uid === owner.uid ? (mode & 0o400) !== 0 : u.fsGroup !== undefined && groups.has(owner.fsGroup ?? -1) ? (mode & 0o040) !== 0 : (mode & 0o004) !== 0;
          expect(`${r.pod.id} ${c.name} reads ${f}: ${readable}`).toBe(`${r.pod.id} ${c.name} reads ${f}: true`);
        }
      }
    }
  });
});

// One deployment's pods (the agent's containers are the same construct in every deployment; the tests above cover each).
test("default: an agent stopped after renaming a renewed bundle over the old one, before its exec published it: the container's next start publishes the bundle's certificate", () => {
  const key = "default";
  const world = vaultWorld(key);
  const kv = bootstrapKv(key);
  const caDir = tempDir(`stopped-ca-${key}-`);
  dirs.push(caDir);
  const stale: string[] = [];
  for (const pod of agentPods(key)) {
    const bundles = pod.sidecar.template.filter((t) => t.contents.includes("pkiCert")).map((t) => t.destination);
    if (!bundles.length) continue;
    const root = tempDir(`stopped-${pod.name}-`);
    dirs.push(root);
    const init = runAgent({ world, pod, variant: "init", root, caDir, kv });
    const life = Math.max(0, ...init.issued.map((c) => (Date.parse(c.notAfter) - Date.now()) / 1000));
    // The renewal's render, without its exec: what the emptyDir holds when the agent is stopped right after the rename.
    const stopped: AgentPod = { ...pod, sidecar: { ...pod.sidecar, template: pod.sidecar.template.map((t) => ({ ...t, exec: undefined })) } };
    const renewal = runAgent({ world, pod: stopped, variant: "sidecar", root, caDir, kv, clockSkewSeconds: Math.ceil(life * 0.95) });
    expect(renewal.issued.length).toBeGreaterThan(0);
    // The container started again: the renewed certificate is young, so the agent reuses the bundle as it is (no render, no exec).
    const restart = runAgent({ world, pod, variant: "sidecar", root, caDir, kv });
    expect(`${pod.id}: ${restart.issued.length}`).toBe(`${pod.id}: 0`);
    for (const bundle of bundles) {
      const leafOf = (f: string) => new X509Certificate(readFileSync(path.join(root, f), "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0]).serialNumber;
      const crt = `${path.dirname(bundle)}/tls.crt`;
      if (leafOf(crt) !== leafOf(bundle)) stale.push(`${pod.id} ${crt}: ${leafOf(crt)}, ${bundle}: ${leafOf(bundle)}`);
    }
  }
  expect(stale).toEqual([]);
});
