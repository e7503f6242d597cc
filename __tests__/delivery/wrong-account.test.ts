import { Testing } from "cdktf";
import { readConfigFile, validateDeployment } from "../../config/load";
import { AwsStack } from "../../stacks/aws-stack";
import { AwsStateStack } from "../../stacks/bootstrap/aws-state-stack";
import { OFFLINE_AWS_PROVIDER, OfflinePlanner } from "../support/offline-plan";
import { deploymentOn } from "../../config/schema";

// Terraform's aws provider refuses to plan or apply when the credentials belong to an account not in
// allowed_account_ids (provider argument, hashicorp/aws 5.x docs: "allowed_account_ids - (Optional) List
// of allowed AWS account IDs to prevent you from mistakenly using an incorrect one"). Preflight checks
// the same earlier (preflight.test.ts).

const providerOf = (json: string) => (JSON.parse(json) as { provider: { aws: Record<string, unknown>[] } }).provider.aws[0];
const example = validateDeployment(readConfigFile("examples/aws.yaml"), "examples/aws.yaml");

test("the cloud stack pins the configured account", () => {
  expect(example.aws?.accountId).toBe("123456789012");
  const cloud = new AwsStack(Testing.app(), "acme-prod-aws", { deployment: deploymentOn("aws", example) });
  expect(providerOf(Testing.synth(cloud))).toMatchObject({ allowed_account_ids: ["123456789012"] });
});

test("the bootstrap stack (state bucket, CI roles) pins it too", () => {
  const state = new AwsStateStack(Testing.app(), "acme-prod-state", { deployment: deploymentOn("aws", example), githubRepository: "acme/platform", createOidcProvider: true });
  expect(providerOf(Testing.synth(state))).toMatchObject({ allowed_account_ids: ["123456789012"] });
});

test("a local-state trial without an account sets no pin (nothing to compare with)", () => {
  const demo = validateDeployment({ ...(readConfigFile("examples/aws.yaml") as object), state: { backend: "local" }, aws: { adminPrincipalArns: ["arn:aws:iam::123456789012:role/platform-admins"] } }, "trial");
  const cloud = new AwsStack(Testing.app(), "acme-prod-aws", { deployment: deploymentOn("aws", demo) });
  expect(providerOf(Testing.synth(cloud)).allowed_account_ids).toBeUndefined();
});

test("the real aws provider enforces the pin: when it cannot confirm the account is the allowed one, it refuses to plan", () => {
  // Offline (skip_requesting_account_id), the provider does not learn the caller's account: with a pin, hashicorp/aws
  // 5.100.0 stops with "AWS account ID not allowed" rather than plan into an unconfirmed account. Online, it compares
  // the caller identity's account with allowed_account_ids the same way.
  const planner = new OfflinePlanner();
  try {
    const provider = providerOf(Testing.synth(new AwsStack(Testing.app(), "acme-prod-aws", { deployment: deploymentOn("aws", example) })));
    const config = (p: Record<string, unknown>) => ({
      terraform: { required_providers: { aws: { source: "hashicorp/aws", version: "5.100.0" } } },
      provider: { aws: [{ ...p, ...OFFLINE_AWS_PROVIDER }] },
      resource: { aws_s3_bucket: { Data: { bucket: "acme-prod-data-123456789012-eu-west-1" } } },
    });
    const pinned = planner.plan(config(provider), []);
    expect(pinned.ok).toBe(false);
    if (!pinned.ok) expect(pinned.error).toContain("AWS account ID not allowed");
    const { allowed_account_ids: _pin, ...unpinned } = provider;
    expect(planner.plan(config(unpinned), []).ok).toBe(true);
  } finally {
    planner.remove();
  }
}, 300_000);
