import type { TerraformStack } from "cdktf";
import type { AzureSettings } from "../../config/schema";
import type { AzureGroupKind, AzureGroupSpec } from "../azure-resource-groups";

const RBAC = "https://learn.microsoft.com/azure/role-based-access-control";

/**
 * How Azure RBAC scopes reach: the facts that let the bootstrap assign the deploy roles at the deployment's resource
 * groups and the customer's resources it assigns roles on, instead of the subscription.
 */
export const AZURE_SCOPE_FACTS = {
  /** An assignment at a scope grants its actions on that scope and everything under it (a group's resources, a vault's secrets). */
  inheritance: {
    value: true,
    source:
      `${RBAC}/scope-overview ('When you grant access at a parent scope, those permissions are inherited by the child scopes'; ` +
      "scopes: management group, subscription, resource group, resource); " +
      `${RBAC}/role-assignments-steps (Step 3: scope) `,
  },
  /** Creating a role assignment at a scope is authorized by roleAssignments/write at that scope or above it. */
  assignmentAuthorizedAtScope: {
    value: true,
    source:
      `${RBAC}/delegate-role-assignments-overview ('assign roles ... at the scope of the resource group'; the delegate's role assignment scope bounds where it may assign); ` +
      `${RBAC}/role-assignments-portal (Prerequisites: 'Microsoft.Authorization/roleAssignments/write permissions ... at the scope you are assigning')`,
  },
  /**
   * Resource ids of the data sources whose objects the cloud stack assigns roles on (an existing network), from their
   * arguments: the provider's own id formats.
   */
  dataSourceIds: {
    value: {
      "azurerm_virtual_network": "/subscriptions/{subscriptionId}/resourceGroups/{resource_group_name}/providers/Microsoft.Network/virtualNetworks/{name}",
      "azurerm_subnet": "/subscriptions/{subscriptionId}/resourceGroups/{resource_group_name}/providers/Microsoft.Network/virtualNetworks/{virtual_network_name}/subnets/{name}",
    } as Readonly<Record<string, string>>,
    source:
      "hashicorp/terraform-provider-azurerm internal/services/network/virtual_network_data_source.go (commonids.NewVirtualNetworkID(subscriptionId, resourceGroupName, name)), " +
      "subnet_data_source.go (commonids.NewSubnetID); github.com/hashicorp/go-azure-helpers resourcemanager/commonids/virtual_network.go, subnet.go (the id formats)",
  },
} as const;

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

type Json = Record<string, unknown>;
type TfJson = { resource?: Record<string, Record<string, Json>>; data?: Record<string, Record<string, Json>> };

/** Where a role assignment of the deployment's stacks lies: one of its own groups, or a customer's resource by id. */
export type AssignmentScope = { readonly group: AzureGroupKind } | { readonly external: string };

/** Every scope the deployment's stacks assign roles on, by the deployment's groups and the customer's resources. */
export interface GrantScopes {
  /** The deployment's groups that hold at least one assignment's scope. */
  readonly groups: readonly AzureGroupKind[];
  /** The customer's resources (outside the deployment's groups) the stacks assign roles on, none under another. */
  readonly external: readonly string[];
}

const REF = /^\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_]+)\.([a-z0-9_]+)\}$/;
/** The arguments that place a resource without a resource group of its own: under the resource they name. */
const PARENT_ARGUMENTS = ["key_vault_id", "storage_account_id"] as const;

/**
 * Resolves what an assignment's `scope` names, from the stack's JSON: a literal resource id, one of the deployment's
 * groups (by reference, or a resource whose `resource_group_name` refers to one, or under such a resource), or a
 * customer's resource read by a data source (its id from AZURE_SCOPE_FACTS.dataSourceIds). Anything else throws: the
 * bootstrap could not grant it where it lies.
 */
function resolveScope(json: TfJson, expression: string, groups: Readonly<Record<AzureGroupKind, AzureGroupSpec>>, subscriptionId: string, path: string): AssignmentScope {
  const groupNamed = (name: string) => (Object.keys(groups) as AzureGroupKind[]).find((k) => groups[k].name === name);
  if (!expression.includes("${")) {
    if (!expression.startsWith("/subscriptions/")) throw new Error(`${path}: scope '${expression}' is not a resource id`);
    const inGroup = (Object.keys(groups) as AzureGroupKind[]).find((k) => under(expression, groups[k].id));
    return inGroup ? { group: inGroup } : { external: expression };
  }
  const m = REF.exec(expression);
  if (!m) throw new Error(`${path}: scope ${expression} is not a reference the bootstrap can place`);
  const [, data, type, name] = m;
  const body = (data ? json.data : json.resource)?.[type]?.[name];
  if (!body) throw new Error(`${path}: scope ${expression} names nothing in the stack`);
  if (body.provider !== undefined) throw new Error(`${path}: scope ${expression} is managed through provider ${String(body.provider)}, not the deployment's subscription`);
  if (!data && type === "azurerm_resource_group") {
    const kind = groupNamed(String(body.name));
    if (!kind) throw new Error(`${path}: resource group '${String(body.name)}' is none of the deployment's (stacks/azure-resource-groups.ts)`);
    return { group: kind };
  }
  const rg = body.resource_group_name;
  if (typeof rg === "string") {
    if (rg.includes("${")) return resolveScope(json, rg.replace(/\.name\}$/, ".id}"), groups, subscriptionId, path);
    const kind = groupNamed(rg);
    if (kind) return { group: kind };
    const format = data ? AZURE_SCOPE_FACTS.dataSourceIds.value[type] : undefined;
    if (!format) throw new Error(`${path}: scope ${expression} lies in group '${rg}', outside the deployment, and its id cannot be read before apply`);
    const id = format.replace(/\{(\w+)\}/g, (_, k: string) => {
      const v = k === "subscriptionId" ? subscriptionId : body[k];
      if (typeof v !== "string" || v.includes("${")) throw new Error(`${path}: ${type}.${name}.${k} is not literal`);
      return v;
    });
    return { external: id };
  }
  const parent = PARENT_ARGUMENTS.map((a) => body[a]).find((v): v is string => typeof v === "string");
  if (parent) return resolveScope(json, parent, groups, subscriptionId, path);
  throw new Error(`${path}: scope ${expression} has neither a resource group nor a parent the bootstrap can place`);
}

/** Whether `scope` is `parent` or lies under it (by whole path segments; Azure ids compare case-insensitively). */
export function under(scope: string, parent: string): boolean {
  const s = scope.toLowerCase();
  const p = parent.toLowerCase().replace(/\/+$/, "");
  return s === p || s.startsWith(`${p}/`);
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
  for (const stack of stacks) {
    const json = stack.toTerraform() as TfJson;
    for (const [name, a] of Object.entries(json.resource?.azurerm_role_assignment ?? {})) {
      const scope = resolveScope(json, String(a.scope), groups, az.subscriptionId, `${stack.node.id}/${name}`);
      if ("group" in scope) kinds.add(scope.group);
      else external.add(scope.external);
    }
  }
  const all = [...external];
  const outermost = all.filter((s) => !all.some((p) => p !== s && under(s, p))).sort();
  const order: AzureGroupKind[] = ["network", "cluster", "data"];
  return { groups: order.filter((k) => kinds.has(k)), external: outermost };
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
  for (const stack of stacks) {
    const json = stack.toTerraform() as TfJson;
    const own = json.resource?.azurerm_user_assigned_identity ?? {};
    for (const name of Object.keys(own)) {
      const scope = resolveScope(json, `\${azurerm_user_assigned_identity.${name}.id}`, groups, az.subscriptionId, `${stack.node.id}/${name}`);
      if (!("group" in scope)) throw new Error(`${stack.node.id}/${name}: a user-assigned identity outside the deployment's groups`);
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
            throw new Error(`${stack.node.id}/${type}.${name}: runs as ${id}, not an identity the stack creates in the deployment's groups`);
          }
        }
      }
    }
  }
  const order: AzureGroupKind[] = ["network", "cluster", "data"];
  return order.filter((k) => kinds.has(k));
}
