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

/** Whether `scope` is `parent` or lies under it (by whole path segments; Azure ids compare case-insensitively). */
export function under(scope: string, parent: string): boolean {
  const s = scope.toLowerCase();
  const p = parent.toLowerCase().replace(/\/+$/, "");
  return s === p || s.startsWith(`${p}/`);
}

/**
 * The resource id the bootstrap assigns at for a type written into a resource group that is not the deployment's:
 * its parent, which the customer (or Azure) owns and the stack does not write (a peering's VNet, a record's zone, a
 * flow log's watcher). Ids in the provider's own formats.
 */
export const FOREIGN_PARENT_IDS = {
  value: {
    azurerm_virtual_network_peering: "/subscriptions/{subscriptionId}/resourceGroups/{resource_group_name}/providers/Microsoft.Network/virtualNetworks/{virtual_network_name}",
    azurerm_private_dns_a_record: "/subscriptions/{subscriptionId}/resourceGroups/{resource_group_name}/providers/Microsoft.Network/privateDnsZones/{zone_name}",
    azurerm_dns_a_record: "/subscriptions/{subscriptionId}/resourceGroups/{resource_group_name}/providers/Microsoft.Network/dnsZones/{zone_name}",
    azurerm_private_dns_zone_virtual_network_link: "/subscriptions/{subscriptionId}/resourceGroups/{resource_group_name}/providers/Microsoft.Network/privateDnsZones/{private_dns_zone_name}",
    azurerm_network_watcher_flow_log: "/subscriptions/{subscriptionId}/resourceGroups/{resource_group_name}/providers/Microsoft.Network/networkWatchers/{network_watcher_name}",
  } as Readonly<Record<string, string>>,
  source:
    "github.com/hashicorp/go-azure-sdk resource-manager/network/.../virtualnetworkpeerings (VirtualNetworkPeeringId under VirtualNetworkId), privatedns/.../recordsets " +
    "(RecordTypeId under PrivateDnsZoneId), dns/.../recordsets (RecordTypeId under DnsZoneId), privatedns/.../virtualnetworklinks (under PrivateDnsZoneId), " +
    "network/.../flowlogs (FlowLogId under NetworkWatcherId): each is a child of the resource named here",
};

/** The arguments that place a resource without a resource group of its own: under (or on) the resource they name, in this order. */
export const PARENT_ARGUMENTS = ["key_vault_id", "storage_account_id", "kubernetes_cluster_id", "nat_gateway_id", "subnet_id", "parent_id", "target_resource_id", "scope"] as const;

export type Json = Record<string, unknown>;
export type TfJson = { resource?: Record<string, Record<string, Json>>; data?: Record<string, Record<string, Json>> };

/** Where something lies: one of the deployment's groups, or a resource (or group) of the customer's, by id. */
export type Placement = { readonly group: AzureGroupKind } | { readonly external: string; readonly providerType: string };

export const REF = /^\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_]+)\.([a-z0-9_]+)\}(\/.*)?$/;

/** The ARM provider type of a resource id: `Microsoft.Network/virtualNetworks` for a VNet, `Microsoft.Network/virtualNetworks/subnets` for a subnet. */
export function providerTypeOf(id: string): string {
  const after = id.split(/\/providers\//i).pop()!;
  if (after === id) return /\/resourceGroups\/[^/]+$/i.test(id) ? "Microsoft.Resources/resourceGroups" : "";
  const parts = after.split("/");
  return [parts[0], ...parts.slice(1).filter((_, i) => i % 2 === 0)].join("/");
}

/** Resolves placements in one stack's JSON. */
export class AzurePlacements {
  private readonly groupKinds: AzureGroupKind[];

  constructor(
    private readonly json: TfJson,
    private readonly groups: Readonly<Record<AzureGroupKind, AzureGroupSpec>>,
    private readonly subscriptionId: string,
    private readonly path: string,
  ) {
    this.groupKinds = Object.keys(groups) as AzureGroupKind[];
  }

  private groupNamed(name: string): AzureGroupKind | undefined {
    return this.groupKinds.find((k) => this.groups[k].name.toLowerCase() === name.toLowerCase());
  }

  private body(data: string | undefined, type: string, name: string, where: string): Json {
    const body = (data ? this.json.data : this.json.resource)?.[type]?.[name];
    if (!body) throw new Error(`${where}: ${data ?? ""}${type}.${name} names nothing in the stack`);
    return body;
  }

  /**
   * The subscription a resource (or data source) lives in: the deployment's, or, through an aliased azurerm provider
   * (the runner VNet's half of the peering in the runner's subscription), that provider's `subscription_id`.
   */
  private subscriptionOf(body: Json, where: string): string {
    if (body.provider === undefined) return this.subscriptionId;
    const alias = /^azurerm\.(\w+)$/.exec(String(body.provider))?.[1];
    const providers = (this.json as { provider?: { azurerm?: Json[] } }).provider?.azurerm ?? [];
    const p = alias === undefined ? undefined : providers.find((x) => x.alias === alias);
    if (!p || typeof p.subscription_id !== "string" || p.subscription_id.includes("${")) throw new Error(`${where}: managed through provider ${String(body.provider)}, whose subscription the bootstrap cannot read`);
    return p.subscription_id;
  }

  /** A literal string argument, or one read from a data source's (or resource's) literal argument by reference. */
  private literal(value: unknown, where: string, attribute: string): string {
    if (typeof value !== "string") throw new Error(`${where}: ${attribute} is not a string`);
    if (!value.includes("${")) return value;
    const m = REF.exec(value);
    if (!m || m[5]) throw new Error(`${where}: ${attribute} (${value}) is not literal`);
    const [, data, type, name, attr] = m;
    const body = this.body(data, type, name, where);
    if (attr === "resource_group_name") return this.requiredGroupName(body, `${type}.${name}`);
    return this.literal(body[attr], `${type}.${name}`, attr);
  }

  /** The literal name of the resource group a body names, or undefined when it has none. */
  private resourceGroupName(body: Json, where: string): string | undefined {
    const rg = body.resource_group_name;
    if (rg === undefined) return undefined;
    if (typeof rg === "string") {
      const m = REF.exec(rg);
      if (m && !m[1] && m[2] === "azurerm_resource_group") return String(this.body(undefined, m[2], m[3], where).name);
    }
    return this.literal(rg, where, "resource_group_name");
  }

  private requiredGroupName(body: Json, where: string): string {
    const rg = this.resourceGroupName(body, where);
    if (rg === undefined) throw new Error(`${where}: has no resource_group_name`);
    return rg;
  }

  /** Where an expression (a literal resource id, or a reference to a resource or data source, optionally with a child path) lies. */
  locate(expression: string, where = this.path): Placement {
    if (!expression.includes("${")) {
      if (!expression.startsWith("/subscriptions/")) throw new Error(`${where}: '${expression}' is not a resource id`);
      const inGroup = this.groupKinds.find((k) => under(expression, this.groups[k].id));
      return inGroup ? { group: inGroup } : { external: expression, providerType: providerTypeOf(expression) };
    }
    const m = REF.exec(expression);
    if (!m) throw new Error(`${where}: ${expression} is not a reference the bootstrap can place`);
    const [, data, type, name] = m;
    const body = this.body(data, type, name, where);
    if (data) {
      const format = AZURE_SCOPE_FACTS.dataSourceIds.value[type];
      if (!format) throw new Error(`${where}: no id format is known for data.${type} (AZURE_SCOPE_FACTS.dataSourceIds)`);
      return this.locate(this.fill(format, body, `data.${type}.${name}`), where);
    }
    return this.placeResource(type, name, body, where);
  }

  /** Where a resource of the stack lies: its group (or, in a group not the deployment's, its parent there), or under the resource it names. */
  placeResource(type: string, name: string, body: Json = this.body(undefined, type, name, this.path), where = `${this.path}/${type}.${name}`): Placement {
    if (type === "azurerm_resource_group") {
      const kind = this.groupNamed(String(body.name));
      if (!kind) throw new Error(`${where}: resource group '${String(body.name)}' is none of the deployment's (stacks/azure-resource-groups.ts)`);
      return { group: kind };
    }
    const rg = this.resourceGroupName(body, where);
    if (rg !== undefined) {
      const kind = this.groupNamed(rg);
      if (kind && this.subscriptionOf(body, where).toLowerCase() === this.subscriptionId.toLowerCase()) return { group: kind };
      const format = FOREIGN_PARENT_IDS.value[type];
      if (!format) throw new Error(`${where}: ${type} lies in group '${rg}', outside the deployment, and no fact says where to grant its writes (FOREIGN_PARENT_IDS)`);
      const id = this.fill(format, body, where);
      return { external: id, providerType: providerTypeOf(id) };
    }
    const parent = PARENT_ARGUMENTS.map((a) => body[a]).find((v): v is string => typeof v === "string");
    if (parent) return this.locate(parent, where);
    throw new Error(`${where}: ${type} has neither a resource group nor a parent the bootstrap can place`);
  }

  private fill(format: string, body: Json, where: string): string {
    return format.replace(/\{(\w+)\}/g, (_, k: string) => {
      if (k === "subscriptionId") return this.subscriptionOf(body, where);
      if (k === "resource_group_name") return this.requiredGroupName(body, where);
      return this.literal(body[k], where, k);
    });
  }
}

