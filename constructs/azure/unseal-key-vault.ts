import { Construct } from "constructs";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { SingleKeyVault, type SingleKeyVaultProps } from "./single-key-vault";

/**
 * The built-in role that allows exactly get, wrapKey and unwrapKey on keys
 * (Microsoft.KeyVault/vaults/keys/read, .../wrap/action, .../unwrap/action): what Vault's seal needs.
 */
export const UNSEAL_ROLE = "Key Vault Crypto Service Encryption User";

/** Props of {@link UnsealKeyVault}. */
export interface UnsealKeyVaultProps extends SingleKeyVaultProps {
  /** Name of the RSA key Vault wraps its root key with. @default "vault-unseal" */
  readonly keyName?: string;
  /** RSA modulus size. @default 3072 */
  readonly keySizeBits?: 2048 | 3072 | 4096;
  /** ISO 8601 duration after which Key Vault rotates the key to a new version (old versions still unwrap). @default "P365D" */
  readonly rotateAfter?: string;
}

/**
 * The Key Vault behind Vault's auto-unseal: a {@link SingleKeyVault} whose one RSA key only wraps and unwraps
 * (Vault's root key). RBAC only, purge protection, 90-day soft delete, closed network; Terraform gets only
 * the key data actions it needs to create the key (no use of it).
 */
export class UnsealKeyVault extends SingleKeyVault {
  constructor(scope: Construct, id: string, props: UnsealKeyVaultProps) {
    super(scope, id, props, {
      id: "UnsealKey",
      name: props.keyName ?? "vault-unseal",
      sizeBits: props.keySizeBits ?? 3072,
      // Only what a seal does: wrap and unwrap Vault's root key. No encrypt/decrypt/sign/verify.
      operations: ["wrapKey", "unwrapKey"],
      rotateAfter: props.rotateAfter ?? "P365D",
    });
  }

  /** Lets a principal get, wrap and unwrap with the unseal key: scoped to the key, not the vault. */
  grantUnseal(scope: Construct, id: string, principalId: string): RoleAssignment {
    return new RoleAssignment(scope, id, {
      scope: this.key.resourceVersionlessId,
      roleDefinitionName: UNSEAL_ROLE,
      principalId,
      principalType: "ServicePrincipal",
      description: "Vault's auto-unseal: get, wrapKey and unwrapKey on the unseal key only.",
    });
  }
}
