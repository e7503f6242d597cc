import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import * as path from "node:path";

/**
 * The synth output directory (cdktf.out), written as one unit:
 *
 * - a lock (`<dir>.lock`, created exclusively, holding the writer's pid) keeps two synths from writing
 *   one directory at once; a lock whose process is gone is taken over;
 * - the app synthesizes into a staging directory next to it (same file system), and only a synth that
 *   succeeded replaces the directory, by rename: a reader sees the old output or the new, never a mix,
 *   never a truncated file (a full disk fails the staging write, not the output);
 * - a failed synth (invalid config, policy findings, a write error) removes the previous output, so
 *   nothing stale can be validated or deployed by mistake; a policy failure leaves its report alone;
 * - Terraform's per-stack working files (`.terraform/` with the providers and backend settings, and
 *   `.terraform.lock.hcl`) move over to the new output for the stacks that are still there, so a new
 *   synth does not make terraform download every provider again.
 *
 * File-system errors become `OutputError`s with a message naming the directory, the cause and the fix.
 */
export class SynthOutput {
  /**
   * Takes the lock on `dir` and prepares an empty staging directory.
   * @throws OutputError when another synth holds the lock, or the directory cannot be written.
   */
  static open(dir: string): SynthOutput {
    const target = path.resolve(dir);
    const parent = path.dirname(target);
    const base = path.basename(target);
    try {
      mkdirSync(parent, { recursive: true });
    } catch (e) {
      throw OutputError.from(e, `create ${parent}`, target);
    }
    const lock = `${target}.lock`;
    takeLock(lock, target);
    try {
      removeStaleStaging(parent, base);
      const staging = path.join(parent, `.${base}.synth-${process.pid}`);
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging);
      return new SynthOutput(target, staging, lock);
    } catch (e) {
      rmSync(lock, { force: true });
      throw OutputError.from(e, `prepare a staging directory next to ${target}`, target);
    }
  }

  private released = false;

  private constructor(
    /** The output directory the user reads (cdktf.out). */
    readonly dir: string,
    /** Where the app synthesizes; becomes `dir` on commit. */
    readonly staging: string,
    private readonly lock: string,
  ) {}

  /**
   * The synth succeeded: the staging directory becomes the output, with the previous output's
   * Terraform working files carried over. Returns the stack ids of the new output (from its manifest).
   */
  commit(): string[] {
    const stacks = manifestStacks(this.staging);
    try {
      for (const id of stacks) {
        for (const f of [".terraform", ".terraform.lock.hcl"]) {
          const from = path.join(this.dir, "stacks", id, f);
          const to = path.join(this.staging, "stacks", id, f);
          if (existsSync(from) && existsSync(path.dirname(to)) && !existsSync(to)) renameSync(from, to);
        }
      }
      this.replaceWithStaging();
    } catch (e) {
      throw OutputError.from(e, `replace ${this.dir} with the new output`, this.dir);
    } finally {
      this.release();
    }
    return stacks;
  }

  /**
   * The synth failed: the previous output is removed, and the staging directory becomes the output only
   * if it holds the policy report (a policy failure), without any stack.
   */
  fail(): void {
    try {
      rmSync(path.join(this.staging, "stacks"), { recursive: true, force: true });
      rmSync(path.join(this.staging, "manifest.json"), { force: true });
      if (readdirSync(this.staging).length > 0) this.replaceWithStaging();
      else {
        rmSync(this.staging, { recursive: true, force: true });
        rmSync(this.dir, { recursive: true, force: true });
      }
    } catch {
      // Best effort: the failure being reported matters more than the clean-up (e.g. a read-only directory).
      rmSync(this.staging, { recursive: true, force: true });
    } finally {
      this.release();
    }
  }

  /** Drops the lock and the staging directory (idempotent); the output is left as it is. */
  release(): void {
    if (this.released) return;
    this.released = true;
    rmSync(this.staging, { recursive: true, force: true });
    rmSync(this.lock, { force: true });
  }

  private replaceWithStaging(): void {
    const old = path.join(path.dirname(this.dir), `.${path.basename(this.dir)}.old-${process.pid}`);
    rmSync(old, { recursive: true, force: true });
    if (existsSync(this.dir)) renameSync(this.dir, old);
    renameSync(this.staging, this.dir);
    rmSync(old, { recursive: true, force: true });
  }
}

/** A problem writing the output directory; its message names the directory, the cause and the fix. */
export class OutputError extends Error {
  static from(e: unknown, doing: string, dir: string): OutputError {
    const code = (e as NodeJS.ErrnoException)?.code;
    const file = (e as NodeJS.ErrnoException)?.path;
    const cause = code ? (CAUSES[code] ?? code) : String(e);
    const fix = code ? FIXES[code] : undefined;
    return new OutputError(
      `cannot ${doing}${file && !doing.includes(file) ? ` (${file})` : ""}: ${cause}${code ? ` (${code})` : ""}. ` +
        `${fix ?? "Check the directory and run again."} Nothing was written to ${dir}.`,
    );
  }
  constructor(message: string) {
    super(message);
    this.name = "OutputError";
  }
}

const CAUSES: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is used up",
  EFBIG: "a file exceeds the size this process may write",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
};
const FIXES: Record<string, string> = {
  ENOSPC: "Free some space (or synthesize elsewhere: CDKTF_OUTDIR=<dir>) and run again.",
  EDQUOT: "Free some space (or synthesize elsewhere: CDKTF_OUTDIR=<dir>) and run again.",
  EFBIG: "Raise the file-size limit (ulimit -f) and run again.",
  EROFS: "Run from a writable checkout, or synthesize into a writable directory: CDKTF_OUTDIR=<dir>.",
  EACCES: "Make the directory writable for this user, or synthesize elsewhere: CDKTF_OUTDIR=<dir>.",
  EPERM: "Make the directory writable for this user, or synthesize elsewhere: CDKTF_OUTDIR=<dir>.",
};

function takeLock(lock: string, target: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(lock, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw OutputError.from(e, `create the lock ${lock}`, target);
      const holder = lockHolder(lock);
      if (holder !== undefined && isAlive(holder)) {
        throw new OutputError(
          `another synth (pid ${holder}) is writing ${target}; wait for it to finish and run again. ` +
            `If no synth is running, delete ${lock}. Nothing was written.`,
        );
      }
      rmSync(lock, { force: true }); // its process is gone: a stale lock
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return;
  }
  throw new OutputError(`cannot take the lock ${lock}: another synth keeps taking it; run again. Nothing was written.`);
}

function lockHolder(lock: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lock, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Staging and old directories left by synths that were killed (their pid is gone). */
function removeStaleStaging(parent: string, base: string): void {
  const mine = new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(synth|old)-(\\d+)$`);
  for (const entry of readdirSync(parent)) {
    const m = mine.exec(entry);
    if (m && !isAlive(Number(m[2])) && statSync(path.join(parent, entry)).isDirectory()) {
      rmSync(path.join(parent, entry), { recursive: true, force: true });
    }
  }
}

function manifestStacks(dir: string): string[] {
  const file = path.join(dir, "manifest.json");
  if (!existsSync(file)) return [];
  const manifest = JSON.parse(readFileSync(file, "utf8")) as { stacks?: Record<string, unknown> };
  return Object.keys(manifest.stacks ?? {});
}
