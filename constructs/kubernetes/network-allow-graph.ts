import { Construct } from "constructs";
import { NetworkPolicyV1, type NetworkPolicyV1SpecEgress, type NetworkPolicyV1SpecIngress } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { parseIpv4Cidr, overlaps } from "../../lib/cidr";
import { Policy } from "../../policy";
import type { EgressTarget, FqdnPolicyEngine } from "../../platform/platform-foundation";
import { SERVICES, type ExternalDestination, type ServiceName, type ServiceSpec } from "../../platform/service-catalog";
import { EXTERNAL_HTTPS_PORT, ExternalEgress } from "./external-egress";
import { APP_LABEL, NAMESPACE_NAME_LABEL, selectorLabels, workloadLabels } from "../../lib/labels";
import { idOf } from "../../lib/construct-id";

/** Props of NetworkAllowGraph. */
export interface NetworkAllowGraphProps {
  /** The services and their edges. @default SERVICES (the service catalog) */
  readonly services?: Readonly<Record<string, ServiceSpec>>;
  /** The catalog key of the secrets server every other service may reach (its non-peer ports). @default "vault" */
  readonly vault?: string;
  /**
   * Namespace name -> reference to it (SecureNamespace.name), so policies are created after their
   * namespace. @default - plain names
   */
  readonly namespaceRefs?: Readonly<Record<string, string>>;
  /** Services reachable from outside the cluster, and from which CIDRs (e.g. the entry point). @default {} */
  readonly externalIngress?: Readonly<Partial<Record<ServiceName, readonly string[]>>>;
  /** The client ports (by name) `externalIngress` reaches, where not all of them. @default - every client port */
  readonly externalIngressPorts?: Readonly<Partial<Record<ServiceName, readonly string[]>>>;
  /**
   * The cluster's own pod and service ranges: excluded from `externalIngress` and from a last-resort 443
   * egress to any address, so "anywhere" never includes other pods. @default []
   */
  readonly clusterCidrs?: readonly string[];
  /**
   * Where each `external` destination of the catalog is (PlatformFoundation.egress, and the SAML IdP's
   * metadata host when SAML is configured). A destination without a target stays closed. @default {}
   */
  readonly externalTargets?: Readonly<Partial<Record<ExternalDestination, EgressTarget>>>;
  /** How the cluster admits egress by host name (PlatformFoundation.egress.fqdnPolicy). @default "none" */
  readonly fqdnPolicy?: FqdnPolicyEngine;
  /**
   * Egress only the services bound to a cloud identity get (PlatformFoundation.podNetwork.workloadIdentityEgress,
   * e.g. GKE's metadata server), and the catalog keys of those services. @default - none
   */
  readonly identityEgress?: { readonly services: readonly string[]; readonly rules: readonly { readonly cidr: string; readonly port: number; readonly protocol: "TCP" | "UDP" }[] };
}

export { EXTERNAL_HTTPS_PORT };

/**
 * The allow graph of the service catalog as NetworkPolicies, one `<service>-allow` per service in its
 * namespace, on top of the namespaces' default deny:
 * - ingress from each caller on the service's client ports (not the peer-only ones);
 * - ingress from replicas of the same service on all its ports, when `peers`;
 * - every service -> Vault on Vault's client port (8200);
 * - egress mirrors the above; `external` destinations get 443 to exactly where they are (ExternalEgress:
 *   their addresses as ipBlocks, their host names as the engine's FQDN policy), never "anywhere" unless the
 *   engine matches no names and the destination has no address (then with the reason, K8S-27);
 * - `externalIngress` CIDRs reach a service's client ports (the entry point's LoadBalancer);
 * - "anywhere" (ipBlock) always excludes `clusterCidrs`, since an ipBlock also matches pod addresses;
 * - services bound to a cloud identity get `identityEgress` (how the cloud hands out their tokens).
 * DNS egress is allowed by SecureNamespace. Nothing else is open. The tests recompute the graph from
 * the synthesized policies (__tests__/support/network-flows.ts).
 */
export class NetworkAllowGraph extends Construct {
  /** The policies, by catalog key. */
  readonly policies: Readonly<Record<string, NetworkPolicyV1>>;

  constructor(scope: Construct, id: string, props: NetworkAllowGraphProps = {}) {
    super(scope, id);
    const services: Readonly<Record<string, ServiceSpec>> = props.services ?? SERVICES;
    const vaultKey = props.vault ?? "vault";
    const vault = services[vaultKey];
    if (!vault) throw new Error(`NetworkAllowGraph: no service '${vaultKey}' in the catalog`);
    const entries = Object.entries(services);
    const keyOf = new Map(entries.map(([k, s]) => [s, k]));
    const ns = (n: string) => props.namespaceRefs?.[n] ?? n;
    const except = props.clusterCidrs ?? [];
    const peerOf = (s: ServiceSpec) => ({
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: s.namespace } },
      podSelector: { matchLabels: selectorLabels(s.name) },
    });
    const tcp = (ports: readonly { port: number }[]) => ports.map((p) => ({ port: String(p.port), protocol: "TCP" }));
    const clientPorts = (s: ServiceSpec) => s.ports.filter((p) => !p.peerOnly);
    const callees = (key: string, s: ServiceSpec): ServiceSpec[] => {
      const listed = s.calls.map((c) => {
        const callee = services[c];
        if (!callee) throw new Error(`NetworkAllowGraph: '${key}' calls '${c}', which is not in the catalog`);
        return callee;
      });
      return key === vaultKey ? listed : [...new Set([...listed, vault])];
    };

    const policies: Record<string, NetworkPolicyV1> = {};
    for (const [key, s] of entries) {
      const ingress: NetworkPolicyV1SpecIngress[] = [];
      const egress: NetworkPolicyV1SpecEgress[] = [];
      const callers = entries.filter(([k, c]) => k !== key && callees(k, c).includes(s)).map(([, c]) => c);
      if (callers.length && clientPorts(s).length) ingress.push({ from: callers.map(peerOf), ports: tcp(clientPorts(s)) });
      if (s.peers) {
        ingress.push({ from: [{ podSelector: { matchLabels: selectorLabels(s.name) } }], ports: tcp(s.ports) });
        egress.push({ to: [{ podSelector: { matchLabels: selectorLabels(s.name) } }], ports: tcp(s.ports) });
      }
      const fromOutside = props.externalIngress?.[key as ServiceName];
      const outsidePorts = props.externalIngressPorts?.[key as ServiceName];
      const reachedFromOutside = outsidePorts ? clientPorts(s).filter((p) => outsidePorts.includes(p.name)) : clientPorts(s);
      if (outsidePorts && reachedFromOutside.length !== outsidePorts.length) throw new Error(`NetworkAllowGraph: externalIngressPorts of '${key}' names ports it does not serve to clients: ${outsidePorts.join(", ")}`);
      if (fromOutside?.length) ingress.push({ from: fromOutside.map((cidr) => ({ ipBlock: { cidr, except: strictSubsets(except, cidr) } })), ports: tcp(reachedFromOutside) });
      for (const callee of callees(key, s)) {
        if (callee === s) continue;
        egress.push({ to: [peerOf(callee)], ports: tcp(clientPorts(callee)) });
      }
      const destinations = s.external.flatMap((kind) => {
        const target = props.externalTargets?.[kind];
        return target ? [{ kind, target }] : [];
      });
      const external = destinations.length
        ? new ExternalEgress(this, `${idOf(keyOf.get(s) ?? key)}External`, {
            name: s.name,
            namespace: ns(s.namespace),
            podLabels: selectorLabels(s.name),
            destinations,
            fqdnPolicy: props.fqdnPolicy ?? "none",
            clusterCidrs: except,
          })
        : undefined;
      egress.push(...(external?.networkPolicyRules ?? []));
      if (props.identityEgress?.services.includes(key)) {
        for (const rule of props.identityEgress.rules) {
          egress.push({ to: [{ ipBlock: { cidr: rule.cidr } }], ports: [{ port: String(rule.port), protocol: rule.protocol }] });
        }
      }
      policies[key] = new NetworkPolicyV1(this, idOf(keyOf.get(s) ?? key), {
        metadata: { name: `${s.name}-allow`, namespace: ns(s.namespace), labels: workloadLabels(s.name) },
        spec: { podSelector: { matchLabels: selectorLabels(s.name) }, policyTypes: ["Ingress", "Egress"], ingress, egress },
      });
      if (external?.anywhereReason) Policy.suppress(policies[key], [{ id: "K8S-27", reason: external.anywhereReason }]);
    }
    this.policies = policies;
  }
}


/** Label a pod must carry to be selected by the allow graph (re-exported for workload authors). */
export { APP_LABEL };

/**
 * The ranges of `ranges` that lie strictly inside `cidr`: an ipBlock's `except` entries must be strict subsets of its
 * `cidr`, or the API server rejects the NetworkPolicy (kubernetes/kubernetes pkg/apis/networking/validation/validation.go
 * ValidateIPBlock: "must be a strict subset of `cidr`"); a range outside `cidr` needs no exception anyway.
 */
export function strictSubsets(ranges: readonly string[], cidr: string): string[] {
  const outer = parseIpv4Cidr(cidr);
  return ranges.filter((r) => {
    const inner = parseIpv4Cidr(r);
    return outer !== undefined && inner !== undefined && inner.prefix > outer.prefix && overlaps(outer, inner);
  });
}
