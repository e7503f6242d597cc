import type { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";

/**
 * Key policies of customer-managed KMS keys used by AWS services on the deployment's behalf, as the services
 * document them. Each statement builder names its source; tests hold the synthesized policies to these.
 */

/** Where a key lives. */
export interface KeyScope {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
}

/** The KMS operations a service performs to encrypt and decrypt data at rest with a key (no administration). */
export const DATA_KEY_USE = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"] as const;

/**
 * The account administers the key through IAM (so it can never become unmanageable) but the key policy,
 * not IAM, decides who USES it: no cryptographic operation is granted to the account root.
 * Source: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-administrators
 */
export function keyAdministration(k: KeyScope): DataAwsIamPolicyDocumentStatement {
  return {
    sid: "KeyAdministrationNotUse",
    effect: "Allow",
    principals: [{ type: "AWS", identifiers: [`arn:${k.partition}:iam::${k.account}:root`] }],
    actions: [
      "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*",
      "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
    ],
    resources: ["*"],
  };
}

/**
 * EBS: any principal of the account may use the key, only through EC2 in the region (the statements of the
 * AWS managed aws/ebs key). EC2 creates a grant per volume for attaching it, so CreateGrant is allowed for
 * AWS resources only. This covers the EBS CSI driver's role (StorageClass kmsKeyId) and EC2 Auto Scaling's
 * service-linked role launching the node groups' instances with the launch template's encrypted root volume.
 * Sources: https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html (EBS uses kms:ViaService ec2),
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html,
 * https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/install.md (KMS for encrypted volumes).
 */
export function ebsKeyUse(k: KeyScope): DataAwsIamPolicyDocumentStatement[] {
  const viaEc2 = [
    { test: "StringEquals", variable: "kms:CallerAccount", values: [k.account] },
    { test: "StringEquals", variable: "kms:ViaService", values: [`ec2.${k.region}.amazonaws.com`] },
  ];
  return [
    { sid: "VolumesThroughEc2", effect: "Allow", principals: [{ type: "AWS", identifiers: ["*"] }], actions: [...DATA_KEY_USE], resources: ["*"], condition: viaEc2 },
    {
      sid: "VolumeAttachmentGrants",
      effect: "Allow",
      principals: [{ type: "AWS", identifiers: ["*"] }],
      actions: ["kms:CreateGrant"],
      resources: ["*"],
      condition: [...viaEc2, { test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }],
    },
  ];
}

/**
 * CloudWatch Logs: the regional logs service principal, only for the named log groups (the encryption context
 * CloudWatch Logs sends is the log group's ARN).
 * Source: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html (Step 2: key policy)
 */
export function logsKeyUse(k: KeyScope, logGroupNames: readonly string[]): DataAwsIamPolicyDocumentStatement {
  return {
    sid: "LogGroupsThroughCloudWatchLogs",
    effect: "Allow",
    principals: [{ type: "Service", identifiers: [`logs.${k.region}.amazonaws.com`] }],
    actions: [...DATA_KEY_USE],
    resources: ["*"],
    condition: [
      { test: "ArnEquals", variable: "kms:EncryptionContext:aws:logs:arn", values: logGroupNames.map((n) => `arn:${k.partition}:logs:${k.region}:${k.account}:log-group:${n}`) },
    ],
  };
}

/**
 * S3 SSE-KMS: principals of the account, only through S3 in the region and only for the named buckets (S3
 * sends the bucket's ARN as encryption context with S3 Bucket Keys, the object's without).
 * Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context,
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 */
export function s3KeyUse(k: KeyScope, bucketArns: readonly string[]): DataAwsIamPolicyDocumentStatement {
  return {
    sid: "BucketsThroughS3",
    effect: "Allow",
    principals: [{ type: "AWS", identifiers: ["*"] }],
    actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:DescribeKey"],
    resources: ["*"],
    condition: [
      { test: "StringEquals", variable: "kms:CallerAccount", values: [k.account] },
      { test: "StringEquals", variable: "kms:ViaService", values: [`s3.${k.region}.amazonaws.com`] },
      { test: "StringLike", variable: "kms:EncryptionContext:aws:s3:arn", values: bucketArns.flatMap((b) => [b, `${b}/*`]) },
    ],
  };
}

/**
 * S3 delivers server access logs only to a bucket whose default encryption is SSE-S3, so the log bucket keeps
 * SSE-S3 whatever the key choice. Source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 * ("default bucket encryption on the destination bucket only if you use SSE-S3 (AES256)").
 */
export const ACCESS_LOG_TARGET_NEEDS_SSE_S3 = {
  value: true,
  source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html",
} as const;

/**
 * What a role asks of a key that a service uses on its behalf (EBS through EC2, S3 SSE-KMS through S3), as a
 * statement of the role's own policy: the same actions the key policies above allow the account's principals,
 * on that key only and only through that service. The key policy alone would do (it names every principal of the
 * account), but a role under a permissions boundary (constructs/aws/role-boundary.ts) gets from such a key policy
 * only what its boundary also allows, and the boundary is derived from the role's own policies: this statement
 * is what puts the key use into it. Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
 * (resource-based policies: a boundary limits what they grant a role unless they name the role session).
 */
export function keyUseThrough(service: "ec2" | "s3", region: string, keyArn: string): DataAwsIamPolicyDocumentStatement[] {
  const via = { test: "StringEquals", variable: "kms:ViaService", values: [`${service}.${region}.amazonaws.com`] };
  const use: DataAwsIamPolicyDocumentStatement = { sid: `KeyUseThrough${service === "ec2" ? "Ec2" : "S3"}`, effect: "Allow", actions: [...DATA_KEY_USE], resources: [keyArn], condition: [via] };
  if (service === "s3") return [use];
  // EC2 creates a grant per volume to attach it (ebsKeyUse's VolumeAttachmentGrants).
  return [use, { sid: "VolumeAttachmentGrantsThroughEc2", effect: "Allow", actions: ["kms:CreateGrant"], resources: [keyArn], condition: [via, { test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }] }];
}
