import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { one, resources, strings } from "../support/synthesized";
import { removeDir, run, startServer, tempDir, type RunningServer, waitFor } from "../platform/support/servers";

// The Vault container's SYNTHESIZED script (default deployment, vault stack), run by /bin/sh around a
// stand-in for `vault server` that behaves as Vault's file audit device does: it appends to
// /vault/audit/audit.log through an open descriptor and reopens the file on SIGHUP (Vault's docs,
// audit/file "Log file rotation": "Vault will reopen the file on SIGHUP"). Shows that the audit volume
// cannot fill (rotation, compression, bounded retention) and that a renewed listener certificate in the
// Secret volume is handed to Vault by SIGHUP. The test's changes: paths, the rotation size, the number
// of rotated files kept, and the intervals.
jest.setTimeout(60_000);

let dir: string;
let server: RunningServer | undefined;

beforeAll(() => {
  dir = tempDir("vault-serve-");
  for (const d of ["audit", "tls", "config", "tmp"]) mkdirSync(join(dir, d));
  writeFileSync(join(dir, "tls", "tls.crt"), "certificate A\n");
  writeFileSync(join(dir, "tls", "tls.key"), "key A\n");
  const standIn = join(dir, "vault");
  writeFileSync(
    standIn,
    [
      "#!/bin/sh",
      `log=${join(dir, "audit", "audit.log")}`,
      'exec 3>>"$log"',
      `trap 'exec 3>>"$log"; echo "stand-in: SIGHUP, audit file reopened" >&2' HUP`,
      "trap 'exit 0' TERM",
      "i=0",
      'while :; do i=$((i+1)); echo "{\\"type\\":\\"request\\",\\"n\\":$i,\\"pad\\":\\"0123456789012345678901234567890123456789\\"}" >&3; sleep 0.02; done',
      "",
    ].join("\n"),
  );
  chmodSync(standIn, 0o755);
  const set = resources("default", "vault", "kubernetes_stateful_set_v1").find((r) => one(r.body.metadata).name === "vault")!;
  const container = one(one(one(one(set.body.spec).template).spec).container);
  const [shell, flag, script] = strings(container.command);
  const local = script
    .replaceAll("/vault/audit", join(dir, "audit"))
    .replaceAll("/vault/tls", join(dir, "tls"))
    .replaceAll("/vault/config", join(dir, "config"))
    .replaceAll("/tmp/vault.pid", join(dir, "tmp", "vault.pid"))
    .replace("exec vault server", `exec ${standIn} server`)
    .replace(`-ge ${100 * 1024 * 1024} ]`, "-ge 4096 ]")
    .replace(/tail -n \+\d+/, "tail -n +3")
    .replaceAll("sleep 60", "sleep 1")
    .replace("sleep 5", "sleep 1");
  server = startServer(shell, [flag, local], { logFile: join(dir, "serve.log") });
});

afterAll(async () => {
  await server?.stop("SIGTERM", 10_000);
  if (dir) removeDir(dir);
});

test("the audit log is rotated on size: compressed, only the newest kept, Vault reopens a fresh file; the volume cannot fill", async () => {
  const rotated = () => readdirSync(join(dir, "audit")).filter((f) => f.endsWith(".log.gz"));
  await waitFor("three rotations", () => (server?.output().match(/audit: rotated/g) ?? []).length >= 3, 40_000).catch((e) => {
    throw new Error(`${e.message}\n${server?.output()}`);
  });
  expect(rotated().length).toBeLessThanOrEqual(2);
  for (const f of rotated()) expect(run("gzip", ["-t", join(dir, "audit", f)]).status).toBe(0);
  expect(server?.output()).toMatch(/stand-in: SIGHUP, audit file reopened/);
  // The live file is fresh (written after the last reopen) and the directory stays small.
  const size = statSync(join(dir, "audit", "audit.log")).size;
  await new Promise((r) => setTimeout(r, 500));
  expect(statSync(join(dir, "audit", "audit.log")).size).toBeGreaterThan(size);
  const total = readdirSync(join(dir, "audit")).reduce((n, f) => n + statSync(join(dir, "audit", f)).size, 0);
  expect(total).toBeLessThan(64 * 1024);
});

test("a renewed listener certificate in the Secret volume is handed to Vault by SIGHUP", async () => {
  writeFileSync(join(dir, "tls", "tls.key"), "key B\n");
  writeFileSync(join(dir, "tls", "tls.crt"), "certificate B\n");
  await waitFor("the watcher's reload", () => /tls-reload: certificate files changed; server reloaded them/.test(server?.output() ?? ""), 20_000);
});

test("SIGTERM is forwarded and the script exits with Vault's status", async () => {
  const proc = server!.process;
  const pid = Number(readFileSync(join(dir, "tmp", "vault.pid"), "utf8"));
  expect(existsSync(`/proc/${pid}`)).toBe(true);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  await server!.stop("SIGTERM", 10_000);
  expect(await Promise.race([exited, Promise.resolve(proc.exitCode)])).toBe(0);
  expect(() => process.kill(pid, 0)).toThrow();
});
