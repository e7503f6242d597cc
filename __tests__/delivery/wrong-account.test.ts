import { Testing } from "cdktf";
import { readConfigFile, validateDeployment } from "../../config/load";
import { AwsStack } from "../../stacks/aws-stack";
import { AwsStateStack } from "../../stacks/bootstrap/aws-state-stack";

// Terraform's aws provider refuses to plan or apply when the credentials belong to an account not in
// allowed_account_ids (provider argument, hashicorp/aws 5.x docs: "allowed_account_ids - (Optional) List
// of allowed AWS account IDs to prevent you from mistakenly using an incorrect one"). Preflight checks
// the same earlier (preflight.test.ts).

const providerOf = (json: string) => (JSON.parse(json) as { provider: { aws: Record<string, unknown>[] } }).provider.aws[0];
const example = validateDeployment(readConfigFile("examples/aws.yaml"), "examples/aws.yaml");

test("the cloud stack pins the configured account", () => {
  expect(example.aws?.accountId).toBe("123456789012");
  const cloud = new AwsStack(Testing.app(), "acme-prod-aws", { deployment: example });
  expect(providerOf(Testing.synth(cloud))).toMatchObject({ allowed_account_ids: ["123456789012"] });
});

test("the bootstrap stack (state bucket, CI roles) pins it too", () => {
  const state = new AwsStateStack(Testing.app(), "acme-prod-state", { deployment: example, githubRepository: "acme/platform", createOidcProvider: true });
  expect(providerOf(Testing.synth(state))).toMatchObject({ allowed_account_ids: ["123456789012"] });
});

test("a local-state trial without an account sets no pin (nothing to compare with)", () => {
  const demo = validateDeployment({ ...(readConfigFile("examples/aws.yaml") as object), state: { backend: "local" }, aws: {} }, "trial");
  const cloud = new AwsStack(Testing.app(), "acme-prod-aws", { deployment: demo });
  expect(providerOf(Testing.synth(cloud)).allowed_account_ids).toBeUndefined();
});
