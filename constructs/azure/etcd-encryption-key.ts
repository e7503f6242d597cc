import { Construct } from "constructs";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { SingleKeyVault, type SingleKeyVaultProps } from "./single-key-vault";

/** The built-in role with encrypt and decrypt (and get) on keys: what AKS's KMS plugin calls. */
export const KMS_KEY_ROLE = "Key Vault Crypto User";

/**
 * The built-in role AKS documents as required on a private key vault, so that the cluster identity can create
 * the private link (private endpoint connection) between the vault and the API server. Management plane only:
 * with RBAC authorization it grants no data-plane access to keys.
 */
export const KMS_PRIVATE_LINK_ROLE = "Key Vault Contributor";

/** Props of {@link EtcdEncryptionKey}. */
export interface EtcdEncryptionKeyProps extends SingleKeyVaultProps {
  /** Name of the key. @default "etcd-kms" */
  readonly keyName?: string;
  /** RSA modulus size. @default 3072 */
  readonly keySizeBits?: 2048 | 3072 | 4096;
  /**
   * ISO 8601 duration after which Key Vault creates a new key version. The cluster uses the version it was
   * given: the next `terraform apply` moves it to the newest one (old versions stay enabled and still decrypt).
   * @default "P365D"
   */
  readonly rotateAfter?: string;
}

/**
 * The key encryption key of AKS's KMS etcd encryption (Kubernetes Secrets are encrypted before they reach
 * etcd), in a Key Vault of its own: the unseal vault holds only Vault's unseal key. A {@link SingleKeyVault}
 * (RBAC only, purge protection, 90-day soft delete, public access off, rotation policy) whose RSA key only
 * encrypts and decrypts. AKS reaches it privately (`key_vault_network_access = "Private"`, which requires
 * API Server VNet Integration).
 */
export class EtcdEncryptionKey extends SingleKeyVault {
  constructor(scope: Construct, id: string, props: EtcdEncryptionKeyProps) {
    super(scope, id, props, {
      id: "Key",
      name: props.keyName ?? "etcd-kms",
      sizeBits: props.keySizeBits ?? 3072,
      // The KMS plugin encrypts and decrypts data encryption keys with it; nothing else.
      operations: ["encrypt", "decrypt"],
      rotateAfter: props.rotateAfter ?? "P365D",
    });
  }

  /** The versioned key id AKS's `key_management_service.key_vault_key_id` takes. */
  get keyId(): string {
    return this.key.id;
  }

  /**
   * What the cluster's control-plane identity needs, before the cluster is created: encrypt/decrypt on this
   * key only (not the vault), and the private-link role on this vault only.
   */
  grantCluster(scope: Construct, id: string, principalId: string): RoleAssignment[] {
    return [
      new RoleAssignment(scope, `${id}CryptoUser`, {
        scope: this.key.resourceVersionlessId,
        roleDefinitionName: KMS_KEY_ROLE,
        principalId,
        principalType: "ServicePrincipal",
        description: "AKS KMS etcd encryption: encrypt and decrypt with the etcd key only.",
      }),
      new RoleAssignment(scope, `${id}PrivateLink`, {
        scope: this.resource.id,
        roleDefinitionName: KMS_PRIVATE_LINK_ROLE,
        principalId,
        principalType: "ServicePrincipal",
        description: "AKS creates the private link from the API server to this (private) key vault.",
      }),
    ];
  }
}
