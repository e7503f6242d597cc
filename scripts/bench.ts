/**
 * `npm run bench [-- --count N] [-- --runs R]`: synth performance, measured in one run on this machine.
 *
 * 1. Writes N valid deployments across the three clouds into a temporary folder (scripts/fleet-fixtures.ts).
 * 2. Synthesizes them one process each (`npm run synth -- --config <file>`, as a pipeline without
 *    `--all` would), then all in one process (`npm run synth -- --all <dir>`), and checks the two
 *    outputs are byte-identical. Unless `--no-tsx`, also one process each from the sources
 *    (`node --import tsx main.ts --config <file>`, how `npm run synth` ran before it was prebuilt).
 * 3. Times the default deployment's synth (`npm run synth`) against the floor, `node -e "require('cdktf')"`
 *    (start Node, load cdktf), and against the sources through tsx (`node --import tsx main.ts`), R runs each
 *    (median).
 *
 * Prints per-deployment time, total time, peak memory (maximum resident set size, from /usr/bin/time when
 * present) and the ratio, with the machine's load (`uptime`) before and after: on a shared machine the
 * wall times move with the load. A benchmark, not a test: it asserts nothing but identical output.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { deploymentFileStem } from "../config/deployment-files";
import { writeFleet } from "./fleet-fixtures";

const ROOT = path.resolve(__dirname, "..");
const SYNTH = [path.join(ROOT, "scripts", "synth.js")];
const TSX = ["--import", path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs"), path.join(ROOT, "main.ts")];
const NODE_FLAGS = ["--max-semi-space-size=4"];
const TIME = "/usr/bin/time";

interface Measured {
  readonly ms: number;
  /** Peak resident memory in MB, when /usr/bin/time is there to tell it. */
  readonly mb?: number;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs node with `args` in `cwd`, timed; through GNU time for the child's peak memory when it exists. */
function measure(args: readonly string[], cwd: string): Measured {
  const withTime = existsSync(TIME);
  const command = withTime ? TIME : process.execPath;
  const argv = withTime ? ["-f", "__peak_kb=%M", process.execPath, ...args] : [...args];
  const started = performance.now();
  const r = spawnSync(command, argv, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - started;
  const peak = /__peak_kb=(\d+)/.exec(r.stderr ?? "");
  return {
    ms,
    mb: peak ? Number(peak[1]) / 1024 : undefined,
    code: r.status ?? 1,
    stdout: r.stdout ?? "",
    stderr: (r.stderr ?? "").replace(/__peak_kb=\d+\n?/, ""),
  };
}

function mustSucceed(what: string, m: Measured): Measured {
  if (m.code !== 0) throw new Error(`${what} failed (exit ${m.code}):\n${m.stderr || m.stdout}`);
  return m;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function tree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(path.relative(dir, full), readFileSync(full));
    }
  };
  walk(dir);
  return files;
}

function sameTree(a: string, b: string): string | undefined {
  const ta = tree(a);
  const tb = tree(b);
  for (const f of new Set([...ta.keys(), ...tb.keys()])) {
    const x = ta.get(f);
    const y = tb.get(f);
    if (!x || !y || !x.equals(y)) return f;
  }
  return undefined;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (m: number | undefined) => (m === undefined ? "n/a" : `${Math.round(m)} MB`);
const load = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(", ")} (${cpus().length} cores)`;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} needs a whole number of at least 1, e.g. --${name} ${fallback}`);
    process.exit(2);
  }
  return n;
}

function main(): void {
  const count = option("count", 50);
  const runs = option("runs", 5);
  const work = mkdtempSync(path.join(tmpdir(), "synth-bench-"));
  try {
    console.log(`synth benchmark: ${count} deployments, node ${process.version}, ${load()} at the start`);
    const dir = path.join(work, "deployments");
    const files = writeFleet(dir, count);
    // The prebuilt program is built (or found fresh) before anything is timed.
    mustSucceed("the warm-up synth", measure([...NODE_FLAGS, ...SYNTH, "--help"], work));

    // One process per deployment.
    const one: Measured[] = files.map((file) => {
      const cwd = path.join(work, "one", deploymentFileStem(file));
      mkdirSync(cwd, { recursive: true });
      return mustSucceed(`synth of ${file}`, measure([...NODE_FLAGS, ...SYNTH, "--config", file], cwd));
    });
    const oneTotal = one.reduce((t, m) => t + m.ms, 0);
    const onePeak = Math.max(...one.map((m) => m.mb ?? 0));
    const tsx: Measured[] = process.argv.includes("--no-tsx")
      ? []
      : files.map((file) => {
          const cwd = path.join(work, "tsx", deploymentFileStem(file));
          mkdirSync(cwd, { recursive: true });
          return mustSucceed(`synth of ${file} through tsx`, measure([...NODE_FLAGS, ...TSX, "--config", file], cwd));
        });
    const tsxTotal = tsx.reduce((t, m) => t + m.ms, 0);

    // All in one process.
    const all = mustSucceed("the synth of all deployments", measure([...NODE_FLAGS, ...SYNTH, "--all", dir, "--out", path.join(work, "all")], work));
    const perDeployment = [...all.stdout.matchAll(/^\S+ +\S+ +(?:aws|azure|gcp) +\d+ +\d+ +\d+ failed, \d+ suppressed +([\d.]+) s +ok: /gm)].map((m) => Number(m[1]) * 1000);
    for (const file of files) {
      const stem = deploymentFileStem(file);
      const differs = sameTree(path.join(work, "one", stem, "cdktf.out"), path.join(work, "all", stem));
      if (differs !== undefined) throw new Error(`${stem}: ${differs} differs between the one-process-each and the all-in-one synth`);
    }

    // The default deployment against the floor and the sources.
    const defaultDir = path.join(work, "default");
    mkdirSync(defaultDir);
    const floor: Measured[] = [];
    const prebuilt: Measured[] = [];
    const sources: Measured[] = [];
    for (let i = 0; i < runs; i++) {
      floor.push(mustSucceed("node -e require('cdktf')", measure(["-e", "require('cdktf')"], ROOT)));
      prebuilt.push(mustSucceed("the default synth", measure([...NODE_FLAGS, ...SYNTH], defaultDir)));
      sources.push(mustSucceed("the default synth through tsx", measure([...NODE_FLAGS, ...TSX], defaultDir)));
    }
    const row = (label: string, ms: readonly Measured[]) =>
      `  ${label.padEnd(44)} ${s(median(ms.map((m) => m.ms))).padStart(8)}  ${mb(median(ms.map((m) => m.mb ?? 0)) || undefined).padStart(7)}`;

    console.log(
      [
        "",
        `${count} deployments (aws, azure, gcp in turn), output identical both ways:`,
        `  one process each   total ${s(oneTotal)}, per deployment ${s(oneTotal / count)} (min ${s(Math.min(...one.map((m) => m.ms)))}, max ${s(Math.max(...one.map((m) => m.ms)))}), peak memory ${mb(onePeak)} per process`,
        `  all in one process total ${s(all.ms)}, per deployment ${s(all.ms / count)} (synth only: median ${s(median(perDeployment))}, max ${s(Math.max(...perDeployment))}), peak memory ${mb(all.mb)}`,
        `  ratio              ${(oneTotal / all.ms).toFixed(1)}x faster in one process`,
        ...(tsx.length
          ? [
              `  one process each from the sources (tsx) total ${s(tsxTotal)}, per deployment ${s(tsxTotal / count)}, peak memory ${mb(Math.max(...tsx.map((m) => m.mb ?? 0)))} per process`,
              `  ratio against it   ${(tsxTotal / all.ms).toFixed(1)}x faster in one process`,
            ]
          : []),
        "",
        `default deployment, median of ${runs} runs          time   memory`,
        row("node -e \"require('cdktf')\" (the floor)", floor),
        row("npm run synth (prebuilt)", prebuilt),
        row("node --import tsx main.ts (the sources)", sources),
        "",
        `${load()} at the end`,
      ].join("\n"),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
