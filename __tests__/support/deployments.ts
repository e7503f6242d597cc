import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { DecodedStack } from "../../scripts/terraform-decode";

/**
 * The shipped deployments, synthesized once per test run by the global setup (./global-setup.ts), and
 * their stacks as the real terraform decodes them. Tests that check what reaches the other side
 * (a server, terraform, Vault Agent) read their inputs from here, never from copies.
 */

const ROOT = path.resolve(__dirname, "..", "..");

/** Environment variable naming the directory the global setup wrote. */
export const SYNTH_DIR_ENV = "METADATA_PLATFORM_SYNTHESIZED";

/** One shipped deployment: `default` (the embedded demo) or `examples/<file>`. */
export interface ShippedDeployment {
  readonly key: string;
  /** The arguments of a one-deployment synth (`npm run synth -- <args>`). */
  readonly args: readonly string[];
  /** Its file name without extension (the examples): its folder in the many-deployment synth's output. */
  readonly stem?: string;
}

/** The directory holding the examples (the global setup synthesizes it with `--all`). */
export const EXAMPLES_DIR = path.join(ROOT, "examples");

/** The embedded default deployment and every file in examples/. */
export const DEPLOYMENTS: readonly ShippedDeployment[] = [
  { key: "default", args: [] },
  ...readdirSync(EXAMPLES_DIR)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => {
      const stem = f.replace(/\.(ya?ml|json)$/, "");
      return { key: `examples-${stem}`, args: ["--config", path.join(EXAMPLES_DIR, f)], stem };
    }),
];

/** Where the global setup's `npm run synth -- --all examples --out <this>` writes, under its directory. */
export const EXAMPLES_OUT = "examples.out";

/** How main.ts ran for one deployment. */
export interface DeploymentRun {
  readonly key: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function dir(): string {
  const d = process.env[SYNTH_DIR_ENV];
  if (!d || !existsSync(d)) throw new Error(`${SYNTH_DIR_ENV} is not set: run the tests with jest (jest.config.js runs __tests__/support/global-setup.ts)`);
  return d;
}

/** main.ts's exit code and output for each shipped deployment. */
export function deploymentRuns(): DeploymentRun[] {
  return JSON.parse(readFileSync(path.join(dir(), "runs.json"), "utf8")) as DeploymentRun[];
}

/**
 * The output directory of a shipped deployment: `cdktf.out` of the default's single synth, or the
 * example's folder in the one-process synth of every example (`--all examples`).
 */
export function outputDir(key: string): string {
  const d = DEPLOYMENTS.find((x) => x.key === key);
  if (!d) throw new Error(`no shipped deployment '${key}'; known: ${DEPLOYMENTS.map((x) => x.key).join(", ")}`);
  return d.stem === undefined ? path.join(dir(), key, "cdktf.out") : path.join(dir(), EXAMPLES_OUT, d.stem);
}

/** The synthesized stacks of a shipped deployment, by stack id. */
export function synthesizedStacks(key: string): Record<string, Record<string, unknown>> {
  const stacks = path.join(outputDir(key), "stacks");
  return Object.fromEntries(readdirSync(stacks).sort().map((s) => [s, JSON.parse(readFileSync(path.join(stacks, s, "cdk.tf.json"), "utf8")) as Record<string, unknown>]));
}

/** Every stack of every shipped deployment as terraform decoded it (`<key>/<stack id>`), or terraform's error. */
export function decodedStacks(): { ok: true; stacks: Record<string, DecodedStack> } | { ok: false; error: string } {
  return JSON.parse(readFileSync(path.join(dir(), "decoded.json"), "utf8")) as { ok: true; stacks: Record<string, DecodedStack> } | { ok: false; error: string };
}

/** One stack of one shipped deployment as terraform decoded it; throws terraform's diagnostics if any stack failed. */
export function decodedStack(key: string, stackRole: "cloud" | "vault" | "vault-config" | "platform"): DecodedStack {
  const all = decodedStacks();
  if (!all.ok) throw new Error(`terraform could not decode the synthesized stacks:\n${all.error}`);
  const ids = Object.keys(all.stacks).filter((k) => k.startsWith(`${key}/`));
  const id = ids.find((k) => (stackRole === "cloud" ? /-(aws|azure|gcp)$/.test(k) : k.endsWith(`-${stackRole}`)));
  if (!id) throw new Error(`no ${stackRole} stack for ${key} among ${ids.join(", ")}`);
  return all.stacks[id];
}
