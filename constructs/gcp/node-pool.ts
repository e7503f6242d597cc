import { Construct } from "constructs";
import { ContainerNodePool } from "@cdktf/provider-google/lib/container-node-pool";

/** Props of {@link NodePool}. */
export interface NodePoolProps {
  /** Id of the cluster the pool joins. */
  readonly clusterId: string;
  readonly name: string;
  readonly machineType: string;
  /** Zones the pool spans. */
  readonly zones: readonly string[];
  /** Nodes per zone (a regional pool runs this many in each zone). */
  readonly nodeCountPerZone: number;
  /** Email of the nodes' dedicated service account. */
  readonly serviceAccountEmail: string;
  /** Network tags; the node firewall rules target them. */
  readonly networkTags: readonly string[];
  /**
   * Boot disk size.
   * @default 100
   */
  readonly diskSizeGiB?: number;
  /**
   * Boot disk type (encrypted at rest with Google-managed keys, like every persistent disk).
   * @default "pd-balanced"
   */
  readonly diskType?: "pd-balanced" | "pd-ssd" | "pd-standard";
  /**
   * A customer-managed Cloud KMS key (its id) for the nodes' boot disks; the Compute Engine service agent must
   * hold roles/cloudkms.cryptoKeyEncrypterDecrypter on it (GCP_CMEK_FACTS).
   * @default - Google-managed keys
   */
  readonly bootDiskKmsKey?: string;
}

/**
 * A GKE node pool with hardened nodes: Container-Optimized OS, shielded VM (secure boot, integrity
 * monitoring), GKE metadata server (pods never see the node's credentials or the legacy metadata
 * endpoints), the dedicated least-privilege service account, kubelet read-only port closed,
 * auto-repair and auto-upgrade, and surge upgrades that never take capacity away.
 *
 * A machine type or disk change updates the pool in place (GKE_NODE_POOL_FACTS): GKE replaces the nodes
 * under the surge strategy, one new node ready before an old one drains, PodDisruptionBudgets respected.
 * The pool itself is never replaced by a size change, so capacity never drops to zero.
 */
export class NodePool extends Construct {
  readonly resource: ContainerNodePool;

  constructor(scope: Construct, id: string, props: NodePoolProps) {
    super(scope, id);
    if (!Number.isInteger(props.nodeCountPerZone) || props.nodeCountPerZone < 1) {
      throw new Error(`node pool ${props.name}: nodeCountPerZone must be a whole number >= 1, got ${props.nodeCountPerZone}`);
    }
    this.resource = new ContainerNodePool(this, "Resource", {
      cluster: props.clusterId,
      name: props.name,
      nodeLocations: [...props.zones],
      // The zones are fixed when the pool is created (also for pools created before the zones were pinned,
      // whose first plan after the upgrade sees the pin as unknown).
      lifecycle: { ignoreChanges: ["node_locations"] },
      nodeCount: props.nodeCountPerZone,
      management: { autoRepair: true, autoUpgrade: true },
      upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
      nodeConfig: {
        machineType: props.machineType,
        imageType: "COS_CONTAINERD",
        diskType: props.diskType ?? "pd-balanced",
        diskSizeGb: props.diskSizeGiB ?? 100,
        ...(props.bootDiskKmsKey ? { bootDiskKmsKey: props.bootDiskKmsKey } : {}),
        serviceAccount: props.serviceAccountEmail,
        // IAM on the service account limits what nodes can do; scopes are not a security boundary.
        oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
        tags: [...props.networkTags],
        metadata: { "disable-legacy-endpoints": "true" },
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        kubeletConfig: { insecureKubeletReadonlyPortEnabled: "FALSE" },
        gvnic: { enabled: true },
      },
    });
  }
}
