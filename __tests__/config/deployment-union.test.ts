/**
 * The deployment is a union on `cloud` (issue 19, item 4): a validated deployment holds its own cloud's
 * section and no other, by type, so each cloud stack takes its own member and re-checks nothing at run time.
 */
import { loadDeployment, readConfigFile, validateDeployment } from "../../config/load";
import { byCloud, CLOUDS, deploymentOn, DeploymentSchema, type Deployment } from "../../config/schema";
import type { AzureStackProps } from "../../stacks/azure-stack";
import type { AwsStackProps } from "../../stacks/aws-stack";
import type { GcpStackProps } from "../../stacks/gcp-stack";
import type { ImageSettings } from "../../constructs/kubernetes/images";
import { DEPLOYMENTS } from "../support/deployments";

const raw = (file: string) => readConfigFile(file) as Record<string, unknown>;

describe("the deployment union", () => {
  const shipped = DEPLOYMENTS.map(({ key, args }) => ({ key, deployment: loadDeployment(args, {}) }));

  test("every shipped deployment is its cloud's member: its own section present, no other cloud's", () => {
    expect(shipped.length).toBeGreaterThanOrEqual(10);
    for (const { key, deployment } of shipped) {
      const d: Deployment = deployment;
      expect([key, d[d.cloud] !== undefined]).toEqual([key, true]);
      for (const other of CLOUDS.filter((c) => c !== d.cloud)) expect([key, other, d[other]]).toEqual([key, other, undefined]);
      expect(deploymentOn(d.cloud, d)).toBe(d);
    }
    // All three clouds are among them, so each member is exercised.
    expect(new Set(shipped.map((s) => s.deployment.cloud))).toEqual(new Set(CLOUDS));
  });

  test("a parse the cross-field checks let through without its section is a bug report, not a user message", () => {
    const parsed = DeploymentSchema.parse(raw("examples/azure.yaml"));
    expect(byCloud(parsed)).toBe(parsed);
    expect(() => byCloud({ ...parsed, azure: undefined })).toThrow("(cloud: azure) passed validation without its azure section (a bug of config/schema.ts crossFieldIssues)");
    const gcp = DeploymentSchema.parse(raw("examples/gcp.yaml"));
    expect(() => byCloud({ ...gcp, aws: parsed.azure as never })).toThrow("(cloud: gcp) passed validation with aws settings");
  });

  test("the user's own mistakes stay field messages: no section, or another cloud's", () => {
    const noAzure = raw("examples/azure.yaml");
    delete noAzure.azure;
    expect(() => validateDeployment(noAzure, "t.yaml")).toThrow(/azure: required when cloud is azure/);
    const gcpWithAzure = { ...raw("examples/gcp.yaml"), azure: raw("examples/azure.yaml").azure };
    expect(() => validateDeployment(gcpWithAzure, "t.yaml")).toThrow(/azure: settings for azure in a gcp deployment; remove this section or change 'cloud'/);
    const awsNoSection = raw("examples/aws.yaml");
    delete awsNoSection.aws;
    expect(() => validateDeployment(awsNoSection, "t.yaml")).toThrow(/aws\.adminPrincipalArns: list at least one IAM role/);
  });

  test("deploymentOn names both clouds when given another cloud's deployment", () => {
    const azure = validateDeployment(raw("examples/azure.yaml"), "azure.yaml");
    expect(() => deploymentOn("aws", azure)).toThrow(`deployment '${azure.name}' has cloud: azure; this needs cloud: aws`);
  });

  test("each cloud stack takes only its own member (checked by the compiler: tsc fails if a line below compiles)", () => {
    const azure = deploymentOn("azure", validateDeployment(raw("examples/azure.yaml"), "azure.yaml"));
    const gcp = deploymentOn("gcp", validateDeployment(raw("examples/gcp.yaml"), "gcp.yaml"));
    const aws = deploymentOn("aws", validateDeployment(raw("examples/aws.yaml"), "aws.yaml"));
    // @ts-expect-error an AWS deployment is not an Azure stack's input
    const a: AzureStackProps = { deployment: aws };
    // @ts-expect-error an Azure deployment is not a GCP stack's input
    const g: GcpStackProps = { deployment: azure };
    // @ts-expect-error a GCP deployment is not an AWS stack's input
    const w: AwsStackProps = { deployment: gcp };
    // Each stack reads its section without a check: these compile because the member holds it.
    const sections: string[] = [azure.azure.subscriptionId, gcp.gcp.projectId, aws.aws.adminPrincipalArns[0] ?? ""];
    expect(sections).toEqual([expect.any(String), expect.any(String), expect.any(String)]);
    expect([a, g, w].map((p) => p.deployment.cloud)).toEqual(["aws", "azure", "gcp"]);
    // The constructs' own image settings type takes the deployment's images section as it is.
    const images: ImageSettings = aws.images;
    expect(images.vaultDistribution).toBe("vault");
  });
});
