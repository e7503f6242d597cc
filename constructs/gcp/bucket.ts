import { Construct } from "constructs";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";

/** Props of {@link PrivateBucket}. */
export interface PrivateBucketProps {
  /** Globally unique bucket name. */
  readonly name: string;
  /** Region the objects live in. */
  readonly location: string;
  /**
   * Bucket that receives this bucket's usage and storage logs.
   * @default - none: this bucket is itself the log bucket (a bucket never logs into itself)
   */
  readonly logBucket?: string;
  /**
   * Days a replaced or deleted object's old version is kept before the lifecycle deletes it.
   * @default 30
   */
  readonly noncurrentVersionRetentionDays?: number;
  /**
   * Days soft-deleted objects stay restorable (0 turns soft delete off).
   * @default 7
   */
  readonly softDeleteRetentionDays?: number;
  /**
   * Let `terraform destroy` remove the bucket.
   * @default false - lifecycle prevent_destroy
   */
  readonly allowDestroy?: boolean;
  /** @default - none (the provider's default labels still apply) */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * A customer-managed Cloud KMS key (its id) every new object is encrypted with. Cloud Storage's service agent
   * must hold roles/cloudkms.cryptoKeyEncrypterDecrypter on it first (GCS_CMEK_FACTS).
   * @default - Google-managed keys (no `encryption` block)
   */
  readonly kmsKeyName?: string;
}

/**
 * A private Cloud Storage bucket: objects encrypted at rest with Google-managed keys (AES-256, the
 * service's default: no `encryption` block, no CMEK), uniform bucket-level access (IAM only, no ACLs),
 * public access prevention enforced (no allUsers/allAuthenticatedUsers grant can take effect),
 * versioning with a lifecycle for old versions, soft delete, access logs, and never force-destroyed.
 * GCS serves its APIs over TLS only, so no TLS-only policy is needed.
 */
export class PrivateBucket extends Construct {
  readonly resource: StorageBucket;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    const noncurrentDays = props.noncurrentVersionRetentionDays ?? 30;
    if (!Number.isInteger(noncurrentDays) || noncurrentDays < 1) throw new Error(`noncurrentVersionRetentionDays must be a whole number >= 1, got ${noncurrentDays}`);
    const softDeleteDays = props.softDeleteRetentionDays ?? 7;
    if (!Number.isInteger(softDeleteDays) || (softDeleteDays !== 0 && (softDeleteDays < 7 || softDeleteDays > 90))) {
      throw new Error(`softDeleteRetentionDays must be 0 or 7-90, got ${softDeleteDays}`);
    }

    this.resource = new StorageBucket(this, "Resource", {
      name: props.name,
      location: props.location,
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      forceDestroy: false,
      softDeletePolicy: { retentionDurationSeconds: softDeleteDays * 86_400 },
      lifecycleRule: [
        { condition: { daysSinceNoncurrentTime: noncurrentDays, withState: "ARCHIVED" }, action: { type: "Delete" } },
        { condition: { age: 1 }, action: { type: "AbortIncompleteMultipartUpload" } },
      ],
      logging: props.logBucket ? { logBucket: props.logBucket, logObjectPrefix: props.name } : undefined,
      labels: props.labels ? { ...props.labels } : undefined,
      ...(props.kmsKeyName ? { encryption: { defaultKmsKeyName: props.kmsKeyName } } : {}),
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
  }

  /** Grants `role` on this bucket only (never project-wide). Public members are refused. */
  grant(id: string, role: string, member: string): StorageBucketIamMember {
    if (member === "allUsers" || member === "allAuthenticatedUsers") {
      throw new Error(`bucket ${id}: '${member}' would make the bucket public; grant a service account or group`);
    }
    return new StorageBucketIamMember(this, id, { bucket: this.resource.name, role, member });
  }

  /** Lets Cloud Storage write other buckets' usage and storage logs into this bucket. */
  acceptAccessLogs(): StorageBucketIamMember {
    return this.grant("AccessLogWriter", "roles/storage.objectCreator", "group:cloud-storage-analytics@google.com");
  }
}
