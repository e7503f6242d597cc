/**
 * What the Azure layer relies on from AKS, Key Vault, Entra ID and the azurerm provider (4.55), written
 * down with where it is stated. No azurerm plugin runs here, so these are the rules the synthesized Azure
 * stack is held against (__tests__/azure/azure-facts.test.ts).
 */

import { AKS_CMK_MIN_KUBERNETES_MINOR } from "../../config/cloud-facts";

/** A rule and where it is written. */
export interface Fact<T> {
  readonly value: T;
  readonly source: string;
}

/** AKS KMS etcd encryption and the network access of its key vault. */
export const AKS_KMS_FACTS = {
  /** What each `key_vault_network_access` mode requires of the vault. */
  networkModes: {
    value: {
      Public: { publicNetworkAccess: true, firewallDefaultAction: "Allow" },
      Private: { publicNetworkAccess: false, privateLink: true },
    },
    source:
      "ARM ManagedClusterSecurityProfileKeyVaultKms.keyVaultNetworkAccess: 'Public means the key vault allows public access from all networks. " +
      "Private means the key vault disables public access and enables private link' (https://learn.microsoft.com/dotnet/api/azure.resourcemanager.containerservice.models.managedclustersecurityprofilekeyvaultkms.keyvaultnetworkaccess)",
  },
  /** A vault firewall that admits selected networks or IPs is not supported with KMS. */
  selectedNetworksUnsupported: {
    value: true,
    source: "Microsoft Learn, 'Add KMS etcd encryption to an AKS cluster', Limitations (https://learn.microsoft.com/azure/aks/use-kms-etcd-encryption)",
  },
  /** A private key vault needs API Server VNet Integration (Konnectivity is no longer supported for it). */
  privateNeedsVnetIntegration: {
    value: true,
    source: "same page, Limitations and the Konnectivity warning",
  },
  /** The mode cannot change while KMS is on: switching means disabling KMS and enabling it again. */
  modeFixedWhileEnabled: {
    value: true,
    source: "same page, Limitations",
  },
} as const;

/** Key Vault's data plane: what creating and refreshing a key takes. */
export const KEY_VAULT_FACTS = {
  /** Creating, reading and updating a key are data-plane calls to https://<vault>.vault.azure.net, subject to the vault's network rules. */
  keysAreDataPlane: {
    value: true,
    source: "Microsoft Learn, 'Azure Key Vault security: network security' and 'Configure Azure Key Vault networking settings' (https://learn.microsoft.com/azure/key-vault/general/network-security)",
  },
  /** A private endpoint is reached by the vault's usual name only where privatelink.vaultcore.azure.net is linked to the caller's VNet. */
  privateDnsZone: {
    value: "privatelink.vaultcore.azure.net",
    source: "Microsoft Learn, 'Azure Private Endpoint private DNS zone values' (https://learn.microsoft.com/azure/private-link/private-endpoint-dns)",
  },
  /** What Terraform reads on every plan of an azurerm_key_vault_key: the key and its rotation policy. */
  refreshDataActions: {
    value: ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keyrotationpolicies/read"],
    source: "hashicorp/terraform-provider-azurerm internal/services/keyvault/key_vault_key_resource.go (read: GetKey, GetKeyRotationPolicy)",
  },
  /** The built-in Key Vault Reader role's data actions: metadata of keys, secrets and certificates, no key material. */
  keyVaultReaderDataActions: {
    value: ["Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"],
    source: "Microsoft Learn, 'Azure built-in roles for Security: Key Vault Reader' (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security#key-vault-reader)",
  },
} as const;

/** AKS: what a plan reads and what the API server needs from the network. */
export const AKS_FACTS = {
  /** Reading azurerm_kubernetes_cluster (every plan once it exists) lists the cluster's user credentials. */
  readListsUserCredential: {
    value: "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
    source: "hashicorp/terraform-provider-azurerm internal/services/containers/kubernetes_cluster_resource.go, resourceKubernetesClusterRead: client.ListClusterUserCredentials",
  },
  /** The built-in role that allows exactly that (and reading the cluster). */
  clusterUserRole: {
    value: { name: "Azure Kubernetes Service Cluster User Role", actions: ["Microsoft.ContainerService/managedClusters/listClusterUserCredential/action", "Microsoft.ContainerService/managedClusters/read"] },
    source: "Microsoft Learn, 'Azure built-in roles for Containers' (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/containers#azure-kubernetes-service-cluster-user-role)",
  },
  /** The built-in role that lets an Entra identity administer the cluster through Azure RBAC. */
  rbacClusterAdminRole: {
    value: "Azure Kubernetes Service RBAC Cluster Admin",
    source: "same page, 'Azure Kubernetes Service RBAC Cluster Admin' (dataActions Microsoft.ContainerService/managedClusters/*)",
  },
  /** API Server VNet Integration: the nodes reach the API server's internal load balancer on TCP 443 and 4443. */
  apiServerSubnetPorts: {
    value: [443, 4443],
    source: "Microsoft Learn, 'API Server VNet Integration', Network security groups (https://learn.microsoft.com/azure/aks/api-server-vnet-integration)",
  },
  /** A private cluster's API name resolves only in VNets linked to its private DNS zone: a peered VNet needs a link of its own. */
  privateClusterPeeredDns: {
    value: true,
    source: "Microsoft Learn, 'Create a private AKS cluster', Virtual network peering / Hub and spoke with custom DNS (https://learn.microsoft.com/azure/aks/private-clusters)",
  },
  /**
   * A private cluster may use a private DNS zone of the caller's, named `privatelink.<region>.azmk8s.io` or
   * `<subzone>.privatelink.<region>.azmk8s.io`, given by resource id; its control-plane identity (user-assigned) needs
   * Private DNS Zone Contributor on the zone and Network Contributor on the VNet (Network Contributor's `Microsoft.Network/*`
   * holds both). With `System` AKS creates the zone in the node resource group, which does not exist before the cluster
   * (AKS refuses an existing node resource group), so no role can be assigned on it beforehand.
   */
  privateClusterCustomZone: {
    value: { suffix: (region: string) => `privatelink.${region}.azmk8s.io` },
    source:
      "Microsoft Learn, 'Create a private AKS cluster', Configure a private DNS zone: 'CUSTOM_PRIVATE_DNS_ZONE_RESOURCE_ID ... privatelink.<region>.azmk8s.io " +
      "or <subzone>.privatelink.<region>.azmk8s.io' (https://learn.microsoft.com/azure/aks/private-clusters); Azure/AKS#2477 (the subzone form, 'private dns zone contributor " +
      "and network contributor roles'); built-in Network Contributor: actions Microsoft.Network/* (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/networking#network-contributor); " +
      "azurerm kubernetes_cluster private_dns_zone_id: 'Either the ID of Private DNS Zone which should be delegated to this Cluster, System to have AKS manage this or None' (ForceNew); " +
      "with dns_prefix the API name is `<dns-prefix>-<random-hash>.<zone>` (hashicorp/terraform-provider-azurerm#11321; #10193 shows dns_prefix with a custom zone)",
  },
  /** With Cilium, ipBlock rules never select the API server: its addresses carry Cilium's kube-apiserver identity. */
  ciliumApiServerIdentity: {
    value: "kube-apiserver",
    source:
      "Microsoft Learn, 'Azure CNI Powered by Cilium', Limitations: 'Network policies cannot use ipBlock to allow access to node or pod IPs' " +
      "(https://learn.microsoft.com/azure/aks/azure-cni-powered-by-cilium); Cilium docs 'Entities based' policy, kube-apiserver entity; cilium/cilium#20550",
  },
} as const;

/** What changing a node pool does (azurerm 4.x). */
export const AKS_NODE_POOL_FACTS = {
  /** These changes cycle the pool through `temporary_name_for_rotation`: a temporary pool with the new settings first, then the original is replaced. */
  cycledProperties: {
    value: ["vm_size", "os_disk_size_gb", "os_disk_type", "zones", "vnet_subnet_id", "host_encryption_enabled", "kubelet_config", "max_pods"],
    source:
      "hashicorp/terraform-provider-azurerm internal/services/containers/kubernetes_cluster_node_pool_resource.go, update: cycleNodePoolProperties " +
      "(and kubernetes_cluster_resource.go for default_node_pool.0.*); docs r/kubernetes_cluster_node_pool temporary_name_for_rotation",
  },
  /** Deleting a node pool drains its nodes respecting PodDisruptionBudgets unless told to ignore them. */
  deleteRespectsPdb: {
    value: true,
    source: "Azure CLI reference 'az aks nodepool delete --ignore-pod-disruption-budget' (default false); Microsoft Learn 'Manage node pools', Delete a node pool",
  },
} as const;

/** The GitHub Actions side of Azure's OIDC login. */
export const AZURE_CI_FACTS = {
  /** `az login --federated-token` cannot renew itself: the GitHub token lives 10 minutes, the CLI's access token about an hour. */
  cliSessionEndsAfterAboutAnHour: {
    value: { githubTokenMinutes: 10, accessTokenMinutes: 60 },
    source: "Azure/azure-cli#28708 and Azure/login#180 (AADSTS700024: Client assertion is not within its valid time range)",
  },
  /** The audience Entra ID expects in a GitHub token exchanged for a federated credential. */
  federatedAudience: {
    value: "api://AzureADTokenExchange",
    source: "Microsoft Learn, 'Configure an app to trust an external identity provider' (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust)",
  },
} as const;

/**
 * The entry point Service's annotations read by AKS's service controller (kubernetes-sigs/cloud-provider-azure),
 * and what a Private Link Service needs from its subnet.
 */
export const AKS_LOAD_BALANCER_FACTS = {
  /** An internal load balancer, with its frontend in the named subnet of the cluster's VNet. */
  internalAnnotations: {
    value: { internal: "service.beta.kubernetes.io/azure-load-balancer-internal", subnet: "service.beta.kubernetes.io/azure-load-balancer-internal-subnet" },
    source:
      "kubernetes-sigs/cloud-provider-azure pkg/consts/consts.go (ServiceAnnotationLoadBalancerInternal, ServiceAnnotationLoadBalancerInternalSubnet); " +
      "https://learn.microsoft.com/azure/aks/internal-lb",
  },
  /**
   * The load balancer frontend's IPv4 address, set by annotation (spec.loadBalancerIP is deprecated since Kubernetes
   * 1.24); for an internal load balancer a private address of its subnet that no other resource holds.
   */
  staticAddressAnnotation: {
    value: "service.beta.kubernetes.io/azure-load-balancer-ipv4",
    source:
      "kubernetes-sigs/cloud-provider-azure pkg/consts/consts.go (ServiceAnnotationLoadBalancerIPDualStack[IPv4]); " +
      "https://kubernetes-sigs.github.io/cloud-provider-azure/topics/loadbalancer (LoadBalancer annotations); " +
      "https://learn.microsoft.com/azure/aks/internal-lb#specify-an-ip-address ('must be in the same subnet as the AKS cluster ... must not already be assigned to a resource'; " +
      "with azure-load-balancer-internal-subnet, an address of that subnet)",
  },
  /** A Private Link Service on the internal load balancer's frontend, created and deleted with the Service by the controller. */
  privateLinkAnnotations: {
    value: {
      create: "service.beta.kubernetes.io/azure-pls-create",
      name: "service.beta.kubernetes.io/azure-pls-name",
      resourceGroup: "service.beta.kubernetes.io/azure-pls-resource-group",
      subnet: "service.beta.kubernetes.io/azure-pls-ip-configuration-subnet",
      // A space-separated list of subscription ids that may see (and request connections to) the service.
      visibility: "service.beta.kubernetes.io/azure-pls-visibility",
    },
    source:
      "kubernetes-sigs/cloud-provider-azure pkg/consts/consts.go, 'private link service' (ServiceAnnotationPLSCreation, ServiceAnnotationPLSName, " +
      "ServiceAnnotationPLSResourceGroup, ServiceAnnotationPLSIpConfigurationSubnet, ServiceAnnotationPLSVisibility: space separated subscription ids; " +
      "ServiceAnnotationPLSAutoApproval only works with visibility \"*\", so it is not used); https://learn.microsoft.com/azure/aks/internal-lb#create-a-private-link-service-connection",
  },
  /** A Private Link Service takes its NAT addresses from a subnet whose private link service network policies are disabled. */
  privateLinkSubnetPoliciesDisabled: {
    value: true,
    source: "https://learn.microsoft.com/azure/private-link/disable-private-link-service-network-policy",
  },
} as const;

/**
 * Customer-managed keys (encryption.keys: customer-managed): what disk encryption sets, AKS and Azure Storage need
 * of the key, its vault and the identities, and why Log Analytics stays on Microsoft-managed keys.
 */
export const AZURE_CMK_FACTS = {
  /** Both read the key from Azure's side (not from the VNet): a closed vault must let trusted Microsoft services through. */
  trustedServices: {
    value: ["Azure Disk Storage", "Azure Storage"],
    source:
      "Microsoft Learn, 'Virtual network service endpoints for Azure Key Vault', Trusted services: 'Azure Disk Storage: When configured with a Disk Encryption Set (DES)' " +
      "and 'Azure Storage: Storage Service Encryption using customer-managed keys in Azure Key Vault' (https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints#trusted-services; " +
      "MicrosoftDocs/azure-docs articles/key-vault/general/overview-vnet-service-endpoints.md)",
  },
  /** The vault setting that admits them and nothing else: firewall on, default Deny, the trusted-services exception. */
  trustedServicesFirewall: {
    value: { publicNetworkAccess: true, defaultAction: "Deny", bypass: "AzureServices" },
    source:
      "Microsoft Learn, 'Configure Azure Key Vault firewalls and virtual networks', 'Key Vault Firewall Enabled (Trusted Services Only)' " +
      "(https://learn.microsoft.com/azure/key-vault/general/network-security); azurerm r/key_vault network_acls.bypass 'AzureServices'",
  },
  /** The built-in role with get, wrapKey and unwrapKey on keys: what a disk encryption set's and a storage account's identity use. */
  keyUseRole: {
    value: "Key Vault Crypto Service Encryption User",
    source:
      "azurerm docs r/disk_encryption_set: 'A KeyVault ... using rbac_authorization_enabled requires to use azurerm_role_assignment to assign the role Key Vault Crypto Service Encryption User to this Disk Encryption Set'; " +
      "Microsoft Learn, 'Customer-managed keys for Azure Storage encryption' (the storage account's managed identity needs get, wrapKey, unwrapKey)",
  },
  /** Both need soft delete and purge protection on the key's vault. */
  purgeProtectionRequired: {
    value: true,
    source: "Microsoft Learn, 'Bring your own keys (BYOK) with Azure managed disks in AKS', Prerequisites (https://learn.microsoft.com/azure/aks/azure-disk-customer-managed-keys); same for Azure Storage CMK",
  },
  /** The role the AKS cluster identity needs on the disk encryption set: read (OS disks, and data disks of the same set). */
  clusterRoleOnDiskEncryptionSet: {
    value: "Reader",
    source:
      "Microsoft Learn, 'Bring your own keys (BYOK) with Azure managed disks in AKS': 'Make sure ... the AKS cluster identity has read access to the DiskEncryptionSet'; " +
      "the Contributor step of 'Encrypt your AKS cluster data disk' is only 'if you want to encrypt data disks with a different disk encryption set' than the cluster's " +
      "(MicrosoftDocs/azure-aks-docs articles/aks/azure-disk-customer-managed-keys.md)",
  },
  /** OS disks take a customer-managed key only when the cluster is created; azurerm replaces the cluster to change it. */
  osDiskKeyAtCreationOnly: {
    value: { attribute: "disk_encryption_set_id", forceNew: true },
    source:
      "Microsoft Learn, same page, Limitations: 'Encryption of an OS disk with customer-managed keys can only be enabled when creating an AKS cluster'; " +
      "hashicorp/terraform-provider-azurerm internal/services/containers/kubernetes_cluster_resource.go (commit 69697b7): \"disk_encryption_set_id\": { Optional, ForceNew: true }",
  },
  /** Customer-managed keys for data disks need Kubernetes 1.24 or later (checked by the config: config/cloud-facts.ts). */
  minKubernetesMinor: AKS_CMK_MIN_KUBERNETES_MINOR,
  /** The CSI driver's StorageClass parameter naming the disk encryption set. */
  storageClassParameter: {
    value: "diskEncryptionSetID",
    source: "kubernetes-sigs/azuredisk-csi-driver docs/driver-parameters.md, Dynamic Provisioning: diskEncryptionSetID (ResourceId of the disk encryption set)",
  },
  /** A disk encryption set follows new key versions itself only with a versionless key id. */
  autoRotationNeedsVersionlessKey: {
    value: true,
    source: "azurerm docs r/disk_encryption_set: 'When auto_key_rotation_enabled is set to true the key_vault_key_id must use the versionless_id'",
  },
  /** Azure Storage checks daily for a new key version when the key version is omitted. */
  storageFollowsVersionlessKey: {
    value: true,
    source: "Microsoft Learn, 'Customer-managed keys for Azure Storage encryption', Update the key version: 'If the key version is omitted, then Azure Storage checks the key vault ... daily for a new version'",
  },
  /**
   * Log Analytics encrypts with a customer-managed key only on a dedicated cluster, billed on a commitment tier of at least
   * 100 GB of ingestion per day, with a 31-day commitment period: the workspace keeps Microsoft-managed keys.
   */
  logAnalyticsNeedsDedicatedCluster: {
    value: { minimumCommitmentGBPerDay: 100, commitmentPeriodDays: 31 },
    source:
      "Microsoft Learn, 'Create and manage a dedicated cluster in Azure Monitor Logs': 'Capabilities that require dedicated clusters: Customer-managed keys', " +
      "'Log Analytics dedicated clusters use a commitment tier pricing model starting at 100 GB per day ... 31 days commitment period' " +
      "(https://learn.microsoft.com/azure/azure-monitor/logs/logs-dedicated-clusters); 'Azure Monitor customer-managed key' (https://learn.microsoft.com/azure/azure-monitor/logs/customer-managed-keys)",
  },
} as const;
