import { Testing } from "cdktf";
import { loadDeployment, readConfigFile, validateDeployment } from "../../config/load";
import type { Deployment } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { deploymentRoleDefinitionId } from "../../constructs/azure/deployment-roles";
import { AzureStack, DATA_CONTAINER } from "../../stacks/azure-stack";
import { synthesizedStacks } from "../support/deployments";

type Json = Record<string, Record<string, Record<string, unknown>>>;

const example = (): Deployment => loadDeployment(["--config", "examples/azure.yaml"], {});
/** The example with some fields replaced (validated like any config). */
const variant = (patch: (raw: Record<string, unknown>) => void): Deployment => {
  const raw = readConfigFile("examples/azure.yaml") as Record<string, unknown>;
  patch(raw);
  return validateDeployment(raw, "variant");
};
/** The example as a private cluster: the runner's network must then be an admin range (it reaches the API through the peering). */
const privateVariant = (patch: (raw: Record<string, unknown>) => void = () => {}): Deployment =>
  variant((raw) => {
    (raw.controlPlane as Record<string, unknown>).publicEndpoint = false;
    ((raw.azure as Record<string, unknown>).runnerNetwork as Record<string, unknown>).addressPrefixes = ["203.0.113.0/26"];
    patch(raw);
  });
const build = (d: Deployment) => new AzureStack(Testing.app(), `${d.name}-azure`, { deployment: deploymentOn("azure", d) });
const synth = (d: Deployment) => Testing.synth(build(d));
const resourcesOf = (d: Deployment): Json => JSON.parse(synth(d)).resource;
const values = (res: Json, type: string) => Object.values(res[type] ?? {});
/** Built and synthesized once per file, on first use: most tests read the example, none changes it. */
const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
};
const exampleStack = once(() => build(example()));
const exampleText = once(() => Testing.synth(exampleStack()));
const exampleResources = once((): Json => JSON.parse(exampleText()).resource);
const privateResources = once((): Json => resourcesOf(privateVariant()));

describe("AzureStack from examples/azure.yaml", () => {
  test("snapshot (review aid)", () => {
    expect(exampleText()).toMatchSnapshot();
  });

  test("is the cloud stack the deployment registry builds for cloud: azure (main.ts's synth of the example)", () => {
    // The jest run's one synth of examples/azure.yaml through main.ts (support/global-setup.ts).
    const shipped = synthesizedStacks("examples-azure")["contoso-prod-azure"] as { resource: Json } | undefined;
    expect(shipped).toBeDefined();
    const addresses = (res: Json) => Object.entries(res).flatMap(([type, byId]) => Object.keys(byId).map((id) => `${type}.${id}`)).sort();
    expect(addresses(exampleResources()).length).toBeGreaterThan(0);
    expect(addresses(shipped!.resource)).toEqual(addresses(exampleResources()));
  });

  test("synthesis is deterministic", () => {
    expect(synth(example())).toBe(exampleText());
  });

  test("provider: subscription and tenant from config, Entra ID for storage, protective features", () => {
    const provider = JSON.parse(exampleText()).provider.azurerm[0];
    expect(provider).toMatchObject({
      subscription_id: "00000000-0000-0000-0000-000000000000",
      tenant_id: "11111111-1111-1111-1111-111111111111",
      storage_use_azuread: true,
    });
    const f = provider.features[0];
    expect(f.key_vault[0]).toMatchObject({ purge_soft_delete_on_destroy: false, purge_soft_deleted_keys_on_destroy: false });
    expect(f.resource_group[0]).toEqual({ prevent_deletion_if_contains_resources: true });
  });

  test("every resource group carries the deployment's tags and name", () => {
    const groups = values(exampleResources(), "azurerm_resource_group");
    expect(groups.length).toBeGreaterThan(0);
    for (const rg of groups) {
      expect(rg.tags).toEqual({ project: "metadata-platform", environment: "production", deployment: "contoso-prod" });
    }
  });

  test("everything lives in the deployment's location and carries its tags", () => {
    const res = exampleResources();
    let located = 0;
    let tagged = 0;
    for (const [type, byId] of Object.entries(res)) {
      for (const r of Object.values(byId)) {
        if ("location" in r) { expect([type, r.location]).toEqual([type, "westeurope"]); located++; }
        if ("tags" in r) { expect([type, r.tags]).toEqual([type, expect.objectContaining({ deployment: "contoso-prod", project: "metadata-platform" })]); tagged++; }
      }
    }
    expect(located).toBeGreaterThan(15);
    expect(tagged).toBeGreaterThan(15);
  });

  test("only the data group is locked, CanNotDelete", () => {
    const locks = values(exampleResources(), "azurerm_management_lock");
    expect(locks).toHaveLength(1);
    expect(locks[0].lock_level).toBe("CanNotDelete");
    expect(String(locks[0].scope)).toMatch(/azurerm_resource_group\.DataGroup_/);
  });

  test("stateful resources are protected from destroy", () => {
    const res = exampleResources();
    for (const type of ["azurerm_storage_account", "azurerm_storage_container", "azurerm_key_vault", "azurerm_key_vault_key", "azurerm_kubernetes_cluster", "azurerm_log_analytics_workspace"]) {
      const list = values(res, type);
      expect(list.length).toBeGreaterThan(0);
      for (const r of list) expect([type, r.lifecycle]).toEqual([type, { prevent_destroy: true }]);
    }
  });

  test("no Key Vault secret, certificate or customer-managed key anywhere", () => {
    const res = exampleResources();
    expect(res.azurerm_key_vault_secret).toBeUndefined();
    expect(res.azurerm_key_vault_certificate).toBeUndefined();
    expect(res.azurerm_storage_account_customer_managed_key).toBeUndefined();
  });

  test("no admin kubeconfig, client key or password reaches the output", () => {
    expect(exampleText()).not.toMatch(/kube_admin_config|client_key|client_certificate|"password"/);
  });

  test("public control plane (the example): API server VNet-integrated in its subnet, authorized ranges exactly the admin CIDRs", () => {
    const res = exampleResources();
    const aks = values(res, "azurerm_kubernetes_cluster")[0];
    expect(aks.private_cluster_enabled).toBe(false);
    expect(aks.api_server_access_profile).toEqual({
      authorized_ip_ranges: ["203.0.113.0/24"],
      virtual_network_integration_enabled: true,
      subnet_id: expect.stringMatching(/^\$\{azurerm_subnet\.Network_ApiServerSubnet_[0-9A-F]+\.id\}$/),
    });
    expect(JSON.stringify(aks)).not.toMatch(/EgressIp/);
    const apiSubnet = values(res, "azurerm_subnet").find((x) => String(x.name).endsWith("-api-server"))!;
    expect(apiSubnet.address_prefixes).toEqual(["10.50.192.0/28"]);
    expect(apiSubnet.delegation).toEqual([expect.objectContaining({ service_delegation: expect.objectContaining({ name: "Microsoft.ContainerService/managedClusters" }) })]);
  });

  test("KMS etcd encryption with the key of the etcd vault, reached privately; the cluster identity may use that key only", () => {
    const res = exampleResources();
    const aks = values(res, "azurerm_kubernetes_cluster")[0];
    expect(aks.key_management_service).toEqual({
      key_vault_key_id: expect.stringMatching(/^\$\{azurerm_key_vault_key\.EtcdKeyVault_Key_[0-9A-F]+\.id\}$/),
      key_vault_network_access: "Private",
    });
    const clusterGrants = values(res, "azurerm_role_assignment").filter((g) => String(g.principal_id).includes("Cluster_Identity_"));
    expect(clusterGrants.map((g) => [g.role_definition_name, String(g.scope).replace(/_[0-9A-F]{8}\b/, "")]).sort()).toEqual([
      ["Key Vault Contributor", "${azurerm_key_vault.EtcdKeyVault.id}"],
      ["Key Vault Crypto User", "${azurerm_key_vault_key.EtcdKeyVault_Key.resource_versionless_id}"],
      ["Network Contributor", "${azurerm_resource_group.NetworkGroup.id}"],
      ["Network Contributor", "${azurerm_subnet.Network_ApiServerSubnet.id}"],
    ]);
  });

  test("two vaults, one key each: the unseal key (wrap/unwrap) and the etcd key (encrypt/decrypt)", () => {
    const res = exampleResources();
    expect(values(res, "azurerm_key_vault")).toHaveLength(2);
    expect(values(res, "azurerm_key_vault_key").map((k) => [k.name, k.key_opts, String(k.key_vault_id).replace(/_[0-9A-F]{8}\b/, "")])).toEqual([
      ["etcd-kms", ["encrypt", "decrypt"], "${azurerm_key_vault.EtcdKeyVault.id}"],
      ["vault-unseal", ["wrapKey", "unwrapKey"], "${azurerm_key_vault.UnsealVault.id}"],
    ]);
  });

  test("both vaults are closed to the public in the public endpoint mode too; Terraform reaches them from the runner's peered network", () => {
    const res = exampleResources();
    for (const kv of values(res, "azurerm_key_vault")) {
      expect(kv.public_network_access_enabled).toBe(false);
      expect(kv.network_acls).toEqual(expect.objectContaining({ default_action: "Deny", bypass: "None", ip_rules: [] }));
    }
    const peerings = values(res, "azurerm_virtual_network_peering");
    expect(peerings.map((p) => p.remote_virtual_network_id)).toEqual(expect.arrayContaining([
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/contoso-runners/providers/Microsoft.Network/virtualNetworks/contoso-runners",
      expect.stringMatching(/^\$\{azurerm_virtual_network\.Network_[0-9A-F]+\.id\}$/),
    ]));
    expect(peerings).toHaveLength(2);
    for (const p of peerings) expect(p).toMatchObject({ allow_forwarded_traffic: false, allow_gateway_transit: false, use_remote_gateways: false });
    expect(values(res, "azurerm_key_vault_key")).toHaveLength(2);
    for (const key of values(res, "azurerm_key_vault_key")) {
      expect(key.depends_on).toEqual(expect.arrayContaining([
        expect.stringMatching(/^azurerm_private_endpoint\./),
        expect.stringMatching(/^azurerm_virtual_network_peering\.RunnerNetwork_ToRunner_/),
        expect.stringMatching(/^azurerm_virtual_network_peering\.RunnerNetwork_FromRunner_/),
        expect.stringMatching(/^azurerm_private_dns_zone_virtual_network_link\.RunnerNetwork_DnsLink_/),
      ]));
    }
  });

  test("data account is private and reached through a blob private endpoint; the vault through a vault endpoint", () => {
    const res = exampleResources();
    const data = values(res, "azurerm_storage_account").find((a) => String(a.name).includes("dat"))!;
    expect(data.public_network_access_enabled).toBe(false);
    expect(data.shared_access_key_enabled).toBe(false);
    const endpoints = values(res, "azurerm_private_endpoint").map((e) => (e.private_service_connection as { subresource_names: string[] }).subresource_names[0]);
    expect(endpoints.sort()).toEqual(["blob", "vault", "vault"]);
    // One privatelink.vaultcore.azure.net zone serves both vault endpoints.
    expect(values(res, "azurerm_private_dns_zone").map((z) => z.name).sort()).toEqual(["privatelink.blob.core.windows.net", "privatelink.vaultcore.azure.net"]);
  });

  test("VNet flow logs to the flow-log account, with retention and traffic analytics", () => {
    const fl = values(exampleResources(), "azurerm_network_watcher_flow_log")[0];
    expect(fl).toMatchObject({ enabled: true, version: 2, retention_policy: { enabled: true, days: 90 }, network_watcher_name: "NetworkWatcher_westeurope", resource_group_name: "NetworkWatcherRG" });
    expect(String(fl.target_resource_id)).toMatch(/azurerm_virtual_network\.Network_/);
    expect(String(fl.storage_account_id)).toMatch(/azurerm_storage_account\.FlowLogStorage_/);
  });

  test("the flow-log account holds no container of ours and admits trusted Azure services only", () => {
    const res = exampleResources();
    const flow = values(res, "azurerm_storage_account").find((a) => String(a.name).includes("flo"))!;
    expect(flow).toMatchObject({ public_network_access_enabled: true, shared_access_key_enabled: true, network_rules: { default_action: "Deny", bypass: ["AzureServices"], ip_rules: [], virtual_network_subnet_ids: [] } });
    expect(values(res, "azurerm_storage_container").map((c) => c.name)).toEqual([DATA_CONTAINER]);
  });

  test("the backup identity may write the data container only; Vault's identity may unseal with the key only", () => {
    const grants = values(exampleResources(), "azurerm_role_assignment");
    const backup = grants.find((g) => g.role_definition_name === "Storage Blob Data Contributor")!;
    expect(String(backup.scope)).toMatch(/azurerm_storage_container\.DataStorage_DataContainer_/);
    expect(String(backup.principal_id)).toMatch(/azurerm_user_assigned_identity\.BackupIdentity_/);
    const unseal = grants.find((g) => g.role_definition_name === "Key Vault Crypto Service Encryption User")!;
    expect(String(unseal.scope)).toMatch(/azurerm_key_vault_key\.UnsealVault_UnsealKey_[0-9A-F]+\.resource_versionless_id/);
    expect(String(unseal.principal_id)).toMatch(/azurerm_user_assigned_identity\.VaultIdentity_/);
    expect(grants.map((g) => g.role_definition_name ?? "custom").sort()).toEqual([
      "Azure Kubernetes Service Cluster User Role", "Azure Kubernetes Service RBAC Cluster Admin",
      "Key Vault Contributor", "Key Vault Crypto Service Encryption User", "Key Vault Crypto User", "Key Vault Reader", "Key Vault Reader",
      "Network Contributor", "Network Contributor", "Storage Blob Data Contributor", "custom", "custom", "custom",
    ]);
  });

  test("the deploying identity is the one named in the config: the bootstrap's key-deployer role (by its fixed id) on each vault, cluster-admin on AKS, nothing read from the session", () => {
    const d = example();
    const res = exampleResources();
    const text = exampleText();
    expect(text).not.toContain("azurerm_client_config");
    const keyDeployer = deploymentRoleDefinitionId(d.azure!.subscriptionId, d.name, "keyDeployer");
    const deployer = values(res, "azurerm_role_assignment").filter((g) => g.principal_id === d.azure!.deployerObjectId);
    expect(deployer.map((g) => [String(g.role_definition_id ?? g.role_definition_name), String(g.scope).replace(/_[0-9A-F]{8}\b/, "")]).sort()).toEqual([
      [keyDeployer, "${azurerm_key_vault.EtcdKeyVault.id}"],
      [keyDeployer, "${azurerm_key_vault.UnsealVault.id}"],
      ["Azure Kubernetes Service RBAC Cluster Admin", "${azurerm_kubernetes_cluster.Cluster.id}"],
    ]);
    // The stack defines no role: the bootstrap does (the identity that applies this stack has no roleDefinitions/write).
    expect(res.azurerm_role_definition).toBeUndefined();
  });

  test("the plan identity gets what a plan reads, read-only: key metadata, the cluster's user credential, every Kubernetes object (the bootstrap's reader role)", () => {
    const d = example();
    const res = exampleResources();
    const plan = values(res, "azurerm_role_assignment").filter((g) => g.principal_id === d.azure!.planObjectId);
    expect(plan.map((g) => g.role_definition_name ?? g.role_definition_id).sort()).toEqual([
      "Azure Kubernetes Service Cluster User Role", "Key Vault Reader", "Key Vault Reader", deploymentRoleDefinitionId(d.azure!.subscriptionId, d.name, "clusterReader"),
    ].sort());
    // No plan identity configured: nothing is granted to one.
    const none = resourcesOf(variant((raw) => { delete (raw.azure as Record<string, unknown>).planObjectId; }));
    expect(values(none, "azurerm_role_assignment").filter((g) => g.role_definition_name === "Key Vault Reader")).toEqual([]);
  });

  test("federated credentials exist exactly for the contract's workload-identity subjects", () => {
    const subjects = values(exampleResources(), "azurerm_federated_identity_credential").map((c) => c.subject).sort();
    expect(subjects).toEqual([
      "system:serviceaccount:identity:postgresql",
      "system:serviceaccount:metadata:cassandra",
      "system:serviceaccount:metadata:elasticsearch",
      "system:serviceaccount:vault:vault",
    ]);
  });

  test("user node pools come from config", () => {
    const pools = values(exampleResources(), "azurerm_kubernetes_cluster_node_pool");
    expect(pools.map((p) => [p.name, p.vm_size, p.node_count, p.os_disk_size_gb])).toEqual([["general", "Standard_D8s_v5", 3, 100]]);
  });
});

describe("AzureStack contract (PlatformFoundation)", () => {
  const f = () => exampleStack().foundation;

  test("cloud and zones", () => {
    expect(f().cloud).toBe("azure");
    // The values nodes carry in topology.kubernetes.io/zone on AKS.
    expect(f().zones).toEqual(["westeurope-1", "westeurope-2", "westeurope-3"]);
  });
  test("cluster access by kubelogin exec for the configured tenant", () => {
    const c = f().cluster;
    expect(c.exec.command).toBe("kubelogin");
    expect(c.exec.args).toEqual(expect.arrayContaining(["get-token", "--login", "azurecli", "--tenant-id", "11111111-1111-1111-1111-111111111111"]));
    expect(c.exec.env).toBeUndefined();
  });
  test("encrypted volumes: Azure Disk CSI, zone-redundant premium managed disks, no SAS export", () => {
    expect(f().encryptedStorage).toEqual({
      provisioner: "disk.csi.azure.com",
      parameters: { skuName: "Premium_ZRS", kind: "managed", cachingMode: "ReadOnly", fsType: "ext4", networkAccessPolicy: "DenyAll" },
    });
  });
  test("object store: the data container of the private account, in the deployment's location", () => {
    const o = f().objectStore;
    expect(o).toMatchObject({ kind: "azure-blob", dataBucket: DATA_CONTAINER, region: "westeurope" });
    expect(o.accountName).toBeDefined();
  });
  test("workload identities bind by client id with the workload-identity pod label", () => {
    const bindings = Object.values(f().workloadIdentities);
    expect(bindings.length).toBeGreaterThan(0);
    for (const b of bindings) {
      expect(Object.keys(b.serviceAccountAnnotations)).toEqual(["azure.workload.identity/client-id"]);
      expect(b.podLabels).toEqual({ "azure.workload.identity/use": "true" });
    }
  });
  test("Vault seal: azurekeyvault with tenant, vault and key names, no credentials", () => {
    const s = f().vaultSeal;
    expect(s.type).toBe("azurekeyvault");
    expect(Object.keys(s.config).sort()).toEqual(["key_name", "tenant_id", "vault_name"]);
    expect(s.config.tenant_id).toBe("11111111-1111-1111-1111-111111111111");
  });
  test("load balancer: the static entry-point IP in the network group", () => {
    const a = f().loadBalancer.serviceAnnotations;
    expect(Object.keys(a)).toEqual(expect.arrayContaining(["service.beta.kubernetes.io/azure-pip-name", "service.beta.kubernetes.io/azure-load-balancer-resource-group"]));
  });
});

describe("AzureStack variants", () => {
  test("allowDestroy removes the lock and every prevent_destroy", () => {
    const res = resourcesOf(variant((raw) => { raw.dataProtection = { allowDestroy: true }; }));
    expect(res.azurerm_management_lock).toBeUndefined();
    for (const type of ["azurerm_storage_account", "azurerm_storage_container", "azurerm_key_vault", "azurerm_key_vault_key", "azurerm_kubernetes_cluster", "azurerm_log_analytics_workspace"]) {
      expect([type, values(res, type).length > 0]).toEqual([type, true]);
      for (const r of values(res, type)) expect([type, r.lifecycle]).toEqual([type, { prevent_destroy: false }]);
    }
  });
  test("private control plane: private cluster, VNet-integrated, no authorized ranges, both vaults closed to the public, the runner resolves the API's private name", () => {
    const res = privateResources();
    const aks = values(res, "azurerm_kubernetes_cluster")[0];
    expect(aks.private_cluster_enabled).toBe(true);
    expect(aks.private_cluster_public_fqdn_enabled).toBe(false);
    expect(aks.api_server_access_profile).toEqual({
      virtual_network_integration_enabled: true,
      subnet_id: expect.stringMatching(/^\$\{azurerm_subnet\.Network_ApiServerSubnet_[0-9A-F]+\.id\}$/),
    });
    expect(values(res, "azurerm_key_vault")).toHaveLength(2);
    for (const kv of values(res, "azurerm_key_vault")) {
      expect(kv.public_network_access_enabled).toBe(false);
      expect(kv.network_acls).toEqual(expect.objectContaining({ default_action: "Deny", ip_rules: [] }));
    }
    // The API name's zone is the deployment's own (AKS_FACTS.privateClusterCustomZone), linked to the runner's VNet.
    expect(aks.private_dns_zone_id).toBe("${azurerm_private_dns_zone.ClusterDnsZone.id}");
    const clusterLink = values(res, "azurerm_private_dns_zone_virtual_network_link").find((l) => l.private_dns_zone_name === "${azurerm_private_dns_zone.ClusterDnsZone.name}")!;
    expect(clusterLink).toMatchObject({ virtual_network_id: expect.stringContaining("/virtualNetworks/contoso-runners") });
    // A public cluster's name is public: no such zone, no such link.
    expect(JSON.stringify(exampleResources())).not.toContain("ClusterDnsZone");
  });
  test.each([true, false])("admins reach the API server subnet on 443 (public endpoint: %s), never the node subnet", (publicEndpoint) => {
    const res = publicEndpoint ? exampleResources() : privateResources();
    const adminRules = values(res, "azurerm_network_security_rule").filter((r) => JSON.stringify(r.source_address_prefixes) === JSON.stringify(["203.0.113.0/24"]));
    expect(adminRules).toHaveLength(1);
    expect(adminRules[0]).toMatchObject({ name: "AllowAdminsInbound", destination_address_prefix: "10.50.192.0/28", destination_port_range: "443" });
    expect(String(adminRules[0].network_security_group_name)).toMatch(/Network_ApiServerSecurityGroup_/);
  });
  test("entry-point source ranges from domain.allowedSourceCidrs narrow the NSG allow rules", () => {
    const res = resourcesOf(variant((raw) => { (raw.domain as Record<string, unknown>).allowedSourceCidrs = ["198.51.100.0/24"]; }));
    const allows = values(res, "azurerm_network_security_rule").filter((r) => String(r.name).startsWith("AllowEntryPoint"));
    expect(allows).toHaveLength(2);
    for (const r of allows) expect(r.source_address_prefixes).toEqual(["198.51.100.0/24"]);
  });
});
