import { Construct } from "constructs";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";

/** The interface endpoints nodes and Vault need: image pulls, IRSA, node bootstrap, logs, KMS unseal. */
export const INTERFACE_ENDPOINT_SERVICES = {
  EcrApi: "ecr.api",
  EcrDkr: "ecr.dkr",
  Sts: "sts",
  Ec2: "ec2",
  Logs: "logs",
  Kms: "kms",
} as const;

/** Props of {@link VpcEndpoints}. */
export interface VpcEndpointsProps {
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly region: string;
  /** Private subnets the interface endpoints live in. */
  readonly subnetIds: readonly string[];
  /** Route tables of the private subnets (for the S3 gateway endpoint). */
  readonly routeTableIds: readonly string[];
  /** Prefix of names. */
  readonly name: string;
}

/**
 * VPC endpoints so cluster traffic to AWS APIs stays inside the VPC: an S3 gateway endpoint on the
 * private route tables, and interface endpoints (private DNS on) for ECR, STS, EC2, CloudWatch Logs,
 * KMS and S3, behind a security group that admits HTTPS from the VPC only.
 *
 * S3 has both: the gateway for the nodes (image layers from ECR), and an interface endpoint whose private
 * DNS answers in the VPC too (`private_dns_only_for_inbound_resolver_endpoint = false`: "all resolvers";
 * true would send VPC traffic to the gateway, i.e. to S3's public addresses). So pods reach S3 at addresses in
 * the private subnets, which their NetworkPolicies can name; S3's public ranges never need to be allowed.
 * (docs.aws.amazon.com/AmazonS3/latest/userguide/privatelink-interface-endpoints.html, "Private DNS";
 * EC2 API DnsOptionsSpecification.PrivateDnsOnlyForInboundResolverEndpoint.)
 */
export class VpcEndpoints extends Construct {
  /** The endpoints' security group. */
  readonly securityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: VpcEndpointsProps) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, "SecurityGroup", {
      name: `${props.name}-vpc-endpoints`,
      description: "Interface VPC endpoints: HTTPS from the VPC only",
      vpcId: props.vpcId,
      revokeRulesOnDelete: true,
      tags: { Name: `${props.name}-vpc-endpoints` },
    });
    new VpcSecurityGroupIngressRule(this, "HttpsFromVpc", {
      securityGroupId: this.securityGroup.id,
      description: "HTTPS from the VPC",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: props.vpcCidr,
    });

    const s3Gateway = new VpcEndpoint(this, "S3", {
      vpcId: props.vpcId,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: [...props.routeTableIds],
      tags: { Name: `${props.name}-s3` },
    });
    new VpcEndpoint(this, "S3Interface", {
      vpcId: props.vpcId,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
      dnsOptions: { privateDnsOnlyForInboundResolverEndpoint: false },
      subnetIds: [...props.subnetIds],
      securityGroupIds: [this.securityGroup.id],
      tags: { Name: `${props.name}-s3-interface` },
      dependsOn: [s3Gateway],
    });
    for (const [id, service] of Object.entries(INTERFACE_ENDPOINT_SERVICES)) {
      new VpcEndpoint(this, id, {
        vpcId: props.vpcId,
        serviceName: `com.amazonaws.${props.region}.${service}`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: [...props.subnetIds],
        securityGroupIds: [this.securityGroup.id],
        tags: { Name: `${props.name}-${service}` },
      });
    }
  }
}
