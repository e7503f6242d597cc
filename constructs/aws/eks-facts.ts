/**
 * What the AWS layer relies on from EKS, EC2, KMS and Linux, written down with where it is stated. The
 * real aws provider (5.100.0, offline) decides what Terraform accepts and what a plan replaces; these are
 * the rules it cannot decide (the EKS API's own checks, what a service does at run time). Tests hold the
 * synthesized AWS stack against them (__tests__/aws/eks-facts.test.ts).
 */

/** A rule and where it is written. */
export interface Fact<T> {
  readonly value: T;
  readonly source: string;
}

/** EKS access entries and the creator's implicit admin. */
export const EKS_ACCESS_FACTS = {
  /** One access entry per IAM principal: a second CreateAccessEntry for it fails with ResourceInUseException (409). */
  oneEntryPerPrincipal: {
    value: true,
    source:
      "EKS API CreateAccessEntry, Errors: ResourceInUseException (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html); " +
      "reported with the creator listed twice in terraform-aws-modules/terraform-aws-eks#3293 and #2969",
  },
  /** bootstrapClusterCreatorAdminPermissions=true makes EKS create an admin access entry for the creating principal itself. */
  bootstrapCreatesCreatorEntry: {
    value: true,
    source: "EKS API CreateAccessConfigRequest.bootstrapClusterCreatorAdminPermissions (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessConfigRequest.html)",
  },
  /** Changing the flag on an existing cluster makes the aws provider replace the cluster (measured: offline plan, aws 5.100.0). */
  bootstrapFlagForcesReplacement: {
    value: true,
    source: "terraform plan with hashicorp/aws 5.100.0 (__tests__/aws/offline-plan.test.ts, 'an existing cluster keeps its creator flag')",
  },
  /** Access entries name IAM role or user ARNs; an assumed-role session ARN is matched through its role. */
  principalIsRoleOrUser: {
    value: /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\//,
    source: "EKS API CreateAccessEntry.principalArn (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html)",
  },
} as const;

/** Cluster version policy. */
export const EKS_UPGRADE_POLICY_FACTS = {
  /** Without an upgrade policy a cluster created through the API is EXTENDED: it enters billed extended support. */
  apiDefault: {
    value: "EXTENDED",
    source: "EKS API UpgradePolicyRequest: 'The default value is EXTENDED' (https://docs.aws.amazon.com/eks/latest/APIReference/API_UpgradePolicyRequest.html)",
  },
  /** STANDARD: EKS upgrades the cluster at the end of standard support (14 months after the minor's release). */
  standardAutoUpgrades: {
    value: "STANDARD",
    source: "Amazon EKS User Guide, 'View current cluster upgrade policy' (https://docs.aws.amazon.com/eks/latest/userguide/view-upgrade-policy.html)",
  },
} as const;

/** What makes EKS enforce NetworkPolicy with the VPC CNI. */
export const VPC_CNI_NETWORK_POLICY_FACTS = {
  /** The add-on's configuration value that turns the network policy agent on (a string). */
  configuration: {
    value: { enableNetworkPolicy: "true" },
    source:
      "Amazon EKS User Guide, 'Restrict Pod network traffic with Kubernetes network policies', step 2 " +
      "(https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html); aws/amazon-vpc-cni-k8s charts/aws-vpc-cni/values.yaml enableNetworkPolicy",
  },
  /** Needs VPC CNI 1.14+, Kubernetes 1.25+, kernel 5.10+ (AL2023 EKS AMIs have it). */
  requirements: {
    value: { minCniVersion: "1.14", minKubernetes: "1.25", minKernel: "5.10" },
    source: "same page, Prerequisites; aws/aws-network-policy-agent README",
  },
  /** The add-on must exist before the nodes so every node starts with the agent (terraform-aws-modules: vpc-cni `before_compute`). */
  beforeNodes: {
    value: true,
    source: "terraform-aws-modules/terraform-aws-eks README, cluster_addons 'before_compute = true' for vpc-cni",
  },
  /** Standard enforcement mode: a new pod starts allowed until its policies are programmed (seconds). */
  standardModeWindow: {
    value: "default-allow until reconciled",
    source: "same EKS page, 'Step 1: Set up policy enforcement at Pod startup' (standard mode)",
  },
} as const;

/** Managed node groups: what an update and a deletion do to running pods. */
export const EKS_NODE_GROUP_FACTS = {
  /** A launch-template version update is a rolling update: surge first, drain respecting PDBs, fail on PodEvictionFailure. */
  rollingUpdateRespectsPdb: {
    value: true,
    source: "Amazon EKS User Guide, 'Understand each phase of node updates' (https://docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html)",
  },
  /** Deleting a group scales it to zero; EKS asks each node to drain but terminates it after a few minutes regardless. */
  deleteDrainsBestEffort: {
    value: true,
    source: "Amazon EKS User Guide, 'Delete a managed node group from your cluster' (https://docs.aws.amazon.com/eks/latest/userguide/delete-managed-node-group.html)",
  },
  /** `node_group_name_prefix`: the provider appends a 26-character unique suffix; names are at most 63 characters. */
  prefixSuffixLength: {
    value: { suffix: 26, maxName: 63 },
    source: "hashicorp/terraform-provider-aws internal/create/naming.go (id.PrefixedUniqueId) and EKS CreateNodegroup.nodegroupName length",
  },
} as const;

/** EBS encryption and keys. */
export const EBS_FACTS = {
  /** Encryption by default is one setting per account and region: whoever turns it off turns it off for everyone there. */
  encryptionByDefaultIsRegional: {
    value: true,
    source: "Amazon EC2 API EnableEbsEncryptionByDefault / DisableEbsEncryptionByDefault: 'for your account in the current Region' (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableEbsEncryptionByDefault.html)",
  },
  /** An encrypted volume with no key id uses the account's default EBS key, which may be a customer-managed key. */
  defaultKeyIsAccountSetting: {
    value: true,
    source: "Amazon EBS User Guide, 'Encryption by default' and ModifyEbsDefaultKmsKeyId (https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html)",
  },
  /** DescribeKey on the alias of an AWS managed key that does not exist yet creates that key. */
  describeKeyCreatesAwsManagedKey: {
    value: "alias/aws/ebs",
    source: "AWS KMS API DescribeKey: 'If you call DescribeKey on a predefined AWS alias ... AWS KMS creates an AWS managed key' (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html)",
  },
  /** The EBS CSI driver takes the key of a StorageClass in the `kmsKeyId` parameter. */
  csiKmsKeyParameter: {
    value: "kmsKeyId",
    source: "kubernetes-sigs/aws-ebs-csi-driver docs/parameters.md",
  },
} as const;

/** Network ACLs are stateless: replies to connections the nodes open come back to the nodes' ephemeral ports. */
export const EPHEMERAL_PORT_FACTS = {
  /** Linux (Amazon Linux 2023 included) picks local ports from 32768-60999 (net.ipv4.ip_local_port_range). */
  linuxRange: {
    value: { from: 32768, to: 60999 },
    source: "Linux Documentation/networking/ip-sysctl.rst, ip_local_port_range default '32768 60999'; Amazon VPC User Guide, 'Network ACLs: Ephemeral ports'",
  },
  /** The Kubernetes NodePort range EKS uses (kube-apiserver --service-node-port-range default). */
  nodePorts: {
    value: { from: 30000, to: 32767 },
    source: "Kubernetes documentation, Service type NodePort: default range 30000-32767",
  },
} as const;

/** What Elasticsearch's S3 snapshot repository does with the bucket (it deletes superseded blobs). */
export const ELASTICSEARCH_S3_REPOSITORY_ACTIONS = {
  value: {
    bucket: ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads", "s3:ListBucketVersions"],
    objects: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
  },
  source: "Elasticsearch Guide, 'S3 repository', Recommended S3 permissions (https://www.elastic.co/guide/en/elasticsearch/reference/current/repository-s3.html)",
} as const;
