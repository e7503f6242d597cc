import { readFileSync } from "node:fs";
import { readConfigFile } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { AKS_CMK_MIN_KUBERNETES_MINOR } from "../../config/cloud-facts";
import { AZURE_CMK_FACTS } from "../../constructs/azure/azure-facts";
import { AZURE_RBAC_PROPAGATION, TIME_PROVIDER } from "../../constructs/azure/role-propagation";
import { configProblems } from "../support/config-problems";
import { synthesizedStacks } from "../support/deployments";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import { findingsOf, newStack } from "../policy/fixtures/harness";

// encryption.keys: customer-managed on Azure, as main.ts synthesized examples/azure-estate-keys.yaml (jest global
// setup), held against what AKS, Azure Storage, Key Vault and azurerm document (AZURE_CMK_FACTS, each with its source).

type Block = Record<string, unknown>;
type Json = { resource: Record<string, Record<string, Block>>; output?: Record<string, Block> };
const stacks = () => synthesizedStacks("examples-azure-estate-keys") as unknown as Record<string, Json>;
const azure = () => stacks()["contoso-keys-azure"];
const entries = (j: Json, type: string) => Object.entries(j.resource[type] ?? {});
const one = (j: Json, type: string) => {
  const all = entries(j, type);
  expect(all).toHaveLength(1);
  return all[0];
};
const ref = (type: string, id: string, attr: string) => `\${${type}.${id}.${attr}}`;
/** The key vault whose key `keyId` is, by the key's key_vault_id. */
/** What a block waits for: its depends_on, and through a time_sleep (role-propagation.ts) what that waits for. */
const waitsFor = (j: Json, block: Record<string, unknown>): string[] =>
  ((block.depends_on as string[] | undefined) ?? []).flatMap((d) => (d.startsWith("time_sleep.") ? [d, ...((j.resource.time_sleep?.[d.slice("time_sleep.".length)]?.depends_on as string[] | undefined) ?? [])] : [d]));
const keyNamed = (j: Json, name: string) => entries(j, "azurerm_key_vault_key").find(([, k]) => k.name === name)!;
const grantsOn = (j: Json, scope: string) => entries(j, "azurerm_role_assignment").filter(([, g]) => g.scope === scope);

test("volumes: a disk encryption set on the volume key (customer key, versionless, auto-rotated) whose own identity may use that key and nothing else", () => {
  const j = azure();
  const [desId, des] = one(j, "azurerm_disk_encryption_set");
  const [keyId, key] = keyNamed(j, "volumes");
  expect(des).toMatchObject({
    encryption_type: "EncryptionAtRestWithCustomerKey",
    key_vault_key_id: ref("azurerm_key_vault_key", keyId, "versionless_id"),
    auto_key_rotation_enabled: AZURE_CMK_FACTS.autoRotationNeedsVersionlessKey.value,
    lifecycle: { prevent_destroy: true },
  });
  const identity = (des.identity as { identity_ids: string[]; type: string });
  expect(identity.type).toBe("UserAssigned");
  const [identityRef] = identity.identity_ids;
  const identityId = /azurerm_user_assigned_identity\.([^.]+)\.id/.exec(identityRef)![1];
  // Every grant to the set's identity: exactly one, the key-use role on this key (versionless), never the vault.
  const toDes = entries(j, "azurerm_role_assignment").filter(([, g]) => g.principal_id === ref("azurerm_user_assigned_identity", identityId, "principal_id"));
  expect(toDes.map(([, g]) => [g.scope, g.role_definition_name])).toEqual([[ref("azurerm_key_vault_key", keyId, "resource_versionless_id"), AZURE_CMK_FACTS.keyUseRole.value]]);
  // The set is created after the grant (Azure checks its access to the key).
  expect(waitsFor(j, des)).toContain(`azurerm_role_assignment.${toDes[0][0]}`);
  // The key only wraps and unwraps, rotates on a schedule and is protected.
  expect(key).toMatchObject({ key_type: "RSA", key_opts: ["wrapKey", "unwrapKey"], lifecycle: { prevent_destroy: true } });
  expect((key.rotation_policy as Block).automatic).toBeDefined();
  expect(desId).toMatch(/^DiskEncryptionSet/);
});

test("volumes: AKS OS disks take the set at creation, the cluster identity reads that set only (before the cluster), and the cluster stays protected", () => {
  const j = azure();
  const [desId] = one(j, "azurerm_disk_encryption_set");
  const [, cluster] = one(j, "azurerm_kubernetes_cluster");
  expect(cluster.disk_encryption_set_id).toBe(ref("azurerm_disk_encryption_set", desId, "id"));
  const clusterIdentity = (cluster.identity as { identity_ids: string[] }).identity_ids[0].replace(/\.id}$/, ".principal_id}");
  const onDes = grantsOn(j, ref("azurerm_disk_encryption_set", desId, "id"));
  expect(onDes.map(([, g]) => [g.principal_id, g.role_definition_name])).toEqual([[clusterIdentity, AZURE_CMK_FACTS.clusterRoleOnDiskEncryptionSet.value]]);
  expect(waitsFor(j, cluster)).toContain(`azurerm_role_assignment.${onDes[0][0]}`);
  // azurerm replaces the cluster when disk_encryption_set_id changes (ForceNew): prevent_destroy makes Terraform
  // refuse that plan, so switching keys on an existing deployment cannot silently rebuild the cluster.
  expect(AZURE_CMK_FACTS.osDiskKeyAtCreationOnly.value).toEqual({ attribute: "disk_encryption_set_id", forceNew: true });
  expect(cluster.lifecycle).toEqual({ prevent_destroy: true });
});

test("volumes: the encrypted StorageClass names the same disk encryption set (diskEncryptionSetID from the cloud stack's output)", () => {
  const [desId] = one(azure(), "azurerm_disk_encryption_set");
  const output = `cross-stack-output-azurerm_disk_encryption_set${desId}id`;
  expect(azure().output?.[output]).toMatchObject({ value: ref("azurerm_disk_encryption_set", desId, "id") });
  const [, sc] = one(stacks()["contoso-keys-vault"], "kubernetes_storage_class_v1");
  expect(sc.storage_provisioner).toBe("disk.csi.azure.com");
  expect((sc.parameters as Record<string, string>)[AZURE_CMK_FACTS.storageClassParameter.value]).toMatch(new RegExp(`outputs\\.${output}}$`));
});

test("buckets: every storage account encrypts with the data key, read as one identity that may use that key only; infrastructure encryption stays", () => {
  const j = azure();
  const [keyId] = keyNamed(j, "data");
  const accounts = entries(j, "azurerm_storage_account");
  expect(accounts.map(([id]) => id.split("_")[0]).sort()).toEqual(["DataStorage", "FlowLogStorage"]);
  const identities = new Set<string>();
  for (const [, account] of accounts) {
    const cmk = account.customer_managed_key as { key_vault_key_id: string; user_assigned_identity_id: string };
    expect(cmk.key_vault_key_id).toBe(ref("azurerm_key_vault_key", keyId, "versionless_id"));
    expect(account.identity).toEqual({ type: "UserAssigned", identity_ids: [cmk.user_assigned_identity_id] });
    expect(account.infrastructure_encryption_enabled).toBe(true);
    identities.add(cmk.user_assigned_identity_id);
  }
  expect(identities.size).toBe(1);
  const principal = [...identities][0].replace(/\.id}$/, ".principal_id}");
  const toStorage = entries(j, "azurerm_role_assignment").filter(([, g]) => g.principal_id === principal);
  expect(toStorage.map(([, g]) => [g.scope, g.role_definition_name])).toEqual([[ref("azurerm_key_vault_key", keyId, "resource_versionless_id"), AZURE_CMK_FACTS.keyUseRole.value]]);
  for (const [, account] of accounts) expect(waitsFor(j, account)).toContain(`azurerm_role_assignment.${toStorage[0][0]}`);
});

test("keys: each in a vault of its own that admits trusted Microsoft services only, RBAC, purge protection, a private endpoint; the unseal and etcd vaults stay closed", () => {
  const j = azure();
  const fw = AZURE_CMK_FACTS.trustedServicesFirewall.value;
  const vaultOf = (keyName: string) => {
    const [, key] = keyNamed(j, keyName);
    const vaultId = /azurerm_key_vault\.([^.]+)\.id/.exec(String(key.key_vault_id))![1];
    return [vaultId, j.resource.azurerm_key_vault[vaultId]] as const;
  };
  for (const keyName of ["volumes", "data"]) {
    const [vaultId, vault] = vaultOf(keyName);
    expect(vault).toMatchObject({
      rbac_authorization_enabled: true,
      purge_protection_enabled: AZURE_CMK_FACTS.purgeProtectionRequired.value,
      soft_delete_retention_days: 90,
      public_network_access_enabled: fw.publicNetworkAccess,
      network_acls: { default_action: fw.defaultAction, bypass: fw.bypass, ip_rules: [], virtual_network_subnet_ids: [] },
      lifecycle: { prevent_destroy: true },
    });
    expect(entries(j, "azurerm_private_endpoint").some(([, e]) => (e.private_service_connection as Block).private_connection_resource_id === ref("azurerm_key_vault", vaultId, "id"))).toBe(true);
    // Nobody but the deployer's key-management role and the plan's reader holds anything on the vault itself.
    expect(grantsOn(j, ref("azurerm_key_vault", vaultId, "id")).map(([, g]) => g.role_definition_name ?? "custom key deployer").sort()).toEqual(["Key Vault Reader", "custom key deployer"]);
  }
  for (const keyName of ["vault-unseal", "etcd-kms"]) {
    const [, vault] = vaultOf(keyName);
    expect(vault).toMatchObject({ public_network_access_enabled: false, network_acls: { bypass: "None" } });
  }
  expect(AZURE_CMK_FACTS.trustedServices.value).toEqual(["Azure Disk Storage", "Azure Storage"]);
});

test("logs: flow logs land in a customer-key account; the Log Analytics workspace keeps Microsoft-managed keys, as the schema and the guide say", () => {
  const [, workspace] = one(azure(), "azurerm_log_analytics_workspace");
  expect(Object.keys(workspace).filter((k) => /cluster|key/i.test(k))).toEqual([]);
  expect(entries(azure(), "azurerm_log_analytics_cluster")).toEqual([]);
  const schema = JSON.parse(readFileSync("config/deployment.schema.json", "utf8")) as { properties: { encryption: { properties: { keys: { description: string } } } } };
  const description = schema.properties.encryption.properties.keys.description;
  expect(description).toMatch(/Azure: .*storage account.*disk encryption set.*Log Analytics workspace keeps Microsoft-managed keys.*dedicated Log Analytics cluster, from 100 GB\/day/);
  expect(AZURE_CMK_FACTS.logAnalyticsNeedsDedicatedCluster.value.minimumCommitmentGBPerDay).toBe(100);
});

test("the deployment guide says customer-managed keys on Azure are chosen at creation, and why", () => {
  const guide = readFileSync("docs/deployment-guide.md", "utf8");
  const row = guide.split("\n").find((l) => l.startsWith("| `encryption: { keys: customer-managed }`"))!;
  const azureCell = row.split(" | ")[2];
  expect(azureCell).toMatch(/disk encryption set/);
  expect(azureCell).not.toMatch(/^refused|not built/);
  expect(guide).toMatch(/On Azure, choose customer-managed keys when the deployment is created/);
  expect(guide).toMatch(/disk_encryption_set_id.*replaces the cluster.*prevent_destroy/s);
});

test("refused on Azure: customer-managed keys with a Kubernetes version AKS cannot encrypt data disks with (field and fix named)", () => {
  const example = readConfigFile("examples/azure-estate-keys.yaml") as DeploymentInput;
  expect(configProblems(example)).toEqual([]);
  const floor = AKS_CMK_MIN_KUBERNETES_MINOR.value;
  const old = `1.${floor - 1}`;
  const withVersions = (keys: "customer-managed" | "provider-managed") =>
    ({ ...example, encryption: { keys }, controlPlane: { ...example.controlPlane, kubernetesVersion: old }, nodePools: example.nodePools.map((p) => ({ ...p, kubernetesVersion: old })) }) as DeploymentInput;
  expect(configProblems(withVersions("customer-managed"))).toEqual([
    expect.stringMatching(new RegExp(`^controlPlane\\.kubernetesVersion: .*from Kubernetes 1\\.${floor}; set 1\\.${floor} or later, or remove encryption\\.keys`)),
    expect.stringMatching(new RegExp(`^nodePools\\[0\\]\\.kubernetesVersion: .*from Kubernetes 1\\.${floor}; set 1\\.${floor} or later, or remove encryption\\.keys`)),
  ]);
  expect(configProblems(withVersions("provider-managed"))).toEqual([]);
});

test("K8S-16: an Azure disk StorageClass naming a disk encryption set passes with a set's id or a reference, fails with anything else", () => {
  const verdicts = Object.fromEntries(
    [
      ["reference", "${data.terraform_remote_state.x.outputs.des}"],
      ["id", "/subscriptions/0000/resourceGroups/acme-data/providers/Microsoft.Compute/diskEncryptionSets/acme-disks"],
      ["empty", ""],
      ["key instead of set", "https://acme.vault.azure.net/keys/volumes"],
    ].map(([name, des]) => {
      const { app, stack } = newStack();
      new StorageClassV1(stack, "Encrypted", { metadata: { name: "encrypted" }, storageProvisioner: "disk.csi.azure.com", reclaimPolicy: "Retain", parameters: { skuName: "Premium_ZRS", diskEncryptionSetID: des } });
      return [name, findingsOf(app).filter((f) => f.ruleId === "K8S-16").map((f) => f.status)];
    }),
  );
  expect(verdicts).toEqual({ reference: ["pass"], id: ["pass"], empty: ["fail"], "key instead of set": ["fail"] });
});

test("grants take effect before they are used: the disk encryption set, the storage accounts and the cluster wait a time_sleep after their role assignment (AZURE_RBAC_PROPAGATION)", () => {
  const j = azure() as Json & { terraform: { required_providers: Record<string, { source: string; version: string }> } };
  expect(j.terraform.required_providers.time).toEqual({ source: TIME_PROVIDER.source, version: TIME_PROVIDER.version });
  const sleeps = Object.fromEntries(entries(j, "time_sleep"));
  const sleepAfter = (assignmentId: string) => {
    const hit = Object.entries(sleeps).find(([, s]) => (s.depends_on as string[]).includes(`azurerm_role_assignment.${assignmentId}`));
    expect(hit).toBeDefined();
    expect(hit![1]).toMatchObject({ create_duration: AZURE_RBAC_PROPAGATION.value.wait, triggers: { role_assignment_id: ref("azurerm_role_assignment", assignmentId, "id") } });
    return `time_sleep.${hit![0]}`;
  };
  const assignment = (prefix: string) => entries(j, "azurerm_role_assignment").find(([id]) => id.startsWith(prefix))![0];
  const [, des] = one(j, "azurerm_disk_encryption_set");
  expect(des.depends_on).toEqual([sleepAfter(assignment("DiskEncryptionSet_KeyUse"))]);
  const storageWait = sleepAfter(assignment("StorageKeyUse"));
  const accounts = entries(j, "azurerm_storage_account");
  expect(accounts).toHaveLength(2);
  for (const [, account] of accounts) expect(account.depends_on).toEqual(expect.arrayContaining([storageWait]));
  const [, cluster] = one(j, "azurerm_kubernetes_cluster");
  expect(cluster.depends_on).toEqual(expect.arrayContaining([sleepAfter(assignment("ClusterDiskEncryptionSetReader"))]));
});
