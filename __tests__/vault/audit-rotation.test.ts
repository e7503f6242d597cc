import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { AUDIT_ROTATION_DEFAULTS } from "../../constructs/vault/audit-rotation";
import { decodedStack } from "../support/deployments";
import { removeDir, requireBinaries, run, tempDir, waitFor } from "../platform/support/servers";

/**
 * Vault's audit file rotation as the pod runs it: the audit-rotate container's script, taken from the
 * synthesized Vault StatefulSet, run by BusyBox (the shell and tools of the Vault image's Alpine base) against
 * a file that a writer keeps open with O_APPEND, as Vault's file audit device does (sink_file.go: O_APPEND|
 * O_WRONLY|O_CREATE; Node's "a" flag opens with the same flags). Only the paths and the size threshold are
 * the test's. `.ci/install-test-servers` installs busybox.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
jest.setTimeout(60_000);

const blocks = decodedStack("default", "vault").blocks as Record<string, Json>;
const vault = Object.values(blocks).find((b) => b.spec?.template?.spec?.container?.some?.((c: Json) => c.name === "audit-rotate")) as Json;
const container = vault.spec.template.spec.container.find((c: Json) => c.name === "audit-rotate") as Json;
const script: string = container.command[2];

let dir: string;
beforeAll(() => {
  requireBinaries(["busybox"]);
  dir = tempDir("audit-rotate-");
});
afterAll(() => dir && removeDir(dir));

/** One round of the synthesized loop (its `round` function), on the test's directory, with a small threshold. */
function oneRound(into: string, maxBytes: number): { status: number | null; out: string } {
  const body = script.slice(0, script.indexOf("while true; do"));
  const local = body
    .split("/vault/audit/").join(`${into}/`)
    .split("/run/heartbeat").join(`${into}/heartbeat`)
    .replace(` -ge ${AUDIT_ROTATION_DEFAULTS.maxBytes} `, ` -ge ${maxBytes} `);
  expect(local).not.toBe(body);
  return run("busybox", ["sh", "-c", `${local}\nround`]);
}

test("the sidecar mounts the audit volume writable and rotates the file the audit device writes", () => {
  expect(container.volume_mount).toContainEqual(expect.objectContaining({ name: "audit", mount_path: "/vault/audit", read_only: false }));
  expect(script).toContain("gzip -c /vault/audit/audit.log > /vault/audit/audit.log.1.gz.tmp");
});

test("past the threshold, the file is compressed aside and truncated in place, and the open O_APPEND writer goes on at its new end", async () => {
  const into = join(dir, "live");
  mkdirSync(into);
  const file = join(into, "audit.log");
  // A writer that holds the file open for appending, writing a line every 20 ms, like Vault's file device.
  const writer = spawn(process.execPath, ["-e", `const fs=require("fs");const fd=fs.openSync(process.argv[1],"a");let i=0;setInterval(()=>fs.writeSync(fd,JSON.stringify({n:i++})+"\\n"),20);`, file]);
  try {
    await waitFor("the writer to pass 500 bytes", () => existsSync(file) && statSync(file).size > 500, 20_000);
    const before = statSync(file).size;
    expect(oneRound(into, 500)).toEqual({ status: 0, out: "" });
    const rotated = gunzipSync(readFileSync(`${file}.1.gz`)).toString().trim().split("\n");
    expect(rotated[0]).toBe('{"n":0}');
    const rotatedSize = statSync(file).size;
    expect(rotatedSize).toBeLessThan(before);
    await waitFor("the writer to append after the truncation", () => statSync(file).size > rotatedSize && readFileSync(file).toString().includes("\n"), 20_000);
    // Truncated, then appended to from offset 0: no hole of NUL bytes where the old content was.
    const after = readFileSync(file);
    expect(after.includes(0)).toBe(false);
    const first = JSON.parse(after.toString().split("\n")[0]) as { n: number };
    expect(first.n).toBeGreaterThan(JSON.parse(rotated[rotated.length - 1]).n);
  } finally {
    writer.kill();
  }
});

test("below the threshold nothing moves; generations shift and the oldest beyond `keep` is dropped", () => {
  const into = join(dir, "generations");
  mkdirSync(into);
  const file = join(into, "audit.log");
  writeFileSync(file, "x");
  expect(oneRound(into, 10)).toEqual({ status: 0, out: "" });
  expect(existsSync(`${file}.1.gz`)).toBe(false);
  for (let i = 1; i <= AUDIT_ROTATION_DEFAULTS.keep + 2; i++) {
    writeFileSync(file, `generation ${i} ${"y".repeat(20)}\n`);
    expect(oneRound(into, 10)).toEqual({ status: 0, out: "" });
    expect(statSync(file).size).toBe(0);
  }
  const kept = Array.from({ length: AUDIT_ROTATION_DEFAULTS.keep + 2 }, (_, i) => existsSync(`${file}.${i + 1}.gz`));
  expect(kept).toEqual([...Array(AUDIT_ROTATION_DEFAULTS.keep).fill(true), false, false]);
  expect(gunzipSync(readFileSync(`${file}.1.gz`)).toString()).toContain(`generation ${AUDIT_ROTATION_DEFAULTS.keep + 2}`);
  expect(gunzipSync(readFileSync(`${file}.${AUDIT_ROTATION_DEFAULTS.keep}.gz`)).toString()).toContain("generation 3");
});

test("two audit devices: the rotated file on the volume, and stdout, off the box; secrets HMAC'd in both", () => {
  const config = decodedStack("default", "vault-config").blocks as Record<string, Json>;
  const devices = Object.entries(config).filter(([k]) => k.startsWith("resource.vault_audit.")).map(([, b]) => b);
  expect(devices.map((d) => [d.path, d.type, d.options.file_path, d.options.log_raw]).sort()).toEqual([
    ["file", "file", "/vault/audit/audit.log", "false"],
    ["stdout", "file", "stdout", "false"],
  ]);
  // The file the rotation works on is the one the device writes.
  expect(script).toContain(`wc -c < ${devices.find((d) => d.path === "file")!.options.file_path})`);
});
