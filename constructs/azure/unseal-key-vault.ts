import { Construct } from "constructs";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { KeyVaultKey } from "@cdktf/provider-azurerm/lib/key-vault-key";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";

/**
 * The built-in role that allows exactly get, wrapKey and unwrapKey on keys
 * (Microsoft.KeyVault/vaults/keys/read, .../wrap/action, .../unwrap/action): what Vault's seal needs.
 */
export const UNSEAL_ROLE = "Key Vault Crypto Service Encryption User";

/** Props of {@link UnsealKeyVault}. */
export interface UnsealKeyVaultProps {
  /** Globally unique, 3-24 characters. */
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly tenantId: string;
  /** Name of the RSA key Vault wraps its root key with. @default "vault-unseal" */
  readonly keyName?: string;
  /** RSA modulus size. @default 3072 */
  readonly keySizeBits?: 2048 | 3072 | 4096;
  /** ISO 8601 duration after which Key Vault rotates the key to a new version (old versions still unwrap). @default "P365D" */
  readonly rotateAfter?: string;
  /** Days a deleted vault or key stays recoverable (7-90). Purge protection forbids purging before. @default 90 */
  readonly softDeleteRetentionDays?: number;
  /**
   * Public ranges the vault's firewall admits (default action stays Deny), e.g. where Terraform runs when
   * it is not inside the VNet: creating the key is a data-plane call.
   * @default - none: public network access disabled; reachable only through a private endpoint
   */
  readonly allowedCidrs?: readonly string[];
  /** Send the vault's audit events (every key operation, who and from where) to this Log Analytics workspace. @default - none */
  readonly logWorkspaceId?: string;
  /** Protect the vault and the key from `terraform destroy`. @default true */
  readonly preventDestroy?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The Key Vault behind Vault's auto-unseal: it holds one RSA key and nothing else (no secrets, no
 * certificates). Authorization is Azure RBAC only (no access policies); purge protection and 90-day soft
 * delete mean a deleted key can be recovered and never purged early; the network is closed by default.
 * Terraform's own identity gets Key Vault Crypto Officer on this vault only, to create and rotate the key.
 */
export class UnsealKeyVault extends Construct {
  readonly resource: KeyVault;
  readonly key: KeyVaultKey;

  constructor(scope: Construct, id: string, props: UnsealKeyVaultProps) {
    super(scope, id);
    const preventDestroy = props.preventDestroy ?? true;
    const allowed = props.allowedCidrs ?? [];
    this.resource = new KeyVault(this, "Resource", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      tenantId: props.tenantId,
      skuName: "standard",
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: true,
      softDeleteRetentionDays: props.softDeleteRetentionDays ?? 90,
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      publicNetworkAccessEnabled: allowed.length > 0,
      networkAcls: { defaultAction: "Deny", bypass: "None", ipRules: [...allowed], virtualNetworkSubnetIds: [] },
      tags: { ...props.tags },
      lifecycle: { preventDestroy },
    });

    const me = new DataAzurermClientConfig(this, "Deployer", {});
    const officer = new RoleAssignment(this, "DeployerCryptoOfficer", {
      scope: this.resource.id,
      roleDefinitionName: "Key Vault Crypto Officer",
      principalId: me.objectId,
      description: "Terraform creates and rotates the unseal key; nothing else.",
    });

    this.key = new KeyVaultKey(this, "UnsealKey", {
      name: props.keyName ?? "vault-unseal",
      keyVaultId: this.resource.id,
      keyType: "RSA",
      keySize: props.keySizeBits ?? 3072,
      // Only what a seal does: wrap and unwrap Vault's root key. No encrypt/decrypt/sign/verify.
      keyOpts: ["wrapKey", "unwrapKey"],
      rotationPolicy: { automatic: { timeAfterCreation: props.rotateAfter ?? "P365D" } },
      tags: { ...props.tags },
      dependsOn: [officer],
      lifecycle: { preventDestroy },
    });

    if (props.logWorkspaceId) {
      new MonitorDiagnosticSetting(this, "AuditLogs", {
        name: "audit-to-log-analytics",
        targetResourceId: this.resource.id,
        logAnalyticsWorkspaceId: props.logWorkspaceId,
        enabledLog: [{ categoryGroup: "audit" }],
      });
    }
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
