import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { ConfigError, readConfigFile, validateDeployment } from "../../config/load";
import { deploymentFiles, deploymentMatrix, main } from "../../scripts/ci";
import type { CommandResult } from "../../scripts/command-runner";
import { fakeRunner, type Call } from "./fake-runner";

// Staged rollout: rollout.wave orders the deployments (canary first, then the rest); applying goes wave
// by wave and stops at the first failure, starting nothing after it. Walked through scripts/ci.ts's
// real entry point with terraform replaced by the recording fake runner.

const example = readConfigFile("examples/aws.yaml") as Record<string, unknown>;
/** `terraform show -json` of a plan that creates one bucket (terraform's JSON plan format). */
const PLAN_JSON = JSON.stringify({ format_version: "1.2", resource_changes: [{ address: "aws_s3_bucket.Data", mode: "managed", type: "aws_s3_bucket", change: { actions: ["create"], before: null, after: {} } }] });

/** A deployments/ folder: c-canary (wave 0), a-first and b-second (no wave: the default, 1), z-late (wave 2). */
function fleet(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "waves-"));
  const write = (file: string, name: string, wave?: number) => writeFileSync(path.join(dir, file), stringify({ ...example, name, ...(wave === undefined ? {} : { rollout: { wave } }) }));
  write("a-first.yaml", "acme-a");
  write("b-second.yaml", "acme-b");
  write("c-canary.yaml", "acme-canary", 0);
  write("z-late.yaml", "acme-late", 2);
  return dir;
}

/** terraform that plans changes and applies them, failing `terraform apply` in the stack directories of `failIn`. */
function terraform(failIn: string[] = []) {
  const fake = fakeRunner({ "terraform init": {}, "terraform plan": { code: 2 }, "terraform show": { stdout: "Plan: 1 to add, 0 to change, 0 to destroy." }, "terraform show -json": { stdout: PLAN_JSON }, "terraform apply": {} });
  const cwds: string[] = [];
  const runner = ((command: string, args: readonly string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string }) => {
    cwds.push(options?.cwd ?? "");
    const r = fake(command, args, options);
    if (args[0] === "apply" && failIn.some((id) => options?.cwd?.endsWith(`/stacks/${id}`))) return { code: 1, stdout: "", stderr: "Error: creating EKS cluster" } satisfies CommandResult;
    const out = args.find((a) => a.startsWith("-out="));
    if (args[0] === "plan" && out) writeFileSync(out.slice("-out=".length), "binary plan");
    return r;
  }) as typeof fake & { cwds: string[] };
  runner.calls = fake.calls;
  runner.cwds = cwds;
  return runner;
}
/** The stacks terraform applied, in order (from the working directory of each `terraform apply`). */
const appliedStacks = (r: ReturnType<typeof terraform>) => r.calls.map((c: Call, i) => (c.args[0] === "apply" ? path.basename(r.cwds[i]) : undefined)).filter(Boolean);
const touched = (r: ReturnType<typeof terraform>, name: string) => r.cwds.some((cwd) => path.basename(cwd).startsWith(`${name}-`));

describe("rollout.wave in the config", () => {
  test("defaults to 1; 0 (a canary) to 9 are accepted", () => {
    expect(validateDeployment(example, "x.yaml").rollout).toEqual({ wave: 1 });
    expect(validateDeployment({ ...example, rollout: { wave: 0 } }, "x.yaml").rollout).toEqual({ wave: 0 });
    expect(validateDeployment({ ...example, rollout: { wave: 9 } }, "x.yaml").rollout).toEqual({ wave: 9 });
  });
  test.each([["canary"], [1.5], [-1], [10]])("wave %p is refused, naming the field and the rule", (wave) => {
    expect(() => validateDeployment({ ...example, rollout: { wave } }, "x.yaml")).toThrow(ConfigError);
    expect(() => validateDeployment({ ...example, rollout: { wave } }, "x.yaml")).toThrow(
      `rollout.wave: must be a whole number from 0 to 9; waves apply in ascending order (e.g. 0 for a canary, 1 for the rest) (got ${JSON.stringify(wave)})`,
    );
  });
  test("a misspelt field is named with the right one", () => {
    expect(() => validateDeployment({ ...example, rollout: { wav: 0 } }, "x.yaml")).toThrow("rollout.wav: unknown field (did you mean 'wave'?)");
  });
});

test("the matrix is in rollout order (wave, then file) and names each deployment's synthesized folder", () => {
  const m = deploymentMatrix(deploymentFiles(fleet()));
  expect(m.map((e) => [e.name, e.wave, path.basename(e.config)])).toEqual([
    ["acme-canary", 0, "c-canary.yaml"],
    ["acme-a", 1, "a-first.yaml"],
    ["acme-b", 1, "b-second.yaml"],
    ["acme-late", 2, "z-late.yaml"],
  ]);
  expect(m.map((e) => e.out)).toEqual(["cdktf.all/c-canary", "cdktf.all/a-first", "cdktf.all/b-second", "cdktf.all/z-late"]);
});

describe("ci.ts rollout", () => {
  const run = (failIn: string[] = []) => {
    const dir = fleet();
    const tf = terraform(failIn);
    const lines: string[] = [];
    const code = main(["rollout", "--dir", dir, "--synth", path.join(dir, "out"), "--plans", path.join(dir, "plans")], {}, { stream: tf, capture: tf }, (l) => lines.push(l));
    return { code, tf, lines };
  };
  const STACKS = (name: string) => [`${name}-aws`, `${name}-vault`, `${name}-vault-config`, `${name}-platform`];

  test("applies every deployment wave by wave, each one's stacks in dependency order", () => {
    const { code, tf, lines } = run();
    expect(code).toBe(0);
    expect(appliedStacks(tf)).toEqual([...STACKS("acme-canary"), ...STACKS("acme-a"), ...STACKS("acme-b"), ...STACKS("acme-late")]);
    expect(lines.filter((l) => l.startsWith("wave "))).toEqual(["wave 0: acme-canary", "wave 1: acme-a, acme-b", "wave 2: acme-late"]);
    expect(lines.at(-1)).toBe("rollout complete: 4 deployment(s) in 3 wave(s)");
  });

  test("a failing canary stops the rollout: no later wave is started (terraform never runs for them)", () => {
    const { code, tf, lines } = run(["acme-canary-vault"]);
    expect(code).toBe(1);
    expect(appliedStacks(tf)).toEqual(["acme-canary-aws", "acme-canary-vault"]);
    for (const name of ["acme-a", "acme-b", "acme-late"]) expect(touched(tf, name)).toBe(false);
    expect(lines.at(-1)).toBe("rollout stopped: acme-canary (wave 0) failed at acme-canary-vault; not started: acme-a, acme-b, acme-late (waves 1, 2 not started)");
  });

  test("a failure inside a wave stops it there: neither the rest of that wave nor a later wave starts", () => {
    const { code, tf, lines } = run(["acme-a-aws"]);
    expect(code).toBe(1);
    expect(appliedStacks(tf)).toEqual([...STACKS("acme-canary"), "acme-a-aws"]);
    expect(touched(tf, "acme-b")).toBe(false);
    expect(touched(tf, "acme-late")).toBe(false);
    expect(lines.at(-1)).toBe("rollout stopped: acme-a (wave 1) failed at acme-a-aws; not started: acme-b, acme-late (wave 2 not started)");
  });
});
