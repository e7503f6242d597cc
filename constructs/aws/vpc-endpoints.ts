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
 * private route tables, and interface endpoints (private DNS on) for ECR, STS, EC2, CloudWatch Logs and
 * KMS, behind a security group that admits HTTPS from the VPC only.
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

    new VpcEndpoint(this, "S3", {
      vpcId: props.vpcId,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: [...props.routeTableIds],
      tags: { Name: `${props.name}-s3` },
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
