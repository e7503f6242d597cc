import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ROOT, runMain } from "./support/helpers";
import { DEPLOYMENTS, SYNTH_DIR_ENV, deploymentRuns, outputDir } from "./support/deployments";

// End to end. The global setup ran `npm run synth` (the prebuilt program, scripts/synth.js) for the
// default and once for every example in one process (`--all examples`). Here each runs again from the
// sources (`tsx main.ts [--config file]`, one process each, in a directory of its own): the output is
// byte-identical (the prebuild and the one-process synth change nothing) and holds no path of this machine.

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(path.relative(dir, full), readFileSync(full, "utf8"));
    }
  };
  walk(dir);
  return files;
}

function noMachinePaths(tree: Map<string, string>, extra: readonly string[]): void {
  for (const [file, text] of tree) {
    // This run's own directories, the checkout and $HOME ("/tmp" alone is a legitimate in-container path).
    for (const p of [...extra, ROOT, process.env.HOME ?? "/root"]) {
      if (text.includes(p)) throw new Error(`${file} contains the machine path ${p}`);
    }
  }
}

test.each(DEPLOYMENTS.map((d) => [d.key]))("%s synthesizes clean under the policy, with no machine paths", (key) => {
  const run = deploymentRuns().find((r) => r.key === key);
  expect(run).toBeDefined();
  expect(run?.stderr).not.toMatch(/Error/);
  expect(run?.code).toBe(0);
  expect(run?.stdout).toMatch(/^policy ok: /m);
  const tree = readTree(outputDir(key));
  expect([...tree.keys()].filter((f) => f.endsWith("cdk.tf.json")).length).toBe(4);
  noMachinePaths(tree, [process.env[SYNTH_DIR_ENV] ?? "/nonexistent"]);
});

test("the default deployment synthesizes byte-identically from the sources (tsx) in another directory", async () => {
  const work = mkdtempSync(path.join(tmpdir(), "synth-"));
  try {
    const run = await runMain([], work);
    expect(run.code).toBe(0);
    const tree = readTree(path.join(work, "cdktf.out"));
    expect(tree).toEqual(readTree(outputDir("default")));
    noMachinePaths(tree, [work]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, 120_000);

describe("many deployments in one process", () => {
  const examples = DEPLOYMENTS.filter((d) => d.stem !== undefined);
  // Created here, not in beforeAll: jest starts concurrent tests before the hooks run.
  const work = mkdtempSync(path.join(tmpdir(), "synth-one-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("the global setup synthesized every example in one process (one run, one summary table)", () => {
    const run = deploymentRuns().find((r) => r.key === examples[0].key);
    expect(run?.code).toBe(0);
    for (const d of examples) expect(run?.stdout).toMatch(new RegExp(`^\\S+ +${d.args[1].replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} +(aws|azure|gcp) +4 +\\d+ +0 failed, \\d+ suppressed +\\d+\\.\\d\\d s +ok: `, "m"));
    expect(run?.stdout).toMatch(new RegExp(`^${examples.length} deployment\\(s\\) in [\\d.]+ s, peak memory \\d+ MB: ${examples.length} synthesized, 0 failed$`, "m"));
  });

  test.concurrent.each(examples.map((d) => [d.key, d]))(
    "%s: synthesized on its own from the sources (tsx, --config) it is byte-identical to the prebuilt one-process synth of every example",
    async (_, d) => {
      const cwd = mkdtempSync(path.join(work, `${d.stem}-`));
      const run = await runMain(d.args, cwd);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const alone = readTree(path.join(cwd, "cdktf.out"));
      expect([...alone.keys()]).toContain("policy-report.json");
      expect(alone).toEqual(readTree(outputDir(d.key)));
    },
    120_000,
  );
});
