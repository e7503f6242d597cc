import type { TerraformStack } from "cdktf";
import type { AzureSettings } from "../../config/schema";
import type { AzureGroupKind, AzureGroupSpec } from "../azure-resource-groups";
import { AzurePlacements, REF, type TfJson, under } from "./azure-placement";


/** Which identities the apply identity attaches, and where AKS keeps the one it makes itself. */
export const AKS_IDENTITY_FACTS = {
  /** Attaching a user-assigned identity to a resource is authorized on that identity (Managed Identity Operator's action). */
  assignCheckedOnIdentity: {
    value: "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
    source:
      "https://learn.microsoft.com/azure/role-based-access-control/permissions/identity#microsoftmanagedidentity (userAssignedIdentities/assign/action: " +
      "'RBAC action for assigning an existing user assigned identity to a resource'); " +
      "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/identity#managed-identity-operator ('Read and Assign User Assigned Identity'); " +
      "https://learn.microsoft.com/azure/aks/concepts-identity#aks-cluster-identity-permissions",
  },
  /** Without a kubelet identity in the cluster's config, AKS creates one itself, in the node resource group. */
  kubeletIdentityCreatedByAks: {
    value: true,
    source:
      "https://learn.microsoft.com/azure/aks/use-managed-identity ('If you don't specify a user-assigned managed identity for kubelet, AKS creates " +
      "a user-assigned kubelet identity in the node resource group'); azurerm_kubernetes_cluster kubelet_identity is unset in every stack (tested)",
  },
} as const;

/** The deployment's groups in their fixed order (network, cluster, data), of those in `kinds`. */
function inOrder(kinds: ReadonlySet<AzureGroupKind>): AzureGroupKind[] {
  return (["network", "cluster", "data"] as const).filter((k) => kinds.has(k));
}

/** Each stack's synthesized JSON, with the placements of its resources. */
function* placedStacks(stacks: readonly TerraformStack[], az: AzureSettings, groups: Readonly<Record<AzureGroupKind, AzureGroupSpec>>): Generator<{ id: string; json: TfJson; places: AzurePlacements }> {
  for (const stack of stacks) {
    const json = stack.toTerraform() as TfJson;
    yield { id: stack.node.id, json, places: new AzurePlacements(json, groups, az.subscriptionId, stack.node.id) };
  }
}

/** Where a role assignment of the deployment's stacks lies: one of its own groups, or a customer's resource by id. */
export type AssignmentScope = { readonly group: AzureGroupKind } | { readonly external: string };

/** Every scope the deployment's stacks assign roles on, by the deployment's groups and the customer's resources. */
export interface GrantScopes {
  /** The deployment's groups that hold at least one assignment's scope. */
  readonly groups: readonly AzureGroupKind[];
  /** The customer's resources (outside the deployment's groups) the stacks assign roles on, none under another. */
  readonly external: readonly string[];
}

/**
 * Every scope the deployment's stacks assign roles on (their azurerm_role_assignment scopes, resolved in their
 * synthesized JSON): the deployment's groups holding one, and the customer's resources outside them (an existing
 * VNet and its subnets, a certificate's secret in the customer's vault), each kept only once (a subnet lies under
 * its VNet).
 */
export function grantScopes(stacks: readonly TerraformStack[], az: AzureSettings, groups: Readonly<Record<AzureGroupKind, AzureGroupSpec>>): GrantScopes {
  const kinds = new Set<AzureGroupKind>();
  const external = new Set<string>();
  for (const { id: stackId, json, places } of placedStacks(stacks, az, groups)) {
    for (const [name, a] of Object.entries(json.resource?.azurerm_role_assignment ?? {})) {
      const scope = places.locate(String(a.scope), `${stackId}/${name}`);
      if ("group" in scope) kinds.add(scope.group);
      else external.add(scope.external);
    }
  }
  const all = [...external];
  const outermost = all.filter((s) => !all.some((p) => p !== s && under(s, p))).sort();
  return { groups: inOrder(kinds), external: outermost };
}

/**
 * The deployment's groups that hold the user-assigned identities its stacks create (constructs/azure/workload-identity.ts,
 * the cluster's, the storage accounts' and the disk encryption set's): where the identity role goes. Every identity a
 * resource of the stacks runs as (`identity.identity_ids`, an AKS `kubelet_identity`) must be one of them: the apply
 * identity may attach no other (AKS_IDENTITY_FACTS.assignCheckedOnIdentity). The AKS kubelet identity is AKS's own
 * (AKS_IDENTITY_FACTS.kubeletIdentityCreatedByAks).
 */
export function identityGroups(stacks: readonly TerraformStack[], az: AzureSettings, groups: Readonly<Record<AzureGroupKind, AzureGroupSpec>>): AzureGroupKind[] {
  const kinds = new Set<AzureGroupKind>();
  for (const { id: stackId, json, places } of placedStacks(stacks, az, groups)) {
    const own = json.resource?.azurerm_user_assigned_identity ?? {};
    for (const name of Object.keys(own)) {
      const scope = places.placeResource("azurerm_user_assigned_identity", name, undefined, `${stackId}/${name}`);
      if (!("group" in scope)) throw new Error(`${stackId}/${name}: a user-assigned identity outside the deployment's groups`);
      kinds.add(scope.group);
    }
    for (const [type, resources] of Object.entries(json.resource ?? {})) {
      for (const [name, body] of Object.entries(resources)) {
        const blocks = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : v ? [v as T] : []);
        const ids = [
          ...blocks<{ identity_ids?: string[] }>(body.identity).flatMap((i) => i.identity_ids ?? []),
          ...blocks<{ user_assigned_identity_id?: string }>(body.kubelet_identity).flatMap((k) => (k.user_assigned_identity_id ? [k.user_assigned_identity_id] : [])),
        ];
        for (const id of ids) {
          const m = REF.exec(id);
          if (!m || m[1] || m[2] !== "azurerm_user_assigned_identity" || !(m[3] in own)) {
            throw new Error(`${stackId}/${type}.${name}: runs as ${id}, not an identity the stack creates in the deployment's groups`);
          }
        }
      }
    }
  }
  return inOrder(kinds);
}

/**
 * The deployment's groups that hold the identities its stacks federate (each `azurerm_federated_identity_credential`'s
 * parent): where an administrator assigns `<name>-deploy-federation` for an apply that writes their credentials
 * (AZURE_ADMIN_ONLY_ACTIONS). A credential on an identity the stacks do not create stops the bootstrap.
 */
export function federatedIdentityGroups(stacks: readonly TerraformStack[], az: AzureSettings, groups: Readonly<Record<AzureGroupKind, AzureGroupSpec>>): AzureGroupKind[] {
  const kinds = new Set<AzureGroupKind>();
  for (const { id: stackId, json, places } of placedStacks(stacks, az, groups)) {
    for (const [name, body] of Object.entries(json.resource?.azurerm_federated_identity_credential ?? {})) {
      const m = REF.exec(String(body.parent_id));
      if (!m || m[1] || m[2] !== "azurerm_user_assigned_identity") throw new Error(`${stackId}/azurerm_federated_identity_credential.${name}: federates ${String(body.parent_id)}, not an identity the stack creates`);
      const scope = places.placeResource("azurerm_user_assigned_identity", m[3], undefined, `${stackId}/${m[3]}`);
      if (!("group" in scope)) throw new Error(`${stackId}/${name}: a federated identity outside the deployment's groups`);
      kinds.add(scope.group);
    }
  }
  return inOrder(kinds);
}

/**
 * The deployment's groups holding its key vaults, where the bootstrap denies the access-policy permission model
 * (VAULT_RBAC_ONLY_POLICY); every vault of the stacks must use Azure RBAC, or the policy would refuse the deployment's
 * own apply.
 */
export function vaultGroups(stacks: readonly TerraformStack[], az: AzureSettings, groups: Readonly<Record<AzureGroupKind, AzureGroupSpec>>): AzureGroupKind[] {
  const kinds = new Set<AzureGroupKind>();
  for (const { id: stackId, json, places } of placedStacks(stacks, az, groups)) {
    for (const [name, body] of Object.entries(json.resource?.azurerm_key_vault ?? {})) {
      if (body.rbac_authorization_enabled !== true) throw new Error(`${stackId}/azurerm_key_vault.${name}: a key vault without rbac_authorization_enabled, which the bootstrap's policy denies`);
      const scope = places.placeResource("azurerm_key_vault", name, body, `${stackId}/${name}`);
      if (!("group" in scope)) throw new Error(`${stackId}/${name}: a key vault outside the deployment's groups`);
      kinds.add(scope.group);
    }
  }
  return inOrder(kinds);
}
