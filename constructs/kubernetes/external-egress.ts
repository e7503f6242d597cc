import { Construct } from "constructs";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import type { NetworkPolicyV1SpecEgress } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import type { EgressTarget, FqdnPolicyEngine } from "../../platform/platform-foundation";
import { workloadLabels } from "../../lib/labels";
import { KUBE_DNS } from "./secure-namespace";

/** Port every external destination is reached on (cloud APIs, the SAML IdP, the API server as pods see it). */
export const EXTERNAL_HTTPS_PORT = 443;

/** One destination a workload needs, with where it is. */
export interface ExternalDestinationTarget {
  /** What it is, for names and reasons, e.g. "cloud-kms". */
  readonly kind: string;
  readonly target: EgressTarget;
}

/** Props of ExternalEgress. */
export interface ExternalEgressProps {
  /** Names the FQDN policy `<name>-egress-fqdn`. */
  readonly name: string;
  /** Namespace of the pods (reference). */
  readonly namespace: string;
  /** Labels selecting the pods (their NetworkPolicy's pod selector). */
  readonly podLabels: Readonly<Record<string, string>>;
  readonly destinations: readonly ExternalDestinationTarget[];
  /** How the cluster admits egress by name (PlatformFoundation.egress.fqdnPolicy). */
  readonly fqdnPolicy: FqdnPolicyEngine;
  /** The cluster's own pod and service ranges: a last-resort "anywhere" excludes them. */
  readonly clusterCidrs: readonly string[];
}

/** Facts about the FQDN policy resources rendered here, with their sources. */
export const FQDN_POLICY_FACTS = {
  cilium: {
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    source:
      "docs.cilium.io/en/stable/security/policy/language/#dns-based (toFQDNs needs the pod's DNS to pass Cilium's DNS proxy: an egress rule to kube-dns with rules.dns); learn.microsoft.com/azure/aks/how-to-apply-fqdn-filtering-policies (AKS: ACNS security, CiliumNetworkPolicy toFQDNs)",
  },
  gke: {
    apiVersion: "networking.gke.io/v1alpha1",
    kind: "FQDNNetworkPolicy",
    source:
      "cloud.google.com/kubernetes-engine/docs/how-to/fqdn-network-policies (spec.podSelector, egress[].matches[].name, egress[].ports; Dataplane V2 with --enable-fqdn-network-policy; at most 50 addresses per policy; GKE Dataplane V2 ignores CiliumNetworkPolicy)",
  },
} as const;

/**
 * Egress of one workload to what it needs outside the pods' network, as narrowly as the cluster can say it:
 * - addresses (`cidrs`: interface endpoints, the API server's private range) become NetworkPolicy ipBlocks
 *   on 443 (`networkPolicyRules`, for the workload's own NetworkPolicy);
 * - host names become one FQDN policy for the pods, in the engine's own resource: a CiliumNetworkPolicy with
 *   `toFQDNs` (and the DNS rule that lets Cilium learn the answers) or a GKE FQDNNetworkPolicy; Cilium
 *   entities (`kube-apiserver`) go into the CiliumNetworkPolicy too;
 * - where the engine matches no names and a destination has no address (EKS: the customer's SAML IdP), the
 *   only rule left is 443 to any address outside the cluster: it is rendered, and `anywhereReason` says why,
 *   for the NetworkPolicy's K8S-27 suppression. Nothing else ever opens "anywhere".
 */
export class ExternalEgress extends Construct {
  /** Address-based egress rules for the workload's NetworkPolicy. */
  readonly networkPolicyRules: readonly NetworkPolicyV1SpecEgress[];
  /** Why the rules include 443 to any address, when they do. */
  readonly anywhereReason?: string;
  /** The FQDN policy, where the workload needs names the engine can match. */
  readonly fqdnPolicy?: Manifest;

  constructor(scope: Construct, id: string, props: ExternalEgressProps) {
    super(scope, id);
    const https = [{ port: String(EXTERNAL_HTTPS_PORT), protocol: "TCP" }];
    const cidrs = unique(props.destinations.flatMap((d) => d.target.cidrs));
    const hosts = unique(props.destinations.flatMap((d) => d.target.hosts));
    const entities = unique(props.destinations.flatMap((d) => d.target.entities ?? []));
    const rules: NetworkPolicyV1SpecEgress[] = cidrs.length ? [{ to: cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: https }] : [];

    if (entities.length && props.fqdnPolicy !== "cilium") {
      throw new Error(`ExternalEgress '${props.name}': Cilium entities (${entities.join(", ")}) need the cilium policy engine, not '${props.fqdnPolicy}'`);
    }
    // Names only (no address) on an engine without names: the one case that leaves "anywhere".
    const unnamed = props.fqdnPolicy === "none" ? props.destinations.filter((d) => d.target.hosts.length && !d.target.cidrs.length) : [];
    if (unnamed.length) {
      rules.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...props.clusterCidrs] } }], ports: https });
      this.anywhereReason =
        `${unnamed.map((d) => `${d.kind} (${d.target.hosts.join(", ")})`).join("; ")}: this cluster's network policies select addresses only ` +
        "(EKS VPC CNI: no FQDN rules), and these hosts' addresses are not ours to know or pin; 443 only, the cluster's own ranges excepted. " +
        "Route the pods through an egress proxy that allows these names to close it (docs/platform.md, Egress).";
    }
    this.networkPolicyRules = rules;

    const metadata = { name: `${props.name}-egress-fqdn`, namespace: props.namespace, labels: workloadLabels(props.name) };
    if (props.fqdnPolicy === "cilium" && (hosts.length || entities.length)) {
      const dns = { "k8s:io.kubernetes.pod.namespace": KUBE_DNS.namespace, ...Object.fromEntries(Object.entries(KUBE_DNS.podLabels).map(([k, v]) => [`k8s:${k}`, v])) };
      this.fqdnPolicy = new Manifest(this, "Resource", {
        manifest: {
          apiVersion: FQDN_POLICY_FACTS.cilium.apiVersion,
          kind: FQDN_POLICY_FACTS.cilium.kind,
          metadata,
          spec: {
            endpointSelector: { matchLabels: { ...props.podLabels } },
            egress: [
              ...(hosts.length
                ? [
                    // Lookups go through Cilium's DNS proxy, which learns the addresses toFQDNs allows.
                    { toEndpoints: [{ matchLabels: dns }], toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }] },
                    { toFQDNs: hosts.map((matchName) => ({ matchName })), toPorts: [{ ports: [{ port: String(EXTERNAL_HTTPS_PORT), protocol: "TCP" }] }] },
                  ]
                : []),
              ...(entities.length ? [{ toEntities: entities, toPorts: [{ ports: [{ port: String(EXTERNAL_HTTPS_PORT), protocol: "TCP" }] }] }] : []),
            ],
          },
        },
      });
    } else if (props.fqdnPolicy === "gke" && hosts.length) {
      this.fqdnPolicy = new Manifest(this, "Resource", {
        manifest: {
          apiVersion: FQDN_POLICY_FACTS.gke.apiVersion,
          kind: FQDN_POLICY_FACTS.gke.kind,
          metadata,
          spec: {
            podSelector: { matchLabels: { ...props.podLabels } },
            egress: [{ matches: hosts.map((name) => ({ name })), ports: [{ protocol: "TCP", port: EXTERNAL_HTTPS_PORT }] }],
          },
        },
      });
    }
  }
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
