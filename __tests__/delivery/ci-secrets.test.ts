import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { parse } from "yaml";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { OfflinePlanner, offlineConfig, type StateResource } from "../support/offline-plan";
import { AwsStateStack } from "../../stacks/bootstrap/aws-state-stack";
import { BucketAccessLogs, EncryptedBucket } from "../../constructs/aws/encrypted-bucket";
import { synthesizedStacks } from "../support/deployments";
import { nonEmpty } from "../support/non-empty";

// Secrets stay in the customer's account through CI. The workflows are checked as parsed YAML (and the
// scripts they run, with bash); the AWS bootstrap as synthesized, and as the real terraform and
// hashicorp/aws 5.100.0 plan it offline (placeholder credentials, -refresh=false, a state this test writes).

const ROOT = path.resolve(__dirname, "../..");
interface Step { readonly name?: string; readonly id?: string; readonly uses?: string; readonly run?: string; readonly if?: string; readonly with?: Record<string, unknown>; readonly env?: Record<string, string> }
interface Job { readonly "runs-on"?: string | string[]; readonly permissions?: Record<string, string>; readonly steps: Step[] }
const WORKFLOWS = readdirSync(path.join(ROOT, ".github/workflows")).filter((f) => /\.ya?ml$/.test(f));
const jobs = WORKFLOWS.flatMap((f) => {
  const w = parse(readFileSync(path.join(ROOT, ".github/workflows", f), "utf8")) as { jobs: Record<string, Job> };
  return Object.entries(w.jobs).map(([id, job]) => ({ name: `${f}:${id}`, job }));
});
const holdsCredentials = (job: Job) => job.permissions?.["id-token"] === "write";

describe("workflows", () => {
  test("no artifact carries a plan file, state, or the synthesized tree: only .json records and .md reports", () => {
    const uploads = jobs.flatMap(({ name, job }) => job.steps.filter((s) => s.uses?.startsWith("actions/upload-artifact@")).map((s) => ({ name, s })));
    expect(uploads.length).toBeGreaterThan(0);
    // One exception (issue 18: the plan and apply jobs do not synthesize again): the check jobs' `npm run
    // synth -- --all deployments` output, cdktf.all. It is made by a job holding no cloud identity, before
    // any terraform runs (no .terraform, no plan, no state in it), from the commit itself (nothing a reader
    // of the repository could not synthesize), and the synthesized JSON never holds a secret.
    const synthesized = uploads.filter(({ s }) => s.with?.name === "synthesized");
    expect(synthesized.map(({ name }) => name).sort()).toEqual(["apply.yml:check", "plan.yml:check"]);
    for (const { name, s } of synthesized) {
      const job = jobs.find((j) => j.name === name)!.job;
      expect(holdsCredentials(job)).toBe(false);
      expect(s.with?.path).toBe("cdktf.all");
      expect(job.steps.some((st) => /\bterraform\b|ci\.ts (plan|apply)/.test(st.run ?? ""))).toBe(false);
    }
    for (const { name, s } of uploads.filter((u) => !synthesized.includes(u))) {
      const paths = String(s.with?.path).trim().split("\n").map((p) => p.trim());
      for (const p of paths) expect({ name, path: p, ok: /\.(json|md)$/.test(p) && !/tfplan|tfstate|cdktf\.out|\.terraform/.test(p) }).toEqual({ name, path: p, ok: true });
      expect({ name, hidden: s.with?.["include-hidden-files"] ?? false }).toEqual({ name, hidden: false });
    }
  });

  test("what the plan job keeps is what it uploads: status and review records (their content: __tests__/delivery/ci.test.ts)", () => {
    const ci = readFileSync(path.join(ROOT, "scripts/ci.ts"), "utf8");
    // Every .json file ci.ts writes into the plans directory, by suffix.
    const written = [...new Set([...ci.matchAll(/`\$\{(?:id|result\.stack)\}(\.[a-z.]*json)`/g)].map((m) => m[1]))].sort();
    expect(written).toEqual([".applied.json", ".changes.json", ".json", ".review.json"]);
    expect(ci).toMatch(/`\$\{id\}\.tfplan`/);
  });

  test("every job holding a cloud identity runs on the self-hosted runner DEPLOY_RUNNER names, nothing hosted", () => {
    const credentialJobs = jobs.filter(({ job }) => holdsCredentials(job));
    expect(credentialJobs.map((j) => j.name)).toEqual(expect.arrayContaining(["apply.yml:plan", "apply.yml:apply", "plan.yml:plan"]));
    for (const { name, job } of credentialJobs) {
      expect({ name, runsOn: job["runs-on"] }).toEqual({ name, runsOn: ["self-hosted", "${{ vars.DEPLOY_RUNNER }}"] });
    }
    for (const { job } of jobs.filter(({ job }) => !holdsCredentials(job))) expect(JSON.stringify(job.steps)).not.toMatch(/cloud-login|vault-login/);
  });

  test("every job holding a cloud identity deletes its plan files and Terraform directories last, whatever happened", () => {
    for (const { name, job } of nonEmpty(jobs.filter(({ job }) => holdsCredentials(job)), "job holding credentials")) {
      const last = job.steps[job.steps.length - 1];
      expect({ name, if: last.if, run: last.run?.trim() }).toEqual({ name, if: "always()", run: expect.stringMatching(/^set -euo pipefail\nrm -rf plans cdktf\.out\b/) });
      // Every directory the job plans into is among them.
      const planDirs = [...new Set(job.steps.flatMap((s) => [...(s.run ?? "").matchAll(/--plans "?([^\s"]+)/g)].map((m) => m[1].replace(/^\$GITHUB_WORKSPACE\//, "").split("/")[0])))];
      for (const d of planDirs) expect({ name, dir: d, removed: last.run!.split("\n")[1].split(" ").includes(d) }).toEqual({ name, dir: d, removed: true });
    }
  });

  test("the apply job gets the review records and the check job's synthesized tree of this commit, then applies (plans made again on the runner)", () => {
    const apply = jobs.find((j) => j.name === "apply.yml:apply")!.job.steps;
    const download = apply.findIndex((s) => s.uses?.startsWith("actions/download-artifact@"));
    const synth = apply.findIndex((s) => s.uses?.startsWith("actions/download-artifact@") && s.with?.name === "synthesized");
    const first = apply.findIndex((s) => s.run?.includes("ci.ts apply"));
    expect(apply[download].with?.path).toBe("plans");
    expect(download).toBeLessThan(synth);
    expect(synth).toBeLessThan(first);
  });

  test.each([["plan.yml", "check"], ["apply.yml", "check"], ["drift.yml", "list"]])("%s: the %s job stops, naming the variable, when DEPLOY_RUNNER is not set (its script run by bash)", (file, first) => {
    const step = jobs.find((j) => j.name === `${file}:${first}`)!.job.steps.find((s) => s.name === "The deploy runner is named")!;
    expect(step.if).toBe("steps.matrix.outputs.count != '0'");
    expect(step.env).toEqual({ DEPLOY_RUNNER: "${{ vars.DEPLOY_RUNNER }}" });
    const bash = (value: string) => spawnSync("bash", ["-c", step.run!], { env: { PATH: process.env.PATH ?? "", DEPLOY_RUNNER: value }, encoding: "utf8" });
    const unset = bash("");
    expect(unset.status).toBe(1);
    expect(unset.stdout).toMatch(/::error::set the repository variable DEPLOY_RUNNER to the label of a self-hosted runner/);
    expect(bash("acme-deploy").status).toBe(0);
  });

  test("the deployment guide makes the runner explicit: required, self-hosted, in the customer's network", () => {
    const guide = readFileSync(path.join(ROOT, "docs/deployment-guide.md"), "utf8");
    expect(guide).toMatch(/\| repository \| `DEPLOY_RUNNER` \(required: the label of the self-hosted runner in the deployment's network[^|]*\| all \|/);
    expect(guide).toMatch(/\*\*self-hosted\s+runner in the customer's network\*\*, never on a GitHub-hosted machine/);
    expect(guide).not.toMatch(/saved plans as an artifact/);
  });
});

describe("AWS bootstrap: who can read state", () => {
  const example = readConfigFile(path.join(ROOT, "examples/aws.yaml")) as DeploymentInput;
  const ACCOUNT = "123456789012";
  type Tf = { resource: Record<string, Record<string, Record<string, unknown>>>; data: Record<string, Record<string, { statement?: Record<string, unknown>[] }>>; output: Record<string, unknown> };
  const synth = (overrides: Partial<DeploymentInput> = {}, repo = "acme/metadata-platform") => {
    const stack = new AwsStateStack(Testing.app(), "acme-prod-state", { deployment: deploymentOn("aws", validateDeployment({ ...example, ...overrides }, "test")), githubRepository: repo });
    return Testing.synth(stack);
  };
  const tf = JSON.parse(synth()) as Tf;
  const doc = (prefix: string) => Object.entries(tf.data.aws_iam_policy_document).find(([k]) => k.startsWith(prefix))![1].statement!;
  const OBJECTS = ["aws", "vault", "vault-config", "platform"].map((r) => `arn:\${data.aws_partition.Partition.partition}:s3:::acme-terraform-state/metadata-platform/acme-prod-${r}.tfstate`);

  test("the state bucket is encrypted with its own KMS key; the access-log bucket stays SSE-S3 (S3 logs only to SSE-S3)", () => {
    const sse = Object.entries(tf.resource.aws_s3_bucket_server_side_encryption_configuration).map(([id, c]) => [id.split("_")[0], (c.rule as { apply_server_side_encryption_by_default: unknown }[])[0].apply_server_side_encryption_by_default]);
    expect(Object.fromEntries(sse)).toEqual({
      State: { sse_algorithm: "aws:kms", kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\.StateKey_[0-9A-F]+\.arn\}$/) },
      AccessLogs: { sse_algorithm: "AES256" },
    });
    const [key] = Object.values(tf.resource.aws_kms_key);
    expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true }, policy: expect.stringMatching(/^\$\{data\.aws_iam_policy_document\.StateKeyPolicy\.json\}$/) });
    expect(Object.values(tf.resource.aws_kms_alias)).toEqual([expect.objectContaining({ name: "alias/acme-prod-state" })]);
  });

  test("the deployment's backend writes state with that key (GEN-9), as the example config names it", () => {
    const backend = (Object.values(synthesizedStacks("examples-aws"))[0] as { terraform: { backend: { s3: Record<string, unknown> } } }).terraform.backend.s3;
    expect(backend).toMatchObject({ encrypt: true, kms_key_id: "alias/acme-prod-state" });
    expect(Object.values(tf.resource.aws_kms_alias)[0].name).toBe(backend.kms_key_id);
  });

  test("the key: the account administers it but cannot use it; writers use it and the plan role decrypts, only through S3 for this bucket", () => {
    const [admin, writers, reader] = doc("StateKeyPolicy");
    const crypto = /^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey|\*)/;
    expect((admin.actions as string[]).filter((a) => crypto.test(a))).toEqual([]);
    expect(admin.principals).toEqual([{ type: "AWS", identifiers: [`arn:\${data.aws_partition.Partition.partition}:iam::\${data.aws_caller_identity.Account.account_id}:root`] }]);
    expect(writers).toMatchObject({ actions: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], principals: [{ type: "AWS", identifiers: [expect.stringMatching(/aws_iam_role\.ApplyRole_.*\.arn/), "arn:aws:iam::123456789012:role/platform-admins"] }] });
    expect(reader).toMatchObject({ actions: ["kms:Decrypt"], principals: [{ type: "AWS", identifiers: [expect.stringMatching(/aws_iam_role\.PlanRole_.*\.arn/)] }] });
    for (const s of [writers, reader]) {
      expect(s.condition).toEqual([
        { test: "StringEquals", variable: "kms:ViaService", values: ["s3.eu-west-1.amazonaws.com"] },
        { test: "StringEquals", variable: "kms:CallerAccount", values: ["${data.aws_caller_identity.Account.account_id}"] },
        { test: "StringLike", variable: "kms:EncryptionContext:aws:s3:arn", values: ["arn:${data.aws_partition.Partition.partition}:s3:::acme-terraform-state", "arn:${data.aws_partition.Partition.partition}:s3:::acme-terraform-state/*"] },
      ]);
    }
  });

  test("the plan role reads the current state of its four stacks and nothing else: no other object, no old version, no other key", () => {
    const perms = doc("PlanRole_PermissionsPolicy");
    expect(perms).toEqual([
      expect.objectContaining({ effect: "Deny", actions: ["s3:GetObject"], not_resources: OBJECTS }),
      expect.objectContaining({ effect: "Deny", actions: ["s3:GetObjectVersion*", "s3:ListBucketVersions"], resources: ["*"] }),
      expect.objectContaining({ effect: "Deny", actions: expect.arrayContaining(["secretsmanager:GetSecretValue", "ssm:GetParameter"]) }),
    ]);
    expect(doc("PlanRoleDecryptOnlyStateDocument")).toEqual([expect.objectContaining({ effect: "Deny", actions: ["kms:Decrypt"], not_resources: [expect.stringMatching(/aws_kms_key\.StateKey_.*\.arn/)] })]);
  });

  test("the bucket policy: no principal but the apply role, the plan role and the administrators touches an object; the plan role only reads its four", () => {
    const statements = doc("State_PolicyDocument");
    const sid = (s: string) => statements.find((x) => x.sid === s)!;
    expect(sid("DenyObjectAccessToOtherPrincipals")).toMatchObject({
      effect: "Deny",
      principals: [{ type: "*", identifiers: ["*"] }],
      actions: ["s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:RestoreObject"],
      condition: [{ test: "ArnNotLike", variable: "aws:PrincipalArn", values: [expect.stringMatching(/ApplyRole/), "arn:aws:iam::123456789012:role/platform-admins", expect.stringMatching(/PlanRole/)] }],
    });
    expect(sid("DenyPlanRoleWritesAndOldVersions")).toMatchObject({ actions: ["s3:PutObject*", "s3:DeleteObject*", "s3:GetObjectVersion*", "s3:RestoreObject"] });
    expect(sid("DenyPlanRoleOtherObjects")).toMatchObject({ actions: ["s3:GetObject"], not_resources: OBJECTS });
    // Still TLS-only.
    expect(statements.map((s) => s.sid)).toEqual(expect.arrayContaining(["DenyInsecureTransport", "DenyTlsBelow12"]));
    expect(() => synthWithAllow()).toThrow(/policyStatements may only deny/);
  });

  /** A bucket policy extension that would widen access is refused. */
  function synthWithAllow() {
    return Testing.synthScope((s) => new EncryptedBucket(s, "B", { bucketName: "b", accessLogs: BucketAccessLogs.IS_LOG_TARGET, policyStatements: [{ effect: "Allow", actions: ["s3:GetObject"], resources: ["*"] }] }));
  }

  describe("the real terraform and hashicorp/aws 5.100.0, offline", () => {
    let planner: OfflinePlanner;
    afterAll(() => planner?.remove());

    /** The synthesized stack, offline (support/offline-plan.ts): test values for the data sources that call AWS (the account, the partition, the aws/ebs key the EBS CSI driver's boundary names). */
    const offline = (json: string) =>
      offlineConfig(JSON.parse(json) as Record<string, unknown>, {
        aws_caller_identity: { account_id: ACCOUNT },
        aws_partition: { partition: "aws" },
        aws_kms_key: { arn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/00000000-0000-4000-8000-0000000000eb`, id: "00000000-0000-4000-8000-0000000000eb" },
      });
    const DEFAULT_TAGS = { deployment: "acme-prod", environment: "production", owner: "platform-team", project: "metadata-platform" };
    const instance = (type: string, name: string, attributes: Record<string, unknown>): StateResource => ({ type, name, attributes });
    /** A state in which the CI identities exist as `json` created them (trust policies as given, by role logical id). */
    function identities(json: string, trust: Record<string, unknown> = {}): StateResource[] {
      const c = offline(json) as { resource: Record<string, Record<string, Record<string, unknown>>> };
      const oidcArn = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
      const resources = [
        instance("aws_iam_openid_connect_provider", "GitHubOidc", { id: oidcArn, arn: oidcArn, url: "token.actions.githubusercontent.com", client_id_list: ["sts.amazonaws.com"], thumbprint_list: [], tags: {}, tags_all: DEFAULT_TAGS }),
        // The state bucket, as created: its ARN is what the bucket policy document reads.
        ...Object.entries(c.resource.aws_s3_bucket).filter(([name]) => name.startsWith("State_")).map(([name, b]) =>
          instance("aws_s3_bucket", name, {
            id: b.bucket, bucket: b.bucket, arn: `arn:aws:s3:::${String(b.bucket)}`, force_destroy: false, object_lock_enabled: false, region: "eu-west-1",
            bucket_domain_name: `${String(b.bucket)}.s3.amazonaws.com`, bucket_regional_domain_name: `${String(b.bucket)}.s3.eu-west-1.amazonaws.com`,
            hosted_zone_id: "Z1BKCTXD74EZPE", tags: {}, tags_all: DEFAULT_TAGS,
          }),
        ),
        ...Object.entries(c.resource.aws_iam_role).map(([name, r]) =>
          instance("aws_iam_role", name, {
            id: r.name, name: r.name, arn: `arn:aws:iam::${ACCOUNT}:role/${String(r.name)}`, path: "/", max_session_duration: r.max_session_duration, assume_role_policy: trust[name] ?? "{}",
            force_detach_policies: false, description: "", managed_policy_arns: [], inline_policy: [], tags: {}, tags_all: DEFAULT_TAGS,
          }),
        ),
      ];
      return resources;
    }
    type Plan = { resource_changes: { address: string; change: { actions: string[]; after: Record<string, unknown> | null } }[] };
    function plan(configJson: string, state: readonly StateResource[]): Plan {
      const p = planner.plan(offline(configJson), state);
      if (!p.ok) throw new Error(p.error);
      return p.plan as unknown as Plan;
    }
    const base = synth();
    /** The identities as applied from `base`: their trust policies as the provider renders them. */
    function settled(): StateResource[] {
      const first = plan(base, identities(base));
      const trust = Object.fromEntries(first.resource_changes.filter((c) => c.address.startsWith("aws_iam_role.")).map((c) => [c.address.slice("aws_iam_role.".length), c.change.after!.assume_role_policy]));
      for (const [role, policy] of Object.entries(trust)) if (typeof policy !== "string") throw new Error(`${role}'s trust policy is not known at plan time`);
      return identities(base, trust);
    }

    let state: StateResource[];
    beforeAll(() => {
      planner = new OfflinePlanner();
      state = settled();    }, 480_000);

    test("the provider renders the key and bucket policies as written: the account root never gets a crypto action", () => {
      const p = plan(base, state);
      const actions = Object.fromEntries(p.resource_changes.filter((c) => /^aws_(iam_role|s3_bucket|iam_openid_connect_provider)\./.test(c.address) && !c.address.startsWith("aws_s3_bucket.AccessLogs")).map((c) => [c.address, c.change.actions.join(",")]));
      // The identities and the bucket exist unchanged, so the policy documents are read at plan time.
      expect(Object.values(actions)).toEqual(["no-op", "no-op", "no-op", "no-op"]);
      const after = (prefix: string) => p.resource_changes.find((c) => c.address.startsWith(prefix))!.change.after!;
      const keyPolicy = JSON.parse(String(after("aws_kms_key.StateKey_").policy)) as { Statement: { Sid: string; Principal: { AWS: string | string[] }; Action: string | string[]; Condition?: Record<string, Record<string, unknown>> }[] };
      const bySid = Object.fromEntries(keyPolicy.Statement.map((s) => [s.Sid, s]));
      expect(bySid.KeyAdministrationNotUse.Principal.AWS).toBe(`arn:aws:iam::${ACCOUNT}:root`);
      expect([bySid.KeyAdministrationNotUse.Action].flat().filter((a) => /Encrypt|Decrypt|GenerateDataKey|kms:\*/.test(a))).toEqual([]);
      expect(bySid.PlanRoleReadsThroughS3).toMatchObject({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/acme-prod-github-plan` }, Action: "kms:Decrypt", Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } } });
      const bucketPolicy = JSON.parse(String(after("aws_s3_bucket_policy.State_Policy").policy)) as { Statement: { Sid: string; Condition?: Record<string, Record<string, unknown>>; NotResource?: string[] }[] };
      const others = bucketPolicy.Statement.find((s) => s.Sid === "DenyObjectAccessToOtherPrincipals")!;
      expect([others.Condition?.ArnNotLike["aws:PrincipalArn"]].flat().sort()).toEqual(
        [`arn:aws:iam::${ACCOUNT}:role/acme-prod-github-apply`, `arn:aws:iam::${ACCOUNT}:role/acme-prod-github-plan`, "arn:aws:iam::123456789012:role/platform-admins"].sort(),
      );
      expect([bucketPolicy.Statement.find((s) => s.Sid === "DenyPlanRoleOtherObjects")!.NotResource].flat().sort()).toEqual(OBJECTS.map((o) => o.replace("${data.aws_partition.Partition.partition}", "aws")).sort());
    }, 240_000);

    test("a change of the CI's identity, as measured: a renamed repository updates the roles' trust in place; a renamed deployment replaces the roles", () => {
      const actions = (p: Plan) => Object.fromEntries(p.resource_changes.filter((c) => c.address.startsWith("aws_iam_role.")).map((c) => [c.address.replace(/_[0-9A-F]{8}$/, ""), c.change.actions.join(",")]));
      expect(actions(plan(base, state))).toEqual({ "aws_iam_role.ApplyRole": "no-op", "aws_iam_role.PlanRole": "no-op" });
      expect(actions(plan(synth({}, "acme/catalog-platform"), state))).toEqual({ "aws_iam_role.ApplyRole": "update", "aws_iam_role.PlanRole": "update" });
      expect(actions(plan(synth({ name: "acme-main" }), state))).toEqual({ "aws_iam_role.ApplyRole": "delete,create", "aws_iam_role.PlanRole": "delete,create" });
    }, 240_000);
  });
});
