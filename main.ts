import { mkdirSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, loadDeployment } from "./config/load";
import type { Deployment } from "./config/schema";
import { parseSynthArgs, SYNTH_USAGE, UsageError, type SynthArgs } from "./config/synth-args";
import { OutputError, SynthOutput } from "./lib/synth-output";

// Entry point: arguments -> one validated deployment -> its stacks -> the security policy -> synth
// (app/synth-deployment.ts). With `--all <dir>` or several `--config`, many deployments in one process,
// each into a folder of its own (app/synth-many.ts).
// The config is validated before the stacks and the policy are loaded, so a mistake is reported in a
// fraction of a second. The output directory holds exactly what the last synth produced: it is written
// in a staging directory and replaces the old one only when the synth succeeded (lib/synth-output.ts).

/** Where cdktf writes: the CLI's --output (CDKTF_OUTDIR), else cdktf.json's default. */
const OUTDIR = process.env.CDKTF_OUTDIR ?? "cdktf.out";

function exitWith(code: number, message: string): never {
  console.error(message);
  process.exit(code);
}

async function main(): Promise<void> {
  let parsed: SynthArgs;
  try {
    parsed = parseSynthArgs(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof UsageError) exitWith(2, `${e.message}\n\n${SYNTH_USAGE}`);
    throw e;
  }
  if (parsed.help) {
    console.log(SYNTH_USAGE);
    return;
  }
  if (parsed.many) {
    const { synthesizeMany } = await import("./app/synth-many");
    try {
      process.exitCode = await synthesizeMany(parsed);
    } catch (e) {
      if (e instanceof UsageError) exitWith(2, `${e.message}\n\n${SYNTH_USAGE}`);
      throw e;
    }
    return;
  }
  const args = parsed.argv;

  let output: SynthOutput;
  try {
    output = SynthOutput.open(OUTDIR);
  } catch (e) {
    if (e instanceof OutputError) exitWith(1, e.message);
    throw e;
  }

  let deployment: Deployment;
  try {
    deployment = loadDeployment(args);
  } catch (e) {
    output.fail(); // the previous output was another config's (or this one's, before the mistake)
    if (e instanceof ConfigError) exitWith(1, e.message);
    throw e;
  }

  try {
    const { synthesizeDeployment } = await import("./app/synth-deployment");
    const previous = stackDirs(output.dir);
    const result = await synthesizeDeployment(deployment, output);
    if (result.code !== 0) {
      process.exitCode = result.code;
      return;
    }
    keepOrphansForCdktfCli(output.dir, previous, result.stacks);
    console.log(summary(deployment, output.dir, result.stacks, args));
  } catch (e) {
    output.fail();
    if (e instanceof OutputError) exitWith(1, e.message);
    const code = (e as NodeJS.ErrnoException).code;
    if (code && /^E[A-Z]+$/.test(code)) exitWith(1, OutputError.from(e, `write the output into ${OUTDIR}`, output.dir).message);
    throw e;
  }
}

/** What was written, and what to do with it. */
function summary(d: Deployment, dir: string, stackIds: readonly string[], args: readonly string[]): string {
  const shown = path.relative(process.cwd(), dir) || ".";
  const config = args.join(" ");
  return [
    `synthesized deployment '${d.name}' (${d.cloud}, ${d.region}) into ${shown}/, in deployment order:`,
    ...stackIds.map((id) => `  ${id}: ${shown}/stacks/${id}/cdk.tf.json`),
    config
      ? `next: npm run validate -- ${config}   (offline checks), then npm run deploy -- ${config}   (docs/deployment-guide.md)`
      : "next: npm run validate (offline checks); to deploy, write your own config (docs/deployment-guide.md §4): the demo holds documentation values",
  ].join("\n");
}

function stackDirs(dir: string): string[] {
  try {
    return readdirSync(path.join(dir, "stacks"));
  } catch {
    return [];
  }
}

/**
 * `cdktf synth` lists the stack directories before it runs the app and deletes those the new manifest does
 * not name, without `force` (cdktf-cli 0.21, @cdktf/cli-core/src/lib/synth-stack.ts: `fs.rmSync(orphanedDirectory,
 * { recursive: true })`): a directory already gone makes it fail. Under the CLI, leave an empty one for it.
 */
function keepOrphansForCdktfCli(dir: string, previous: readonly string[], written: readonly string[]): void {
  if (process.env.CDKTF_OUTDIR === undefined) return;
  for (const id of previous) if (!written.includes(id)) mkdirSync(path.join(dir, "stacks", id), { recursive: true });
}

main().catch((e: unknown) => {
  // A defect in the program, not the user's input: show everything.
  console.error(e);
  process.exit(1);
});
