import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { DataAwsIamOpenidConnectProvider } from "@cdktf/provider-aws/lib/data-aws-iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { validateDeployment, readConfigFile } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { AwsStateStack, type AwsStateStackProps } from "../../stacks/bootstrap/aws-state-stack";
import { GitHubDeployRole } from "../../stacks/bootstrap/github-deploy-role";
import { buildBootstrap, parseBootstrapArgs } from "../../scripts/bootstrap";

const example = readConfigFile("examples/aws.yaml") as DeploymentInput;
const deployment = (overrides: Partial<DeploymentInput> = {}) => validateDeployment({ ...example, ...overrides }, "test");
const REPO = "acme/metadata-platform";

function synth(props: Partial<AwsStateStackProps> = {}) {
  const app = Testing.app();
  const stack = new AwsStateStack(app, "acme-prod-state", { deployment: deploymentOn("aws", deployment()), githubRepository: REPO, ...props });
  const json = Testing.synth(stack);
  return { stack, json, tf: JSON.parse(json) as { resource: Record<string, Record<string, Record<string, unknown>>>; data: Record<string, Record<string, Record<string, unknown>>>; terraform: Record<string, unknown> } };
}
const { json, tf } = synth();
const policyDocs = tf.data.aws_iam_policy_document;
const trustOf = (role: string) => policyDocs[Object.keys(policyDocs).find((k) => k.startsWith(role) && k.includes("TrustPolicy")) as string];

test("the state bucket is an EncryptedBucket named by the config: public access blocked, versioned, logged, prevent_destroy (its KMS key: ci-secrets.test.ts)", () => {
  expect(json).toHaveResourceWithProperties(S3Bucket, { bucket: "acme-terraform-state", force_destroy: false, lifecycle: { prevent_destroy: true } });
  expect(json).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
    rule: [expect.objectContaining({ apply_server_side_encryption_by_default: expect.objectContaining({ sse_algorithm: "AES256" }) })],
  });
  expect(json).toHaveResourceWithProperties(S3BucketPublicAccessBlock, { block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
  expect(json).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
  expect(json).toHaveResourceWithProperties(S3BucketLoggingA, { target_prefix: "state/" });
  expect(json).toHaveResourceWithProperties(S3Bucket, { bucket: "acme-terraform-state-logs", lifecycle: { prevent_destroy: true } });
});

test("a throwaway deployment's state bucket may be destroyed, its objects never force-deleted", () => {
  const app = Testing.app();
  const stack = new AwsStateStack(app, "t-state", { deployment: deploymentOn("aws", deployment({ dataProtection: { allowDestroy: true } })), githubRepository: REPO });
  expect(Testing.synth(stack)).toHaveResourceWithProperties(S3Bucket, { bucket: "acme-terraform-state", force_destroy: false, lifecycle: { prevent_destroy: false } });
});

test("its own state is local (it creates the remote one) and relative to the project root", () => {
  expect(tf.terraform.backend).toEqual({ local: { path: "../../../../terraform.acme-prod-state.tfstate" } });
  expect(json).not.toMatch(/"\/(home|root|work|tmp)\//);
});

test("the GitHub OIDC provider accepts STS audiences only; an existing one is looked up instead", () => {
  expect(json).toHaveResourceWithProperties(IamOpenidConnectProvider, { url: "https://token.actions.githubusercontent.com", client_id_list: ["sts.amazonaws.com"] });
  const existing = synth({ createOidcProvider: false }).json;
  expect(existing).not.toHaveResource(IamOpenidConnectProvider);
  expect(existing).toHaveDataSourceWithProperties(DataAwsIamOpenidConnectProvider, { url: "https://token.actions.githubusercontent.com" });
});

test("the apply role is trusted only by the deployment's GitHub environment, for STS", () => {
  expect(trustOf("ApplyRole")).toEqual({
    statement: [
      expect.objectContaining({
        actions: ["sts:AssumeRoleWithWebIdentity"],
        condition: [
          { test: "StringEquals", variable: "token.actions.githubusercontent.com:aud", values: ["sts.amazonaws.com"] },
          { test: "StringEquals", variable: "token.actions.githubusercontent.com:sub", values: [`repo:${REPO}:environment:acme-prod`] },
        ],
      }),
    ],
  });
  expect(json).toHaveResourceWithProperties(IamRole, { name: "acme-prod-github-apply", max_session_duration: 10800 });
});

test("the plan role is trusted by pull requests and main, read-only, and cannot read objects outside the state or secrets", () => {
  expect((trustOf("PlanRole") as { statement: { condition: unknown[] }[] }).statement[0].condition[1]).toEqual({
    test: "StringEquals",
    variable: "token.actions.githubusercontent.com:sub",
    values: [`repo:${REPO}:pull_request`, `repo:${REPO}:ref:refs/heads/main`],
  });
  expect(json).toHaveResourceWithProperties(IamRole, { name: "acme-prod-github-plan", max_session_duration: 3600 });
  // Read-only by derivation (deploy-permissions.test.ts), not by the AWS managed ReadOnlyAccess.
  const attachments = Object.values(tf.resource.aws_iam_role_policy_attachment).map((a) => String(a.policy_arn));
  expect(attachments.filter((a) => a.includes(":iam::aws:policy/"))).toEqual([]);
  const perms = policyDocs[Object.keys(policyDocs).find((k) => k.startsWith("PlanRole") && k.includes("PermissionsPolicy")) as string] as { statement: Record<string, unknown>[] };
  // Its state access in detail: __tests__/delivery/ci-secrets.test.ts.
  expect(perms.statement).toEqual([
    expect.objectContaining({ effect: "Deny", actions: ["s3:GetObject"], not_resources: expect.arrayContaining([expect.stringMatching(/:s3:::acme-terraform-state\/metadata-platform\/acme-prod-aws\.tfstate$/)]) }),
    expect.objectContaining({ effect: "Deny", actions: ["s3:GetObjectVersion*", "s3:ListBucketVersions"] }),
    expect.objectContaining({ effect: "Deny", actions: expect.arrayContaining(["secretsmanager:GetSecretValue"]) }),
  ]);
  expect(json).not.toHaveResourceWithProperties(IamRolePolicyAttachment, { policy_arn: expect.stringMatching(/:iam::aws:policy\/AdministratorAccess$/) });
});

test("role subjects must be exact: wildcards and malformed subjects are refused", () => {
  const stack = new AwsStateStack(Testing.app(), "x-state", { deployment: deploymentOn("aws", deployment()), githubRepository: REPO });
  for (const subjects of [["repo:acme/*:*"], ["repo:acme/platform:*"], [], ["acme/platform"]]) {
    expect(() => new GitHubDeployRole(stack, `R${subjects.length}${String(subjects[0])}`, { roleName: "r", oidcProviderArn: "arn", subjects })).toThrow(/exact GitHub OIDC subjects without wildcards/);
  }
});

test("bad input names the problem: a non-S3 backend, a malformed repository, a bucket name too long for its log bucket", () => {
  // An AWS deployment whose state stays local: the bootstrap would make a bucket nothing uses. (The stack takes AWS
  // deployments only, by type: a GCP deployment cannot reach it.)
  const local = deployment({ state: { backend: "local" } });
  expect(() => new AwsStateStack(Testing.app(), "g-state", { deployment: deploymentOn("aws", local), githubRepository: REPO })).toThrow(/state\.backend is 'local'; set state\.backend: s3/);
  expect(() => new AwsStateStack(Testing.app(), "r-state", { deployment: deploymentOn("aws", deployment()), githubRepository: "https://github.com/acme/x" })).toThrow(/must be owner\/name/);
  const long = deployment({ state: { backend: "s3", bucket: `a${"b".repeat(60)}`, region: "eu-west-1" } });
  expect(() => new AwsStateStack(Testing.app(), "l-state", { deployment: deploymentOn("aws", long), githubRepository: REPO })).toThrow(/too long to name its access-log bucket/);
});

test("the entry builds `<name>-state` from --config and --github-repo (or GITHUB_REPOSITORY), and requires one", () => {
  const stack = buildBootstrap(Testing.app(), ["--config", "examples/aws.yaml", "--github-repo", REPO], {});
  expect(stack.node.id).toBe("acme-prod-state");
  expect(parseBootstrapArgs([], { GITHUB_REPOSITORY: REPO })).toEqual({ githubRepository: REPO, createOidcProvider: true });
  expect(parseBootstrapArgs(["--existing-oidc-provider", "--github-repo", REPO], {}).createOidcProvider).toBe(false);
  expect(() => parseBootstrapArgs([], {})).toThrow(/--github-repo owner\/name is required/);
});

test("the bootstrap is not part of a deployment's stacks: main.ts and stacks/deployment.ts never build it", () => {
  for (const f of ["main.ts", "stacks/deployment.ts"]) expect(readFileSync(f, "utf8")).not.toMatch(/stacks\/bootstrap|scripts\/bootstrap|AwsStateStack/);
});

test("snapshot of <name>-state (review aid)", () => {
  expect(tf).toMatchSnapshot();
});

test("a successful bootstrap synth reports on stdout (the cdktf CLI shows an app's stderr as [ERROR]), nothing on stderr", () => {
  const out = mkdtempSync(path.join(tmpdir(), "bootstrap-"));
  try {
    const loader = path.join(__dirname, "..", "..", "node_modules", "tsx", "dist", "loader.mjs");
    const r = spawnSync(process.execPath, ["--import", loader, "scripts/bootstrap.ts", "--config", "examples/aws.yaml", "--github-repo", REPO], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", CDKTF_OUTDIR: out },
      timeout: 120_000,
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain(`synthesized acme-prod-state into ${out}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
