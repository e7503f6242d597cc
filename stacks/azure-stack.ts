import { Construct } from "constructs";
import { dependable, TerraformStack, type ITerraformDependable } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import type { AzureDeployment, AzureSettings } from "../config/schema";
import { configureBackend } from "./backend";
import { WORKLOAD_IDENTITIES, type MountedCertificate, type PlatformFoundation } from "../platform/platform-foundation";
import { ResourceGroup } from "../constructs/azure/resource-group";
import { azureResourceGroups, type AzureGroupKind } from "./azure-resource-groups";
import { entryPointPublicIp, Network } from "../constructs/azure/network";
import { ExistingNetwork } from "../constructs/azure/existing-network";
import { AKS_FACTS, AKS_LOAD_BALANCER_FACTS } from "../constructs/azure/azure-facts";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import type { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { flowLogStore } from "../constructs/azure/flow-log-store";
import { customerPrivateZone, privateEndpoint, type PrivateEndpointPlacement, type PrivateZone } from "../constructs/azure/private-link";
import { privateKeyVault } from "../constructs/azure/private-key-vault";
import { LogWorkspace } from "../constructs/azure/log-workspace";
import { SecureStorageAccount } from "../constructs/azure/storage-account";
import { UnsealKeyVault } from "../constructs/azure/unseal-key-vault";
import { EtcdEncryptionKey } from "../constructs/azure/etcd-encryption-key";
import { WorkloadIdentity } from "../constructs/azure/workload-identity";
import { DnsARecord } from "@cdktf/provider-azurerm/lib/dns-a-record";
import { PrivateDnsARecord } from "@cdktf/provider-azurerm/lib/private-dns-a-record";
import { createdLoadBalancerSubnet, defaultFrontendAddress } from "../config/azure-entry-point";
import { AksCluster } from "../constructs/azure/aks-cluster";
import { ControlPlaneAccess } from "../platform/control-plane-access";
import { globalName } from "../constructs/azure/naming";
import { parseVirtualNetworkId, RunnerNetwork, type VirtualNetworkRef } from "../constructs/azure/runner-network";
import { azureCloudEgress } from "../constructs/azure/egress-endpoints";
import { CERTIFICATE_ROTATION_INTERVAL, KeyVaultCertificate } from "../constructs/azure/key-vault-certificate";
import { SERVICES } from "../platform/service-catalog";
import { CustomerKeyVault } from "../constructs/azure/customer-key-vault";
import { deploymentRoleDefinitionId } from "../constructs/azure/deployment-roles";
import { DiskEncryptionSet } from "../constructs/azure/disk-encryption-set";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { AZURE_CMK_FACTS } from "../constructs/azure/azure-facts";
import { propagated } from "../constructs/azure/role-propagation";

/** Props of the Azure cloud stack. */
export interface AzureStackProps {
  readonly deployment: AzureDeployment;
}

/** Availability zones (Azure's numbering) every node pool spans. */
const ZONES = ["1", "2", "3"] as const;

/** The blob container platform data (backups, exports) lives in. */
export const DATA_CONTAINER = "data";

/** What every part of the stack shares: the deployment, its Azure settings, region, tags and destroy protection. */
interface AzureContext {
  readonly d: AzureDeployment;
  readonly az: AzureSettings;
  readonly location: string;
  /** Stateful resources refuse `terraform destroy` (dataProtection.allowDestroy off). */
  readonly keep: boolean;
  readonly tags: Record<string, string>;
}

/** The deployment's three resource groups. */
interface ResourceGroups {
  readonly network: ResourceGroup;
  readonly cluster: ResourceGroup;
  readonly data: ResourceGroup;
}

/**
 * `<name>-azure`: the Azure cloud layer. Fulfils the PlatformFoundation contract with a private VNet,
 * an AKS cluster (Entra ID + Azure RBAC, workload identity, Cilium policy, API Server VNet Integration,
 * KMS etcd encryption with a key in its own private Key Vault), a private storage account (Microsoft-managed
 * keys), encrypted managed disks and a Key Vault key for Vault's auto-unseal.
 * Resource groups: `<name>-network` (VNet, NAT, public IPs, private endpoints), `<name>-cluster` (AKS and
 * identities), `<name>-data` (storage, Key Vault, logs; CanNotDelete-locked unless allowDestroy), created by the
 * bootstrap `<name>-deploy-roles` and adopted here by import blocks (stacks/azure-resource-groups.ts).
 *
 * The constructor reads as the list of its parts; each part is a function below that creates its resources in
 * this stack's scope, with the ids they always had (ids are the state's addresses).
 */
export class AzureStack extends TerraformStack {
  readonly foundation: PlatformFoundation;

  constructor(scope: Construct, id: string, props: AzureStackProps) {
    super(scope, id);
    const d = props.deployment;
    const c: AzureContext = { d, az: d.azure, location: d.region, keep: !d.dataProtection.allowDestroy, tags: { ...d.tags, deployment: d.name } };
    configureBackend(this, id, d.state);
    const { runnerVnet, runnerProvider } = providers(this, c.az);
    // The bootstrap creates the groups (it assigns the deploy roles at their scope): adopted here, same addresses.
    // The data group's CanNotDelete lock stays here: it follows dataProtection.allowDestroy and the data it guards.
    const specs = azureResourceGroups(d);
    const group = (kind: AzureGroupKind, allowDestroy: boolean) => {
      const g = specs[kind];
      return new ResourceGroup(this, g.constructId, { name: g.name, location: g.location, tags: g.tags, allowDestroy, adoptFrom: g.id });
    };
    const groups: ResourceGroups = { network: group("network", true), cluster: group("cluster", true), data: group("data", !c.keep) };
    const { network, existingVnet } = platformNetwork(this, c, groups.network);

    const logs = new LogWorkspace(this, "Logs", { name: `${d.name}-logs`, location: c.location, resourceGroupName: groups.data.name, allowDestroy: !c.keep, tags: c.tags });
    const workspaceId = logs.resource.id;
    const flowLogs = flowLogStore(this, {
      accountName: globalName("storage", d.name, c.az.subscriptionId, "flowlogs"),
      flowLogName: `${d.name}-vnet-flow-log`,
      location: c.location,
      resourceGroupName: groups.data.name,
      // An existing VNet's flow log is its owner's (Azure takes one flow log per VNet): docs/deployment-guide.md.
      ...(network instanceof Network ? { virtualNetworkId: network.vnet.id } : {}),
      trafficAnalytics: { workspaceId: logs.resource.workspaceId, workspaceResourceId: workspaceId, location: c.location },
      allowDestroy: !c.keep,
      tags: c.tags,
    });

    const endpoints: PrivateEndpointPlacement = {
      location: c.location,
      resourceGroupName: groups.network.name,
      subnetId: network.subnets.endpoints.id,
      virtualNetworkId: network.vnet.id,
      tags: c.tags,
    };
    const dataStore = privateDataStore(this, c, groups.data, workspaceId, endpoints);
    const { unseal, etcdKey } = keyVaults(this, c, groups.data, workspaceId, endpoints);
    const customerKeys = d.encryption?.keys === "customer-managed"
      ? customerManagedKeys(this, c, groups.data, workspaceId, endpoints, unseal.endpoint.zone, [dataStore, flowLogs.account])
      : undefined;

    const runner = new RunnerNetwork(this, "RunnerNetwork", {
      name: d.name,
      runner: runnerVnet,
      platform: network.vnet,
      // The platform's half of the peering lives with the VNet: the customer's group for an existing one.
      platformResourceGroupName: existingVnet?.resourceGroupName ?? groups.network.name,
      dnsZones: [unseal.endpoint.zone],
      runnerProvider,
      tags: c.tags,
    });
    // The keys are data-plane objects of private vaults: created once the runner can reach their endpoints.
    unseal.keyWaitsFor(...runner.ready);
    etcdKey.keyWaitsFor(...runner.ready);
    customerKeys?.keyWaitsFor(...runner.ready);

    const cluster = aksCluster(this, c, { groups, network, etcdKey: etcdKey.vault, workspaceId, runner, ...(customerKeys ? { diskEncryptionSet: customerKeys.diskEncryptionSet } : {}) });

    const { vaultIdentity, backupIdentity } = workloadIdentities(this, c, groups.cluster, cluster.resource.oidcIssuerUrl);
    unseal.vault.grantUnseal(this, "VaultUnsealGrant", vaultIdentity.principalId);
    dataStore.grantContainer(this, "BackupDataGrant", DATA_CONTAINER, "Storage Blob Data Contributor", backupIdentity.principalId);

    const certificate = entryPointCertificate(this, c, groups, cluster.resource.oidcIssuerUrl, endpoints, unseal.endpoint.zone);
    const serviceAnnotations = entryPoint(this, c, network, groups.network);

    this.foundation = {
      cloud: "azure",
      // As nodes carry them in topology.kubernetes.io/zone: AKS labels zone N of a region `<location>-N`.
      zones: ZONES.map((z) => `${c.location}-${z}`),
      cluster: cluster.access,
      encryptedStorage: {
        provisioner: "disk.csi.azure.com",
        parameters: {
          // Managed disks are always encrypted at rest (SSE, 256-bit AES, platform-managed keys);
          // zone-redundant so a volume survives the loss of a zone.
          skuName: "Premium_ZRS",
          kind: "managed",
          cachingMode: "ReadOnly",
          fsType: "ext4",
          // Nobody can mint a SAS URL to export a disk or snapshot.
          networkAccessPolicy: "DenyAll",
          // encryption.keys customer-managed: the volumes are encrypted with the customer's key, through the disk
          // encryption set the cluster's identity may read (AZURE_CMK_FACTS.storageClassParameter).
          ...(customerKeys ? { [AZURE_CMK_FACTS.storageClassParameter.value]: customerKeys.diskEncryptionSet.resource.id } : {}),
        },
      },
      objectStore: { kind: "azure-blob", accountName: dataStore.resource.name, dataBucket: DATA_CONTAINER, region: c.location },
      workloadIdentities: { vault: vaultIdentity.binding, backup: backupIdentity.binding },
      vaultSeal: {
        type: "azurekeyvault",
        config: { tenant_id: c.az.tenantId, vault_name: unseal.vault.resource.name, key_name: unseal.vault.key.name },
      },
      loadBalancer: { serviceAnnotations },
      // The names as written here (literal), not the resources' attributes: policies are checked at synth.
      podNetwork: {
        // Azure CNI overlay: pods take addresses from network.podCidr, never from the VNet.
        clusterCidrs: [d.network.podCidr, d.network.serviceCidr],
        // Workload identity: the projected token is exchanged at Entra ID over HTTPS (egress.workloadIdentity).
        workloadIdentityEgress: [],
      },
      ...(certificate ? { publicCertificate: certificate } : {}),
      egress: azureCloudEgress(globalName("keyVault", d.name, c.az.subscriptionId, "unseal"), globalName("storage", d.name, c.az.subscriptionId, "data")),
    };
  }
}

/**
 * Who registers the subscription's resource providers. azurerm 4 registers a fixed set of about 66 by default
 * ("legacy") when it starts, which needs `<namespace>/register/action` at the subscription; the deploy identities hold
 * no such action. So the deployment's stacks register none, and the bootstrap, applied by an administrator, registers
 * exactly the namespaces of the actions its stacks need (stacks/bootstrap/azure-deploy-roles-stack.ts).
 */
export const AZURE_PROVIDER_REGISTRATION = {
  deployment: { value: "none", source: "https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs#resource_provider_registrations ('none': no registration); hashicorp/terraform-provider-azurerm internal/resourceproviders/required.go (the legacy set)" },
  /** Beyond the namespaces of the stacks' actions: AKS's node pools are Compute virtual machine scale sets, encrypted at host. */
  withCluster: { value: ["Microsoft.Compute"], source: "https://learn.microsoft.com/en-us/azure/aks/enable-host-encryption (EncryptionAtHost is a Microsoft.Compute feature: az feature register --namespace Microsoft.Compute; az provider register -n Microsoft.Compute)" },
  /** Registered in every subscription: never named. */
  alwaysRegistered: { value: ["Microsoft.Authorization", "Microsoft.Resources"], source: "https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-providers-and-types (resource providers registered by default)" },
} as const;

/**
 * The azurerm provider of the deployment's subscription, and the runner's VNet with, when that VNet lives in
 * another subscription, a provider there (the runner's half of the peering lives in the runner's subscription).
 */
function providers(scope: Construct, az: AzureSettings): { runnerVnet: VirtualNetworkRef; runnerProvider: AzurermProvider | undefined } {
  const providerSettings = {
    tenantId: az.tenantId,
    // The deploying identities may not register resource providers: the bootstrap registers the ones the stacks use.
    resourceProviderRegistrations: AZURE_PROVIDER_REGISTRATION.deployment.value,
    // Entra ID for storage data-plane calls: the accounts have shared keys disabled.
    storageUseAzuread: true,
    features: [
      {
        keyVault: [{ purgeSoftDeleteOnDestroy: false, purgeSoftDeletedKeysOnDestroy: false, recoverSoftDeletedKeyVaults: true, recoverSoftDeletedKeys: true }],
        resourceGroup: [{ preventDeletionIfContainsResources: true }],
        logAnalyticsWorkspace: [{ permanentlyDeleteOnDestroy: false }],
        // The accounts refuse public network access: Terraform manages them through Resource Manager only.
        storage: [{ dataPlaneAvailable: false }],
      },
    ],
  };
  new AzurermProvider(scope, "Azurerm", { subscriptionId: az.subscriptionId, ...providerSettings });
  const runnerVnet = parseVirtualNetworkId(az.runnerNetwork.virtualNetworkId);
  if (!runnerVnet) throw new Error(`azure.runnerNetwork.virtualNetworkId '${az.runnerNetwork.virtualNetworkId}' is not a VNet resource id`);
  const runnerProvider = runnerVnet.subscriptionId === az.subscriptionId.toLowerCase()
    ? undefined
    : new AzurermProvider(scope, "RunnerSubscription", { alias: "runner", subscriptionId: runnerVnet.subscriptionId, ...providerSettings });
  return { runnerVnet, runnerProvider };
}

/**
 * The platform's network (`Network` in `scope`): the VNet the deployment creates, or the customer's existing one,
 * read and checked, never managed (docs/deployment-guide.md, Existing network).
 */
function platformNetwork(scope: Construct, c: AzureContext, networkRg: ResourceGroup): { network: Network | ExistingNetwork; existingVnet?: VirtualNetworkRef } {
  const { d, az } = c;
  const privateLinkService = d.domain.privateLink !== undefined;
  const existing = az.existingNetwork;
  if (existing) {
    const existingVnet = parseVirtualNetworkId(existing.virtualNetworkId);
    if (!existingVnet) throw new Error(`azure.existingNetwork.virtualNetworkId '${existing.virtualNetworkId}' is not a VNet resource id`);
    const network = new ExistingNetwork(scope, "Network", {
      vnet: existingVnet,
      cidr: d.network.cidr,
      nodeSubnet: existing.nodeSubnet,
      apiServerSubnet: existing.apiServerSubnet,
      privateEndpointSubnet: existing.privateEndpointSubnet,
      outboundType: existing.outboundType,
      privateLinkService,
    });
    return { network, existingVnet };
  }
  const network = new Network(scope, "Network", {
    name: d.name,
    location: c.location,
    resourceGroupName: networkRg.name,
    cidr: d.network.cidr,
    entryPoint: d.domain.access === "internal"
      ? { sourceCidrs: d.domain.allowedSourceCidrs, internal: true, privateLinkService }
      : { sourceCidrs: d.domain.allowedSourceCidrs },
    podCidr: d.network.podCidr,
    // The API server sits in its own subnet (VNet integration): admins reach it there, over VPN/peering for a
    // private cluster, from their public ranges (also the authorized IP ranges) for a public one.
    apiServerSourceCidrs: d.controlPlane.adminCidrs,
    tags: c.tags,
  });
  return { network };
}

/** The platform's data account (`DataStorage`: backups, exports), reached only through its private endpoint. */
function privateDataStore(scope: Construct, c: AzureContext, dataRg: ResourceGroup, logWorkspaceId: string, endpoints: PrivateEndpointPlacement): SecureStorageAccount {
  const store = new SecureStorageAccount(scope, "DataStorage", {
    name: globalName("storage", c.d.name, c.az.subscriptionId, "data"),
    location: c.location,
    resourceGroupName: dataRg.name,
    containers: [DATA_CONTAINER],
    logWorkspaceId,
    allowDestroy: !c.keep,
    tags: c.tags,
  });
  const customerZone = c.az.existingNetwork?.privateDnsZones?.blob;
  privateEndpoint(scope, "DataStorageEndpoint", endpoints, {
    name: `${c.d.name}-data-blob`,
    targetResourceId: store.resource.id,
    service: "blob",
    ...(customerZone ? { dnsZone: customerPrivateZone(customerZone) } : {}),
  });
  return store;
}

/** What every key vault of the stack shares: its place, the deploying and plan identities, audit logs, protection. */
function keyVaultDefaults(c: AzureContext, dataRg: ResourceGroup, logWorkspaceId: string) {
  return {
    location: c.location,
    resourceGroupName: dataRg.name,
    tenantId: c.az.tenantId,
    deployerObjectId: c.az.deployerObjectId,
    deployerRoleDefinitionId: deploymentRoleDefinitionId(c.az.subscriptionId, c.d.name, "keyDeployer"),
    readerObjectIds: c.az.planObjectId ? [c.az.planObjectId] : [],
    logWorkspaceId,
    allowDestroy: !c.keep,
    tags: c.tags,
  };
}

/**
 * The two private key vaults: Vault's unseal key (`UnsealVault`) and AKS's etcd key in a vault of its own
 * (`EtcdKeyVault`: the unseal vault holds only the unseal key), each with its private endpoint. Both are private in
 * every endpoint mode (AKS KMS supports a private vault, or one open to all networks, nothing between:
 * AKS_KMS_FACTS). Terraform reaches them from the runner's network, through their private endpoints; the deploying
 * identity is named in the config, never read from the session. AKS reaches the etcd vault through a private link
 * it creates itself; its endpoint is for Terraform and administrators inside the network.
 */
function keyVaults(scope: Construct, c: AzureContext, dataRg: ResourceGroup, logWorkspaceId: string, placement: PrivateEndpointPlacement) {
  const { d, az } = c;
  const vaultDefaults = keyVaultDefaults(c, dataRg, logWorkspaceId);
  // In the customer's zone when their estate resolves Private Link names centrally (azure.existingNetwork.privateDnsZones).
  const customerZone = az.existingNetwork?.privateDnsZones?.vault;
  const unseal = privateKeyVault(scope, "UnsealVault", UnsealKeyVault, { name: globalName("keyVault", d.name, az.subscriptionId, "unseal"), ...vaultDefaults }, {
    name: `${d.name}-unseal-vault`,
    placement,
    ...(customerZone ? { dnsZone: customerPrivateZone(customerZone) } : {}),
  });
  // One privatelink.vaultcore.azure.net zone per VNet: the etcd vault's record joins the unseal vault's zone.
  const etcdKey = privateKeyVault(scope, "EtcdKeyVault", EtcdEncryptionKey, { name: globalName("keyVault", d.name, az.subscriptionId, "etcd"), ...vaultDefaults }, {
    name: `${d.name}-etcd-key-vault`,
    placement,
    dnsZone: unseal.endpoint.zone,
  });
  return { unseal, etcdKey };
}

/** The customer-managed keys (encryption.keys: customer-managed) and what encrypts with them. */
interface CustomerManagedKeys {
  /** Encrypts the AKS OS disks and the StorageClass's volumes with the volume key. */
  readonly diskEncryptionSet: DiskEncryptionSet;
  /** Makes both keys wait for what lets Terraform reach their vaults (the runner's peering and DNS link). */
  keyWaitsFor(...deps: ITerraformDependable[]): void;
}

/**
 * Customer-managed keys, opt-in (docs/deployment-guide.md, encryption.keys): two keys, each in a vault of its own with
 * its private endpoint in the vaults' zone (`VolumeKeyVault`, `DataKeyVault`, RBAC, purge protection, rotation,
 * protected from destroy). The volume key serves a disk encryption set (`DiskEncryptionSet`); the data key every storage
 * account of the stack, read as one user-assigned identity (`StorageKeyIdentity`) granted that key only. Both vaults
 * admit trusted Microsoft services through their firewall, as Azure Disk Storage and Azure Storage read keys from
 * Azure's side (AZURE_CMK_FACTS.trustedServices). The Log Analytics workspace keeps Microsoft-managed keys: a
 * customer-managed key there needs a dedicated cluster (AZURE_CMK_FACTS.logAnalyticsNeedsDedicatedCluster).
 */
function customerManagedKeys(
  scope: Construct,
  c: AzureContext,
  dataRg: ResourceGroup,
  logWorkspaceId: string,
  placement: PrivateEndpointPlacement,
  dnsZone: PrivateZone,
  storageAccounts: readonly SecureStorageAccount[],
): CustomerManagedKeys {
  const { d, az } = c;
  const vaultDefaults = keyVaultDefaults(c, dataRg, logWorkspaceId);
  const volumeKey = privateKeyVault(scope, "VolumeKeyVault", CustomerKeyVault, { name: globalName("keyVault", d.name, az.subscriptionId, "volumes"), keyName: "volumes", ...vaultDefaults }, {
    name: `${d.name}-volume-key-vault`,
    placement,
    dnsZone,
  });
  const dataKey = privateKeyVault(scope, "DataKeyVault", CustomerKeyVault, { name: globalName("keyVault", d.name, az.subscriptionId, "data"), keyName: "data", ...vaultDefaults }, {
    name: `${d.name}-data-key-vault`,
    placement,
    dnsZone,
  });
  const diskEncryptionSet = new DiskEncryptionSet(scope, "DiskEncryptionSet", {
    name: `${d.name}-disks`,
    location: c.location,
    resourceGroupName: dataRg.name,
    key: volumeKey.vault,
    allowDestroy: !c.keep,
    tags: c.tags,
  });
  const storageIdentity = new UserAssignedIdentity(scope, "StorageKeyIdentity", { name: `${d.name}-storage-key`, location: c.location, resourceGroupName: dataRg.name, tags: c.tags });
  // The accounts read the key when the key is set: after the grant is honoured (AZURE_RBAC_PROPAGATION).
  const keyUse = propagated(scope, "StorageKeyUsePropagated", dataKey.vault.grantKeyUse(scope, "StorageKeyUse", storageIdentity.principalId, "Azure Storage encryption of the deployment's storage accounts"));
  for (const account of storageAccounts) {
    account.useCustomerManagedKey({ keyVaultKeyId: dataKey.vault.versionlessKeyId, identityId: storageIdentity.id, keyUse });
  }
  return {
    diskEncryptionSet,
    keyWaitsFor: (...deps) => {
      volumeKey.keyWaitsFor(...deps);
      dataKey.keyWaitsFor(...deps);
    },
  };
}

/** What the cluster is placed in and wired to. */
interface ClusterWiring {
  readonly groups: ResourceGroups;
  readonly network: Network | ExistingNetwork;
  readonly etcdKey: EtcdEncryptionKey;
  readonly workspaceId: string;
  readonly runner: RunnerNetwork;
  /** encryption.keys customer-managed: the OS disks' disk encryption set. @default - platform-managed keys */
  readonly diskEncryptionSet?: DiskEncryptionSet;
}

/**
 * The AKS cluster (`Cluster`), with what it needs of the network: Network Contributor on an existing VNet, and for
 * a private cluster the API name's zone linked to the runner's network.
 */
function aksCluster(scope: Construct, c: AzureContext, w: ClusterWiring): AksCluster {
  const { d, az } = c;
  const { network, groups } = w;
  const existing = az.existingNetwork;
  const keyVaultCert = d.domain.certificate.source === "azure-key-vault";
  // A private cluster's API zone is the deployment's own (`ClusterDnsZone`, `<name>.privatelink.<region>.azmk8s.io`) in
  // the network group: the control-plane identity's Network Contributor there covers it, and it lies where the bootstrap
  // places the runner link's writes (AKS_FACTS.privateClusterCustomZone). The subzone keeps two deployments' zones apart.
  const apiZone = d.controlPlane.publicEndpoint
    ? undefined
    : new PrivateDnsZone(scope, "ClusterDnsZone", { name: `${d.name}.${AKS_FACTS.privateClusterCustomZone.value.suffix(c.location)}`, resourceGroupName: groups.network.name, tags: c.tags });
  const cluster = new AksCluster(scope, "Cluster", {
    name: d.name,
    location: c.location,
    resourceGroupName: groups.cluster.name,
    tenantId: az.tenantId,
    adminGroupObjectIds: az.adminGroupObjectIds,
    access: ControlPlaneAccess.of(d.controlPlane),
    ...(apiZone ? { privateDnsZoneId: apiZone.id } : {}),
    nodeSubnetId: network.subnets.nodes.id,
    apiServerSubnetId: network.subnets.apiServer.id,
    etcdEncryptionKey: w.etcdKey,
    networkResourceGroupId: groups.network.id,
    podCidr: d.network.podCidr,
    serviceCidr: d.network.serviceCidr,
    nodePools: d.nodePools.map((p) => ({ name: p.name, vmSize: p.machineType, count: p.count, diskSizeGiB: p.diskSizeGiB, kubernetesVersion: p.kubernetesVersion })),
    kubernetesVersion: d.controlPlane.kubernetesVersion,
    zones: ZONES,
    logWorkspaceId: w.workspaceId,
    dependsOn: network instanceof Network ? [network.natAssociation, network.apiServerNatAssociation, ...network.securityGroupAssociations] : [],
    ...(existing ? { outboundType: existing.outboundType } : {}),
    ...(w.diskEncryptionSet ? { diskEncryptionSetId: w.diskEncryptionSet.resource.id } : {}),
    ...(keyVaultCert ? { secretsStoreRotationInterval: CERTIFICATE_ROTATION_INTERVAL } : {}),
    allowDestroy: !c.keep,
    // The deploying identity applies the Kubernetes stacks; the plan identity refreshes them.
    adminObjectIds: [az.deployerObjectId],
    readerObjectIds: az.planObjectId ? [az.planObjectId] : [],
    readerRoleDefinitionId: deploymentRoleDefinitionId(az.subscriptionId, d.name, "clusterReader"),
    tags: c.tags,
  });
  if (existing) {
    // The cluster's identity joins nodes to the customer's subnets and places internal load balancers (and a
    // Private Link Service) in them: Network Contributor on that VNet only, before the cluster is created.
    const vnetGrant = new RoleAssignment(scope, "ClusterExistingVnetNetworkContributor", {
      scope: network.vnet.id,
      roleDefinitionName: "Network Contributor",
      principalId: cluster.identity.principalId,
      principalType: "ServicePrincipal",
    });
    cluster.resource.dependsOn = [...(cluster.resource.dependsOn ?? []), dependable(propagated(scope, "ClusterExistingVnetNetworkContributorPropagated", vnetGrant))];
  }
  if (w.diskEncryptionSet) {
    // AKS creates the OS disks with the set: its identity reads the set first (AZURE_CMK_FACTS.clusterRoleOnDiskEncryptionSet).
    const desGrant = propagated(scope, "ClusterDiskEncryptionSetReaderPropagated", w.diskEncryptionSet.grantCluster(scope, "ClusterDiskEncryptionSetReader", cluster.identity.principalId));
    cluster.resource.dependsOn = [...(cluster.resource.dependsOn ?? []), dependable(desGrant)];
  }
  // A private cluster's API name resolves only where its zone is linked: the runner applies the Kubernetes stacks.
  if (apiZone) w.runner.linkPrivateCluster({ id: apiZone.id, name: apiZone.name, resourceGroupName: apiZone.resourceGroupName, own: true });
  return cluster;
}

/**
 * The workload identities (`VaultIdentity`, `BackupIdentity`) federated with the cluster's issuer for Vault's and
 * the backup jobs' service accounts only; the caller grants each its one resource.
 */
function workloadIdentities(scope: Construct, c: AzureContext, clusterRg: ResourceGroup, issuerUrl: string) {
  const identity = (id: string, role: "vault" | "backup") =>
    new WorkloadIdentity(scope, id, {
      name: `${c.d.name}-${role}`,
      location: c.location,
      resourceGroupName: clusterRg.name,
      issuerUrl,
      subjects: WORKLOAD_IDENTITIES[role].subjects,
      tags: c.tags,
    });
  const vaultIdentity = identity("VaultIdentity", "vault");
  return { vaultIdentity, backupIdentity: identity("BackupIdentity", "backup") };
}

/**
 * The customer's certificate store, opt-in (`EntryPointCertificate`; docs/deployment-guide.md, Certificates): the
 * key stays in their vault, reached through a private endpoint in the vaults' zone.
 */
function entryPointCertificate(
  scope: Construct,
  c: AzureContext,
  groups: ResourceGroups,
  issuerUrl: string,
  endpoints: PrivateEndpointPlacement,
  vaultDnsZone: PrivateZone,
): MountedCertificate | undefined {
  const cert = c.d.domain.certificate;
  if (cert.source !== "azure-key-vault") return undefined;
  return new KeyVaultCertificate(scope, "EntryPointCertificate", {
    name: c.d.name,
    location: c.location,
    identityResourceGroupName: groups.cluster.name,
    tenantId: c.az.tenantId,
    keyVaultId: cert.keyVaultId,
    certificateName: cert.certificateName,
    issuerUrl,
    subject: { namespace: SERVICES.entryPoint.namespace, serviceAccount: SERVICES.entryPoint.serviceAccount },
    endpoints,
    vaultDnsZone,
    tags: c.tags,
  }).mount;
}

/**
 * The entry point's LoadBalancer Service annotations (public static IP, or internal load balancer with an optional
 * static address and Private Link Service), and the user-facing DNS records (`EntryPointRecord`,
 * `EntryPointPrivateRecord`) in the customer's zone when one is named.
 */
function entryPoint(scope: Construct, c: AzureContext, network: Network | ExistingNetwork, networkRg: ResourceGroup): Record<string, string> {
  const { d, az } = c;
  const internal = d.domain.access === "internal";
  const privateLink = d.domain.privateLink;
  const existing = az.existingNetwork;
  const entryPointIp = network instanceof Network ? network.entryPointIp : existingEntryPointIp(scope, d.name, c.location, networkRg.name, internal, c.tags);
  if (!internal && !entryPointIp) throw new Error("the Azure network has no entry-point IP; the platform's LoadBalancer Service needs one");
  // The internal load balancer's frontend: the created network's load-balancer subnet, or the existing node subnet.
  const frontendSubnet = existing ? existing.nodeSubnet.name : (network as Network).subnets.loadBalancers.name;
  const lb = AKS_LOAD_BALANCER_FACTS.internalAnnotations.value;
  // A static private address for the internal load balancer when a private zone's record points at it (or one is
  // named): the config check held it inside the frontend subnet and off Azure's reserved addresses.
  const privateZone = d.domain.dnsZone?.provider === "azure-private-dns" ? d.domain.dnsZone : undefined;
  const frontendCidr = existing ? existing.nodeSubnet.cidr : createdLoadBalancerSubnet(d.network.cidr);
  const privateIp = internal && frontendCidr ? (az.entryPointPrivateIp ?? (privateZone ? defaultFrontendAddress(frontendCidr) : undefined)) : undefined;
  const pls = AKS_LOAD_BALANCER_FACTS.privateLinkAnnotations.value;
  const annotations: Record<string, string> = internal || !entryPointIp
    ? {
        [lb.internal]: "true",
        [lb.subnet]: frontendSubnet,
        "service.beta.kubernetes.io/azure-load-balancer-health-probe-protocol": "tcp",
        ...(privateIp ? { [AKS_LOAD_BALANCER_FACTS.staticAddressAnnotation.value]: privateIp } : {}),
        ...(privateLink
          ? {
              [pls.create]: "true",
              [pls.name]: `${d.name}-entry-point`,
              [pls.resourceGroup]: networkRg.name,
              [pls.subnet]: frontendSubnet,
              [pls.visibility]: privateLink.allowedConsumers.join(" "),
            }
          : {}),
      }
    : {
        // The static, zone-redundant IP the node NSG lets users reach on 443/80 (and nothing else).
        "service.beta.kubernetes.io/azure-pip-name": entryPointIp.name,
        "service.beta.kubernetes.io/azure-load-balancer-resource-group": networkRg.name,
        "service.beta.kubernetes.io/azure-load-balancer-health-probe-protocol": "tcp",
      };
  // The user-facing name in the customer's Azure DNS zone: an alias record on the static entry-point IP, so it
  // follows the IP resource itself (https://learn.microsoft.com/en-us/azure/dns/dns-alias).
  const zone = d.domain.dnsZone?.provider === "azure-dns" ? d.domain.dnsZone : undefined;
  // The record's name relative to its zone, and what both kinds of record share.
  const record = (z: { readonly zoneName: string; readonly resourceGroupName: string }) =>
    ({ name: d.domain.name.slice(0, -(z.zoneName.length + 1)), zoneName: z.zoneName, resourceGroupName: z.resourceGroupName, ttl: 300, tags: c.tags });
  if (zone && entryPointIp) new DnsARecord(scope, "EntryPointRecord", { ...record(zone), targetResourceId: entryPointIp.id });
  if (privateZone && privateIp) new PrivateDnsARecord(scope, "EntryPointPrivateRecord", { ...record(privateZone), records: [privateIp] });
  return annotations;
}

/**
 * The public entry point's static IP when the VNet is the customer's: created in the deployment's network group
 * (the customer's NSG must admit users to it on 443/80: docs/deployment-guide.md). None for an internal one.
 */
function existingEntryPointIp(scope: Construct, name: string, location: string, resourceGroupName: string, internal: boolean, tags: Record<string, string>): PublicIp | undefined {
  if (internal) return undefined;
  return entryPointPublicIp(scope, name, location, resourceGroupName, tags);
}
