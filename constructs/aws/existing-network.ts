import { Construct } from "constructs";
import { Fn, Op, ref, Token } from "cdktf";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc";
import { DataAwsSubnet } from "@cdktf/provider-aws/lib/data-aws-subnet";
import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets";
import { DataAwsVpcEndpoint } from "@cdktf/provider-aws/lib/data-aws-vpc-endpoint";
import { INTERFACE_ENDPOINT_SERVICES } from "./vpc-endpoints";
import { VpcFlowLogs } from "./vpc-flow-logs";
import { LOAD_BALANCER_SUBNET_TAGS } from "./load-balancer-facts";

/**
 * A postcondition's condition: an expression (a token), since literal strings are escaped for Terraform
 * (lib/terraform-text.ts). Never a falsy literal operand (`""`, `0`, `false`): cdktf 0.21's `Op` renders
 * it as `undefined` (measured; __tests__/support/postconditions.ts evaluates every condition with terraform).
 */
const check = (expression: unknown) => Token.asAny(expression);

/** One private subnet of an existing VPC, as the config states it (each fact checked at plan). */
export interface ExistingSubnet {
  readonly id: string;
  readonly cidr: string;
  readonly zone: string;
}

/** Props of {@link ExistingNetwork}. */
export interface ExistingNetworkProps {
  /** Prefix of the flow logs' names (the deployment name). */
  readonly name: string;
  readonly vpcId: string;
  /** The VPC's primary range (network.cidr). */
  readonly cidr: string;
  /** Region, for the endpoint service names. */
  readonly region: string;
  /** Private subnets: nodes, the control plane's ENIs, internal load balancers. */
  readonly privateSubnets: readonly ExistingSubnet[];
  /**
   * Subnets the internal entry point's NLB is placed in (aws.existingNetwork.loadBalancerSubnets): no pod takes an address there.
   * @default [] - the controller discovers the load balancer's subnets by tag
   */
  readonly loadBalancerSubnets?: readonly ExistingSubnet[];
  /**
   * The entry point's load balancer is Internet-facing: the VPC must have public subnets tagged for it.
   * @default false
   */
  readonly publicLoadBalancer?: boolean;
  /**
   * Days the flow logs are kept.
   * @default 365
   */
  readonly flowLogRetentionInDays?: number;
  /**
   * Let `destroy` remove the flow logs' log group.
   * @default false
   */
  readonly allowDestroy?: boolean;
}

/**
 * A VPC the customer already has, read, never managed: the deployment creates no VPC, subnet, route, NAT
 * gateway, network ACL or VPC endpoint in it. It must already have an interface endpoint with private DNS for
 * every AWS API the platform calls (read here: a missing one fails the plan with its service name), since the
 * pods' NetworkPolicies admit AWS APIs only at the endpoints' addresses (aws.existingNetwork.endpointCidrs). What the config states about it (the VPC's range, each
 * subnet's VPC, range and zone, no public IPs on launch, the subnet tags the load balancer controller
 * discovers subnets by) is checked by data sources with postconditions: a plan against a VPC that differs
 * fails with the field to fix, before anything is created.
 *
 * The one thing it adds is flow logs of the VPC into the deployment's own log group (a VPC takes any number
 * of flow logs, so the customer's own stay untouched): the promise that network traffic is logged holds
 * whoever owns the network.
 */
export class ExistingNetwork extends Construct {
  /** The VPC. */
  readonly vpc: DataAwsVpc;
  /** The private subnets as read. */
  readonly privateSubnets: readonly DataAwsSubnet[];
  /** Their ranges, as the config states them (literal). */
  readonly privateSubnetCidrs: readonly string[];
  /** The load balancer subnets as read (aws.existingNetwork.loadBalancerSubnets). */
  readonly loadBalancerSubnets: readonly DataAwsSubnet[];
  /** The zones of the private subnets, distinct, in config order (literal). */
  readonly zones: readonly string[];
  /** The VPC's interface endpoints with private DNS the platform's pods reach AWS APIs through, by service. */
  readonly endpoints: Readonly<Record<string, DataAwsVpcEndpoint>>;

  constructor(scope: Construct, id: string, props: ExistingNetworkProps) {
    super(scope, id);
    this.vpc = new DataAwsVpc(this, "Vpc", {
      id: props.vpcId,
      lifecycle: {
        postcondition: [
          {
            condition: check(Op.eq(ref("self.cidr_block"), props.cidr)),
            errorMessage: `aws.existingNetwork.vpcId ${props.vpcId}: its primary range is not network.cidr (${props.cidr}); set network.cidr to the VPC's range`,
          },
          {
            // The EKS private endpoint and the node's registration resolve through the VPC's DNS.
            condition: check(Op.and(ref("self.enable_dns_support"), ref("self.enable_dns_hostnames"))),
            errorMessage: `aws.existingNetwork.vpcId ${props.vpcId}: EKS needs DNS support and DNS hostnames on the VPC (aws ec2 modify-vpc-attribute --enable-dns-hostnames)`,
          },
        ],
      },
    });
    const internalTag = LOAD_BALANCER_SUBNET_TAGS.value.internal;
    this.privateSubnets = props.privateSubnets.map(
      (s, i) =>
        new DataAwsSubnet(this, `PrivateSubnet${i}`, {
          id: s.id,
          lifecycle: {
            postcondition: [
              { condition: check(Op.eq(ref("self.vpc_id"), props.vpcId)), errorMessage: `aws.existingNetwork.privateSubnets[${i}] ${s.id} is not in VPC ${props.vpcId}` },
              { condition: check(Op.eq(ref("self.cidr_block"), s.cidr)), errorMessage: `aws.existingNetwork.privateSubnets[${i}].cidr: ${s.id} is not ${s.cidr}; state its real range` },
              { condition: check(Op.eq(ref("self.availability_zone"), s.zone)), errorMessage: `aws.existingNetwork.privateSubnets[${i}].zone: ${s.id} is not in ${s.zone}; state its real zone` },
              { condition: check(Op.not(ref("self.map_public_ip_on_launch"))), errorMessage: `aws.existingNetwork.privateSubnets[${i}] ${s.id} gives public IPs on launch; nodes must have none (set map-public-ip-on-launch off)` },
              {
                condition: check(Op.eq(Fn.lookup(ref("self.tags"), internalTag, "missing"), "1")),
                errorMessage: `aws.existingNetwork.privateSubnets[${i}] ${s.id} lacks the tag ${internalTag}=1 the load balancer controller picks internal subnets by; tag it`,
              },
            ],
          },
        }),
    );
    this.privateSubnetCidrs = props.privateSubnets.map((s) => s.cidr);
    // The NLB's subnets: what the config states about them is what the entry point's NetworkPolicy admits.
    this.loadBalancerSubnets = (props.loadBalancerSubnets ?? []).map(
      (s, i) =>
        new DataAwsSubnet(this, `LoadBalancerSubnet${i}`, {
          id: s.id,
          lifecycle: {
            postcondition: [
              { condition: check(Op.eq(ref("self.vpc_id"), props.vpcId)), errorMessage: `aws.existingNetwork.loadBalancerSubnets[${i}] ${s.id} is not in VPC ${props.vpcId}` },
              { condition: check(Op.eq(ref("self.cidr_block"), s.cidr)), errorMessage: `aws.existingNetwork.loadBalancerSubnets[${i}].cidr: ${s.id} is not ${s.cidr}; state its real range` },
              { condition: check(Op.eq(ref("self.availability_zone"), s.zone)), errorMessage: `aws.existingNetwork.loadBalancerSubnets[${i}].zone: ${s.id} is not in ${s.zone}; state its real zone` },
            ],
          },
        }),
    );
    this.zones = [...new Set(props.privateSubnets.map((s) => s.zone))];

    if (props.publicLoadBalancer) {
      const publicTag = LOAD_BALANCER_SUBNET_TAGS.value.public;
      new DataAwsSubnets(this, "PublicSubnets", {
        filter: [
          { name: "vpc-id", values: [props.vpcId] },
          { name: `tag:${publicTag}`, values: ["1"] },
        ],
        lifecycle: {
          postcondition: [
            {
              condition: check(Op.gte(Fn.lengthOf(ref("self.ids")), 1)),
              errorMessage: `aws.existingNetwork.vpcId ${props.vpcId} has no subnet tagged ${publicTag}=1 for the Internet-facing entry point; tag its public subnets, or set domain.access: internal`,
            },
          ],
        },
      });
    }

    // Pods reach AWS APIs only through interface endpoints with private DNS (egress-endpoints.ts): the VPC must
    // have one per service the created network would create, S3's included (a gateway alone has no addresses).
    const services: Record<string, string> = { ...INTERFACE_ENDPOINT_SERVICES, S3: "s3" };
    this.endpoints = Object.fromEntries(
      Object.entries(services).map(([id, service]) => {
        const serviceName = `com.amazonaws.${props.region}.${service}`;
        return [
          service,
          new DataAwsVpcEndpoint(this, `Endpoint${id}`, {
            vpcId: props.vpcId,
            serviceName,
            state: "available",
            filter: [{ name: "vpc-endpoint-type", values: ["Interface"] }],
            lifecycle: {
              postcondition: [
                {
                  condition: check(ref("self.private_dns_enabled")),
                  errorMessage: `aws.existingNetwork.vpcId ${props.vpcId}: the interface endpoint for ${serviceName} has private DNS off; pods reach ${service} by its regional name, which must resolve to the endpoint`,
                },
              ],
            },
          }),
        ];
      }),
    );

    new VpcFlowLogs(this, "FlowLogs", { vpcId: this.vpc.id, name: props.name, retentionInDays: props.flowLogRetentionInDays ?? 365, allowDestroy: props.allowDestroy });
  }
}
