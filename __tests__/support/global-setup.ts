import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { decodeStacks } from "../../scripts/terraform-decode";
import { runSynth } from "./helpers";
import { DEPLOYMENTS, EXAMPLES_DIR, EXAMPLES_OUT, outputDir, SYNTH_DIR_ENV, type DeploymentRun } from "./deployments";

/**
 * Jest global setup: every shipped deployment is synthesized once, end to end, as a user runs it (the
 * prebuilt program, scripts/synth.js): the embedded default by `npm run synth`, and every example in ONE
 * process by `npm run synth -- --all examples` (the two at once: the machine has two cores). Every stack of all of them is then decoded
 * by the real terraform (scripts/terraform-decode.ts) in one plan. Tests read both from the directory
 * named by SYNTH_DIR_ENV (./deployments.ts) instead of synthesizing again; __tests__/synth.test.ts
 * checks that this output is byte-identical to synthesizing each deployment on its own from the sources
 * (tsx main.ts): the prebuilt program and the many-deployment synth change nothing.
 */
export default async function globalSetup(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), "deployments-"));
  process.env[SYNTH_DIR_ENV] = root;
  const timed = async (key: string, args: readonly string[], cwd: string): Promise<DeploymentRun> => {
    mkdirSync(cwd, { recursive: true });
    const started = Date.now();
    const r = await runSynth(args, cwd);
    return { key, code: r.code, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
  };
  const examples = DEPLOYMENTS.filter((d) => d.stem !== undefined);
  const [single, many] = await Promise.all([
    timed("default", [], path.join(root, "default")),
    timed("examples", ["--all", EXAMPLES_DIR, "--out", EXAMPLES_OUT], root),
  ]);
  // The examples share one run (one process): each key gets its exit code and output.
  const runs: DeploymentRun[] = [single, ...examples.map((d) => ({ ...many, key: d.key }))];
  writeFileSync(path.join(root, "runs.json"), JSON.stringify(runs));

  const stacks: Record<string, unknown> = {};
  for (const run of runs) {
    const dir = path.join(outputDir(run.key), "stacks");
    if (run.code !== 0) continue;
    for (const s of readdirSync(dir)) stacks[`${run.key}/${s}`] = JSON.parse(readFileSync(path.join(dir, s, "cdk.tf.json"), "utf8"));
  }
  let decoded: unknown;
  try {
    decoded = { ok: true, stacks: decodeStacks(stacks) };
  } catch (e) {
    decoded = { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  writeFileSync(path.join(root, "decoded.json"), JSON.stringify(decoded));
}
