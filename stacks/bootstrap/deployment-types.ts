import { App, type TerraformStack } from "cdktf";
import type { Deployment } from "../../config/schema";
import { buildDeployment } from "../deployment";

/**
 * The deployment's four stacks, built (not synthesized to disk) in an app of their own, so a bootstrap
 * stack can derive its deploy identities from exactly what the deployment will synthesize (all but the
 * terraform_remote_state reads cdktf adds while writing, which need no cloud permission).
 */
export function deploymentStacks(deployment: Deployment): TerraformStack[] {
  const stacks = buildDeployment(new App({ skipValidation: true }), deployment);
  const all = [stacks.cloud, stacks.vault, stacks.vaultConfig, stacks.platform];
  for (const s of all) s.prepareStack();
  return all;
}
