import { Construct } from "constructs";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { EksClusterVpcConfig } from "@cdktf/provider-aws/lib/eks-cluster";
import type { ControlPlaneAccess } from "../../platform/control-plane-access";
import { idFromText } from "../../lib/construct-id";

/** Props of {@link ControlPlaneEndpoint}. */
export interface ControlPlaneEndpointProps {
  readonly vpcId: string;
  /** Who may reach the API. */
  readonly access: ControlPlaneAccess;
  /** Name of the security group. */
  readonly name: string;
}

/**
 * What a {@link ControlPlaneAccess} renders: the cluster's additional security group (HTTPS from the admin
 * CIDRs only; the node rules are added by the cluster) and the EKS `vpc_config` (private endpoint always on,
 * public endpoint only when asked, public_access_cidrs exactly the admin CIDRs).
 */
export class ControlPlaneEndpoint extends Construct {
  /** The cluster's additional security group. */
  readonly securityGroup: SecurityGroup;
  /** The access it renders. */
  readonly access: ControlPlaneAccess;

  constructor(scope: Construct, id: string, props: ControlPlaneEndpointProps) {
    super(scope, id);
    this.access = props.access;
    this.securityGroup = new SecurityGroup(this, "Resource", {
      name: props.name,
      description: "EKS control plane: HTTPS from nodes and administrators only",
      vpcId: props.vpcId,
      revokeRulesOnDelete: true,
      tags: { Name: props.name },
    });
    for (const cidr of props.access.adminCidrs) {
      // Id from the range itself: reordering the list changes nothing.
      new VpcSecurityGroupIngressRule(this, `AdminHttps-${idFromText(cidr)}`, {
        securityGroupId: this.securityGroup.id,
        description: `Kubernetes API from admin range ${cidr}`,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrIpv4: cidr,
      });
    }
  }

  /** The EKS cluster's `vpc_config` for these subnets. */
  vpcConfig(subnetIds: readonly string[]): EksClusterVpcConfig {
    return {
      subnetIds: [...subnetIds],
      securityGroupIds: [this.securityGroup.id],
      endpointPrivateAccess: true,
      endpointPublicAccess: this.access.publicEndpoint,
      ...(this.access.publicEndpoint ? { publicAccessCidrs: [...this.access.adminCidrs] } : {}),
    };
  }
}
