import { Construct } from "constructs";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { SingleKeyVault, type SingleKeyVaultProps } from "./single-key-vault";
import { AZURE_CMK_FACTS } from "./azure-facts";

/** The built-in role with get, wrapKey and unwrapKey on keys: what the services that encrypt at rest use (AZURE_CMK_FACTS.keyUseRole). */
export const CUSTOMER_KEY_ROLE = AZURE_CMK_FACTS.keyUseRole.value;

/** Props of {@link CustomerKeyVault}. */
export interface CustomerKeyVaultProps extends Omit<SingleKeyVaultProps, "allowTrustedServices"> {
  /** Name of the key. */
  readonly keyName: string;
  /** RSA modulus size (Azure Storage and disk encryption sets accept 2048, 3072 and 4096). @default 3072 */
  readonly keySizeBits?: 2048 | 3072 | 4096;
  /**
   * ISO 8601 duration after which Key Vault creates a new key version. The services follow it themselves: they are
   * given the versionless key id (AZURE_CMK_FACTS.autoRotationNeedsVersionlessKey, storageFollowsVersionlessKey).
   * @default "P365D"
   */
  readonly rotateAfter?: string;
}

/**
 * A customer-managed key for encryption at rest (encryption.keys: customer-managed) in a Key Vault of its own: a
 * {@link SingleKeyVault} (RBAC only, purge protection, 90-day soft delete, rotation policy, protected from destroy)
 * whose RSA key only wraps and unwraps. Azure Disk Storage and Azure Storage read it from Azure's side, not from the
 * VNet, so the vault's firewall admits trusted Microsoft services and nothing else (AZURE_CMK_FACTS.trustedServices);
 * Terraform reaches it through its private endpoint. Each service's identity is granted the use of this key only.
 */
export class CustomerKeyVault extends SingleKeyVault {
  constructor(scope: Construct, id: string, props: CustomerKeyVaultProps) {
    super(scope, id, { ...props, allowTrustedServices: true }, {
      id: "Key",
      name: props.keyName,
      sizeBits: props.keySizeBits ?? 3072,
      // What Azure Storage and disk encryption sets do with it: wrap and unwrap their data encryption keys.
      operations: ["wrapKey", "unwrapKey"],
      rotateAfter: props.rotateAfter ?? "P365D",
    });
  }

  /** The key's id without a version: services given it move to each new version themselves. */
  get versionlessKeyId(): string {
    return this.key.versionlessId;
  }

  /** Lets one service identity get, wrap and unwrap with this key: scoped to the key, not the vault. */
  grantKeyUse(scope: Construct, id: string, principalId: string, what: string): RoleAssignment {
    return new RoleAssignment(scope, id, {
      scope: this.key.resourceVersionlessId,
      roleDefinitionName: CUSTOMER_KEY_ROLE,
      principalId,
      principalType: "ServicePrincipal",
      description: `${what}: get, wrapKey and unwrapKey on this key only.`,
    });
  }
}
