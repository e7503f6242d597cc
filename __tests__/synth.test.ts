import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ROOT, runMain } from "./config/helpers";

// End to end, as a user runs it: `tsx main.ts [--config file]` in a directory of its own.
// Each deployment synthesizes twice, in two different directories, to byte-identical output
// holding no path of this machine.

const DEPLOYMENTS: readonly [string, string[]][] = [
  ["embedded default", []],
  ...readdirSync(path.join(ROOT, "examples")).map((f) => [`examples/${f}`, ["--config", path.join(ROOT, "examples", f)]] as [string, string[]]),
];

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

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "synth-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

test.concurrent.each(DEPLOYMENTS)("%s synthesizes deterministically with no machine paths", async (_name, args) => {
  const a = mkdtempSync(path.join(work, "a-"));
  const b = mkdtempSync(path.join(work, "b-"));
  const [runA, runB] = await Promise.all([runMain(args, a), runMain(args, b)]);
  expect(runA.stderr).not.toMatch(/Error/);
  expect(runA.code).toBe(0);
  expect(runB.code).toBe(0);
  const treeA = readTree(path.join(a, "cdktf.out"));
  const treeB = readTree(path.join(b, "cdktf.out"));
  expect([...treeA.keys()].filter((f) => f.endsWith("cdk.tf.json")).length).toBeGreaterThan(0);
  expect(treeB).toEqual(treeA);
  for (const [file, text] of treeA) {
    // This run's own directories, the checkout and $HOME ("/tmp" alone is a legitimate in-container path).
    for (const p of [a, b, work, ROOT, process.env.HOME ?? "/root"]) {
      if (text.includes(p)) throw new Error(`${file} contains the machine path ${p}`);
    }
  }
}, 120_000);
