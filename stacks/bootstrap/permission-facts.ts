/**
 * What each Terraform resource / data source type the deployment synthesizes needs from the cloud's
 * authorization system, to plan (`read`: refresh and data sources) and to apply (`write`: create, update,
 * tag, delete). Facts about the providers and the clouds, each entry with its source: the provider's
 * resource implementation (which API calls its Create/Read/Update/Delete make) and the cloud's own list of
 * actions/permissions for that API.
 *
 * The deploy identities of the bootstrap stacks are DERIVED from these tables and the resource types of the
 * synthesized stacks (stacks/bootstrap/deploy-permissions.ts); `__tests__/delivery/deploy-permissions.test.ts`
 * fails when a synthesized type has no entry here. A type that needs nothing from the cloud's IAM says why
 * (`NOT_CLOUD`). No entry may name a wildcard action.
 */

/** What one Terraform type needs. */
export interface TypePermissions {
  /** Refresh (plan) and data-source reads. */
  readonly read: readonly string[];
  /** Create, update, tag and delete (apply), beyond `read`. */
  readonly write: readonly string[];
  /** Where the list comes from. */
  readonly source: string;
}

/** Types authorized by something other than the cloud's IAM (Kubernetes RBAC, Vault policies, Terraform itself). */
export const NOT_CLOUD: Readonly<Record<string, string>> = {
  time_sleep: "hashicorp/time: waits locally, no API call (constructs/azure/role-propagation.ts)",
  terraform_data: "terraform's built-in resource: no API call (a local-exec provisioner runs with the runner's own login; see gcloud_service_identity below)",
  terraform_remote_state: "reads another stack's state through the backend: the state bucket/container grants of the bootstrap, not a cloud resource permission",
  kubernetes: "every kubernetes_* type is authorized by the cluster's RBAC: EKS access entries and AKS Azure RBAC, which the cloud stack grants the deploy identities; on GKE by IAM, which the deploy-roles stack grants (GKE_API_ROLES)",
  vault: "every vault_* type is authorized by Vault's own policies (JWT/OIDC auth roles), never by the cloud",
};

const SAR = (service: string) => `https://docs.aws.amazon.com/service-authorization/latest/reference/list_${service}.html`;
const TFAWS = (file: string) => `https://github.com/hashicorp/terraform-provider-aws/blob/v5.100.0/internal/service/${file}`;
const EC2 = SAR("amazonec2");
const TAG_EC2 = ["ec2:CreateTags", "ec2:DeleteTags"];

/** hashicorp/aws 5.100.0 resource and data source types -> IAM actions. */
export const AWS_PERMISSIONS: Readonly<Record<string, TypePermissions>> = {
  aws_vpc: { read: ["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeNetworkAcls", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups"], write: ["ec2:CreateVpc", "ec2:DeleteVpc", "ec2:ModifyVpcAttribute", ...TAG_EC2], source: `${TFAWS("ec2/vpc_.go")}; ${EC2}` },
  aws_subnet: { read: ["ec2:DescribeSubnets"], write: ["ec2:CreateSubnet", "ec2:DeleteSubnet", "ec2:ModifySubnetAttribute", ...TAG_EC2], source: `${TFAWS("ec2/vpc_subnet.go")}; ${EC2}` },
  aws_internet_gateway: { read: ["ec2:DescribeInternetGateways"], write: ["ec2:CreateInternetGateway", "ec2:AttachInternetGateway", "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway", ...TAG_EC2], source: `${TFAWS("ec2/vpc_internet_gateway.go")}; ${EC2}` },
  aws_eip: { read: ["ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute"], write: ["ec2:AllocateAddress", "ec2:ReleaseAddress", "ec2:DisassociateAddress", ...TAG_EC2], source: `${TFAWS("ec2/ec2_eip.go")}; ${EC2}` },
  aws_nat_gateway: { read: ["ec2:DescribeNatGateways"], write: ["ec2:CreateNatGateway", "ec2:DeleteNatGateway", ...TAG_EC2], source: `${TFAWS("ec2/vpc_nat_gateway.go")}; ${EC2}` },
  aws_route_table: { read: ["ec2:DescribeRouteTables"], write: ["ec2:CreateRouteTable", "ec2:DeleteRouteTable", "ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute", ...TAG_EC2], source: `${TFAWS("ec2/vpc_route_table.go")}; ${EC2}` },
  aws_route: { read: ["ec2:DescribeRouteTables"], write: ["ec2:CreateRoute", "ec2:ReplaceRoute", "ec2:DeleteRoute"], source: `${TFAWS("ec2/vpc_route.go")}; ${EC2}` },
  aws_route_table_association: { read: ["ec2:DescribeRouteTables"], write: ["ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:ReplaceRouteTableAssociation"], source: `${TFAWS("ec2/vpc_route_table_association.go")}; ${EC2}` },
  aws_network_acl: { read: ["ec2:DescribeNetworkAcls", "ec2:DescribeSubnets"], write: ["ec2:CreateNetworkAcl", "ec2:DeleteNetworkAcl", "ec2:CreateNetworkAclEntry", "ec2:ReplaceNetworkAclEntry", "ec2:DeleteNetworkAclEntry", "ec2:ReplaceNetworkAclAssociation", ...TAG_EC2], source: `${TFAWS("ec2/vpc_network_acl.go")}; ${EC2}` },
  aws_default_security_group: { read: ["ec2:DescribeSecurityGroups"], write: ["ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", ...TAG_EC2], source: `${TFAWS("ec2/vpc_default_security_group.go")}; ${EC2}` },
  aws_security_group: { read: ["ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:DescribeNetworkInterfaces"], write: ["ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", ...TAG_EC2], source: `${TFAWS("ec2/vpc_security_group.go")}; ${EC2}` },
  aws_vpc_security_group_ingress_rule: { read: ["ec2:DescribeSecurityGroupRules"], write: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:ModifySecurityGroupRules", ...TAG_EC2], source: `${TFAWS("ec2/vpc_security_group_ingress_rule.go")}; ${EC2}` },
  aws_vpc_security_group_egress_rule: { read: ["ec2:DescribeSecurityGroupRules"], write: ["ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", "ec2:ModifySecurityGroupRules", ...TAG_EC2], source: `${TFAWS("ec2/vpc_security_group_egress_rule.go")}; ${EC2}` },
  aws_vpc_endpoint: { read: ["ec2:DescribeVpcEndpoints", "ec2:DescribePrefixLists", "ec2:DescribeVpcEndpointServices"], write: ["ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints", "route53:AssociateVPCWithHostedZone", ...TAG_EC2], source: `${TFAWS("ec2/vpc_endpoint.go")}; ${EC2} (private DNS of interface endpoints associates a private hosted zone)` },
  aws_flow_log: { read: ["ec2:DescribeFlowLogs"], write: ["ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "iam:PassRole", "logs:CreateLogDelivery", "logs:DeleteLogDelivery", ...TAG_EC2], source: `${TFAWS("ec2/vpc_flow_log.go")}; https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam.html (the creator passes the delivery role)` },
  aws_launch_template: { read: ["ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions"], write: ["ec2:CreateLaunchTemplate", "ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate", "ec2:DeleteLaunchTemplate", ...TAG_EC2], source: `${TFAWS("ec2/ec2_launch_template.go")}; ${EC2}` },
  aws_cloudwatch_log_group: { read: ["logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup"], write: ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup"], source: `${TFAWS("logs/group.go")}; ${SAR("amazoncloudwatchlogs")}` },
  aws_eks_cluster: {
    read: ["eks:DescribeCluster", "eks:DescribeUpdate", "eks:ListTagsForResource", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs"],
    write: ["eks:CreateCluster", "eks:DeleteCluster", "eks:UpdateClusterConfig", "eks:UpdateClusterVersion", "eks:AssociateEncryptionConfig", "eks:TagResource", "eks:UntagResource", "iam:PassRole", "iam:CreateServiceLinkedRole", "kms:DescribeKey", "kms:CreateGrant"],
    source: `${TFAWS("eks/cluster.go")}; ${SAR("amazonelastickubernetesservice")}; https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html (the creator needs kms:CreateGrant and kms:DescribeKey on the secrets key)`,
  },
  aws_eks_node_group: {
    read: ["eks:DescribeNodegroup", "eks:DescribeUpdate", "ec2:DescribeLaunchTemplateVersions"],
    write: ["eks:CreateNodegroup", "eks:DeleteNodegroup", "eks:UpdateNodegroupConfig", "eks:UpdateNodegroupVersion", "eks:TagResource", "eks:UntagResource", "iam:PassRole", "iam:CreateServiceLinkedRole", "ec2:RunInstances"],
    // The node groups launch from the stack's launch templates (managed-node-group.ts): EKS checks that the caller may launch
    // instances from the template, and CreateNodegroup fails with "You are not authorized to launch instances with this
    // launch template" otherwise (aws-samples/terraform-eks-code#13, scylladb/scylla-cluster-tests#12172).
    source: `${TFAWS("eks/node_group.go")}; ${SAR("amazonelastickubernetesservice")}; https://docs.aws.amazon.com/eks/latest/userguide/using-service-linked-roles-eks-nodegroups.html; https://github.com/aws-samples/terraform-eks-code/issues/13`,
  },
  aws_eks_addon: { read: ["eks:DescribeAddon", "eks:DescribeAddonVersions", "eks:DescribeUpdate"], write: ["eks:CreateAddon", "eks:UpdateAddon", "eks:DeleteAddon", "eks:TagResource", "eks:UntagResource", "iam:PassRole"], source: `${TFAWS("eks/addon.go")}; ${SAR("amazonelastickubernetesservice")}` },
  aws_eks_access_entry: { read: ["eks:DescribeAccessEntry"], write: ["eks:CreateAccessEntry", "eks:UpdateAccessEntry", "eks:DeleteAccessEntry", "eks:TagResource", "eks:UntagResource"], source: `${TFAWS("eks/access_entry.go")}; ${SAR("amazonelastickubernetesservice")}` },
  aws_eks_access_policy_association: { read: ["eks:ListAssociatedAccessPolicies"], write: ["eks:AssociateAccessPolicy", "eks:DisassociateAccessPolicy"], source: `${TFAWS("eks/access_policy_association.go")}; ${SAR("amazonelastickubernetesservice")}` },
  aws_iam_openid_connect_provider: { read: ["iam:GetOpenIDConnectProvider"], write: ["iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider", "iam:TagOpenIDConnectProvider", "iam:UntagOpenIDConnectProvider"], source: `${TFAWS("iam/openid_connect_provider.go")}; ${SAR("awsidentityandaccessmanagementiam")}` },
  aws_iam_role: { read: ["iam:GetRole", "iam:ListRoleTags", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"], write: ["iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary"], source: `${TFAWS("iam/role.go")} (resourceRoleUpdate: PutRolePermissionsBoundary when permissions_boundary changes; the roles' boundaries, constructs/aws/role-boundary.ts); ${SAR("awsidentityandaccessmanagementiam")}` },
  aws_iam_role_policy: { read: ["iam:GetRolePolicy"], write: ["iam:PutRolePolicy", "iam:DeleteRolePolicy"], source: `${TFAWS("iam/role_policy.go")}; ${SAR("awsidentityandaccessmanagementiam")}` },
  aws_iam_role_policy_attachment: { read: ["iam:ListAttachedRolePolicies"], write: ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], source: `${TFAWS("iam/role_policy_attachment.go")}; ${SAR("awsidentityandaccessmanagementiam")}` },
  aws_kms_key: { read: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"], write: ["kms:CreateKey", "kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:EnableKey", "kms:DisableKey", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion"], source: `${TFAWS("kms/key.go")}; ${SAR("awskeymanagementservice")}` },
  aws_kms_alias: { read: ["kms:ListAliases"], write: ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"], source: `${TFAWS("kms/alias.go")}; ${SAR("awskeymanagementservice")} (CreateAlias needs the permission on the alias and on the key)` },
  aws_s3_bucket: {
    read: ["s3:ListBucket", "s3:GetBucketTagging", "s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetBucketCORS", "s3:GetBucketWebsite", "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration", "s3:GetBucketRequestPayment", "s3:GetBucketLogging", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration", "s3:GetBucketObjectLockConfiguration", "s3:GetBucketLocation"],
    write: ["s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketTagging"],
    source: `${TFAWS("s3/bucket.go")} (its Read fetches every bucket sub-configuration); ${SAR("amazons3")}`,
  },
  aws_s3_bucket_lifecycle_configuration: { read: ["s3:GetLifecycleConfiguration"], write: ["s3:PutLifecycleConfiguration"], source: `${TFAWS("s3/bucket_lifecycle_configuration.go")}; ${SAR("amazons3")}` },
  aws_s3_bucket_logging: { read: ["s3:GetBucketLogging"], write: ["s3:PutBucketLogging"], source: `${TFAWS("s3/bucket_logging.go")}; ${SAR("amazons3")}` },
  aws_s3_bucket_ownership_controls: { read: ["s3:GetBucketOwnershipControls"], write: ["s3:PutBucketOwnershipControls"], source: `${TFAWS("s3/bucket_ownership_controls.go")}; ${SAR("amazons3")}` },
  aws_s3_bucket_policy: { read: ["s3:GetBucketPolicy"], write: ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"], source: `${TFAWS("s3/bucket_policy.go")}; ${SAR("amazons3")}` },
  aws_s3_bucket_public_access_block: { read: ["s3:GetBucketPublicAccessBlock"], write: ["s3:PutBucketPublicAccessBlock"], source: `${TFAWS("s3/bucket_public_access_block.go")}; ${SAR("amazons3")} (DeletePublicAccessBlock is authorized by s3:PutBucketPublicAccessBlock)` },
  aws_s3_bucket_server_side_encryption_configuration: { read: ["s3:GetEncryptionConfiguration"], write: ["s3:PutEncryptionConfiguration"], source: `${TFAWS("s3/bucket_server_side_encryption_configuration.go")}; ${SAR("amazons3")}` },
  aws_s3_bucket_versioning: { read: ["s3:GetBucketVersioning"], write: ["s3:PutBucketVersioning"], source: `${TFAWS("s3/bucket_versioning.go")}; ${SAR("amazons3")}` },
  aws_route53_record: { read: ["route53:ListResourceRecordSets", "route53:GetHostedZone"], write: ["route53:ChangeResourceRecordSets", "route53:GetChange"], source: `${TFAWS("route53/record.go")}; ${SAR("amazonroute53")}` },
  aws_vpc_endpoint_service: {
    read: ["ec2:DescribeVpcEndpointServiceConfigurations", "ec2:DescribeVpcEndpointServicePermissions"],
    write: ["ec2:CreateVpcEndpointServiceConfiguration", "ec2:ModifyVpcEndpointServiceConfiguration", "ec2:ModifyVpcEndpointServicePermissions", "ec2:DeleteVpcEndpointServiceConfigurations", ...TAG_EC2],
    source: `${TFAWS("ec2/vpc_endpoint_service.go")}; ${EC2}`,
  },
  // Data sources of an existing network (aws.existingNetwork) and of the entry point's load balancer.
  "data.aws_vpc": { read: ["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"], write: [], source: `${TFAWS("ec2/vpc_data_source.go")}; ${EC2}` },
  "data.aws_subnet": { read: ["ec2:DescribeSubnets"], write: [], source: `${TFAWS("ec2/vpc_subnet_data_source.go")}; ${EC2}` },
  "data.aws_vpc_endpoint": { read: ["ec2:DescribeVpcEndpoints", "ec2:DescribePrefixLists"], write: [], source: `${TFAWS("ec2/vpc_endpoint_data_source.go")}; ${EC2}` },
  "data.aws_lbs": { read: ["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags"], write: [], source: `${TFAWS("elbv2/load_balancers_data_source.go")}; ${SAR("awselasticloadbalancingv2")}` },
  // Data sources (read only).
  "data.aws_availability_zones": { read: ["ec2:DescribeAvailabilityZones"], write: [], source: `${TFAWS("ec2/ec2_availability_zones_data_source.go")}; ${EC2}` },
  "data.aws_caller_identity": { read: [], write: [], source: "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html: no permissions are required to perform this operation" },
  "data.aws_iam_policy_document": { read: [], write: [], source: `${TFAWS("iam/policy_document_data_source.go")}: rendered locally, no API call` },
  "data.aws_partition": { read: [], write: [], source: `${TFAWS("meta/partition_data_source.go")}: the provider's endpoint metadata, no API call` },
  "data.aws_kms_key": { read: ["kms:DescribeKey"], write: [], source: `${TFAWS("kms/key_data_source.go")}; ${SAR("awskeymanagementservice")}` },
  "data.aws_lb_hosted_zone_id": { read: [], write: [], source: `${TFAWS("elbv2/hosted_zone_id_data_source.go")} (a table in the provider, per region and load balancer type: no API call)` },
  "data.aws_route53_zone": { read: ["route53:GetHostedZone", "route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResource"], write: [], source: `${TFAWS("route53/zone_data_source.go")}; ${SAR("amazonroute53")}` },
  "data.aws_acm_certificate": { read: ["acm:ListCertificates", "acm:DescribeCertificate", "acm:ListTagsForCertificate"], write: [], source: `${TFAWS("acm/certificate_data_source.go")}; ${SAR("awscertificatemanager")}` },
};

const AZ_OPS = "https://learn.microsoft.com/en-us/azure/role-based-access-control/permissions";
const TFAZ = (file: string) => `https://github.com/hashicorp/terraform-provider-azurerm/tree/v4.x/internal/services/${file}`;
const rwd = (type: string) => ({ read: [`${type}/read`], write: [`${type}/write`, `${type}/delete`] });

/** hashicorp/azurerm 4 resource types -> Azure RBAC control-plane actions (Microsoft.<provider>/<type>/<op>). */
export const AZURE_PERMISSIONS: Readonly<Record<string, TypePermissions>> = {
  azurerm_resource_group: { ...rwd("Microsoft.Resources/subscriptions/resourceGroups"), source: `${TFAZ("resource")}; ${AZ_OPS}/management-and-governance#microsoftresources` },
  azurerm_virtual_network: { ...rwd("Microsoft.Network/virtualNetworks"), source: `${TFAZ("network")}; ${AZ_OPS}/networking#microsoftnetwork` },
  // An existing network (azure.existingNetwork), read only.
  "data.azurerm_virtual_network": { read: ["Microsoft.Network/virtualNetworks/read"], write: [], source: `${TFAZ("network/virtual_network_data_source.go")}; ${AZ_OPS}/networking#microsoftnetwork` },
  "data.azurerm_subnet": { read: ["Microsoft.Network/virtualNetworks/subnets/read"], write: [], source: `${TFAZ("network/subnet_data_source.go")}; ${AZ_OPS}/networking#microsoftnetwork` },
  azurerm_subnet: { read: ["Microsoft.Network/virtualNetworks/subnets/read"], write: ["Microsoft.Network/virtualNetworks/subnets/write", "Microsoft.Network/virtualNetworks/subnets/delete"], source: `${TFAZ("network")}; ${AZ_OPS}/networking#microsoftnetwork` },
  azurerm_network_security_group: { ...rwd("Microsoft.Network/networkSecurityGroups"), source: `${TFAZ("network")}; ${AZ_OPS}/networking#microsoftnetwork` },
  azurerm_network_security_rule: { ...rwd("Microsoft.Network/networkSecurityGroups/securityRules"), source: `${TFAZ("network")}; ${AZ_OPS}/networking#microsoftnetwork` },
  azurerm_subnet_network_security_group_association: { read: ["Microsoft.Network/virtualNetworks/subnets/read"], write: ["Microsoft.Network/virtualNetworks/subnets/write", "Microsoft.Network/networkSecurityGroups/join/action"], source: `${TFAZ("network")}; ${AZ_OPS}/networking#microsoftnetwork` },
  azurerm_nat_gateway: { ...rwd("Microsoft.Network/natGateways"), source: `${TFAZ("network")}; ${AZ_OPS}/networking#microsoftnetwork` },
  azurerm_nat_gateway_public_ip_association: { read: ["Microsoft.Network/natGateways/read"], write: ["Microsoft.Network/natGateways/write", "Microsoft.Network/publicIPAddresses/join/action"], source: `${TFAZ("network")}; ${AZ_OPS}/networking#microsoftnetwork` },
  azurerm_subnet_nat_gateway_association: { read: ["Microsoft.Network/virtualNetworks/subnets/read"], write: ["Microsoft.Network/virtualNetworks/subnets/write", "Microsoft.Network/natGateways/join/action"], source: `${TFAZ("network")}; ${AZ_OPS}/networking#microsoftnetwork` },
  azurerm_public_ip: { ...rwd("Microsoft.Network/publicIPAddresses"), source: `${TFAZ("network")}; ${AZ_OPS}/networking#microsoftnetwork` },
  azurerm_private_dns_zone: { read: ["Microsoft.Network/privateDnsZones/read", "Microsoft.Network/privateDnsZones/SOA/read"], write: ["Microsoft.Network/privateDnsZones/write", "Microsoft.Network/privateDnsZones/delete", "Microsoft.Network/privateDnsZones/SOA/write"], source: `${TFAZ("privatedns")}; ${AZ_OPS}/networking#microsoftnetwork` },
  azurerm_private_dns_zone_virtual_network_link: { read: ["Microsoft.Network/privateDnsZones/virtualNetworkLinks/read"], write: ["Microsoft.Network/privateDnsZones/virtualNetworkLinks/write", "Microsoft.Network/privateDnsZones/virtualNetworkLinks/delete", "Microsoft.Network/virtualNetworks/join/action"], source: `${TFAZ("privatedns")}; ${AZ_OPS}/networking#microsoftnetwork` },
  azurerm_private_endpoint: {
    read: ["Microsoft.Network/privateEndpoints/read", "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/read", "Microsoft.Network/networkInterfaces/read", "Microsoft.Network/locations/availablePrivateEndpointTypes/read"],
    // An auto-approved connection (is_manual_connection false) needs the approval action on the target's type: the
    // key vaults' and the data storage account's (blob) endpoints.
    write: [
      "Microsoft.Network/privateEndpoints/write", "Microsoft.Network/privateEndpoints/delete", "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/write", "Microsoft.Network/privateEndpoints/privateDnsZoneGroups/delete",
      "Microsoft.Network/virtualNetworks/subnets/join/action", "Microsoft.Network/privateDnsZones/join/action", "Microsoft.KeyVault/vaults/PrivateEndpointConnectionsApproval/action",
      "Microsoft.Storage/storageAccounts/PrivateEndpointConnectionsApproval/action",
    ],
    source: `${TFAZ("network/private_endpoint_resource.go")}; https://learn.microsoft.com/en-us/azure/private-link/rbac-permissions (private endpoint: Microsoft.Network/locations/availablePrivateEndpointTypes/read; auto-approval: <target>/privateEndpointConnectionsApproval/action)`,
  },
  azurerm_virtual_network_peering: { read: ["Microsoft.Network/virtualNetworks/virtualNetworkPeerings/read"], write: ["Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write", "Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete", "Microsoft.Network/virtualNetworks/peer/action"], source: `${TFAZ("network")}; https://learn.microsoft.com/en-us/azure/virtual-network/virtual-network-manage-peering#permissions` },
  // Not granted, though Microsoft's required-rbac-permissions page ("Flow logs") lists them for whoever creates a flow log:
  // Microsoft.Storage/storageAccounts/listKeys, listAccountSas and listServiceSas. With listKeys allowed, the azurerm
  // provider's storage account read (which calls ListKeys on every refresh and tolerates only a 403) stores the
  // accounts' access keys in the state, which the plan identity reads; a first flow-log create refused for them is an
  // administrator's grant on the flow-log account, not a key in state.
  azurerm_network_watcher_flow_log: { read: ["Microsoft.Network/networkWatchers/read", "Microsoft.Network/networkWatchers/flowLogs/read"], write: ["Microsoft.Network/networkWatchers/flowLogs/write", "Microsoft.Network/networkWatchers/flowLogs/delete", "Microsoft.Storage/storageAccounts/read", "Microsoft.OperationalInsights/workspaces/read"], source: `${TFAZ("network")}; https://learn.microsoft.com/en-us/azure/network-watcher/required-rbac-permissions` },
  azurerm_key_vault: { read: ["Microsoft.KeyVault/vaults/read", "Microsoft.KeyVault/locations/deletedVaults/read", "Microsoft.KeyVault/locations/operationResults/read"], write: ["Microsoft.KeyVault/vaults/write", "Microsoft.KeyVault/vaults/delete"], source: `${TFAZ("keyvault")}; ${AZ_OPS}/security#microsoftkeyvault (no purge: the provider is set not to purge on destroy)` },
  azurerm_key_vault_key: { read: [], write: [], source: "data plane: the bootstrap's key-deployer role (constructs/azure/deployment-roles.ts), which the stack assigns per vault to azure.deployerObjectId (constructs/azure/single-key-vault.ts); nothing at subscription scope" },
  azurerm_kubernetes_cluster: {
    read: ["Microsoft.ContainerService/managedClusters/read", "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action", "Microsoft.OperationsManagement/solutions/read"],
    // The monitoring add-on (oms_agent): AKS creates and updates the workspace's Container Insights solution as the caller.
    // workspaces/sharedKeys/read: checked on the workspace at every PUT of a cluster with the monitoring add-on (a linked
    // access check; LinkedAuthorizationFailed in Azure/azure-cli#22232, Azure/AKS#499, kubernetes/autoscaler#1900).
    write: ["Microsoft.ContainerService/managedClusters/write", "Microsoft.ContainerService/managedClusters/delete", "Microsoft.Network/virtualNetworks/subnets/join/action", "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", "Microsoft.OperationalInsights/workspaces/sharedKeys/action", "Microsoft.OperationalInsights/workspaces/sharedKeys/read", "Microsoft.OperationsManagement/solutions/write"],
    source:
      `${TFAZ("containers/kubernetes_cluster_resource.go")}; https://learn.microsoft.com/en-us/azure/aks/concepts-identity#aks-cluster-identity-permissions; ` +
      "https://learn.microsoft.com/en-us/azure/aks/aks-service-permissions ('Identity creating and operating the cluster permissions': workspaces/read, " +
      "OperationsManagement/solutions/write and read, userAssignedIdentities/assign/action 'Required to create and update Log Analytics workspaces and Azure monitoring for containers'; read in its docs.azure.cn copy)",
  },
  azurerm_kubernetes_cluster_node_pool: { ...rwd("Microsoft.ContainerService/managedClusters/agentPools"), source: `${TFAZ("containers/kubernetes_cluster_node_pool_resource.go")}; ${AZ_OPS}/containers#microsoftcontainerservice` },
  azurerm_log_analytics_workspace: { read: ["Microsoft.OperationalInsights/workspaces/read"], write: ["Microsoft.OperationalInsights/workspaces/write", "Microsoft.OperationalInsights/workspaces/delete", "Microsoft.OperationalInsights/workspaces/sharedKeys/action"], source: `${TFAZ("loganalytics")}; ${AZ_OPS}/monitor#microsoftoperationalinsights` },
  azurerm_management_lock: { ...rwd("Microsoft.Authorization/locks"), source: `${TFAZ("resource/management_lock_resource.go")}; ${AZ_OPS}/management-and-governance#microsoftauthorization` },
  // A setting sending to a workspace is checked for the workspace's shared keys (a linked access check: JimGBritt/AzurePolicy#17).
  azurerm_monitor_diagnostic_setting: { read: ["Microsoft.Insights/diagnosticSettings/read"], write: ["Microsoft.Insights/diagnosticSettings/write", "Microsoft.Insights/diagnosticSettings/delete", "Microsoft.OperationalInsights/workspaces/sharedKeys/action"], source: `${TFAZ("monitor")}; ${AZ_OPS}/monitor#microsoftinsights; https://github.com/JimGBritt/AzurePolicy/issues/17 (diagnosticSettings/write, LinkedAuthorizationFailed for workspaces/sharedKeys/action)` },
  // Create resolves role_definition_name by listing role definitions, and read gets the role definition to set the name.
  azurerm_role_assignment: {
    read: ["Microsoft.Authorization/roleAssignments/read", "Microsoft.Authorization/roleDefinitions/read"],
    write: ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete"],
    source: `${TFAZ("authorization/role_assignment_resource.go")} (create: roleDefinitionsClient.List with roleName eq; read: roleDefinitionsClient.Get); ${AZ_OPS}/management-and-governance#microsoftauthorization`,
  },
  azurerm_role_definition: { ...rwd("Microsoft.Authorization/roleDefinitions"), source: `${TFAZ("authorization")}; ${AZ_OPS}/management-and-governance#microsoftauthorization` },
  azurerm_storage_account: {
    // fileServices/read: the read of a StorageV2 account gets its file service's properties (availableFunctionalityForAccount
    // supportShare; internal/services/storage/storage_account_resource.go 'retrieving share properties', v4.55.0).
    read: ["Microsoft.Storage/storageAccounts/read", "Microsoft.Storage/storageAccounts/blobServices/read", "Microsoft.Storage/storageAccounts/fileServices/read"],
    // assign/action: with encryption.keys customer-managed the account reads its key as a user-assigned identity.
    write: ["Microsoft.Storage/storageAccounts/write", "Microsoft.Storage/storageAccounts/delete", "Microsoft.Storage/storageAccounts/blobServices/write", "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"],
    source: `${TFAZ("storage")} (storage_use_azuread, data_plane_available false: no listKeys); ${AZ_OPS}/storage#microsoftstorage; ${AZ_OPS}/identity#microsoftmanagedidentity (userAssignedIdentities/assign/action)`,
  },
  azurerm_storage_container: { ...rwd("Microsoft.Storage/storageAccounts/blobServices/containers"), source: `${TFAZ("storage")}; ${AZ_OPS}/storage#microsoftstorage` },
  azurerm_user_assigned_identity: { ...rwd("Microsoft.ManagedIdentity/userAssignedIdentities"), source: `${TFAZ("managedidentity")}; ${AZ_OPS}/identity#microsoftmanagedidentity` },
  azurerm_federated_identity_credential: { ...rwd("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"), source: `${TFAZ("managedidentity")}; ${AZ_OPS}/identity#microsoftmanagedidentity` },
  azurerm_monitor_data_collection_rule: { ...rwd("Microsoft.Insights/dataCollectionRules"), source: `${TFAZ("monitor")}; https://learn.microsoft.com/en-us/azure/azure-monitor/data-collection/data-collection-rule-create-edit#permissions` },
  azurerm_monitor_data_collection_rule_association: { read: ["Microsoft.Insights/dataCollectionRuleAssociations/read"], write: ["Microsoft.Insights/dataCollectionRuleAssociations/write", "Microsoft.Insights/dataCollectionRuleAssociations/delete", "Microsoft.Insights/dataCollectionRules/read"], source: `${TFAZ("monitor")}; https://learn.microsoft.com/en-us/azure/azure-monitor/data-collection/data-collection-rule-create-edit#permissions` },
  azurerm_private_dns_a_record: { read: ["Microsoft.Network/privateDnsZones/read", "Microsoft.Network/privateDnsZones/A/read"], write: ["Microsoft.Network/privateDnsZones/A/write", "Microsoft.Network/privateDnsZones/A/delete"], source: `${TFAZ("privatedns/private_dns_a_record_resource.go")}; ${AZ_OPS}/networking#microsoftnetwork` },
  azurerm_dns_a_record: { read: ["Microsoft.Network/dnsZones/read", "Microsoft.Network/dnsZones/A/read"], write: ["Microsoft.Network/dnsZones/A/write", "Microsoft.Network/dnsZones/A/delete"], source: `${TFAZ("dns")}; ${AZ_OPS}/networking#microsoftnetwork` },
  // encryption.keys customer-managed (constructs/azure/disk-encryption-set.ts): the set runs as a user-assigned identity.
  azurerm_disk_encryption_set: {
    read: ["Microsoft.Compute/diskEncryptionSets/read"],
    write: ["Microsoft.Compute/diskEncryptionSets/write", "Microsoft.Compute/diskEncryptionSets/delete", "Microsoft.KeyVault/vaults/deploy/action", "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"],
    source: `${TFAZ("compute/disk_encryption_set_resource.go")}; ${AZ_OPS}/compute#microsoftcompute; assigning a user-assigned identity to a resource: ${AZ_OPS}/identity#microsoftmanagedidentity (userAssignedIdentities/assign/action)`,
  },
};

const TFG = (file: string) => `https://github.com/hashicorp/terraform-provider-google/tree/v6.x/google/services/${file}`;
const GCP_PERMS = "https://cloud.google.com/iam/docs/permissions-reference";
const crud = (p: string, extra: readonly string[] = []) => ({ read: [`${p}.get`], write: [`${p}.create`, `${p}.update`, `${p}.delete`, ...extra] });

/**
 * Every Compute Engine write returns an operation the provider polls until it is done: global operations for global
 * resources (networks, firewalls), region operations for regional ones (subnetworks, routers and their NATs,
 * addresses). A 403 on the poll fails the apply after the insert succeeded, and the provider then drops the new
 * resource from state ("didn't actually create"). hashicorp/terraform-provider-google
 * google/services/compute/compute_operation.go (ComputeOperationWaiter.QueryOp: GlobalOperations.Get,
 * RegionOperations.Get, ZoneOperations.Get); https://cloud.google.com/compute/docs/reference/rest/v1/globalOperations/get
 * and .../regionOperations/get (permissions compute.globalOperations.get, compute.regionOperations.get).
 */
const COMPUTE_OPERATIONS = { global: "compute.globalOperations.get", region: "compute.regionOperations.get" } as const;
const withOperation = (p: { read: string[]; write: string[] }, scope: keyof typeof COMPUTE_OPERATIONS) => ({ read: p.read, write: [...p.write, COMPUTE_OPERATIONS[scope]] });

/**
 * The Compute Engine REST methods the google provider's Create, Update and Delete call for the network types the cloud
 * stack creates, and the permissions each method's reference page lists under "IAM Permissions"
 * (https://cloud.google.com/compute/docs/reference/rest/v1/<collection>/<method>; read as collected in
 * iann0036/iam-dataset gcp/map.json, commit 2073fa52ac008a45477aa0b1b4580cd99135bf60, methodology "restcrawliamblockv1").
 * The calls: hashicorp/terraform-provider-google google/services/compute/resource_compute_firewall.go (Create POST
 * .../global/firewalls, Update PATCH and Delete DELETE .../global/firewalls/{name}); resource_compute_subnetwork.go
 * (Create POST .../subnetworks; Update: an ip_cidr_range change POST .../{name}/expandIpCidrRange, private_ip_google_access
 * POST .../{name}/setPrivateIpGoogleAccess, log_config, secondary_ip_range, role and IPv6 changes PATCH .../{name};
 * Delete DELETE); resource_compute_network.go (Create POST .../global/networks, Update PATCH, Delete DELETE).
 * Each type's GCP_PERMISSIONS entry must hold all of them (__tests__/delivery/gcp-deploy-scope.test.ts).
 */
export const COMPUTE_METHOD_PERMISSIONS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  google_compute_firewall: {
    "compute.firewalls.insert": ["compute.firewalls.create"],
    "compute.firewalls.patch": ["compute.firewalls.update", "compute.firewalls.get", "compute.networks.updatePolicy"],
    "compute.firewalls.delete": ["compute.firewalls.delete", "compute.networks.updatePolicy"],
  },
  google_compute_subnetwork: {
    "compute.subnetworks.insert": ["compute.subnetworks.create"],
    "compute.subnetworks.expandIpCidrRange": ["compute.subnetworks.expandIpCidrRange"],
    "compute.subnetworks.setPrivateIpGoogleAccess": ["compute.subnetworks.setPrivateIpGoogleAccess"],
    "compute.subnetworks.patch": ["compute.subnetworks.get", "compute.subnetworks.update"],
    "compute.subnetworks.delete": ["compute.subnetworks.delete"],
  },
  google_compute_network: {
    "compute.networks.insert": ["compute.networks.create"],
    "compute.networks.patch": ["compute.networks.update", "compute.networks.get"],
    "compute.networks.delete": ["compute.networks.delete"],
  },
};

/** hashicorp/google 6 resource and data source types -> IAM permissions. */
export const GCP_PERMISSIONS: Readonly<Record<string, TypePermissions>> = {
  google_compute_network: { ...withOperation(crud("compute.networks", ["compute.networks.updatePolicy"]), "global"), source: `${TFG("compute/resource_compute_network.go")}; ${GCP_PERMS}` },
  google_compute_subnetwork: {
    ...withOperation(crud("compute.subnetworks", ["compute.subnetworks.setPrivateIpGoogleAccess", "compute.subnetworks.expandIpCidrRange", "compute.networks.get"]), "region"),
    source: `${TFG("compute/resource_compute_subnetwork.go")} (an ip_cidr_range change POSTs .../expandIpCidrRange: COMPUTE_METHOD_PERMISSIONS); ${GCP_PERMS}`,
  },
  google_compute_router: { ...withOperation(crud("compute.routers", ["compute.networks.get"]), "region"), source: `${TFG("compute/resource_compute_router.go")}; ${GCP_PERMS}` },
  google_compute_router_nat: { ...withOperation({ read: ["compute.routers.get"], write: ["compute.routers.update"] }, "region"), source: `${TFG("compute/resource_compute_router_nat.go")} (a NAT is part of its router); ${GCP_PERMS}` },
  google_compute_firewall: { ...withOperation(crud("compute.firewalls", ["compute.networks.updatePolicy"]), "global"), source: `${TFG("compute/resource_compute_firewall.go")}; ${GCP_PERMS}` },
  google_container_cluster: { read: ["container.clusters.get", "container.operations.get"], write: ["container.clusters.create", "container.clusters.update", "container.clusters.delete", "iam.serviceAccounts.actAs", "compute.subnetworks.use", "compute.networks.get"], source: `${TFG("container/resource_container_cluster.go")}; https://cloud.google.com/kubernetes-engine/docs/how-to/iam#predefined` },
  google_container_node_pool: { read: ["container.clusters.get", "container.operations.get"], write: ["container.clusters.update", "iam.serviceAccounts.actAs"], source: `${TFG("container/resource_container_node_pool.go")} (node pool calls are authorized by container.clusters.*); https://cloud.google.com/kubernetes-engine/docs/how-to/iam` },
  google_kms_key_ring: { read: ["cloudkms.keyRings.get"], write: ["cloudkms.keyRings.create"], source: `${TFG("kms/resource_kms_key_ring.go")} (key rings cannot be deleted); ${GCP_PERMS}` },
  google_kms_crypto_key: { read: ["cloudkms.cryptoKeys.get"], write: ["cloudkms.cryptoKeys.create", "cloudkms.cryptoKeys.update", "cloudkms.cryptoKeyVersions.list", "cloudkms.cryptoKeyVersions.destroy"], source: `${TFG("kms/resource_kms_crypto_key.go")} (delete destroys the versions); ${GCP_PERMS}` },
  google_kms_crypto_key_iam_member: { read: ["cloudkms.cryptoKeys.getIamPolicy"], write: ["cloudkms.cryptoKeys.setIamPolicy"], source: `${TFG("kms/iam_kms_crypto_key.go")}; ${GCP_PERMS}` },
  google_project_iam_member: { read: ["resourcemanager.projects.getIamPolicy"], write: ["resourcemanager.projects.setIamPolicy"], source: `${TFG("resourcemanager/iam_project.go")}; ${GCP_PERMS}` },
  google_project_service: { read: ["serviceusage.services.get", "serviceusage.services.list"], write: ["serviceusage.services.enable"], source: `${TFG("serviceusage/resource_google_project_service.go")} (disable_on_destroy false: never disables); ${GCP_PERMS}` },
  google_service_account: { ...crud("iam.serviceAccounts"), source: `${TFG("resourcemanager/resource_google_service_account.go")}; ${GCP_PERMS}` },
  google_service_account_iam_member: { read: ["iam.serviceAccounts.getIamPolicy"], write: ["iam.serviceAccounts.setIamPolicy"], source: `${TFG("resourcemanager/iam_service_account.go")}; ${GCP_PERMS}` },
  google_storage_bucket: { read: ["storage.buckets.get"], write: ["storage.buckets.create", "storage.buckets.update", "storage.buckets.delete"], source: `${TFG("storage/resource_storage_bucket.go")}; ${GCP_PERMS}` },
  google_storage_bucket_iam_member: { read: ["storage.buckets.getIamPolicy"], write: ["storage.buckets.setIamPolicy"], source: `${TFG("storage/iam_storage_bucket.go")}; ${GCP_PERMS}` },
  // An internal address (access: internal) is reserved from a subnetwork: compute.subnetworks.use on it (in a Shared VPC,
  // granted on the host project's subnetwork: roles/compute.networkUser there, docs/deployment-guide.md).
  google_compute_address: { read: ["compute.addresses.get"], write: ["compute.addresses.create", "compute.addresses.createInternal", "compute.addresses.delete", "compute.addresses.deleteInternal", "compute.addresses.setLabels", "compute.subnetworks.use", COMPUTE_OPERATIONS.region], source: `${TFG("compute/resource_compute_address.go")}; ${GCP_PERMS}; https://cloud.google.com/vpc/docs/reserve-static-internal-ip-address (compute.addresses.createInternal, compute.subnetworks.use)` },
  "data.google_dns_managed_zone": { read: ["dns.managedZones.get"], write: [], source: `${TFG("dns/data_source_dns_managed_zone.go")}; ${GCP_PERMS}` },
  // Create lists the zone's record sets first, and read lists them by name and type (resource_dns_record_set.go: ResourceRecordSets.List).
  google_dns_record_set: { read: ["dns.resourceRecordSets.get", "dns.resourceRecordSets.list", "dns.managedZones.get"], write: ["dns.resourceRecordSets.create", "dns.resourceRecordSets.update", "dns.resourceRecordSets.delete", "dns.changes.create", "dns.changes.get"], source: `${TFG("dns/resource_dns_record_set.go")}; ${GCP_PERMS}` },
  google_project_service_identity: {
    read: [],
    // GenerateServiceIdentity is authorized by its own permission, listed beside serviceusage.services.use for enabling
    // an API: https://cloud.google.com/binary-authorization/docs/reference/custom-roles ("Enable the API").
    write: ["serviceusage.services.generateServiceIdentity", "serviceusage.services.use"],
    source: `${TFG("serviceusage/resource_project_service_identity.go")} (GenerateServiceIdentity); ${GCP_PERMS}; https://cloud.google.com/binary-authorization/docs/reference/custom-roles`,
  },
  "data.google_compute_zones": { read: ["compute.zones.list", "compute.regions.get"], write: [], source: `${TFG("compute/data_source_google_compute_zones.go")}; ${GCP_PERMS}` },
  "data.google_storage_project_service_account": { read: ["resourcemanager.projects.get"], write: [], source: `${TFG("storage/data_source_google_storage_project_service_account.go")}; https://cloud.google.com/storage/docs/json_api/v1/projects/serviceAccount/get` },
  // An existing network (gcp.existingNetwork), read in its (possibly Shared VPC host) project: grant these there too.
  "data.google_compute_network": { read: ["compute.networks.get"], write: [], source: `${TFG("compute/data_source_google_compute_network.go")}; ${GCP_PERMS}` },
  "data.google_compute_subnetwork": { read: ["compute.subnetworks.get"], write: [], source: `${TFG("compute/data_source_google_compute_subnetwork.go")}; ${GCP_PERMS}` },
  "data.google_project": { read: ["resourcemanager.projects.get"], write: [], source: `${TFG("resourcemanager/data_source_google_project.go")}; ${GCP_PERMS}` },
};

/**
 * What the GCP stack's local-exec (`gcloud beta services identity create`, terraform_data.GkeServiceAgent) needs:
 * the same API call as google_project_service_identity.
 */
export const GCLOUD_SERVICE_IDENTITY = GCP_PERMISSIONS.google_project_service_identity;
