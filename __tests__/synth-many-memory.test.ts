import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { App } from "cdktf";
import { synthesizeMany } from "../app/synth-many";
import { writeFleet } from "../scripts/fleet-fixtures";

// Memory stays bounded as the count of deployments grows: once a deployment is written, nothing in the
// process holds its construct tree (no cache, no registry, not cdktf's process-wide token map), so the
// garbage collector takes it back. Checked with a FinalizationRegistry on every App the synth builds (a
// WeakRef would keep its target alive until the job that created it ends).

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const work = mkdtempSync(path.join(tmpdir(), "synth-many-memory-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("every deployment's tree is released once it is written", async () => {
  let built = 0;
  const collected = new Set<number>();
  const registry = new FinalizationRegistry<number>((i) => collected.add(i));
  const synth = App.prototype.synth;
  App.prototype.synth = function (this: App) {
    registry.register(this, built++);
    return synth.call(this);
  };
  try {
    const files = writeFleet(path.join(work, "deployments"), 4);
    const lines: string[] = [];
    const quiet = jest.spyOn(console, "log").mockImplementation(() => undefined);
    let code: number;
    try {
      code = await synthesizeMany({ configs: files, dirs: [], out: path.join(work, "out") }, (l) => lines.push(l), (l) => lines.push(l));
    } finally {
      quiet.mockRestore();
    }
    expect(lines.join("\n")).toMatch(/4 deployment\(s\) in .* 4 synthesized, 0 failed/);
    expect(code).toBe(0);
    expect(built).toBe(4);
  } finally {
    App.prototype.synth = synth;
  }
  gc();
  for (let i = 0; i < 50 && collected.size < built; i++) await new Promise((resolve) => setTimeout(resolve, 10)); // finalizers run later
  expect([...collected].sort()).toEqual([0, 1, 2, 3]);
}, 120_000);
