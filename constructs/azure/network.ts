import { Construct } from "constructs";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { NetworkSecurityGroup } from "@cdktf/provider-azurerm/lib/network-security-group";
import { NetworkSecurityRule } from "@cdktf/provider-azurerm/lib/network-security-rule";
import { SubnetNetworkSecurityGroupAssociation } from "@cdktf/provider-azurerm/lib/subnet-network-security-group-association";
import { NatGateway } from "@cdktf/provider-azurerm/lib/nat-gateway";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { NatGatewayPublicIpAssociation } from "@cdktf/provider-azurerm/lib/nat-gateway-public-ip-association";
import { SubnetNatGatewayAssociation } from "@cdktf/provider-azurerm/lib/subnet-nat-gateway-association";
import { parseIpv4Cidr, subnet } from "../../lib/cidr";
import { AKS_FACTS } from "./azure-facts";

/** The subnets of the network, by role. */
export type SubnetRole = "nodes" | "endpoints" | "loadBalancers" | "apiServer";

/** The service the API server subnet is delegated to (AKS API Server VNet Integration). */
export const API_SERVER_DELEGATION = "Microsoft.ContainerService/managedClusters";

/** Prefix length of the API server subnet: AKS requires at least a /28. */
export const API_SERVER_SUBNET_PREFIX = 28;

/** The user-facing entry point's inbound allowance. */
export interface EntryPointIngress {
  /**
   * Source ranges allowed to reach the entry point on 443 (HTTPS) and 80 (redirect to HTTPS only).
   * An empty list admits nobody.
   * @default - the Internet service tag (it is the user-facing endpoint)
   */
  readonly sourceCidrs?: readonly string[];
  /**
   * The entry point is an internal load balancer with its frontend in the load-balancer subnet: no public
   * IP; the node NSG admits `sourceCidrs` (default: the VirtualNetwork service tag, which covers peered and
   * connected networks) to that subnet's range on 443 and 80.
   * @default false - a static public IP
   */
  readonly internal?: boolean;
  /**
   * A Private Link Service takes its NAT addresses from the load-balancer subnet: its private link service
   * network policies are turned off (AKS_LOAD_BALANCER_FACTS.privateLinkSubnetPoliciesDisabled).
   * @default false
   */
  readonly privateLinkService?: boolean;
}

/** Props of {@link Network}. */
export interface NetworkProps {
  /** Prefix of every resource name, e.g. the deployment name. */
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /**
   * The VNet's range (/16 to /20): nodes get the first half, endpoints and load balancers a /(n+3) each, the
   * API server a /28 at the start of the last quarter (the rest of that quarter stays free).
   */
  readonly cidr: string;
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * A static, zone-redundant public IP for the entry point's LoadBalancer Service, and NSG rules that let
   * the Internet (or `sourceCidrs`) reach exactly that IP on 443 and 80.
   * @default - no entry point: every subnet denies all inbound traffic from the Internet
   */
  readonly entryPoint?: EntryPointIngress;
  /**
   * The cluster's pod range (Azure CNI overlay). Pods talk to each other and to nodes with these addresses,
   * so the node NSG allows them explicitly (AKS's documented overlay rules), whatever service tag they fall in.
   * @default - no pod-range rules
   */
  readonly podCidr?: string;
  /**
   * Ranges administrators reach the API server from. With API Server VNet Integration the API server sits
   * behind an internal load balancer in the API server subnet: its NSG admits these on 443 only (for a
   * public endpoint the authorized IP ranges apply as well).
   * @default - none: only the nodes reach the API server subnet
   */
  readonly apiServerSourceCidrs?: readonly string[];
}

/** Priority of the explicit deny-Internet rule: after every allow rule, before Azure's defaults (65000+). */
const DENY_INTERNET_PRIORITY = 4000;
/** Priority of the node subnet's deny of the rest of the VNet (Azure's default would allow it at 65000). */
const DENY_VNET_PRIORITY = 4010;

/**
 * The private network: a VNet with subnets for nodes, private endpoints (data) and internal load balancers;
 * an NSG on every subnet that denies inbound traffic from the Internet (the entry point's public IP on 443/80
 * excepted, when there is one); a NAT gateway as the nodes' only way out; no subnet has default outbound access.
 * Nodes accept connections only from other nodes, pods, the API server subnet, Azure's load-balancer probes
 * and the entry point's users: the rest of the VNet is denied too. The API server subnet (delegated to AKS,
 * API Server VNet Integration) accepts only the nodes (on 443 and 4443, AKS_FACTS), administrators on 443,
 * probes, and itself.
 *
 * Azure's load balancer is pass-through (AKS enables floating IP), so Internet traffic to the entry point
 * reaches the node subnet with the frontend IP as destination: the exception lives on the node NSG and
 * names that one IP.
 */
export class Network extends Construct {
  readonly vnet: VirtualNetwork;
  readonly subnets: Readonly<Record<SubnetRole, Subnet>>;
  readonly securityGroups: Readonly<Record<SubnetRole, NetworkSecurityGroup>>;
  readonly natGateway: NatGateway;
  /** The nodes' egress address (the NAT gateway's public IP). */
  readonly egressIp: PublicIp;
  /** Associates the NAT gateway with the node subnet; the cluster must depend on it (outbound type NAT gateway). */
  readonly natAssociation: SubnetNatGatewayAssociation;
  /**
   * Associates the NAT gateway with the API server subnet: no subnet has default outbound access, so the API
   * server's own egress (Entra ID, AKS's control plane) leaves by the same known address as the nodes'.
   */
  readonly apiServerNatAssociation: SubnetNatGatewayAssociation;
  /** NSG associations; anything placed in the subnets should depend on them. */
  readonly securityGroupAssociations: readonly SubnetNetworkSecurityGroupAssociation[];
  /** The entry point's static public IP, when `entryPoint` is given. */
  readonly entryPointIp?: PublicIp;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { name, location, resourceGroupName } = props;
    const tags = { ...props.tags };
    const prefix = parseIpv4Cidr(props.cidr)?.prefix;
    if (prefix === undefined || prefix < 16 || prefix > 20) throw new Error(`network cidr ${props.cidr}: give a /16 to /20, e.g. 10.40.0.0/16`);
    const ranges: Record<SubnetRole, string> = {
      nodes: subnet(props.cidr, prefix + 1, 0),
      endpoints: subnet(props.cidr, prefix + 3, 4),
      loadBalancers: subnet(props.cidr, prefix + 3, 5),
      apiServer: subnet(subnet(props.cidr, prefix + 2, 3), API_SERVER_SUBNET_PREFIX, 0),
    };

    this.vnet = new VirtualNetwork(this, "Resource", {
      name: `${name}-vnet`,
      location,
      resourceGroupName,
      addressSpace: [props.cidr],
      tags,
    });

    const roles: readonly SubnetRole[] = ["nodes", "endpoints", "loadBalancers", "apiServer"];
    const ids: Record<SubnetRole, string> = { nodes: "Nodes", endpoints: "Endpoints", loadBalancers: "LoadBalancers", apiServer: "ApiServer" };
    const kebab: Record<SubnetRole, string> = { nodes: "nodes", endpoints: "endpoints", loadBalancers: "load-balancers", apiServer: "api-server" };
    const subnets = {} as Record<SubnetRole, Subnet>;
    const groups = {} as Record<SubnetRole, NetworkSecurityGroup>;
    const associations: SubnetNetworkSecurityGroupAssociation[] = [];
    for (const role of roles) {
      subnets[role] = new Subnet(this, `${ids[role]}Subnet`, {
        name: `${name}-${kebab[role]}`,
        resourceGroupName,
        virtualNetworkName: this.vnet.name,
        addressPrefixes: [ranges[role]],
        // No implicit Internet egress: the nodes leave through the NAT gateway, nothing else leaves.
        defaultOutboundAccessEnabled: false,
        // NSGs (and route tables) apply to private endpoints too.
        privateEndpointNetworkPolicies: "Enabled",
        ...(role === "loadBalancers" && props.entryPoint?.privateLinkService ? { privateLinkServiceNetworkPoliciesEnabled: false } : {}),
        // AKS projects the API server (behind an internal load balancer) into this subnet.
        ...(role === "apiServer"
          ? {
              delegation: [
                {
                  name: "aks-api-server",
                  serviceDelegation: { name: API_SERVER_DELEGATION, actions: ["Microsoft.Network/virtualNetworks/subnets/join/action"] },
                },
              ],
            }
          : {}),
      });
      groups[role] = new NetworkSecurityGroup(this, `${ids[role]}SecurityGroup`, {
        name: `${name}-${kebab[role]}-nsg`,
        location,
        resourceGroupName,
        tags,
      });
      // Explicit, so it is visible and survives any later broad allow rule with a lower priority number.
      renderRule(this, denyInternetRule(role, `${ids[role]}DenyInternetInbound`), resourceGroupName, groups[role].name);
      associations.push(
        new SubnetNetworkSecurityGroupAssociation(this, `${ids[role]}SecurityGroupAssociation`, {
          subnetId: subnets[role].id,
          networkSecurityGroupId: groups[role].id,
        }),
      );
    }
    this.subnets = subnets;
    this.securityGroups = groups;
    this.securityGroupAssociations = associations;

    // The entry point's public IP before the rules that name it (one of its own, for a public entry point only).
    if (props.entryPoint && !props.entryPoint.internal) this.entryPointIp = entryPointPublicIp(this, name, location, resourceGroupName, tags);
    const rules = securityRules({
      ranges,
      podCidr: props.podCidr,
      apiServerSourceCidrs: props.apiServerSourceCidrs ?? [],
      entryPoint: props.entryPoint,
      entryPointAddress: this.entryPointIp?.ipAddress,
    });
    for (const rule of rules) renderRule(this, rule, resourceGroupName, groups[rule.group].name);

    const egress = natEgress(this, name, location, resourceGroupName, tags, subnets);
    this.natGateway = egress.natGateway;
    this.egressIp = egress.egressIp;
    this.natAssociation = egress.natAssociation;
    this.apiServerNatAssociation = egress.apiServerNatAssociation;
  }
}

/**
 * The nodes' and API server's only way out (`NatGateway`, `EgressIp` and their associations in `scope`): a NAT
 * gateway with one static public IP, on the node and API server subnets.
 */
function natEgress(scope: Construct, name: string, location: string, resourceGroupName: string, tags: Record<string, string>, subnets: Record<SubnetRole, Subnet>) {
  const natGateway = new NatGateway(scope, "NatGateway", {
    name: `${name}-nat`,
    location,
    resourceGroupName,
    skuName: "Standard",
    idleTimeoutInMinutes: 4,
    tags,
  });
  const egressIp = new PublicIp(scope, "EgressIp", {
    name: `${name}-egress-ip`,
    location,
    resourceGroupName,
    sku: "Standard",
    allocationMethod: "Static",
    tags,
  });
  new NatGatewayPublicIpAssociation(scope, "EgressIpAssociation", {
    natGatewayId: natGateway.id,
    publicIpAddressId: egressIp.id,
  });
  const natAssociation = new SubnetNatGatewayAssociation(scope, "NatGatewayAssociation", {
    subnetId: subnets.nodes.id,
    natGatewayId: natGateway.id,
  });
  const apiServerNatAssociation = new SubnetNatGatewayAssociation(scope, "ApiServerNatGatewayAssociation", {
    subnetId: subnets.apiServer.id,
    natGatewayId: natGateway.id,
  });
  return { natGateway, egressIp, natAssociation, apiServerNatAssociation };
}

/**
 * One rule of a subnet's NSG, as data: {@link securityRules} writes the table, {@link renderRule} the one loop that
 * turns a row into an `azurerm_network_security_rule`. A single address or port renders as the singular
 * attribute (`source_address_prefix`), a list as the plural one (`source_address_prefixes`): Azure takes one or
 * the other.
 */
export interface SecurityRule {
  /** Construct id of the rule (part of its Terraform address: never change it for an existing network). */
  readonly id: string;
  /** The NSG it belongs to. */
  readonly group: SubnetRole;
  /** The rule's name in the NSG (unique per NSG, not across them). */
  readonly name: string;
  readonly description: string;
  /** 100-4096; lower numbers are evaluated first. */
  readonly priority: number;
  readonly direction: "Inbound" | "Outbound";
  readonly access: "Allow" | "Deny";
  readonly protocol: "Tcp" | "*";
  /** Source: an address prefix, service tag or `*`, or a list of prefixes. */
  readonly source: string | readonly string[];
  /** Destination: an address prefix, service tag or `*`, or a list of prefixes. */
  readonly destination: string | readonly string[];
  /** Destination ports: `*`, one port or range, or a list. Source ports are always `*`. */
  readonly ports: string | readonly string[];
}

/** What the rules of {@link securityRules} are written from. */
export interface SecurityRuleInputs {
  readonly ranges: Readonly<Record<SubnetRole, string>>;
  readonly podCidr?: string;
  readonly apiServerSourceCidrs: readonly string[];
  readonly entryPoint?: EntryPointIngress;
  /** The public entry point's IP address (a public entry point only). */
  readonly entryPointAddress?: string;
}

/** Every subnet's explicit deny of the Internet (`<Role>DenyInternetInbound`): after every allow, before Azure's defaults. */
export function denyInternetRule(group: SubnetRole, id: string): SecurityRule {
  return {
    id, group, name: "DenyInternetInbound", description: "Nothing on the Internet reaches this subnet (the entry point's frontend excepted).",
    priority: DENY_INTERNET_PRIORITY, direction: "Inbound", access: "Deny", protocol: "*", source: "Internet", destination: "*", ports: "*",
  };
}

/**
 * The node and API server NSGs' rules, in the order they are created: the nodes accept other nodes, pods, the
 * API server subnet, load-balancer probes and the entry point's users, and deny the rest of the VNet; the API
 * server subnet accepts the nodes (AKS_FACTS.apiServerSubnetPorts), itself, probes and administrators on 443, and
 * denies the rest of the VNet. The entry point's rules admit its sources on 443 and 80 to its frontend only: the
 * public IP, or the load-balancer subnet for an internal one. An empty source list admits nobody (no rule), never
 * everyone.
 */
export function securityRules(p: SecurityRuleInputs): SecurityRule[] {
  const nodes = p.ranges.nodes;
  const apiServer = p.ranges.apiServer;
  const pods = p.podCidr;
  const inbound = { direction: "Inbound", access: "Allow" } as const;
  const rules: SecurityRule[] = [
    { id: "AllowNodesInbound", group: "nodes", name: "AllowNodesInbound", description: "Node to node (kubelet, overlay).", priority: 200, ...inbound, protocol: "*", source: nodes, destination: nodes, ports: "*" },
    { id: "AllowLoadBalancerProbesInbound", group: "nodes", name: "AllowLoadBalancerProbesInbound", description: "Azure load balancer health probes.", priority: 220, ...inbound, protocol: "*", source: "AzureLoadBalancer", destination: "*", ports: "*" },
    ...(pods
      ? ([
          { id: "AllowPodsInbound", group: "nodes", name: "AllowPodsInbound", description: "Pod to pod and pod to node (Azure CNI overlay).", priority: 210, ...inbound, protocol: "*", source: pods, destination: [pods, nodes], ports: "*" },
          { id: "AllowPodsOutbound", group: "nodes", name: "AllowPodsOutbound", description: "Node and pod traffic to pods (Azure CNI overlay).", priority: 210, direction: "Outbound", access: "Allow", protocol: "*", source: [pods, nodes], destination: pods, ports: "*" },
        ] as const)
      : []),
    // The API server calls kubelets, and webhooks and aggregated APIs in pods.
    { id: "AllowApiServerInbound", group: "nodes", name: "AllowApiServerInbound", description: "The API server (its delegated subnet) to kubelets and pods.", priority: 215, ...inbound, protocol: "*", source: apiServer, destination: [nodes, ...(pods ? [pods] : [])], ports: "*" },
    { id: "NodesDenyVnetInbound", group: "nodes", name: "DenyOtherVnetInbound", description: "Nothing else in the network reaches the nodes.", priority: DENY_VNET_PRIORITY, direction: "Inbound", access: "Deny", protocol: "*", source: "VirtualNetwork", destination: "*", ports: "*" },

    { id: "ApiServerAllowNodesInbound", group: "apiServer", name: "AllowNodesInbound", description: "Nodes reach the API server's internal load balancer on 443 and 4443 (no tunnel, no public hop).", priority: 200, ...inbound, protocol: "Tcp", source: nodes, destination: apiServer, ports: AKS_FACTS.apiServerSubnetPorts.value.map(String) },
    { id: "ApiServerAllowSelfInbound", group: "apiServer", name: "AllowApiServerSubnetInbound", description: "The API server's instances and its load balancer within the subnet.", priority: 210, ...inbound, protocol: "*", source: apiServer, destination: apiServer, ports: "*" },
    { id: "ApiServerAllowLoadBalancerProbesInbound", group: "apiServer", name: "AllowLoadBalancerProbesInbound", description: "Azure load balancer health probes.", priority: 220, ...inbound, protocol: "*", source: "AzureLoadBalancer", destination: "*", ports: "*" },
    ...(p.apiServerSourceCidrs.length > 0
      ? ([{ id: "ApiServerAllowAdminsInbound", group: "apiServer", name: "AllowAdminsInbound", description: "Administrators reach the API server on 443.", priority: 230, ...inbound, protocol: "Tcp", source: [...p.apiServerSourceCidrs], destination: apiServer, ports: "443" }] as const)
      : []),
    { id: "ApiServerDenyVnetInbound", group: "apiServer", name: "DenyOtherVnetInbound", description: "Nothing else in the network reaches the API server.", priority: DENY_VNET_PRIORITY, direction: "Inbound", access: "Deny", protocol: "*", source: "VirtualNetwork", destination: "*", ports: "*" },
  ];
  return [...rules, ...entryPointRules(p)];
}

/** The entry point's two rules on the node NSG (users on 443, the HTTP redirect on 80), or none. */
function entryPointRules(p: SecurityRuleInputs): SecurityRule[] {
  const entryPoint = p.entryPoint;
  if (!entryPoint) return [];
  const internal = entryPoint.internal === true;
  if (!internal && p.entryPointAddress === undefined) throw new Error("a public entry point's rules need its IP address");
  const sources = entryPoint.sourceCidrs;
  // An empty list means nobody (the frontend exists, nothing may reach it), never "everyone".
  if (sources !== undefined && sources.length === 0) return [];
  const source = sources === undefined ? (internal ? "VirtualNetwork" : "Internet") : [...sources];
  const destination = internal ? p.ranges.loadBalancers : p.entryPointAddress!;
  const https = internal
    ? "Users reach the platform's internal HTTPS entry point (the load-balancer subnet's frontends only)."
    : "Users reach the platform's HTTPS entry point (its frontend IP only).";
  const allow = { group: "nodes", direction: "Inbound", access: "Allow", protocol: "Tcp", source, destination } as const;
  return [
    { id: "AllowEntryPointHttps", name: "AllowEntryPointHttps", description: https, priority: 100, ports: "443", ...allow },
    { id: "AllowEntryPointHttp", name: "AllowEntryPointHttpRedirect", description: "Plain HTTP to the entry point only redirects to HTTPS.", priority: 110, ports: "80", ...allow },
  ];
}

/** The one renderer: a {@link SecurityRule} as an `azurerm_network_security_rule` in `networkSecurityGroupName`. */
function renderRule(scope: Construct, rule: SecurityRule, resourceGroupName: string, networkSecurityGroupName: string): NetworkSecurityRule {
  const one = (value: string | readonly string[]): value is string => typeof value === "string";
  return new NetworkSecurityRule(scope, rule.id, {
    name: rule.name,
    description: rule.description,
    resourceGroupName,
    networkSecurityGroupName,
    priority: rule.priority,
    direction: rule.direction,
    access: rule.access,
    protocol: rule.protocol,
    sourcePortRange: "*",
    ...(one(rule.source) ? { sourceAddressPrefix: rule.source } : { sourceAddressPrefixes: [...rule.source] }),
    ...(one(rule.destination) ? { destinationAddressPrefix: rule.destination } : { destinationAddressPrefixes: [...rule.destination] }),
    ...(one(rule.ports) ? { destinationPortRange: rule.ports } : { destinationPortRanges: [...rule.ports] }),
  });
}

/** The entry point's static, zone-redundant public IP (`EntryPointIp` in `scope`): the created network's, or beside an existing one. */
export function entryPointPublicIp(scope: Construct, name: string, location: string, resourceGroupName: string, tags: Record<string, string>): PublicIp {
  return new PublicIp(scope, "EntryPointIp", {
    name: `${name}-entry-point-ip`,
    location,
    resourceGroupName,
    sku: "Standard",
    allocationMethod: "Static",
    zones: ["1", "2", "3"],
    tags,
  });
}
