import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { readConfigFile } from "../../config/load";
import { ROOT, runMain, type MainRun } from "../support/helpers";

// The synth entry point as a user runs it (`node --import tsx main.ts ...` in a directory of its own):
// argument handling, the teardown setting through the policy, and the output directory's guarantees.

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "synth-entry-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SPAWN_MS = 120_000;
const noStackTrace = (r: MainRun) => expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
const stacksIn = (dir: string) => (existsSync(path.join(dir, "cdktf.out", "stacks")) ? readdirSync(path.join(dir, "cdktf.out", "stacks")).sort() : []);

/** An example with `dataProtection.allowDestroy: true`: a throwaway test deployment (guide §7). */
function teardownConfig(cloud: "aws" | "azure" | "gcp"): string {
  const raw = readConfigFile(path.join(ROOT, "examples", `${cloud}.yaml`)) as Record<string, unknown>;
  const file = path.join(work, `${cloud}-teardown.yaml`);
  writeFileSync(file, stringify({ ...raw, dataProtection: { allowDestroy: true } }));
  return file;
}

/** A pid that is certainly not running (a process that has exited). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("arguments", () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ["a misspelled flag", ["--conifg", "examples/aws.yaml"], {}, /unknown argument '--conifg'; did you mean --config\?/],
    ["a short flag", ["-c", "examples/aws.yaml"], {}, /unknown argument '-c'; did you mean --config <file>\?/],
    ["a bare path", ["examples/aws.yaml"], {}, /unknown argument 'examples\/aws\.yaml'; did you mean --config examples\/aws\.yaml\?/],
    // `npm run synth --config examples/aws.yaml` (no `--`): npm keeps --config (npm_config_config=true) and passes the path.
    ["a forgotten -- (npm kept --config)", ["examples/aws.yaml"], { npm_lifecycle_event: "synth", npm_config_config: "true" }, /npm took '--config' for itself: put `--` before the script's arguments, e\.g\. npm run synth -- --config examples\/aws\.yaml/],
    // `npm run synth -c examples/aws.yaml`: npm reads -c as its own --call.
    ["a forgotten -- (npm kept -c)", [], { npm_lifecycle_event: "synth", npm_config_call: "examples/aws.yaml" }, /npm took '-c' for itself/],
  ];
  test.concurrent.each(cases)("%s is an error with the usage; nothing is synthesized", async (_, args, env, message) => {
    const cwd = mkdtempSync(path.join(work, "args-"));
    const r = await runMain(args, cwd, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain("usage: npm run synth -- [--config <deployment.yaml>]");
    expect(r.stdout).toBe("");
    noStackTrace(r);
    expect(existsSync(path.join(cwd, "cdktf.out"))).toBe(false);
  }, SPAWN_MS);

  test("--help prints the usage and exits 0 without synthesizing", async () => {
    const cwd = mkdtempSync(path.join(work, "help-"));
    const r = await runMain(["--help"], cwd);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run synth -- \[--config <deployment.yaml>\]/);
    expect(existsSync(path.join(cwd, "cdktf.out"))).toBe(false);
  }, SPAWN_MS);
});

describe("teardown: dataProtection.allowDestroy synthesizes clean under the policy on every cloud, and the output holds exactly the last synth", () => {
  const dir = () => path.join(work, "teardown");
  const report = () => JSON.parse(readFileSync(path.join(dir(), "cdktf.out", "policy-report.json"), "utf8")) as { findings: { ruleId: string; status: string; reason?: string }[] };

  test("aws (a stale lock of a dead synth is taken over)", async () => {
    mkdirSync(dir());
    writeFileSync(path.join(dir(), "cdktf.out.lock"), `${deadPid()}\n`);
    const r = await runMain(["--config", teardownConfig("aws")], dir());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^policy ok: .* suppressed/m);
    // The output names the deployment and the stacks, in deployment order.
    expect(r.stdout).toContain("synthesized deployment 'acme-prod' (aws, eu-west-1) into cdktf.out/, in deployment order:");
    expect(r.stdout).toMatch(/acme-prod-aws: .*\n.*acme-prod-vault: .*\n.*acme-prod-vault-config: .*\n.*acme-prod-platform: /);
    // The destroy-guarding rules are suppressed with the documented reason; nothing else is.
    const suppressedIds = new Set(report().findings.filter((f) => f.status === "suppressed" && f.reason === "dataProtection.allowDestroy is true in the deployment config").map((f) => f.ruleId));
    expect([...suppressedIds].sort()).toEqual(expect.arrayContaining(["AWS-7", "K8S-15"]));
    // ... because protection is really lifted: the data bucket may be destroyed.
    const cloud = JSON.parse(readFileSync(path.join(dir(), "cdktf.out", "stacks", "acme-prod-aws", "cdk.tf.json"), "utf8")) as { resource: { aws_s3_bucket: Record<string, { lifecycle?: { prevent_destroy?: boolean } }> } };
    expect(Object.values(cloud.resource.aws_s3_bucket).every((b) => b.lifecycle?.prevent_destroy === false)).toBe(true);
    expect(existsSync(path.join(dir(), "cdktf.out.lock"))).toBe(false);
  }, SPAWN_MS);

  test("azure, into the same directory: the aws stacks are gone", async () => {
    const r = await runMain(["--config", teardownConfig("azure")], dir());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^policy ok: /m);
    expect(report().findings.some((f) => f.ruleId === "AZ-25" && f.status === "suppressed")).toBe(true);
    expect(stacksIn(dir())).toEqual(["contoso-prod-azure", "contoso-prod-platform", "contoso-prod-vault", "contoso-prod-vault-config"]);
  }, SPAWN_MS);

  test("gcp as HCL (cdktf synth --hcl), then as JSON: no stale cdk.tf next to cdk.tf.json", async () => {
    const hcl = await runMain(["--config", teardownConfig("gcp")], dir(), { SYNTH_HCL_OUTPUT: "true" });
    expect(hcl.code).toBe(0);
    expect(report().findings.some((f) => f.ruleId === "GCP-6" && f.status === "suppressed")).toBe(true);
    expect(readdirSync(path.join(dir(), "cdktf.out", "stacks", "globex-prod-gcp"))).toContain("cdk.tf");
    const json = await runMain(["--config", teardownConfig("gcp")], dir());
    expect(json.code).toBe(0);
    for (const id of stacksIn(dir())) expect(readdirSync(path.join(dir(), "cdktf.out", "stacks", id))).toEqual(["cdk.tf.json"]);
  }, SPAWN_MS);

  test("terraform's working files (.terraform, the lock file) of a stack that stays carry over", async () => {
    const stack = path.join(dir(), "cdktf.out", "stacks", "globex-prod-gcp");
    mkdirSync(path.join(stack, ".terraform", "providers"), { recursive: true });
    writeFileSync(path.join(stack, ".terraform.lock.hcl"), "# lock\n");
    const r = await runMain(["--config", teardownConfig("gcp")], dir());
    expect(r.code).toBe(0);
    expect(readdirSync(stack).sort()).toEqual([".terraform", ".terraform.lock.hcl", "cdk.tf.json"]);
  }, SPAWN_MS);

  test("an invalid config afterwards leaves no stale output behind", async () => {
    const bad = path.join(work, "bad.yaml");
    writeFileSync(bad, "name: Bad_Name\n");
    const r = await runMain(["--config", bad], dir());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("invalid deployment config");
    expect(existsSync(path.join(dir(), "cdktf.out"))).toBe(false);
  }, SPAWN_MS);
});

describe("the output directory under contention and failure", () => {
  test("a synth holding the lock makes a second one fail with a message, touching nothing", async () => {
    const cwd = mkdtempSync(path.join(work, "locked-"));
    mkdirSync(path.join(cwd, "cdktf.out"));
    writeFileSync(path.join(cwd, "cdktf.out", "marker"), "previous\n");
    writeFileSync(path.join(cwd, "cdktf.out.lock"), `${process.pid}\n`); // this test process: alive
    const r = await runMain([], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`another synth (pid ${process.pid}) is writing ${path.join(cwd, "cdktf.out")}; wait for it to finish and run again`);
    noStackTrace(r);
    expect(readFileSync(path.join(cwd, "cdktf.out", "marker"), "utf8")).toBe("previous\n");
  }, SPAWN_MS);

  test("two synths of different deployments into one directory at once never mix their stacks", async () => {
    const cwd = mkdtempSync(path.join(work, "race-"));
    const [a, b] = await Promise.all([runMain([], cwd), runMain(["--config", path.join(ROOT, "examples", "gcp.yaml")], cwd)]);
    const ok = [a, b].filter((r) => r.code === 0);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of [a, b].filter((x) => x.code !== 0)) {
      expect(r.stderr).toMatch(/another synth \(pid \d+\) is writing/);
      noStackTrace(r);
    }
    const stacks = stacksIn(cwd);
    expect([["demo-aws", "demo-platform", "demo-vault", "demo-vault-config"], ["globex-prod-gcp", "globex-prod-platform", "globex-prod-vault", "globex-prod-vault-config"]]).toContainEqual(stacks);
    const manifest = JSON.parse(readFileSync(path.join(cwd, "cdktf.out", "manifest.json"), "utf8")) as { stacks: Record<string, unknown> };
    expect(Object.keys(manifest.stacks).sort()).toEqual(stacks);
    expect(readdirSync(cwd).filter((f) => f.startsWith(".cdktf.out."))).toEqual([]);
  }, SPAWN_MS);

  test("a read-only directory fails with the cause and the fix, no stack trace", async () => {
    const cwd = mkdtempSync(path.join(work, "readonly-"));
    const root = process.getuid?.() === 0;
    // Root ignores permission bits: a read-only mount stands for the read-only checkout there.
    if (root) spawnSync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", cwd]);
    else spawnSync("chmod", ["0555", cwd]);
    try {
      const r = await runMain([], cwd);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(root ? /read-only \(EROFS\)/ : /permission denied \(EACCES\)/);
      expect(r.stderr).toContain("CDKTF_OUTDIR=<dir>");
      noStackTrace(r);
    } finally {
      if (root) spawnSync("umount", [cwd]);
      else spawnSync("chmod", ["0755", cwd]);
    }
  }, SPAWN_MS);

  test("a write that fails half-way (file-size limit, as a full disk) leaves no truncated output", async () => {
    const cwd = mkdtempSync(path.join(work, "full-"));
    // First a good synth, then one whose writes stop at 64 KiB (ulimit -f counts 1 KiB blocks; the stacks are larger).
    expect((await runMain([], cwd)).code).toBe(0);
    const loader = path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs");
    const r = await new Promise<MainRun>((resolve) => {
      const child = spawn("bash", ["-c", `ulimit -f 64; exec "${process.execPath}" --import "${loader}" "${path.join(ROOT, "main.ts")}"`], {
        cwd,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a file exceeds the size this process may write \(EFBIG\)/);
    noStackTrace(r);
    // Nothing half-written remains: no output at all rather than a truncated one.
    expect(existsSync(path.join(cwd, "cdktf.out"))).toBe(false);
    expect(readdirSync(cwd).filter((f) => f.startsWith(".cdktf.out."))).toEqual([]);
  }, SPAWN_MS);
});
