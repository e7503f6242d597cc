import { Construct } from "constructs";
import { ComputeFirewall } from "@cdktf/provider-google/lib/compute-firewall";
import { parseIpv4Cidr } from "../../lib/cidr";

/** Source ranges of Google Cloud load-balancer health checks and proxies (documented, fixed). */
export const GOOGLE_HEALTH_CHECK_RANGES = ["35.191.0.0/16", "130.211.0.0/22"] as const;

/** Props of {@link NodeFirewall}. */
export interface NodeFirewallProps {
  /** Prefix of every rule name (the deployment name). */
  readonly namePrefix: string;
  /** The VPC the rules belong to. */
  readonly network: string;
  /** Network tag carried by every node; the allow rules target only it. */
  readonly nodeTag: string;
  /** The GKE control plane's range (private cluster `master_ipv4_cidr_block`). */
  readonly controlPlaneCidr: string;
  /**
   * Ports admission webhooks listen on, opened to the control plane only.
   * @default [8443, 9443]
   */
  readonly webhookPorts?: readonly number[];
  /**
   * Log every connection the rules match (Firewall Rules Logging).
   * @default true
   */
  readonly logging?: boolean;
  /**
   * The project the rules are created in (a Shared VPC's host project).
   * @default - the provider's project
   */
  readonly project?: string;
  /**
   * The network is not the deployment's own (an existing or Shared VPC network): the deny-all rule then
   * targets the nodes' tag only, never the customer's other instances.
   * @default false - the network is the deployment's: the deny-all rule covers all of it
   */
  readonly sharedNetwork?: boolean;
  /**
   * Connections through Private Service Connect: the NAT subnet's range and the load balancer's ports it may reach.
   * @default - none admitted
   */
  readonly privateServiceConnect?: { readonly natCidr: string; readonly ports: readonly number[] };
  /**
   * An application load balancer in front of the entry point (GKE Gateway): its proxies (the proxy-only range) and
   * Google's health checkers reach the pods' serving port directly (container-native load balancing).
   * @default - none admitted
   */
  readonly proxyLoadBalancer?: { readonly proxyOnlyCidr: string; readonly healthCheckRanges: readonly string[]; readonly podPort: number };
}

/**
 * Ingress rules for the nodes: the control plane reaches them on the ports it needs (443, kubelet
 * 10250, webhooks), Google's health checkers reach the NodePort range and kube-proxy's health port,
 * and everything else is denied by an explicit low-priority rule. No rule admits 0.0.0.0/0.
 *
 * GKE adds its own rules for traffic inside the cluster (node and pod ranges) and, per LoadBalancer
 * Service, for the Service's port from its `loadBalancerSourceRanges`.
 */
export class NodeFirewall extends Construct {
  readonly controlPlane: ComputeFirewall;
  readonly healthChecks: ComputeFirewall;
  readonly denyAll: ComputeFirewall;
  /** Consumers' connections through Private Service Connect, when `privateServiceConnect` is given. */
  readonly privateServiceConnect?: ComputeFirewall;
  /** The Gateway's proxies and health checkers to the entry point's pods, when `proxyLoadBalancer` is given. */
  readonly proxyLoadBalancer?: ComputeFirewall;

  constructor(scope: Construct, id: string, props: NodeFirewallProps) {
    super(scope, id);
    const range = parseIpv4Cidr(props.controlPlaneCidr);
    if (!range || range.prefix !== 28) {
      throw new Error(`controlPlaneCidr must be an IPv4 /28 (GKE's control-plane range), got '${props.controlPlaneCidr}'`);
    }
    const webhookPorts = props.webhookPorts ?? [8443, 9443];
    const logConfig = (props.logging ?? true) ? { logConfig: { metadata: "INCLUDE_ALL_METADATA" } } : {};
    const project = props.project === undefined ? {} : { project: props.project };

    this.controlPlane = new ComputeFirewall(this, "ControlPlane", {
      name: `${props.namePrefix}-control-plane-to-nodes`,
      description: "GKE control plane to nodes: API proxy (443), kubelet (10250), admission webhooks",
      network: props.network,
      ...project,
      direction: "INGRESS",
      priority: 1000,
      sourceRanges: [props.controlPlaneCidr],
      targetTags: [props.nodeTag],
      allow: [{ protocol: "tcp", ports: ["443", "10250", ...webhookPorts.map(String)] }],
      ...logConfig,
    });

    this.healthChecks = new ComputeFirewall(this, "HealthChecks", {
      name: `${props.namePrefix}-health-checks-to-nodes`,
      description: "Google load-balancer health checks to NodePorts and kube-proxy's health port",
      network: props.network,
      ...project,
      direction: "INGRESS",
      priority: 1000,
      sourceRanges: [...GOOGLE_HEALTH_CHECK_RANGES],
      targetTags: [props.nodeTag],
      allow: [{ protocol: "tcp", ports: ["30000-32767", "10256"] }],
      ...logConfig,
    });

    // Private Service Connect translates every consumer's source into the NAT subnet (GKE_PRIVATE_SERVICE_CONNECT):
    // written here rather than left to GKE's per-Service rule, which GKE cannot create in a Shared VPC host project
    // without firewall permissions there.
    const psc = props.privateServiceConnect;
    if (psc) {
      this.privateServiceConnect = new ComputeFirewall(this, "PrivateServiceConnect", {
        name: `${props.namePrefix}-psc-to-entry-point`,
        description: "Private Service Connect consumers (source-translated into the NAT subnet) to the entry point's load balancer ports",
        network: props.network,
        ...project,
        direction: "INGRESS",
        priority: 1000,
        sourceRanges: [psc.natCidr],
        targetTags: [props.nodeTag],
        allow: [{ protocol: "tcp", ports: psc.ports.map(String) }],
        ...logConfig,
      });
    }

    const l7 = props.proxyLoadBalancer;
    if (l7) {
      this.proxyLoadBalancer = new ComputeFirewall(this, "ProxyLoadBalancer", {
        name: `${props.namePrefix}-gateway-to-entry-point`,
        description: "The entry point Gateway's proxies (proxy-only subnet) and health checkers to the entry point pods' HTTPS port",
        network: props.network,
        ...project,
        direction: "INGRESS",
        priority: 1000,
        sourceRanges: [l7.proxyOnlyCidr, ...l7.healthCheckRanges],
        targetTags: [props.nodeTag],
        allow: [{ protocol: "tcp", ports: [String(l7.podPort)] }],
        ...logConfig,
      });
    }

    // Explicit (GCP's implied rule at 65535 does the same, but is invisible to review and policy).
    this.denyAll = new ComputeFirewall(this, "DenyAll", {
      name: `${props.namePrefix}-deny-all-ingress`,
      description: "Deny every other ingress; higher-priority rules above admit what the cluster needs",
      network: props.network,
      ...project,
      direction: "INGRESS",
      priority: 65534,
      sourceRanges: ["0.0.0.0/0"],
      ...(props.sharedNetwork ? { targetTags: [props.nodeTag] } : {}),
      deny: [{ protocol: "all" }],
      ...logConfig,
    });
  }
}
