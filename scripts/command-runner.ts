import { spawnSync } from "node:child_process";

/** What one external command returned. `code` is 127 when the program is not on the PATH. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one external program with captured output. Injected everywhere a script shells out, so the
 * logic is tested hermetically with a fake (no terraform, no cloud CLI, no network in tests).
 */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options?: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string; /** Written to the program's stdin (e.g. a secret, never an argument). */ readonly input?: string },
) => CommandResult;

/** Exit code a shell uses for "command not found"; the runner reports a missing program with it. */
export const NOT_FOUND = 127;

/** The real runner: `spawnSync` without a shell (arguments are never re-parsed), output captured. */
export const captureCommand: CommandRunner = (command, args, options = {}) => {
  const r = spawnSync(command, [...args], { encoding: "utf8", env: options.env ?? process.env, cwd: options.cwd, timeout: 120_000, input: options.input });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") return { code: NOT_FOUND, stdout: "", stderr: `${command}: not found` };
  return { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? (r.error ? String(r.error) : "") };
};

/** Runs one program with the terminal attached (the operator sees terraform's own output and prompts). */
export const interactiveCommand: CommandRunner = (command, args, options = {}) => {
  const r = spawnSync(command, [...args], { stdio: "inherit", env: options.env ?? process.env, cwd: options.cwd });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") return { code: NOT_FOUND, stdout: "", stderr: `${command}: not found` };
  return { code: r.status ?? 1, stdout: "", stderr: "" };
};
