import { Construct } from "constructs";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";

/** Props of {@link EncryptionKey}. */
export interface EncryptionKeyProps {
  /** What the key protects, e.g. "EKS secrets envelope encryption for demo". */
  readonly description: string;
  /** Alias name without the `alias/` prefix, e.g. `demo-eks-secrets`. */
  readonly aliasName: string;
  /**
   * Days KMS waits before deleting a key scheduled for deletion (7-30).
   * @default 30 - the longest window: the most time to notice and cancel
   */
  readonly deletionWindowInDays?: number;
  /**
   * Let `terraform destroy` schedule the key for deletion.
   * @default false - lifecycle prevent_destroy (data encrypted under a deleted key is lost)
   */
  readonly allowDestroy?: boolean;
  /**
   * The key policy (JSON), for a key whose use the key itself restricts to named principals.
   * @default - KMS's default key policy: the account's IAM policies govern use
   */
  readonly policy?: string;
}

/**
 * A customer-managed symmetric KMS key with automatic yearly rotation, the longest deletion window,
 * an alias, and prevent_destroy unless `allowDestroy`. Its key policy is KMS's default (the account's
 * IAM policies govern use), so every grant of use is an IAM policy of this program, unless `policy`
 * names the principals itself.
 */
export class EncryptionKey extends Construct {
  /** The key. */
  readonly resource: KmsKey;
  /** Key ARN (a token). */
  readonly keyArn: string;
  /** Key id (a token). */
  readonly keyId: string;
  /**
   * The key's alias. The deploy identities and the roles' boundaries reach the key by it (kms:ResourceAliases,
   * stacks/bootstrap/aws-role-boundary.ts): whatever uses the key through such a role waits for it.
   */
  readonly alias: KmsAlias;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const window = props.deletionWindowInDays ?? 30;
    if (!Number.isInteger(window) || window < 7 || window > 30) {
      throw new Error(`EncryptionKey ${this.node.path}: deletionWindowInDays must be 7-30, got ${window}`);
    }
    this.resource = new KmsKey(this, "Resource", {
      description: props.description,
      keyUsage: "ENCRYPT_DECRYPT",
      customerMasterKeySpec: "SYMMETRIC_DEFAULT",
      enableKeyRotation: true,
      deletionWindowInDays: window,
      multiRegion: false,
      isEnabled: true,
      ...(props.policy ? { policy: props.policy } : {}),
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
    this.keyArn = this.resource.arn;
    this.keyId = this.resource.keyId;
    this.alias = new KmsAlias(this, "Alias", { name: `alias/${props.aliasName}`, targetKeyId: this.resource.keyId });
  }
}
