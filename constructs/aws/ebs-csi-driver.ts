import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { IrsaRole } from "./irsa-role";
import { keyUseThrough } from "./service-key-policies";

/** The EBS CSI controller's service account. */
export const EBS_CSI_SERVICE_ACCOUNT = { namespace: "kube-system", serviceAccount: "ebs-csi-controller-sa" } as const;

/** Props of {@link EbsCsiDriver}. */
export interface EbsCsiDriverProps {
  /** The cluster (a token of the cluster resource). */
  readonly clusterName: string;
  readonly oidcProviderArn: string;
  readonly oidcIssuerUrl: string;
  /** Name of the driver's IAM role. */
  readonly roleName: string;
  /** The key of the encrypted StorageClass (its `kmsKeyId`), which EBS uses through EC2 for the driver's volumes. */
  readonly volumeKeyArn: string;
  /** The region (the key is used through EC2 in it). */
  readonly region: string;
  /**
   * What must exist first: the add-on's controller needs nodes to run on.
   * @default []
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The aws-ebs-csi-driver EKS add-on, with its own IRSA role (AmazonEBSCSIDriverPolicy) trusted only by
 * the controller's service account. It provisions the encrypted gp3 volumes of the encrypted StorageClass.
 */
export class EbsCsiDriver extends Construct {
  /** The add-on. */
  readonly resource: EksAddon;
  /** The controller's role. */
  readonly role: IrsaRole;

  constructor(scope: Construct, id: string, props: EbsCsiDriverProps) {
    super(scope, id);
    this.role = new IrsaRole(this, "Role", {
      roleName: props.roleName,
      oidcProviderArn: props.oidcProviderArn,
      oidcIssuerUrl: props.oidcIssuerUrl,
      subjects: [EBS_CSI_SERVICE_ACCOUNT],
      awsManagedPolicies: ["AmazonEBSCSIDriverPolicy"],
      // The managed policy has no KMS action: the volume key's use, stated so the role's boundary carries it.
      statements: keyUseThrough("ec2", props.region, props.volumeKeyArn),
    });
    this.resource = new EksAddon(this, "Resource", {
      clusterName: props.clusterName,
      addonName: "aws-ebs-csi-driver",
      serviceAccountRoleArn: this.role.roleArn,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "PRESERVE",
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });
  }
}
