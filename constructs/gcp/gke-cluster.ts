import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { ContainerCluster } from "@cdktf/provider-google/lib/container-cluster";
import { overlaps, parseIpv4Cidr, subnet } from "../../lib/cidr";
import type { ControlPlaneAccess } from "../../platform/control-plane-access";
import { GKE_GATEWAY } from "./gke-facts";

/** GKE release channels (the cluster and its nodes follow the channel's versions). */
export type ReleaseChannel = "RAPID" | "REGULAR" | "STABLE";

/** Control-plane log streams sent to Cloud Logging. */
export const CLUSTER_LOG_COMPONENTS = ["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "WORKLOADS"] as const;
/** Metric sources sent to Cloud Monitoring. */
export const CLUSTER_METRIC_COMPONENTS = [
  "SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "STORAGE", "POD", "DEPLOYMENT", "STATEFULSET", "DAEMONSET", "HPA",
] as const;

/** Props of {@link GkeCluster}. */
export interface GkeClusterProps {
  readonly name: string;
  /** Region: a regional cluster runs its control plane in three zones. */
  readonly location: string;
  readonly network: string;
  readonly subnetwork: string;
  /** Secondary range names of the subnet for pods and services. */
  readonly podsRangeName: string;
  readonly servicesRangeName: string;
  /** Who may reach the API server. */
  readonly access: ControlPlaneAccess;
  /** The private control plane's /28, e.g. from {@link pickControlPlaneCidr}. */
  readonly controlPlaneCidr: string;
  /**
   * Ranges the control-plane /28 must not overlap (node, pod, service and admin ranges).
   * @default []
   */
  readonly reservedRanges?: readonly string[];
  /** Cloud KMS key (same region) that encrypts Kubernetes Secrets in etcd (application-layer encryption). */
  readonly secretsEncryptionKeyId: string;
  /** Workload identity pool, `<project>.svc.id.goog`. */
  readonly workloadPool: string;
  /**
   * The nodes' dedicated service account, also used by the bootstrap pool GKE creates and this
   * construct removes at once (so no node ever runs as the Compute Engine default account).
   */
  readonly nodeServiceAccountEmail: string;
  /**
   * @default "REGULAR"
   */
  readonly releaseChannel?: ReleaseChannel;
  /**
   * Minimum control-plane version, e.g. "1.33".
   * @default - the release channel's default version
   */
  readonly kubernetesVersion?: string;
  /**
   * Let `terraform destroy` delete the cluster.
   * @default false - the provider's deletion_protection and lifecycle prevent_destroy
   */
  readonly allowDestroy?: boolean;
  /**
   * Enforce the project's Binary Authorization policy on every pod.
   * @default true
   */
  readonly binaryAuthorization?: boolean;
  /**
   * Make pod-to-pod traffic on the same node visible to VPC flow logs and firewall rules.
   * @default true
   */
  readonly intranodeVisibility?: boolean;
  /**
   * Reach the private endpoint from other regions of the VPC (still limited to the admin CIDRs).
   * @default false
   */
  readonly masterGlobalAccess?: boolean;
  /**
   * Daily maintenance window start, UTC "HH:MM".
   * @default "03:00"
   */
  readonly maintenanceStartTime?: string;
  /**
   * Install the Gateway API (standard channel) for GKE's Gateway controller (GKE_GATEWAY.requires); an in-place update.
   * @default false - not installed
   */
  readonly gatewayApi?: boolean;
  /**
   * GKE subsetting for internal passthrough load balancers: their Services are then handled by ingress-gce's L4
   * controller, which honours a reserved address named by annotation (GKE_ILB_SUBSETTING); an in-place update,
   * never undone by GKE.
   * @default false - GKE's default (the legacy controller, which reads only spec.loadBalancerIP)
   */
  readonly internalLoadBalancerSubsetting?: boolean;
  /**
   * Resources that must exist first (e.g. the KMS grant to GKE's service agent).
   * @default []
   */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A regional, private GKE Standard cluster with hardened defaults beyond the public "safer-cluster"
 * module: private nodes, master authorized networks limited to the admin CIDRs (also on the private
 * endpoint, Google Cloud public IPs excluded, DNS endpoint closed to external traffic), Dataplane V2
 * (NetworkPolicy enforced), workload identity, shielded nodes, Secrets encrypted with a Cloud KMS key,
 * no client certificate, no legacy ABAC, anonymous access limited to health checks, no insecure
 * RBAC bindings, Binary Authorization, control-plane and workload logs and metrics, release channel.
 * The default node pool is removed: node pools are separate {@link NodePool}s.
 */
export class GkeCluster extends Construct {
  readonly resource: ContainerCluster;
  /** Address of the API server: the private endpoint, or the public one when it exists. */
  readonly endpoint: string;

  constructor(scope: Construct, id: string, props: GkeClusterProps) {
    super(scope, id);
    checkControlPlaneCidr(props.controlPlaneCidr, props.reservedRanges ?? []);
    // GKE renders the access as master authorized networks: with none, no administrator could reach the API.
    if (props.access.adminCidrs.length === 0) throw new Error("control-plane CIDRs: GKE's master authorized networks need at least one admin CIDR, e.g. 203.0.113.0/24");
    const deletionProtection = !(props.allowDestroy ?? false);

    this.resource = new ContainerCluster(this, "Resource", {
      name: props.name,
      location: props.location,
      network: props.network,
      subnetwork: props.subnetwork,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: {
        clusterSecondaryRangeName: props.podsRangeName,
        servicesSecondaryRangeName: props.servicesRangeName,
        stackType: "IPV4",
      },
      // Dataplane V2 (eBPF): NetworkPolicy is enforced without the Calico add-on.
      datapathProvider: "ADVANCED_DATAPATH",
      // FQDNNetworkPolicy: pods reach the Google APIs they need by name, nothing else on 443 (egress-endpoints.ts).
      // A GKE Enterprise feature (cloud.google.com/kubernetes-engine/docs/how-to/fqdn-network-policies).
      enableFqdnNetworkPolicy: true,
      enableIntranodeVisibility: props.intranodeVisibility ?? true,

      privateClusterConfig: {
        enablePrivateNodes: true,
        enablePrivateEndpoint: !props.access.publicEndpoint,
        masterIpv4CidrBlock: props.controlPlaneCidr,
        masterGlobalAccessConfig: { enabled: props.masterGlobalAccess ?? false },
      },
      masterAuthorizedNetworksConfig: {
        cidrBlocks: props.access.adminCidrs.map((cidrBlock, i) => ({ cidrBlock, displayName: `admin-${i + 1}` })),
        gcpPublicCidrsAccessEnabled: false,
        privateEndpointEnforcementEnabled: true,
      },
      controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: false } },
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
      enableLegacyAbac: false,
      enableKubernetesAlpha: false,
      anonymousAuthenticationConfig: { mode: "LIMITED" },
      rbacBindingConfig: { enableInsecureBindingSystemAuthenticated: false, enableInsecureBindingSystemUnauthenticated: false },
      serviceExternalIpsConfig: { enabled: false },

      workloadIdentityConfig: { workloadPool: props.workloadPool },
      databaseEncryption: { state: "ENCRYPTED", keyName: props.secretsEncryptionKeyId },
      enableShieldedNodes: true,
      binaryAuthorization: { evaluationMode: (props.binaryAuthorization ?? true) ? "PROJECT_SINGLETON_POLICY_ENFORCE" : "DISABLED" },
      securityPostureConfig: { mode: "BASIC" },
      // Vault is the only secrets store (no cloud secret manager).
      secretManagerConfig: { enabled: false },
      nodePoolDefaults: { nodeConfigDefaults: { insecureKubeletReadonlyPortEnabled: "FALSE" } },

      releaseChannel: { channel: props.releaseChannel ?? "REGULAR" },
      minMasterVersion: props.kubernetesVersion,
      maintenancePolicy: { dailyMaintenanceWindow: { startTime: props.maintenanceStartTime ?? "03:00" } },

      loggingService: "logging.googleapis.com/kubernetes",
      monitoringService: "monitoring.googleapis.com/kubernetes",
      loggingConfig: { enableComponents: [...CLUSTER_LOG_COMPONENTS] },
      monitoringConfig: { enableComponents: [...CLUSTER_METRIC_COMPONENTS], managedPrometheus: { enabled: true } },

      addonsConfig: {
        gcePersistentDiskCsiDriverConfig: { enabled: true },
        httpLoadBalancing: { disabled: false },
        horizontalPodAutoscaling: { disabled: false },
      },
      ...(props.internalLoadBalancerSubsetting ? { enableL4IlbSubsetting: true } : {}),
      ...(props.gatewayApi ? { gatewayApiConfig: { channel: GKE_GATEWAY.requires.value.gatewayApiChannel } } : {}),

      // Node pools are managed separately. GKE requires a pool at creation: this bootstrap pool is
      // hardened like the real ones and removed right away; ignore_changes keeps its removal from
      // showing as a diff that would replace the cluster (the terraform-google-kubernetes-engine pattern).
      removeDefaultNodePool: true,
      nodePool: [
        {
          name: "default-pool",
          initialNodeCount: 1,
          nodeConfig: {
            imageType: "COS_CONTAINERD",
            diskType: "pd-balanced",
            serviceAccount: props.nodeServiceAccountEmail,
            oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
            metadata: { "disable-legacy-endpoints": "true" },
            shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
            workloadMetadataConfig: { mode: "GKE_METADATA" },
          },
        },
      ],

      deletionProtection,
      lifecycle: { preventDestroy: deletionProtection, ignoreChanges: ["node_pool", "initial_node_count"] },
      dependsOn: props.dependsOn,
    });
    this.endpoint = props.access.publicEndpoint ? this.resource.endpoint : this.resource.privateClusterConfig.privateEndpoint;
  }
}

/** Private ranges searched, in order, for the control plane's /28. */
const CONTROL_PLANE_CANDIDATES = ["172.16.0.0/12", "192.168.0.0/16", "10.0.0.0/8"] as const;

/**
 * The first private /28 (172.16.0.0 onwards, then 192.168/16, then 10/8) that overlaps none of
 * `inUse`: a control-plane range that never collides with the deployment's own ranges and stays the
 * same for the same config.
 */
export function pickControlPlaneCidr(inUse: readonly string[]): string {
  for (const parent of CONTROL_PLANE_CANDIDATES) {
    const count = 2 ** (28 - (parseIpv4Cidr(parent)?.prefix ?? 28));
    for (let i = 0; i < count; i++) {
      const candidate = subnet(parent, 28, i);
      if (!collidesWith(candidate, inUse)) return candidate;
    }
  }
  throw new Error(`no free private /28 for the GKE control plane outside ${inUse.join(", ")}`);
}

function checkControlPlaneCidr(cidr: string, reserved: readonly string[]): void {
  const range = parseIpv4Cidr(cidr);
  if (!range || range.prefix !== 28) throw new Error(`controlPlaneCidr must be an IPv4 /28, got '${cidr}'`);
  const hit = collidesWith(cidr, reserved);
  if (hit) throw new Error(`controlPlaneCidr ${cidr} overlaps ${hit}; GKE's control plane needs a /28 of its own`);
}

function collidesWith(cidr: string, others: readonly string[]): string | undefined {
  const a = parseIpv4Cidr(cidr);
  return others.find((o) => {
    const b = parseIpv4Cidr(o);
    return a !== undefined && b !== undefined && overlaps(a, b);
  });
}
