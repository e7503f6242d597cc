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
import { federatedIdentityGroups, grantScopes, identityGroups, vaultGroups } from "./azure-grant-scopes";
import { ResourceGroupPolicyAssignment } from "@cdktf/provider-azurerm/lib/resource-group-policy-assignment";
import { writeScopes } from "./azure-write-scopes";
import { AZURE_ADMIN_ONLY_ACTIONS } from "./azure-admin-only";
import { runnerDnsPolicyRule, runnerLinkNames } from "./azure-runner-dns-policy";
import { PolicyDefinition } from "@cdktf/provider-azurerm/lib/policy-definition";
import { createHash } from "node:crypto";
import { ResourceGroup } from "../../constructs/azure/resource-group";
import { azureResourceGroups, type AzureGroupKind } from "../azure-resource-groups";
import { idOf } from "../../lib/construct-id";
import { deploymentStacks } from "./deployment-types";
import { AZURE_PROVIDER_REGISTRATION } from "../azure-stack";
import { AKS_FACTS } from "../../constructs/azure/azure-facts";

/**
 * A custom role's id as an assignment at `scope` names it. Azure answers an assignment's roleDefinitionId under the
 * assignment's own subscription, and azurerm stores it as answered with `role_definition_id` forcing a new
 * assignment (internal/services/authorization/role_assignment_resource.go: read sets props.RoleDefinitionId; the
 * attribute is ForceNew with only a case-insensitive diff suppression; hashicorp/terraform-provider-azurerm#8558,
 * #4847): at a scope in another subscription, an id under the defining subscription would replace the assignment on
 * every apply. So there the id is written under the scope's subscription.
 */
export function roleIdAt(role: RoleDefinition, scope: string, subscriptionId: string): string {
  const at = /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1];
  if (!at || at.toLowerCase() === subscriptionId.toLowerCase()) return role.roleDefinitionResourceId;
  return `/subscriptions/${at}/providers/Microsoft.Authorization/roleDefinitions/${role.roleDefinitionId}`;
}

/** Props of {@link AzureDeployRolesStack}. */
export interface AzureDeployRolesStackProps {
  /** An Azure deployment (its `azure` section names the subscription and the plan/apply identities). */
  readonly deployment: AzureDeployment;
  /**
   * The deployment's resource groups exist already (a deployment whose cloud stack created them before the bootstrap
   * did): import them into this stack's state instead of creating them (`scripts/bootstrap.ts --adopt-groups`).
   * Harmless once they are in this state (AZURE_RESOURCE_GROUP_FACTS.importInStateIsNoOp).
   * @default false - the bootstrap creates them
   */
  readonly adoptExistingGroups?: boolean;
}

/**
 * Reads that hand out a credential: never at the subscription. Listing a cluster's user credentials (what a refresh
 * of azurerm_kubernetes_cluster calls, AKS_FACTS.readListsUserCredential) gives a kubeconfig, and "on clusters that
 * do not use Azure AD, the clusterUser role has same effect of clusterAdmin role"
 * (https://learn.microsoft.com/en-us/azure/aks/control-kubeconfig-access): at the subscription it would reach every
 * cluster there. The apply identity holds it through `<name>-deploy-writes` at the deployment's groups; the plan
 * identity through the Cluster User role the cloud stack gives it on the deployment's cluster.
 */
export const CLUSTER_SCOPED_READS: readonly string[] = [AKS_FACTS.readListsUserCredential.value];

/**
 * With the access-policy permission model, anyone who may write a vault (`Microsoft.KeyVault/vaults/write`, which the
 * apply identity holds in the deployment's groups to create and update its vaults) "can grant themselves data plane
 * access by setting a Key Vault access policy" (https://learn.microsoft.com/azure/key-vault/general/rbac-access-policy):
 * CI could turn a vault's RBAC off and read or use its keys. The built-in policy "Azure Key Vault should use RBAC
 * permission model", assigned with effect Deny at the groups holding the vaults, refuses that update (its rule: type
 * Microsoft.KeyVault/vaults, createMode not recover, enableRbacAuthorization absent or false). CI holds no policy
 * assignment action, so it cannot lift it.
 */
export const VAULT_RBAC_ONLY_POLICY = {
  definitionId: "/providers/Microsoft.Authorization/policyDefinitions/12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5",
  effect: "Deny",
  source: "https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/Key%20Vault/Should_Use_RBAC.json (version 1.0.1; allowedValues Audit, Deny, Disabled)",
} as const;

/** The identity actions (managed identities and their federated credentials): only at the groups holding the deployment's identities. */
export const IDENTITY_ACTION_PREFIX = "Microsoft.ManagedIdentity/";

/**
 * The writes that change or delete a whole resource group or its management locks: only at the deployment's own groups
 * (`<name>-deploy-groups`), never at the subscription. The bootstrap creates the groups, so the apply identity only
 * updates them (tags) and writes the data group's CanNotDelete lock; at the subscription these would let it lift any
 * lock of the subscription (the state account's group's included, which is what keeps the state container) and delete
 * any group. A role assigned at a resource group applies to that group itself and everything in it
 * (https://learn.microsoft.com/azure/role-based-access-control/scope-overview: "you can assign a role at ... resource
 * group ... scope"; lower scopes inherit; a lock is a child of its scope, Microsoft.Authorization/locks at the group).
 */
export const GROUP_WRITES = /^Microsoft\.(Authorization\/locks|Resources\/subscriptions\/resourceGroups)\/write$/;

/**
 * Never granted to CI, at any scope: lifting a lock and deleting a group. The data group's CanNotDelete lock guards the
 * platform's data; with `locks/delete` at that group a pipeline could lift it and then delete the group. They are needed
 * only to tear down (a destroy) or to lift the lock when `dataProtection.allowDestroy` turns true: an administrator's
 * apply (docs/deployment-guide.md).
 */
export const GROUP_DELETES = ["Microsoft.Authorization/locks/delete", "Microsoft.Resources/subscriptions/resourceGroups/delete"] as const;

/**
 * `<name>-deploy-roles`: the least-privilege deploy identities of an Azure deployment, in place of Owner. Custom
 * roles whose actions are DERIVED from the resource types the deployment synthesizes (permission-facts.ts): the
 * plan role only reads, the apply role reads and writes, except role assignment and identities, which are roles of
 * their own assigned only where the deployment's stacks need them:
 * - `<name>-deploy-grants` (roleAssignments/write and delete) with an ABAC condition: the apply identity may create
 *   and delete only the assignments the deployment's stacks make (delegationCondition), so it cannot make itself
 *   Owner. A delegation condition cannot see the scope, so the role is assigned only at the scopes those assignments
 *   lie in (grantScopes, read from the stacks' azurerm_role_assignment scopes): the deployment's resource groups and
 *   the customer's resources it assigns roles on (an existing VNet, a certificate's secret), never the subscription
 *   (AZURE_SCOPE_FACTS: an assignment reaches its scope and what lies under it).
 * - `<name>-deploy-identities` (userAssignedIdentities write, delete and assign/action) only at the groups holding the
 *   deployment's user-assigned identities (identityGroups): it cannot attach any other identity of the subscription.
 *   AKS's kubelet identity is not among them: AKS creates it in the node resource group itself (AKS_IDENTITY_FACTS).
 *   Federated credentials are written by no CI identity (AZURE_ADMIN_ONLY_ACTIONS): an administrator applies them.
 * - `<name>-deploy-groups` (resource group and management lock writes, GROUP_WRITES) only at the deployment's three
 *   groups; lifting a lock and deleting a group (GROUP_DELETES) are granted nowhere: no lock is lifted, and no group
 *   deleted, from CI.
 * To assign at the groups before the cloud stack runs, the bootstrap CREATES the deployment's resource groups
 * (`<name>-network`, `<name>-cluster`, `<name>-data`, stacks/azure-resource-groups.ts; kept from destroy) and the
 * cloud stack adopts them by import blocks, under its own addresses. The data group's CanNotDelete lock stays the
 * cloud stack's: it follows dataProtection.allowDestroy, and the group holds no data before the cloud stack runs.
 * The apply role stays at the subscription: its writes reach beyond the deployment's groups (the flow log in Azure's
 * NetworkWatcherRG, the peering on the runner's VNet, records in the customer's DNS zones, an existing VNet's subnets,
 * private endpoints to the customer's vaults), and it reads the subscription.
 * It also defines the custom roles the cloud stack assigns (the key deployer, the cluster reader) under fixed ids
 * (constructs/azure/deployment-roles.ts), so the apply identity needs no roleDefinitions/write. No `*` action, no
 * Owner, no Contributor. The plan role (`azure.planObjectId`) is assigned at the subscription. With `state.backend:
 * azurerm` it also gives both identities the state container (Storage Blob Data Contributor / Reader) on an ABAC
 * condition: only the deployment's own stacks' state blobs (`<keyPrefix>/<stack id>.tfstate`, stacks/backend.ts) and
 * their workspace listing, never another deployment's state in the same container (stateBlobsCondition). Its own
 * state stays local (terraform.<name>-deploy-roles.tfstate): it holds no secret.
 */
export class AzureDeployRolesStack extends TerraformStack {
  readonly planRole: RoleDefinition;
  readonly applyRole: RoleDefinition;
  /** The writes in the deployment's groups (writeScopes), assigned to the apply identity at those groups. */
  readonly writeRole: RoleDefinition;
  /** Exactly the writes at each customer's resource outside the groups, one role per set of actions, by scope. */
  readonly externalWrites: readonly { readonly scope: string; readonly role: RoleDefinition }[];
  /** roleAssignments/write and delete, assigned to the apply identity on condition. */
  readonly grantRole: RoleDefinition;
  /** The identity actions, assigned to the apply identity at the groups holding the deployment's identities. */
  readonly identityRole: RoleDefinition;
  /** The federated credentials' writes (AZURE_ADMIN_ONLY_ACTIONS), assigned to no one: an administrator's, per apply. */
  readonly federationRole?: RoleDefinition;
  /** The group and lock writes (GROUP_WRITES), assigned to the apply identity at the deployment's groups. */
  readonly groupRole: RoleDefinition;
  /** The deployment's resource groups, created here and adopted by the cloud stack. */
  readonly groups: Readonly<Record<AzureGroupKind, ResourceGroup>>;
  /** The custom roles the cloud stack assigns, by their fixed ids. */
  readonly deploymentRoles: Readonly<Record<DeploymentRoleKind, RoleDefinition>>;

  constructor(scope: Construct, id: string, props: AzureDeployRolesStackProps) {
    super(scope, id);
    const d = props.deployment;
    const az = d.azure;
    new LocalBackend(this, { path: `../../../../terraform.${id}.tfstate` });
    const subscription = `/subscriptions/${az.subscriptionId}`;
    const stacks = deploymentStacks(d);
    const derived = requirePermissions("azure", synthesizedTypes(stacks));
    // The resource providers the stacks' actions belong to, registered here by the administrator (AZURE_PROVIDER_REGISTRATION).
    const always = new Set<string>(AZURE_PROVIDER_REGISTRATION.alwaysRegistered.value);
    const cluster = synthesizedTypes(stacks).includes("azurerm_kubernetes_cluster") ? AZURE_PROVIDER_REGISTRATION.withCluster.value : [];
    const namespaces = [...new Set([...derived.read, ...derived.write].map((a) => a.split("/")[0]).concat(cluster))].filter((n) => !always.has(n)).sort();
    new AzurermProvider(this, "Azurerm", {
      subscriptionId: az.subscriptionId,
      tenantId: az.tenantId,
      features: [{}],
      storageUseAzuread: true,
      resourceProviderRegistrations: "none",
      resourceProvidersToRegister: namespaces,
    });
    const role = (roleId: string, name: string, description: string, actions: readonly string[]) =>
      new RoleDefinition(this, roleId, { name, scope: subscription, description, permissions: [{ actions: [...actions] }], assignableScopes: [subscription] });
    const grant = new Set<string>(ROLE_ASSIGNMENT_WRITES);
    const identity = (a: string) => a.startsWith(IDENTITY_ACTION_PREFIX);
    const atSubscription = derived.read.filter((a) => !CLUSTER_SCOPED_READS.includes(a));
    this.planRole = role("PlanRole", `${d.name}-deploy-plan`, `Plans ${d.name}: reads what its stacks refresh (derived from the synthesized resource types)`, atSubscription);
    this.applyRole = role(
      "ApplyRole",
      `${d.name}-deploy-apply`,
      `Applies ${d.name}: reads what its stacks refresh, at the subscription; its writes through ${d.name}-deploy-writes (its groups) and ${d.name}-deploy-at-* (the customer's resources it writes under or names), role assignments through ${d.name}-deploy-grants, identities through ${d.name}-deploy-identities, its groups and their locks through ${d.name}-deploy-groups`,
      atSubscription,
    );
    const elsewhere = (a: string) => grant.has(a) || identity(a) || GROUP_WRITES.test(a) || (GROUP_DELETES as readonly string[]).includes(a);
    const writes = writeScopes(stacks, az, azureResourceGroups(d), new Set(derived.read), elsewhere);
    const inGroups = [...new Set([...Object.values(writes.groups).flat(), ...derived.read.filter((a) => CLUSTER_SCOPED_READS.includes(a))])].sort();
    this.writeRole = role("WriteRole", `${d.name}-deploy-writes`, `Creates, updates and deletes ${d.name}'s resources (assigned at its resource groups only)`, inGroups);
    const scopes = grantScopes(stacks, az, azureResourceGroups(d));
    // A customer's resource in another subscription of the tenant (a certificate's vault): the grant role must be assignable there.
    const otherSubscriptions = [...new Set(scopes.external.map((s) => s.split("/").slice(0, 3).join("/").toLowerCase()))].filter((s) => s !== subscription.toLowerCase()).sort();
    this.grantRole = new RoleDefinition(this, "GrantRole", {
      name: `${d.name}-deploy-grants`,
      scope: subscription,
      description: `Creates and deletes the role assignments ${d.name}'s stacks make, nothing else (assigned on condition, where they lie)`,
      permissions: [{ actions: derived.write.filter((a) => grant.has(a)) }],
      assignableScopes: [subscription, ...otherSubscriptions],
    });
    const adminOnly = new Set<string>(AZURE_ADMIN_ONLY_ACTIONS.value);
    const federation = derived.write.filter((a) => adminOnly.has(a));
    if (federation.length) {
      this.federationRole = role("FederationRole", `${d.name}-deploy-federation`, `Writes ${d.name}'s managed identities' federated credentials; assigned to no one by the bootstrap: an administrator assigns it for one apply`, federation);
    }
    this.identityRole = role(
      "IdentityRole",
      `${d.name}-deploy-identities`,
      `Creates, deletes and attaches ${d.name}'s managed identities (assigned at the groups holding them); never writes their federated credentials (an administrator's apply)`,
      derived.write.filter((a) => identity(a) && !adminOnly.has(a)),
    );
    this.groupRole = role("GroupRole", `${d.name}-deploy-groups`, `Updates ${d.name}'s resource groups and writes their locks (assigned at those groups only; never lifts a lock nor deletes a group)`, derived.write.filter((a) => GROUP_WRITES.test(a)));

    const groupSpecs = azureResourceGroups(d);
    const group = (kind: AzureGroupKind) => {
      const g = groupSpecs[kind];
      const rg = new ResourceGroup(this, g.constructId, { name: g.name, location: g.location, tags: g.tags, allowDestroy: true, ...(props.adoptExistingGroups ? { adoptFrom: g.id } : {}) });
      // Destroying the bootstrap must not take the deployment with it: `terraform state rm` the groups first (docs).
      // The tags are the cloud stack's once it has adopted the group (both states hold it): set here at creation only.
      rg.resource.lifecycle = { preventDestroy: true, ignoreChanges: ["tags"] };
      return rg;
    };
    this.groups = { network: group("network"), cluster: group("cluster"), data: group("data") };

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
    for (const kind of Object.keys(writes.groups) as AzureGroupKind[]) {
      new RoleAssignment(this, `Writes${groupSpecs[kind].constructId}`, {
        scope: this.groups[kind].id,
        roleDefinitionId: this.writeRole.roleDefinitionResourceId,
        principalId: az.deployerObjectId,
        description: `${d.name}'s resources in ${groupSpecs[kind].name} only.`,
      });
    }
    // One role per set of actions, assignable in each subscription those scopes lie in; one assignment per scope.
    // Outside the deployment's subscription the apply identity also reads its own resources there (their `reads`),
    // and the plan identity only reads them.
    const roles = new Map<string, RoleDefinition>();
    const roleFor = (kind: "at" | "plan-at", actions: readonly string[], scopes: readonly string[]) => {
      const key = `${kind} ${actions.join(" ")}`;
      const known = roles.get(key);
      if (known) return known;
      const digest = createHash("sha256").update(actions.join(" ")).digest("hex").slice(0, 8);
      const subscriptions = [...new Set([subscription, ...scopes.map((x) => x.split("/").slice(0, 3).join("/"))].map((x) => x.toLowerCase()))].map((x) => (x === subscription.toLowerCase() ? subscription : x));
      const r = new RoleDefinition(this, `${kind === "at" ? "ExternalRole" : "PlanExternalRole"}${digest}`, {
        name: `${d.name}-deploy-${kind}-${digest}`,
        scope: subscription,
        // The scopes are named by each assignment's description (a role description holds up to 1,024 characters).
        description: kind === "at"
          ? `Exactly what ${d.name}'s stacks write under, or link to, the customer's resources it is assigned on (${scopes.length})`
          : `Reads of ${d.name}'s own resources under the customer's resources it is assigned on, in another subscription (${scopes.length})`,
        permissions: [{ actions: [...actions] }],
        assignableScopes: subscriptions,
      });
      roles.set(key, r);
      return r;
    };
    const applyActions = (w: (typeof writes.external)[number]) => [...new Set([...w.actions, ...w.reads])].sort();
    const external: { scope: string; role: RoleDefinition }[] = [];
    for (const w of writes.external) {
      const actions = applyActions(w);
      const r = roleFor("at", actions, writes.external.filter((x) => applyActions(x).join(" ") === actions.join(" ")).map((x) => x.scope));
      // Named by the path under the deployment's subscription (or the whole id in another one): unique per scope.
      const own = w.scope.toLowerCase().startsWith(`${subscription.toLowerCase()}/`);
      const at = idOf(own ? w.scope.slice(subscription.length) : w.scope);
      new RoleAssignment(this, `WritesAt${at}`, {
        scope: w.scope,
        roleDefinitionId: roleIdAt(r, w.scope, az.subscriptionId),
        principalId: az.deployerObjectId,
        description: `What ${d.name}'s stacks need on ${w.scope}: ${actions.join(", ")}.`,
      });
      external.push({ scope: w.scope, role: r });
      if (az.planObjectId && w.reads.length > 0) {
        const p = roleFor("plan-at", w.reads, writes.external.filter((x) => x.reads.join(" ") === w.reads.join(" ")).map((x) => x.scope));
        new RoleAssignment(this, `PlanReadsAt${at}`, {
          scope: w.scope,
          roleDefinitionId: roleIdAt(p, w.scope, az.subscriptionId),
          principalId: az.planObjectId,
          description: `What ${d.name}'s plans refresh on ${w.scope}, outside the deployment's subscription: ${w.reads.join(", ")}.`,
        });
      }
    }
    this.externalWrites = external;
    const condition = delegationCondition(roleGrants(stacks, az), az);
    const grantAt = (constructId: string, scopeId: string, where: string) =>
      new RoleAssignment(this, constructId, {
        scope: scopeId,
        roleDefinitionId: roleIdAt(this.grantRole, scopeId, az.subscriptionId),
        principalId: az.deployerObjectId,
        description: `Role assignments of the deployment's stacks only, ${where}: each of their roles, to whom the stacks give it (ABAC delegation condition).`,
        condition,
        conditionVersion: AZURE_DELEGATION_FACTS.conditionVersion.value,
      });
    for (const kind of scopes.groups) grantAt(`Grant${groupSpecs[kind].constructId}`, this.groups[kind].id, `in ${groupSpecs[kind].name}`);
    for (const external of scopes.external) grantAt(`GrantOn${idOf(external.split("/providers/").slice(1).join("/").replace(/^Microsoft\./, ""))}`, external, `on ${external}`);
    for (const kind of ["network", "cluster", "data"] as const) {
      new RoleAssignment(this, `Groups${groupSpecs[kind].constructId}`, {
        scope: this.groups[kind].id,
        roleDefinitionId: this.groupRole.roleDefinitionResourceId,
        principalId: az.deployerObjectId,
        description: `${groupSpecs[kind].name} itself and its locks only.`,
      });
    }
    for (const kind of vaultGroups(stacks, az, groupSpecs)) {
      new ResourceGroupPolicyAssignment(this, `VaultsRbacOnly${groupSpecs[kind].constructId}`, {
        name: "kv-rbac-only",
        resourceGroupId: this.groups[kind].id,
        policyDefinitionId: VAULT_RBAC_ONLY_POLICY.definitionId,
        parameters: JSON.stringify({ effect: { value: VAULT_RBAC_ONLY_POLICY.effect } }),
        displayName: `${d.name}: key vaults use Azure RBAC only`,
        description: "No vault here may turn to access policies, which anyone who may write the vault could use to give itself its keys.",
      });
    }
    // No zone linked to the runner's VNet but the stacks' own (azure-runner-dns-policy.ts), wherever CI writes zones and links.
    const runnerLinks = runnerLinkNames(stacks, az);
    if (runnerLinks.length) {
      const definition = new PolicyDefinition(this, "RunnerDnsPolicy", {
        name: `${d.name}-runner-dns-links`,
        policyType: "Custom",
        mode: "All",
        displayName: `${d.name}: only the deployment's own zones on the runner's VNet`,
        description: `Denies linking any private DNS zone to ${az.runnerNetwork.virtualNetworkId} from ${d.name}'s groups but ${runnerLinks.join(", ")}.`,
        policyRule: JSON.stringify(runnerDnsPolicyRule(az.runnerNetwork.virtualNetworkId, runnerLinks)),
      });
      for (const kind of Object.keys(writes.groups) as AzureGroupKind[]) {
        new ResourceGroupPolicyAssignment(this, `RunnerDns${groupSpecs[kind].constructId}`, {
          name: "runner-dns-links",
          resourceGroupId: this.groups[kind].id,
          policyDefinitionId: definition.id,
          displayName: `${d.name}: only the deployment's own zones on the runner's VNet`,
          description: "CI writes zones and links here and may join the runner's VNet: it links no other zone to it.",
        });
      }
    }
    for (const kind of identityGroups(stacks, az, groupSpecs)) {
      new RoleAssignment(this, `Identity${groupSpecs[kind].constructId}`, {
        scope: this.groups[kind].id,
        roleDefinitionId: this.identityRole.roleDefinitionResourceId,
        principalId: az.deployerObjectId,
        description: `The deployment's managed identities in ${groupSpecs[kind].name} only.`,
      });
    }
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
    // The federated credentials' writes, assigned to no one: an administrator gives them to the deploying identity at
    // these groups for an apply the trust guard refused (a new cluster's issuer), then removes the assignment.
    const federated = federatedIdentityGroups(stacks, az, groupSpecs);
    if (this.federationRole) {
      const scopes = federated.map((k) => this.groups[k].id);
      new TerraformOutput(this, "federation_grant", {
        description: "For an apply that writes the managed identities' federated credentials (the trust guard names it): assign before, delete after",
        value: scopes.map((scope) => `az role assignment create --assignee-object-id ${az.deployerObjectId} --assignee-principal-type ServicePrincipal --role ${d.name}-deploy-federation --scope ${scope}`).join(" && "),
      });
    }
  }
}
