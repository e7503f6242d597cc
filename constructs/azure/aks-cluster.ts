import { Construct } from "constructs";
import { Fn, ITerraformDependable } from "cdktf";
import { KubernetesCluster } from "@cdktf/provider-azurerm/lib/kubernetes-cluster";
import { KubernetesClusterNodePool } from "@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { parseIpv4Cidr } from "../../lib/cidr";
import type { ClusterAccess } from "../../platform/platform-foundation";
import { ContainerInsights } from "./container-insights";
import type { ControlPlaneAccess } from "../../platform/control-plane-access";
import { AKS_FACTS } from "./azure-facts";
import type { EtcdEncryptionKey } from "./etcd-encryption-key";
import { idOf } from "../../lib/construct-id";
import { propagated } from "./role-propagation";

/** A pool of worker nodes. */
export interface AksNodePool {
  /** 1-12 lowercase letters and digits. */
  readonly name: string;
  /** Azure VM size, e.g. Standard_D4s_v5 (must support encryption at host). */
  readonly vmSize: string;
  readonly count: number;
  /** OS disk size. @default 100 */
  readonly diskSizeGiB?: number;
  /** Kubernetes minor version of the pool's nodes (orchestrator_version). @default - the cluster's kubernetesVersion */
  readonly kubernetesVersion?: string;
}

/** Props of {@link AksCluster}. */
export interface AksClusterProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /** Resource group AKS creates for the nodes' VM scale sets and disks. @default `${name}-nodes` */
  readonly nodeResourceGroupName?: string;
  /** Entra ID tenant the cluster authenticates against. */
  readonly tenantId: string;
  /** Entra ID groups that are cluster admins (Azure RBAC). */
  readonly adminGroupObjectIds: readonly string[];
  /** Private cluster, or a public API endpoint restricted to authorized IP ranges. */
  readonly access: ControlPlaneAccess;
  /**
   * A private cluster's API zone (`<subzone>.privatelink.<region>.azmk8s.io`, AKS_FACTS.privateClusterCustomZone), in the
   * network group where the control-plane identity's Network Contributor reaches it. Required for a private cluster.
   */
  readonly privateDnsZoneId?: string;
  /** Subnet of every node pool (no public IPs on nodes). */
  readonly nodeSubnetId: string;
  /**
   * The subnet AKS projects the API server into (API Server VNet Integration, always on): a /28 or larger,
   * delegated to Microsoft.ContainerService/managedClusters. Nodes reach the API server there, privately, so
   * a public endpoint's authorized ranges are exactly the admins' and the nodes' egress IP is not among them.
   */
  readonly apiServerSubnetId: string;
  /**
   * The Key Vault key that encrypts Kubernetes Secrets before they reach etcd (KMS etcd encryption), reached
   * through a private link. The cluster identity gets its use granted before the cluster is created.
   */
  readonly etcdEncryptionKey: EtcdEncryptionKey;
  /**
   * Disk encryption set of the nodes' OS disks (customer-managed keys). Set only at creation: changing it replaces the
   * cluster (AZURE_CMK_FACTS.osDiskKeyAtCreationOnly), which prevent_destroy refuses. The caller grants the cluster
   * identity read on the set and makes the cluster wait for that grant.
   * @default - platform-managed keys
   */
  readonly diskEncryptionSetId?: string;
  /** Resource group holding the VNet, NAT gateway and public IPs; the cluster identity gets Network Contributor on it. */
  readonly networkResourceGroupId: string;
  /**
   * How nodes reach the Internet: a NAT gateway associated with the node subnet, or the subnet's route table
   * (an existing network's firewall).
   * @default "userAssignedNATGateway"
   */
  readonly outboundType?: "userAssignedNATGateway" | "userDefinedRouting";
  /** Pod range (Azure CNI overlay: pods take no VNet addresses). */
  readonly podCidr: string;
  /** Kubernetes Service range; DNS gets its 10th address. */
  readonly serviceCidr: string;
  /** User node pools, where the platform's workloads run. */
  readonly nodePools: readonly AksNodePool[];
  /** The system pool's VM size; it runs only critical add-ons (CriticalAddonsOnly taint). @default "Standard_D4s_v5" */
  readonly systemPoolVmSize?: string;
  /** System pool nodes, one per zone. @default 3 */
  readonly systemPoolCount?: number;
  /**
   * Kubernetes minor version, pinned (major.minor: the patch channel picks patches). Must be one AKS supports
   * in the region: `az aks get-versions -l <location>`.
   * @default "1.34"
   */
  readonly kubernetesVersion?: string;
  /** Zones the pools span. @default ["1", "2", "3"] */
  readonly zones?: readonly string[];
  /** Control-plane auto-upgrade channel. @default "patch" */
  readonly upgradeChannel?: "patch" | "stable" | "rapid" | "node-image";
  /** Node OS security-patch channel. @default "NodeImage" */
  readonly nodeOsUpgradeChannel?: "NodeImage" | "SecurityPatch" | "Unmanaged";
  /**
   * Log Analytics workspace for control-plane logs (API server, audit, Entra guard, ...) and Container Insights
   * (every container's output, Vault's audit device on stdout among it). @default - none
   */
  readonly logWorkspaceId?: string;
  /** What must exist before the cluster (the NAT gateway association: outbound type userAssignedNATGateway). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
  /**
   * The Azure Key Vault provider for the Secrets Store CSI driver (AKS add-on), with secret rotation polled at this
   * interval: mounts a customer's Key Vault certificate into the entry point (KeyVaultCertificate).
   * @default - the add-on is off
   */
  readonly secretsStoreRotationInterval?: string;
  /** Let `terraform destroy` delete the cluster. @default false - lifecycle prevent_destroy */
  readonly allowDestroy?: boolean;
  /**
   * Entra object ids given cluster-admin through Azure RBAC on this cluster (built-in
   * "Azure Kubernetes Service RBAC Cluster Admin"), e.g. the identity that applies the Kubernetes stacks.
   * @default []
   */
  readonly adminObjectIds?: readonly string[];
  /**
   * Entra object ids that may plan: list the cluster's user credential (what reading the cluster resource
   * calls, AKS_FACTS.readListsUserCredential) and read every Kubernetes object (a custom role, data
   * actions: read on every object type, Secrets included, no writes), e.g. the CI plan identity.
   * @default []
   */
  readonly readerObjectIds?: readonly string[];
  /**
   * Resource id of that read-only custom role, which the deployment's bootstrap defines (constructs/azure/deployment-roles.ts:
   * the identity that applies this stack needs no roleDefinitions/write). Required with `readerObjectIds`.
   */
  readonly readerRoleDefinitionId?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Entra ID application of the AKS API server (the same in every tenant): the audience kubelogin asks for. */
export const AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

/** Name of the system node pool (critical add-ons only). */
export const SYSTEM_POOL = "system";

/** Control-plane log categories sent to Log Analytics. */
export const CONTROL_PLANE_LOGS = [
  "kube-apiserver",
  "kube-audit-admin",
  "kube-controller-manager",
  "kube-scheduler",
  "cluster-autoscaler",
  "cloud-controller-manager",
  "guard",
  "csi-azuredisk-controller",
] as const;

/**
 * An AKS cluster with the platform's guarantees: Entra ID authentication with Azure RBAC and local
 * accounts disabled (no static admin credential exists); OIDC issuer and workload identity; Azure CNI
 * overlay with Cilium network policy enforced; API Server VNet Integration (nodes reach the API server in
 * the VNet; a public endpoint, if any, admits only the admins' ranges); Kubernetes Secrets encrypted in etcd
 * with a Key Vault key (KMS, private key vault); egress only through the NAT gateway; nodes in a private
 * subnet without public IPs, encryption at host (OS/temp disks and caches encrypted) and Managed OS disks
 * (encrypted at rest); automatic patch and node-image upgrades; a system pool tainted for critical add-ons
 * only; the Standard (SLA) tier; control-plane logs and Container Insights to Log Analytics; the Azure Policy
 * add-on; a user-assigned control-plane identity.
 */
export class AksCluster extends Construct {
  readonly resource: KubernetesCluster;
  /** The control plane's identity. */
  readonly identity: UserAssignedIdentity;
  readonly nodePools: readonly KubernetesClusterNodePool[];
  private readonly tenantId: string;

  constructor(scope: Construct, id: string, props: AksClusterProps) {
    super(scope, id);
    const { name, location, resourceGroupName } = props;
    const tags = { ...props.tags };
    const version = props.kubernetesVersion ?? "1.34";
    const zones = [...(props.zones ?? ["1", "2", "3"])];
    const preventDestroy = !(props.allowDestroy ?? false);
    this.tenantId = props.tenantId;
    const clash = props.nodePools.find((p) => p.name === SYSTEM_POOL);
    if (clash) throw new Error(`node pool name '${SYSTEM_POOL}' is reserved for AKS's system pool; rename the pool, e.g. 'general'`);

    this.identity = new UserAssignedIdentity(this, "Identity", {
      name: `${name}-control-plane`,
      location,
      resourceGroupName,
      tags,
    });
    // AKS uses them while it creates the cluster (the KMS key check, the subnets): created first, then honoured (AZURE_RBAC_PROPAGATION).
    const identityGrants = [propagated(this, "IdentityGrantsPropagated", ...this.grantControlPlaneIdentity(props))];

    const access = props.access;
    const nodeDefaults = {
      vnetSubnetId: props.nodeSubnetId,
      nodePublicIpEnabled: false,
      hostEncryptionEnabled: true,
      osDiskType: "Managed",
      osSku: "AzureLinux",
      orchestratorVersion: version,
      zones,
      autoScalingEnabled: false,
      upgradeSettings: { maxSurge: "10%" },
      tags,
    };

    this.resource = new KubernetesCluster(this, "Resource", {
      name,
      location,
      resourceGroupName,
      nodeResourceGroup: props.nodeResourceGroupName ?? `${name}-nodes`,
      dnsPrefix: name,
      kubernetesVersion: version,
      skuTier: "Standard",
      supportPlan: "KubernetesOfficial",
      automaticUpgradeChannel: props.upgradeChannel ?? "patch",
      nodeOsUpgradeChannel: props.nodeOsUpgradeChannel ?? "NodeImage",
      privateClusterEnabled: !access.publicEndpoint,
      apiServerAccessProfile: {
        virtualNetworkIntegrationEnabled: true,
        subnetId: props.apiServerSubnetId,
        // Exactly the admins' ranges: nodes reach the API server inside the VNet, not through this endpoint.
        ...(access.publicEndpoint ? { authorizedIpRanges: [...access.adminCidrs] } : {}),
      },
      ...(access.publicEndpoint ? {} : { privateClusterPublicFqdnEnabled: false, privateDnsZoneId: this.privateZone(props) }),
      // Secrets are encrypted with the Key Vault key before etcd stores them; AKS reaches the vault privately.
      keyManagementService: { keyVaultKeyId: props.etcdEncryptionKey.keyId, keyVaultNetworkAccess: "Private" },
      ...(props.diskEncryptionSetId ? { diskEncryptionSetId: props.diskEncryptionSetId } : {}),
      localAccountDisabled: true,
      roleBasedAccessControlEnabled: true,
      azureActiveDirectoryRoleBasedAccessControl: {
        tenantId: props.tenantId,
        azureRbacEnabled: true,
        adminGroupObjectIds: [...props.adminGroupObjectIds],
      },
      oidcIssuerEnabled: true,
      workloadIdentityEnabled: true,
      // `az aks command invoke` would reach the API around the network restrictions.
      runCommandEnabled: false,
      // Azure Policy add-on: the subscription's Kubernetes policies (Gatekeeper) audit and enforce in-cluster.
      azurePolicyEnabled: true,
      // Container Insights, authenticated by managed identity; what it collects: ContainerInsights (DCR) below.
      ...(props.logWorkspaceId ? { omsAgent: { logAnalyticsWorkspaceId: props.logWorkspaceId, msiAuthForMonitoringEnabled: true } } : {}),
      ...(props.secretsStoreRotationInterval
        ? { keyVaultSecretsProvider: { secretRotationEnabled: true, secretRotationInterval: props.secretsStoreRotationInterval } }
        : {}),
      httpApplicationRoutingEnabled: false,
      imageCleanerEnabled: true,
      imageCleanerIntervalHours: 48,
      identity: { type: "UserAssigned", identityIds: [this.identity.id] },
      networkProfile: {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        networkDataPlane: "cilium",
        networkPolicy: "cilium",
        podCidr: props.podCidr,
        serviceCidr: props.serviceCidr,
        dnsServiceIp: nthAddress(props.serviceCidr, 10),
        outboundType: props.outboundType ?? "userAssignedNATGateway",
        loadBalancerSku: "standard",
        // Advanced Container Networking Services security: CiliumNetworkPolicy toFQDNs, so pods reach the
        // cloud endpoints they need by name and nothing else on 443 (azure-egress: egress-endpoints.ts).
        advancedNetworking: { securityEnabled: true, observabilityEnabled: false },
      },
      storageProfile: { diskDriverEnabled: true, snapshotControllerEnabled: true, fileDriverEnabled: false, blobDriverEnabled: false },
      defaultNodePool: {
        name: SYSTEM_POOL,
        vmSize: props.systemPoolVmSize ?? "Standard_D4s_v5",
        nodeCount: props.systemPoolCount ?? 3,
        osDiskSizeGb: 128,
        // Taints the pool CriticalAddonsOnly: platform workloads land on the user pools.
        onlyCriticalAddonsEnabled: true,
        temporaryNameForRotation: "systemtmp",
        ...nodeDefaults,
      },
      tags,
      dependsOn: [...identityGrants, ...(props.dependsOn ?? [])],
      lifecycle: { preventDestroy },
    });

    this.nodePools = props.nodePools.map(
      (pool) =>
        new KubernetesClusterNodePool(this, `${idOf(pool.name)}Pool`, {
          name: pool.name,
          kubernetesClusterId: this.resource.id,
          mode: "User",
          osType: "Linux",
          vmSize: pool.vmSize,
          nodeCount: pool.count,
          osDiskSizeGb: pool.diskSizeGiB ?? 100,
          temporaryNameForRotation: `${pool.name.slice(0, 9)}tmp`,
          ...nodeDefaults,
          orchestratorVersion: pool.kubernetesVersion ?? version,
        }),
    );

    this.grantClusterAccess(props);
    if (props.logWorkspaceId) this.sendLogs(props.logWorkspaceId, props, tags);
  }

  /**
   * What the control-plane identity needs before the cluster is created: Network Contributor on the network group
   * (joins nodes to the subnet, uses the NAT gateway, attaches the entry point's public IP to the load balancer) and
   * on the API server subnet (AKS documents this grant for the subnet, and it must survive a narrower network
   * grant), and the etcd key's grants.
   */
  /** The private cluster's own API zone: never `System`, whose zone lies where no role can be assigned before the cluster. */
  private privateZone(props: AksClusterProps): string {
    if (props.privateDnsZoneId === undefined) throw new Error(`${this.node.path}: a private cluster needs privateDnsZoneId (AKS_FACTS.privateClusterCustomZone)`);
    return props.privateDnsZoneId;
  }

  private grantControlPlaneIdentity(props: AksClusterProps): RoleAssignment[] {
    const network = new RoleAssignment(this, "IdentityNetworkContributor", {
      scope: props.networkResourceGroupId,
      roleDefinitionName: "Network Contributor",
      principalId: this.identity.principalId,
      principalType: "ServicePrincipal",
    });
    const apiServerSubnet = new RoleAssignment(this, "IdentityApiServerSubnetNetworkContributor", {
      scope: props.apiServerSubnetId,
      roleDefinitionName: "Network Contributor",
      principalId: this.identity.principalId,
      principalType: "ServicePrincipal",
    });
    return [network, apiServerSubnet, ...props.etcdEncryptionKey.grantCluster(this, "IdentityEtcdKey", this.identity.principalId)];
  }

  /** Who may use the cluster: the deploying identity as cluster admin, plan identities as read-only readers. */
  private grantClusterAccess(props: AksClusterProps): void {
    (props.adminObjectIds ?? []).forEach((principalId, i) => {
      new RoleAssignment(this, `ClusterAdmin${i === 0 ? "" : i + 1}`, {
        scope: this.resource.id,
        roleDefinitionName: AKS_FACTS.rbacClusterAdminRole.value,
        principalId,
        description: "Applies the Kubernetes stacks (Azure RBAC cluster-admin on this cluster only).",
      });
    });
    const readers = props.readerObjectIds ?? [];
    if (readers.length > 0) {
      const readerRoleId = props.readerRoleDefinitionId;
      if (!readerRoleId) throw new Error(`AksCluster ${this.node.path}: readerObjectIds need readerRoleDefinitionId (the bootstrap's cluster reader role)`);
      readers.forEach((principalId, i) => {
        const suffix = i === 0 ? "" : String(i + 1);
        new RoleAssignment(this, `ClusterUser${suffix}`, {
          scope: this.resource.id,
          roleDefinitionName: AKS_FACTS.clusterUserRole.value.name,
          principalId,
          description: "Plans read the cluster resource, which lists the user credential (no key, no token: local accounts are off).",
        });
        new RoleAssignment(this, `ClusterReader${suffix}`, {
          scope: this.resource.id,
          roleDefinitionId: readerRoleId,
          principalId,
          description: "Plans refresh the Kubernetes stacks: read-only.",
        });
      });
    }
  }

  /** Container Insights and the control plane's logs, to the workspace. */
  private sendLogs(workspaceId: string, props: AksClusterProps, tags: Record<string, string>): void {
    new ContainerInsights(this, "ContainerInsights", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      clusterId: this.resource.id,
      workspaceId,
      tags,
    });
    new MonitorDiagnosticSetting(this, "ControlPlaneLogs", {
      name: "control-plane-to-log-analytics",
      targetResourceId: this.resource.id,
      logAnalyticsWorkspaceId: workspaceId,
      logAnalyticsDestinationType: "Dedicated",
      enabledLog: CONTROL_PLANE_LOGS.map((category) => ({ category })),
    });
  }

  /**
   * How Kubernetes/Helm providers reach the API: host and CA from the user kubeconfig (local accounts are
   * disabled, so it carries no client key or token), credentials from kubelogin and the operator's Azure
   * CLI login, short-lived Entra ID tokens.
   */
  get access(): ClusterAccess {
    const kube = this.resource.kubeConfig.get(0);
    return {
      name: this.resource.name,
      host: kube.host,
      caCertificatePem: Fn.base64decode(kube.clusterCaCertificate),
      exec: {
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "kubelogin",
        args: ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_APP_ID, "--environment", "AzurePublicCloud", "--tenant-id", this.tenantId],
      },
      serviceAccountIssuer: this.resource.oidcIssuerUrl,
    };
  }
}

/** The n-th address of a range, e.g. 172.20.0.10 for (172.20.0.0/16, 10). */
function nthAddress(cidr: string, n: number): string {
  const r = parseIpv4Cidr(cidr);
  if (!r || n >= 2 ** (32 - r.prefix)) throw new Error(`${cidr} has no address number ${n}`);
  const a = (r.network + n) >>> 0;
  return [24, 16, 8, 0].map((s) => (a >>> s) & 255).join(".");
}
