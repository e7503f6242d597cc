import { Construct } from "constructs";
import { Annotations, DataResource, dependable, Fn, TerraformDataSource, TerraformResource, TerraformStack } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { DataGoogleProject } from "@cdktf/provider-google/lib/data-google-project";
import { DataGoogleComputeZones } from "@cdktf/provider-google/lib/data-google-compute-zones";
import type { GcpDeployment } from "../config/schema";
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

/**
 * How a GKE LoadBalancer Service takes reserved addresses: the annotation names the regional address
 * resources (GKE 1.29+), which must be in the cluster's region and project: EXTERNAL for an external passthrough
 * load balancer, INTERNAL in the load balancer's subnetwork for an internal one (GKE_INTERNAL_STATIC_ADDRESS).
 * Source: https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters#static-ip
 */
export const GKE_STATIC_ADDRESS = { annotation: "networking.gke.io/load-balancer-ip-addresses", source: "https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters#static-ip" } as const;
import { configureBackend } from "./backend";
import { WORKLOAD_IDENTITIES, type LoadBalancerSpec, type PlatformFoundation, type ServiceCompanion } from "../platform/platform-foundation";
import { SERVICES } from "../platform/service-catalog";
import { ENTRY_POINT_HEALTH_PATH } from "../constructs/kubernetes/entry-point";
import { idOf } from "../lib/construct-id";

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
 * cluster in a custom-mode VPC, private GCS buckets (Google-managed AES-256 keys), persistent disks
 * through the PD CSI driver, and a Cloud KMS key for Vault's auto-unseal reached by workload identity.
 */
export class GcpStack extends TerraformStack {
  readonly foundation: PlatformFoundation;

  constructor(scope: Construct, id: string, props: GcpStackProps) {
    super(scope, id);
    const d = props.deployment;
    const projectId = d.gcp.projectId;
    const region = d.region;
    const allowDestroy = d.dataProtection.allowDestroy;
    const labels = toGcpLabels({ ...d.tags, deployment: d.name });
    configureBackend(this, id, d.state);
    new GoogleProvider(this, "Google", { project: projectId, region, defaultLabels: labels });

    const apis = new ProjectServices(this, "Apis", { projectId });
    const project = new DataGoogleProject(this, "Project", { projectId });
    // Zones from the API (not `${region}-a/b/c`: europe-west1 has b, c, d), sorted, read once: the first
    // apply stores them (PinnedZones) and nothing re-derives them from the live list afterwards.
    // Three elements (each a token), so consumers can count them at synth time (e.g. minDomains).
    const zoneData = new DataGoogleComputeZones(this, "Zones", { region });
    const pinnedZones = new PinnedZones(this, "PinnedZones", { liveNames: Fn.sort(zoneData.names), count: ZONE_COUNT, source: "google_compute_zones" });
    const zones = [...pinnedZones.names];

    // Network and node firewall.
    // An existing network (possibly a Shared VPC host project's) is read and checked, never managed.
    const existing = d.gcp.existingNetwork;
    const networkProject = existing?.hostProjectId ?? projectId;
    // Private Service Connect (domain.privateLink): a NAT subnet in the cluster's network, created here or the
    // existing network's (the schema requires gcp.pscNatCidr, and pscNatSubnetwork with an existing network).
    const privateLink = d.domain.privateLink;
    const pscNatCidr = privateLink ? d.gcp.pscNatCidr : undefined;
    const pscNatName = existing ? existing.pscNatSubnetwork : `${d.name}-psc-nat`;
    // A Certificate Manager certificate is served by a GKE Gateway (GKE_GATEWAY), whose regional load balancer needs a
    // proxy-only subnet in the network, created here or the existing network's (the schema requires gcp.proxyOnlyCidr,
    // and proxyOnlySubnetwork with an existing network).
    const gatewayCertificate = d.domain.certificate.source === "gcp-certificate-manager" ? d.domain.certificate : undefined;
    const proxyOnlyCidr = gatewayCertificate ? d.gcp.proxyOnlyCidr : undefined;
    const proxyOnlyName = existing?.proxyOnlySubnetwork;
    const network = existing
      ? new ExistingNetwork(this, "Network", {
          projectId: networkProject,
          region,
          network: existing.network,
          subnetwork: existing.subnetwork,
          nodeCidr: d.network.cidr,
          // Both names are required by the schema when the network is an existing one.
          podsRange: { name: existing.podsRangeName ?? SECONDARY_RANGES.pods, cidr: d.network.podCidr },
          servicesRange: { name: existing.servicesRangeName ?? SECONDARY_RANGES.services, cidr: d.network.serviceCidr },
          ...(pscNatCidr && pscNatName ? { pscNat: { name: pscNatName, cidr: pscNatCidr } } : {}),
          ...(proxyOnlyCidr && proxyOnlyName ? { proxyOnly: { name: proxyOnlyName, cidr: proxyOnlyCidr } } : {}),
        })
      : new Network(this, "Network", {
          namePrefix: d.name,
          region,
          nodeCidr: d.network.cidr,
          podCidr: d.network.podCidr,
          serviceCidr: d.network.serviceCidr,
          ...(pscNatCidr ? { pscNatCidr } : {}),
          ...(proxyOnlyCidr ? { proxyOnlyCidr } : {}),
        });
    const internal = d.domain.access === "internal";
    const ownRanges = [d.network.cidr, d.network.podCidr, d.network.serviceCidr, ...d.controlPlane.adminCidrs];
    const controlPlaneCidr = pickControlPlaneCidr(ownRanges);
    const nodeTag = `${d.name}-gke-node`;
    new NodeFirewall(this, "NodeFirewall", {
      namePrefix: d.name,
      network: network.vpc.id,
      nodeTag,
      controlPlaneCidr,
      // In a network the deployment does not own, rules live in its project and touch only the nodes.
      ...(existing ? { project: networkProject, sharedNetwork: true } : {}),
      ...(pscNatCidr ? { privateServiceConnect: { natCidr: pscNatCidr, ports: ENTRY_POINT_LOAD_BALANCER_PORTS } } : {}),
      // The Gateway's proxies and health checkers reach the pods themselves (NEGs), on nginx's HTTPS port.
      ...(proxyOnlyCidr ? { proxyLoadBalancer: { proxyOnlyCidr, healthCheckRanges: GKE_GATEWAY.healthCheckRanges.value, podPort: SERVICES.entryPoint.ports[0].port } } : {}),
    });
    // The control plane's /28 is picked clear of the node, pod, service and admin ranges only (adding the NAT range
    // to the pick could move it, which replaces the cluster): a NAT range on it is refused instead.
    const pscRange = pscNatCidr ? parseIpv4Cidr(pscNatCidr) : undefined;
    const cpRange = parseIpv4Cidr(controlPlaneCidr);
    if (pscRange && cpRange && overlaps(pscRange, cpRange)) {
      Annotations.of(this).addError(`gcp.pscNatCidr: ${pscNatCidr} overlaps the GKE control plane's range ${controlPlaneCidr}; choose a NAT range outside it`);
    }
    const proxyRange = proxyOnlyCidr ? parseIpv4Cidr(proxyOnlyCidr) : undefined;
    if (proxyRange && cpRange && overlaps(proxyRange, cpRange)) {
      Annotations.of(this).addError(`gcp.proxyOnlyCidr: ${proxyOnlyCidr} overlaps the GKE control plane's range ${controlPlaneCidr}; choose a proxy-only range outside it`);
    }

    // Keys: one for Kubernetes Secrets in etcd, one for Vault's auto-unseal.
    const keyRing = new KeyRing(this, "KeyRing", { name: `${d.name}-platform`, location: region, allowDestroy });
    const secretsKey = new CryptoKey(this, "SecretsKey", { name: "gke-secrets", keyRingId: keyRing.resource.id, allowDestroy });
    const vaultKey = new CryptoKey(this, "VaultUnsealKey", { name: "vault-unseal", keyRingId: keyRing.resource.id, allowDestroy });
    // GKE's service agent appears some time after the container API is enabled: create it now (the
    // documented, idempotent command), then grant it the key; the cluster waits for the grant.
    const serviceAgentReady = new DataResource(this, "GkeServiceAgent", {
      triggersReplace: { project: project.number },
      provisioners: [
        { type: "local-exec", command: [...GKE_SERVICE_AGENT_FACTS.createCommand.value, `--project=${projectId}`].join(" ") },
      ],
    });
    const gkeServiceAgent = `serviceAccount:${GKE_SERVICE_AGENT_FACTS.email.value(project.number)}`;
    const secretsKeyGrant = secretsKey.grantEncryptDecrypt("GkeServiceAgent", gkeServiceAgent);
    secretsKeyGrant.dependsOn = [dependable(serviceAgentReady)];

    // Customer-managed keys (opt-in, encryption.keys): one for persistent disks (nodes' boot disks and the
    // StorageClass), one for the buckets, each usable only by the Google service agent that encrypts with it.
    const customerKeys = d.encryption?.keys === "customer-managed";
    const volumeKey = customerKeys ? new CryptoKey(this, "VolumeKey", { name: "volumes", keyRingId: keyRing.resource.id, allowDestroy }) : undefined;
    const volumeKeyGrant = volumeKey?.grantEncryptDecrypt("ComputeServiceAgent", `serviceAccount:${GCP_CMEK_FACTS.computeAgent.value(project.number)}`);
    const dataKey = customerKeys ? new CryptoKey(this, "DataKey", { name: "data", keyRingId: keyRing.resource.id, allowDestroy }) : undefined;
    const dataKeyGrant = dataKey?.grantEncryptDecrypt("StorageServiceAgent", `serviceAccount:${new DataGoogleStorageProjectServiceAccount(this, "StorageServiceAgent", { project: projectId }).emailAddress}`);

    // Cluster and node pools.
    const nodeIdentity = new NodeServiceAccount(this, "NodeServiceAccount", { projectId, accountId: `${d.name}-nodes` });
    const access = ControlPlaneAccess.of(d.controlPlane);
    const cluster = new GkeCluster(this, "Cluster", {
      name: d.name,
      location: region,
      network: network.vpc.id,
      subnetwork: network.subnet.id,
      podsRangeName: existing?.podsRangeName ?? SECONDARY_RANGES.pods,
      servicesRangeName: existing?.servicesRangeName ?? SECONDARY_RANGES.services,
      access,
      controlPlaneCidr,
      reservedRanges: ownRanges,
      secretsEncryptionKeyId: secretsKey.resource.id,
      workloadPool: `${projectId}.svc.id.goog`,
      nodeServiceAccountEmail: nodeIdentity.resource.email,
      allowDestroy,
      kubernetesVersion: d.controlPlane.kubernetesVersion,
      ...(gatewayCertificate ? { gatewayApi: true } : {}),
      // An internal passthrough load balancer on a reserved address (the DNS record's): only GKE subsetting's
      // controller honours the address annotation (GKE_ILB_SUBSETTING).
      ...(internal && !gatewayCertificate && d.domain.dnsZone?.provider === "cloud-dns" ? { internalLoadBalancerSubsetting: true } : {}),
      dependsOn: [secretsKeyGrant],
    });
    for (const pool of d.nodePools) {
      const nodePool = new NodePool(this, `NodePool${idOf(pool.name)}`, {
        clusterId: cluster.resource.id,
        name: pool.name,
        machineType: pool.machineType,
        zones,
        nodeCountPerZone: Math.ceil(pool.count / ZONE_COUNT),
        diskSizeGiB: pool.diskSizeGiB,
        serviceAccountEmail: nodeIdentity.resource.email,
        networkTags: [nodeTag],
        bootDiskKmsKey: volumeKey?.resource.id,
      });
      if (volumeKeyGrant) nodePool.resource.dependsOn = [dependable(volumeKeyGrant)];
    }

    // Buckets: access logs land in their own bucket.
    const logs = new PrivateBucket(this, "Logs", { name: `${projectId}-${d.name}-logs`, location: region, allowDestroy, kmsKeyName: dataKey?.resource.id });
    logs.acceptAccessLogs();
    Policy.suppress(logs.resource, [{ id: "GCP-4", reason: LOG_BUCKET_USAGE_REASON }]);
    const data = new PrivateBucket(this, "Data", {
      name: `${projectId}-${d.name}-data`,
      location: region,
      logBucket: logs.resource.name,
      allowDestroy,
      kmsKeyName: dataKey?.resource.id,
    });
    // Cloud Storage checks its agent's access when the default key is set.
    if (dataKeyGrant) for (const b of [logs, data]) b.resource.dependsOn = [dependable(dataKeyGrant)];

    // Workload identities: each Google service account is granted one resource, nothing project-wide.
    const workloadPool = cluster.resource.workloadIdentityConfig.workloadPool;
    const vault = new WorkloadIdentity(this, "VaultIdentity", {
      projectId,
      accountId: `${d.name}-vault`,
      displayName: "Vault auto-unseal",
      workloadPool,
      subjects: WORKLOAD_IDENTITIES.vault.subjects,
    });
    vaultKey.grantEncryptDecrypt("Vault", vault.resource.member);
    vaultKey.grantViewer("VaultViewer", vault.resource.member);
    const backup = new WorkloadIdentity(this, "BackupIdentity", {
      projectId,
      accountId: `${d.name}-backup`,
      displayName: "Platform backups",
      workloadPool,
      subjects: WORKLOAD_IDENTITIES.backup.subjects,
    });
    // Written as serviceAccount:<email> so the policy can see at synth that the member is not public.
    data.grant("Backup", "roles/storage.objectAdmin", `serviceAccount:${backup.resource.email}`);

    // The user-facing name in the customer's Cloud DNS zone, on a reserved regional address the load balancer
    // takes (GKE_STATIC_ADDRESS), so the record exists before the Service and survives its re-creation.
    const zone = d.domain.dnsZone?.provider === "cloud-dns" ? d.domain.dnsZone : undefined;
    // Named here (a literal): the platform stack's Service names it without a cross-stack reference.
    const addressName = `${d.name}-entry-point`;
    // An internal entry point takes an internal address of the nodes' subnetwork (reserved in this project, also
    // from a Shared VPC host project's subnetwork: GKE_INTERNAL_STATIC_ADDRESS); the record then belongs in a private zone.
    // The Gateway takes a reserved address by name (GKE_GATEWAY.namedAddress), with or without a zone.
    const address = zone || gatewayCertificate
      ? new ComputeAddress(this, "EntryPointAddress", internal
          ? { name: addressName, region, ...(gatewayCertificate ? GKE_GATEWAY.internalAddress.value : GKE_INTERNAL_STATIC_ADDRESS.value), subnetwork: network.subnet.id }
          : { name: addressName, region, addressType: "EXTERNAL", networkTier: "PREMIUM" })
      : undefined;
    if (zone && address) {
      new DnsRecordSet(this, "EntryPointRecord", { managedZone: zone.managedZone, name: `${d.domain.name}.`, type: "A", ttl: 300, rrdatas: [address.address] });
    }

    // The service attachment on the entry point's forwarding rule, created by GKE from a ServiceAttachment beside the
    // Service (GKE_PRIVATE_SERVICE_CONNECT): the named consumer projects are accepted, any other request stays pending.
    const pscFacts = GKE_PRIVATE_SERVICE_CONNECT;
    const natSubnet = pscNatName ? pscFacts.natSubnetPath.value(networkProject, region, pscNatName) : undefined;
    const serviceCompanions: ServiceCompanion[] = privateLink && natSubnet
      ? [{
          id: "ServiceAttachment",
          manifest: (service) => ({
            apiVersion: pscFacts.resource.value.apiVersion,
            kind: pscFacts.resource.value.kind,
            metadata: { name: service.name, namespace: service.namespace },
            spec: {
              connectionPreference: pscFacts.connectionPreference.value,
              natSubnets: [natSubnet],
              resourceRef: { kind: pscFacts.resourceRefKind.value, name: service.name },
              proxyProtocol: false,
              consumerAllowList: privateLink.allowedConsumers.map((project) => ({ project, connectionLimit: pscFacts.connectionLimitPerConsumer.value })),
            },
          }),
        }]
      : [];

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
        serviceAccountIssuer: `https://container.googleapis.com/v1/projects/${projectId}/locations/${region}/clusters/${d.name}`,
      },
      // PD CSI: every persistent disk is encrypted at rest with Google-managed AES-256 keys.
      encryptedStorage: { provisioner: "pd.csi.storage.gke.io", parameters: { type: "pd-balanced", ...(volumeKey ? { [GCP_CMEK_FACTS.storageClassParameter.value]: volumeKey.resource.id } : {}) } },
      objectStore: { kind: "gcs", dataBucket: data.resource.name, region },
      workloadIdentities: { vault: vault.binding, backup: backup.binding },
      vaultSeal: {
        type: "gcpckms",
        config: { project: projectId, region, key_ring: keyRing.resource.name, crypto_key: vaultKey.resource.name },
      },
      // Public: a backend-service-based external passthrough load balancer (regional, supports every port set).
      // Internal: an internal passthrough load balancer with an address in the nodes' subnetwork.
      // A reserved address (domain.dnsZone) is named for the load balancer to take.
      // With privateLink, the ServiceAttachment beside the Service.
      loadBalancer: gatewayCertificate && proxyOnlyCidr && address
        ? gatewayLoadBalancer({ access: internal ? "internal" : "public", hostname: d.domain.name, certificate: gatewayCertificate.certificate, addressName, address: address.address, proxyOnlyCidr })
        : {
            serviceAnnotations: { ...GKE_LOAD_BALANCER_ANNOTATIONS.value[internal ? "internal" : "public"], ...(address ? { [GKE_STATIC_ADDRESS.annotation]: addressName } : {}) },
            ...(serviceCompanions.length ? { serviceCompanions } : {}),
          },
      podNetwork: {
        // VPC-native: pods and Services take the subnet's secondary ranges.
        clusterCidrs: [d.network.podCidr, d.network.serviceCidr],
        // Workload identity tokens come from the GKE metadata server on the node.
        workloadIdentityEgress: GKE_METADATA_SERVER_EGRESS,
      },
      egress: gcpCloudEgress(controlPlaneCidr),
    };
  }
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
      {
        id: "Gateway",
        manifest: (service) => ({
          apiVersion: g.resources.value.gateway.apiVersion,
          kind: g.resources.value.gateway.kind,
          metadata: { name: service.name, namespace: service.namespace },
          spec: {
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
          },
        }),
      },
      {
        id: "HttpRoute",
        manifest: (service) => ({
          apiVersion: g.resources.value.httpRoute.apiVersion,
          kind: g.resources.value.httpRoute.kind,
          metadata: { name: service.name, namespace: service.namespace },
          spec: {
            parentRefs: [{ name: service.name, sectionName: listener }],
            hostnames: [o.hostname],
            rules: [{ backendRefs: [{ name: service.name, port: 443 }] }],
          },
        }),
      },
      {
        id: "HealthCheckPolicy",
        manifest: (service) => ({
          apiVersion: g.resources.value.healthCheckPolicy.apiVersion,
          kind: g.resources.value.healthCheckPolicy.kind,
          metadata: { name: service.name, namespace: service.namespace },
          spec: {
            default: { config: { type: "HTTPS", httpsHealthCheck: { port: https.port, requestPath: ENTRY_POINT_HEALTH_PATH } } },
            targetRef: { group: "", kind: "Service", name: service.name },
          },
        }),
      },
    ],
  };
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
