import { Construct } from "constructs";
import { Annotations, DataResource, dependable, Fn, Op, ref, TerraformDataSource, TerraformResource, TerraformStack, Token } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { DataGoogleComputeZones } from "@cdktf/provider-google/lib/data-google-compute-zones";
import type { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";
import type { GcpDeployment, GcpSettings } from "../config/schema";
import { PrivateBucket } from "../constructs/gcp/bucket";
import { ControlPlaneAccess } from "../platform/control-plane-access";
import { CryptoKey } from "../constructs/gcp/crypto-key";
import { GkeCluster, pickControlPlaneCidr } from "../constructs/gcp/gke-cluster";
import { gcpCloudEgress } from "../constructs/gcp/egress-endpoints";
import { Policy } from "../policy";
import { KeyRing } from "../constructs/gcp/key-ring";
import { toGcpLabels } from "../constructs/gcp/labels";
import { Network, SECONDARY_RANGES } from "../constructs/gcp/network";
import { ExistingNetwork } from "../constructs/gcp/existing-network";
import { NodeFirewall } from "../constructs/gcp/node-firewall";
import { NodePool } from "../constructs/gcp/node-pool";
import { NodeServiceAccount } from "../constructs/gcp/node-service-account";
import { ProjectServices } from "../constructs/gcp/project-services";
import { WorkloadIdentity } from "../constructs/gcp/workload-identity";
import { GCP_CMEK_FACTS, GKE_GATEWAY, GKE_INTERNAL_STATIC_ADDRESS, GKE_LOAD_BALANCER_ANNOTATIONS, GKE_METADATA_SERVER_EGRESS, GKE_PRIVATE_SERVICE_CONNECT, GKE_SERVICE_AGENT_FACTS } from "../constructs/gcp/gke-facts";
import { overlaps, parseIpv4Cidr } from "../lib/cidr";
import { DataGoogleStorageProjectServiceAccount } from "@cdktf/provider-google/lib/data-google-storage-project-service-account";
import { PinnedZones } from "../constructs/common/pinned-zones";
import { ComputeAddress } from "@cdktf/provider-google/lib/compute-address";
import { DnsRecordSet } from "@cdktf/provider-google/lib/dns-record-set";
import { DataGoogleDnsManagedZone } from "@cdktf/provider-google/lib/data-google-dns-managed-zone";
import { configureBackend } from "./backend";
import { WORKLOAD_IDENTITIES, type LoadBalancerSpec, type PlatformFoundation, type ServiceCompanion } from "../platform/platform-foundation";
import { SERVICES } from "../platform/service-catalog";
import { ENTRY_POINT_HEALTH_PATH } from "../constructs/kubernetes/entry-point";
import { idOf } from "../lib/construct-id";

/**
 * How a GKE LoadBalancer Service takes reserved addresses: the annotation names the regional address
 * resources (GKE 1.29+), which must be in the cluster's region and project: EXTERNAL for an external passthrough
 * load balancer, INTERNAL in the load balancer's subnetwork for an internal one (GKE_INTERNAL_STATIC_ADDRESS).
 * Source: https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters#static-ip
 */
export const GKE_STATIC_ADDRESS = { annotation: "networking.gke.io/load-balancer-ip-addresses", source: "https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters#static-ip" } as const;

/**
 * The ports of the entry point's LoadBalancer Service (constructs/kubernetes/entry-point.ts: HTTPS 443 and the
 * redirecting 80), which Private Service Connect consumers reach; a test holds them against the synthesized Service.
 */
export const ENTRY_POINT_LOAD_BALANCER_PORTS = [443, 80] as const;

/** Props of the GCP cloud stack. */
export interface GcpStackProps {
  readonly deployment: GcpDeployment;
}

/** Zones a regional node pool spans (GKE's default for regional clusters). */
const ZONE_COUNT = 3;

/**
 * `<name>-gcp`: the GCP cloud layer. Fulfils the PlatformFoundation contract with a private GKE
 * cluster in a custom-mode VPC (or the customer's), private GCS buckets and persistent disks through the PD CSI
 * driver (AES-256 with Google-managed keys, or the deployment's Cloud KMS keys with encryption.keys customer-managed), and a Cloud KMS key for Vault's auto-unseal reached by workload identity.
 *
 * The constructor reads as the list of its parts; each part is a function below that creates its resources in
 * this stack's scope, with the ids they always had (ids are the state's addresses), in the order they always were
 * (the synthesized JSON keeps it).
 */
export class GcpStack extends TerraformStack {
  readonly foundation: PlatformFoundation;

  constructor(scope: Construct, id: string, props: GcpStackProps) {
    super(scope, id);
    const d = props.deployment;
    const c = gcpContext(d, d.gcp);
    configureBackend(this, id, d.state);
    new GoogleProvider(this, "Google", { project: c.projectId, region: c.region, defaultLabels: toGcpLabels({ ...d.tags, deployment: d.name }) });

    const apis = new ProjectServices(this, "Apis", { projectId: c.projectId });
    const project = new DataGoogleProject(this, "Project", { projectId: c.projectId });
    const zones = pinnedZones(this, c.region);
    const network = clusterNetwork(this, c);
    nodeFirewall(this, c, network);
    const keys = platformKeys(this, c, project);
    const nodeIdentity = new NodeServiceAccount(this, "NodeServiceAccount", { projectId: c.projectId, accountId: `${d.name}-nodes` });
    const cluster = gkeCluster(this, c, network, nodeIdentity, keys.secretsKey);
    nodePools(this, c, { cluster, nodeIdentity, zones, volumeKey: keys.volumeKey });
    const data = buckets(this, c, keys.data);
    const { vault, backup } = workloadIdentities(this, c, cluster, keys.vaultKey, data);
    const loadBalancer = entryPoint(this, c, network);
    // Nothing is created before the APIs it needs are enabled.
    dependOnApis(this, apis);

    this.foundation = {
      cloud: "gcp",
      zones,
      cluster: {
        name: cluster.resource.name,
        host: `https://${cluster.endpoint}`,
        caCertificatePem: Fn.base64decode(cluster.resource.masterAuth.clusterCaCertificate),
        exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "gke-gcloud-auth-plugin", args: [] },
        serviceAccountIssuer: `https://container.googleapis.com/v1/projects/${c.projectId}/locations/${c.region}/clusters/${d.name}`,
      },
      // PD CSI: every persistent disk is encrypted at rest (AES-256): Google-managed keys, or the volume key (customer-managed).
      encryptedStorage: { provisioner: "pd.csi.storage.gke.io", parameters: { type: "pd-balanced", ...(keys.volumeKey ? { [GCP_CMEK_FACTS.storageClassParameter.value]: keys.volumeKey.key.resource.id } : {}) } },
      objectStore: { kind: "gcs", dataBucket: data.resource.name, region: c.region },
      workloadIdentities: { vault: vault.binding, backup: backup.binding },
      vaultSeal: {
        type: "gcpckms",
        config: { project: c.projectId, region: c.region, key_ring: keys.keyRing.resource.name, crypto_key: keys.vaultKey.resource.name },
      },
      loadBalancer,
      podNetwork: {
        // VPC-native: pods and Services take the subnet's secondary ranges.
        clusterCidrs: [d.network.podCidr, d.network.serviceCidr],
        // Workload identity tokens come from the GKE metadata server on the node.
        workloadIdentityEgress: GKE_METADATA_SERVER_EGRESS,
      },
      egress: gcpCloudEgress(c.controlPlaneCidr),
    };
  }
}

/** A Certificate Manager certificate of the customer's (domain.certificate), served by a GKE Gateway. */
type GatewayCertificate = Extract<GcpDeployment["domain"]["certificate"], { source: "gcp-certificate-manager" }>;

/** What every part of the stack shares: the deployment and the choices read from it once (gcpContext). */
interface GcpContext {
  readonly d: GcpDeployment;
  readonly projectId: string;
  readonly region: string;
  /** Stateful resources may be destroyed (dataProtection.allowDestroy; default false: protected). */
  readonly allowDestroy: boolean;
  /** An existing network (possibly a Shared VPC host project's): read and checked, never managed. */
  readonly existing: GcpSettings["existingNetwork"];
  /** The project the network lives in: the existing network's host project, or projectId. */
  readonly networkProject: string;
  /** The names of the subnetwork's secondary ranges GKE gives pods and Services. */
  readonly podsRangeName: string;
  readonly servicesRangeName: string;
  /** The node, pod, service and admin ranges; the control plane's /28 (controlPlaneCidr) is picked clear of them. */
  readonly ownRanges: string[];
  readonly controlPlaneCidr: string;
  /** The network tag the nodes carry and the node firewall's rules target. */
  readonly nodeTag: string;
  /** The entry point is reachable from private networks only (domain.access: internal). */
  readonly internal: boolean;
  /** The customer's Cloud DNS zone the entry point's record goes in (domain.dnsZone). */
  readonly zone: Extract<GcpDeployment["domain"]["dnsZone"], { provider: "cloud-dns" }> | undefined;
  /** Private Service Connect's NAT subnetwork: its range (with domain.privateLink) and name. */
  readonly pscNatCidr: string | undefined;
  readonly pscNatName: string | undefined;
  /** The Certificate Manager certificate the Gateway serves, and the Gateway's proxy-only subnetwork. */
  readonly gatewayCertificate: GatewayCertificate | undefined;
  readonly proxyOnlyCidr: string | undefined;
  readonly proxyOnlyName: string | undefined;
}

/** Reads the deployment once into what the parts share (GcpContext). */
function gcpContext(d: GcpDeployment, gcp: GcpSettings): GcpContext {
  const existing = gcp.existingNetwork;
  const ownRanges = [d.network.cidr, d.network.podCidr, d.network.serviceCidr, ...d.controlPlane.adminCidrs];
  const gatewayCertificate = d.domain.certificate.source === "gcp-certificate-manager" ? d.domain.certificate : undefined;
  return {
    d,
    projectId: gcp.projectId,
    region: d.region,
    allowDestroy: d.dataProtection.allowDestroy,
    existing,
    networkProject: existing?.hostProjectId ?? gcp.projectId,
    // An existing network names its ranges (the schema requires both names then).
    podsRangeName: existing?.podsRangeName ?? SECONDARY_RANGES.pods,
    servicesRangeName: existing?.servicesRangeName ?? SECONDARY_RANGES.services,
    ownRanges,
    controlPlaneCidr: pickControlPlaneCidr(ownRanges),
    nodeTag: `${d.name}-gke-node`,
    internal: d.domain.access === "internal",
    zone: d.domain.dnsZone?.provider === "cloud-dns" ? d.domain.dnsZone : undefined,
    // Private Service Connect (domain.privateLink): a NAT subnet in the cluster's network, created here or the
    // existing network's (the schema requires gcp.pscNatCidr, and pscNatSubnetwork with an existing network).
    pscNatCidr: d.domain.privateLink ? gcp.pscNatCidr : undefined,
    pscNatName: existing ? existing.pscNatSubnetwork : `${d.name}-psc-nat`,
    // A Certificate Manager certificate is served by a GKE Gateway (GKE_GATEWAY), whose regional load balancer needs a
    // proxy-only subnet in the network, created here or the existing network's (the schema requires gcp.proxyOnlyCidr,
    // and proxyOnlySubnetwork with an existing network).
    gatewayCertificate,
    proxyOnlyCidr: gatewayCertificate ? gcp.proxyOnlyCidr : undefined,
    proxyOnlyName: existing?.proxyOnlySubnetwork,
  };
}

/**
 * The region's zones (`Zones`, `PinnedZones`): from the API (not `${region}-a/b/c`: europe-west1 has b, c, d), sorted,
 * read once: the first apply stores them (PinnedZones) and nothing re-derives them from the live list afterwards.
 * Three elements (each a token), so consumers can count them at synth time (e.g. minDomains).
 */
function pinnedZones(scope: Construct, region: string): string[] {
  const zoneData = new DataGoogleComputeZones(scope, "Zones", { region });
  return [...new PinnedZones(scope, "PinnedZones", { liveNames: Fn.sort(zoneData.names), count: ZONE_COUNT, source: "google_compute_zones" }).names];
}

/**
 * The cluster's network (`Network`): the VPC and subnetwork this stack creates, or an existing one (possibly a Shared
 * VPC host project's), read and checked, never managed. Either holds the Private Service Connect NAT subnetwork and
 * the Gateway's proxy-only subnetwork when the entry point needs them.
 */
function clusterNetwork(scope: Construct, c: GcpContext): Network | ExistingNetwork {
  const { d, existing, pscNatCidr, pscNatName, proxyOnlyCidr, proxyOnlyName } = c;
  return existing
    ? new ExistingNetwork(scope, "Network", {
        projectId: c.networkProject,
        region: c.region,
        network: existing.network,
        subnetwork: existing.subnetwork,
        nodeCidr: d.network.cidr,
        podsRange: { name: c.podsRangeName, cidr: d.network.podCidr },
        servicesRange: { name: c.servicesRangeName, cidr: d.network.serviceCidr },
        ...(pscNatCidr && pscNatName ? { pscNat: { name: pscNatName, cidr: pscNatCidr } } : {}),
        ...(proxyOnlyCidr && proxyOnlyName ? { proxyOnly: { name: proxyOnlyName, cidr: proxyOnlyCidr } } : {}),
      })
    : new Network(scope, "Network", {
        namePrefix: d.name,
        region: c.region,
        nodeCidr: d.network.cidr,
        podCidr: d.network.podCidr,
        serviceCidr: d.network.serviceCidr,
        ...(pscNatCidr ? { pscNatCidr } : {}),
        ...(proxyOnlyCidr ? { proxyOnlyCidr } : {}),
      });
}

/**
 * The nodes' firewall (`NodeFirewall`): the control plane, Private Service Connect's NAT range on the entry point's
 * ports, and the Gateway's proxies and health checkers on nginx's HTTPS port; then the refusal of a NAT or proxy-only
 * range on the control plane's /28.
 */
function nodeFirewall(scope: Construct, c: GcpContext, network: Network | ExistingNetwork): void {
  const { pscNatCidr, proxyOnlyCidr } = c;
  new NodeFirewall(scope, "NodeFirewall", {
    namePrefix: c.d.name,
    network: network.vpc.id,
    nodeTag: c.nodeTag,
    controlPlaneCidr: c.controlPlaneCidr,
    // In a network the deployment does not own, rules live in its project and touch only the nodes.
    ...(c.existing ? { project: c.networkProject, sharedNetwork: true } : {}),
    ...(pscNatCidr ? { privateServiceConnect: { natCidr: pscNatCidr, ports: ENTRY_POINT_LOAD_BALANCER_PORTS } } : {}),
    // The Gateway's proxies and health checkers reach the pods themselves (NEGs), on nginx's HTTPS port.
    ...(proxyOnlyCidr ? { proxyLoadBalancer: { proxyOnlyCidr, healthCheckRanges: GKE_GATEWAY.healthCheckRanges.value, podPort: SERVICES.entryPoint.ports[0].port } } : {}),
  });
  // The control plane's /28 is picked clear of the node, pod, service and admin ranges only (adding these ranges to
  // the pick could move it, which replaces the cluster): a range on it is refused instead.
  const cpRange = parseIpv4Cidr(c.controlPlaneCidr);
  const ranges = [
    { field: "gcp.pscNatCidr", cidr: pscNatCidr, what: "a NAT range" },
    { field: "gcp.proxyOnlyCidr", cidr: proxyOnlyCidr, what: "a proxy-only range" },
  ];
  for (const { field, cidr, what } of ranges) {
    const range = cidr ? parseIpv4Cidr(cidr) : undefined;
    if (range && cpRange && overlaps(range, cpRange)) {
      Annotations.of(scope).addError(`${field}: ${cidr} overlaps the GKE control plane's range ${c.controlPlaneCidr}; choose ${what} outside it`);
    }
  }
}

/** A key and its grant to the one Google service agent that encrypts with it (what the key's users wait for). */
interface GrantedKey {
  readonly key: CryptoKey;
  readonly grant: KmsCryptoKeyIamMember;
}

/** The stack's Cloud KMS keys and the grants the cluster, node pools and buckets wait for. */
interface PlatformKeys {
  readonly keyRing: KeyRing;
  /** Kubernetes Secrets in etcd, usable by GKE's service agent: the cluster waits for the grant. */
  readonly secretsKey: GrantedKey;
  readonly vaultKey: CryptoKey;
  /** Customer-managed keys only: persistent disks' key (nodes' boot disks and the StorageClass). */
  readonly volumeKey: GrantedKey | undefined;
  /** Customer-managed keys only: the buckets' key. */
  readonly data: GrantedKey | undefined;
}

/**
 * The keys (`KeyRing`): one for Kubernetes Secrets in etcd (`SecretsKey`), one for Vault's auto-unseal
 * (`VaultUnsealKey`), and with customer-managed keys (opt-in, encryption.keys) one for persistent disks (`VolumeKey`)
 * and one for the buckets (`DataKey`), each usable only by the Google service agent that encrypts with it.
 */
function platformKeys(scope: Construct, c: GcpContext, project: DataGoogleProject): PlatformKeys {
  const { allowDestroy, projectId } = c;
  const keyRing = new KeyRing(scope, "KeyRing", { name: `${c.d.name}-platform`, location: c.region, allowDestroy });
  const cryptoKey = (id: string, name: string) => new CryptoKey(scope, id, { name, keyRingId: keyRing.resource.id, allowDestroy });
  const secretsKey = cryptoKey("SecretsKey", "gke-secrets");
  const vaultKey = cryptoKey("VaultUnsealKey", "vault-unseal");
  // GKE's service agent appears some time after the container API is enabled: create it now (the
  // documented, idempotent command), then grant it the key; the cluster waits for the grant.
  const serviceAgentReady = new DataResource(scope, "GkeServiceAgent", {
    triggersReplace: { project: project.number },
    provisioners: [
      { type: "local-exec", command: [...GKE_SERVICE_AGENT_FACTS.createCommand.value, `--project=${projectId}`].join(" ") },
    ],
  });
  const gkeServiceAgent = `serviceAccount:${GKE_SERVICE_AGENT_FACTS.email.value(project.number)}`;
  const secretsKeyGrant = secretsKey.grantEncryptDecrypt("GkeServiceAgent", gkeServiceAgent);
  secretsKeyGrant.dependsOn = [dependable(serviceAgentReady)];
  const platform = { keyRing, secretsKey: { key: secretsKey, grant: secretsKeyGrant }, vaultKey };
  if (c.d.encryption?.keys !== "customer-managed") return { ...platform, volumeKey: undefined, data: undefined };

  const volumeKey = cryptoKey("VolumeKey", "volumes");
  const volumeKeyGrant = volumeKey.grantEncryptDecrypt("ComputeServiceAgent", `serviceAccount:${GCP_CMEK_FACTS.computeAgent.value(project.number)}`);
  const dataKey = cryptoKey("DataKey", "data");
  const storageAgent = new DataGoogleStorageProjectServiceAccount(scope, "StorageServiceAgent", { project: projectId });
  const dataKeyGrant = dataKey.grantEncryptDecrypt("StorageServiceAgent", `serviceAccount:${storageAgent.emailAddress}`);
  return { ...platform, volumeKey: { key: volumeKey, grant: volumeKeyGrant }, data: { key: dataKey, grant: dataKeyGrant } };
}

/**
 * The private GKE cluster (`Cluster`) in the network, its Secrets encrypted with the secrets key (created once GKE's
 * service agent may use it), with the Gateway API for a Certificate Manager certificate.
 */
function gkeCluster(scope: Construct, c: GcpContext, network: Network | ExistingNetwork, nodeIdentity: NodeServiceAccount, secretsKey: GrantedKey): GkeCluster {
  const { d, gatewayCertificate } = c;
  return new GkeCluster(scope, "Cluster", {
    name: d.name,
    location: c.region,
    network: network.vpc.id,
    subnetwork: network.subnet.id,
    podsRangeName: c.podsRangeName,
    servicesRangeName: c.servicesRangeName,
    access: ControlPlaneAccess.of(d.controlPlane),
    controlPlaneCidr: c.controlPlaneCidr,
    reservedRanges: c.ownRanges,
    secretsEncryptionKeyId: secretsKey.key.resource.id,
    workloadPool: `${c.projectId}.svc.id.goog`,
    nodeServiceAccountEmail: nodeIdentity.resource.email,
    allowDestroy: c.allowDestroy,
    kubernetesVersion: d.controlPlane.kubernetesVersion,
    ...(gatewayCertificate ? { gatewayApi: true } : {}),
    // An internal passthrough load balancer on a reserved address (the DNS record's): only GKE subsetting's
    // controller honours the address annotation (GKE_ILB_SUBSETTING).
    ...(c.internal && !gatewayCertificate && c.zone ? { internalLoadBalancerSubsetting: true } : {}),
    dependsOn: [secretsKey.grant],
  });
}

/** What the node pools run on. */
interface NodePoolPlacement {
  readonly cluster: GkeCluster;
  readonly nodeIdentity: NodeServiceAccount;
  readonly zones: string[];
  /** Customer-managed keys only: the nodes' boot disks are encrypted with it, once its grant exists. */
  readonly volumeKey: GrantedKey | undefined;
}

/** One node pool per config pool (`NodePool<Name>`), spread over the pinned zones, on the nodes' identity and tag. */
function nodePools(scope: Construct, c: GcpContext, p: NodePoolPlacement): void {
  for (const pool of c.d.nodePools) {
    const nodePool = new NodePool(scope, `NodePool${idOf(pool.name)}`, {
      clusterId: p.cluster.resource.id,
      name: pool.name,
      machineType: pool.machineType,
      zones: p.zones,
      nodeCountPerZone: Math.ceil(pool.count / ZONE_COUNT),
      diskSizeGiB: pool.diskSizeGiB,
      serviceAccountEmail: p.nodeIdentity.resource.email,
      networkTags: [c.nodeTag],
      bootDiskKmsKey: p.volumeKey?.key.resource.id,
    });
    if (p.volumeKey) nodePool.resource.dependsOn = [dependable(p.volumeKey.grant)];
  }
}

/**
 * The buckets: usage logs land in their own bucket (`Logs`), the platform's data (`Data`) logs there; with
 * customer-managed keys both under the data key, created once its grant exists. Returns the data bucket.
 */
function buckets(scope: Construct, c: GcpContext, dataKey: GrantedKey | undefined): PrivateBucket {
  const { d, projectId, region, allowDestroy } = c;
  const kmsKeyName = dataKey?.key.resource.id;
  const logs = new PrivateBucket(scope, "Logs", { name: `${projectId}-${d.name}-logs`, location: region, allowDestroy, kmsKeyName });
  logs.acceptAccessLogs();
  Policy.suppress(logs.resource, [{ id: "GCP-4", reason: LOG_BUCKET_USAGE_REASON }]);
  const data = new PrivateBucket(scope, "Data", { name: `${projectId}-${d.name}-data`, location: region, logBucket: logs.resource.name, allowDestroy, kmsKeyName });
  // Cloud Storage checks its agent's access when the default key is set.
  if (dataKey) for (const b of [logs, data]) b.resource.dependsOn = [dependable(dataKey.grant)];
  return data;
}

/**
 * The workload identities: Vault's (`VaultIdentity`), which may use the unseal key, and the backups'
 * (`BackupIdentity`), which may write the data bucket. Each Google service account is granted one resource,
 * nothing project-wide.
 */
function workloadIdentities(scope: Construct, c: GcpContext, cluster: GkeCluster, vaultKey: CryptoKey, data: PrivateBucket): { vault: WorkloadIdentity; backup: WorkloadIdentity } {
  const workloadPool = cluster.resource.workloadIdentityConfig.workloadPool;
  const identity = (id: string, role: keyof typeof WORKLOAD_IDENTITIES, displayName: string) =>
    new WorkloadIdentity(scope, id, { projectId: c.projectId, accountId: `${c.d.name}-${role}`, displayName, workloadPool, subjects: WORKLOAD_IDENTITIES[role].subjects });
  const vault = identity("VaultIdentity", "vault", "Vault auto-unseal");
  vaultKey.grantEncryptDecrypt("Vault", vault.resource.member);
  vaultKey.grantViewer("VaultViewer", vault.resource.member);
  const backup = identity("BackupIdentity", "backup", "Platform backups");
  // Written as serviceAccount:<email> so the policy can see at synth that the member is not public.
  data.grant("Backup", "roles/storage.objectAdmin", `serviceAccount:${backup.resource.email}`);
  return { vault, backup };
}

/**
 * The entry point's load balancer. Public: a backend-service-based external passthrough load balancer (regional,
 * supports every port set). Internal: an internal passthrough load balancer with an address in the nodes' subnetwork.
 * A reserved address (entryPointAddress) is named for the load balancer to take. With privateLink, the
 * ServiceAttachment beside the Service. With a Certificate Manager certificate, a GKE Gateway instead
 * (gatewayLoadBalancer).
 */
function entryPoint(scope: Construct, c: GcpContext, network: Network | ExistingNetwork): LoadBalancerSpec {
  const address = entryPointAddress(scope, c, network);
  if (c.gatewayCertificate && c.proxyOnlyCidr && address) {
    const { d, gatewayCertificate: cert, proxyOnlyCidr } = c;
    return gatewayLoadBalancer({ access: c.internal ? "internal" : "public", hostname: d.domain.name, certificate: cert.certificate, addressName: address.name, address: address.address, proxyOnlyCidr });
  }
  const serviceCompanions = serviceAttachment(c);
  return {
    serviceAnnotations: { ...GKE_LOAD_BALANCER_ANNOTATIONS.value[c.internal ? "internal" : "public"], ...(address ? { [GKE_STATIC_ADDRESS.annotation]: address.name } : {}) },
    ...(serviceCompanions.length ? { serviceCompanions } : {}),
  };
}

/**
 * The entry point's reserved regional address (`EntryPointAddress`) with a Cloud DNS zone or for the Gateway, and the
 * user-facing name on it in the customer's zone (`EntryPointRecord`): the load balancer takes the address
 * (GKE_STATIC_ADDRESS), so the record exists before the Service and survives its re-creation. Returns the address's
 * name, as the load balancer names it, and its value.
 */
function entryPointAddress(scope: Construct, c: GcpContext, network: Network | ExistingNetwork): { name: string; address: string } | undefined {
  const { d, zone, gatewayCertificate, region } = c;
  if (!zone && !gatewayCertificate) return undefined;
  // Named here (a literal): the platform stack's Service names it without a cross-stack reference.
  const name = `${d.name}-entry-point`;
  // An internal entry point takes an internal address of the nodes' subnetwork (reserved in this project, also
  // from a Shared VPC host project's subnetwork: GKE_INTERNAL_STATIC_ADDRESS); the record then belongs in a private zone.
  // The Gateway takes a reserved address by name (GKE_GATEWAY.namedAddress), with or without a zone.
  const address = new ComputeAddress(scope, "EntryPointAddress", c.internal
    ? { name, region, ...(gatewayCertificate ? GKE_GATEWAY.internalAddress.value : GKE_INTERNAL_STATIC_ADDRESS.value), subnetwork: network.subnet.id }
    : { name, region, addressType: "EXTERNAL", networkTier: "PREMIUM" });
  if (zone) {
    // The record waits for the zone's check: a public zone stops the apply before the private address is published
    // (on a first apply the zone is read then, after the DNS API is enabled, rather than at plan).
    const checked = c.internal ? privateZone(scope, c.projectId, zone.managedZone) : undefined;
    new DnsRecordSet(scope, "EntryPointRecord", { managedZone: zone.managedZone, name: `${d.domain.name}.`, type: "A", ttl: 300, rrdatas: [address.address], ...(checked ? { dependsOn: [checked] } : {}) });
  }
  return { name, address: address.address };
}

/**
 * The Cloud DNS zone of an internal entry point, read at plan: a private zone, or the plan fails naming the field. A
 * public zone would publish the internal address to the internet (`visibility`: hashicorp/terraform-provider-google
 * google/services/dns/data_source_dns_managed_zone.go, from the ManagedZone's visibility, "public" or "private").
 */
function privateZone(scope: Construct, project: string, managedZone: string): DataGoogleDnsManagedZone {
  return new DataGoogleDnsManagedZone(scope, "EntryPointZone", {
    name: managedZone,
    project,
    lifecycle: {
      postcondition: [
        {
          condition: Token.asAny(Op.eq(ref("self.visibility"), "private")),
          errorMessage:
            `domain.dnsZone.managedZone ${managedZone} is a public zone: an internal entry point's record holds a private address, which a public zone would publish ` +
            "to the internet; name a private zone visible to the users' networks, or set domain.access: public",
        },
      ],
    },
  });
}

/**
 * Private Service Connect (domain.privateLink): the service attachment on the entry point's forwarding rule, created by
 * GKE from a ServiceAttachment beside the Service (GKE_PRIVATE_SERVICE_CONNECT), with the NAT subnetwork consumers'
 * connections are translated into: the named consumer projects are accepted, any other request stays pending.
 */
function serviceAttachment(c: GcpContext): ServiceCompanion[] {
  const privateLink = c.d.domain.privateLink;
  const pscFacts = GKE_PRIVATE_SERVICE_CONNECT;
  if (!privateLink || !c.pscNatName) return [];
  const natSubnet = pscFacts.natSubnetPath.value(c.networkProject, c.region, c.pscNatName);
  return [
    companion("ServiceAttachment", pscFacts.resource.value, (service) => ({
      connectionPreference: pscFacts.connectionPreference.value,
      natSubnets: [natSubnet],
      resourceRef: { kind: pscFacts.resourceRefKind.value, name: service.name },
      proxyProtocol: false,
      consumerAllowList: privateLink.allowedConsumers.map((project) => ({ project, connectionLimit: pscFacts.connectionLimitPerConsumer.value })),
    })),
  ];
}

/** The Gateway's certificate name: the last segment of a path, or the name itself (config GCP_REGIONAL_CERTIFICATE). */
export function certificateName(certificate: string): string {
  return certificate.slice(certificate.lastIndexOf("/") + 1);
}

/**
 * The entry point behind a GKE Gateway (GKE_GATEWAY): a regional application load balancer of the access's class,
 * HTTPS only on 443 with the Certificate Manager certificate, on the reserved address, routing every request to the
 * entry point's Service (a ClusterIP with NEGs, re-encrypted to with appProtocol HTTPS), health-checked on nginx's
 * health path over HTTPS. Its proxies (the proxy-only range) and Google's health checkers are the pods' only clients.
 */
export function gatewayLoadBalancer(o: { access: "public" | "internal"; hostname: string; certificate: string; addressName: string; address: string; proxyOnlyCidr: string }): LoadBalancerSpec {
  const g = GKE_GATEWAY;
  const https = SERVICES.entryPoint.ports[0];
  const listener = "https";
  return {
    serviceAnnotations: { ...g.negAnnotation.value },
    proxied: { appProtocol: g.backendAppProtocol.value, clientCidrs: [o.proxyOnlyCidr, ...g.healthCheckRanges.value], address: o.address },
    serviceCompanions: [
      companion("Gateway", g.resources.value.gateway, () => ({
        gatewayClassName: g.gatewayClass.value[o.access],
        // HTTPS only: no HTTP listener.
        listeners: [
          {
            name: listener,
            protocol: "HTTPS",
            port: 443,
            hostname: o.hostname,
            tls: { mode: "Terminate", options: { [g.certificateOption.value]: certificateName(o.certificate) } },
            allowedRoutes: { namespaces: { from: "Same" } },
          },
        ],
        addresses: [{ type: g.namedAddress.value, value: o.addressName }],
      })),
      companion("HttpRoute", g.resources.value.httpRoute, (service) => ({
        parentRefs: [{ name: service.name, sectionName: listener }],
        hostnames: [o.hostname],
        rules: [{ backendRefs: [{ name: service.name, port: 443 }] }],
      })),
      companion("HealthCheckPolicy", g.resources.value.healthCheckPolicy, (service) => ({
        default: { config: { type: "HTTPS", httpsHealthCheck: { port: https.port, requestPath: ENTRY_POINT_HEALTH_PATH } } },
        targetRef: { group: "", kind: "Service", name: service.name },
      })),
    ],
  };
}

/** An object of kind `resource` named and placed as the entry point's Service, with the given spec. */
function companion(
  id: string,
  resource: { readonly apiVersion: string; readonly kind: string },
  spec: (service: { readonly name: string; readonly namespace: string }) => Record<string, unknown>,
): ServiceCompanion {
  return { id, manifest: (service) => ({ apiVersion: resource.apiVersion, kind: resource.kind, metadata: { name: service.name, namespace: service.namespace }, spec: spec(service) }) };
}

/** Makes every resource and data source of the stack (but the APIs themselves) wait for the APIs. */
function dependOnApis(stack: TerraformStack, apis: ProjectServices): void {
  // Bare addresses (`google_project_service.<id>`), as Terraform's depends_on wants them.
  const apiIds = apis.services.map((s) => `${s.terraformResourceType}.${s.friendlyUniqueId}`);
  const isApi = new Set<unknown>(apis.services);
  for (const c of stack.node.findAll()) {
    if ((c instanceof TerraformResource || c instanceof TerraformDataSource) && !isApi.has(c)) {
      c.dependsOn = [...new Set([...(c.dependsOn ?? []), ...apiIds])];
    }
  }
}

/**
 * Why the usage-log bucket has no usage log of its own (GCP-4): it would have to log into itself (every
 * hourly delivery logged again) or into another bucket that then has the same question.
 */
export const LOG_BUCKET_USAGE_REASON =
  "This bucket receives the data bucket's usage logs, written by Google's cloud-storage-analytics group; its own usage cannot go into itself (each delivery " +
  "would be logged again) and a further bucket would need the same again. Reads and writes of its objects are recorded by Cloud Audit Logs when the " +
  "project's Data Access audit logs cover storage.googleapis.com, a project-wide setting left to the customer's organization (docs/gcp.md).";
