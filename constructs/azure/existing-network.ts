import { Construct } from "constructs";
import { Fn, Op, ref, Token } from "cdktf";
import { DataAzurermVirtualNetwork } from "@cdktf/provider-azurerm/lib/data-azurerm-virtual-network";
import { DataAzurermSubnet } from "@cdktf/provider-azurerm/lib/data-azurerm-subnet";
import { AKS_LOAD_BALANCER_FACTS } from "./azure-facts";

/**
 * A postcondition's condition: an expression (a token), since literal strings are escaped for Terraform
 * (lib/terraform-text.ts). Never a falsy literal operand (`""`, `0`, `false`): cdktf 0.21's `Op` renders
 * it as `undefined` (measured; __tests__/support/postconditions.ts evaluates every condition with terraform).
 */
const check = (expression: unknown) => Token.asAny(expression);

/** A subnet of the existing VNet, as the config states it. */
export interface ExistingSubnetRef {
  readonly name: string;
  readonly cidr: string;
}

/** Props of {@link ExistingNetwork}. */
export interface ExistingNetworkProps {
  /** The VNet, parsed from its resource id. */
  readonly vnet: { readonly resourceGroupName: string; readonly name: string };
  /** One of the VNet's address spaces (network.cidr). */
  readonly cidr: string;
  readonly nodeSubnet: ExistingSubnetRef;
  readonly apiServerSubnet: ExistingSubnetRef;
  readonly privateEndpointSubnet: ExistingSubnetRef;
  /** How the nodes leave: a NAT gateway on their subnet, or a route table to a firewall. */
  readonly outboundType: "userAssignedNATGateway" | "userDefinedRouting";
  /**
   * A Private Link Service takes its addresses from the node subnet: its private link service network
   * policies must be off.
   * @default false
   */
  readonly privateLinkService?: boolean;
}

/**
 * A VNet the customer already has, read, never managed: no VNet, subnet, NSG, NAT gateway or flow log is
 * created. What the config states about it is checked by the data sources' postconditions, so a plan against
 * a VNet that differs fails with the field to fix: network.cidr is one of its address spaces, each subnet has
 * the stated range, the node and API server subnets carry an NSG (the network stays filtered: the customer's
 * rules replace the ones a created VNet gets), and with `userDefinedRouting` a route table.
 *
 * Azure's subnet data source does not show delegations: the API server subnet's delegation to AKS is stated
 * in the config (config/schema.ts refuses any other) and AKS itself refuses a cluster without it.
 */
export class ExistingNetwork extends Construct {
  readonly vnet: DataAzurermVirtualNetwork;
  readonly subnets: { readonly nodes: DataAzurermSubnet; readonly apiServer: DataAzurermSubnet; readonly endpoints: DataAzurermSubnet };

  constructor(scope: Construct, id: string, props: ExistingNetworkProps) {
    super(scope, id);
    const field = "azure.existingNetwork";
    const { resourceGroupName, name: virtualNetworkName } = props.vnet;
    this.vnet = new DataAzurermVirtualNetwork(this, "Resource", {
      name: virtualNetworkName,
      resourceGroupName,
      lifecycle: {
        postcondition: [
          {
            condition: check(Fn.contains(ref("self.address_space"), props.cidr)),
            errorMessage: `${field}.virtualNetworkId: network.cidr (${props.cidr}) is not one of the VNet's address spaces; set it to the address space that holds the subnets`,
          },
        ],
      },
    });
    const subnet = (construct: string, key: string, s: ExistingSubnetRef, extra: { condition: unknown; errorMessage: string }[]) =>
      new DataAzurermSubnet(this, construct, {
        name: s.name,
        resourceGroupName,
        virtualNetworkName,
        lifecycle: {
          postcondition: [
            { condition: check(Fn.contains(ref("self.address_prefixes"), s.cidr)), errorMessage: `${field}.${key}.cidr: subnet ${s.name} has no address prefix ${s.cidr}; state its real range` },
            ...extra,
          ],
        },
      });
    const hasNsg = (key: string, s: ExistingSubnetRef) => ({
      condition: check(Op.gte(Fn.lengthOf(Fn.compact([Token.asString(ref("self.network_security_group_id"))])), 1)),
      errorMessage: `${field}.${key}: subnet ${s.name} has no network security group; associate one (docs/deployment-guide.md lists the rules AKS needs)`,
    });
    const hasRoutes = (key: string, s: ExistingSubnetRef) =>
      props.outboundType === "userDefinedRouting"
        ? [{
            condition: check(Op.gte(Fn.lengthOf(Fn.compact([Token.asString(ref("self.route_table_id"))])), 1)),
            errorMessage: `${field}.${key}: subnet ${s.name} has no route table; outboundType userDefinedRouting needs one whose 0.0.0.0/0 route leads to your firewall`,
          }]
        : [];
    const plsReady = props.privateLinkService && AKS_LOAD_BALANCER_FACTS.privateLinkSubnetPoliciesDisabled.value
      ? [{
          condition: check(Op.not(ref("self.private_link_service_network_policies_enabled"))),
          errorMessage: `${field}.nodeSubnet: subnet ${props.nodeSubnet.name} has private link service network policies on; the Private Link Service needs them off (az network vnet subnet update --private-link-service-network-policies Disabled)`,
        }]
      : [];
    this.subnets = {
      nodes: subnet("NodesSubnet", "nodeSubnet", props.nodeSubnet, [hasNsg("nodeSubnet", props.nodeSubnet), ...hasRoutes("nodeSubnet", props.nodeSubnet), ...plsReady]),
      apiServer: subnet("ApiServerSubnet", "apiServerSubnet", props.apiServerSubnet, [hasNsg("apiServerSubnet", props.apiServerSubnet), ...hasRoutes("apiServerSubnet", props.apiServerSubnet)]),
      endpoints: subnet("EndpointsSubnet", "privateEndpointSubnet", props.privateEndpointSubnet, []),
    };
  }
}
