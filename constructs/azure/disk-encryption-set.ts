import { Construct } from "constructs";
import { DiskEncryptionSet as AzureDiskEncryptionSet } from "@cdktf/provider-azurerm/lib/disk-encryption-set";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { CustomerKeyVault } from "./customer-key-vault";
import { AZURE_CMK_FACTS } from "./azure-facts";
import { propagated } from "./role-propagation";

/** Props of {@link DiskEncryptionSet}. */
export interface DiskEncryptionSetProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /** The key managed disks are encrypted with; the set's identity is granted its use (and nothing else). */
  readonly key: CustomerKeyVault;
  /** Let `terraform destroy` remove the set (the disks it encrypts would lose their key). @default false - lifecycle prevent_destroy */
  readonly allowDestroy?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A disk encryption set: managed disks that name it (AKS OS disks, the encrypted StorageClass's volumes) are encrypted
 * at rest with the customer's key (EncryptionAtRestWithCustomerKey). Its user-assigned identity (`Identity`) is granted
 * get/wrapKey/unwrapKey on that key only (`KeyUse`) before the set is created; the set follows new key versions
 * itself (versionless key id, auto rotation). Protected from destroy.
 */
export class DiskEncryptionSet extends Construct {
  readonly resource: AzureDiskEncryptionSet;
  readonly identity: UserAssignedIdentity;
  /** The key grant the set (and whatever uses it) waits for. */
  readonly keyUse: RoleAssignment;

  constructor(scope: Construct, id: string, props: DiskEncryptionSetProps) {
    super(scope, id);
    const tags = { ...props.tags };
    this.identity = new UserAssignedIdentity(this, "Identity", {
      name: `${props.name}-identity`,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      tags,
    });
    this.keyUse = props.key.grantKeyUse(this, "KeyUse", this.identity.principalId, `Disk encryption set ${props.name}`);
    this.resource = new AzureDiskEncryptionSet(this, "Resource", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      encryptionType: "EncryptionAtRestWithCustomerKey",
      // Versionless: the set moves to each new key version itself (AZURE_CMK_FACTS.autoRotationNeedsVersionlessKey).
      keyVaultKeyId: props.key.versionlessKeyId,
      autoKeyRotationEnabled: AZURE_CMK_FACTS.autoRotationNeedsVersionlessKey.value,
      identity: { type: "UserAssigned", identityIds: [this.identity.id] },
      tags,
      // Once the grant is honoured (AZURE_RBAC_PROPAGATION): the set reads the key when it is created.
      dependsOn: [propagated(this, "KeyUsePropagated", this.keyUse)],
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
  }

  /**
   * What a cluster needs to encrypt its disks with this set: read on the set only (AZURE_CMK_FACTS.clusterRoleOnDiskEncryptionSet),
   * for OS disks and for the StorageClass's volumes in the same set.
   */
  grantCluster(scope: Construct, id: string, principalId: string): RoleAssignment {
    return new RoleAssignment(scope, id, {
      scope: this.resource.id,
      roleDefinitionName: AZURE_CMK_FACTS.clusterRoleOnDiskEncryptionSet.value,
      principalId,
      principalType: "ServicePrincipal",
      description: "AKS encrypts its OS disks and the StorageClass's volumes with this disk encryption set (read on the set only).",
    });
  }
}
