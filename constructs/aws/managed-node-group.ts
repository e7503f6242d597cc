import { Construct } from "constructs";
import { Token, type ITerraformDependable } from "cdktf";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";

/** Props of {@link ManagedNodeGroup}. */
export interface ManagedNodeGroupProps {
  /** The cluster (a token of the cluster resource, so the group waits for it). */
  readonly clusterName: string;
  /** Pool name, e.g. "general": the `pool` node label and part of resource names. */
  readonly poolName: string;
  /** Prefix of resource names (the deployment name). */
  readonly name: string;
  /** EC2 instance type, e.g. m6i.xlarge (Graviton types such as m7g.xlarge get the ARM AMI). */
  readonly instanceType: string;
  /** Nodes in the pool. */
  readonly nodeCount: number;
  /**
   * Root volume size.
   * @default 100
   */
  readonly diskSizeGiB?: number;
  /**
   * The KMS key of the root volume, named explicitly so the account's default EBS key (which may be a
   * customer-managed key without a grant for Auto Scaling) never applies (EBS_FACTS).
   */
  readonly volumeKmsKeyArn: string;
  /**
   * Kubernetes minor version of the nodes (e.g. "1.33"): raising it upgrades the group in place, one node at
   * a time (update_config.max_unavailable 1), draining each node with PodDisruptionBudgets respected.
   * @default - the cluster's version when the group is created; later cluster upgrades leave the nodes as they are
   */
  readonly kubernetesVersion?: string;
  readonly nodeRoleArn: string;
  /** Private subnets only. */
  readonly subnetIds: readonly string[];
  /** The node security group. */
  readonly securityGroupIds: readonly string[];
  /**
   * What must exist before nodes join (e.g. the node role's policy attachments).
   * @default []
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * An EKS managed node group in private subnets, from a launch template that requires IMDSv2 with a
 * hop limit of 1 (pods cannot reach the node's credentials), an encrypted gp3 root volume, no SSH key,
 * and the node security group (no public IP: the subnets never map one).
 *
 * Capacity never drops to zero on a change:
 * - what the launch template carries (disk size, metadata options) is a new template version: EKS rolls
 *   the group in place, surging new nodes first, at most `maxUnavailable` (1) old node at a time, and
 *   stops on a node it cannot drain because of a PodDisruptionBudget (EKS_NODE_GROUP_FACTS);
 * - what EKS cannot change in place (instance type, AMI type, subnets: the provider forces replacement)
 *   replaces the group create-before-destroy: the new group (a unique name from `node_group_name_prefix`,
 *   so old and new coexist) is ACTIVE before the old one is deleted, and the old one's pods move to it.
 */
export class ManagedNodeGroup extends Construct {
  /** The node group. */
  readonly resource: EksNodeGroup;
  /** Its launch template. */
  readonly launchTemplate: LaunchTemplate;

  constructor(scope: Construct, id: string, props: ManagedNodeGroupProps) {
    super(scope, id);
    const groupName = `${props.name}-${props.poolName}`;
    const diskSizeGiB = props.diskSizeGiB ?? 100;
    this.launchTemplate = new LaunchTemplate(this, "LaunchTemplate", {
      name: groupName,
      description: `EKS nodes of pool ${props.poolName}`,
      updateDefaultVersion: true,
      vpcSecurityGroupIds: [...props.securityGroupIds],
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        httpProtocolIpv6: "disabled",
        instanceMetadataTags: "disabled",
      },
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          ebs: {
            volumeSize: diskSizeGiB,
            volumeType: "gp3",
            encrypted: "true",
            kmsKeyId: props.volumeKmsKeyArn,
            deleteOnTermination: "true",
          },
        },
      ],
      monitoring: { enabled: true },
      tagSpecifications: [
        { resourceType: "instance", tags: { Name: groupName } },
        { resourceType: "volume", tags: { Name: groupName } },
      ],
    });

    this.resource = new EksNodeGroup(this, "Resource", {
      clusterName: props.clusterName,
      // A prefix, not a fixed name: a replacement creates the new group before deleting the old one, and
      // two groups of one cluster cannot share a name. The provider appends 26 characters (<= 63 in all).
      nodeGroupNamePrefix: `${groupName}-`,
      nodeRoleArn: props.nodeRoleArn,
      subnetIds: [...props.subnetIds],
      amiType: amiTypeFor(props.instanceType),
      capacityType: "ON_DEMAND",
      instanceTypes: [props.instanceType],
      launchTemplate: { id: this.launchTemplate.id, version: Token.asString(this.launchTemplate.latestVersion) },
      scalingConfig: { desiredSize: props.nodeCount, minSize: props.nodeCount, maxSize: props.nodeCount },
      updateConfig: { maxUnavailable: 1 },
      version: props.kubernetesVersion,
      labels: { pool: props.poolName },
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
      lifecycle: { createBeforeDestroy: true },
    });
  }
}

/** Amazon Linux 2023 for the instance's architecture (Graviton families carry a "g" after the generation). */
export function amiTypeFor(instanceType: string): string {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceType) ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}
