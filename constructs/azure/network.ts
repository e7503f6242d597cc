import { Construct } from "constructs";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { NetworkSecurityGroup } from "@cdktf/provider-azurerm/lib/network-security-group";
import { NetworkSecurityRule, NetworkSecurityRuleConfig } from "@cdktf/provider-azurerm/lib/network-security-rule";
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
      new NetworkSecurityRule(this, `${ids[role]}DenyInternetInbound`, {
        name: "DenyInternetInbound",
        description: "Nothing on the Internet reaches this subnet (the entry point's frontend excepted).",
        resourceGroupName,
        networkSecurityGroupName: groups[role].name,
        priority: DENY_INTERNET_PRIORITY,
        direction: "Inbound",
        access: "Deny",
        protocol: "*",
        sourceAddressPrefix: "Internet",
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: "*",
      });
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

    const nodeRule = (ruleId: string, rule: Omit<NetworkSecurityRuleConfig, "resourceGroupName" | "networkSecurityGroupName">) =>
      new NetworkSecurityRule(this, ruleId, { resourceGroupName, networkSecurityGroupName: groups.nodes.name, sourcePortRange: "*", ...rule });
    const nodeRange = ranges.nodes;
    nodeRule("AllowNodesInbound", {
      name: "AllowNodesInbound", description: "Node to node (kubelet, overlay).", priority: 200, direction: "Inbound", access: "Allow",
      protocol: "*", sourceAddressPrefix: nodeRange, destinationAddressPrefix: nodeRange, destinationPortRange: "*",
    });
    nodeRule("AllowLoadBalancerProbesInbound", {
      name: "AllowLoadBalancerProbesInbound", description: "Azure load balancer health probes.", priority: 220, direction: "Inbound", access: "Allow",
      protocol: "*", sourceAddressPrefix: "AzureLoadBalancer", destinationAddressPrefix: "*", destinationPortRange: "*",
    });
    if (props.podCidr) {
      const pods = props.podCidr;
      nodeRule("AllowPodsInbound", {
        name: "AllowPodsInbound", description: "Pod to pod and pod to node (Azure CNI overlay).", priority: 210, direction: "Inbound", access: "Allow",
        protocol: "*", sourceAddressPrefix: pods, destinationAddressPrefixes: [pods, nodeRange], destinationPortRange: "*",
      });
      nodeRule("AllowPodsOutbound", {
        name: "AllowPodsOutbound", description: "Node and pod traffic to pods (Azure CNI overlay).", priority: 210, direction: "Outbound", access: "Allow",
        protocol: "*", sourceAddressPrefixes: [pods, nodeRange], destinationAddressPrefix: pods, destinationPortRange: "*",
      });
    }
    // The API server calls kubelets, and webhooks and aggregated APIs in pods.
    nodeRule("AllowApiServerInbound", {
      name: "AllowApiServerInbound", description: "The API server (its delegated subnet) to kubelets and pods.", priority: 215, direction: "Inbound", access: "Allow",
      protocol: "*", sourceAddressPrefix: ranges.apiServer, destinationAddressPrefixes: [nodeRange, ...(props.podCidr ? [props.podCidr] : [])], destinationPortRange: "*",
    });
    nodeRule("NodesDenyVnetInbound", {
      name: "DenyOtherVnetInbound", description: "Nothing else in the network reaches the nodes.", priority: DENY_VNET_PRIORITY, direction: "Inbound",
      access: "Deny", protocol: "*", sourceAddressPrefix: "VirtualNetwork", destinationAddressPrefix: "*", destinationPortRange: "*",
    });

    const apiRule = (ruleId: string, rule: Omit<NetworkSecurityRuleConfig, "resourceGroupName" | "networkSecurityGroupName">) =>
      new NetworkSecurityRule(this, ruleId, { resourceGroupName, networkSecurityGroupName: groups.apiServer.name, sourcePortRange: "*", ...rule });
    const apiRange = ranges.apiServer;
    apiRule("ApiServerAllowNodesInbound", {
      name: "AllowNodesInbound", description: "Nodes reach the API server's internal load balancer on 443 and 4443 (no tunnel, no public hop).", priority: 200,
      direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefix: nodeRange, destinationAddressPrefix: apiRange,
      destinationPortRanges: AKS_FACTS.apiServerSubnetPorts.value.map(String),
    });
    apiRule("ApiServerAllowSelfInbound", {
      name: "AllowApiServerSubnetInbound", description: "The API server's instances and its load balancer within the subnet.", priority: 210,
      direction: "Inbound", access: "Allow", protocol: "*", sourceAddressPrefix: apiRange, destinationAddressPrefix: apiRange, destinationPortRange: "*",
    });
    apiRule("ApiServerAllowLoadBalancerProbesInbound", {
      name: "AllowLoadBalancerProbesInbound", description: "Azure load balancer health probes.", priority: 220, direction: "Inbound", access: "Allow",
      protocol: "*", sourceAddressPrefix: "AzureLoadBalancer", destinationAddressPrefix: "*", destinationPortRange: "*",
    });
    const admins = props.apiServerSourceCidrs ?? [];
    if (admins.length > 0) {
      apiRule("ApiServerAllowAdminsInbound", {
        name: "AllowAdminsInbound", description: "Administrators reach the API server on 443.", priority: 230,
        direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefixes: [...admins], destinationAddressPrefix: apiRange, destinationPortRange: "443",
      });
    }
    apiRule("ApiServerDenyVnetInbound", {
      name: "DenyOtherVnetInbound", description: "Nothing else in the network reaches the API server.", priority: DENY_VNET_PRIORITY, direction: "Inbound",
      access: "Deny", protocol: "*", sourceAddressPrefix: "VirtualNetwork", destinationAddressPrefix: "*", destinationPortRange: "*",
    });

    if (props.entryPoint?.internal) {
      const sources = props.entryPoint.sourceCidrs;
      const source = sources === undefined ? { sourceAddressPrefix: "VirtualNetwork" } : { sourceAddressPrefixes: [...sources] };
      const allow = (ruleId: string, ruleName: string, port: number, priority: number, description: string) =>
        new NetworkSecurityRule(this, ruleId, {
          name: ruleName, description, resourceGroupName, networkSecurityGroupName: groups.nodes.name, priority, direction: "Inbound", access: "Allow",
          protocol: "Tcp", ...source, sourcePortRange: "*", destinationAddressPrefix: ranges.loadBalancers, destinationPortRange: String(port),
        });
      if (sources === undefined || sources.length > 0) {
        allow("AllowEntryPointHttps", "AllowEntryPointHttps", 443, 100, "Users reach the platform's internal HTTPS entry point (the load-balancer subnet's frontends only).");
        allow("AllowEntryPointHttp", "AllowEntryPointHttpRedirect", 80, 110, "Plain HTTP to the entry point only redirects to HTTPS.");
      }
    } else if (props.entryPoint) {
      this.entryPointIp = entryPointPublicIp(this, name, location, resourceGroupName, tags);
      // An empty list means nobody (the IP exists, nothing may reach it), never "everyone".
      const sources = props.entryPoint.sourceCidrs;
      const source = sources === undefined ? { sourceAddressPrefix: "Internet" } : { sourceAddressPrefixes: [...sources] };
      const allow = (ruleId: string, ruleName: string, port: number, priority: number, description: string) =>
        new NetworkSecurityRule(this, ruleId, {
          name: ruleName,
          description,
          resourceGroupName,
          networkSecurityGroupName: groups.nodes.name,
          priority,
          direction: "Inbound",
          access: "Allow",
          protocol: "Tcp",
          ...source,
          sourcePortRange: "*",
          destinationAddressPrefix: this.entryPointIp!.ipAddress,
          destinationPortRange: String(port),
        });
      if (sources === undefined || sources.length > 0) {
        allow("AllowEntryPointHttps", "AllowEntryPointHttps", 443, 100, "Users reach the platform's HTTPS entry point (its frontend IP only).");
        allow("AllowEntryPointHttp", "AllowEntryPointHttpRedirect", 80, 110, "Plain HTTP to the entry point only redirects to HTTPS.");
      }
    }

    this.natGateway = new NatGateway(this, "NatGateway", {
      name: `${name}-nat`,
      location,
      resourceGroupName,
      skuName: "Standard",
      idleTimeoutInMinutes: 4,
      tags,
    });
    this.egressIp = new PublicIp(this, "EgressIp", {
      name: `${name}-egress-ip`,
      location,
      resourceGroupName,
      sku: "Standard",
      allocationMethod: "Static",
      tags,
    });
    new NatGatewayPublicIpAssociation(this, "EgressIpAssociation", {
      natGatewayId: this.natGateway.id,
      publicIpAddressId: this.egressIp.id,
    });
    this.natAssociation = new SubnetNatGatewayAssociation(this, "NatGatewayAssociation", {
      subnetId: subnets.nodes.id,
      natGatewayId: this.natGateway.id,
    });
    this.apiServerNatAssociation = new SubnetNatGatewayAssociation(this, "ApiServerNatGatewayAssociation", {
      subnetId: subnets.apiServer.id,
      natGatewayId: this.natGateway.id,
    });
  }
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
