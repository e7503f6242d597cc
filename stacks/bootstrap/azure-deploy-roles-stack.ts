import type { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { AzureDeployment } from "../../config/schema";
import { requirePermissions, synthesizedTypes } from "./deploy-permissions";
import { deploymentStacks } from "./deployment-types";

/** Props of {@link AzureDeployRolesStack}. */
export interface AzureDeployRolesStackProps {
  /** An Azure deployment (its `azure` section names the subscription and the plan/apply identities). */
  readonly deployment: AzureDeployment;
}

/**
 * `<name>-deploy-roles`: the least-privilege deploy identities of an Azure deployment, in place of Owner. Two custom
 * roles whose actions are DERIVED from the resource types the deployment synthesizes (permission-facts.ts): the
 * plan role only reads, the apply role reads and writes. No `*` action, no Owner, no Contributor. Assigned at the
 * subscription (the deployment creates its own resource groups) to `azure.deployerObjectId` (apply) and
 * `azure.planObjectId` (plan). Key Vault key operations are data actions the cloud stack grants per vault itself.
 * Its own state stays local (terraform.<name>-deploy-roles.tfstate): it holds no secret.
 */
export class AzureDeployRolesStack extends TerraformStack {
  readonly planRole: RoleDefinition;
  readonly applyRole: RoleDefinition;

  constructor(scope: Construct, id: string, props: AzureDeployRolesStackProps) {
    super(scope, id);
    const d = props.deployment;
    const az = d.azure;
    new LocalBackend(this, { path: `../../../../terraform.${id}.tfstate` });
    new AzurermProvider(this, "Azurerm", { subscriptionId: az.subscriptionId, tenantId: az.tenantId, features: [{}], storageUseAzuread: true });
    const subscription = `/subscriptions/${az.subscriptionId}`;
    const derived = requirePermissions("azure", synthesizedTypes(deploymentStacks(d)));
    const role = (roleId: string, name: string, description: string, actions: readonly string[]) =>
      new RoleDefinition(this, roleId, { name, scope: subscription, description, permissions: [{ actions: [...actions] }], assignableScopes: [subscription] });
    this.planRole = role("PlanRole", `${d.name}-deploy-plan`, `Plans ${d.name}: reads what its stacks refresh (derived from the synthesized resource types)`, derived.read);
    this.applyRole = role("ApplyRole", `${d.name}-deploy-apply`, `Applies ${d.name}: creates, updates and deletes what its stacks hold (derived from the synthesized resource types)`, [...derived.read, ...derived.write]);
    new RoleAssignment(this, "ApplyAssignment", { scope: subscription, roleDefinitionId: this.applyRole.roleDefinitionResourceId, principalId: az.deployerObjectId });
    if (az.planObjectId) new RoleAssignment(this, "PlanAssignment", { scope: subscription, roleDefinitionId: this.planRole.roleDefinitionResourceId, principalId: az.planObjectId });
    new TerraformOutput(this, "plan_role_id", { value: this.planRole.roleDefinitionResourceId });
    new TerraformOutput(this, "apply_role_id", { value: this.applyRole.roleDefinitionResourceId });
  }
}
