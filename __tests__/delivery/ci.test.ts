import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { applyStack, deploymentFiles, deploymentMatrix, driftReport, main, type Paths, planStack, planSummary } from "../../scripts/ci";
import type { CommandResult } from "../../scripts/command-runner";
import { fakeRunner } from "./fake-runner";
import { synthesizedStacks } from "../support/deployments";

const example = readConfigFile("examples/aws.yaml") as DeploymentInput;
const d = validateDeployment(example, "aws");
const tmp = () => mkdtempSync(path.join(tmpdir(), "ci-"));
const paths = (): Paths => {
  const dir = tmp();
  return { outDir: path.join(dir, "cdktf.out"), plansDir: path.join(dir, "plans") };
};
const PLAN_TEXT = "  # aws_s3_bucket.Data will be created\n  + resource \"aws_s3_bucket\" \"Data\" {}\n\nPlan: 1 to add, 0 to change, 0 to destroy.\n";
/** `terraform show -json` of that plan (Terraform's JSON output format), with one sensitive value. */
const planJson = (bucket = "acme-data", secret = "s3cr3t-token") =>
  JSON.stringify({
    format_version: "1.2",
    resource_changes: [
      {
        address: "aws_s3_bucket.Data",
        mode: "managed",
        type: "aws_s3_bucket",
        change: { actions: ["create"], before: null, after: { bucket, tags: { owner: "platform" }, token: secret }, after_unknown: { arn: true }, before_sensitive: false, after_sensitive: { token: true } },
      },
    ],
  });
const PLAN_JSON = planJson();
/** A plan that replaces the cluster because its subnets changed. */
const REPLACE_JSON = JSON.stringify({ format_version: "1.2", prior_state: { values: { root_module: { resources: [{}] } } },
  resource_changes: [{ address: "aws_eks_cluster.Cluster_EB0386A7", mode: "managed", type: "aws_eks_cluster", action_reason: "replace_because_cannot_update",
    change: { actions: ["delete", "create"], replace_paths: [["vpc_config", 0, "subnet_ids"]], before: { name: "acme-prod" }, after: { name: "acme-prod" } } }] });

/** terraform answering plan with `planCode` (0 none, 1 error, 2 changes); a successful plan writes its -out file. */
function terraform(planCode: number, extra: Record<string, Partial<CommandResult>> = {}) {
  const fake = fakeRunner({ "terraform init": {}, "terraform plan": { code: planCode }, "terraform apply": {}, "terraform show": { stdout: PLAN_TEXT }, "terraform show -json": { stdout: PLAN_JSON }, ...extra });
  const runner = ((command: string, args: readonly string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string }) => {
    const r = fake(command, args, options);
    const out = args.find((a) => a.startsWith("-out="));
    if (args[0] === "plan" && out && r.code !== 1) writeFileSync(out.slice("-out=".length), "binary plan");
    return r;
  }) as typeof fake;
  runner.calls = fake.calls;
  return runner;
}
const commands = (r: ReturnType<typeof fakeRunner>) => r.calls.map((c) => `${c.args[0]}${c.args.includes("-lock=false") ? " -lock=false" : ""}`);

test("the matrix lists every deployment file with its stack ids, and refuses local or cross-cloud state in CI", () => {
  const dir = tmp();
  writeFileSync(path.join(dir, "b.yaml"), stringify(example));
  writeFileSync(path.join(dir, "a.yaml"), stringify(readConfigFile("examples/azure.yaml")));
  writeFileSync(path.join(dir, "notes.md"), "not a deployment");
  const files = deploymentFiles(dir);
  expect(files.map((f) => path.basename(f))).toEqual(["a.yaml", "b.yaml"]);
  const [azure, aws] = deploymentMatrix(files);
  expect(aws).toMatchObject({ name: "acme-prod", key: "ACME_PROD", cloud: "aws", region: "eu-west-1", stacks: { cloud: "acme-prod-aws", vault: "acme-prod-vault", vaultConfig: "acme-prod-vault-config", platform: "acme-prod-platform" } });
  expect(azure).toMatchObject({ name: "contoso-prod", azureTenantId: "11111111-1111-1111-1111-111111111111", azureSubscriptionId: "00000000-0000-0000-0000-000000000000" });

  writeFileSync(path.join(dir, "c.yaml"), stringify({ ...example, name: "acme-local", state: { backend: "local" } }));
  expect(() => deploymentMatrix(deploymentFiles(dir))).toThrow(/c\.yaml: state\.backend is 'local'; a deployment applied by CI needs remote state/);
  writeFileSync(path.join(dir, "c.yaml"), stringify({ ...example, name: "acme-x", state: { backend: "gcs", bucket: "acme-state" } }));
  expect(() => deploymentMatrix(deploymentFiles(dir))).toThrow(/state\.backend 'gcs' is not in the deployment's cloud \(aws\)/);
  writeFileSync(path.join(dir, "c.yaml"), stringify(example));
  expect(() => deploymentMatrix(deploymentFiles(dir))).toThrow(/both name deployment 'acme-prod'/);
  expect(deploymentFiles(path.join(dir, "missing"))).toEqual([]);
});

test("plan: init, plan -out with -detailed-exitcode, show; records changes with terraform's summary line, and what was reviewed without a value", () => {
  const p = paths();
  const tf = terraform(2);
  expect(planStack(d, "cloud", p, { stream: tf, capture: tf }, { lock: false })).toEqual({ stack: "acme-prod-aws", role: "cloud", status: "changes", summary: "Plan: 1 to add, 0 to change, 0 to destroy." });
  expect(commands(tf)).toEqual(["init", "plan -lock=false", "show", "show"]);
  // The guard read the plan as JSON; what is kept of it is addresses and actions, and the review record: no values.
  expect(tf.calls[3].args).toEqual(["show", "-json", path.resolve(p.plansDir, "acme-prod-aws.tfplan")]);
  expect(JSON.parse(readFileSync(path.join(p.plansDir, "acme-prod-aws.changes.json"), "utf8"))).toEqual([{ address: "aws_s3_bucket.Data", actions: ["create"] }]);
  const review = readFileSync(path.join(p.plansDir, "acme-prod-aws.review.json"), "utf8");
  expect(JSON.parse(review)).toEqual({ stack: "acme-prod-aws", configSha256: expect.stringMatching(/^[0-9a-f]{64}$/), planSha256: expect.stringMatching(/^[0-9a-f]{64}$/), changes: [{ address: "aws_s3_bucket.Data", actions: ["create"] }] });
  expect(review).not.toMatch(/s3cr3t|acme-data|platform/);
  const plan = tf.calls[1];
  expect(plan.args).toEqual(expect.arrayContaining(["-detailed-exitcode", `-out=${path.resolve(p.plansDir, "acme-prod-aws.tfplan")}`]));
  expect(readFileSync(path.join(p.plansDir, "acme-prod-aws.txt"), "utf8")).toBe(PLAN_TEXT);
  // Terraform runs in the synthesized stack's directory, without checkpoint calls.
  expect(tf.calls.every((c) => c.env?.CHECKPOINT_DISABLE === "1")).toBe(true);
});

test("plan: a stack that cannot be planned because an upstream stack has pending changes is blocked, not failed", () => {
  const p = paths();
  const ok = terraform(2);
  planStack(d, "cloud", p, { stream: ok, capture: ok }, { lock: true });
  const broken = terraform(1);
  expect(planStack(d, "vault", p, { stream: broken, capture: broken }, { lock: true }).status).toBe("blocked");
  expect(planStack(d, "vault-config", p, { stream: broken, capture: broken }, { lock: true }).summary).toMatch(/reads outputs of acme-prod-aws, acme-prod-vault/);
  // With nothing pending upstream, a failing plan is a failure.
  const q = paths();
  const none = terraform(0);
  planStack(d, "cloud", q, { stream: none, capture: none }, { lock: true });
  expect(planStack(d, "vault", q, { stream: broken, capture: broken }, { lock: true }).status).toBe("failed");
});

test("apply: no plan file arrives; the stack is planned again and that plan applied when it is the reviewed one", () => {
  const p = paths();
  const planner = terraform(2);
  planStack(d, "cloud", p, { stream: planner, capture: planner }, { lock: false });
  // The apply job gets the status and review records only.
  rmSync(path.join(p.plansDir, "acme-prod-aws.tfplan"));
  const tf = terraform(2);
  expect(applyStack(d, "cloud", p, { stream: tf, capture: tf })).toEqual({ stack: "acme-prod-aws", ok: true, usedSavedPlan: true, changed: true });
  const fresh = path.resolve(p.plansDir, "acme-prod-aws.apply.tfplan");
  expect(tf.calls.map((c) => c.args.join(" "))).toEqual([
    "init -input=false -no-color",
    `plan -input=false -no-color -detailed-exitcode -out=${fresh}`,
    `show -json ${fresh}`,
    `apply -input=false -no-color ${fresh}`,
  ]);
});

test("apply: a plan that is not the reviewed one is never applied: another value, another change, another configuration", () => {
  for (const [what, answers, before] of [
    ["a value", { "terraform show -json": { stdout: planJson("acme-other") } }, undefined],
    ["a change", { "terraform show -json": { stdout: JSON.stringify({ resource_changes: [] }) } }, undefined],
    ["the configuration", {}, (dir: string) => writeFileSync(path.join(dir, "cdk.tf.json"), "{\"resource\":{\"changed\":{}}}")],
  ] as const) {
    const p = paths();
    const stackDir = path.join(p.outDir, "stacks", "acme-prod-aws");
    mkdirSync(stackDir, { recursive: true });
    writeFileSync(path.join(stackDir, "cdk.tf.json"), "{}");
    const planner = terraform(2);
    planStack(d, "cloud", p, { stream: planner, capture: planner }, { lock: false });
    before?.(stackDir);
    const tf = terraform(2, answers);
    const r = applyStack(d, "cloud", p, { stream: tf, capture: tf });
    expect({ what, ok: r.ok, note: r.note }).toEqual({ what, ok: false, note: expect.stringMatching(/not applied: its plan is not the reviewed one: .*Re-run the workflow/) });
    expect({ what, applied: tf.calls.some((c) => c.args[0] === "apply") }).toEqual({ what, applied: false });
  }
  // A sensitive value that changed is not seen by the reviewer either: it does not count.
  const p = paths();
  const planner = terraform(2);
  planStack(d, "cloud", p, { stream: planner, capture: planner }, { lock: false });
  const tf = terraform(2, { "terraform show -json": { stdout: planJson("acme-data", "another-token") } });
  expect(applyStack(d, "cloud", p, { stream: tf, capture: tf })).toMatchObject({ ok: true, usedSavedPlan: true });
});

test("apply: changes planned for review but no review record is never applied", () => {
  const p = paths();
  const planner = terraform(2);
  planStack(d, "cloud", p, { stream: planner, capture: planner }, { lock: false });
  rmSync(path.join(p.plansDir, "acme-prod-aws.review.json"));
  const tf = terraform(2);
  expect(applyStack(d, "cloud", p, { stream: tf, capture: tf })).toMatchObject({ ok: false, note: expect.stringMatching(/review record .* is missing/) });
  expect(tf.calls.some((c) => c.args[0] === "apply")).toBe(false);
});

test("apply: a stack the plan job never planned (e.g. gated off there) is not applied when it has changes and nothing upstream changed", () => {
  const p = paths();
  const tf = terraform(2);
  expect(applyStack(d, "cloud", p, { stream: tf, capture: tf })).toMatchObject({ ok: false, note: expect.stringMatching(/the plan job did not plan it, so nothing shows what was reviewed/) });
  expect(tf.calls.some((c) => c.args[0] === "apply")).toBe(false);
});

test("apply: a stack whose upstream changed is planned again (its saved plan read old outputs), shown, then applied", () => {
  const p = paths();
  const planner = terraform(2);
  planStack(d, "cloud", p, { stream: planner, capture: planner }, { lock: false });
  planStack(d, "vault", p, { stream: planner, capture: planner }, { lock: false });
  const tf = terraform(2);
  applyStack(d, "cloud", p, { stream: tf, capture: tf });
  const vault = terraform(2);
  expect(applyStack(d, "vault", p, { stream: vault, capture: vault })).toMatchObject({ ok: true, usedSavedPlan: false, changed: true });
  expect(commands(vault)).toEqual(["init", "plan", "show", "apply"]);
  expect(vault.calls[2].args).toContain(path.resolve(p.plansDir, "acme-prod-vault.apply.tfplan"));
});

test("apply with reviewed plans required: a new plan with changes stops the run instead of applying unreviewed", () => {
  const p = paths();
  const planner = terraform(2);
  planStack(d, "cloud", p, { stream: planner, capture: planner }, { lock: false });
  planStack(d, "vault", p, { stream: planner, capture: planner }, { lock: false });
  const cloud = terraform(2);
  expect(applyStack(d, "cloud", p, { stream: cloud, capture: cloud }, { reviewedOnly: true })).toMatchObject({ ok: true, usedSavedPlan: true });
  const vault = terraform(2);
  const r = applyStack(d, "vault", p, { stream: vault, capture: vault }, { reviewedOnly: true });
  expect(r).toMatchObject({ ok: false, changed: false });
  expect(r.note).toMatch(/acme-prod-aws changed in this run, and REQUIRE_REVIEWED_PLANS is on/);
  expect(commands(vault)).toEqual(["init", "plan", "show"]);
});

test("apply: no changes planned and none upstream means nothing is applied; a failed apply fails", () => {
  const p = paths();
  const none = terraform(0);
  planStack(d, "cloud", p, { stream: none, capture: none }, { lock: false });
  const tf = terraform(0);
  expect(applyStack(d, "cloud", p, { stream: tf, capture: tf })).toMatchObject({ ok: true, changed: false });
  expect(commands(tf)).toEqual(["init"]);

  const q = paths();
  const planner = terraform(2);
  planStack(d, "cloud", q, { stream: planner, capture: planner }, { lock: false });
  const failing = terraform(2, { "terraform apply": { code: 1 } });
  expect(applyStack(d, "cloud", q, { stream: failing, capture: failing }).ok).toBe(false);
});

test("the summary lists every stack in order and flags destroys", () => {
  const p = paths();
  const destroys = terraform(2, { "terraform show": { stdout: "Plan: 0 to add, 1 to change, 2 to destroy.\n" } });
  planStack(d, "cloud", p, { stream: destroys, capture: destroys }, { lock: false });
  const md = planSummary(d, p);
  expect(md).toContain("### Deployment `acme-prod` (aws, eu-west-1)");
  expect(md).toMatch(/\| `acme-prod-aws` \| ⚠️ destroys resources Plan: 0 to add, 1 to change, 2 to destroy\. \|/);
  expect(md.indexOf("acme-prod-vault`")).toBeLessThan(md.indexOf("acme-prod-platform`"));
  expect(md).toMatch(/\| `acme-prod-platform` \| not planned/);
  expect(md).toContain("<details><summary>acme-prod-aws</summary>");
});

test("`matrix` writes the deployments to $GITHUB_OUTPUT, or only the one asked for by name", () => {
  const dir = tmp();
  writeFileSync(path.join(dir, "a.yaml"), stringify(readConfigFile("examples/azure.yaml")));
  writeFileSync(path.join(dir, "b.yaml"), stringify(example));
  const runners = { stream: fakeRunner({}), capture: fakeRunner({}) };
  const quiet = () => undefined;
  const output = path.join(dir, "github-output");
  expect(main(["matrix", "--dir", dir], { GITHUB_OUTPUT: output }, runners, quiet)).toBe(0);
  expect(main(["matrix", "--dir", dir, "--only", "acme-prod"], { GITHUB_OUTPUT: `${output}.one` }, runners, quiet)).toBe(0);
  const parse = (file: string) => JSON.parse(/^deployments=(.*)$/m.exec(readFileSync(file, "utf8"))?.[1] ?? "null") as { name: string }[];
  expect(parse(output).map((m) => m.name)).toEqual(["contoso-prod", "acme-prod"]);
  expect(parse(`${output}.one`).map((m) => m.name)).toEqual(["acme-prod"]);
  expect(readFileSync(`${output}.one`, "utf8")).toMatch(/^count=1$/m);
  const errors: string[] = [];
  const spy = jest.spyOn(console, "error").mockImplementation((m: string) => void errors.push(m));
  expect(main(["matrix", "--dir", dir, "--only", "acme-nope"], {}, runners, quiet)).toBe(2);
  spy.mockRestore();
  expect(errors.join()).toMatch(/no deployment named 'acme-nope'; deployments: contoso-prod, acme-prod/);
});

/** After a plan the named guard refused: apply runs no terraform at all, and the summary names the guard. */
function expectRefusedByGuard(p: Paths, guard: string): void {
  const apply = terraform(2);
  const r = applyStack(d, "cloud", p, { stream: apply, capture: apply });
  expect(r.ok).toBe(false);
  expect(r.note).toContain(`the ${guard} refused its plan`);
  expect(apply.calls).toEqual([]);
  expect(planSummary(d, p)).toContain(`🛑 ${guard}`);
}

/** A plan that gives an existing role a new trust (another cluster's OIDC provider). */
const trustJson = (federated: string) => JSON.stringify({ format_version: "1.2", prior_state: { values: { root_module: { resources: [{}] } } },
  resource_changes: [{ address: "aws_iam_role.BackupRole_F43CFD90", mode: "managed", type: "aws_iam_role",
    change: { actions: ["update"],
      before: { name: "acme-prod-backup", assume_role_policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRoleWithWebIdentity", Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/AAAA" } }] }) },
      after: { name: "acme-prod-backup", assume_role_policy: JSON.stringify({ Statement: [{ Principal: { Federated: federated }, Action: "sts:AssumeRoleWithWebIdentity", Effect: "Allow" }], Version: "2012-10-17" }) },
      after_unknown: {} } }] });

describe("trust guard in CI (an AWS deployment's apply role may not change a role's trust: scripts/trust-guard.ts)", () => {
  test("plan: a role's new trust is refused in the pull request, naming the role and the administrator's command; apply then applies nothing", () => {
    const p = paths();
    const tf = terraform(2, { "terraform show -json": { stdout: trustJson("arn:aws:iam::999999999999:oidc-provider/evil.example.com") } });
    const errors: string[] = [];
    const spy = jest.spyOn(console, "error").mockImplementation((m: string) => void errors.push(m));
    const plan = planStack(d, "cloud", p, { stream: tf, capture: tf }, { lock: false, config: "deployments/acme-prod.yaml" });
    spy.mockRestore();
    expect(plan.status).toBe("refused");
    expect(plan.summary).toContain("Refused by the trust guard: aws_iam_role.BackupRole_F43CFD90");
    const report = readFileSync(path.join(p.plansDir, "acme-prod-aws.guard.txt"), "utf8");
    expect(report).toContain("iam:UpdateAssumeRolePolicy");
    expect(report).toContain("npm run deploy -- --config deployments/acme-prod.yaml --stack cloud");
    expect(errors.join("\n")).toContain("trust guard: acme-prod-aws");
    expectRefusedByGuard(p, "trust guard");
  });
  test("the same trust written in another key order is no change; a deployment without the bootstrap's apply role is not guarded", () => {
    const same = trustJson("arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/AAAA");
    const tf = terraform(2, { "terraform show -json": { stdout: same } });
    expect(planStack(d, "cloud", paths(), { stream: tf, capture: tf }, { lock: false }).status).toBe("changes");
    const local = validateDeployment({ ...example, state: { backend: "local" } } as DeploymentInput, "aws");
    const evil = terraform(2, { "terraform show -json": { stdout: trustJson("arn:aws:iam::999999999999:oidc-provider/evil.example.com") } });
    expect(planStack(local, "cloud", paths(), { stream: evil, capture: evil }, { lock: false }).status).toBe("changes");
  });
});

describe("trust guard in CI, Azure (no CI identity writes a managed identity's federated credentials: AZURE_ADMIN_ONLY_ACTIONS)", () => {
  const azure = validateDeployment(readConfigFile("examples/azure.yaml") as DeploymentInput, "azure");
  // The credentials as the shipped example's cloud stack declares them (synthesized JSON), with its config file's deployment.
  const cloud = synthesizedStacks("examples-azure")[`${azure.name}-azure`] as { resource: Record<string, Record<string, { issuer?: string; subject?: string }>> };
  const credentials = Object.keys(cloud.resource.azurerm_federated_identity_credential);
  const plan = (actions: string[], other: string[] = []) => JSON.stringify({ format_version: "1.2",
    resource_changes: [
      ...credentials.map((name) => ({ address: `azurerm_federated_identity_credential.${name}`, mode: "managed", type: "azurerm_federated_identity_credential",
        change: { actions, before: actions.includes("create") ? null : { issuer: "https://northeurope.oic.prod-aks.azure.com/tenant/old/" }, after: actions.includes("delete") && !actions.includes("create") ? null : { issuer: "https://northeurope.oic.prod-aks.azure.com/tenant/new/" }, after_unknown: {} } })),
      ...other.map((address) => ({ address, mode: "managed", type: address.split(".")[0], change: { actions: ["update"], before: {}, after: {}, after_unknown: {} } })),
    ] });

  test.each([["created (the first apply)", ["create"]], ["replaced (a new cluster's issuer)", ["delete", "create"]], ["changed in place", ["update"]], ["deleted", ["delete"]]])("a credential %s is refused in the pull request, each named, with the administrator's command; apply then applies nothing", (_what, actions) => {
    expect(credentials.length).toBeGreaterThanOrEqual(2);
    const p = paths();
    const tf = terraform(2, { "terraform show -json": { stdout: plan(actions) } });
    const errors: string[] = [];
    const spy = jest.spyOn(console, "error").mockImplementation((m: string) => void errors.push(m));
    const planned = planStack(azure, "cloud", p, { stream: tf, capture: tf }, { lock: false, config: "deployments/contoso-prod.yaml" });
    spy.mockRestore();
    expect(planned.status).toBe("refused");
    for (const name of credentials) expect(planned.summary).toContain(`azurerm_federated_identity_credential.${name}`);
    const report = readFileSync(path.join(p.plansDir, `${azure.name}-azure.guard.txt`), "utf8");
    expect(report).toContain("federatedIdentityCredentials/write");
    expect(report).toContain("npm run deploy -- --config deployments/contoso-prod.yaml --stack cloud");
    expect(report).not.toContain("iam:");
    const apply = terraform(2);
    expect(applyStack(azure, "cloud", p, { stream: apply, capture: apply }).ok).toBe(false);
    expect(apply.calls).toEqual([]);
  });

  test("credentials left as they are pass: a plan that changes other resources is the pipeline's", () => {
    const tf = terraform(2, { "terraform show -json": { stdout: plan(["no-op"], ["azurerm_kubernetes_cluster.Cluster_Resource"]) } });
    expect(planStack(azure, "cloud", paths(), { stream: tf, capture: tf }, { lock: false }).status).toBe("changes");
  });
});

describe("replacement guard in CI", () => {
  test("plan: a replace of a stateful resource is refused, named, and fails the job; apply then applies nothing", () => {
    const p = paths();
    const tf = terraform(2, { "terraform show -json": { stdout: REPLACE_JSON } });
    const errors = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const plan = planStack(d, "cloud", p, { stream: tf, capture: tf }, { lock: false });
    errors.mockRestore();
    expect(plan.status).toBe("refused");
    expect(plan.summary).toContain("Refused by the replacement guard: aws_eks_cluster.Cluster_EB0386A7");
    expect(readFileSync(path.join(p.plansDir, "acme-prod-aws.guard.txt"), "utf8")).toContain("attribute vpc_config[0].subnet_ids cannot change in place");
    expectRefusedByGuard(p, "replacement guard");
  });
  test("the config's dataProtection.allowReplace acknowledges exactly the listed resource", () => {
    const acked = validateDeployment({ ...example, dataProtection: { allowReplace: ["aws_eks_cluster.Cluster_EB0386A7"] } }, "aws");
    const p = paths();
    const tf = terraform(2, { "terraform show -json": { stdout: REPLACE_JSON } });
    expect(planStack(acked, "cloud", p, { stream: tf, capture: tf }, { lock: false }).status).toBe("changes");
    expect(readFileSync(path.join(p.plansDir, "acme-prod-aws.guard.txt"), "utf8")).toContain("; acknowledged");
  });
  test("apply: a plan made again in the apply job is guarded too before it is applied", () => {
    const p = paths();
    const planner = terraform(2);
    planStack(d, "cloud", p, { stream: planner, capture: planner }, { lock: false });
    planStack(d, "vault", p, { stream: planner, capture: planner }, { lock: false });
    const cloud = terraform(2);
    applyStack(d, "cloud", p, { stream: cloud, capture: cloud });
    const vault = terraform(2, { "terraform show -json": { stdout: REPLACE_JSON } });
    const errors = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const r = applyStack(d, "vault", p, { stream: vault, capture: vault });
    errors.mockRestore();
    expect(r).toMatchObject({ ok: false, changed: false });
    expect(commands(vault)).toEqual(["init", "plan", "show"]);
  });
});

describe("drift", () => {
  const plans = (changes: Record<string, boolean>) => {
    const dir = tmp();
    for (const [role, changed] of Object.entries(changes)) {
      const tf = terraform(changed ? 2 : 0);
      planStack(d, role as "cloud", { outDir: path.join(dir, "out"), plansDir: dir }, { stream: tf, capture: tf }, { lock: false });
    }
    return dir;
  };
  test("the last applied commit's plan is not empty: drift made outside the code", () => {
    const r = driftReport(d, plans({ cloud: true, vault: false }), plans({ cloud: true, vault: false }), "abc1234");
    expect(r.verdict).toBe("drift");
    expect(r.markdown).toContain("Drift: the infrastructure differs from the last applied code");
    expect(r.markdown).toContain("- `aws_s3_bucket.Data`: create");
    expect(r.markdown).toContain("Last applied commit: `abc1234`");
  });
  test("an empty plan at the applied commit and changes on main: unapplied changes, not drift", () => {
    expect(driftReport(d, plans({ cloud: false, vault: false }), plans({ cloud: true, vault: false }), "abc1234").verdict).toBe("unapplied-changes");
  });
  test("both empty: in sync; nothing planned at the applied commit: not checked", () => {
    expect(driftReport(d, plans({ cloud: false, vault: false }), plans({ cloud: false, vault: false }), "abc1234").verdict).toBe("in-sync");
    expect(driftReport(d, tmp(), plans({ cloud: false }), "abc1234").verdict).toBe("not-planned");
  });
  test("the report holds addresses and actions, never attribute values", () => {
    const r = driftReport(d, plans({ cloud: true }), plans({ cloud: true }), "abc1234");
    expect(r.markdown).not.toContain("acme-data"); // an attribute value of the plan (after.bucket)
  });
  test("`drift` writes drift.md and drift.json for the reporting job", () => {
    const applied = plans({ cloud: true });
    const head = plans({ cloud: true });
    const runners = { stream: fakeRunner({}), capture: fakeRunner({}) };
    const file = tmp();
    writeFileSync(path.join(file, "d.yaml"), stringify(example));
    expect(main(["drift", "--config", path.join(file, "d.yaml"), "--applied", applied, "--head", head, "--applied-sha", "abc1234"], {}, runners, () => undefined)).toBe(0);
    expect(JSON.parse(readFileSync(path.join(head, "drift.json"), "utf8"))).toEqual({ name: "acme-prod", verdict: "drift" });
    expect(readFileSync(path.join(head, "drift.md"), "utf8")).toMatch(/^### acme-prod \(aws, eu-west-1\): Drift/);
  });
});
