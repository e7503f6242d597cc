import { Construct } from "constructs";
import { EncryptionKey } from "./encryption-key";
import { IrsaRole, type ServiceAccountRef } from "./irsa-role";

/** Props of {@link VaultUnseal}. */
export interface VaultUnsealProps {
  /** Prefix of names (the deployment name). */
  readonly name: string;
  readonly oidcProviderArn: string;
  readonly oidcIssuerUrl: string;
  /** Vault's service account(s): the only subjects that may assume the role. */
  readonly subjects: readonly ServiceAccountRef[];
  /**
   * Let `terraform destroy` schedule the unseal key for deletion.
   * @default false - lifecycle prevent_destroy (without the key, Vault's data cannot be unsealed)
   */
  readonly allowDestroy?: boolean;
}

/**
 * Vault auto-unseal on AWS: a customer-managed KMS key (rotation on, 30-day deletion window) and an IRSA
 * role trusted only by Vault's service account, allowed only kms:Encrypt, kms:Decrypt and kms:DescribeKey
 * on that key. No unseal keys exist to handle.
 */
export class VaultUnseal extends Construct {
  /** The unseal key. */
  readonly key: EncryptionKey;
  /** Vault's role. */
  readonly role: IrsaRole;

  constructor(scope: Construct, id: string, props: VaultUnsealProps) {
    super(scope, id);
    this.key = new EncryptionKey(this, "Key", {
      description: `Vault auto-unseal for ${props.name}`,
      aliasName: `${props.name}-vault-unseal`,
      allowDestroy: props.allowDestroy ?? false,
    });
    this.role = new IrsaRole(this, "Role", {
      roleName: `${props.name}-vault-unseal`,
      oidcProviderArn: props.oidcProviderArn,
      oidcIssuerUrl: props.oidcIssuerUrl,
      subjects: props.subjects,
      statements: [{ sid: "UnsealWithThisKeyOnly", effect: "Allow", actions: ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], resources: [this.key.keyArn] }],
    });
  }
}
