import type { PodEgress } from "../../platform/platform-foundation";
import { GKE_PSC_CONSUMER } from "../../config/cloud-facts";

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

/**
 * Private Service Connect for the entry point's internal passthrough load balancer, the GKE way: a
 * `ServiceAttachment` object next to the Service, from which GKE's PSC controller (kubernetes/ingress-gce
 * pkg/psc) creates the Compute Engine service attachment on the Service's forwarding rule.
 */
export const GKE_PRIVATE_SERVICE_CONNECT = {
  /** The custom resource and the spec fields used (connectionPreference, natSubnets, resourceRef, proxyProtocol, consumerAllowList[].project/connectionLimit). */
  resource: {
    value: { apiVersion: "networking.gke.io/v1", kind: "ServiceAttachment", specFields: ["connectionPreference", "natSubnets", "resourceRef", "proxyProtocol", "consumerAllowList"] },
    source: "kubernetes/ingress-gce pkg/apis/serviceattachment/v1/types.go (ServiceAttachmentSpec, ConsumerProject); https://cloud.google.com/kubernetes-engine/docs/how-to/internal-load-balancing-across-vpc-net#create-service-attachment",
  },
  /** resourceRef must name a Service (kind "Service", no apiGroup): the controller finds its forwarding rule and checks its address against the Service's status. */
  resourceRefKind: { value: "Service", source: "kubernetes/ingress-gce pkg/psc/controller.go (validateResourceReference: kind must be \"service\", apiGroup empty; getForwardingRule)" },
  /**
   * A bare subnet name is looked up in the cluster's own project; a subnet of a Shared VPC host project must be
   * given as its resource path, which the controller passes through unchanged.
   */
  natSubnetPath: {
    value: (project: string, region: string, name: string) => `projects/${project}/regions/${region}/subnetworks/${name}`,
    source:
      "kubernetes/ingress-gce pkg/psc/controller.go getSubnetURLs ('For shared vpc cases, users must specify full resource path of the subnet'); " +
      "GoogleCloudPlatform/k8s-cloud-provider pkg/cloud/utils.go ParseResourceURL (accepts projects/<proj>/regions/<region>/<res>/<name>)",
  },
  /** The subnet's purpose: reserved for SNAT of consumers' connections, usable by no VM or forwarding rule, by one service attachment only. */
  natSubnetPurpose: {
    value: "PRIVATE_SERVICE_CONNECT",
    source: "https://cloud.google.com/vpc/docs/about-vpc-hosted-services#nat-subnets; hashicorp/google 6.50.0 google_compute_subnetwork.purpose",
  },
  /** Consumers' packets reach the producer with a source address from the NAT subnet (SNAT): firewalls and NetworkPolicies see that range, never the consumer's. */
  consumersArriveFromNatSubnet: {
    value: true,
    source: "https://cloud.google.com/vpc/docs/about-vpc-hosted-services#nat-subnets ('Packets from the consumer VPC network are translated using source NAT (SNAT) ... to source IP addresses from the NAT subnet')",
  },
  /** ACCEPT_MANUAL: only the projects of the accept list are connected; any other request stays pending until the producer accepts it. */
  connectionPreference: {
    value: "ACCEPT_MANUAL",
    source: "https://cloud.google.com/vpc/docs/about-vpc-hosted-services; Compute API serviceAttachments.connectionPreference / consumerAcceptLists",
  },
  /** A consumer is a project, by id or by number (the config checks it: config/cloud-facts.ts). */
  consumer: GKE_PSC_CONSUMER,
  /** Endpoints each consumer project may connect (the accept list's connectionLimit; omitted, the controller would send none). */
  connectionLimitPerConsumer: {
    value: 10,
    source: "Compute API serviceAttachments consumerAcceptLists[].connectionLimit; ingress-gce convertAllowList copies ConsumerProject.ConnectionLimit (omitempty)",
  },
  /** The controller runs in GKE 1.21.4-gke.300 and later, with the HttpLoadBalancing add-on (on by default). */
  requires: {
    value: { minimumGkeVersion: "1.21.4-gke.300", httpLoadBalancingAddon: true },
    source: "https://cloud.google.com/kubernetes-engine/docs/how-to/internal-load-balancing-across-vpc-net (Requirements and limitations)",
  },
} as const;

/**
 * A reserved internal address for the internal passthrough load balancer: the Service's
 * `networking.gke.io/load-balancer-ip-addresses` annotation names a regional address resource of the cluster's
 * own project (looked up there by name), which must lie in the subnetwork the load balancer uses (the cluster's,
 * by default). GCE_ENDPOINT is the purpose of an address used by one load balancer's forwarding rule;
 * SHARED_LOADBALANCER_VIP only when several forwarding rules share it (GKE makes one per protocol, and the entry
 * point is TCP only). In a Shared VPC the address is reserved in the service project from the host project's
 * subnetwork, which needs compute.subnetworks.use on that subnetwork (roles/compute.networkUser).
 */
export const GKE_INTERNAL_STATIC_ADDRESS = {
  value: { addressType: "INTERNAL", purpose: "GCE_ENDPOINT" },
  source:
    "kubernetes/ingress-gce pkg/l4annotations (ipAddressFromAnnotation: cloud.GetRegionAddress(name, cloud.Region()) in the cluster's project); " +
    "https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters#static-ip; hashicorp/google 6.50.0 google_compute_address.purpose; " +
    "https://cloud.google.com/vpc/docs/provisioning-shared-vpc (a Service Project Admin reserves an internal address from a shared subnet with compute.subnetworks.use)",
} as const;

/**
 * The GKE Gateway that serves a Certificate Manager certificate in front of the entry point
 * (domain.certificate.source gcp-certificate-manager). The certificate's private key never leaves Google, so only a
 * Google application load balancer (L7) can serve it; GKE's Gateway controller makes one from these objects.
 */
export const GKE_GATEWAY = {
  /** Regional classes, one per domain.access: a regional internal / regional external managed Application Load Balancer. */
  gatewayClass: {
    value: { internal: "gke-l7-rilb", public: "gke-l7-regional-external-managed" } as Readonly<Record<"public" | "internal", string>>,
    source: "https://cloud.google.com/kubernetes-engine/docs/concepts/gateway-api#gatewayclass (GatewayClass names gke-l7-rilb, gke-l7-regional-external-managed); https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities",
  },
  /** The API versions and kinds created (Gateway API standard channel v1; GKE's policy CRDs networking.gke.io/v1). */
  resources: {
    value: {
      gateway: { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway" },
      httpRoute: { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute" },
      healthCheckPolicy: { apiVersion: "networking.gke.io/v1", kind: "HealthCheckPolicy" },
    },
    source:
      "kubernetes-sigs/gateway-api apis/v1 (Gateway, HTTPRoute); https://googlecloudplatform.github.io/gke-gateway-api (networking.gke.io/v1 HealthCheckPolicy: " +
      "spec.default.config.type HTTPS, httpsHealthCheck.port/requestPath, spec.targetRef to a Service in the same namespace)",
  },
  /**
   * Regional Certificate Manager certificates are named, by certificate name (looked up in the cluster's project and the
   * Gateway's region), in the HTTPS listener's TLS options under this key (a listener option, not a Gateway annotation;
   * the networking.gke.io/certmap annotation takes certificate maps, which regional Gateways do not support).
   */
  certificateOption: {
    value: "networking.gke.io/cert-manager-certs",
    source:
      "https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway#secure-using-certificate-manager (listeners[].tls.options networking.gke.io/cert-manager-certs; " +
      "regional Gateways take regional certificates); https://cloud.google.com/certificate-manager/docs/overview#supported-load-balancers (regional external and internal " +
      "Application Load Balancers: individual regional certificates, no certificate maps)",
  },
  /** A reserved regional address, by name in the Gateway's spec.addresses (type NamedAddress): INTERNAL in the nodes' subnetwork for gke-l7-rilb, EXTERNAL for the external class. */
  namedAddress: {
    value: "NamedAddress",
    source: "https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways#gateway_ip_addressing (spec.addresses type NamedAddress names a reserved regional address of the cluster's project)",
  },
  /**
   * The proxies re-encrypt to the backends when the Service port says so: appProtocol HTTPS (they do not verify the
   * backend's certificate, so nginx keeps its Vault-issued one).
   */
  backendAppProtocol: {
    value: "HTTPS",
    source: "https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway#load-balancer-tls ('set the appProtocol field of the Service port to HTTPS')",
  },
  /**
   * Container-native load balancing: Gateways send to pods through NEGs on VPC-native clusters. The Service is a
   * ClusterIP; the annotation asks for the NEGs explicitly (what the controller would add itself), so Terraform owns it.
   */
  negAnnotation: {
    value: { "cloud.google.com/neg": '{"ingress":true}' } as Readonly<Record<string, string>>,
    source:
      "https://cloud.google.com/kubernetes-engine/docs/how-to/container-native-load-balancing (cloud.google.com/neg: '{\"ingress\": true}'); " +
      "https://cloud.google.com/kubernetes-engine/docs/concepts/gateway-api (Gateway API: VPC-native clusters only, container-native load balancing)",
  },
  /**
   * An internal Gateway's reserved address: INTERNAL, from the nodes' subnetwork (not the proxy-only one), with purpose
   * SHARED_LOADBALANCER_VIP, which the GKE docs prescribe for a Gateway's internal address (a Gateway may put several
   * forwarding rules on it, one per listener port).
   */
  internalAddress: {
    value: { addressType: "INTERNAL", purpose: "SHARED_LOADBALANCER_VIP" },
    source:
      "https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways#gateway_ip_addressing (gcloud compute addresses create ... --purpose=SHARED_LOADBALANCER_VIP --subnet=SUBNET for an internal Gateway); " +
      "https://cloud.google.com/load-balancing/docs/forwarding-rule-concepts (several internal forwarding rules share an address only with SHARED_LOADBALANCER_VIP); hashicorp/google 6.50.0 google_compute_address.purpose",
  },
  /** The proxy-only subnet regional Envoy-based load balancers need in the region: the proxies connect to the backends from it. */
  proxyOnlySubnet: {
    value: { purpose: "REGIONAL_MANAGED_PROXY", role: "ACTIVE" },
    source:
      "https://cloud.google.com/load-balancing/docs/proxy-only-subnets (one active proxy-only subnet per region and network, shared by all regional Envoy-based load balancers; " +
      "backends see connections from its addresses); hashicorp/google 6.50.0 google_compute_subnetwork purpose/role",
  },
  /** Health-check probes of these load balancers come from Google's health-check ranges, to the backends' (pods') serving port. */
  healthCheckRanges: {
    value: ["35.191.0.0/16", "130.211.0.0/22"] as readonly string[],
    source:
      "https://cloud.google.com/load-balancing/docs/firewall-rules (minimum ingress rules: health check ranges 35.191.0.0/16 and 130.211.0.0/22; Envoy-based load balancers " +
      "also the proxy-only subnet, 'traffic from the load balancer to the backends is then sent from IP addresses in the proxy-only subnet'); https://cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges",
  },
  /** GKE's ServiceAttachment refers to a Service only (GKE_PRIVATE_SERVICE_CONNECT.resourceRefKind): Private Service Connect cannot target the Gateway. */
  serviceAttachmentTargetsServiceOnly: {
    value: true,
    source: "kubernetes/ingress-gce pkg/psc/controller.go (validateResourceReference: kind must be \"service\")",
  },
  /** Cloud Armor (GCPBackendPolicy securityPolicy), the Gateway's way to limit source addresses, is not supported on gke-l7-rilb. */
  noSourceLimitOnRilb: {
    value: true,
    source:
      "https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities#additional-services (Google Cloud Armor backend security policy: not for gke-l7-rilb); " +
      "https://discuss.google.dev/t/gateway-gcpbackendpolicy/148363/2 (the same table: not for regional external Gateways either, at the time)",
  },
  /** The GKE Gateway controller's requirements: HttpLoadBalancing add-on (on by default), Gateway API enabled on the cluster. */
  requires: {
    value: { httpLoadBalancingAddon: true, gatewayApiChannel: "CHANNEL_STANDARD" },
    source: "https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways (Requirements; gcloud container clusters update --gateway-api=standard); hashicorp/google 6.50.0 google_container_cluster gateway_api_config.channel",
  },
} as const;

/**
 * Which controller reads the reserved address of an internal passthrough load balancer's Service. With GKE
 * subsetting, ingress-gce's L4 controller takes the address named by `networking.gke.io/load-balancer-ip-addresses`
 * first, then spec.loadBalancerIP; without it, the legacy cloud-provider-gcp controller reads only
 * spec.loadBalancerIP, so the named address would be ignored and the load balancer take an ephemeral one (the DNS
 * record then points at nothing). Subsetting can be turned on in existing Standard clusters (not off again).
 */
export const GKE_ILB_SUBSETTING = {
  annotationHonouredWithSubsetting: {
    value: true,
    source: "kubernetes/ingress-gce pkg/address (IPv4ToUse: 1. the static addresses annotation networking.gke.io/load-balancer-ip-addresses, 2. .Spec.LoadBalancerIP, 3. the existing forwarding rule's address)",
  },
  legacyReadsOnlyLoadBalancerIp: {
    value: true,
    source: "kubernetes/cloud-provider-gcp providers/gce/gce_loadbalancer_internal.go (ilbIPToUse: svc.Spec.LoadBalancerIP or the existing forwarding rule's address)",
  },
  enableOnExistingClusters: {
    value: "in place; cannot be disabled",
    source: "https://cloud.google.com/kubernetes-engine/docs/how-to/internal-load-balancing (Using GKE subsetting: 'You can enable GKE subsetting in new and existing Standard clusters in GKE versions 1.18.19-gke.1400 and later'); hashicorp/google 6.x google_container_cluster.enable_l4_ilb_subsetting",
  },
} as const;
