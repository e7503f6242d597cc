import { Testing } from "cdktf";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { ProjectService } from "@cdktf/provider-google/lib/project-service";
import { PrivateBucket } from "../../constructs/gcp/bucket";
import { CryptoKey } from "../../constructs/gcp/crypto-key";
import { KeyRing } from "../../constructs/gcp/key-ring";
import { ProjectServices, REQUIRED_SERVICES } from "../../constructs/gcp/project-services";
import { WorkloadIdentity } from "../../constructs/gcp/workload-identity";
import { resourcesOf, synthJson } from "../support/helpers";

describe("PrivateBucket", () => {
  const out = Testing.synthScope((s) => { new PrivateBucket(s, "Data", { name: "acme-data", location: "europe-west1", logBucket: "acme-logs" }); });

  test("uniform bucket-level access and public access prevention enforced", () => {
    expect(out).toHaveResourceWithProperties(StorageBucket, { uniform_bucket_level_access: true, public_access_prevention: "enforced" });
  });

  test("Google-managed encryption keys: no CMEK encryption block", () => {
    const bucket = resourcesOf(JSON.parse(out), "google_storage_bucket")[0];
    expect(bucket.encryption).toBeUndefined();
  });

  test("versioned, old versions deleted after 30 days, incomplete uploads aborted, soft delete 7 days", () => {
    expect(out).toHaveResourceWithProperties(StorageBucket, {
      versioning: { enabled: true },
      soft_delete_policy: { retention_duration_seconds: 604800 },
      lifecycle_rule: [
        { condition: { days_since_noncurrent_time: 30, with_state: "ARCHIVED" }, action: { type: "Delete" } },
        { condition: { age: 1 }, action: { type: "AbortIncompleteMultipartUpload" } },
      ],
    });
  });

  test("access logs go to the log bucket", () => {
    expect(out).toHaveResourceWithProperties(StorageBucket, { logging: { log_bucket: "acme-logs", log_object_prefix: "acme-data" } });
  });

  test("never force-destroyed; prevent_destroy unless lifted", () => {
    expect(out).toHaveResourceWithProperties(StorageBucket, { force_destroy: false, lifecycle: { prevent_destroy: true } });
    const lifted = Testing.synthScope((s) => { new PrivateBucket(s, "Data", { name: "b", location: "eu", allowDestroy: true }); });
    expect(lifted).toHaveResourceWithProperties(StorageBucket, { force_destroy: false, lifecycle: { prevent_destroy: false } });
  });

  test("grants are per bucket, and public members are refused", () => {
    const withGrant = Testing.synthScope((s) => {
      new PrivateBucket(s, "Data", { name: "b", location: "eu" }).grant("Backup", "roles/storage.objectAdmin", "serviceAccount:b@p.iam.gserviceaccount.com");
    });
    expect(withGrant).toHaveResourceWithProperties(StorageBucketIamMember, { role: "roles/storage.objectAdmin", member: "serviceAccount:b@p.iam.gserviceaccount.com" });
    for (const member of ["allUsers", "allAuthenticatedUsers"]) {
      expect(() => Testing.synthScope((s) => { new PrivateBucket(s, "Data", { name: "b", location: "eu" }).grant("P", "roles/storage.objectViewer", member); }))
        .toThrow(/would make the bucket public/);
    }
  });

  test("the log bucket lets Cloud Storage's log writer create objects", () => {
    const logs = Testing.synthScope((s) => { new PrivateBucket(s, "Logs", { name: "l", location: "eu" }).acceptAccessLogs(); });
    expect(logs).toHaveResourceWithProperties(StorageBucketIamMember, { role: "roles/storage.objectCreator", member: "group:cloud-storage-analytics@google.com" });
  });

  test("retention settings are validated", () => {
    expect(() => Testing.synthScope((s) => { new PrivateBucket(s, "B", { name: "b", location: "eu", noncurrentVersionRetentionDays: 0 }); })).toThrow(/noncurrentVersionRetentionDays/);
    expect(() => Testing.synthScope((s) => { new PrivateBucket(s, "B", { name: "b", location: "eu", softDeleteRetentionDays: 3 }); })).toThrow(/softDeleteRetentionDays/);
  });
});

describe("KeyRing and CryptoKey", () => {
  const out = Testing.synthScope((s) => {
    const ring = new KeyRing(s, "Ring", { name: "acme", location: "europe-west1" });
    const key = new CryptoKey(s, "Key", { name: "vault-unseal", keyRingId: ring.resource.id });
    key.grantEncryptDecrypt("Vault", "serviceAccount:v@p.iam.gserviceaccount.com");
  });

  test("the key rotates every 90 days, is symmetric encrypt/decrypt, and keeps destroyed versions 120 days (the maximum)", () => {
    expect(out).toHaveResourceWithProperties(KmsCryptoKey, {
      purpose: "ENCRYPT_DECRYPT",
      rotation_period: "7776000s",
      destroy_scheduled_duration: "10368000s",
      version_template: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protection_level: "SOFTWARE" },
    });
  });

  test("a destroy schedule outside GCP's 1-120 days is refused", () => {
    for (const days of [0, 121, 1.5]) {
      expect(() => Testing.synthScope((s) => new CryptoKey(s, "K", { name: "k", keyRingId: "r", destroyScheduledDays: days }))).toThrow(/1 to 120/);
    }
  });

  test("ring and key carry prevent_destroy by default, and lift it only on request", () => {
    expect(out).toHaveResourceWithProperties(KmsKeyRing, { lifecycle: { prevent_destroy: true } });
    expect(out).toHaveResourceWithProperties(KmsCryptoKey, { lifecycle: { prevent_destroy: true } });
    const lifted = Testing.synthScope((s) => {
      const ring = new KeyRing(s, "Ring", { name: "acme", location: "europe-west1", allowDestroy: true });
      new CryptoKey(s, "Key", { name: "k", keyRingId: ring.resource.id, allowDestroy: true });
    });
    expect(lifted).toHaveResourceWithProperties(KmsKeyRing, { lifecycle: { prevent_destroy: false } });
    expect(lifted).toHaveResourceWithProperties(KmsCryptoKey, { lifecycle: { prevent_destroy: false } });
  });

  test("access is granted per key, as encrypter/decrypter only", () => {
    expect(out).toHaveResourceWithProperties(KmsCryptoKeyIamMember, {
      role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      member: "serviceAccount:v@p.iam.gserviceaccount.com",
    });
  });

  test("a rotation period under a day is refused", () => {
    expect(() => Testing.synthScope((s) => { new CryptoKey(s, "Key", { name: "k", keyRingId: "r", rotationPeriodSeconds: 3600 }); })).toThrow(/rotationPeriodSeconds/);
  });
});

describe("WorkloadIdentity", () => {
  const build = () =>
    synthJson((s) => {
      new WorkloadIdentity(s, "Vault", {
        projectId: "acme-prod", accountId: "acme-vault", displayName: "Vault", workloadPool: "acme-prod.svc.id.goog",
        subjects: [{ namespace: "vault", serviceAccount: "vault" }],
      });
    });

  test("only the named Kubernetes service account may impersonate the Google service account", () => {
    const members = resourcesOf(build(), "google_service_account_iam_member");
    expect(members).toHaveLength(1);
    expect(members[0]).toMatchObject({ role: "roles/iam.workloadIdentityUser", member: "serviceAccount:acme-prod.svc.id.goog[vault/vault]" });
  });

  test("the identity holds no project-wide role of its own", () => {
    expect(resourcesOf(build(), "google_project_iam_member")).toHaveLength(0);
  });

  test("an identity without subjects is refused", () => {
    expect(() => Testing.synthScope((s) => {
      new WorkloadIdentity(s, "X", { projectId: "p", accountId: "acme-x", displayName: "x", workloadPool: "p.svc.id.goog", subjects: [] });
    })).toThrow(/at least one Kubernetes service account/);
  });

  test("is a real IAM member resource", () => {
    const out = Testing.synthScope((s) => {
      new WorkloadIdentity(s, "Vault", { projectId: "p", accountId: "acme-vault", displayName: "v", workloadPool: "p.svc.id.goog", subjects: [{ namespace: "vault", serviceAccount: "vault" }] });
    });
    expect(out).toHaveResourceWithProperties(ServiceAccountIamMember, { member: "serviceAccount:p.svc.id.goog[vault/vault]" });
  });
});

describe("ProjectServices", () => {
  test("enables the needed APIs and never disables them on destroy", () => {
    const json = synthJson((s) => { new ProjectServices(s, "Apis", { projectId: "acme-prod" }); });
    const services = resourcesOf(json, "google_project_service");
    expect(services.map((s) => s.service).sort()).toEqual([...REQUIRED_SERVICES].sort());
    expect(REQUIRED_SERVICES).toEqual(expect.arrayContaining(["container.googleapis.com", "compute.googleapis.com", "cloudkms.googleapis.com", "logging.googleapis.com"]));
    expect(REQUIRED_SERVICES).not.toContain("secretmanager.googleapis.com");
    for (const s of services) expect(s).toMatchObject({ project: "acme-prod", disable_on_destroy: false, disable_dependent_services: false });
    expect(Testing.synthScope((s) => { new ProjectServices(s, "Apis", { projectId: "p" }); })).toHaveResourceWithProperties(ProjectService, { service: "container.googleapis.com" });
  });
});
