import type { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";

/**
 * The documents of the AWS managed policies the deployment's roles attach (constructs/aws/eks-cluster.ts,
 * container-logs.ts, ebs-csi-driver.ts), as AWS publishes them: the default version of each, copied statement by
 * statement from zoph-io/MAMIP (a daily mirror of every AWS managed policy: `policies/<name>`, and their paths in
 * `policies-list.json`, commit
 * 0387244e53a3dbe038810ef3463489c2c6836f06 of 2026-03-07; the same documents are on
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html).
 *
 * The roles' permissions boundary (aws-role-boundary.ts) is built from these: a role under the boundary keeps
 * exactly what its managed policies grant. When AWS publishes a new version of one (the version below changes),
 * copy it here and re-apply the bootstrap; until then the boundary withholds what the new version added.
 */
export interface ManagedPolicyFact {
  /** Its IAM path (policies-list.json `Path`): part of its ARN, `arn:aws:iam::aws:policy<path><name>`. */
  readonly path: string;
  /** The default version's id and creation date, as IAM's GetPolicyVersion reports them. */
  readonly version: string;
  readonly created: string;
  readonly statements: readonly Pick<DataAwsIamPolicyDocumentStatement, "actions" | "resources" | "condition">[];
}

/** Where the facts were read. */
export const MANAGED_POLICY_SOURCE = "https://github.com/zoph-io/MAMIP/tree/0387244e53a3dbe038810ef3463489c2c6836f06/policies";

export const AWS_MANAGED_POLICIES: Readonly<Record<string, ManagedPolicyFact>> = {
  AmazonEKSClusterPolicy: {
    path: "/",
    version: "v10",
    created: "2026-02-12",
    statements: [
      { actions: ["autoscaling:DescribeAutoScalingGroups", "autoscaling:UpdateAutoScalingGroup", "ec2:AttachVolume", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateRoute", "ec2:CreateSecurityGroup", "ec2:CreateTags", "ec2:CreateVolume", "ec2:DeleteRoute", "ec2:DeleteSecurityGroup", "ec2:DeleteVolume", "ec2:DescribeInstances", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVolumes", "ec2:DescribeVolumesModifications", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeAvailabilityZones", "ec2:DetachVolume", "ec2:ModifyInstanceAttribute", "ec2:ModifyVolume", "ec2:RevokeSecurityGroupIngress", "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeInternetGateways", "ec2:DescribeInstanceTopology", "elasticloadbalancing:AddTags", "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer", "elasticloadbalancing:AttachLoadBalancerToSubnets", "elasticloadbalancing:ConfigureHealthCheck", "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateLoadBalancerListeners", "elasticloadbalancing:CreateLoadBalancerPolicy", "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteLoadBalancerListeners", "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:DeregisterInstancesFromLoadBalancer", "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeLoadBalancerPolicies", "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DetachLoadBalancerFromSubnets", "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:RegisterInstancesWithLoadBalancer", "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer", "elasticloadbalancing:SetLoadBalancerPoliciesOfListener", "kms:DescribeKey"], resources: ["*"] },
      { actions: ["iam:CreateServiceLinkedRole"], resources: ["*"], condition: [{ test: "StringEquals", variable: "iam:AWSServiceName", values: ["elasticloadbalancing.amazonaws.com"] }] },
      { actions: ["ec2:DeleteNetworkInterface"], resources: ["*"], condition: [{ test: "StringEquals", variable: "ec2:ResourceTag/eks:eni:owner", values: ["amazon-vpc-cni"] }] },
    ],
  },
  AmazonEKSWorkerNodePolicy: {
    path: "/",
    version: "v3",
    created: "2023-11-27",
    statements: [
      { actions: ["ec2:DescribeInstances", "ec2:DescribeInstanceTypes", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVolumes", "ec2:DescribeVolumesModifications", "ec2:DescribeVpcs", "eks:DescribeCluster", "eks-auth:AssumeRoleForPodIdentity"], resources: ["*"] },
    ],
  },
  AmazonEKS_CNI_Policy: {
    path: "/",
    version: "v6",
    created: "2026-03-04",
    statements: [
      { actions: ["ec2:AssignPrivateIpAddresses", "ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeInstances", "ec2:DescribeTags", "ec2:DescribeNetworkInterfaces", "ec2:DescribeInstanceTypes", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DetachNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute", "ec2:UnassignPrivateIpAddresses"], resources: ["*"] },
      { actions: ["ec2:CreateTags"], resources: ["arn:aws:ec2:*:*:network-interface/*"] },
    ],
  },
  AmazonEC2ContainerRegistryPullOnly: {
    path: "/",
    version: "v1",
    created: "2024-10-04",
    statements: [
      { actions: ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchImportUpstreamImage"], resources: ["*"] },
    ],
  },
  CloudWatchAgentServerPolicy: {
    path: "/",
    version: "v3",
    created: "2024-02-06",
    statements: [
      { actions: ["cloudwatch:PutMetricData", "ec2:DescribeVolumes", "ec2:DescribeTags", "logs:PutLogEvents", "logs:PutRetentionPolicy", "logs:DescribeLogStreams", "logs:DescribeLogGroups", "logs:CreateLogStream", "logs:CreateLogGroup", "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"], resources: ["*"] },
      { actions: ["ssm:GetParameter"], resources: ["arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*"] },
    ],
  },
  AmazonEBSCSIDriverPolicy: {
    path: "/service-role/",
    version: "v14",
    created: "2026-02-12",
    statements: [
      { actions: ["ec2:DescribeAvailabilityZones", "ec2:DescribeInstances", "ec2:DescribeSnapshots", "ec2:DescribeTags", "ec2:DescribeVolumes", "ec2:DescribeVolumesModifications", "ec2:DescribeVolumeStatus"], resources: ["*"] },
      { actions: ["ec2:CreateSnapshot", "ec2:ModifyVolume"], resources: ["arn:aws:ec2:*:*:volume/*"] },
      { actions: ["ec2:CopyVolumes"], resources: ["arn:aws:ec2:*:*:volume/vol-*"] },
      { actions: ["ec2:AttachVolume", "ec2:DetachVolume"], resources: ["arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*:*:instance/*"] },
      { actions: ["ec2:CreateVolume", "ec2:EnableFastSnapshotRestores"], resources: ["arn:aws:ec2:*:*:snapshot/*"] },
      { actions: ["ec2:CreateTags"], resources: ["arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*:*:snapshot/*"], condition: [{ test: "StringEquals", variable: "ec2:CreateAction", values: ["CreateVolume", "CreateSnapshot", "CopyVolumes"] }] },
      { actions: ["ec2:DeleteTags"], resources: ["arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*:*:snapshot/*"] },
      { actions: ["ec2:CreateVolume", "ec2:CopyVolumes"], resources: ["arn:aws:ec2:*:*:volume/*"], condition: [{ test: "StringLike", variable: "aws:RequestTag/ebs.csi.aws.com/cluster", values: ["true"] }] },
      { actions: ["ec2:CreateVolume", "ec2:CopyVolumes"], resources: ["arn:aws:ec2:*:*:volume/*"], condition: [{ test: "StringLike", variable: "aws:RequestTag/CSIVolumeName", values: ["*"] }] },
      { actions: ["ec2:DeleteVolume"], resources: ["arn:aws:ec2:*:*:volume/*"], condition: [{ test: "StringLike", variable: "ec2:ResourceTag/ebs.csi.aws.com/cluster", values: ["true"] }] },
      { actions: ["ec2:DeleteVolume"], resources: ["arn:aws:ec2:*:*:volume/*"], condition: [{ test: "StringLike", variable: "ec2:ResourceTag/CSIVolumeName", values: ["*"] }] },
      { actions: ["ec2:DeleteVolume"], resources: ["arn:aws:ec2:*:*:volume/*"], condition: [{ test: "StringLike", variable: "ec2:ResourceTag/kubernetes.io/created-for/pvc/name", values: ["*"] }] },
      { actions: ["ec2:CreateSnapshot"], resources: ["arn:aws:ec2:*:*:snapshot/*"], condition: [{ test: "StringLike", variable: "aws:RequestTag/CSIVolumeSnapshotName", values: ["*"] }] },
      { actions: ["ec2:CreateSnapshot"], resources: ["arn:aws:ec2:*:*:snapshot/*"], condition: [{ test: "StringLike", variable: "aws:RequestTag/ebs.csi.aws.com/cluster", values: ["true"] }] },
      { actions: ["ec2:DeleteSnapshot", "ec2:LockSnapshot"], resources: ["arn:aws:ec2:*:*:snapshot/*"], condition: [{ test: "StringLike", variable: "ec2:ResourceTag/CSIVolumeSnapshotName", values: ["*"] }] },
      { actions: ["ec2:DeleteSnapshot", "ec2:LockSnapshot"], resources: ["arn:aws:ec2:*:*:snapshot/*"], condition: [{ test: "StringLike", variable: "ec2:ResourceTag/ebs.csi.aws.com/cluster", values: ["true"] }] },
    ],
  },
};
