import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { agentPods, imagePrograms, inPod } from "../support/vault-agent";

/**
 * The agent containers' own start commands, as synthesized, run with the image's programs (BusyBox) and a stand-in
 * agent that records that it ran: what they do with a certificate bundle left by an earlier run whose publishing
 * fails (here: a bundle without its CA chain). pkiCert reuses a bundle that is still valid and never writes it again
 * (consul-template v0.39.1 dependency/vault_pki.go), so its exec would never run again: the start command removes it
 * and starts the agent, which issues anew. Without that, every start fails the same way: a crash loop.
 */

const pod = agentPods("default").find((p) => p.name === "redis")!;

function run(containerName: string, bundle: string | undefined): { status: number | null; stderr: string; agentRan: boolean; bundleLeft: boolean } {
  const c = [...pod.initContainers, ...pod.containers].find((x) => x.name === containerName)!;
  expect(c.command[0]).toBe("/bin/sh");
  const root = mkdtempSync(path.join(tmpdir(), "agent-start-"));
  try {
    const bundlePath = c.command[4];
    const dir = path.dirname(bundlePath);
    mkdirSync(inPod(root, dir), { recursive: true });
    if (bundle !== undefined) writeFileSync(inPod(root, bundlePath), bundle, { mode: 0o400 });
    const stand = path.join(root, "stand-in");
    mkdirSync(stand);
    const marker = path.join(root, "agent-ran");
    for (const name of ["vault", "bao"]) writeFileSync(path.join(stand, name), `#!/bin/sh\n: > ${marker}\n`, { mode: 0o755 });
    chmodSync(stand, 0o755);
    const args = c.command.slice(1).map((a) => (a === dir || a.startsWith(`${dir}/`) ? inPod(root, a) : a));
    const r = spawnSync(path.join(imagePrograms(), "sh"), args, { env: { PATH: `${imagePrograms()}:${stand}` }, encoding: "utf8", timeout: 30_000 });
    return { status: r.status, stderr: r.stderr, agentRan: existsSync(marker), bundleLeft: existsSync(inPod(root, bundlePath)) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// A key and a certificate but no CA chain: what the publish script refuses (it checks ca.crt).
const NO_CHAIN = ["-----BEGIN " + "EC PRIVATE KEY-----", "MHcCAQEEIA==", "-----END " + "EC PRIVATE KEY-----", ""].join("\n");

test.each(["vault-agent-init", "vault-agent"])("%s: a bundle whose publishing fails is removed, the agent still starts (and issues anew); nothing fails for good", (name) => {
  const r = run(name, NO_CHAIN);
  expect({ status: r.status, agentRan: r.agentRan, bundleLeft: r.bundleLeft }).toEqual({ status: 0, agentRan: true, bundleLeft: false });
  expect(r.stderr).toContain("publishing");
});

test.each(["vault-agent-init", "vault-agent"])("%s: with no bundle yet the agent simply starts", (name) => {
  const r = run(name, undefined);
  expect({ status: r.status, agentRan: r.agentRan }).toEqual({ status: 0, agentRan: true });
});

test("the init container publishes again once its agent has exited, the sidecar hands its process to the agent", () => {
  const init = pod.initContainers.find((c) => c.name === "vault-agent-init")!;
  const sidecar = pod.containers.find((c) => c.name === "vault-agent")!;
  expect(init.command[2]).toMatch(/\n(vault|bao) agent -config=\S+\n\[ ! -s "\$bundle" \] \|\| "\$@"\n$/);
  expect(sidecar.command[2]).toMatch(/\nexec (vault|bao) agent -config=\S+\n$/);
});
