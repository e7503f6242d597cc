import type { Construct } from "constructs";
import type { TerraformStack } from "cdktf";
import type { Cloud, Deployment } from "../config/schema";
import type { PlatformFoundation } from "../platform/platform-foundation";
import { TerraformTextEscaping } from "../lib/terraform-text";
import { addDeploymentOutputs } from "./deployment-outputs";
import { Policy } from "../policy";
import { stackIds } from "./stack-ids";
import { VaultStack } from "./vault-stack";
import { VaultConfigStack } from "./vault-config-stack";
import { PlatformStack } from "./platform-stack";

/** A cloud stack: Terraform stack plus the contract it fulfils. */
export interface CloudStack extends TerraformStack {
  readonly foundation: PlatformFoundation;
}

/** A cloud's stack receives that cloud's member of the deployment union: its own section, typed. */
type CloudStackFactories = { [C in Cloud]: (scope: Construct, id: string, deployment: Extract<Deployment, { cloud: C }>) => CloudStack };

/*
 * One entry per cloud; nothing else differs per cloud. Each is loaded on demand: a deployment uses
 * one cloud, and loading a cloud provider's classes costs ~0.35 s and ~40 MB of every synth.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const CLOUD_STACKS: CloudStackFactories = {
  aws: (scope, id, deployment) => new (require("./aws-stack") as typeof import("./aws-stack")).AwsStack(scope, id, { deployment }),
  azure: (scope, id, deployment) => new (require("./azure-stack") as typeof import("./azure-stack")).AzureStack(scope, id, { deployment }),
  gcp: (scope, id, deployment) => new (require("./gcp-stack") as typeof import("./gcp-stack")).GcpStack(scope, id, { deployment }),
};
/* eslint-enable @typescript-eslint/no-require-imports */

function cloudStack(scope: Construct, id: string, d: Deployment): CloudStack {
  switch (d.cloud) {
    case "aws":
      return CLOUD_STACKS.aws(scope, id, d);
    case "azure":
      return CLOUD_STACKS.azure(scope, id, d);
    case "gcp":
      return CLOUD_STACKS.gcp(scope, id, d);
  }
}

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
  const cloud = cloudStack(scope, ids.cloud, deployment);
  const foundation = cloud.foundation;
  const vault = new VaultStack(scope, ids.vault, { deployment, foundation });
  const vaultConfig = new VaultConfigStack(scope, ids.vaultConfig, { deployment, foundation });
  vaultConfig.addDependency(vault);
  const platform = new PlatformStack(scope, ids.platform, { deployment, foundation });
  platform.addDependency(vault);
  platform.addDependency(vaultConfig);
  // Images are pulled by digest where the deployment's lock pins them; only `images.digestsRequired` makes a
  // missing digest a policy failure (K8S-28), naming the image and `npm run images:lock`.
  if (!deployment.images.digestsRequired) for (const stack of [vault, platform]) Policy.digestsOptional(stack);
  // Literal text (scripts, configs, templates) reaches Terraform escaped, whatever construct embeds it.
  for (const stack of [cloud, vault, vaultConfig, platform]) TerraformTextEscaping.applyTo(stack);
  const stacks = { cloud, vault, vaultConfig, platform };
  // Where the platform is and what to do next, for `npm run deploy` and CI (nothing sensitive).
  addDeploymentOutputs(stacks, deployment);
  return stacks;
}
