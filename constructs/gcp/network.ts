import { Construct } from "constructs";
import { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork";
import { ComputeRouter } from "@cdktf/provider-google/lib/compute-router";
import { ComputeRouterNat } from "@cdktf/provider-google/lib/compute-router-nat";
import { GKE_GATEWAY, GKE_PRIVATE_SERVICE_CONNECT } from "./gke-facts";

/** Names of the subnet's secondary ranges, as the cluster's IP allocation policy refers to them. */
export const SECONDARY_RANGES = { pods: "pods", services: "services" } as const;

/** Props of {@link Network}. */
export interface NetworkProps {
  /** Prefix of every resource name (the deployment name). */
  readonly namePrefix: string;
  /** Region of the subnet, router and NAT. */
  readonly region: string;
  /** Primary range of the node subnet. */
  readonly nodeCidr: string;
  /** Secondary range for pod IPs (VPC-native cluster). */
  readonly podCidr: string;
  /** Secondary range for Kubernetes Service IPs. */
  readonly serviceCidr: string;
  /**
   * Fraction of flows the subnet's VPC flow logs sample (0-1].
   * @default 0.5
   */
  readonly flowLogSampling?: number;
  /**
   * Which Cloud NAT events are logged: every translation, or only errors.
   * @default "ALL"
   */
  readonly natLogFilter?: "ALL" | "ERRORS_ONLY";
  /**
   * Range of a Private Service Connect NAT subnet for the entry point's service attachment (domain.privateLink).
   * @default - none: no NAT subnet
   */
  readonly pscNatCidr?: string;
  /**
   * Range of the proxy-only subnet of the Gateway's regional load balancer (domain.certificate gcp-certificate-manager).
   * @default - none: no proxy-only subnet
   */
  readonly proxyOnlyCidr?: string;
}

/**
 * The private network: a custom-mode VPC (no auto subnets in every region), one regional subnet with
 * secondary ranges for pods and services, VPC flow logs and Private Google Access on, and Cloud NAT
 * behind a Cloud Router so private nodes reach the internet without public IPs.
 */
export class Network extends Construct {
  readonly vpc: ComputeNetwork;
  readonly subnet: ComputeSubnetwork;
  readonly router: ComputeRouter;
  readonly nat: ComputeRouterNat;
  /** The Private Service Connect NAT subnet, when `pscNatCidr` is given. */
  readonly pscNat?: ComputeSubnetwork;
  /** The proxy-only subnet, when `proxyOnlyCidr` is given. */
  readonly proxyOnly?: ComputeSubnetwork;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const sampling = props.flowLogSampling ?? 0.5;
    if (!(sampling > 0 && sampling <= 1)) throw new Error(`flowLogSampling must be in (0, 1], got ${sampling}`);

    this.vpc = new ComputeNetwork(this, "Resource", {
      name: `${props.namePrefix}-vpc`,
      description: "Private network of the metadata platform",
      autoCreateSubnetworks: false,
      routingMode: "REGIONAL",
      // Keep the default internet route: Cloud NAT egress uses it; nodes have no public IPs.
      deleteDefaultRoutesOnCreate: false,
    });

    this.subnet = new ComputeSubnetwork(this, "Nodes", {
      name: `${props.namePrefix}-nodes`,
      description: "Nodes (primary range), pods and services (secondary ranges)",
      network: this.vpc.id,
      region: props.region,
      ipCidrRange: props.nodeCidr,
      stackType: "IPV4_ONLY",
      purpose: "PRIVATE",
      // Nodes without public IPs reach Google APIs (KMS, GCS, Artifact Registry) over Google's network.
      privateIpGoogleAccess: true,
      secondaryIpRange: [
        { rangeName: SECONDARY_RANGES.pods, ipCidrRange: props.podCidr },
        { rangeName: SECONDARY_RANGES.services, ipCidrRange: props.serviceCidr },
      ],
      logConfig: {
        aggregationInterval: "INTERVAL_5_SEC",
        flowSampling: sampling,
        metadata: "INCLUDE_ALL_METADATA",
      },
    });

    this.router = new ComputeRouter(this, "Router", {
      name: `${props.namePrefix}-router`,
      description: "Cloud NAT for the private nodes' egress",
      network: this.vpc.id,
      region: props.region,
    });

    // Cloud NAT is a regional, Google-managed service spanning every zone: there is no per-zone
    // gateway to choose (network.singleNatGateway has no effect on GCP).
    this.nat = new ComputeRouterNat(this, "Nat", {
      name: `${props.namePrefix}-nat`,
      router: this.router.name,
      region: props.region,
      natIpAllocateOption: "AUTO_ONLY",
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      subnetwork: [{ name: this.subnet.id, sourceIpRangesToNat: ["ALL_IP_RANGES"] }],
      enableEndpointIndependentMapping: false,
      logConfig: { enable: true, filter: props.natLogFilter ?? "ALL" },
    });

    // Consumers' connections through Private Service Connect are source-translated into this range; it holds
    // no VM or forwarding rule (GKE_PRIVATE_SERVICE_CONNECT.natSubnetPurpose). Flow logs apply to PRIVATE subnets only.
    if (props.pscNatCidr !== undefined) {
      this.pscNat = new ComputeSubnetwork(this, "PscNat", {
        name: `${props.namePrefix}-psc-nat`,
        description: "Private Service Connect NAT range of the entry point's service attachment",
        network: this.vpc.id,
        region: props.region,
        ipCidrRange: props.pscNatCidr,
        stackType: "IPV4_ONLY",
        purpose: GKE_PRIVATE_SERVICE_CONNECT.natSubnetPurpose.value,
      });
    }

    // The regional load balancer's Envoy proxies run in this range and connect to the backends from it; it holds no VM
    // (GKE_GATEWAY.proxyOnlySubnet). Flow logs apply to PRIVATE subnets only.
    if (props.proxyOnlyCidr !== undefined) {
      this.proxyOnly = new ComputeSubnetwork(this, "ProxyOnly", {
        name: `${props.namePrefix}-proxy-only`,
        description: "Proxy-only subnet of the entry point Gateway's regional application load balancer",
        network: this.vpc.id,
        region: props.region,
        ipCidrRange: props.proxyOnlyCidr,
        stackType: "IPV4_ONLY",
        purpose: GKE_GATEWAY.proxyOnlySubnet.value.purpose,
        role: GKE_GATEWAY.proxyOnlySubnet.value.role,
      });
    }
  }
}
