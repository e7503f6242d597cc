import { spawn } from "node:child_process";
import * as path from "node:path";

/** Repository root (tests run main.ts from here). */
export const ROOT = path.resolve(__dirname, "..", "..");
// As `npm run synth` runs it: node with tsx's loader (one process; the tsx CLI would add a second).
const TSX_LOADER = path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs");

/** Result of running the real entry point as a user would. */
export interface MainRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the sources, `node --import tsx main.ts <args>`, in `cwd` (so cdktf.out lands there) with a clean environment. */
export function runMain(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<MainRun> {
  return run(["--import", TSX_LOADER, path.join(ROOT, "main.ts"), ...args], cwd, env);
}

/** Runs `npm run synth -- <args>` as package.json does (the prebuilt program, scripts/synth.js) in `cwd`. */
export function runSynth(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<MainRun> {
  return run([path.join(ROOT, "scripts", "synth.js"), ...args], cwd, env);
}

function run(nodeArgs: readonly string[], cwd: string, env: Record<string, string>): Promise<MainRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--max-semi-space-size=4", ...nodeArgs], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
