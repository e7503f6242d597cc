import { Construct } from "constructs";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { KeyVaultKey } from "@cdktf/provider-azurerm/lib/key-vault-key";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { dependable, type ITerraformDependable } from "cdktf";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { propagated } from "./role-propagation";

/**
 * The Key Vault data actions Terraform's azurerm provider uses to manage one key, and nothing else: read it
 * and its versions, create it, update its attributes (tags, operations), recover it if a soft-deleted key of
 * the same name exists (provider feature `recover_soft_deleted_keys`), read and write its rotation policy.
 * Key Vault itself rotates the key (the policy's `automatic` action): no rotate permission is needed.
 * Names as in Microsoft's access-policy-to-RBAC mapping (Azure/KeyVault-AccessPolicyToRBAC-CompareTool).
 * No encrypt/decrypt/wrap/unwrap/sign, no import, backup, restore, purge, no secrets or certificates.
 */
export const KEY_DEPLOYER_DATA_ACTIONS = [
  "Microsoft.KeyVault/vaults/keys/read",
  "Microsoft.KeyVault/vaults/keys/create/action",
  "Microsoft.KeyVault/vaults/keys/update/action",
  "Microsoft.KeyVault/vaults/keys/recover/action",
  "Microsoft.KeyVault/vaults/keyrotationpolicies/read",
  "Microsoft.KeyVault/vaults/keyrotationpolicies/write",
] as const;

/** Added to {@link KEY_DEPLOYER_DATA_ACTIONS} only when the key may be destroyed (soft delete; never purge). */
export const KEY_DELETE_DATA_ACTION = "Microsoft.KeyVault/vaults/keys/delete";

/** The one key a {@link SingleKeyVault} holds. */
export interface SingleKeySpec {
  /** Construct id of the key (part of its Terraform address: never change it for an existing vault). */
  readonly id: string;
  /** The key's name in the vault. */
  readonly name: string;
  /** RSA modulus size. */
  readonly sizeBits: 2048 | 3072 | 4096;
  /** The only operations the key allows. */
  readonly operations: readonly ("encrypt" | "decrypt" | "wrapKey" | "unwrapKey")[];
  /** ISO 8601 duration after which Key Vault creates a new version (old versions still decrypt/unwrap). */
  readonly rotateAfter: string;
}

/** Props every {@link SingleKeyVault} shares. */
export interface SingleKeyVaultProps {
  /** Globally unique, 3-24 characters. */
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly tenantId: string;
  /** Days a deleted vault or key stays recoverable (7-90). Purge protection forbids purging before. @default 90 */
  readonly softDeleteRetentionDays?: number;
  /**
   * Object id of the one identity that applies this deployment (config `azure.deployerObjectId`): it gets
   * the key-deployer role. Named explicitly, never "whoever runs terraform": a plan identity would otherwise
   * write itself into the saved plan.
   */
  readonly deployerObjectId: string;
  /**
   * Resource id of the key-deployer custom role ({@link KEY_DEPLOYER_DATA_ACTIONS}, plus {@link KEY_DELETE_DATA_ACTION}
   * when the key may be destroyed) that `deployerObjectId` gets on this vault. The deployment's bootstrap defines it
   * (constructs/azure/deployment-roles.ts), so the identity that applies this stack needs no roleDefinitions/write.
   */
  readonly deployerRoleDefinitionId: string;
  /**
   * Object ids that may read the key's metadata (Key Vault Reader on this vault: what refreshing the key in
   * a plan reads, no key material), e.g. the CI plan identity.
   * @default []
   */
  readonly readerObjectIds?: readonly string[];

  /**
   * Open the vault's firewall to trusted Microsoft services only (public network access on, default Deny, bypass
   * AzureServices, no IP or network rules), for a key that Azure services read from their side: disk encryption sets
   * and storage accounts (AZURE_CMK_FACTS.trustedServices). Terraform still reaches it through its private endpoint.
   * @default false - public network access off, no bypass (the only closed setting AKS KMS accepts: AKS_KMS_FACTS)
   */
  readonly allowTrustedServices?: boolean;

  /** Send the vault's audit events (every key operation, who and from where) to this Log Analytics workspace. @default - none */
  readonly logWorkspaceId?: string;
  /** Let `terraform destroy` remove the vault and the key (and let the deployer delete the key). @default false - lifecycle prevent_destroy */
  readonly allowDestroy?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A Key Vault that holds exactly one RSA key and nothing else (no secrets, no certificates). Authorization is
 * Azure RBAC only (no access policies); purge protection and 90-day soft delete mean a deleted key can be
 * recovered and never purged early; the network is closed (public access off, firewall Deny, no
 * trusted-services bypass, no IP rules: the only combination AKS KMS supports besides "open to all
 * networks", AKS_KMS_FACTS), so Terraform reaches it through its private endpoint. The key rotates on a
 * schedule. The deploying identity (named in the config) gets a custom role on this vault only, with exactly
 * the key data actions it needs ({@link KEY_DEPLOYER_DATA_ACTIONS}): it can create and manage the key but
 * never use it (no encrypt/decrypt/wrap/unwrap) nor purge it. The role is the bootstrap's (by id).
 *
 * The base of the platform's key vaults ({@link UnsealKeyVault}, {@link EtcdEncryptionKey}): they differ only
 * in the key's operations and in whom they grant its use.
 */
export class SingleKeyVault extends Construct {
  readonly resource: KeyVault;
  readonly key: KeyVaultKey;
  /** The key-deployer role's assignment to the deploying identity on this vault. */
  readonly deployerAssignment: RoleAssignment;

  /**
   * Makes the key wait for what lets Terraform reach the vault's data plane from where it runs: the vault's
   * private endpoint (with its DNS record), the DNS zone's link to the runner's network, the peering. The
   * vault has no public access, so creating the key before them fails (KEY_VAULT_FACTS).
   */
  reachableThrough(...deps: ITerraformDependable[]): void {
    this.key.dependsOn = [...new Set([...(this.key.dependsOn ?? []), ...deps.map((d) => dependable(d))])];
  }

  constructor(scope: Construct, id: string, props: SingleKeyVaultProps, key: SingleKeySpec) {
    super(scope, id);
    const preventDestroy = !(props.allowDestroy ?? false);
    const trusted = props.allowTrustedServices ?? false;
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
      publicNetworkAccessEnabled: trusted,
      networkAcls: { defaultAction: "Deny", bypass: trusted ? "AzureServices" : "None", ipRules: [], virtualNetworkSubnetIds: [] },
      tags: { ...props.tags },
      lifecycle: { preventDestroy },
    });

    const deployer = new RoleAssignment(this, "DeployerKeyManager", {
      scope: this.resource.id,
      roleDefinitionId: props.deployerRoleDefinitionId,
      principalId: props.deployerObjectId,
      description: `Terraform manages the ${key.name} key of this vault; nothing else.`,
    });
    this.deployerAssignment = deployer;
    (props.readerObjectIds ?? []).forEach((principalId, i) => {
      new RoleAssignment(this, i === 0 ? "KeyMetadataReader" : `KeyMetadataReader${i + 1}`, {
        scope: this.resource.id,
        roleDefinitionName: "Key Vault Reader",
        principalId,
        description: "Plans read the key's metadata and rotation policy (no key material).",
      });
    });

    this.key = new KeyVaultKey(this, key.id, {
      name: key.name,
      keyVaultId: this.resource.id,
      keyType: "RSA",
      keySize: key.sizeBits,
      keyOpts: [...key.operations],
      rotationPolicy: { automatic: { timeAfterCreation: key.rotateAfter } },
      tags: { ...props.tags },
      // The key is created through the deployer's grant on this vault, made in the same apply: honoured only once Azure has
      // propagated it (AZURE_RBAC_PROPAGATION; a 403 on the first apply otherwise).
      dependsOn: [propagated(this, "DeployerKeyManagerPropagated", deployer)],
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
}
