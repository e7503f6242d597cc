import { AKS_LOAD_BALANCER_FACTS } from "../../constructs/azure/azure-facts";
import { deploymentRuns } from "../support/deployments";
import { blockNamed, blocksOf, entryPointAnnotations, exampleVariant, resourceTypes, synthDeployment } from "../support/estate";
import { failing } from "../support/postconditions";
import { nonEmpty } from "../support/non-empty";

// examples/azure-estate.yaml: an existing VNet (azure.existingNetwork), an internal entry point with a Private
// Link Service (domain.access, domain.privateLink).

const FILE = "examples/azure-estate.yaml";
const estate = synthDeployment(exampleVariant(FILE));
const created = synthDeployment(exampleVariant("examples/azure.yaml"));
const VNET_RG = "contoso-network";

describe("an existing VNet", () => {
  test("the stack creates no network: no VNet, subnet, NSG, NAT gateway, public IP or flow log", () => {
    const networkTypes = /^azurerm_(virtual_network|subnet.*|network_security_.*|nat_gateway.*|public_ip|network_watcher_flow_log)$/;
    expect(resourceTypes(estate.cloud).filter((t) => networkTypes.test(t))).toEqual([]);
    expect(resourceTypes(created.cloud).filter((t) => networkTypes.test(t)).length).toBeGreaterThan(5);
  });

  test("the cluster joins the stated subnets, leaves through the customer's routes, and waits for its identity's grant on that VNet", () => {
    const cluster = Object.values(blocksOf(estate.cloud, "azurerm_kubernetes_cluster"))[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(cluster.network_profile.outbound_type).toBe("userDefinedRouting");
    expect(cluster.default_node_pool.vnet_subnet_id).toBe("${data.azurerm_subnet.Network_NodesSubnet_37E3959C.id}");
    expect(cluster.api_server_access_profile.subnet_id).toBe("${data.azurerm_subnet.Network_ApiServerSubnet_F9EBDB7C.id}");
    const grant = blocksOf(estate.cloud, "azurerm_role_assignment").ClusterExistingVnetNetworkContributor;
    expect(grant).toEqual(expect.objectContaining({ scope: "${data.azurerm_virtual_network.Network_1C6012B5.id}", role_definition_name: "Network Contributor" }));
    // Once it has taken effect (AZURE_RBAC_PROPAGATION), not only once it exists.
    expect(cluster.depends_on).toContain("time_sleep.ClusterExistingVnetNetworkContributorPropagated");
    expect((blocksOf(estate.cloud, "time_sleep").ClusterExistingVnetNetworkContributorPropagated as { depends_on: string[] }).depends_on).toEqual(["azurerm_role_assignment.ClusterExistingVnetNetworkContributor"]);
    // The created network keeps its NAT gateway.
    const createdCluster = Object.values(blocksOf(created.cloud, "azurerm_kubernetes_cluster"))[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(createdCluster.network_profile.outbound_type).toBe("userAssignedNATGateway");
  });

  test("private endpoints go to the stated endpoint subnet; the runner peering is made on the VNet, in its own group", () => {
    for (const pe of nonEmpty(Object.values(blocksOf(estate.cloud, "azurerm_private_endpoint")), "private endpoint")) expect(pe.subnet_id).toBe("${data.azurerm_subnet.Network_EndpointsSubnet_27BCC467.id}");
    const toRunner = Object.values(blocksOf(estate.cloud, "azurerm_virtual_network_peering")).find((p) => String(p.name).endsWith("-to-runner"));
    expect(toRunner).toEqual(expect.objectContaining({ resource_group_name: VNET_RG, virtual_network_name: "${data.azurerm_virtual_network.Network_1C6012B5.name}" }));
    expect(blockNamed(estate.cloud, "azurerm_virtual_network", "Network")).toEqual(expect.objectContaining({ name: "contoso-spoke", resource_group_name: VNET_RG }));
  });

  test("the VNet's postcondition, evaluated by terraform: network.cidr must be one of its address spaces", () => {
    const vnet = blockNamed(estate.cloud, "azurerm_virtual_network", "Network");
    expect(failing(vnet, { address_space: ["10.50.0.0/16", "10.51.0.0/16"] })).toEqual([]);
    expect(failing(vnet, { address_space: ["10.50.0.0/17"] })).toEqual([expect.stringContaining("network.cidr (10.50.0.0/16) is not one of the VNet's address spaces")]);
  });

  test("the subnets' postconditions, evaluated by terraform: range, NSG, route table (userDefinedRouting), PLS network policies off", () => {
    const nodes = blockNamed(estate.cloud, "azurerm_subnet", "NodesSubnet");
    const good = { address_prefixes: ["10.50.0.0/18"], network_security_group_id: "/subscriptions/x/nsg", route_table_id: "/subscriptions/x/rt", private_link_service_network_policies_enabled: false };
    expect(failing(nodes, good)).toEqual([]);
    expect(failing(nodes, { ...good, address_prefixes: ["10.50.0.0/19"] })).toEqual([expect.stringContaining("nodeSubnet.cidr")]);
    // The provider reports a subnet without NSG or route table as "" (or null): both fail, neither breaks the evaluation.
    expect(failing(nodes, { ...good, network_security_group_id: "" })).toEqual([expect.stringContaining("has no network security group")]);
    expect(failing(nodes, { ...good, network_security_group_id: null })).toEqual([expect.stringContaining("has no network security group")]);
    expect(failing(nodes, { ...good, route_table_id: "" })).toEqual([expect.stringContaining("has no route table")]);
    expect(failing(nodes, { ...good, private_link_service_network_policies_enabled: true })).toEqual([expect.stringContaining("private link service network policies on")]);
    const api = blockNamed(estate.cloud, "azurerm_subnet", "ApiServerSubnet");
    expect(failing(api, { address_prefixes: ["10.50.64.0/28"], network_security_group_id: "", route_table_id: "/rt" })).toEqual([expect.stringContaining("apiServerSubnet: subnet catalog-api-server has no network security group")]);
  });

  test("with a NAT gateway outbound type, no route table is required", () => {
    const nat = synthDeployment(exampleVariant(FILE, (raw) => (((raw.azure as Record<string, any>).existingNetwork.outboundType = "userAssignedNATGateway")))); // eslint-disable-line @typescript-eslint/no-explicit-any
    const nodes = blockNamed(nat.cloud, "azurerm_subnet", "NodesSubnet");
    expect(failing(nodes, { address_prefixes: ["10.50.0.0/18"], network_security_group_id: "/nsg", route_table_id: "", private_link_service_network_policies_enabled: false })).toEqual([]);
  });
});

describe("an internal entry point with a Private Link Service", () => {
  const lb = AKS_LOAD_BALANCER_FACTS.internalAnnotations.value;
  const pls = AKS_LOAD_BALANCER_FACTS.privateLinkAnnotations.value;

  test("the Service asks AKS for an internal load balancer in the node subnet and a Private Link Service visible to the listed subscriptions", () => {
    const a = entryPointAnnotations(estate.platform);
    expect(a).toEqual(
      expect.objectContaining({ [lb.internal]: "true", [lb.subnet]: "catalog-nodes", [pls.create]: "true", [pls.name]: "contoso-estate-entry-point", [pls.subnet]: "catalog-nodes", [pls.visibility]: "55555555-5555-5555-5555-555555555555" }),
    );
    expect(a["service.beta.kubernetes.io/azure-pip-name"]).toBeUndefined();
  });

  test("on a created network: no public IP, the node NSG admits the sources to the load-balancer subnet only, and that subnet can host the PLS", () => {
    const internal = synthDeployment(
      exampleVariant("examples/azure.yaml", (raw) => {
        const domain = raw.domain as Record<string, unknown>;
        domain.access = "internal";
        domain.privateLink = { allowedConsumers: ["55555555-5555-5555-5555-555555555555"] };
      }),
    );
    const entryIps = (json: typeof created.cloud) => Object.keys(blocksOf(json, "azurerm_public_ip")).filter((id) => id.startsWith("Network_EntryPointIp"));
    expect(entryIps(internal.cloud)).toEqual([]);
    expect(entryIps(created.cloud)).toHaveLength(1);
    const rules = Object.values(blocksOf(internal.cloud, "azurerm_network_security_rule")).filter((r) => String(r.name).startsWith("AllowEntryPoint"));
    // The example's load-balancer subnet is the sixth /19 of 10.50.0.0/16.
    expect(rules.map((r) => [r.name, r.source_address_prefix, r.destination_address_prefix, r.destination_port_range]).sort().reverse()).toEqual([
      ["AllowEntryPointHttps", "VirtualNetwork", "10.50.160.0/19", "443"],
      ["AllowEntryPointHttpRedirect", "VirtualNetwork", "10.50.160.0/19", "80"],
    ]);
    const lbSubnet = Object.values(blocksOf(internal.cloud, "azurerm_subnet")).find((s) => String(s.name).endsWith("-load-balancers"));
    expect(lbSubnet?.private_link_service_network_policies_enabled).toBe(false);
    const createdLbSubnet = Object.values(blocksOf(created.cloud, "azurerm_subnet")).find((s) => String(s.name).endsWith("-load-balancers"));
    expect(createdLbSubnet?.private_link_service_network_policies_enabled).toBeUndefined();
    expect(entryPointAnnotations(internal.platform)[lb.subnet]).toMatch(/Network_LoadBalancersSubnet/);
  });

  test("an existing VNet with a public entry point: the static IP is the deployment's own, in its network group", () => {
    const pub = synthDeployment(
      exampleVariant(FILE, (raw) => {
        const domain = raw.domain as Record<string, unknown>;
        domain.access = "public";
        delete domain.privateLink;
        // The private zone and the static private address serve an internal entry point only.
        delete domain.dnsZone;
        delete (raw.azure as Record<string, unknown>).entryPointPrivateIp;
      }),
    );
    const ips = Object.entries(blocksOf(pub.cloud, "azurerm_public_ip"));
    expect(ips.map(([id, ip]) => [id, ip.name, ip.sku, ip.zones])).toEqual([["EntryPointIp", "contoso-estate-entry-point-ip", "Standard", ["1", "2", "3"]]]);
    const a = entryPointAnnotations(pub.platform);
    expect(a["service.beta.kubernetes.io/azure-pip-name"]).toBeDefined();
    expect(a[lb.internal]).toBeUndefined();
  });

  test("the default stays public: the static IP and no internal annotation", () => {
    const a = entryPointAnnotations(created.platform);
    expect(a[lb.internal]).toBeUndefined();
    expect(a["service.beta.kubernetes.io/azure-pip-name"]).toBeDefined();
  });
});

test("examples/azure-estate.yaml synthesizes through main.ts under the policy", () => {
  const run = deploymentRuns().find((r) => r.key === "examples-azure-estate");
  expect(run).toEqual(expect.objectContaining({ code: 0 }));
  expect(run?.stdout).toMatch(/policy ok: .* 0 failed/);
});
