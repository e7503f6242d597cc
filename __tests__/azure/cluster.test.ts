import { TerraformOutput, Testing } from "cdktf";
import { AksCluster, AksClusterProps, AKS_SERVER_APP_ID, CONTROL_PLANE_LOGS } from "../../constructs/azure/aks-cluster";
import { ControlPlaneAccess } from "../../platform/control-plane-access";
import type { ClusterAccess } from "../../platform/platform-foundation";
import { KubernetesCluster } from "@cdktf/provider-azurerm/lib/kubernetes-cluster";
import { KubernetesClusterNodePool } from "@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { EtcdEncryptionKey } from "../../constructs/azure/etcd-encryption-key";
import { CONTAINER_INSIGHTS } from "../../constructs/azure/container-insights";
import type { Construct } from "constructs";
import { onlyResource, type TfJson } from "../support/helpers";
import { AZURE_RBAC_PROPAGATION } from "../../constructs/azure/role-propagation";

/** Every prop but the etcd key, which is a construct built in the test's scope. */
type Props = Omit<AksClusterProps, "etcdEncryptionKey">;
const base: Props = {
  name: "acme",
  location: "westeurope",
  resourceGroupName: "acme-cluster",
  tenantId: "tenant",
  adminGroupObjectIds: ["admins"],
  access: ControlPlaneAccess.PRIVATE,
  privateDnsZoneId: "/subscriptions/s/resourceGroups/acme-network/providers/Microsoft.Network/privateDnsZones/acme.privatelink.westeurope.azmk8s.io",
  nodeSubnetId: "nodes-subnet",
  apiServerSubnetId: "api-server-subnet",
  networkResourceGroupId: "network-rg",
  podCidr: "10.244.0.0/16",
  serviceCidr: "172.21.0.0/16",
  nodePools: [{ name: "general", vmSize: "Standard_D4s_v5", count: 3 }],
};
const etcdKey = (s: Construct) =>
  new EtcdEncryptionKey(s, "EtcdKeyVault", { name: "acme-etc-000000", location: "westeurope", resourceGroupName: "acme-data", tenantId: "tenant", deployerObjectId: "33333333-3333-3333-3333-333333333333", deployerRoleDefinitionId: "deployer-role-id" });
const build = (s: Construct, props: Partial<Props> = {}) => new AksCluster(s, "Cluster", { ...base, etcdEncryptionKey: etcdKey(s), ...props });
const synth = (props: Partial<Props> = {}) => Testing.synthScope((s) => { build(s, props); });
const parsed = (props: Partial<Props> = {}) => JSON.parse(synth(props)) as TfJson;
const cluster = (props: Partial<Props> = {}) => onlyResource(parsed(props), "azurerm_kubernetes_cluster");

describe("AksCluster control-plane access", () => {
  test("private: private cluster, no public FQDN, no authorized ranges, API server in its subnet", () => {
    expect(synth()).toHaveResourceWithProperties(KubernetesCluster, {
      private_cluster_enabled: true,
      private_cluster_public_fqdn_enabled: false,
      private_dns_zone_id: base.privateDnsZoneId,
    });
    expect(cluster().api_server_access_profile).toEqual({ virtual_network_integration_enabled: true, subnet_id: "api-server-subnet" });
  });
  test("private: never AKS's own zone (`System`, in a node resource group no role can be assigned on before the cluster); without a zone of its own it is refused", () => {
    expect(JSON.stringify(cluster())).not.toContain('"System"');
    expect(() => synth({ privateDnsZoneId: undefined })).toThrow(/a private cluster needs privateDnsZoneId/);
  });
  test("private: the admin CIDRs of a private access render no authorized ranges (the stack passes them either way)", () => {
    const c = cluster({ access: ControlPlaneAccess.privateFrom(["203.0.113.0/24"]) });
    expect(c.private_cluster_enabled).toBe(true);
    expect(c.api_server_access_profile).toEqual({ virtual_network_integration_enabled: true, subnet_id: "api-server-subnet" });
  });
  test("API Server VNet Integration is on, in the given subnet, public or private", () => {
    for (const access of [ControlPlaneAccess.PRIVATE, ControlPlaneAccess.publicFrom(["203.0.113.0/24"])]) {
      expect(cluster({ access }).api_server_access_profile).toEqual(
        expect.objectContaining({ virtual_network_integration_enabled: true, subnet_id: "api-server-subnet" }),
      );
    }
  });
  test("public: the authorized ranges are exactly the admin CIDRs (nodes reach the API server inside the VNet)", () => {
    const c = cluster({ access: ControlPlaneAccess.publicFrom(["203.0.113.0/24", "198.51.100.0/24"]) });
    expect(c.private_cluster_enabled).toBe(false);
    expect(c.api_server_access_profile).toEqual({
      authorized_ip_ranges: ["203.0.113.0/24", "198.51.100.0/24"],
      virtual_network_integration_enabled: true,
      subnet_id: "api-server-subnet",
    });
  });
  test("the control-plane identity is Network Contributor on the API server subnet", () => {
    expect(synth()).toHaveResourceWithProperties(RoleAssignment, { role_definition_name: "Network Contributor", scope: "api-server-subnet", principal_type: "ServicePrincipal" });
  });
  test("run command (which bypasses the network restriction) is off", () => {
    expect(synth()).toHaveResourceWithProperties(KubernetesCluster, { run_command_enabled: false });
  });
});

describe("AksCluster identity and authentication", () => {
  test("Entra ID with Azure RBAC, admin groups from config, local accounts disabled", () => {
    expect(synth()).toHaveResourceWithProperties(KubernetesCluster, {
      local_account_disabled: true,
      role_based_access_control_enabled: true,
      azure_active_directory_role_based_access_control: expect.objectContaining({ azure_rbac_enabled: true, tenant_id: "tenant", admin_group_object_ids: ["admins"] }),
    });
  });
  test("OIDC issuer and workload identity on", () => {
    expect(synth()).toHaveResourceWithProperties(KubernetesCluster, { oidc_issuer_enabled: true, workload_identity_enabled: true });
  });
  test("control plane runs as a user-assigned identity with Network Contributor on the network group only", () => {
    const out = synth();
    expect(out).toHaveResourceWithProperties(KubernetesCluster, {
      identity: expect.objectContaining({ type: "UserAssigned", identity_ids: [expect.stringMatching(/azurerm_user_assigned_identity\.Cluster_Identity_/)] }),
    });
    expect(out).toHaveResourceWithProperties(RoleAssignment, { role_definition_name: "Network Contributor", scope: "network-rg" });
  });
});

describe("AksCluster network", () => {
  test("Azure CNI overlay with Cilium network policy, ranges from config, DNS at the 10th service address", () => {
    expect(synth()).toHaveResourceWithProperties(KubernetesCluster, {
      network_profile: expect.objectContaining({
        network_plugin: "azure",
        network_plugin_mode: "overlay",
        network_data_plane: "cilium",
        network_policy: "cilium",
        pod_cidr: "10.244.0.0/16",
        service_cidr: "172.21.0.0/16",
        dns_service_ip: "172.21.0.10",
      }),
    });
  });
  test("egress only through the user-assigned NAT gateway, Standard load balancer", () => {
    expect(synth()).toHaveResourceWithProperties(KubernetesCluster, {
      network_profile: expect.objectContaining({ outbound_type: "userAssignedNATGateway", load_balancer_sku: "standard" }),
    });
  });
  test("the cluster waits for its role assignments (network, API server subnet, etcd key) to take effect, not only to exist (AZURE_RBAC_PROPAGATION)", () => {
    const c = cluster({ dependsOn: [] });
    expect(c.depends_on).toEqual([expect.stringMatching(/^time_sleep\.Cluster_IdentityGrantsPropagated_/)]);
    const tf = JSON.parse(synth()) as { resource: Record<string, Record<string, { depends_on?: string[]; create_duration?: string; triggers?: Record<string, string> }>> };
    const sleep = Object.entries(tf.resource.time_sleep).find(([k]) => k.startsWith("Cluster_IdentityGrantsPropagated_"))![1];
    expect(sleep.depends_on).toEqual([
      expect.stringMatching(/^azurerm_role_assignment\.Cluster_IdentityNetworkContributor_/),
      expect.stringMatching(/^azurerm_role_assignment\.Cluster_IdentityApiServerSubnetNetworkContributor_/),
      expect.stringMatching(/^azurerm_role_assignment\.Cluster_IdentityEtcdKeyCryptoUser_/),
      expect.stringMatching(/^azurerm_role_assignment\.Cluster_IdentityEtcdKeyPrivateLink_/),
    ]);
    expect(sleep.create_duration).toBe(AZURE_RBAC_PROPAGATION.value.wait);
    expect(Object.keys(sleep.triggers ?? {})).toHaveLength(4);
  });
});

describe("AksCluster nodes", () => {
  test("system pool: critical add-ons only, 3 zones, private subnet, no public IPs, encryption at host, managed OS disk", () => {
    expect(synth()).toHaveResourceWithProperties(KubernetesCluster, {
      default_node_pool: expect.objectContaining({
        name: "system",
        only_critical_addons_enabled: true,
        vnet_subnet_id: "nodes-subnet",
        node_public_ip_enabled: false,
        host_encryption_enabled: true,
        os_disk_type: "Managed",
        zones: ["1", "2", "3"],
        node_count: 3,
      }),
    });
  });
  test("user pools from config: size, count, disk, and the same node guarantees", () => {
    const out = synth({ nodePools: [{ name: "general", vmSize: "Standard_D8s_v5", count: 4, diskSizeGiB: 200 }] });
    expect(out).toHaveResourceWithProperties(KubernetesClusterNodePool, {
      name: "general",
      mode: "User",
      vm_size: "Standard_D8s_v5",
      node_count: 4,
      os_disk_size_gb: 200,
      vnet_subnet_id: "nodes-subnet",
      node_public_ip_enabled: false,
      host_encryption_enabled: true,
      os_disk_type: "Managed",
      zones: ["1", "2", "3"],
      orchestrator_version: "1.34",
    });
  });
  test("a user pool named like the system pool is refused with the fix", () => {
    expect(() => synth({ nodePools: [{ name: "system", vmSize: "x", count: 3 }] })).toThrow(/reserved for AKS's system pool; rename/);
  });
});

describe("AksCluster operations", () => {
  test("pinned version, automatic patch and node-image upgrades, Standard tier", () => {
    expect(synth()).toHaveResourceWithProperties(KubernetesCluster, {
      kubernetes_version: "1.34",
      automatic_upgrade_channel: "patch",
      node_os_upgrade_channel: "NodeImage",
      sku_tier: "Standard",
    });
  });
  test("Azure Disk CSI on (the encrypted StorageClass's driver)", () => {
    expect(synth()).toHaveResourceWithProperties(KubernetesCluster, { storage_profile: expect.objectContaining({ disk_driver_enabled: true }) });
  });
  test("control-plane logs (API server, admin audit, Entra guard, ...) go to Log Analytics", () => {
    const out = synth({ logWorkspaceId: "law" });
    expect(out).toHaveResourceWithProperties(MonitorDiagnosticSetting, {
      log_analytics_workspace_id: "law",
      enabled_log: CONTROL_PLANE_LOGS.map((category) => ({ category })),
    });
    expect(CONTROL_PLANE_LOGS).toEqual(expect.arrayContaining(["kube-apiserver", "kube-audit-admin", "guard"]));
  });
  test("Container Insights by managed identity, its data collection rule associated with the cluster, and the Azure Policy add-on, on by default", () => {
    const out = synth({ logWorkspaceId: "law" });
    expect(out).toHaveResourceWithProperties(KubernetesCluster, {
      azure_policy_enabled: true,
      oms_agent: { log_analytics_workspace_id: "law", msi_auth_for_monitoring_enabled: true },
    });
    const doc = JSON.parse(out);
    const [rule] = Object.values(doc.resource.azurerm_monitor_data_collection_rule as Record<string, Record<string, any>>); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(rule.destinations.log_analytics).toEqual([{ name: "workspace", workspace_resource_id: "law" }]);
    expect(rule.data_sources.extension[0]).toMatchObject({ extension_name: CONTAINER_INSIGHTS.extensionName, streams: expect.arrayContaining(["Microsoft-ContainerLogV2"]) });
    expect(rule.data_flow).toEqual([{ streams: [...CONTAINER_INSIGHTS.streams], destinations: ["workspace"] }]);
    const [assoc] = Object.values(doc.resource.azurerm_monitor_data_collection_rule_association as Record<string, Record<string, string>>);
    expect(assoc).toMatchObject({ name: "ContainerInsightsExtension", target_resource_id: expect.stringContaining("azurerm_kubernetes_cluster.") });
    expect(synth()).toHaveResourceWithProperties(KubernetesCluster, { azure_policy_enabled: true });
  });
  test("Cilium FQDN policies (Advanced Container Networking Services security) are on: the pods' egress allow-lists need them", () => {
    expect(synth()).toHaveResourceWithProperties(KubernetesCluster, {
      network_profile: expect.objectContaining({ network_policy: "cilium", advanced_networking: { security_enabled: true, observability_enabled: false } }),
    });
  });
  test("protected from destroy unless allowDestroy", () => {
    expect(cluster().lifecycle).toEqual({ prevent_destroy: true });
    expect(cluster({ allowDestroy: true }).lifecycle).toEqual({ prevent_destroy: false });
  });
});

describe("AksCluster.access", () => {
  test("exec through kubelogin with the operator's Azure CLI login; host and CA from the user kubeconfig", () => {
    let access: ClusterAccess | undefined;
    Testing.synthScope((s) => { access = build(s).access; });
    expect(access!.exec).toEqual({
      apiVersion: "client.authentication.k8s.io/v1beta1",
      command: "kubelogin",
      args: ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_APP_ID, "--environment", "AzurePublicCloud", "--tenant-id", "tenant"],
    });
    expect(AKS_SERVER_APP_ID).toBe("6dae42f8-4368-4678-94ff-3960e28e3630");
    // Tokens: they resolve to kube_config (never kube_admin_config) attributes.
    const resolved = JSON.stringify(Testing.synthScope((s) => {
      const a = build(s).access;
      new TerraformOutput(s, "Host", { value: a.host });
      new TerraformOutput(s, "Ca", { value: a.caCertificatePem });
    }));
    expect(resolved).toContain("kube_config[0].host");
    expect(resolved).toContain("base64decode(");
    expect(resolved).not.toContain("kube_admin_config");
    expect(resolved).not.toMatch(/client_key|client_certificate|password/);
  });
});

describe("AksCluster KMS etcd encryption", () => {
  test("Secrets are encrypted with the etcd key (versioned id), reached privately", () => {
    expect(cluster().key_management_service).toEqual({
      key_vault_key_id: expect.stringMatching(/^\$\{azurerm_key_vault_key\.EtcdKeyVault_Key_[0-9A-F]+\.id\}$/),
      key_vault_network_access: "Private",
    });
  });
  test("the cluster identity gets Key Vault Crypto User on the key only, and the private-link role on that vault only", () => {
    const grants = Object.values(parsed().resource.azurerm_role_assignment).filter((r) => String(r.principal_id).includes("Cluster_Identity") && String(r.scope).includes("EtcdKeyVault"));
    expect(grants.map((g) => [g.role_definition_name, g.scope])).toEqual([
      ["Key Vault Crypto User", expect.stringMatching(/^\$\{azurerm_key_vault_key\.EtcdKeyVault_Key_[0-9A-F]+\.resource_versionless_id\}$/)],
      ["Key Vault Contributor", expect.stringMatching(/^\$\{azurerm_key_vault\.EtcdKeyVault_[0-9A-F]+\.id\}$/)],
    ]);
    for (const g of grants) expect(g.principal_id).toMatch(/^\$\{azurerm_user_assigned_identity\.Cluster_Identity_[0-9A-F]+\.principal_id\}$/);
  });
});
