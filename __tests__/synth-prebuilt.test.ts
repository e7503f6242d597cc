import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ROOT } from "./support/helpers";

// scripts/synth.js (`npm run synth`) runs main.ts from a bundle it rebuilds when an input changed. Here it
// runs in a small project of its own (main.ts importing lib/x.ts), so editing a source is safe: an edit,
// a dependency change (the lockfile) rebuild; nothing else does. That the bundle of the real program
// synthesizes the same bytes as the sources is __tests__/synth.test.ts.

const project = mkdtempSync(path.join(tmpdir(), "prebuilt-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const bundle = () => path.join(project, "node_modules", ".cache", "metadata-platform-synth", "main.js");
const run = (...args: string[]) => spawnSync(process.execPath, [path.join(project, "scripts", "synth.js"), ...args], { cwd: project, encoding: "utf8" });
const source = (text: string) => writeFileSync(path.join(project, "lib", "x.ts"), `export const x: string = ${JSON.stringify(text)};\n`);

beforeAll(() => {
  mkdirSync(path.join(project, "scripts"));
  mkdirSync(path.join(project, "lib"));
  mkdirSync(path.join(project, "node_modules"));
  copyFileSync(path.join(ROOT, "scripts", "synth.js"), path.join(project, "scripts", "synth.js"));
  symlinkSync(path.join(ROOT, "node_modules", "esbuild"), path.join(project, "node_modules", "esbuild"));
  writeFileSync(path.join(project, "main.ts"), 'import { x } from "./lib/x";\nconsole.log(`${x} ${process.argv.slice(2).join(",")}`);\n');
  writeFileSync(path.join(project, "package-lock.json"), "{}\n");
  source("one");
});

test("the first run builds the bundle and runs it with the arguments", () => {
  const r = run("--config", "a.yaml");
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe("one --config,a.yaml\n");
  expect(statSync(bundle()).isFile()).toBe(true);
});

test("an unchanged project runs the same bundle (no rebuild), from V8's code cache", () => {
  const before = statSync(bundle()).mtimeMs;
  expect(run().stdout).toBe("one \n");
  expect(statSync(bundle()).mtimeMs).toBe(before);
  expect(statSync(`${bundle()}.v8-cache`).size).toBeGreaterThan(0);
});

test("an edited source is rebuilt before it runs", () => {
  source("two");
  expect(run().stdout).toBe("two \n");
});

test("a dependency change (the lockfile) rebuilds", () => {
  const before = statSync(bundle()).mtimeMs;
  writeFileSync(path.join(project, "package-lock.json"), '{"lockfileVersion": 3}\n');
  expect(run().stdout).toBe("two \n");
  expect(statSync(bundle()).mtimeMs).not.toBe(before);
});
