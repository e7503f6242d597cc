import { Construct } from "constructs";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";

/** Props of {@link CryptoKey}. */
export interface CryptoKeyProps {
  readonly name: string;
  /** Id of the key ring holding the key. */
  readonly keyRingId: string;
  /**
   * How often Cloud KMS creates a new primary version (older versions still decrypt).
   * @default 7776000 (90 days)
   */
  readonly rotationPeriodSeconds?: number;
  /**
   * Days a destroyed key version stays restorable before its material is gone (GCP allows 1 to 120).
   * @default 120 - the maximum: a key destroyed by mistake can be restored for four months
   */
  readonly destroyScheduledDays?: number;
  /**
   * Where the key material lives.
   * @default "SOFTWARE"
   */
  readonly protectionLevel?: "SOFTWARE" | "HSM";
  /**
   * Let `terraform destroy` remove the key (data wrapped by it would become unreadable).
   * @default false - lifecycle prevent_destroy
   */
  readonly allowDestroy?: boolean;
  /** @default - none (the provider's default labels still apply) */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A symmetric Cloud KMS key (ENCRYPT_DECRYPT, GOOGLE_SYMMETRIC_ENCRYPTION) with rotation, a
 * destroy grace period and prevent_destroy. Access is granted per member with {@link grantEncryptDecrypt}.
 */
export class CryptoKey extends Construct {
  readonly resource: KmsCryptoKey;

  constructor(scope: Construct, id: string, props: CryptoKeyProps) {
    super(scope, id);
    const rotation = props.rotationPeriodSeconds ?? 7_776_000;
    if (!Number.isInteger(rotation) || rotation < 86_400) throw new Error(`rotationPeriodSeconds must be a whole number of at least 86400 (one day), got ${rotation}`);
    const destroyDays = props.destroyScheduledDays ?? 120;
    if (!Number.isInteger(destroyDays) || destroyDays < 1 || destroyDays > 120) {
      throw new Error(`destroyScheduledDays must be a whole number from 1 to 120, got ${destroyDays}`);
    }
    this.resource = new KmsCryptoKey(this, "Resource", {
      name: props.name,
      keyRing: props.keyRingId,
      purpose: "ENCRYPT_DECRYPT",
      rotationPeriod: `${rotation}s`,
      destroyScheduledDuration: `${destroyDays * 86_400}s`,
      versionTemplate: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protectionLevel: props.protectionLevel ?? "SOFTWARE" },
      labels: props.labels ? { ...props.labels } : undefined,
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
  }

  /** Lets `member` (e.g. `serviceAccount:...`) encrypt and decrypt with this key, and nothing else. */
  grantEncryptDecrypt(id: string, member: string): KmsCryptoKeyIamMember {
    return new KmsCryptoKeyIamMember(this, id, {
      cryptoKeyId: this.resource.id,
      role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      member,
    });
  }

  /** Lets `member` read the key's metadata (cloudkms.cryptoKeys.get), which Vault's seal checks. */
  grantViewer(id: string, member: string): KmsCryptoKeyIamMember {
    return new KmsCryptoKeyIamMember(this, id, { cryptoKeyId: this.resource.id, role: "roles/cloudkms.viewer", member });
  }
}
