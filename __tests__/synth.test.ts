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

// Every deployment once, end to end; the default twice, in two directories, for byte-identical output
// (each stack's own tests also synthesize it twice in-process).
test.concurrent.each(DEPLOYMENTS)("%s synthesizes clean under the policy, with no machine paths", async (name, args) => {
  const a = mkdtempSync(path.join(work, "a-"));
  const b = mkdtempSync(path.join(work, "b-"));
  const twice = name === "embedded default";
  const [runA, runB] = await Promise.all([runMain(args, a), twice ? runMain(args, b) : Promise.resolve(undefined)]);
  expect(runA.stderr).not.toMatch(/Error/);
  expect(runA.code).toBe(0);
  expect(runA.stdout).toMatch(/^policy ok: /m);
  const treeA = readTree(path.join(a, "cdktf.out"));
  expect([...treeA.keys()].filter((f) => f.endsWith("cdk.tf.json")).length).toBe(4);
  if (runB) {
    expect(runB.code).toBe(0);
    expect(readTree(path.join(b, "cdktf.out"))).toEqual(treeA);
  }
  for (const [file, text] of treeA) {
    // This run's own directories, the checkout and $HOME ("/tmp" alone is a legitimate in-container path).
    for (const p of [a, b, work, ROOT, process.env.HOME ?? "/root"]) {
      if (text.includes(p)) throw new Error(`${file} contains the machine path ${p}`);
    }
  }
}, 120_000);
