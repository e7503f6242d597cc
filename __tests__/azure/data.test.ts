import { Testing } from "cdktf";
import { SecureStorageAccount } from "../../constructs/azure/storage-account";
import { WorkloadIdentity } from "../../constructs/azure/workload-identity";
import { LogWorkspace } from "../../constructs/azure/log-workspace";
import { globalName } from "../../constructs/azure/naming";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { FederatedIdentityCredential } from "@cdktf/provider-azurerm/lib/federated-identity-credential";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { onlyResource, resourcesOf, synthJson } from "../support/helpers";

const where = { location: "westeurope", resourceGroupName: "acme-data" };

describe("SecureStorageAccount", () => {
  const synth = (props: Partial<ConstructorParameters<typeof SecureStorageAccount>[2]> = {}) =>
    Testing.synthScope((s) => { new SecureStorageAccount(s, "Data", { name: "acmedata123", ...where, containers: ["data"], ...props }); });

  test("keeps the object-storage promise: Microsoft-managed keys plus infrastructure encryption, TLS 1.2, HTTPS only", () => {
    const out = synth();
    expect(out).toHaveResourceWithProperties(StorageAccount, {
      account_kind: "StorageV2",
      infrastructure_encryption_enabled: true,
      https_traffic_only_enabled: true,
      min_tls_version: "TLS1_2",
    });
    // Microsoft-managed keys: no customer-managed key anywhere.
    expect(onlyResource(JSON.parse(out), "azurerm_storage_account").customer_managed_key).toBeUndefined();
    expect(JSON.parse(out).resource.azurerm_storage_account_customer_managed_key).toBeUndefined();
  });
  test("no anonymous access, no shared keys, Entra ID by default, no cross-tenant replication", () => {
    expect(synth()).toHaveResourceWithProperties(StorageAccount, {
      allow_nested_items_to_be_public: false,
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
      cross_tenant_replication_enabled: false,
      local_user_enabled: false,
      sftp_enabled: false,
    });
  });
  test("sharedAccessKeyEnabled is the only way to turn account keys on", () => {
    expect(synth({ sharedAccessKeyEnabled: true })).toHaveResourceWithProperties(StorageAccount, { shared_access_key_enabled: true });
  });
  test("public network access is off, firewall default Deny with no bypass", () => {
    expect(synth()).toHaveResourceWithProperties(StorageAccount, {
      public_network_access_enabled: false,
      network_rules: expect.objectContaining({ default_action: "Deny", bypass: ["None"], ip_rules: [] }),
    });
  });
  test("allowTrustedAzureServices opens the public endpoint to trusted Azure services only", () => {
    expect(synth({ allowTrustedAzureServices: true })).toHaveResourceWithProperties(StorageAccount, {
      public_network_access_enabled: true,
      network_rules: expect.objectContaining({ default_action: "Deny", bypass: ["AzureServices"], ip_rules: [] }),
    });
  });
  test("versioning and 30-day soft delete for blobs and containers, zone-redundant", () => {
    expect(synth()).toHaveResourceWithProperties(StorageAccount, {
      account_replication_type: "ZRS",
      blob_properties: expect.objectContaining({
        versioning_enabled: true,
        delete_retention_policy: expect.objectContaining({ days: 30 }),
        container_delete_retention_policy: expect.objectContaining({ days: 30 }),
      }),
    });
  });
  test("containers are private and created through Resource Manager", () => {
    expect(synth()).toHaveResourceWithProperties(StorageContainer, {
      name: "data",
      container_access_type: "private",
      storage_account_id: expect.stringMatching(/^\$\{azurerm_storage_account\.Data_[0-9A-F]+\.id\}$/),
      lifecycle: expect.objectContaining({ prevent_destroy: true }),
    });
  });
  test("account and containers are protected from destroy unless allowDestroy", () => {
    expect(synth()).toHaveResourceWithProperties(StorageAccount, { lifecycle: expect.objectContaining({ prevent_destroy: true }) });
    const res = JSON.parse(synth({ allowDestroy: true }));
    expect(onlyResource(res, "azurerm_storage_account").lifecycle).toEqual({ prevent_destroy: false });
    expect(onlyResource(res, "azurerm_storage_container").lifecycle).toEqual({ prevent_destroy: false });
  });
  test("blob access logs go to the workspace when given", () => {
    expect(synth({ logWorkspaceId: "law" })).toHaveResourceWithProperties(MonitorDiagnosticSetting, {
      log_analytics_workspace_id: "law",
      target_resource_id: expect.stringMatching(/\/blobServices\/default$/),
      enabled_log: [{ category: "StorageRead" }, { category: "StorageWrite" }, { category: "StorageDelete" }],
    });
  });
  test("grantContainer scopes the role to the container, not the account", () => {
    const out = Testing.synthScope((s) => {
      const sa = new SecureStorageAccount(s, "Data", { name: "acmedata123", ...where, containers: ["data"] });
      sa.grantContainer(s, "Grant", "data", "Storage Blob Data Contributor", "principal");
    });
    expect(out).toHaveResourceWithProperties(RoleAssignment, {
      scope: expect.stringMatching(/^\$\{azurerm_storage_container\.Data_DataContainer_[0-9A-F]+\.id\}$/),
      role_definition_name: "Storage Blob Data Contributor",
      principal_id: "principal",
    });
  });
  test("grantContainer on an unknown container names the ones that exist", () => {
    expect(() => Testing.synthScope((s) => {
      new SecureStorageAccount(s, "Data", { name: "acmedata123", ...where, containers: ["data"] }).grantContainer(s, "G", "logs", "r", "p");
    })).toThrow(/no container 'logs'; containers: data/);
  });
});

describe("WorkloadIdentity", () => {
  const subjects = [{ namespace: "identity", serviceAccount: "postgresql" }, { namespace: "metadata", serviceAccount: "cassandra" }];
  test("one federated credential per service account, for the cluster's issuer and Entra's token exchange audience", () => {
    const res = synthJson((s) => { new WorkloadIdentity(s, "Backup", { name: "acme-backup", ...where, issuerUrl: "https://issuer", subjects }); });
    const creds = resourcesOf(res, "azurerm_federated_identity_credential");
    expect(creds.map((c) => c.subject)).toEqual(["system:serviceaccount:identity:postgresql", "system:serviceaccount:metadata:cassandra"]);
    for (const c of creds) {
      expect(c).toMatchObject({ issuer: "https://issuer", audience: ["api://AzureADTokenExchange"] });
    }
  });
  test("has no role of its own until granted", () => {
    const res = synthJson((s) => { new WorkloadIdentity(s, "Backup", { name: "acme-backup", ...where, issuerUrl: "https://issuer", subjects }); });
    expect(res.resource.azurerm_role_assignment).toBeUndefined();
  });
  test("binds service accounts by client id and the workload-identity pod label", () => {
    let binding: WorkloadIdentity["binding"] | undefined;
    const out = Testing.synthScope((s) => {
      binding = new WorkloadIdentity(s, "Vault", { name: "acme-vault", ...where, issuerUrl: "https://issuer", subjects: subjects.slice(0, 1) }).binding;
    });
    expect(out).toHaveResourceWithProperties(FederatedIdentityCredential, { subject: "system:serviceaccount:identity:postgresql" });
    expect(Object.keys(binding!.serviceAccountAnnotations)).toEqual(["azure.workload.identity/client-id"]);
    expect(binding!.podLabels).toEqual({ "azure.workload.identity/use": "true" });
  });
});

describe("LogWorkspace", () => {
  test("Entra-only access, 90-day retention, protected from destroy", () => {
    const out = Testing.synthScope((s) => { new LogWorkspace(s, "Logs", { name: "acme-logs", ...where }); });
    expect(out).toHaveResourceWithProperties(LogAnalyticsWorkspace, {
      local_authentication_enabled: false,
      retention_in_days: 90,
      lifecycle: expect.objectContaining({ prevent_destroy: true }),
    });
  });
});

describe("globalName", () => {
  test("storage names are 3-24 lowercase alphanumerics, deterministic, distinct per subscription", () => {
    const a = globalName("storage", "a-very-long-deployment", "sub-1", "data");
    expect(a).toMatch(/^[a-z0-9]{3,24}$/);
    expect(globalName("storage", "a-very-long-deployment", "sub-1", "data")).toBe(a);
    expect(globalName("storage", "a-very-long-deployment", "sub-2", "data")).not.toBe(a);
  });
  test("Key Vault names fit 3-24 characters, start with a letter, have no '--' and no trailing '-'", () => {
    for (const name of ["acme", "abcdefghijkl-mnopqrst", "abcdefghijklm-xyz"]) {
      const n = globalName("keyVault", name, "sub", "unseal");
      expect(n).toMatch(/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/);
      expect(n).not.toContain("--");
    }
  });
});
