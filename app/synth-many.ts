import { statSync } from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { deploymentFiles, deploymentFileStem } from "../config/deployment-files";
import { ConfigError, loadDeployment } from "../config/load";
import type { Deployment } from "../config/schema";
import { UsageError } from "../config/synth-args";
import "../stacks/aws-stack";
import "../stacks/azure-stack";
import "../stacks/gcp-stack";
import { synthesizeDeployment, type DeploymentSynth } from "./synth-deployment";
import { OutputError, SynthOutput } from "../lib/synth-output";

/** What `--all` / several `--config` ask for (config/synth-args.ts). */
export interface ManyArgs {
  readonly configs: readonly string[];
  readonly dirs: readonly string[];
  readonly out: string;
}

/** One row of the summary table. */
export interface ManyRow {
  readonly file: string;
  /** The deployment's output folder (`<out>/<file name>`). */
  readonly dir: string;
  readonly name?: string;
  readonly cloud?: string;
  readonly ms: number;
  /** `ok`, or why nothing was written: `invalid config`, `policy failed`, `output error`, `defect`. */
  readonly result: "ok" | "invalid config" | "policy failed" | "output error" | "defect";
  readonly synth?: DeploymentSynth;
}

/**
 * Synthesizes many deployments in one process: Node, the TypeScript program, cdktf and the providers are
 * loaded once. Each deployment is synthesized exactly as a single synth does it (app/synth-deployment.ts)
 * into `<out>/<file name without extension>/`, with that folder's own lock, staging directory and policy
 * report (lib/synth-output.ts), and its construct tree is dropped before the next one is built, so memory
 * stays bounded as the count grows. A bad config, a policy failure or an unwritable folder is reported with
 * the file's name and the others still synthesize; the result is 1 if any deployment failed.
 * @throws UsageError when a directory is missing or empty, or two files would share an output folder.
 */
export async function synthesizeMany(args: ManyArgs, log: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  const files = filesOf(args);
  const root = path.resolve(args.out);
  const rows: ManyRow[] = [];
  const names = new Map<string, string>();
  const runnerLinks = new Map<string, string>();
  const started = performance.now();
  for (const file of files) {
    const t0 = performance.now();
    const dir = path.join(root, deploymentFileStem(file));
    const row = (r: Omit<ManyRow, "file" | "dir" | "ms">) => rows.push({ file, dir, ms: performance.now() - t0, ...r });
    let output: SynthOutput;
    try {
      output = SynthOutput.open(dir);
    } catch (e) {
      if (!(e instanceof OutputError)) throw e;
      err(`${file}: ${e.message}`);
      row({ result: "output error" });
      continue;
    }
    let deployment;
    try {
      deployment = loadDeployment(["--config", file], {});
    } catch (e) {
      output.fail();
      if (!(e instanceof ConfigError)) throw e;
      err(e.message); // names the file
      row({ result: "invalid config" });
      continue;
    }
    const other = names.get(deployment.name);
    if (other !== undefined) {
      output.fail();
      err(`${file}: invalid deployment config (1 problem):\n  - name: '${deployment.name}' is also the name of ${other}; a name owns one set of state, rename one`);
      row({ name: deployment.name, cloud: deployment.cloud, result: "invalid config" });
      continue;
    }
    names.set(deployment.name, file);
    const runner = runnerZoneLink(deployment);
    const sharing = runner === undefined ? undefined : runnerLinks.get(runner);
    if (runner !== undefined && sharing !== undefined) {
      output.fail();
      err(
        `${file}: invalid deployment config (1 problem):\n  - azure.runnerNetwork.virtualNetworkId: ${runner} is also the runner VNet of ${sharing}; both link their own ` +
          `privatelink.vaultcore.azure.net zone to it, and Azure links one zone of a name to a VNet ("A virtual network cannot be linked to multiple zones with overlapping namespaces"), ` +
          "so this deployment's link would fail at apply: give it a runner VNet of its own (docs/azure.md)",
      );
      row({ name: deployment.name, cloud: deployment.cloud, result: "invalid config" });
      continue;
    }
    if (runner !== undefined) runnerLinks.set(runner, file);
    const tokens = TokenMapMark.take();
    try {
      const synth = await synthesizeDeployment(deployment, output);
      row({ name: deployment.name, cloud: deployment.cloud, result: synth.code === 0 ? "ok" : "policy failed", synth });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const fileSystem = typeof code === "string" && /^E[A-Z]+$/.test(code);
      if (e instanceof OutputError) err(`${file}: ${e.message}`);
      else if (fileSystem) err(`${file}: ${OutputError.from(e, `write the output into ${dir}`, dir).message}`);
      else err(`${file}: unexpected error while synthesizing deployment '${deployment.name}' (a defect, not your config):\n${e instanceof Error ? e.stack : String(e)}`);
      row({ name: deployment.name, cloud: deployment.cloud, result: e instanceof OutputError || fileSystem ? "output error" : "defect" });
    } finally {
      tokens.release();
    }
  }
  log(summaryTable(rows, root, performance.now() - started));
  return rows.every((r) => r.result === "ok") ? 0 : 1;
}

/**
 * cdktf keeps every token it ever registered in one process-wide map (cdktf 0.21,
 * lib/tokens/private/token-map.js: `global.__cdktfTokenMap`, never emptied), and a reference token holds
 * its stack, so each finished deployment's whole construct tree would stay in memory. The map numbers its
 * entries with one counter (string keys `<hint>.<n>`, number keys `n`): what a deployment registered is
 * every entry from the counter's value when it started, and once it is written nothing can resolve those
 * tokens again; they are dropped. Tokens that modules create when they load (the cloud stacks are
 * imported above, before the first deployment) are older and stay. __tests__/synth-many-memory.test.ts
 * checks the trees are collected; __tests__/synth.test.ts and `npm run bench` that the output is the same.
 */
class TokenMapMark {
  static take(): TokenMapMark {
    return new TokenMapMark(TokenMapMark.map()?.tokenCounter ?? 0);
  }
  /** The map as cdktf stores it, shared by every copy of the library: `global.__cdktfTokenMap`. */
  private static map(): { tokenCounter: number; stringTokenMap: Map<string, unknown>; numberTokenMap: Map<number, unknown> } | undefined {
    return (globalThis as { __cdktfTokenMap?: { tokenCounter: number; stringTokenMap: Map<string, unknown>; numberTokenMap: Map<number, unknown> } }).__cdktfTokenMap;
  }
  private constructor(private readonly from: number) {}
  release(): void {
    const map = TokenMapMark.map();
    if (!map) return;
    for (const key of map.stringTokenMap.keys()) if (Number(key.slice(key.lastIndexOf(".") + 1)) >= this.from) map.stringTokenMap.delete(key);
    for (const key of map.numberTokenMap.keys()) if (key >= this.from) map.numberTokenMap.delete(key);
  }
}

/**
 * The runner VNet an Azure deployment links its own Key Vault private DNS zone to (lower-cased), or undefined: it
 * links one unless `azure.existingNetwork.privateDnsZones.vault` names the estate's zone (constructs/azure/runner-network.ts
 * links only the zones the stack made; __tests__/synth-many.test.ts checks this against the synthesized links). Azure
 * refuses a second zone of the same name on one VNet: the Private Link FAQ ("Creating multiple zones with the same name
 * for a single virtual network is not supported", MicrosoftDocs/azure-docs#122956, articles/private-link/private-link-faq.yml),
 * answering BadRequest "A virtual network cannot be linked to multiple zones with overlapping namespaces" (Azure/ARO-RP#796,
 * microsoft-foundry/foundry-samples#214).
 */
export function runnerZoneLink(d: Deployment): string | undefined {
  if (d.cloud !== "azure" || d.azure === undefined) return undefined;
  if (d.azure.existingNetwork?.privateDnsZones?.vault !== undefined) return undefined;
  return d.azure.runnerNetwork.virtualNetworkId.toLowerCase();
}

/** The files named by `--config` and found by `--all`, in that order; each must have an output folder of its own. */
function filesOf(args: ManyArgs): string[] {
  const files = [...args.configs];
  for (const dir of args.dirs) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new UsageError(`--all ${dir}: no such directory (resolved to ${path.resolve(dir)})`);
    const found = deploymentFiles(dir);
    if (found.length === 0) throw new UsageError(`--all ${dir}: the directory holds no deployment files (.yaml, .yml, .json)`);
    files.push(...found);
  }
  const byFolder = new Map<string, string>();
  for (const file of files) {
    const folder = deploymentFileStem(file);
    const other = byFolder.get(folder);
    if (other !== undefined) {
      throw new UsageError(
        path.resolve(other) === path.resolve(file)
          ? `${file} is given twice; give each deployment once`
          : `${other} and ${file} would both be written to <out>/${folder}/; rename one file`,
      );
    }
    byFolder.set(folder, file);
  }
  return files;
}

/** The table printed at the end: one line per deployment, then the totals. */
export function summaryTable(rows: readonly ManyRow[], root: string, totalMs: number): string {
  const shown = path.relative(process.cwd(), root) || ".";
  const header = ["deployment", "file", "cloud", "stacks", "resources", "policy", "time", "result"];
  const lines = rows.map((r) => [
    r.name ?? "-",
    r.file,
    r.cloud ?? "-",
    r.synth ? String(r.synth.stacks.length) : "-",
    r.synth ? String(r.synth.resources) : "-",
    r.synth ? `${r.synth.policy.failed} failed, ${r.synth.policy.suppressed} suppressed` : "-",
    `${(r.ms / 1000).toFixed(2)} s`,
    r.result === "ok" ? `ok: ${shown}/${path.basename(r.dir)}/` : r.result,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  const failed = rows.filter((r) => r.result !== "ok").length;
  const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
  return [
    format(header),
    ...lines.map(format),
    `${rows.length} deployment(s) in ${(totalMs / 1000).toFixed(2)} s, peak memory ${peakMb} MB: ${rows.length - failed} synthesized, ${failed} failed`,
  ].join("\n");
}
