import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type PlanJson, reviewDifferences, reviewRecord } from "../../scripts/reviewed-plan";

// The review record is computed from what the real terraform prints (`terraform show -json` of a saved
// plan): terraform_data is built into terraform, so no provider plugin is needed. A sensitive variable
// stands for a secret in the plan.

const dir = mkdtempSync(path.join(tmpdir(), "reviewed-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? "", HOME: dir, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
const tf = (...args: string[]) => {
  const r = spawnSync("terraform", args, { cwd: dir, env, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`terraform ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};

const CONFIG = JSON.stringify({
  variable: { name: { type: "string" }, token: { type: "string", sensitive: true } },
  resource: { terraform_data: { bucket: { input: { name: "${var.name}", token: "${var.token}" } } } },
});

/** The real plan's JSON for these variable values. */
function planFor(name: string, token: string): { plan: PlanJson; raw: string } {
  tf("plan", "-input=false", "-no-color", "-out=review.tfplan", `-var=name=${name}`, `-var=token=${token}`);
  const raw = tf("show", "-json", "review.tfplan");
  return { plan: JSON.parse(raw) as PlanJson, raw };
}

beforeAll(() => {
  writeFileSync(path.join(dir, "main.tf.json"), CONFIG);
  tf("init", "-input=false", "-no-color");
}, 120_000);

test("terraform's JSON plan carries the secret and marks it sensitive; the record keeps neither the value nor its place", () => {
  const { plan, raw } = planFor("acme-data", "s3cr3t-token");
  expect(raw).toContain("s3cr3t-token");
  const change = plan.resource_changes?.[0]?.change as unknown as { after_sensitive: unknown };
  expect(change.after_sensitive).toMatchObject({ input: { token: true } });
  const record = JSON.stringify(reviewRecord("s", CONFIG, plan));
  expect(record).not.toMatch(/s3cr3t|acme-data/);
  expect(JSON.parse(record)).toMatchObject({ changes: [{ address: "terraform_data.bucket", actions: ["create"] }] });
}, 120_000);

test("the same plan made again is the reviewed one; another value is not; a changed secret is invisible to both", () => {
  const reviewed = reviewRecord("s", CONFIG, planFor("acme-data", "s3cr3t-token").plan);
  expect(reviewDifferences(reviewed, reviewRecord("s", CONFIG, planFor("acme-data", "s3cr3t-token").plan))).toEqual([]);
  expect(reviewDifferences(reviewed, reviewRecord("s", CONFIG, planFor("acme-other", "s3cr3t-token").plan))).toEqual([
    "the same resources change, but to other values (the infrastructure or its state moved since the review)",
  ]);
  // The reviewer saw "(sensitive value)" either way.
  expect(reviewDifferences(reviewed, reviewRecord("s", CONFIG, planFor("acme-data", "rotated-token").plan))).toEqual([]);
  expect(reviewDifferences(reviewed, reviewRecord("s", `${CONFIG} `, planFor("acme-data", "s3cr3t-token").plan))).toEqual(["the synthesized configuration differs from the one planned for review"]);
}, 120_000);
