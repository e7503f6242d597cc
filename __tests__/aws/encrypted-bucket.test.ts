import { Testing } from "cdktf";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { BucketAccessLogs, BucketEncryption, EncryptedBucket, type EncryptedBucketProps } from "../../constructs/aws/encrypted-bucket";

type Synth = Record<string, Record<string, Record<string, Record<string, unknown>>>>;

/** A data bucket logging to a log bucket, synthesized and parsed. */
function synth(dataProps: Partial<EncryptedBucketProps> = {}): { raw: string; json: Synth } {
  const raw = Testing.synthScope((s) => {
    const logs = new EncryptedBucket(s, "Logs", { bucketName: "t-logs", accessLogs: BucketAccessLogs.IS_LOG_TARGET });
    new EncryptedBucket(s, "Data", { bucketName: "t-data", accessLogs: BucketAccessLogs.to(logs), ...dataProps });
  });
  return { raw, json: JSON.parse(raw) as Synth };
}

function only(json: Synth, kind: "resource" | "data", type: string, prefix: string): Record<string, unknown> {
  const hits = Object.entries(json[kind][type]).filter(([k]) => k.startsWith(prefix));
  expect(hits).toHaveLength(1);
  return hits[0][1];
}

test("encrypts with SSE-S3 AES-256 by default", () => {
  expect(synth().raw).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
    rule: [expect.objectContaining({ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } })],
  });
});

test("SSE-KMS only through an explicit prop", () => {
  const { json } = synth({ encryption: BucketEncryption.kms("arn:aws:kms:eu-west-1:123456789012:key/abc") });
  const enc = only(json, "resource", S3BucketServerSideEncryptionConfigurationA.tfResourceType, "Data_");
  expect(enc.rule).toEqual([
    { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: "arn:aws:kms:eu-west-1:123456789012:key/abc" }, bucket_key_enabled: true },
  ]);
  expect(() => BucketEncryption.kms("")).toThrow(/KMS key ARN/);
});

test("blocks every kind of public access", () => {
  expect(synth().raw).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
    block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true,
  });
});

test("disables ACLs (BucketOwnerEnforced) and enables versioning", () => {
  const { raw } = synth();
  expect(raw).toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: "BucketOwnerEnforced" } });
  expect(raw).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
});

test("policy denies non-TLS requests and TLS below 1.2", () => {
  const doc = only(synth().json, "data", DataAwsIamPolicyDocument.tfResourceType, "Data_");
  const statements = doc.statement as Array<Record<string, unknown>>;
  expect(statements).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ effect: "Deny", actions: ["s3:*"], condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }] }),
      expect.objectContaining({ effect: "Deny", actions: ["s3:*"], condition: [{ test: "NumericLessThan", variable: "s3:TlsVersion", values: ["1.2"] }] }),
    ]),
  );
  // No Allow in a data bucket's policy: access comes from IAM identities only.
  expect(statements.filter((s) => s.effect !== "Deny")).toEqual([]);
});

test("lifecycle aborts incomplete uploads after 7 days and expires non-current versions", () => {
  const lc = only(synth({ noncurrentVersionExpirationDays: 30 }).json, "resource", S3BucketLifecycleConfiguration.tfResourceType, "Data_");
  expect(lc.rule).toEqual([
    expect.objectContaining({ status: "Enabled", abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] }),
    expect.objectContaining({ status: "Enabled", noncurrent_version_expiration: [{ noncurrent_days: 30 }] }),
  ]);
});

test("refuses non-positive lifecycle days", () => {
  expect(() => synth({ noncurrentVersionExpirationDays: 0 })).toThrow(/noncurrentVersionExpirationDays/);
});

test("logs access to the log bucket; the log bucket admits log delivery and does not log itself", () => {
  const { json } = synth();
  const logging = Object.values(json.resource[S3BucketLoggingA.tfResourceType]);
  expect(logging).toHaveLength(1);
  expect(logging[0]).toMatchObject({ bucket: "${aws_s3_bucket.Data_666C94C7.id}", target_bucket: "${aws_s3_bucket.Logs_6819BB44.bucket}", target_prefix: "t-data/" });
  const doc = only(json, "data", DataAwsIamPolicyDocument.tfResourceType, "Logs_");
  expect(doc.statement).toContainEqual(
    expect.objectContaining({
      effect: "Allow",
      actions: ["s3:PutObject"],
      principals: [{ type: "Service", identifiers: ["logging.s3.amazonaws.com"] }],
      condition: [expect.objectContaining({ variable: "aws:SourceAccount" })],
    }),
  );
});

test("logging to a bucket that is not a log target is refused", () => {
  expect(() =>
    Testing.synthScope((s) => {
      const notLogs = new EncryptedBucket(s, "Other", { bucketName: "o", accessLogs: BucketAccessLogs.to("central-logs") });
      BucketAccessLogs.to(notLogs);
    }),
  ).toThrow(/not a log target/);
});

test("force_destroy is false and prevent_destroy is on by default; allowDestroy flips it", () => {
  expect(synth().raw).toHaveResourceWithProperties(S3Bucket, { bucket: "t-data", force_destroy: false, lifecycle: { prevent_destroy: true } });
  expect(synth({ allowDestroy: true }).raw).toHaveResourceWithProperties(S3Bucket, {
    bucket: "t-data", force_destroy: false, lifecycle: { prevent_destroy: false },
  });
});
