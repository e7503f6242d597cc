import { Construct } from "constructs";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { idOf } from "../../lib/construct-id";
import { dependable, type ITerraformDependable } from "cdktf";

/** A customer-managed key for a {@link SecureStorageAccount} (encryption.keys: customer-managed). */
export interface StorageAccountKey {
  /** The key's versionless id: Azure Storage moves to each new version itself (AZURE_CMK_FACTS.storageFollowsVersionlessKey). */
  readonly keyVaultKeyId: string;
  /** Resource id of the user-assigned identity Azure Storage reads the key as. */
  readonly identityId: string;
  /** The grant of the key's use to that identity: the account waits for it (Azure Storage checks its access when the key is set). */
  readonly keyUse: ITerraformDependable;
}

/** Props of {@link SecureStorageAccount}. */
export interface SecureStorageAccountProps {
  /** Globally unique, 3-24 lowercase letters and digits. */
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /** Private blob containers to create. @default - none */
  readonly containers?: readonly string[];
  /** Redundancy: ZRS keeps three copies across the region's zones. @default "ZRS" */
  readonly replication?: "LRS" | "ZRS" | "GRS" | "GZRS";
  /** Days deleted blobs and containers stay recoverable. @default 30 */
  readonly softDeleteRetentionDays?: number;
  /**
   * Keep the public endpoint on but closed (firewall default Deny) except to trusted Azure services
   * (Network Watcher, Azure Monitor), for an account that receives flow logs or diagnostics.
   * @default false - public network access disabled outright; reach the account through a private endpoint
   */
  readonly allowTrustedAzureServices?: boolean;
  /** Send blob access logs (reads, writes, deletes: who and from where) to this Log Analytics workspace. @default - none */
  readonly logWorkspaceId?: string;
  /**
   * Allow shared-key (account key) authorization. Only for an account written by an Azure service that
   * cannot use Entra ID: Network Watcher writes flow logs with the account key.
   * @default false - Entra ID only; no account key or SAS works
   */
  readonly sharedAccessKeyEnabled?: boolean;
  /** Let `terraform destroy` remove the account. @default false - lifecycle prevent_destroy */
  readonly allowDestroy?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A StorageV2 account that keeps the object-storage promise on Azure: encrypted at rest with
 * Microsoft-managed keys (256-bit AES, FIPS 140-2) plus a second, infrastructure layer of encryption;
 * HTTPS only with TLS 1.2 or later; no anonymous (public) blob access; no shared keys (Entra ID only);
 * no public network access; versioning and soft delete for blobs and containers.
 */
export class SecureStorageAccount extends Construct {
  readonly resource: StorageAccount;
  /** Containers by name. */
  readonly containers: Readonly<Record<string, StorageContainer>>;

  constructor(scope: Construct, id: string, props: SecureStorageAccountProps) {
    super(scope, id);
    const retention = props.softDeleteRetentionDays ?? 30;
    const trusted = props.allowTrustedAzureServices ?? false;
    this.resource = new StorageAccount(this, "Resource", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      accountKind: "StorageV2",
      accountTier: "Standard",
      accountReplicationType: props.replication ?? "ZRS",
      accessTier: "Hot",
      // Microsoft-managed keys, as the platform promises, unless useCustomerManagedKey (encryption.keys: customer-managed).
      infrastructureEncryptionEnabled: true,
      httpsTrafficOnlyEnabled: true,
      minTlsVersion: "TLS1_2",
      allowNestedItemsToBePublic: false,
      sharedAccessKeyEnabled: props.sharedAccessKeyEnabled ?? false,
      defaultToOauthAuthentication: true,
      crossTenantReplicationEnabled: false,
      localUserEnabled: false,
      sftpEnabled: false,
      publicNetworkAccessEnabled: trusted,
      networkRules: { defaultAction: "Deny", bypass: [trusted ? "AzureServices" : "None"], ipRules: [], virtualNetworkSubnetIds: [] },
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days: retention },
        containerDeleteRetentionPolicy: { days: retention },
      },
      tags: { ...props.tags },
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
    const containers: Record<string, StorageContainer> = {};
    for (const name of props.containers ?? []) {
      // storage_account_id: created through Azure Resource Manager, so Terraform needs no data-plane access.
      containers[name] = new StorageContainer(this, `${idOf(name)}Container`, {
        name,
        storageAccountId: this.resource.id,
        containerAccessType: "private",
        lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
      });
    }
    this.containers = containers;
    if (props.logWorkspaceId) {
      new MonitorDiagnosticSetting(this, "BlobAccessLogs", {
        name: "blob-access-to-log-analytics",
        targetResourceId: `${this.resource.id}/blobServices/default`,
        logAnalyticsWorkspaceId: props.logWorkspaceId,
        enabledLog: ["StorageRead", "StorageWrite", "StorageDelete"].map((category) => ({ category })),
      });
    }
  }

  /**
   * Encrypts the account with the customer's key instead of Microsoft-managed keys; the infrastructure layer of
   * encryption stays. Azure Storage reads the key as the given user-assigned identity, which holds the key's use and
   * nothing else (docs/deployment-guide.md, encryption.keys).
   */
  useCustomerManagedKey(key: StorageAccountKey): void {
    this.resource.putIdentity({ type: "UserAssigned", identityIds: [key.identityId] });
    this.resource.putCustomerManagedKey({ keyVaultKeyId: key.keyVaultKeyId, userAssignedIdentityId: key.identityId });
    this.resource.dependsOn = [...new Set([...(this.resource.dependsOn ?? []), dependable(key.keyUse)])];
  }

  /** Grants a role on one container (not the account) to a principal. */
  grantContainer(scope: Construct, id: string, container: string, roleDefinitionName: string, principalId: string): RoleAssignment {
    const c = this.containers[container];
    if (!c) throw new Error(`storage account has no container '${container}'; containers: ${Object.keys(this.containers).join(", ")}`);
    return new RoleAssignment(scope, id, {
      // With storage_account_id, the container's id is its Resource Manager id: a valid RBAC scope.
      scope: c.id,
      roleDefinitionName,
      principalId,
      principalType: "ServicePrincipal",
    });
  }
}
