import { X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { DEPLOYMENTS } from "../support/deployments";
import { bootstrapKv } from "../support/fake-vault";
import { many } from "../support/synthesized";
import { agentPods, agentUser, runAgent, vaultWorld, type AgentPod, type AgentRun } from "../support/vault-agent";
import { removeDir, tempDir } from "./support/servers";

// A pod's agents write into one emptyDir, one after the other, as the pod's own non-root uid: the init
// container renders (consul-template executes each template once per dependency that arrives, so a
// `with pkiCert` block runs more than once already), the sidecar renders again at its start, and again
// at every renewal. The harness runs as the uid/gid/fsGroup the synthesized pod spec gives the agent
// containers (setpriv, when the tests run as root), so a file its owner made read-only cannot be
// rewritten (consul-template v0.39.1 template/funcs.go writeToFile: os.Create, then os.Chmod), as in
// the pod; a failed render is fatal there (template_config.exit_on_retry_failure): the sidecar
// crash-loops and the pod never becomes ready.
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
      const init = runAgent({ world, pod, variant: "init", root, caDir, kv });
      const sidecar = runAgent({ world, pod, variant: "sidecar", root, caDir, kv });
      // A renewal: the clock past the certificates' re-issue point (consul-template renews a pkiCert at ~90% of its life).
      const life = Math.max(0, ...init.issued.map((c) => (Date.parse(c.notAfter) - Date.now()) / 1000));
      const renewal = runAgent({ world, pod, variant: "sidecar", root, caDir, kv, clockSkewSeconds: Math.ceil(life * 0.95) });
      return { pod, root, runs: [{ variant: "init", run: init }, { variant: "sidecar", run: sidecar }, { variant: "sidecar renewal", run: renewal }] };
    });
  }
});

afterAll(() => {
  for (const d of dirs) removeDir(d);
});

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

  test("after the renewal, the bundle (the template's 0400 destination, renamed over) and tls.crt (rewritten in place) hold the renewed certificate", () => {
    for (const r of rewrites[key]) {
      const renewal = r.runs[2].run;
      for (const t of renewal.templates.filter((x) => x.files.some((f) => f.endsWith("/tls.crt")))) {
        const serials = renewal.issued.map((c) => c.serial.replace(/^0+/, ""));
        for (const f of [t.destination, t.files.find((x) => x.endsWith("/tls.crt"))!]) {
          const leaf = new X509Certificate(readFileSync(path.join(r.root, f), "utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0]);
          expect(`${r.pod.id} ${f} ${serials.includes(leaf.serialNumber.replace(/^0+/, ""))}`).toBe(`${r.pod.id} ${f} true`);
        }
        expect((statSync(path.join(r.root, t.destination)).mode & 0o777).toString(8)).toBe(String(r.pod.sidecar.template.find((x) => x.destination === t.destination)!.perms).replace(/^0/, ""));
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
