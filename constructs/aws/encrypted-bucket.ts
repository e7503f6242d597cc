import { Construct } from "constructs";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";

/**
 * How objects are encrypted at rest. The promise (reference/atlan-encryption-and-keys.txt) is SSE-S3
 * with AES-256; a customer-managed KMS key is an explicit, deliberate choice.
 */
export class BucketEncryption {
  /** SSE-S3: Amazon S3 managed keys, AES-256. The default. */
  static readonly S3_MANAGED = new BucketEncryption("AES256");

  /** SSE-KMS with the given key ARN (S3 Bucket Keys on to limit KMS calls). */
  static kms(keyArn: string): BucketEncryption {
    if (!keyArn) throw new Error("BucketEncryption.kms: give the KMS key ARN, e.g. aws_kms_key.x.arn");
    return new BucketEncryption("aws:kms", keyArn);
  }

  private constructor(
    /** The `sse_algorithm` rendered. */
    readonly sseAlgorithm: "AES256" | "aws:kms",
    /** KMS key ARN for SSE-KMS. */
    readonly kmsKeyArn?: string,
  ) {}
}

/**
 * Where a bucket's server access logs go. Every bucket either logs to a log bucket or is itself the
 * log bucket (which receives others' logs and does not log itself, to avoid a loop).
 */
export class BucketAccessLogs {
  /** This bucket is the access-log target: its policy admits the S3 logging service from this account. */
  static readonly IS_LOG_TARGET = new BucketAccessLogs(undefined, undefined);

  /**
   * Deliver this bucket's access logs to `target` (an EncryptedBucket built with IS_LOG_TARGET, or a bucket
   * name) under `prefix`.
   */
  static to(target: EncryptedBucket | string, prefix?: string): BucketAccessLogs {
    if (typeof target !== "string" && !target.isLogTarget) {
      throw new Error(`bucket ${target.node.path} is not a log target: build it with accessLogs: BucketAccessLogs.IS_LOG_TARGET`);
    }
    if (typeof target === "string" && target.length === 0) throw new Error("BucketAccessLogs.to: give the log bucket's name");
    return new BucketAccessLogs(target, prefix);
  }

  private constructor(
    /** The log bucket, undefined when this bucket is the log target. */
    readonly target: EncryptedBucket | string | undefined,
    /** Key prefix of the delivered logs. */
    readonly prefix: string | undefined,
  ) {}
}

/** Props of {@link EncryptedBucket}. */
export interface EncryptedBucketProps {
  /** Globally unique, deterministic bucket name, e.g. `${name}-data-${accountId}`. */
  readonly bucketName: string;
  /** Server access logging: to a log bucket, or this bucket is the log target. */
  readonly accessLogs: BucketAccessLogs;
  /**
   * Encryption at rest.
   * @default BucketEncryption.S3_MANAGED - SSE-S3, AES-256
   */
  readonly encryption?: BucketEncryption;
  /**
   * Days after which a non-current object version is deleted.
   * @default 90
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days after which an incomplete multipart upload is aborted.
   * @default 7
   */
  readonly abortIncompleteUploadDays?: number;
  /**
   * Let `terraform destroy` remove the bucket (never its objects: force_destroy stays false).
   * @default false - lifecycle prevent_destroy
   */
  readonly allowDestroy?: boolean;
  /**
   * More statements of the bucket policy (S3 takes one policy per bucket), e.g. a Deny that restricts
   * which principals may read or write objects. They can only narrow: a statement that allows is refused.
   * @default - none: the TLS-only statements (and log delivery on a log target)
   */
  readonly policyStatements?: readonly DataAwsIamPolicyDocumentStatement[];
}

/**
 * An S3 bucket with every protection rendered explicitly: SSE-S3 AES-256 (SSE-KMS only when asked),
 * all four public-access blocks, ACLs disabled (BucketOwnerEnforced), versioning, a policy denying
 * non-TLS and TLS < 1.2 requests, lifecycle hygiene, server access logging, force_destroy false and
 * prevent_destroy unless `allowDestroy`.
 *
 * @example
 * const logs = new EncryptedBucket(this, "Logs", { bucketName: "acme-logs-123456789012", accessLogs: BucketAccessLogs.IS_LOG_TARGET });
 * const data = new EncryptedBucket(this, "Data", { bucketName: "acme-data-123456789012", accessLogs: BucketAccessLogs.to(logs, "data/") });
 */
export class EncryptedBucket extends Construct {
  /** The bucket resource. */
  readonly resource: S3Bucket;
  /** The bucket's name (a token). */
  readonly bucketName: string;
  /** The bucket's ARN (a token). */
  readonly bucketArn: string;
  /** How its objects are encrypted (its KMS key's ARN for SSE-KMS). */
  readonly encryption: BucketEncryption;
  /** True when this bucket receives other buckets' access logs. */
  readonly isLogTarget: boolean;
  /** The bucket policy (TLS-only; plus log delivery on a log target). */
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: EncryptedBucketProps) {
    super(scope, id);
    const encryption = props.encryption ?? BucketEncryption.S3_MANAGED;
    this.encryption = encryption;
    const noncurrentDays = props.noncurrentVersionExpirationDays ?? 90;
    const abortDays = props.abortIncompleteUploadDays ?? 7;
    for (const [name, v] of [["noncurrentVersionExpirationDays", noncurrentDays], ["abortIncompleteUploadDays", abortDays]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`EncryptedBucket ${this.node.path}: ${name} must be a whole number of days >= 1, got ${v}`);
    }
    this.isLogTarget = props.accessLogs.target === undefined;

    this.resource = new S3Bucket(this, "Resource", {
      bucket: props.bucketName,
      forceDestroy: false,
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
    this.bucketName = this.resource.bucket;
    this.bucketArn = this.resource.arn;
    const bucket = this.resource.id;

    new S3BucketServerSideEncryptionConfigurationA(this, "Encryption", {
      bucket,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: encryption.sseAlgorithm, kmsMasterKeyId: encryption.kmsKeyArn },
          bucketKeyEnabled: encryption.sseAlgorithm === "aws:kms",
        },
      ],
    });

    const publicAccessBlock = new S3BucketPublicAccessBlock(this, "PublicAccessBlock", {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });

    new S3BucketOwnershipControls(this, "Ownership", { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } });

    const versioning = new S3BucketVersioningA(this, "Versioning", { bucket, versioningConfiguration: { status: "Enabled" } });

    const statements: DataAwsIamPolicyDocumentStatement[] = [
      {
        sid: "DenyInsecureTransport",
        effect: "Deny",
        principals: [{ type: "*", identifiers: ["*"] }],
        actions: ["s3:*"],
        resources: [this.bucketArn, `${this.bucketArn}/*`],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
      {
        sid: "DenyTlsBelow12",
        effect: "Deny",
        principals: [{ type: "*", identifiers: ["*"] }],
        actions: ["s3:*"],
        resources: [this.bucketArn, `${this.bucketArn}/*`],
        condition: [{ test: "NumericLessThan", variable: "s3:TlsVersion", values: ["1.2"] }],
      },
    ];
    if (this.isLogTarget) {
      // With ACLs disabled, log delivery is granted by policy, only for buckets of this account.
      const account = new DataAwsCallerIdentity(this, "Account");
      statements.push({
        sid: "AllowServerAccessLogDelivery",
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["logging.s3.amazonaws.com"] }],
        actions: ["s3:PutObject"],
        resources: [`${this.bucketArn}/*`],
        condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [account.accountId] }],
      });
    }
    for (const extra of props.policyStatements ?? []) {
      if (extra.effect !== "Deny") throw new Error(`EncryptedBucket ${this.node.path}: policyStatements may only deny (statement ${extra.sid ?? "without sid"} has effect ${extra.effect ?? "Allow"})`);
      statements.push(extra);
    }
    const document = new DataAwsIamPolicyDocument(this, "PolicyDocument", { statement: statements });
    this.policy = new S3BucketPolicy(this, "Policy", {
      bucket,
      policy: document.json,
      // The public-access block must exist first, so the policy is never briefly evaluated without it.
      dependsOn: [publicAccessBlock],
    });

    new S3BucketLifecycleConfiguration(this, "Lifecycle", {
      bucket,
      rule: [
        {
          id: "abort-incomplete-multipart-uploads",
          status: "Enabled",
          filter: [{ prefix: "" }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: abortDays }],
        },
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays }],
        },
      ],
      // Lifecycle rules on a versioned bucket apply once versioning is on.
      dependsOn: [versioning],
    });

    const target = props.accessLogs.target;
    if (target !== undefined) {
      const targetName = typeof target === "string" ? target : target.bucketName;
      new S3BucketLoggingA(this, "AccessLogging", {
        bucket,
        targetBucket: targetName,
        targetPrefix: props.accessLogs.prefix ?? `${props.bucketName}/`,
        dependsOn: typeof target === "string" ? undefined : [target.policy],
      });
    }
  }
}
