import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { bootstrapKv } from "../../support/fake-vault";
import { one, resources } from "../../support/synthesized";
import { agentPods, runAgent, vaultWorld, type AgentPod, type AgentRun, type PodContainer } from "../../support/vault-agent";

/**
 * A synthesized pod brought to this machine: its Vault Agent's files rendered by the harness (init
 * container, then sidecar) under a local root, its ConfigMaps' decoded data written where the pod mounts
 * them, and its commands and probes taken verbatim from the synthesized JSON. What a test changes is
 * explicit and small: pod paths become paths under the root, and ports / addresses become the test's
 * loopback ones (`PodRewrite`).
 */

/** One pod of a shipped deployment, materialised under `root`. */
export interface LocalPod {
  readonly key: string;
  readonly pod: AgentPod;
  readonly root: string;
  readonly init: AgentRun;
  readonly sidecar: AgentRun;
  /** The local path of a path in the pod. */
  local(podPath: string): string;
  /** Renders the sidecar again, `clockSkewSeconds` later (a renewal when past the certificate's ~90%). */
  rerender(clockSkewSeconds: number): AgentRun;
}

/** Renders a workload's agent files (as pod `ordinal`) under `root`; `caDir` is shared by every pod of a test. */
export function localPod(key: string, workload: string, o: { root: string; caDir: string; ordinal?: number }): LocalPod {
  const pod = agentPods(key).find((p) => p.name === workload);
  if (!pod) throw new Error(`${key}: no Vault Agent pod named ${workload}`);
  const world = vaultWorld(key);
  const kv = bootstrapKv(key);
  const run = (variant: "init" | "sidecar", clockSkewSeconds = 0) => {
    const r = runAgent({ world, pod, variant, ordinal: o.ordinal ?? 0, root: o.root, caDir: o.caDir, kv, clockSkewSeconds });
    const failed = r.templates.filter((t) => !t.ok);
    if (failed.length) throw new Error(`${pod.id} ${variant}: ${failed.map((t) => `${t.destination}: ${t.error}`).join("\n")}`);
    return r;
  };
  const init = run("init");
  const sidecar = run("sidecar");
  return { key, pod, root: o.root, init, sidecar, local: (p) => path.join(o.root, p), rerender: (skew) => run("sidecar", skew) };
}

/** The decoded data of a ConfigMap of the platform stack. */
export function configMapData(key: string, name: string): Record<string, string> {
  const cm = resources(key, "platform", "kubernetes_config_map_v1").find((c) => one(c.body.metadata).name === name);
  if (!cm) throw new Error(`${key}: no ConfigMap ${name}`);
  return one(cm.body.data) as Record<string, string>;
}

/** A container of the pod, by name. */
export function podContainer(pod: AgentPod, name: string): PodContainer {
  const c = [...pod.initContainers, ...pod.containers].find((x) => x.name === name);
  if (!c) throw new Error(`${pod.id}: no container ${name}`);
  return c;
}

/** The exec command of one of a container's probes, verbatim. */
export function probeCommand(c: PodContainer, probe: "startup" | "readiness" | "liveness"): string[] {
  const p = one(c.body[`${probe}_probe`]);
  const command = one(p.exec).command;
  if (!Array.isArray(command)) throw new Error(`${c.name}: the ${probe} probe is not an exec probe`);
  return command as string[];
}

/** A probe's check, verbatim (httpGet / tcpSocket / exec). */
export function probeCheck(c: PodContainer, probe: "startup" | "readiness" | "liveness") {
  return one(c.body[`${probe}_probe`]);
}

/**
 * The test's substitutions, applied to config text and commands: each pod directory prefix becomes
 * its local directory, then each literal replacement in order (ports, bind addresses, intervals).
 */
export class PodRewrite {
  constructor(
    private readonly dirs: Readonly<Record<string, string>>,
    private readonly literals: readonly (readonly [string | RegExp, string])[] = [],
  ) {}

  /** A pod path as a local path. */
  path(p: string): string {
    const prefix = Object.keys(this.dirs).sort((a, b) => b.length - a.length).find((d) => p === d || p.startsWith(`${d}/`));
    return prefix ? this.dirs[prefix] + p.slice(prefix.length) : p;
  }

  /** Config text or a shell word list with pod paths and the literals replaced (one pass: a local path is never rewritten again). */
  text(s: string): string {
    const dirs = Object.keys(this.dirs).sort((a, b) => b.length - a.length);
    let out = s;
    if (dirs.length) {
      const alternation = dirs.map((d) => d.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|");
      out = out.replace(new RegExp(`(^|[\\s"'=:(])(${alternation})(?=/|\\s|"|'|;|$)`, "gm"), (_m, lead: string, d: string) => `${lead}${this.dirs[d]}`);
    }
    for (const [from, to] of this.literals) out = typeof from === "string" ? out.split(from).join(to) : out.replace(from, to);
    return out;
  }

  command(words: readonly string[]): string[] {
    return words.map((w) => this.text(w));
  }
}

/** Writes a ConfigMap's files (rewritten) into a local directory, 0644; returns the directory. */
export function writeConfigMap(data: Readonly<Record<string, string>>, dir: string, rewrite: PodRewrite): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(data)) writeFileSync(path.join(dir, name), rewrite.text(text), { mode: 0o644 });
  return dir;
}
