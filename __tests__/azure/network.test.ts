import { Testing } from "cdktf";
import { AKS_FACTS } from "../../constructs/azure/azure-facts";
import { Network } from "../../constructs/azure/network";
import { overlaps, parseIpv4Cidr } from "../../lib/cidr";
import { ResourceGroup } from "../../constructs/azure/resource-group";
import { VnetFlowLog } from "../../constructs/azure/vnet-flow-log";
import { PrivateLink } from "../../constructs/azure/private-link";
import { ManagementLock } from "@cdktf/provider-azurerm/lib/management-lock";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { NetworkWatcherFlowLog } from "@cdktf/provider-azurerm/lib/network-watcher-flow-log";
import { PrivateEndpoint } from "@cdktf/provider-azurerm/lib/private-endpoint";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { onlyResource, resourcesOf, synthJson } from "../support/helpers";
import { nonEmpty } from "../support/non-empty";

const base = { name: "acme", location: "westeurope", resourceGroupName: "acme-network", cidr: "10.50.0.0/16" };

describe("ResourceGroup", () => {
  test("is locked CanNotDelete by default", () => {
    const out = Testing.synthScope((s) => { new ResourceGroup(s, "Data", { name: "acme-data", location: "westeurope" }); });
    expect(out).toHaveResourceWithProperties(ManagementLock, { lock_level: "CanNotDelete", scope: expect.stringMatching(/^\$\{azurerm_resource_group\.Data_[0-9A-F]+\.id\}$/) });
  });
  test("has no lock when allowDestroy", () => {
    const res = synthJson((s) => { new ResourceGroup(s, "Data", { name: "acme-data", location: "westeurope", allowDestroy: true }); });
    expect(res.resource.azurerm_management_lock).toBeUndefined();
    expect(resourcesOf(res, "azurerm_resource_group")).toHaveLength(1);
  });
});

describe("Network", () => {
  test("carves nodes, endpoints, load-balancer and API server subnets from the VNet range", () => {
    const res = synthJson((s) => { new Network(s, "Network", base); });
    const prefixes = resourcesOf(res, "azurerm_subnet").map((x) => [x.name, x.address_prefixes]);
    expect(prefixes).toHaveLength(4);
    expect(prefixes).toEqual(expect.arrayContaining([
      ["acme-nodes", ["10.50.0.0/17"]],
      ["acme-endpoints", ["10.50.128.0/19"]],
      ["acme-load-balancers", ["10.50.160.0/19"]],
      ["acme-api-server", ["10.50.192.0/28"]],
    ]));
    expect(onlyResource(res, "azurerm_virtual_network").address_space).toEqual(["10.50.0.0/16"]);
  });
  test.each(["10.50.0.0/16", "10.60.0.0/18", "172.16.16.0/20"])("subnets of %s never overlap and all lie inside it", (cidr) => {
    const res = synthJson((s) => { new Network(s, "Network", { ...base, cidr }); });
    const ranges = resourcesOf(res, "azurerm_subnet").map((x) => parseIpv4Cidr((x.address_prefixes as string[])[0])!);
    const vnet = parseIpv4Cidr(cidr)!;
    expect(ranges).toHaveLength(4);
    for (const [i, a] of ranges.entries()) {
      expect(overlaps(a, vnet) && a.prefix >= vnet.prefix).toBe(true);
      for (const b of ranges.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
    }
    expect(ranges.filter((r) => r.prefix === 28)).toHaveLength(1);
  });
  test("the API server subnet is delegated to AKS (API Server VNet Integration) and has its own NSG", () => {
    const res = synthJson((s) => { new Network(s, "Network", base); });
    const api = resourcesOf(res, "azurerm_subnet").find((x) => x.name === "acme-api-server")!;
    expect(api.delegation).toEqual([
      { name: "aks-api-server", service_delegation: { name: "Microsoft.ContainerService/managedClusters", actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"] } },
    ]);
    expect(api.default_outbound_access_enabled).toBe(false);
    for (const other of nonEmpty(resourcesOf(res, "azurerm_subnet").filter((x) => x !== api), "other subnet")) expect(other.delegation).toBeUndefined();
    expect(resourcesOf(res, "azurerm_network_security_group").map((g) => g.name)).toContain("acme-api-server-nsg");
    expect(resourcesOf(res, "azurerm_subnet_network_security_group_association").map((a) => a.subnet_id)).toContain("${azurerm_subnet.Network_ApiServerSubnet_F9EBDB7C.id}");
  });
  test("the API server subnet admits only nodes on 443 and 4443 (AKS_FACTS), itself, probes and the admin ranges on 443; the rest of the VNet is denied", () => {
    const res = synthJson((s) => { new Network(s, "Network", { ...base, apiServerSourceCidrs: ["192.168.10.0/24"] }); });
    const rules = resourcesOf(res, "azurerm_network_security_rule").filter((r) => String(r.network_security_group_name).includes("Network_ApiServerSecurityGroup_"));
    const byName = Object.fromEntries(rules.map((r) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(["AllowAdminsInbound", "AllowApiServerSubnetInbound", "AllowLoadBalancerProbesInbound", "AllowNodesInbound", "DenyInternetInbound", "DenyOtherVnetInbound"]);
    expect(byName.AllowNodesInbound).toMatchObject({ access: "Allow", protocol: "Tcp", source_address_prefix: "10.50.0.0/17", destination_address_prefix: "10.50.192.0/28" });
    expect(byName.AllowNodesInbound.destination_port_ranges).toEqual(AKS_FACTS.apiServerSubnetPorts.value.map(String));
    expect(AKS_FACTS.apiServerSubnetPorts.value).toEqual([443, 4443]);
    expect(byName.AllowNodesInbound).not.toHaveProperty("destination_port_range");
    expect(byName.AllowAdminsInbound).toMatchObject({ access: "Allow", protocol: "Tcp", source_address_prefixes: ["192.168.10.0/24"], destination_address_prefix: "10.50.192.0/28", destination_port_range: "443" });
    expect(byName.AllowApiServerSubnetInbound).toMatchObject({ access: "Allow", source_address_prefix: "10.50.192.0/28", destination_address_prefix: "10.50.192.0/28" });
    expect(byName.DenyOtherVnetInbound).toMatchObject({ access: "Deny", source_address_prefix: "VirtualNetwork", priority: 4010 });
    for (const r of nonEmpty(rules.filter((x) => x.access === "Allow"), "allowing rule")) expect(r.priority as number).toBeLessThan(4000);
  });
  test("without admin ranges only the nodes reach the API server subnet", () => {
    const res = synthJson((s) => { new Network(s, "Network", base); });
    expect(resourcesOf(res, "azurerm_network_security_rule").find((r) => r.name === "AllowAdminsInbound")).toBeUndefined();
  });
  test("no subnet has default outbound access; NSGs apply to private endpoints", () => {
    const out = Testing.synthScope((s) => { new Network(s, "Network", base); });
    const subnets = resourcesOf(JSON.parse(out), "azurerm_subnet");
    expect(subnets).toHaveLength(4);
    for (const sn of subnets) {
      expect(sn.default_outbound_access_enabled).toBe(false);
      expect(sn.private_endpoint_network_policies).toBe("Enabled");
    }
    expect(out).toHaveResourceWithProperties(Subnet, { name: "acme-nodes", default_outbound_access_enabled: false });
  });
  test("every subnet has its own NSG with an explicit deny of Internet inbound", () => {
    const res = synthJson((s) => { new Network(s, "Network", base); });
    expect(resourcesOf(res, "azurerm_network_security_group")).toHaveLength(4);
    const assoc = resourcesOf(res, "azurerm_subnet_network_security_group_association");
    expect(assoc).toHaveLength(4);
    expect(new Set(assoc.map((a) => a.subnet_id)).size).toBe(4);
    const denies = resourcesOf(res, "azurerm_network_security_rule").filter((r) => r.name === "DenyInternetInbound");
    expect(denies).toHaveLength(4);
    for (const d of denies) {
      expect(d).toMatchObject({ direction: "Inbound", access: "Deny", source_address_prefix: "Internet", destination_port_range: "*", protocol: "*", priority: 4000 });
    }
  });
  test("without an entry point nothing is allowed in from the Internet", () => {
    const res = synthJson((s) => { new Network(s, "Network", base); });
    const allows = resourcesOf(res, "azurerm_network_security_rule").filter((r) => r.access === "Allow" && r.direction === "Inbound");
    expect([...new Set(allows.map((r) => r.source_address_prefix))].sort()).toEqual(["10.50.0.0/17", "10.50.192.0/28", "AzureLoadBalancer"]);
    expect(resourcesOf(res, "azurerm_public_ip")).toHaveLength(1); // the NAT egress IP only
  });
  test("nodes accept only nodes, the API server, load-balancer probes and (overlay) pods; the rest of the VNet is denied", () => {
    const res = synthJson((s) => { new Network(s, "Network", { ...base, podCidr: "10.244.0.0/16" }); });
    const rules = Object.fromEntries(
      resourcesOf(res, "azurerm_network_security_rule").filter((r) => String(r.network_security_group_name).includes("Network_NodesSecurityGroup_")).map((r) => [r.name, r]),
    );
    expect(rules.AllowNodesInbound).toMatchObject({ access: "Allow", direction: "Inbound", source_address_prefix: "10.50.0.0/17", destination_address_prefix: "10.50.0.0/17" });
    expect(rules.AllowLoadBalancerProbesInbound).toMatchObject({ access: "Allow", source_address_prefix: "AzureLoadBalancer" });
    expect(rules.AllowPodsInbound).toMatchObject({ access: "Allow", direction: "Inbound", source_address_prefix: "10.244.0.0/16", destination_address_prefixes: ["10.244.0.0/16", "10.50.0.0/17"] });
    expect(rules.AllowPodsOutbound).toMatchObject({ access: "Allow", direction: "Outbound", destination_address_prefix: "10.244.0.0/16" });
    expect(rules.AllowApiServerInbound).toMatchObject({ access: "Allow", source_address_prefix: "10.50.192.0/28", destination_address_prefixes: ["10.50.0.0/17", "10.244.0.0/16"] });
    const nodeRules = resourcesOf(res, "azurerm_network_security_rule").filter((r) => String(r.network_security_group_name).includes("Network_NodesSecurityGroup_"));
    const nodeRule = (name: string) => nodeRules.find((r) => r.name === name);
    expect(nodeRule("DenyOtherVnetInbound")).toMatchObject({ access: "Deny", direction: "Inbound", source_address_prefix: "VirtualNetwork", priority: 4010 });
    for (const name of ["AllowNodesInbound", "AllowLoadBalancerProbesInbound", "AllowPodsInbound", "AllowApiServerInbound", "DenyOtherVnetInbound"]) {
      expect(nodeRule(name)).toBeDefined();
    }
    // Admins reach the API server in its own subnet now, never the nodes.
    expect(nodeRules.some((r) => r.destination_port_range === "443" && r.source_address_prefixes)).toBe(false);
  });
  test("the entry point allows 443 and 80 to its own static IP only, on the node NSG", () => {
    const res = synthJson((s) => { new Network(s, "Network", { ...base, entryPoint: {} }); });
    const allows = resourcesOf(res, "azurerm_network_security_rule").filter((r) => String(r.name).startsWith("AllowEntryPoint"));
    expect(allows).toHaveLength(2);
    expect(allows.map((r) => r.destination_port_range).sort()).toEqual(["443", "80"]);
    for (const r of allows) {
      expect(r.destination_address_prefix).toBe("${azurerm_public_ip.Network_EntryPointIp_90A68732.ip_address}");
      expect(r.source_address_prefix).toBe("Internet");
      expect(r.protocol).toBe("Tcp");
      expect(r.network_security_group_name).toBe("${azurerm_network_security_group.Network_NodesSecurityGroup_0E0B1DB8.name}");
      expect(r.priority as number).toBeLessThan(4000);
    }
    const ip = resourcesOf(res, "azurerm_public_ip").find((p) => p.name === "acme-entry-point-ip");
    expect(ip).toMatchObject({ sku: "Standard", allocation_method: "Static", zones: ["1", "2", "3"] });
  });
  test("entry point source ranges narrow the allow rules", () => {
    const res = synthJson((s) => { new Network(s, "Network", { ...base, entryPoint: { sourceCidrs: ["198.51.100.0/24"] } }); });
    const allows = resourcesOf(res, "azurerm_network_security_rule").filter((x) => String(x.name).startsWith("AllowEntryPoint"));
    expect(allows).toHaveLength(2);
    for (const r of allows) {
      expect(r.source_address_prefixes).toEqual(["198.51.100.0/24"]);
      expect(r.source_address_prefix).toBeUndefined();
    }
  });
  test("an empty source list admits nobody (never falls back to the Internet)", () => {
    const res = synthJson((s) => { new Network(s, "Network", { ...base, entryPoint: { sourceCidrs: [] } }); });
    expect(resourcesOf(res, "azurerm_network_security_rule").filter((x) => String(x.name).startsWith("AllowEntryPoint"))).toHaveLength(0);
    expect(resourcesOf(res, "azurerm_network_security_rule").filter((x) => x.source_address_prefix === "Internet" && x.access === "Allow")).toHaveLength(0);
  });
  test("egress leaves through a NAT gateway on the node and API server subnets", () => {
    const res = synthJson((s) => { new Network(s, "Network", base); });
    expect(onlyResource(res, "azurerm_nat_gateway")).toMatchObject({ sku_name: "Standard" });
    expect(resourcesOf(res, "azurerm_subnet_nat_gateway_association").map((a) => a.subnet_id).sort()).toEqual([
      "${azurerm_subnet.Network_ApiServerSubnet_F9EBDB7C.id}",
      "${azurerm_subnet.Network_NodesSubnet_37E3959C.id}",
    ]);
    expect(onlyResource(res, "azurerm_nat_gateway_public_ip_association")).toBeDefined();
  });
  test("refuses a range outside /16../20", () => {
    expect(() => Testing.synthScope((s) => { new Network(s, "Network", { ...base, cidr: "10.50.0.0/24" }); })).toThrow(/network cidr/);
  });
  // Azure's constraints on an NSG's rules, which the rule table must keep in every combination of options.
  // Source: https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview (Security rules:
  // "Name: A unique name within the network security group", "Priority: A number between 100 and 4096",
  // "You can't create two security rules with the same priority and direction").
  const NSG_RULE_FACTS = { priorityRange: [100, 4096], uniqueNamePerGroup: true, uniquePriorityPerGroupAndDirection: true } as const;
  test.each([
    ["no entry point, no pods, no admins", {}],
    ["public entry point, pods, admins", { entryPoint: {}, podCidr: "10.244.0.0/16", apiServerSourceCidrs: ["192.168.10.0/24"] }],
    ["public entry point from ranges", { entryPoint: { sourceCidrs: ["198.51.100.0/24"] }, podCidr: "10.244.0.0/16" }],
    ["internal entry point, Private Link Service", { entryPoint: { internal: true, privateLinkService: true }, podCidr: "10.244.0.0/16", apiServerSourceCidrs: ["192.168.10.0/24"] }],
    ["internal entry point admitting nobody", { entryPoint: { internal: true, sourceCidrs: [] } }],
  ])("the rendered NSG rules keep Azure's constraints (%s)", (_label, extra) => {
    const res = synthJson((s) => { new Network(s, "Network", { ...base, ...extra }); });
    const rules = resourcesOf(res, "azurerm_network_security_rule");
    expect(rules.length).toBeGreaterThan(0);
    const byGroup = new Map<unknown, Record<string, unknown>[]>();
    for (const r of rules) byGroup.set(r.network_security_group_name, [...(byGroup.get(r.network_security_group_name) ?? []), r]);
    expect(byGroup.size).toBe(4);
    for (const group of byGroup.values()) {
      const names = group.map((r) => r.name);
      if (NSG_RULE_FACTS.uniqueNamePerGroup) expect(new Set(names).size).toBe(names.length);
      const slots = group.map((r) => `${r.direction}/${r.priority}`);
      if (NSG_RULE_FACTS.uniquePriorityPerGroupAndDirection) expect(new Set(slots).size).toBe(slots.length);
      for (const r of group) {
        expect(r.priority as number).toBeGreaterThanOrEqual(NSG_RULE_FACTS.priorityRange[0]);
        expect(r.priority as number).toBeLessThanOrEqual(NSG_RULE_FACTS.priorityRange[1]);
        // One of the singular and plural forms of each address and port, never both, never neither.
        expect((r.source_address_prefix === undefined) !== (r.source_address_prefixes === undefined)).toBe(true);
        expect((r.destination_address_prefix === undefined) !== (r.destination_address_prefixes === undefined)).toBe(true);
        expect((r.destination_port_range === undefined) !== (r.destination_port_ranges === undefined)).toBe(true);
      }
    }
  });
});

describe("VnetFlowLog", () => {
  test("records the VNet (v2) with 90-day retention through the region's default Network Watcher", () => {
    const out = Testing.synthScope((s) => {
      new VnetFlowLog(s, "FlowLog", { name: "acme-flow", location: "westeurope", virtualNetworkId: "vnet-id", storageAccountId: "sa-id" });
    });
    expect(out).toHaveResourceWithProperties(NetworkWatcherFlowLog, {
      enabled: true,
      version: 2,
      target_resource_id: "vnet-id",
      storage_account_id: "sa-id",
      network_watcher_name: "NetworkWatcher_westeurope",
      resource_group_name: "NetworkWatcherRG",
      retention_policy: expect.objectContaining({ enabled: true, days: 90 }),
    });
  });
  test("feeds traffic analytics when given a workspace", () => {
    const out = Testing.synthScope((s) => {
      new VnetFlowLog(s, "FlowLog", {
        name: "f", location: "westeurope", virtualNetworkId: "v", storageAccountId: "s",
        trafficAnalytics: { workspaceId: "guid", workspaceResourceId: "law-id", location: "westeurope" },
      });
    });
    expect(out).toHaveResourceWithProperties(NetworkWatcherFlowLog, {
      traffic_analytics: expect.objectContaining({ enabled: true, workspace_id: "guid", workspace_resource_id: "law-id", interval_in_minutes: 10 }),
    });
  });
});

describe("PrivateLink", () => {
  test.each([
    ["blob", "privatelink.blob.core.windows.net"],
    ["vault", "privatelink.vaultcore.azure.net"],
  ] as const)("%s: endpoint with its private DNS zone linked to the VNet", (service, zone) => {
    const out = Testing.synthScope((s) => {
      new PrivateLink(s, "Endpoint", { name: "pe", location: "westeurope", resourceGroupName: "rg", targetResourceId: "target", service, subnetId: "subnet", virtualNetworkId: "vnet" });
    });
    expect(out).toHaveResourceWithProperties(PrivateDnsZone, { name: zone });
    expect(out).toHaveResourceWithProperties(PrivateDnsZoneVirtualNetworkLink, { virtual_network_id: "vnet", registration_enabled: false });
    expect(out).toHaveResourceWithProperties(PrivateEndpoint, {
      subnet_id: "subnet",
      private_service_connection: expect.objectContaining({ private_connection_resource_id: "target", subresource_names: [service], is_manual_connection: false }),
      private_dns_zone_group: expect.objectContaining({ private_dns_zone_ids: [expect.stringMatching(/^\$\{azurerm_private_dns_zone\.Endpoint_Zone_[0-9A-F]+\.id\}$/)] }),
    });
  });
  test("a second endpoint of the same service reuses the first one's zone (no clashing zone)", () => {
    const res = synthJson((s) => {
      const where = { location: "westeurope", resourceGroupName: "rg", service: "vault", subnetId: "subnet", virtualNetworkId: "vnet" } as const;
      const first = new PrivateLink(s, "First", { name: "pe1", targetResourceId: "kv1", ...where });
      new PrivateLink(s, "Second", { name: "pe2", targetResourceId: "kv2", dnsZone: first.zone, ...where });
    });
    expect(resourcesOf(res, "azurerm_private_dns_zone")).toHaveLength(1);
    expect(resourcesOf(res, "azurerm_private_dns_zone_virtual_network_link")).toHaveLength(1);
    const zones = resourcesOf(res, "azurerm_private_endpoint").map((e) => JSON.stringify((e.private_dns_zone_group as { private_dns_zone_ids: string[] }).private_dns_zone_ids));
    expect(new Set(zones).size).toBe(1);
  });
});
