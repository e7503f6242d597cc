// `npm run synth`: runs main.ts prebuilt. The TypeScript program and the libraries it loads are bundled by
// esbuild into one CommonJS file, rebuilt only when one of its inputs changed, and compiled by V8 from a
// code cache. Measured on the default deployment (README, "Performance"), this takes the synth from
// ~1.9 s / 284 MB through tsx's loader to under a second: tsx transforms every .ts file on every run and
// Node resolves and compiles ~1,500 library files one by one.
//
// Freshness: the build records each input (main.ts and every project file it imports, by content hash)
// and the lockfiles (a dependency change); any difference rebuilds. The bundle is written to a temporary
// file and renamed, so two synths starting at once never read a half-written one.
// Correctness: __tests__/synth.test.ts synthesizes every shipped deployment through this file and through
// tsx (the sources) and compares the output byte for byte.
"use strict";
const { createHash } = require("node:crypto");
const { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const vm = require("node:vm");

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "metadata-platform-synth");
const BUNDLE = path.join(CACHE, "main.js");
const INPUTS = path.join(CACHE, "inputs.json");
const CODE_CACHE = path.join(CACHE, "main.js.v8-cache");
/** Dependency changes: the lockfile and npm's record of what node_modules holds. */
const LOCKFILES = ["package-lock.json", path.join("node_modules", ".package-lock.json")];

function digest(file) {
  try {
    return createHash("sha256").update(readFileSync(path.join(ROOT, file))).digest("hex");
  } catch {
    return "missing";
  }
}

/** True when the bundle exists and every input it was built from is unchanged. */
function fresh() {
  if (!existsSync(BUNDLE)) return false;
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(INPUTS, "utf8"));
  } catch {
    return false;
  }
  if (recorded.node !== process.version) return false;
  return Object.entries(recorded.files).every(([file, hash]) => digest(file) === hash);
}

function build() {
  const { buildSync } = require("esbuild");
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  const result = buildSync({
    absWorkingDir: ROOT,
    entryPoints: ["main.ts"],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    outfile: tmp,
    metafile: true,
    logLevel: "error",
  });
  const files = {};
  for (const input of [...Object.keys(result.metafile.inputs).filter((f) => !f.startsWith("node_modules/")), ...LOCKFILES]) files[input] = digest(input);
  renameSync(tmp, BUNDLE);
  rmSync(CODE_CACHE, { force: true });
  writeFileSync(INPUTS, `${JSON.stringify({ node: process.version, files }, null, 1)}\n`);
}

/** Runs the bundle as a CommonJS module, compiled from V8's code cache when it has one. */
function run() {
  const source = readFileSync(BUNDLE, "utf8");
  let cachedData;
  try {
    cachedData = readFileSync(CODE_CACHE);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: BUNDLE, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // After the run, when the functions the synth used are compiled too.
    process.once("exit", () => {
      try {
        writeFileSync(`${CODE_CACHE}.${process.pid}.tmp`, script.createCachedData());
        renameSync(`${CODE_CACHE}.${process.pid}.tmp`, CODE_CACHE);
      } catch {
        // A cache is an optimisation: a read-only node_modules only costs time.
      }
    });
  }
  const mod = new Module(BUNDLE, module);
  mod.filename = BUNDLE;
  mod.paths = Module._nodeModulePaths(path.dirname(BUNDLE));
  script.runInThisContext()(mod.exports, Module.createRequire(BUNDLE), mod, BUNDLE, path.dirname(BUNDLE));
}

if (!fresh()) build();
run();
