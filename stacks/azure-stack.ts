import { Construct } from "constructs";
import { dependable, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import type { Deployment } from "../config/schema";
import { configureBackend } from "./backend";
import { WORKLOAD_IDENTITIES, type PlatformFoundation } from "../platform/platform-foundation";
import { ResourceGroup } from "../constructs/azure/resource-group";
import { entryPointPublicIp, Network } from "../constructs/azure/network";
import { ExistingNetwork } from "../constructs/azure/existing-network";
import { AKS_LOAD_BALANCER_FACTS } from "../constructs/azure/azure-facts";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { VnetFlowLog } from "../constructs/azure/vnet-flow-log";
import { PrivateLink } from "../constructs/azure/private-link";
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
import { parseVirtualNetworkId, RunnerNetwork } from "../constructs/azure/runner-network";
import { azureCloudEgress } from "../constructs/azure/egress-endpoints";
import { Policy } from "../policy";
import { CERTIFICATE_ROTATION_INTERVAL, KeyVaultCertificate } from "../constructs/azure/key-vault-certificate";
import { SERVICES } from "../platform/service-catalog";

/** Props of the Azure cloud stack. */
export interface AzureStackProps {
  readonly deployment: Deployment;
}

/** Availability zones (Azure's numbering) every node pool spans. */
const ZONES = ["1", "2", "3"] as const;

/** The blob container platform data (backups, exports) lives in. */
export const DATA_CONTAINER = "data";

/**
 * `<name>-azure`: the Azure cloud layer. Fulfils the PlatformFoundation contract with a private VNet,
 * an AKS cluster (Entra ID + Azure RBAC, workload identity, Cilium policy, API Server VNet Integration,
 * KMS etcd encryption with a key in its own private Key Vault), a private storage account (Microsoft-managed
 * keys), encrypted managed disks and a Key Vault key for Vault's auto-unseal.
 * Resource groups: `<name>-network` (VNet, NAT, public IPs, private endpoints), `<name>-cluster` (AKS and
 * identities), `<name>-data` (storage, Key Vault, logs; CanNotDelete-locked unless allowDestroy).
 */
export class AzureStack extends TerraformStack {
  readonly foundation: PlatformFoundation;

  constructor(scope: Construct, id: string, props: AzureStackProps) {
    super(scope, id);
    const d = props.deployment;
    if (!d.azure) throw new Error("deployment.azure is required for the Azure stack: { subscriptionId, tenantId, adminGroupObjectIds, deployerObjectId, runnerNetwork }");
    const az = d.azure;
    const location = d.region;
    const allowDestroy = d.dataProtection.allowDestroy;
    const tags = { ...d.tags, deployment: d.name };
    configureBackend(this, id, d.state);

    const providerSettings = {
      tenantId: az.tenantId,
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
    new AzurermProvider(this, "Azurerm", { subscriptionId: az.subscriptionId, ...providerSettings });
    const runnerVnet = parseVirtualNetworkId(az.runnerNetwork.virtualNetworkId);
    if (!runnerVnet) throw new Error(`azure.runnerNetwork.virtualNetworkId '${az.runnerNetwork.virtualNetworkId}' is not a VNet resource id`);
    // The runner's half of the peering lives in the runner's subscription.
    const runnerProvider = runnerVnet.subscriptionId === az.subscriptionId.toLowerCase()
      ? undefined
      : new AzurermProvider(this, "RunnerSubscription", { alias: "runner", subscriptionId: runnerVnet.subscriptionId, ...providerSettings });

    const networkRg = new ResourceGroup(this, "NetworkGroup", { name: `${d.name}-network`, location, tags, allowDestroy: true });
    const clusterRg = new ResourceGroup(this, "ClusterGroup", { name: `${d.name}-cluster`, location, tags, allowDestroy: true });
    const dataRg = new ResourceGroup(this, "DataGroup", { name: `${d.name}-data`, location, tags, allowDestroy });

    const internal = d.domain.access === "internal";
    const privateLink = d.domain.privateLink;
    // An existing VNet is read and checked, never managed (docs/deployment-guide.md, Existing network).
    const existing = az.existingNetwork;
    const existingVnet = existing ? parseVirtualNetworkId(existing.virtualNetworkId) : undefined;
    if (existing && !existingVnet) throw new Error(`azure.existingNetwork.virtualNetworkId '${existing.virtualNetworkId}' is not a VNet resource id`);
    const network = existing && existingVnet
      ? new ExistingNetwork(this, "Network", {
          vnet: existingVnet,
          cidr: d.network.cidr,
          nodeSubnet: existing.nodeSubnet,
          apiServerSubnet: existing.apiServerSubnet,
          privateEndpointSubnet: existing.privateEndpointSubnet,
          outboundType: existing.outboundType,
          privateLinkService: privateLink !== undefined,
        })
      : new Network(this, "Network", {
          name: d.name,
          location,
          resourceGroupName: networkRg.name,
          cidr: d.network.cidr,
          entryPoint: internal
            ? { sourceCidrs: d.domain.allowedSourceCidrs, internal: true, privateLinkService: privateLink !== undefined }
            : { sourceCidrs: d.domain.allowedSourceCidrs },
          podCidr: d.network.podCidr,
          // The API server sits in its own subnet (VNet integration): admins reach it there, over VPN/peering for a
          // private cluster, from their public ranges (also the authorized IP ranges) for a public one.
          apiServerSourceCidrs: d.controlPlane.adminCidrs,
          tags,
        });

    const logs = new LogWorkspace(this, "Logs", {
      name: `${d.name}-logs`,
      location,
      resourceGroupName: dataRg.name,
      allowDestroy,
      tags,
    });
    const workspaceId = logs.resource.id;

    // Flow logs need the trusted-services exception on the account's public endpoint (Network Watcher
    // cannot write through a private endpoint) and the account key (Network Watcher writes with it; Microsoft
    // documents that rotating the keys breaks flow logs). So they get an account of their own, holding
    // nothing but flow logs; the data account stays fully private and Entra-only.
    const flowLogStore = new SecureStorageAccount(this, "FlowLogStorage", {
      name: globalName("storage", d.name, az.subscriptionId, "flowlogs"),
      location,
      resourceGroupName: dataRg.name,
      allowTrustedAzureServices: true,
      sharedAccessKeyEnabled: true,
      allowDestroy,
      tags,
    });
    Policy.suppress(flowLogStore.resource, [
      {
        id: "AZ-5",
        reason:
          "Network Watcher writes VNet flow logs with the storage account key: azurerm 4.x has no identity argument on " +
          "azurerm_network_watcher_flow_log (hashicorp/terraform-provider-azurerm#30219), the only way to use Azure's " +
          "managed-identity flow logs. This account holds only flow logs, refuses public network access except to " +
          "trusted Azure services, and no principal of the platform reads or lists its keys.",
      },
    ]);
    // An existing VNet's flow log is its owner's (Azure takes one flow log per VNet): docs/deployment-guide.md.
    if (network instanceof Network) new VnetFlowLog(this, "FlowLog", {
      name: `${d.name}-vnet-flow-log`,
      location,
      virtualNetworkId: network.vnet.id,
      storageAccountId: flowLogStore.resource.id,
      trafficAnalytics: { workspaceId: logs.resource.workspaceId, workspaceResourceId: workspaceId, location },
      tags,
    });

    const dataStore = new SecureStorageAccount(this, "DataStorage", {
      name: globalName("storage", d.name, az.subscriptionId, "data"),
      location,
      resourceGroupName: dataRg.name,
      containers: [DATA_CONTAINER],
      logWorkspaceId: workspaceId,
      allowDestroy,
      tags,
    });
    new PrivateLink(this, "DataStorageEndpoint", {
      name: `${d.name}-data-blob`,
      location,
      resourceGroupName: networkRg.name,
      targetResourceId: dataStore.resource.id,
      service: "blob",
      subnetId: network.subnets.endpoints.id,
      virtualNetworkId: network.vnet.id,
      tags,
    });

    // Both vaults are private in every endpoint mode (AKS KMS supports a private vault, or one open to all
    // networks, nothing between: AKS_KMS_FACTS). Terraform reaches them from the runner's network, through
    // their private endpoints; the deploying identity is named in the config, never read from the session.
    const vaultDefaults = {
      location,
      resourceGroupName: dataRg.name,
      resourceGroupId: dataRg.id,
      tenantId: az.tenantId,
      deployerObjectId: az.deployerObjectId,
      readerObjectIds: az.planObjectId ? [az.planObjectId] : [],
      logWorkspaceId: workspaceId,
      allowDestroy,
      tags,
    };
    const unseal = new UnsealKeyVault(this, "UnsealVault", { name: globalName("keyVault", d.name, az.subscriptionId, "unseal"), ...vaultDefaults });
    const unsealEndpoint = new PrivateLink(this, "UnsealVaultEndpoint", {
      name: `${d.name}-unseal-vault`,
      location,
      resourceGroupName: networkRg.name,
      targetResourceId: unseal.resource.id,
      service: "vault",
      subnetId: network.subnets.endpoints.id,
      virtualNetworkId: network.vnet.id,
      tags,
    });

    // Its own vault: the unseal vault holds only the unseal key. AKS reaches it through a private link it
    // creates itself; this endpoint is for Terraform and administrators inside the network.
    const etcdKey = new EtcdEncryptionKey(this, "EtcdKeyVault", { name: globalName("keyVault", d.name, az.subscriptionId, "etcd"), ...vaultDefaults });
    const etcdEndpoint = new PrivateLink(this, "EtcdKeyVaultEndpoint", {
      name: `${d.name}-etcd-key-vault`,
      location,
      resourceGroupName: networkRg.name,
      targetResourceId: etcdKey.resource.id,
      service: "vault",
      subnetId: network.subnets.endpoints.id,
      virtualNetworkId: network.vnet.id,
      dnsZone: unsealEndpoint.zone,
      tags,
    });

    const keyVaultCert = d.domain.certificate.source === "azure-key-vault" ? d.domain.certificate : undefined;
    const runner = new RunnerNetwork(this, "RunnerNetwork", {
      name: d.name,
      runner: runnerVnet,
      platform: network.vnet,
      // The platform's half of the peering lives with the VNet: the customer's group for an existing one.
      platformResourceGroupName: existingVnet?.resourceGroupName ?? networkRg.name,
      dnsZones: [unsealEndpoint.zone],
      runnerProvider,
      tags,
    });
    // The keys are data-plane objects of private vaults: created once the runner can reach their endpoints.
    unseal.reachableThrough(unsealEndpoint.resource, ...runner.ready);
    etcdKey.reachableThrough(etcdEndpoint.resource, ...runner.ready);

    const cluster = new AksCluster(this, "Cluster", {
      name: d.name,
      location,
      resourceGroupName: clusterRg.name,
      tenantId: az.tenantId,
      adminGroupObjectIds: az.adminGroupObjectIds,
      access: ControlPlaneAccess.of(d.controlPlane),
      nodeSubnetId: network.subnets.nodes.id,
      apiServerSubnetId: network.subnets.apiServer.id,
      etcdEncryptionKey: etcdKey,
      networkResourceGroupId: networkRg.id,
      podCidr: d.network.podCidr,
      serviceCidr: d.network.serviceCidr,
      nodePools: d.nodePools.map((p) => ({ name: p.name, vmSize: p.machineType, count: p.count, diskSizeGiB: p.diskSizeGiB, kubernetesVersion: p.kubernetesVersion })),
      kubernetesVersion: d.controlPlane.kubernetesVersion,
      zones: ZONES,
      logWorkspaceId: workspaceId,
      dependsOn: network instanceof Network ? [network.natAssociation, network.apiServerNatAssociation, ...network.securityGroupAssociations] : [],
      ...(existing ? { outboundType: existing.outboundType } : {}),
      ...(keyVaultCert ? { secretsStoreRotationInterval: CERTIFICATE_ROTATION_INTERVAL } : {}),
      allowDestroy,
      // The deploying identity applies the Kubernetes stacks; the plan identity refreshes them.
      adminObjectIds: [az.deployerObjectId],
      readerObjectIds: az.planObjectId ? [az.planObjectId] : [],
      resourceGroupId: clusterRg.id,
      tags,
    });
    if (existing) {
      // The cluster's identity joins nodes to the customer's subnets and places internal load balancers (and a
      // Private Link Service) in them: Network Contributor on that VNet only, before the cluster is created.
      const vnetGrant = new RoleAssignment(this, "ClusterExistingVnetNetworkContributor", {
        scope: network.vnet.id,
        roleDefinitionName: "Network Contributor",
        principalId: cluster.identity.principalId,
        principalType: "ServicePrincipal",
      });
      cluster.resource.dependsOn = [...(cluster.resource.dependsOn ?? []), dependable(vnetGrant)];
    }
    // A private cluster's API name resolves only where its zone is linked: the runner applies the Kubernetes stacks.
    if (!d.controlPlane.publicEndpoint) runner.linkPrivateCluster(cluster.resource, cluster.resource.nodeResourceGroup);
    const issuerUrl = cluster.resource.oidcIssuerUrl;

    const vaultIdentity = new WorkloadIdentity(this, "VaultIdentity", {
      name: `${d.name}-vault`,
      location,
      resourceGroupName: clusterRg.name,
      issuerUrl,
      subjects: WORKLOAD_IDENTITIES.vault.subjects,
      tags,
    });
    unseal.grantUnseal(this, "VaultUnsealGrant", vaultIdentity.principalId);

    const backupIdentity = new WorkloadIdentity(this, "BackupIdentity", {
      name: `${d.name}-backup`,
      location,
      resourceGroupName: clusterRg.name,
      issuerUrl,
      subjects: WORKLOAD_IDENTITIES.backup.subjects,
      tags,
    });
    dataStore.grantContainer(this, "BackupDataGrant", DATA_CONTAINER, "Storage Blob Data Contributor", backupIdentity.principalId);

    // The customer's certificate store, opt-in (docs/deployment-guide.md, Certificates): the key stays in their vault.
    const certificate = keyVaultCert
      ? new KeyVaultCertificate(this, "EntryPointCertificate", {
          name: d.name,
          location,
          identityResourceGroupName: clusterRg.name,
          endpointResourceGroupName: networkRg.name,
          tenantId: az.tenantId,
          keyVaultId: keyVaultCert.keyVaultId,
          certificateName: keyVaultCert.certificateName,
          issuerUrl,
          subject: { namespace: SERVICES.entryPoint.namespace, serviceAccount: SERVICES.entryPoint.serviceAccount },
          endpointSubnetId: network.subnets.endpoints.id,
          virtualNetworkId: network.vnet.id,
          vaultDnsZone: unsealEndpoint.zone,
          tags,
        })
      : undefined;

    const entryPointIp = network instanceof Network ? network.entryPointIp : existingEntryPointIp(this, d.name, location, networkRg.name, internal, tags);
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
    const entryPointAnnotations: Record<string, string> = internal || !entryPointIp
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
    if (zone && entryPointIp) {
      new DnsARecord(this, "EntryPointRecord", {
        name: d.domain.name.slice(0, -(zone.zoneName.length + 1)),
        zoneName: zone.zoneName,
        resourceGroupName: zone.resourceGroupName,
        ttl: 300,
        targetResourceId: entryPointIp.id,
        tags,
      });
    }
    if (privateZone && privateIp) {
      new PrivateDnsARecord(this, "EntryPointPrivateRecord", {
        name: d.domain.name.slice(0, -(privateZone.zoneName.length + 1)),
        zoneName: privateZone.zoneName,
        resourceGroupName: privateZone.resourceGroupName,
        ttl: 300,
        records: [privateIp],
        tags,
      });
    }
    this.foundation = {
      cloud: "azure",
      // As nodes carry them in topology.kubernetes.io/zone: AKS labels zone N of a region `<location>-N`.
      zones: ZONES.map((z) => `${location}-${z}`),
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
        },
      },
      objectStore: { kind: "azure-blob", accountName: dataStore.resource.name, dataBucket: DATA_CONTAINER, region: location },
      workloadIdentities: { vault: vaultIdentity.binding, backup: backupIdentity.binding },
      vaultSeal: {
        type: "azurekeyvault",
        config: { tenant_id: az.tenantId, vault_name: unseal.resource.name, key_name: unseal.key.name },
      },
      loadBalancer: { serviceAnnotations: entryPointAnnotations },
      // The names as written here (literal), not the resources' attributes: policies are checked at synth.
      podNetwork: {
        // Azure CNI overlay: pods take addresses from network.podCidr, never from the VNet.
        clusterCidrs: [d.network.podCidr, d.network.serviceCidr],
        // Workload identity: the projected token is exchanged at Entra ID over HTTPS (egress.workloadIdentity).
        workloadIdentityEgress: [],
      },
      ...(certificate ? { publicCertificate: certificate.mount } : {}),
      egress: azureCloudEgress(globalName("keyVault", d.name, az.subscriptionId, "unseal"), globalName("storage", d.name, az.subscriptionId, "data")),
    };
  }
}

/**
 * The public entry point's static IP when the VNet is the customer's: created in the deployment's network group
 * (the customer's NSG must admit users to it on 443/80: docs/deployment-guide.md). None for an internal one.
 */
function existingEntryPointIp(scope: Construct, name: string, location: string, resourceGroupName: string, internal: boolean, tags: Record<string, string>): PublicIp | undefined {
  if (internal) return undefined;
  return entryPointPublicIp(scope, name, location, resourceGroupName, tags);
}
