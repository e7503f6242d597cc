import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { decodeStacks } from "../../scripts/terraform-decode";
import { runMain } from "../config/helpers";
import { DEPLOYMENTS, SYNTH_DIR_ENV, type DeploymentRun } from "./deployments";

/**
 * Jest global setup: every shipped deployment (the embedded default and each example) is synthesized
 * once, end to end, as a user runs it (`node --import tsx main.ts [--config file]`), and every stack
 * of all of them is then decoded by the real terraform (scripts/terraform-decode.ts) in one plan.
 * Tests read both from the directory named by SYNTH_DIR_ENV (./deployments.ts) instead of
 * synthesizing again.
 */
export default async function globalSetup(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), "deployments-"));
  process.env[SYNTH_DIR_ENV] = root;
  // Two at a time: the machine has two cores.
  const queue = [...DEPLOYMENTS];
  const runs: DeploymentRun[] = [];
  await Promise.all(
    [0, 1].map(async () => {
      for (let d = queue.shift(); d; d = queue.shift()) {
        const cwd = path.join(root, d.key);
        mkdirSync(cwd);
        const started = Date.now();
        const r = await runMain(d.args, cwd);
        runs.push({ key: d.key, code: r.code, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started });
      }
    }),
  );
  writeFileSync(path.join(root, "runs.json"), JSON.stringify(runs));

  const stacks: Record<string, unknown> = {};
  for (const run of runs) {
    const dir = path.join(root, run.key, "cdktf.out", "stacks");
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
