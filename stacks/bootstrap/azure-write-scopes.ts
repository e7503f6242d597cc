import type { TerraformStack } from "cdktf";
import type { AzureSettings } from "../../config/schema";
import type { AzureGroupKind, AzureGroupSpec } from "../azure-resource-groups";
import { AZURE_PERMISSIONS } from "./permission-facts";
import { AzurePlacements, PARENT_ARGUMENTS, REF, type Json, type Placement, type TfJson, providerTypeOf } from "./azure-placement";

const OPS = "https://learn.microsoft.com/en-us/azure/role-based-access-control/permissions";

/**
 * Where ARM checks a write: on the resource written (its id, so an assignment at the resource, its parent or its
 * group reaches it: AZURE_SCOPE_FACTS.inheritance), and, for each other resource the request names, the "linked
 * access check" on THAT resource (a subnet joined, a VNet peered, a zone joined, a vault whose endpoint connection is
 * approved). So a write role assigned only where the stacks' resources lie must also be assigned, with the linked
 * action, where each resource they name lies.
 */
export const AZURE_LINKED_ACCESS_FACTS = {
  linkedAccessCheck: {
    value: "an action on a resource named in the request body is checked on that resource, not on the one written",
    source:
      "https://learn.microsoft.com/en-us/javascript/api/@azure/arm-containerinstance/subnetreference ('The caller must have " +
      "Microsoft.Network/virtualNetworks/subnets/join/action permission on this subnet (enforced via a linked access check at create/update time)'); " +
      "https://learn.microsoft.com/en-us/dotnet/api/azure.resourcemanager.providerhub.models.providerresourcetype.linkedaccesschecks " +
      "(a resource provider declares LinkedAccessChecks: linkedProperty, linkedAction, linkedType)",
  },
} as const;

/** Which action a request's reference needs on the resource it names, by the named resource's ARM provider type. */
type Linked = readonly string[] | ((target: string) => readonly string[]);

const approval = (target: string): readonly string[] => {
  if (/^microsoft\.keyvault\/vaults$/i.test(target)) return ["Microsoft.KeyVault/vaults/PrivateEndpointConnectionsApproval/action"];
  if (/^microsoft\.storage\/storageaccounts$/i.test(target)) return ["Microsoft.Storage/storageAccounts/PrivateEndpointConnectionsApproval/action"];
  throw new Error(`no fact names the approval action of a private endpoint to a ${target}: add it to AZURE_LINKED_ACTIONS with its source`);
};

/**
 * The references of each azurerm type that name another resource, and the actions ARM checks on it (a linked access
 * check) or none (only a read, and reads are the subscription's). Every write action of a type that is not here is
 * checked on the resource itself. A reference to a resource outside the deployment's groups that is not here stops
 * the bootstrap: it could not be placed.
 */
export const AZURE_LINKED_ACTIONS: Readonly<Record<string, { readonly refs: Readonly<Record<string, Linked>>; readonly source: string }>> = {
  azurerm_kubernetes_cluster: {
    refs: {
      "default_node_pool.vnet_subnet_id": ["Microsoft.Network/virtualNetworks/subnets/join/action"],
      "api_server_access_profile.subnet_id": ["Microsoft.Network/virtualNetworks/subnets/join/action"],
      // The Container Insights solution AKS writes lies in the workspace's group, beside it (always the deployment's data group).
      "oms_agent.log_analytics_workspace_id": ["Microsoft.OperationalInsights/workspaces/sharedKeys/action", "Microsoft.OperationalInsights/workspaces/sharedKeys/read", "Microsoft.OperationsManagement/solutions/write"],
      "identity.identity_ids": ["Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"],
      disk_encryption_set_id: [],
      "key_management_service.key_vault_key_id": [],
    },
    source: "https://learn.microsoft.com/en-us/azure/aks/concepts-identity#aks-cluster-identity-permissions (subnets/join/action on the subnet, sharedKeys on the workspace, assign on the identity); the etcd key is data plane (the key deployer role)",
  },
  azurerm_kubernetes_cluster_node_pool: { refs: { vnet_subnet_id: ["Microsoft.Network/virtualNetworks/subnets/join/action"] }, source: "https://learn.microsoft.com/en-us/azure/aks/concepts-identity#aks-cluster-identity-permissions" },
  azurerm_private_endpoint: {
    refs: {
      subnet_id: ["Microsoft.Network/virtualNetworks/subnets/join/action"],
      "private_dns_zone_group.private_dns_zone_ids": ["Microsoft.Network/privateDnsZones/join/action"],
      "private_service_connection.private_connection_resource_id": approval,
    },
    source: "https://learn.microsoft.com/en-us/azure/private-link/rbac-permissions (subnets/join/action; auto-approval: <target>/privateEndpointConnectionsApproval/action on the target); https://learn.microsoft.com/en-us/azure/private-link/private-endpoint-dns-integration (privateDnsZones/join/action on each zone of the zone group)",
  },
  azurerm_subnet_network_security_group_association: { refs: { network_security_group_id: ["Microsoft.Network/networkSecurityGroups/join/action"] }, source: `${OPS}/networking#microsoftnetwork (networkSecurityGroups/join/action: 'Joins a network security group')` },
  azurerm_subnet_nat_gateway_association: { refs: { nat_gateway_id: ["Microsoft.Network/natGateways/join/action"] }, source: `${OPS}/networking#microsoftnetwork (natGateways/join/action)` },
  azurerm_nat_gateway_public_ip_association: { refs: { public_ip_address_id: ["Microsoft.Network/publicIPAddresses/join/action"] }, source: `${OPS}/networking#microsoftnetwork (publicIPAddresses/join/action)` },
  azurerm_private_dns_zone_virtual_network_link: { refs: { virtual_network_id: ["Microsoft.Network/virtualNetworks/join/action"] }, source: "https://learn.microsoft.com/en-us/azure/dns/dns-protect-private-zones-recordsets (linking a VNet: virtualNetworks/join/action on the VNet)" },
  azurerm_virtual_network_peering: { refs: { remote_virtual_network_id: ["Microsoft.Network/virtualNetworks/peer/action"] }, source: "https://learn.microsoft.com/en-us/azure/virtual-network/virtual-network-manage-peering#permissions (virtualNetworkPeerings/write on the local VNet; peer/action on the remote one)" },
  azurerm_network_watcher_flow_log: {
    refs: { storage_account_id: ["Microsoft.Storage/storageAccounts/read"], "traffic_analytics.workspace_resource_id": ["Microsoft.OperationalInsights/workspaces/read"], target_resource_id: [] },
    source: "https://learn.microsoft.com/en-us/azure/network-watcher/required-rbac-permissions (flow logs: the storage account and workspace reads; the target is read)",
  },
  azurerm_disk_encryption_set: {
    refs: { key_vault_key_id: ["Microsoft.KeyVault/vaults/deploy/action"], "identity.identity_ids": ["Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"] },
    source: `${OPS}/security#microsoftkeyvault (vaults/deploy/action on the key's vault); ${OPS}/identity#microsoftmanagedidentity`,
  },
  azurerm_storage_account: {
    refs: { "identity.identity_ids": ["Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"], "customer_managed_key.user_assigned_identity_id": ["Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"] },
    source: `${OPS}/identity#microsoftmanagedidentity (assign/action on the identity attached)`,
  },
  azurerm_monitor_data_collection_rule_association: { refs: { data_collection_rule_id: ["Microsoft.Insights/dataCollectionRules/read"] }, source: "https://learn.microsoft.com/en-us/azure/azure-monitor/data-collection/data-collection-rule-create-edit#permissions" },
  azurerm_monitor_diagnostic_setting: { refs: { log_analytics_workspace_id: ["Microsoft.OperationalInsights/workspaces/sharedKeys/action"] }, source: `${OPS}/monitor#microsoftinsights (diagnosticSettings/write on the target resource); https://github.com/JimGBritt/AzurePolicy/issues/17 (the workspace's sharedKeys/action, a linked access check)` },
  azurerm_monitor_data_collection_rule: { refs: { "destinations.log_analytics.workspace_resource_id": [] }, source: "https://learn.microsoft.com/en-us/azure/azure-monitor/data-collection/data-collection-rule-create-edit#permissions" },
  azurerm_dns_a_record: { refs: { target_resource_id: [] }, source: `${OPS}/networking#microsoftnetwork (an alias record reads its target)` },
};

/** The values at a dotted path of a body, through nested blocks and lists. */
function valuesAt(body: unknown, path: readonly string[]): string[] {
  if (path.length === 0) return Array.isArray(body) ? body.flatMap((v) => valuesAt(v, [])) : typeof body === "string" ? [body] : [];
  if (Array.isArray(body)) return body.flatMap((v) => valuesAt(v, path));
  if (body && typeof body === "object") return valuesAt((body as Json)[path[0]], path.slice(1));
  return [];
}

/** Every string in a body that names another resource (a reference or a literal resource id), by its dotted path. */
function namedResources(body: unknown, path: string[] = []): { path: string; value: string }[] {
  if (typeof body === "string") return /\$\{(data\.)?azurerm_|^\/subscriptions\//.test(body) ? [{ path: path.join("."), value: body }] : [];
  if (Array.isArray(body)) return body.flatMap((v) => namedResources(v, path));
  if (body && typeof body === "object") {
    return Object.entries(body as Json)
      .filter(([k]) => !["//", "lifecycle", "depends_on", "provider", "tags", "resource_group_name"].includes(k))
      .flatMap(([k, v]) => namedResources(v, [...path, k]));
  }
  return [];
}

/** The write actions the apply identity holds through its other roles: role assignment, identities, groups and locks. */
export type Elsewhere = (action: string) => boolean;

/** Where the deployment's stacks write, and what: the actions each place needs. */
export interface WriteScopes {
  /** The actions checked in the deployment's groups (on their resources, or on resources they name there), by group. */
  readonly groups: Readonly<Partial<Record<AzureGroupKind, readonly string[]>>>;
  /**
   * The customer's (or Azure's) resources outside the groups the stacks write under or name, with exactly the actions
   * checked there; `reads`: what the provider reads of the stacks' own resources there when they lie in another
   * subscription, where the subscription-wide reads do not reach (the runner VNet's half of the peering: azurerm gets it
   * before creating it and at every refresh, virtual_network_peering_resource.go).
   */
  readonly external: readonly { readonly scope: string; readonly actions: readonly string[]; readonly reads: readonly string[] }[];
}

/**
 * Every write action of the deployment's stacks and the scope ARM checks it at, from their synthesized JSON: each
 * resource's own writes where it lies (its group, or its foreign parent: FOREIGN_PARENT_IDS), and each linked action
 * (AZURE_LINKED_ACTIONS) where the resource it names lies. Reads are the subscription's (not placed). A reference to a
 * resource outside the groups with no linked-access fact, or a write the bootstrap cannot place, throws.
 */
export function writeScopes(stacks: readonly TerraformStack[], az: AzureSettings, groups: Readonly<Record<AzureGroupKind, AzureGroupSpec>>, reads: ReadonlySet<string>, elsewhere: Elsewhere): WriteScopes {
  const byGroup = new Map<AzureGroupKind, Set<string>>();
  const byExternal = new Map<string, { scope: string; actions: Set<string>; reads: Set<string> }>();
  const elsewhereReads = (p: Placement, actions: readonly string[]) => {
    if ("group" in p || p.external.toLowerCase().startsWith(`/subscriptions/${az.subscriptionId.toLowerCase()}/`)) return;
    const key = p.external.toLowerCase();
    const e = byExternal.get(key) ?? { scope: p.external, actions: new Set<string>(), reads: new Set<string>() };
    actions.forEach((a) => e.reads.add(a));
    byExternal.set(key, e);
  };
  const add = (p: Placement, actions: readonly string[]) => {
    const needed = actions.filter((a) => !reads.has(a) && !elsewhere(a));
    if (needed.length === 0) return;
    if ("group" in p) {
      const s = byGroup.get(p.group) ?? new Set<string>();
      needed.forEach((a) => s.add(a));
      byGroup.set(p.group, s);
    } else {
      const key = p.external.toLowerCase();
      const e = byExternal.get(key) ?? { scope: p.external, actions: new Set<string>(), reads: new Set<string>() };
      needed.forEach((a) => e.actions.add(a));
      byExternal.set(key, e);
    }
  };
  for (const stack of stacks) {
    const json = stack.toTerraform() as TfJson;
    const places = new AzurePlacements(json, groups, az.subscriptionId, stack.node.id);
    for (const [type, resources] of Object.entries(json.resource ?? {})) {
      if (!type.startsWith("azurerm_")) continue;
      const entry = AZURE_PERMISSIONS[type];
      if (!entry) throw new Error(`${stack.node.id}: no azure permissions are mapped for ${type} (stacks/bootstrap/permission-facts.ts)`);
      const linked = AZURE_LINKED_ACTIONS[type]?.refs ?? {};
      const linkedActions = new Set(Object.values(linked).flatMap((l) => (typeof l === "function" ? [] : l)));
      for (const [name, body] of Object.entries(resources)) {
        const where = `${stack.node.id}/${type}.${name}`;
        const own = entry.write.filter((a) => !linkedActions.has(a) && !a.endsWith("/PrivateEndpointConnectionsApproval/action"));
        if (own.some((a) => !reads.has(a) && !elsewhere(a))) {
          const p = places.placeResource(type, name, body, where);
          add(p, own);
          elsewhereReads(p, entry.read);
        }
        for (const [path, actions] of Object.entries(linked)) {
          for (const value of valuesAt(body, path.split("."))) {
            const p = places.locate(value, `${where}.${path}`);
            add(p, typeof actions === "function" ? actions("group" in p ? typeOfReference(value) : p.providerType) : actions);
          }
        }
        // A resource outside the groups named where no fact says what it needs there: it could not be placed.
        for (const ref of namedResources(body)) {
          if (ref.path in linked || PARENT_ARGUMENTS.includes(ref.path as (typeof PARENT_ARGUMENTS)[number]) || type === "azurerm_role_assignment") continue;
          if (/^\$\{(data\.)?[a-z0-9_]+\.[A-Za-z0-9_]+\.(name|resource_group_name|principal_id|workspace_id|versionless_id)\}$/.test(ref.value)) continue;
          const p = places.locate(ref.value, `${where}.${ref.path}`);
          if (!("group" in p)) throw new Error(`${where}.${ref.path}: names ${p.external}, outside the deployment's groups, and no fact says what ${type} needs on it (AZURE_LINKED_ACTIONS)`);
        }
      }
    }
  }
  const order: AzureGroupKind[] = ["network", "cluster", "data"];
  return {
    groups: Object.fromEntries(order.filter((k) => byGroup.has(k)).map((k) => [k, [...byGroup.get(k)!].sort()])),
    external: [...byExternal.values()].map((e) => ({ scope: e.scope, actions: [...e.actions].sort(), reads: [...e.reads].sort() })).sort((a, b) => a.scope.localeCompare(b.scope)),
  };
}

/** The ARM provider type of the azurerm resource types a reference may name. */
const TYPE_OF: Readonly<Record<string, string>> = {
  azurerm_key_vault: "Microsoft.KeyVault/vaults",
  azurerm_storage_account: "Microsoft.Storage/storageAccounts",
};

/** The ARM provider type of the resource a reference names (for a linked action that depends on it). */
function typeOfReference(value: string): string {
  const m = REF.exec(value);
  if (!m) return providerTypeOf(value);
  const t = TYPE_OF[m[2]];
  if (!t) throw new Error(`${value}: no ARM type is known for ${m[2]} (TYPE_OF)`);
  return t;
}
