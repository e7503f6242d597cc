import type { Construct } from "constructs";
import type { TerraformStack } from "cdktf";
import type { Cloud, Deployment } from "../config/schema";
import type { PlatformFoundation } from "./platform-foundation";
import { stackIds } from "./stack-ids";
import { AwsStack } from "./aws-stack";
import { VaultStack } from "./vault-stack";
import { VaultConfigStack } from "./vault-config-stack";
import { PlatformStack } from "./platform-stack";

/** A cloud stack: Terraform stack plus the contract it fulfils. */
export interface CloudStack extends TerraformStack {
  readonly foundation: PlatformFoundation;
}

/** Builds the cloud stack of one deployment. One entry per cloud; nothing else differs per cloud. */
const CLOUD_STACKS: Record<Cloud, ((scope: Construct, id: string, deployment: Deployment) => CloudStack) | undefined> = {
  aws: (scope, id, deployment) => new AwsStack(scope, id, { deployment }),
  azure: undefined,
  gcp: undefined,
};

/** The stacks of one deployment, in dependency order. */
export interface DeploymentStacks {
  readonly cloud: CloudStack;
  readonly vault: VaultStack;
  readonly vaultConfig: VaultConfigStack;
  readonly platform: PlatformStack;
}

/** Builds every stack of a validated deployment into `scope` (the app). */
export function buildDeployment(scope: Construct, deployment: Deployment): DeploymentStacks {
  const ids = stackIds(deployment);
  const makeCloud = CLOUD_STACKS[deployment.cloud];
  if (!makeCloud) throw new Error(`cloud '${deployment.cloud}' has no cloud stack in this version`);
  const cloud = makeCloud(scope, ids.cloud, deployment);
  const foundation = cloud.foundation;
  if (!foundation) throw new Error(`the ${deployment.cloud} stack does not expose its PlatformFoundation yet; the vault stacks need it`);
  const vault = new VaultStack(scope, ids.vault, { deployment, foundation });
  const vaultConfig = new VaultConfigStack(scope, ids.vaultConfig, { deployment, foundation });
  vaultConfig.addDependency(vault);
  const platform = new PlatformStack(scope, ids.platform, { deployment, foundation });
  platform.addDependency(vault);
  platform.addDependency(vaultConfig);
  return { cloud, vault, vaultConfig, platform };
}
