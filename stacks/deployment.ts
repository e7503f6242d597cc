import type { Construct } from "constructs";
import type { TerraformStack } from "cdktf";
import type { Cloud, Deployment } from "../config/schema";
import type { PlatformFoundation } from "./platform-foundation";
import { stackIds } from "./stack-ids";
import { AwsStack } from "./aws-stack";
import { GcpStack } from "./gcp-stack";
import { AzureStack } from "./azure-stack";

/** A cloud stack: Terraform stack plus the contract it fulfils. */
export interface CloudStack extends TerraformStack {
  readonly foundation: PlatformFoundation;
}

/** Builds the cloud stack of one deployment. One entry per cloud; nothing else differs per cloud. */
const CLOUD_STACKS: Record<Cloud, ((scope: Construct, id: string, deployment: Deployment) => CloudStack) | undefined> = {
  aws: (scope, id, deployment) => new AwsStack(scope, id, { deployment }),
  gcp: (scope, id, deployment) => new GcpStack(scope, id, { deployment }),
  azure: (scope, id, deployment) => new AzureStack(scope, id, { deployment }),
};

/** The stacks of one deployment, in dependency order. */
export interface DeploymentStacks {
  readonly cloud: CloudStack;
}

/** Builds every stack of a validated deployment into `scope` (the app). */
export function buildDeployment(scope: Construct, deployment: Deployment): DeploymentStacks {
  const ids = stackIds(deployment);
  const makeCloud = CLOUD_STACKS[deployment.cloud];
  if (!makeCloud) throw new Error(`cloud '${deployment.cloud}' has no cloud stack in this version`);
  const cloud = makeCloud(scope, ids.cloud, deployment);
  return { cloud };
}
