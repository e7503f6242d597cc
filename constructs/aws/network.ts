import { Construct } from "constructs";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { DataAwsAvailabilityZones } from "@cdktf/provider-aws/lib/data-aws-availability-zones";
import { parseIpv4Cidr, subnet } from "../../lib/cidr";
import { TierNetworkAcl } from "./network-acl";
import { VpcFlowLogs } from "./vpc-flow-logs";
import { VpcEndpoints } from "./vpc-endpoints";
import { PinnedZones } from "../common/pinned-zones";
import { EPHEMERAL_PORT_FACTS } from "./eks-facts";
import { createdPublicSubnetCidrs } from "../../config/aws-entry-point";

/** Zones the network spans. */
export const ZONE_COUNT = 3;
const ANYWHERE = "0.0.0.0/0";
const ZONE_SUFFIX = ["A", "B", "C"] as const;

/** Props of {@link Network}. */
export interface NetworkProps {
  /** Prefix of resource names (the deployment name). */
  readonly name: string;
  /** The VPC range, /16 to /20: private subnets take the first three quarters, public ones the last. */
  readonly cidr: string;
  /** Region, for the VPC endpoints' service names. */
  readonly region: string;
  /** Where administrators reach the private Kubernetes API from (VPN/peering): HTTPS into the private tier. */
  readonly adminCidrs: readonly string[];
  /**
   * Who may reach the load balancers in the public tier (HTTPS, and HTTP that only redirects).
   * @default ["0.0.0.0/0"] - the entry point is user-facing
   */
  readonly entryPointCidrs?: readonly string[];
  /**
   * One NAT gateway for all zones instead of one per zone: cheaper, but a zone outage cuts egress.
   * @default false
   */
  readonly singleNatGateway?: boolean;
  /**
   * Days the VPC flow logs are kept.
   * @default 365
   */
  readonly flowLogRetentionInDays?: number;
  /**
   * Let `terraform destroy` delete the flow-log group (and the logs in it).
   * @default false - lifecycle prevent_destroy
   */
  readonly allowDestroy?: boolean;
}

/**
 * The private network of a deployment: a VPC over three zones with private subnets for nodes and data,
 * public subnets only for load balancers and NAT (no public IPs on launch anywhere), a NAT gateway per
 * zone (or one), flow logs, a default security group with no rules, a network ACL per tier, and VPC
 * endpoints so traffic to AWS APIs stays inside.
 *
 * Zones come from the `aws_availability_zones` data source (available, no opt-in), the first three
 * in name order: literal `<region>a/b/c` would be wrong in regions where a letter is missing (e.g.
 * ap-northeast-1 has no "b") or differs per account. They are read once: the first apply stores them
 * ({@link PinnedZones}), so a zone that later leaves the live list moves no subnet.
 */
export class Network extends Construct {
  /** The VPC. */
  readonly vpc: Vpc;
  /** Zone names (tokens: the private subnets' zones as created), one per private/public subnet pair. */
  readonly zones: readonly string[];
  /** The zones as stored at the first apply. */
  readonly pinnedZones: PinnedZones;
  /** Private subnets, one per zone: nodes, data, interface endpoints, the control plane's ENIs. */
  readonly privateSubnets: readonly Subnet[];
  /** The private subnets' ranges (plain strings: known at synth), where the interface endpoints and the control plane's ENIs are. */
  readonly privateSubnetCidrs: readonly string[];
  /** Public subnets, one per zone: load balancers and NAT gateways only. */
  readonly publicSubnets: readonly Subnet[];
  /** The public subnets' ranges (plain strings): no node runs there, so no pod takes an address there. */
  readonly publicSubnetCidrs: readonly string[];
  /** The NAT gateways (one, or one per zone). */
  readonly natGateways: readonly NatGateway[];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const range = parseIpv4Cidr(props.cidr);
    if (!range || range.prefix < 16 || range.prefix > 20) throw new Error(`Network ${this.node.path}: cidr must be an IPv4 /16 to /20, got ${props.cidr}`);
    const entryPointCidrs = props.entryPointCidrs ?? [ANYWHERE];
    const name = props.name;

    const zones = new DataAwsAvailabilityZones(this, "Zones", {
      state: "available",
      filter: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
    });
    this.pinnedZones = new PinnedZones(this, "PinnedZones", {
      liveNames: zones.names,
      count: ZONE_COUNT,
      source: "aws_availability_zones (state available, no opt-in)",
    });
    const zoneOf = this.pinnedZones.names;
    // A subnet's zone is fixed when it is created: ignore_changes also covers deployments created before
    // the pin existed, whose first plan after the upgrade sees the new pin's output as unknown.
    const keepZone = { ignoreChanges: ["availability_zone"] };

    this.vpc = new Vpc(this, "Resource", {
      cidrBlock: props.cidr,
      // Private DNS of the interface endpoints and of the EKS private endpoint need both.
      enableDnsSupport: true,
      enableDnsHostnames: true,
      instanceTenancy: "default",
      tags: { Name: name },
    });
    const vpcId = this.vpc.id;

    // The default security group of a VPC admits all traffic between its members: strip every rule.
    new DefaultSecurityGroup(this, "DefaultSecurityGroup", { vpcId, ingress: [], egress: [], tags: { Name: `${name}-default-deny` } });

    this.privateSubnetCidrs = ZONE_SUFFIX.map((_, i) => subnet(props.cidr, range.prefix + 2, i));
    this.privateSubnets = ZONE_SUFFIX.map(
      (z, i) =>
        new Subnet(this, `Private${z}`, {
          vpcId,
          availabilityZone: zoneOf[i],
          cidrBlock: this.privateSubnetCidrs[i],
          mapPublicIpOnLaunch: false,
          tags: { Name: `${name}-private-${z.toLowerCase()}`, tier: "private", "kubernetes.io/role/internal-elb": "1" },
          lifecycle: keepZone,
        }),
    );
    // The first three /(n+6) of the last quarter (one rule with the config check: createdPublicSubnetCidrs).
    this.publicSubnetCidrs = createdPublicSubnetCidrs(props.cidr, ZONE_COUNT) ?? [];
    this.publicSubnets = ZONE_SUFFIX.map(
      (z, i) =>
        new Subnet(this, `Public${z}`, {
          vpcId,
          availabilityZone: zoneOf[i],
          cidrBlock: this.publicSubnetCidrs[i],
          // Public subnets hold load balancers and NAT gateways, which get addresses explicitly.
          mapPublicIpOnLaunch: false,
          tags: { Name: `${name}-public-${z.toLowerCase()}`, tier: "public", "kubernetes.io/role/elb": "1" },
          lifecycle: keepZone,
        }),
    );
    this.zones = this.privateSubnets.map((s) => s.availabilityZone);

    const igw = new InternetGateway(this, "InternetGateway", { vpcId, tags: { Name: name } });
    const publicRoutes = new RouteTable(this, "PublicRouteTable", { vpcId, tags: { Name: `${name}-public` } });
    new Route(this, "PublicDefaultRoute", { routeTableId: publicRoutes.id, destinationCidrBlock: ANYWHERE, gatewayId: igw.id });
    this.publicSubnets.forEach((s, i) => {
      new RouteTableAssociation(this, `PublicRouteTableAssociation${ZONE_SUFFIX[i]}`, { subnetId: s.id, routeTableId: publicRoutes.id });
    });

    const natCount = props.singleNatGateway ? 1 : ZONE_COUNT;
    this.natGateways = ZONE_SUFFIX.slice(0, natCount).map((z, i) => {
      const eip = new Eip(this, `NatEip${z}`, { domain: "vpc", tags: { Name: `${name}-nat-${z.toLowerCase()}` } });
      return new NatGateway(this, `NatGateway${z}`, {
        allocationId: eip.allocationId,
        subnetId: this.publicSubnets[i].id,
        connectivityType: "public",
        tags: { Name: `${name}-nat-${z.toLowerCase()}` },
        dependsOn: [igw],
      });
    });
    const privateRouteTables = ZONE_SUFFIX.map((z, i) => {
      const table = new RouteTable(this, `PrivateRouteTable${z}`, { vpcId, tags: { Name: `${name}-private-${z.toLowerCase()}` } });
      new Route(this, `PrivateDefaultRoute${z}`, {
        routeTableId: table.id,
        destinationCidrBlock: ANYWHERE,
        natGatewayId: this.natGateways[Math.min(i, natCount - 1)].id,
      });
      new RouteTableAssociation(this, `PrivateRouteTableAssociation${z}`, { subnetId: this.privateSubnets[i].id, routeTableId: table.id });
      return table;
    });

    // Stateless ACLs per tier; security groups do the fine-grained filtering behind them.
    // Private tier, from outside the VPC: admins' HTTPS to the private API endpoint, the entry point's
    // sources to the NodePorts (NLBs preserve the client's address), and replies to connections the nodes
    // opened (through NAT), which come back to Linux's ephemeral ports. Nothing from outside reaches a port
    // below 32768 but these: not the kubelet, not a webhook, not a service (EPHEMERAL_PORT_FACTS).
    const nodePorts = EPHEMERAL_PORT_FACTS.nodePorts.value;
    new TierNetworkAcl(this, "PrivateAcl", {
      vpcId,
      name: `${name}-private`,
      subnetIds: this.privateSubnets.map((s) => s.id),
      ingress: [
        { cidr: props.cidr, protocol: "all" },
        ...props.adminCidrs.map((cidr) => ({ cidr, protocol: "tcp" as const, fromPort: 443 })),
        ...entryPointCidrs.map((cidr) => ({ cidr, protocol: "tcp" as const, fromPort: nodePorts.from, toPort: nodePorts.to })),
        { cidr: ANYWHERE, protocol: "tcp", fromPort: EPHEMERAL_PORT_FACTS.linuxRange.value.from, toPort: 65535 },
      ],
      egress: [{ cidr: ANYWHERE, protocol: "all" }],
    });
    // Public tier: the VPC, the entry point's HTTPS (and HTTP, which only redirects) and return traffic.
    new TierNetworkAcl(this, "PublicAcl", {
      vpcId,
      name: `${name}-public`,
      subnetIds: this.publicSubnets.map((s) => s.id),
      ingress: [
        { cidr: props.cidr, protocol: "all" },
        ...entryPointCidrs.flatMap((cidr) => [
          { cidr, protocol: "tcp" as const, fromPort: 443 },
          { cidr, protocol: "tcp" as const, fromPort: 80 },
        ]),
        { cidr: ANYWHERE, protocol: "tcp", fromPort: 1024, toPort: 65535 },
      ],
      egress: [{ cidr: ANYWHERE, protocol: "all" }],
    });

    new VpcFlowLogs(this, "FlowLogs", { vpcId, name, retentionInDays: props.flowLogRetentionInDays ?? 365, allowDestroy: props.allowDestroy });

    new VpcEndpoints(this, "Endpoints", {
      vpcId,
      vpcCidr: props.cidr,
      region: props.region,
      name,
      subnetIds: this.privateSubnets.map((s) => s.id),
      routeTableIds: privateRouteTables.map((t) => t.id),
    });
  }
}
