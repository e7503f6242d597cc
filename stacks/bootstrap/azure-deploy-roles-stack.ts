import type { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { AzureDeployment } from "../../config/schema";
import { builtInRoleId, deploymentRoleGuid, deploymentRoleSpecs, type DeploymentRoleKind } from "../../constructs/azure/deployment-roles";
import { stateLocation } from "../backend";
import { stackIds } from "../stack-ids";
import { AZURE_DELEGATION_FACTS, ROLE_ASSIGNMENT_WRITES, delegationCondition, roleGrants } from "./azure-grant-condition";
import { AZURE_BLOB_CONDITION_FACTS, STATE_CONTAINER_ROLES, STATE_ROLE_DATA_ACTIONS, stateBlobsCondition } from "./azure-state-condition";
import { requirePermissions, synthesizedTypes } from "./deploy-permissions";
import { deploymentStacks } from "./deployment-types";

/** Props of {@link AzureDeployRolesStack}. */
export interface AzureDeployRolesStackProps {
  /** An Azure deployment (its `azure` section names the subscription and the plan/apply identities). */
  readonly deployment: AzureDeployment;
}

/**
 * `<name>-deploy-roles`: the least-privilege deploy identities of an Azure deployment, in place of Owner. Custom
 * roles whose actions are DERIVED from the resource types the deployment synthesizes (permission-facts.ts): the
 * plan role only reads, the apply role reads and writes, except role assignment, which is a grant role of its own
 * (`<name>-deploy-grants`, roleAssignments/write and delete) assigned with an ABAC condition: the apply identity may
 * create and delete only the assignments the deployment's stacks make (delegationCondition), so it cannot make itself
 * Owner. It also defines the custom roles the cloud stack assigns (the key deployer, the cluster reader) under fixed ids
 * (constructs/azure/deployment-roles.ts), so the apply identity needs no roleDefinitions/write. No `*` action, no Owner,
 * no Contributor. Assigned at the subscription (the deployment creates its own resource groups) to
 * `azure.deployerObjectId` (apply) and `azure.planObjectId` (plan). With `state.backend: azurerm` it also gives them the
 * state container (Storage Blob Data Contributor / Reader) on an ABAC condition: only the deployment's own stacks'
 * state blobs (`<keyPrefix>/<stack id>.tfstate`, stacks/backend.ts) and their workspace listing, never another
 * deployment's state in the same container (stateBlobsCondition). Its own state stays local
 * (terraform.<name>-deploy-roles.tfstate): it holds no secret.
 */
export class AzureDeployRolesStack extends TerraformStack {
  readonly planRole: RoleDefinition;
  readonly applyRole: RoleDefinition;
  /** roleAssignments/write and delete, assigned to the apply identity on condition. */
  readonly grantRole: RoleDefinition;
  /** The custom roles the cloud stack assigns, by their fixed ids. */
  readonly deploymentRoles: Readonly<Record<DeploymentRoleKind, RoleDefinition>>;

  constructor(scope: Construct, id: string, props: AzureDeployRolesStackProps) {
    super(scope, id);
    const d = props.deployment;
    const az = d.azure;
    new LocalBackend(this, { path: `../../../../terraform.${id}.tfstate` });
    new AzurermProvider(this, "Azurerm", { subscriptionId: az.subscriptionId, tenantId: az.tenantId, features: [{}], storageUseAzuread: true });
    const subscription = `/subscriptions/${az.subscriptionId}`;
    const stacks = deploymentStacks(d);
    const derived = requirePermissions("azure", synthesizedTypes(stacks));
    const role = (roleId: string, name: string, description: string, actions: readonly string[]) =>
      new RoleDefinition(this, roleId, { name, scope: subscription, description, permissions: [{ actions: [...actions] }], assignableScopes: [subscription] });
    const grant = new Set<string>(ROLE_ASSIGNMENT_WRITES);
    this.planRole = role("PlanRole", `${d.name}-deploy-plan`, `Plans ${d.name}: reads what its stacks refresh (derived from the synthesized resource types)`, derived.read);
    this.applyRole = role(
      "ApplyRole",
      `${d.name}-deploy-apply`,
      `Applies ${d.name}: creates, updates and deletes what its stacks hold (derived from the synthesized resource types); role assignments through ${d.name}-deploy-grants`,
      [...derived.read, ...derived.write.filter((a) => !grant.has(a))],
    );
    this.grantRole = role("GrantRole", `${d.name}-deploy-grants`, `Creates and deletes the role assignments ${d.name}'s stacks make, nothing else (assigned on condition)`, derived.write.filter((a) => grant.has(a)));

    const specs = deploymentRoleSpecs(d.name, d.dataProtection.allowDestroy);
    const custom = (kind: DeploymentRoleKind, constructId: string) =>
      new RoleDefinition(this, constructId, {
        roleDefinitionId: deploymentRoleGuid(az.subscriptionId, d.name, kind),
        name: specs[kind].name,
        scope: subscription,
        description: specs[kind].description,
        permissions: [{ actions: [], dataActions: [...specs[kind].dataActions], notActions: [], notDataActions: [] }],
        assignableScopes: [subscription],
      });
    this.deploymentRoles = { keyDeployer: custom("keyDeployer", "KeyDeployerRole"), clusterReader: custom("clusterReader", "ClusterReaderRole") };

    new RoleAssignment(this, "ApplyAssignment", { scope: subscription, roleDefinitionId: this.applyRole.roleDefinitionResourceId, principalId: az.deployerObjectId });
    new RoleAssignment(this, "GrantAssignment", {
      scope: subscription,
      roleDefinitionId: this.grantRole.roleDefinitionResourceId,
      principalId: az.deployerObjectId,
      description: "Role assignments of the deployment's stacks only: each of their roles, to whom the stacks give it (ABAC delegation condition).",
      condition: delegationCondition(roleGrants(stacks, az), az),
      conditionVersion: AZURE_DELEGATION_FACTS.conditionVersion.value,
    });
    if (az.planObjectId) new RoleAssignment(this, "PlanAssignment", { scope: subscription, roleDefinitionId: this.planRole.roleDefinitionResourceId, principalId: az.planObjectId });
    const state = d.state;
    if (state.backend === "azurerm") {
      // The backend finds the account in the subscription it runs with: the deployment's.
      const container = `${subscription}/resourceGroups/${state.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${state.storageAccountName}/blobServices/default/containers/${state.containerName}`;
      const blobs = Object.values(stackIds(d)).map((id) => stateLocation(state, id));
      const onState = (constructId: string, who: "apply" | "plan", principalId: string) =>
        new RoleAssignment(this, constructId, {
          scope: container,
          roleDefinitionId: `${subscription}/providers/Microsoft.Authorization/roleDefinitions/${builtInRoleId(STATE_CONTAINER_ROLES[who])}`,
          principalId,
          description: `Terraform state of ${d.name}'s stacks only (ABAC condition on the blob path): ${blobs.join(", ")}.`,
          condition: stateBlobsCondition(blobs, STATE_ROLE_DATA_ACTIONS[who]),
          conditionVersion: AZURE_BLOB_CONDITION_FACTS.conditionVersion.value,
        });
      onState("ApplyStateAssignment", "apply", az.deployerObjectId);
      if (az.planObjectId) onState("PlanStateAssignment", "plan", az.planObjectId);
    }
    new TerraformOutput(this, "plan_role_id", { value: this.planRole.roleDefinitionResourceId });
    new TerraformOutput(this, "apply_role_id", { value: this.applyRole.roleDefinitionResourceId });
  }
}
