import type { PodEgress } from "../../stacks/platform-foundation";

/**
 * What the GCP layer relies on from GKE, Cloud KMS, IAM and the google provider (6.50.0), written down with
 * where it is stated. No google plugin runs here, so the synthesized GCP stack is held against these
 * (__tests__/gcp/gke-facts.test.ts).
 */

/**
 * Where a pod bound to a Google service account gets its tokens: the GKE metadata server. Pods call
 * 169.254.169.254:80; on Dataplane V2 the node answers at 169.254.169.252:988, and a NetworkPolicy may see
 * either address depending on where the node rewrites it, so both are allowed, to identity-bound pods only.
 */
export const GKE_METADATA_SERVER_EGRESS: readonly PodEgress[] = [
  {
    cidr: "169.254.169.254/32",
    port: 80,
    protocol: "TCP",
    source: "GKE docs 'About Workload Identity Federation for GKE', GKE metadata server (https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity#metadata_server)",
  },
  {
    cidr: "169.254.169.252/32",
    port: 988,
    protocol: "TCP",
    source:
      "GKE docs 'Create a cluster network policy', Limitations: with Workload Identity, allow the metadata server at 169.254.169.252/32 port 988 " +
      "(https://cloud.google.com/kubernetes-engine/docs/how-to/network-policy); metadata daemon listening on TCP 988 behind 169.254.169.254:80",
  },
];

/** The GKE service agent and how to make sure it exists before it is granted anything. */
export const GKE_SERVICE_AGENT_FACTS = {
  /** The agent's address. */
  email: {
    value: (projectNumber: string) => `service-${projectNumber}@container-engine-robot.iam.gserviceaccount.com`,
    source: "Google Cloud docs 'Service agents' (https://cloud.google.com/iam/docs/service-agents): KubernEngine Service Agent",
  },
  /** Enabling container.googleapis.com creates the agent asynchronously: an IAM grant right after can fail (member does not exist). */
  createdAsynchronously: {
    value: true,
    source: "Google Cloud docs 'Create and grant roles to service agents' (https://cloud.google.com/iam/docs/create-service-agents)",
  },
  /** The documented way to create it now (idempotent; prints the agent's email). The GA google provider has no resource for it. */
  createCommand: {
    value: ["gcloud", "beta", "services", "identity", "create", "--service=container.googleapis.com"],
    source: "same page: 'gcloud beta services identity create --service=SERVICE_NAME --project=PROJECT_ID'; google_project_service_identity exists only in google-beta",
  },
} as const;

/** What changing a node pool does (google provider 6.50.0, google_container_node_pool). */
export const GKE_NODE_POOL_FACTS = {
  /** `node_config.machine_type`, `disk_size_gb` and `disk_type` update in place: GKE recreates the nodes under the pool's upgrade strategy. */
  sizeUpdatesInPlace: {
    value: ["node_config.machine_type", "node_config.disk_size_gb", "node_config.disk_type"],
    source: "hashicorp/terraform-provider-google node_config.go (schema without ForceNew for these, updated by nodePoolNodeConfigUpdate) and docs r/container_node_pool",
  },
  /** Surge upgrade with max_unavailable 0: a new node is ready before an old one is drained; drains respect PodDisruptionBudgets (up to 1 hour). */
  surgeRespectsPdb: {
    value: { maxSurge: 1, maxUnavailable: 0 },
    source: "GKE docs 'Surge upgrades' (https://cloud.google.com/kubernetes-engine/docs/concepts/node-pool-upgrade-strategies#surge)",
  },
  /** `name` forces a new pool: kept stable, and `node_locations` is fixed after creation (ignore_changes). */
  nameForcesNew: {
    value: "name",
    source: "hashicorp/terraform-provider-google resource_container_node_pool.go (name ForceNew)",
  },
} as const;

/** Cloud KMS key versions. */
export const CLOUD_KMS_FACTS = {
  /** A destroyed version's material is kept for `destroy_scheduled_duration` (1 to 120 days) before it is gone. */
  destroyScheduledDays: {
    value: { min: 1, max: 120 },
    source: "Cloud KMS docs 'Key version states' / CryptoKey.destroyScheduledDuration (https://cloud.google.com/kms/docs/key-states)",
  },
} as const;

/** The entry point Service's annotations that choose GKE's load balancer. */
export const GKE_LOAD_BALANCER_ANNOTATIONS = {
  value: {
    public: { "cloud.google.com/l4-rbs": "enabled" },
    internal: { "networking.gke.io/load-balancer-type": "Internal" },
  } as Readonly<Record<"public" | "internal", Readonly<Record<string, string>>>>,
  source:
    "kubernetes/cloud-provider-gcp providers/gce/gce_annotations.go (ServiceAnnotationLoadBalancerType = \"networking.gke.io/load-balancer-type\", " +
    "LBTypeInternal = \"Internal\"); kubernetes/ingress-gce pkg/annotations/service.go (RBSAnnotationKey = \"cloud.google.com/l4-rbs\"); " +
    "https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters",
};

/**
 * Who encrypts with a customer-managed key (CMEK) on GCP, and so must hold roles/cloudkms.cryptoKeyEncrypterDecrypter
 * on it before the key is named: Cloud Storage's service agent for a bucket's default key, Compute Engine's
 * service agent for persistent disks (the PD CSI driver's `disk-encryption-kms-key` StorageClass parameter, and
 * node boot disks).
 */
export const GCP_CMEK_FACTS = {
  storageAgent: {
    value: "data google_storage_project_service_account (its email_address: service-<project number>@gs-project-accounts.iam.gserviceaccount.com)",
    source: "https://cloud.google.com/storage/docs/encryption/using-customer-managed-keys#service-agent-access; https://registry.terraform.io/providers/hashicorp/google/latest/docs/data-sources/storage_project_service_account",
  },
  computeAgent: {
    value: (projectNumber: string) => `service-${projectNumber}@compute-system.iam.gserviceaccount.com`,
    source: "https://cloud.google.com/kubernetes-engine/docs/how-to/using-cmek#grant_permission (Compute Engine Service Agent)",
  },
  storageClassParameter: {
    value: "disk-encryption-kms-key",
    source: "https://cloud.google.com/kubernetes-engine/docs/how-to/using-cmek#create_a_storageclass; kubernetes-sigs/gcp-compute-persistent-disk-csi-driver pkg/common/parameters.go (ParameterKeyDiskEncryptionKmsKey)",
  },
  role: { value: "roles/cloudkms.cryptoKeyEncrypterDecrypter", source: "same pages" },
} as const;
