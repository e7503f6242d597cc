import { Testing } from "cdktf";
import type { Construct } from "constructs";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { KeyVaultKey } from "@cdktf/provider-azurerm/lib/key-vault-key";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { UnsealKeyVault, UNSEAL_ROLE } from "../../constructs/azure/unseal-key-vault";
import { EtcdEncryptionKey, KMS_KEY_ROLE, KMS_PRIVATE_LINK_ROLE } from "../../constructs/azure/etcd-encryption-key";
import { AZURE_RBAC_PROPAGATION } from "../../constructs/azure/role-propagation";
import { KEY_DEPLOYER_DATA_ACTIONS, type SingleKeyVault, type SingleKeyVaultProps } from "../../constructs/azure/single-key-vault";
import { onlyResource, resourcesOf, type TfJson } from "../support/helpers";

const DEPLOYER = "33333333-3333-3333-3333-333333333333";
const DEPLOYER_ROLE = "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/11111111-2222-8333-8444-555555555555";
const where = { location: "westeurope", resourceGroupName: "acme-data", tenantId: "tenant", deployerObjectId: DEPLOYER, deployerRoleDefinitionId: DEPLOYER_ROLE };

const KINDS: readonly (readonly [string, (s: Construct, props: Partial<SingleKeyVaultProps>) => SingleKeyVault])[] = [
  ["UnsealKeyVault", (s, props) => new UnsealKeyVault(s, "Kv", { name: "acme-uns-abc123", ...where, ...props })],
  ["EtcdEncryptionKey", (s, props) => new EtcdEncryptionKey(s, "Kv", { name: "acme-etc-abc123", ...where, ...props })],
];

describe.each(KINDS)("%s (a single-key vault)", (_kind, make) => {
  const synth = (props: Partial<SingleKeyVaultProps> = {}) => Testing.synthScope((s) => { make(s, props); });
  const res = (props: Partial<SingleKeyVaultProps> = {}) => JSON.parse(synth(props)) as TfJson;

  test("RBAC authorization, purge protection, 90-day soft delete, nothing else enabled, no access policies", () => {
    expect(synth()).toHaveResourceWithProperties(KeyVault, {
      rbac_authorization_enabled: true,
      purge_protection_enabled: true,
      soft_delete_retention_days: 90,
      enabled_for_deployment: false,
      enabled_for_disk_encryption: false,
      enabled_for_template_deployment: false,
      tenant_id: "tenant",
    });
    expect(onlyResource(res(), "azurerm_key_vault").access_policy).toBeUndefined();
  });
  test("network closed: no public access, ACL default Deny, no bypass", () => {
    expect(synth()).toHaveResourceWithProperties(KeyVault, {
      public_network_access_enabled: false,
      network_acls: expect.objectContaining({ default_action: "Deny", bypass: "None", ip_rules: [] }),
    });
  });

  test("exactly one RSA key with a rotation policy; no secrets, no certificates", () => {
    const r = res();
    expect(r.resource.azurerm_key_vault_secret).toBeUndefined();
    expect(r.resource.azurerm_key_vault_certificate).toBeUndefined();
    expect(resourcesOf(r, "azurerm_key_vault_key")).toHaveLength(1);
    expect(onlyResource(r, "azurerm_key_vault_key")).toMatchObject({ key_type: "RSA", key_size: 3072, rotation_policy: { automatic: { time_after_creation: "P365D" } } });
  });
  test("the deploying identity named in the config (never the session's) gets the bootstrap's key-deployer role, by id, on this vault only, before the key; the stack defines no role", () => {
    const r = res();
    expect(JSON.stringify(r)).not.toContain("Key Vault Crypto Officer");
    expect(r.resource.azurerm_role_definition).toBeUndefined();
    expect(KEY_DEPLOYER_DATA_ACTIONS.join(" ")).not.toMatch(/\*|encrypt|decrypt|wrap|unwrap|sign|purge|import|backup|secrets|certificates/);
    const [id, assignment] = Object.entries(r.resource.azurerm_role_assignment).find(([k]) => k.includes("DeployerKeyManager"))!;
    expect(assignment.scope).toMatch(/^\$\{azurerm_key_vault\.Kv_[0-9A-F]+\.id\}$/);
    expect(assignment.role_definition_id).toBe(DEPLOYER_ROLE);
    expect(assignment.principal_id).toBe(DEPLOYER);
    expect(r.resource.azurerm_client_config).toBeUndefined();
    expect(JSON.stringify(JSON.parse(synth()).data ?? {})).not.toContain("azurerm_client_config");
    // Through the grant's propagation (AZURE_RBAC_PROPAGATION): created, then honoured, before the key.
    const [sleepId, sleep] = Object.entries(r.resource.time_sleep).find(([k]) => k.includes("DeployerKeyManagerPropagated"))!;
    expect(onlyResource(r, "azurerm_key_vault_key").depends_on).toEqual([`time_sleep.${sleepId}`]);
    expect(sleep.depends_on).toEqual([`azurerm_role_assignment.${id}`]);
    expect(sleep.create_duration).toBe(AZURE_RBAC_PROPAGATION.value.wait);
  });
  test("vault and key are protected from destroy unless allowDestroy", () => {
    const kept = res();
    expect(onlyResource(kept, "azurerm_key_vault").lifecycle).toEqual({ prevent_destroy: true });
    expect(onlyResource(kept, "azurerm_key_vault_key").lifecycle).toEqual({ prevent_destroy: true });
    const loose = res({ allowDestroy: true });
    expect(onlyResource(loose, "azurerm_key_vault").lifecycle).toEqual({ prevent_destroy: false });
    expect(onlyResource(loose, "azurerm_key_vault_key").lifecycle).toEqual({ prevent_destroy: false });
  });
  test("audit events go to the workspace when given", () => {
    expect(synth({ logWorkspaceId: "law" })).toHaveResourceWithProperties(MonitorDiagnosticSetting, {
      log_analytics_workspace_id: "law",
      enabled_log: [{ category_group: "audit" }],
    });
  });
});

describe("UnsealKeyVault", () => {
  const synth = (grant = false) =>
    Testing.synthScope((s) => {
      const kv = new UnsealKeyVault(s, "Unseal", { name: "acme-uns-abc123", ...where });
      if (grant) kv.grantUnseal(s, "Grant", "vault-principal");
    });
  test("its key can only wrap and unwrap", () => {
    expect(synth()).toHaveResourceWithProperties(KeyVaultKey, { name: "vault-unseal", key_opts: ["wrapKey", "unwrapKey"] });
  });
  test("grantUnseal gives get/wrap/unwrap on the key itself, not the vault", () => {
    expect(synth(true)).toHaveResourceWithProperties(RoleAssignment, {
      role_definition_name: UNSEAL_ROLE,
      scope: expect.stringMatching(/^\$\{azurerm_key_vault_key\.Unseal_UnsealKey_[0-9A-F]+\.resource_versionless_id\}$/),
      principal_id: "vault-principal",
    });
    expect(UNSEAL_ROLE).toBe("Key Vault Crypto Service Encryption User");
  });
});

describe("EtcdEncryptionKey", () => {
  const build = (s: Construct) => new EtcdEncryptionKey(s, "Etcd", { name: "acme-etc-abc123", ...where });
  test("its key can only encrypt and decrypt", () => {
    expect(Testing.synthScope((s) => { build(s); })).toHaveResourceWithProperties(KeyVaultKey, { name: "etcd-kms", key_opts: ["encrypt", "decrypt"] });
  });
  test("grantCluster: Crypto User on the key only, the private-link role on this vault only", () => {
    const r = JSON.parse(Testing.synthScope((s) => { build(s).grantCluster(s, "Kms", "cluster-principal"); })) as TfJson;
    const grants = resourcesOf(r, "azurerm_role_assignment").filter((g) => g.principal_id === "cluster-principal");
    expect(grants.map((g) => [g.role_definition_name, g.scope, g.principal_type])).toEqual([
      [KMS_KEY_ROLE, expect.stringMatching(/^\$\{azurerm_key_vault_key\.Etcd_Key_[0-9A-F]+\.resource_versionless_id\}$/), "ServicePrincipal"],
      [KMS_PRIVATE_LINK_ROLE, expect.stringMatching(/^\$\{azurerm_key_vault\.Etcd_[0-9A-F]+\.id\}$/), "ServicePrincipal"],
    ]);
    expect([KMS_KEY_ROLE, KMS_PRIVATE_LINK_ROLE]).toEqual(["Key Vault Crypto User", "Key Vault Contributor"]);
  });
});
