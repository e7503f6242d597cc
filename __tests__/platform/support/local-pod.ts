import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodedStack } from "../../support/deployments";
import { chownTree, run, type RunningServer } from "./servers";

/**
 * A platform pod run on this machine from what Terraform would send to the cluster: the ConfigMap files
 * and the container commands, environment and probes of the synthesized stack as the real terraform
 * decodes it (`__tests__/support/deployments.ts`). Only what the machine must differ in is the test's:
 * the absolute paths (volumes become directories), the loopback ports and addresses, the loop interval,
 * and the bucket (rclone's `local` backend stands in for S3/GCS/Azure Blob).
 */

/** A container as decoded from the synthesized StatefulSet. */
export interface DecodedContainer {
  readonly name: string;
  readonly command: readonly string[];
  readonly env: readonly { readonly name: string; readonly value?: string }[];
  readonly livenessCommand?: readonly string[];
  readonly readinessCommand?: readonly string[];
  readonly startupCommand?: readonly string[];
  readonly volumeMounts: readonly { readonly name: string; readonly mount_path: string }[];
}

/** A workload's ConfigMap data and containers, decoded by terraform. */
export interface DecodedWorkload {
  readonly files: Readonly<Record<string, string>>;
  readonly containers: Readonly<Record<string, DecodedContainer>>;
  readonly initContainers: Readonly<Record<string, DecodedContainer>>;
  readonly volumes: readonly Record<string, unknown>[];
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function container(c: Json): DecodedContainer {
  const exec = (p: Json | undefined) => p?.exec?.command as string[] | undefined;
  return {
    name: c.name,
    command: c.command ?? [],
    env: c.env ?? [],
    livenessCommand: exec(c.liveness_probe),
    readinessCommand: exec(c.readiness_probe),
    startupCommand: exec(c.startup_probe),
    volumeMounts: c.volume_mount ?? [],
  };
}

/**
 * The decoded ConfigMap and StatefulSet of a platform construct (`Postgresql`, `Cassandra`,
 * `Elasticsearch`) in a shipped deployment's platform stack.
 */
export function decodedWorkload(deployment: string, construct: string): DecodedWorkload {
  const blocks = decodedStack(deployment, "platform").blocks;
  const find = (pattern: RegExp) => {
    const key = Object.keys(blocks).find((k) => pattern.test(k));
    if (!key) throw new Error(`no block matching ${pattern} in ${deployment}'s platform stack`);
    return blocks[key] as Json;
  };
  const config = find(new RegExp(`^resource\\.kubernetes_config_map_v1\\.${construct}_Config_[0-9A-F]{8}$`));
  const set = find(new RegExp(`^resource\\.kubernetes_stateful_set_v1\\.${construct}_[0-9A-F]{8}$`));
  const pod = set.spec.template.spec as Json;
  const byName = (list: Json[] | undefined) => Object.fromEntries((list ?? []).map((c) => [c.name, container(c)]));
  return { files: config.data, containers: byName(pod.container), initContainers: byName(pod.init_container), volumes: pod.volume ?? [] };
}

/**
 * Rewrites absolute paths (longest first) and other machine-specific literals of a decoded text. The
 * replacements are exact strings; a missing one fails loudly, so a renamed path cannot go unnoticed.
 */
export function localize(text: string, replacements: readonly (readonly [string, string])[], required: readonly string[] = []): string {
  for (const r of required) if (!text.includes(r)) throw new Error(`localize: expected ${JSON.stringify(r)} in the decoded text`);
  return [...replacements].sort((a, b) => b[0].length - a[0].length).reduce((t, [from, to]) => t.split(from).join(to), text);
}

/** The uid/gid the servers run as when the tests run as root (PostgreSQL refuses root). */
export function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) };
}

/** A command run as the server user (setpriv execs in place, so signals reach the program itself). */
export function asServerUser(command: string, args: readonly string[]): [string, string[]] {
  return serverUser() ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", command, ...args]] : [command, [...args]];
}

/** Gives a tree to the server user (no-op when the tests do not run as root). */
export function giveToServerUser(dir: string): void {
  const u = serverUser();
  if (u) chownTree(dir, u.uid, u.gid);
}

/** Every directory under `root` (relative paths), to compare a tree's directories before and after. */
export function directoriesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const f of readdirSync(join(root, rel))) {
      const p = join(rel, f);
      if (statSync(join(root, p)).isDirectory()) {
        out.push(p);
        walk(p);
      }
    }
  };
  walk("");
  return out.sort();
}

/** Every file under `root` (relative paths). */
export function filesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const f of readdirSync(join(root, rel))) {
      const p = join(rel, f);
      if (statSync(join(root, p)).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk("");
  return out.sort();
}

/** The environment rclone's `bucket:` remote gets in the tests: the local backend, rooted at `/`. */
export function localBucketEnv(bucketDir: string): Record<string, string> {
  return { RCLONE_CONFIG_BUCKET_TYPE: "local", PLATFORM_BUCKET: bucketDir };
}

/**
 * A decoded container's environment for this machine: literal values kept (paths localized), the
 * bucket's variables (cloud remote, bucket name: a reference to the cloud stack) replaced by the
 * local stand-in.
 */
export function containerEnv(c: DecodedContainer, paths: readonly (readonly [string, string])[], bucket: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env) {
    if (e.value === undefined || e.name.startsWith("RCLONE_CONFIG_BUCKET_") || e.name in bucket) continue;
    env[e.name] = localize(e.value, paths);
  }
  return { ...env, ...bucket };
}

/** Runs a shell snippet or script (decoded, localized) to completion as the server user. */
export function runShell(script: string, env: Record<string, string>, timeoutMs = 30_000): { status: number | null; out: string } {
  const [cmd, args] = asServerUser("sh", ["-c", script]);
  const r = spawnSync(cmd, args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, encoding: "utf8", timeout: timeoutMs });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/**
 * Starts a long-running decoded command (argv, already localized) as the server user, with exactly
 * `env` (plus a PATH): `env -i` and setpriv both exec, so signals reach the command itself. It leads
 * its own process group: `stop` signals the command, waits for it, then ends whatever it left behind
 * (a loop's `sleep`, an rclone), the way a container's end takes all its processes.
 */
export function startCommand(argv: readonly string[], env: Record<string, string>): RunningServer {
  const [cmd, args] = asServerUser(argv[0], argv.slice(1));
  const child = spawn("env", ["-i", ...Object.entries({ PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }).map(([k, v]) => `${k}=${v}`), cmd, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone
    }
  };
  return {
    process: child,
    output: () => out,
    async stop(signal = "SIGTERM", timeoutMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      killGroup("SIGKILL");
    },
  };
}

/** Writes a file and makes the directory for it. */
export function writeFile(path: string, text: string, mode?: number): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  if (mode !== undefined) chmodSync(path, mode);
}

/** The system rclone (Debian package), linked where a pod's init container would have copied the image's binary. */
export function linkRclone(dir: string): string {
  const rclone = run("sh", ["-c", "command -v rclone"]).out.trim();
  if (!rclone) throw new Error("rclone is missing: run `bash .ci/install-test-servers` (Debian package rclone)");
  mkdirSync(dir, { recursive: true });
  symlinkSync(rclone, join(dir, "rclone"));
  return rclone;
}

/** A small text file's content, or "" when it does not exist. */
export function readIfExists(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
