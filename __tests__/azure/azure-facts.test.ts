import { Testing } from "cdktf";
import { loadDeployment, readConfigFile, validateDeployment } from "../../config/load";
import type { Deployment } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { AzureStack } from "../../stacks/azure-stack";
import { AKS_FACTS, AKS_KMS_FACTS, AKS_NODE_POOL_FACTS, KEY_VAULT_FACTS } from "../../constructs/azure/azure-facts";
import { KEY_DEPLOYER_DATA_ACTIONS } from "../../constructs/azure/single-key-vault";

// The synthesized Azure stack, for both endpoint modes, held against what AKS, Key Vault and the azurerm
// provider do (constructs/azure/azure-facts.ts, each fact with its source).

type Block = Record<string, unknown>;
type Json = { resource: Record<string, Record<string, Block>> };

const example = loadDeployment(["--config", "examples/azure.yaml"], {});
const privateMode = (() => {
  const raw = readConfigFile("examples/azure.yaml") as Record<string, Record<string, unknown>>;
  raw.controlPlane.publicEndpoint = false;
  (raw.azure.runnerNetwork as Record<string, unknown>).addressPrefixes = ["203.0.113.0/26"];
  return validateDeployment(raw, "private");
})();
const synth = (d: Deployment): Json => JSON.parse(Testing.synth(new AzureStack(Testing.app(), `${d.name}-azure`, { deployment: deploymentOn("azure", d) })));
const entries = (j: Json, type: string) => Object.entries(j.resource[type] ?? {});
const MODES: readonly [string, Deployment, Json][] = [["public endpoint", example, synth(example)], ["private cluster", privateMode, synth(privateMode)]];

/** Whether a role's action pattern (with `*`) covers an action. */
const covers = (pattern: string, action: string) => new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`, "i").test(action);

describe.each(MODES)("%s", (_mode, d, json) => {
  test("AKS KMS: the etcd vault is set exactly as the mode the cluster asks for requires (a supported combination)", () => {
    const [, cluster] = entries(json, "azurerm_kubernetes_cluster")[0];
    const kms = cluster.key_management_service as { key_vault_key_id: string; key_vault_network_access: keyof typeof AKS_KMS_FACTS.networkModes.value };
    const [etcdId, etcd] = entries(json, "azurerm_key_vault").find(([id]) => id.startsWith("EtcdKeyVault"))!;
    expect(kms.key_vault_key_id).toMatch(/azurerm_key_vault_key\.EtcdKeyVault_Key_/);
    const required = AKS_KMS_FACTS.networkModes.value[kms.key_vault_network_access];
    expect(kms.key_vault_network_access).toBe("Private");
    expect(etcd.public_network_access_enabled).toBe(required.publicNetworkAccess);
    // Private link to the vault exists; no "selected networks or IPs" firewall (unsupported with KMS).
    expect(entries(json, "azurerm_private_endpoint").some(([, e]) => String((e.private_service_connection as Block).private_connection_resource_id).includes(`azurerm_key_vault.${etcdId}.id`))).toBe(true);
    expect(AKS_KMS_FACTS.selectedNetworksUnsupported.value).toBe(true);
    expect(etcd.network_acls).toMatchObject({ ip_rules: [], virtual_network_subnet_ids: [] });
    // Private needs API Server VNet Integration.
    expect(cluster.api_server_access_profile).toMatchObject({ virtual_network_integration_enabled: true });
  });

  test("the keys are data-plane objects of private vaults: each waits for its endpoint, the runner's peering and the DNS link", () => {
    expect(KEY_VAULT_FACTS.keysAreDataPlane.value).toBe(true);
    const links = entries(json, "azurerm_private_dns_zone_virtual_network_link").filter(([, l]) => l.virtual_network_id === d.azure!.runnerNetwork.virtualNetworkId);
    const zone = entries(json, "azurerm_private_dns_zone").find(([, z]) => z.name === KEY_VAULT_FACTS.privateDnsZone.value)!;
    expect(links.some(([, l]) => String(l.private_dns_zone_name).includes(`azurerm_private_dns_zone.${zone[0]}.name`))).toBe(true);
    for (const [, key] of entries(json, "azurerm_key_vault_key")) {
      const deps = key.depends_on as string[];
      expect(deps.filter((x) => x.startsWith("azurerm_virtual_network_peering."))).toHaveLength(2);
      expect(deps.some((x) => x.startsWith("azurerm_private_endpoint."))).toBe(true);
      expect(deps.some((x) => x.startsWith("azurerm_private_dns_zone_virtual_network_link."))).toBe(true);
    }
  });

  test("every data-plane call a plan makes is allowed to the plan identity, on the object it reads, and to the deploying identity", () => {
    const plan = d.azure!.planObjectId!;
    const grants = entries(json, "azurerm_role_assignment").map(([, g]) => g);
    // Refreshing a key: Key Vault Reader on each vault.
    const vaults = entries(json, "azurerm_key_vault").map(([id]) => `\${azurerm_key_vault.${id}.id}`);
    for (const vault of vaults) {
      expect(grants.some((g) => g.principal_id === plan && g.scope === vault && g.role_definition_name === "Key Vault Reader")).toBe(true);
    }
    for (const action of KEY_VAULT_FACTS.refreshDataActions.value) {
      expect(KEY_VAULT_FACTS.keyVaultReaderDataActions.value.some((p) => covers(p, action))).toBe(true);
      expect(KEY_DEPLOYER_DATA_ACTIONS.some((p) => covers(p, action))).toBe(true);
    }
    // Reading the cluster lists its user credential: the Cluster User role on the cluster.
    const [clusterId] = entries(json, "azurerm_kubernetes_cluster")[0];
    const user = grants.find((g) => g.principal_id === plan && g.role_definition_name === AKS_FACTS.clusterUserRole.value.name)!;
    expect(user.scope).toBe(`\${azurerm_kubernetes_cluster.${clusterId}.id}`);
    expect(AKS_FACTS.clusterUserRole.value.actions).toContain(AKS_FACTS.readListsUserCredential.value);
  });

  test("a node size change cycles the pool through a temporary pool (capacity never zero), on every pool", () => {
    expect(AKS_NODE_POOL_FACTS.cycledProperties.value).toEqual(expect.arrayContaining(["vm_size", "os_disk_size_gb"]));
    const [, cluster] = entries(json, "azurerm_kubernetes_cluster")[0];
    const pools = [cluster.default_node_pool as Block, ...entries(json, "azurerm_kubernetes_cluster_node_pool").map(([, p]) => p)];
    for (const pool of pools) {
      expect(pool.temporary_name_for_rotation).toMatch(/^[a-z][a-z0-9]{0,11}$/);
      expect(pool.temporary_name_for_rotation).not.toBe(pool.name);
    }
    expect(AKS_NODE_POOL_FACTS.deleteRespectsPdb.value).toBe(true);
  });
});
