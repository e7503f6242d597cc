import { Construct } from "constructs";
import { NetworkPolicyV1, type NetworkPolicyV1SpecEgress, type NetworkPolicyV1SpecIngress } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { parseIpv4Cidr, overlaps } from "../../lib/cidr";
import { Policy } from "../../policy";
import type { EgressTarget, FqdnPolicyEngine } from "../../platform/platform-foundation";
import { SERVICES, type ExternalDestination, type ServiceName, type ServiceSpec } from "../../platform/service-catalog";
import { EXTERNAL_HTTPS_PORT, ExternalEgress } from "./external-egress";
import { APP_LABEL, NAMESPACE_NAME_LABEL, selectorLabels, workloadLabels } from "../../lib/labels";
import { KUBE_DNS, type DnsEndpoint } from "./secure-namespace";
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
 * DNS egress is allowed by SecureNamespace. Nothing else is open. `allowedFlows` recomputes the graph
 * from the synthesized policies for the flow test.
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
      if (fromOutside?.length) ingress.push({ from: fromOutside.map((cidr) => ({ ipBlock: { cidr, except: strictSubsets(except, cidr) } })), ports: tcp(clientPorts(s)) });
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

// ---------------------------------------------------------------------------------------------------
// The allow graph, recomputed from synthesized NetworkPolicies (pure functions, for tests and reviews).

/** Something traffic can come from or go to: a pod of a namespace, or an address outside the cluster. */
export interface Endpoint {
  /** "<namespace>/<app>" for pods, or a name for outside addresses (e.g. "external"). */
  readonly id: string;
  /** Namespace of a pod; undefined outside the cluster. */
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** An address of the endpoint, for ipBlock rules. */
  readonly ip: string;
  /** Ports it listens on, e.g. "8200/TCP". */
  readonly ports: readonly string[];
  /** Host names that resolve to it (outside the cluster), for FQDN policies. @default [] */
  readonly hosts?: readonly string[];
  /** The Cilium entity it belongs to (e.g. kube-apiserver). @default - none */
  readonly entity?: string;
}

/** One allowed connection: `from` may open `port` on `to`. */
export interface Flow {
  readonly from: string;
  readonly to: string;
  readonly port: string;
}

/** The pods of the catalog, DNS, and one address on the internet, with representative addresses. */
export function catalogEndpoints(
  services: Readonly<Record<string, ServiceSpec>> = SERVICES,
  opts: { podCidrIpPrefix?: string; dns?: DnsEndpoint; externalIp?: string } = {},
): Endpoint[] {
  const prefix = opts.podCidrIpPrefix ?? "10.96.0.";
  const dns = opts.dns ?? KUBE_DNS;
  const pods: Endpoint[] = Object.values(services).map((s, i) => ({
    id: `${s.namespace}/${s.name}`,
    namespace: s.namespace,
    labels: selectorLabels(s.name),
    ip: `${prefix}${i + 10}`,
    ports: s.ports.map((p) => `${p.port}/TCP`),
  }));
  pods.push({ id: `${dns.namespace}/dns`, namespace: dns.namespace, labels: { ...dns.podLabels }, ip: `${prefix}2`, ports: ["53/UDP", "53/TCP"] });
  pods.push({ id: "external", labels: {}, ip: opts.externalIp ?? "198.51.100.7", ports: [`${EXTERNAL_HTTPS_PORT}/TCP`] });
  return pods;
}

type Json = Record<string, unknown>;
interface Selector {
  match_labels?: Record<string, string>;
  match_expressions?: unknown[];
}
interface Peer {
  namespace_selector?: Selector | Selector[];
  pod_selector?: Selector | Selector[];
  ip_block?: { cidr: string; except?: string[] } | { cidr: string; except?: string[] }[];
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port?: string; protocol?: string }[];
}
/** A synthesized NetworkPolicy, reduced to what the evaluation needs (raw snake_case blocks). */
export interface NetworkPolicyDoc {
  namespace: string;
  podSelector: Selector;
  types: string[];
  ingress: Rule[];
  egress: Rule[];
}

const one = <T>(v: T | T[] | undefined): T | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * The NetworkPolicies (`kubernetes_network_policy_v1`) of one synthesized stack (Testing.synth output),
 * with namespace references to `kubernetes_namespace_v1` resources of the same stack resolved.
 */
export function networkPoliciesOf(synthesized: string | Json): NetworkPolicyDoc[] {
  const doc = (typeof synthesized === "string" ? JSON.parse(synthesized) : synthesized) as Json;
  const resources = (doc.resource ?? {}) as Record<string, Record<string, Json>>;
  const namespaces = resources.kubernetes_namespace_v1 ?? {};
  const resolveNs = (v: string): string => {
    const m = /^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata(\[0\])?\.name\}$/.exec(v);
    if (!m) {
      if (v.includes("${")) throw new Error(`networkPoliciesOf: cannot resolve namespace '${v}'`);
      return v;
    }
    const ns = namespaces[m[1]];
    const meta = one(ns?.metadata as Json | Json[]);
    if (!meta || typeof meta.name !== "string") throw new Error(`networkPoliciesOf: no namespace resource ${m[1]}`);
    return meta.name;
  };
  return Object.values(resources.kubernetes_network_policy_v1 ?? {}).map((r) => {
    const meta = one(r.metadata as Json | Json[]) as Json;
    const spec = one(r.spec as Json | Json[]) as Json;
    return {
      namespace: resolveNs(String(meta.namespace)),
      podSelector: (one(spec.pod_selector as Selector | Selector[]) ?? {}) as Selector,
      types: (spec.policy_types as string[]) ?? [],
      ingress: (spec.ingress as Rule[]) ?? [],
      egress: (spec.egress as Rule[]) ?? [],
    };
  });
}

function selects(sel: Selector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!sel) return true;
  if (sel.match_expressions?.length) throw new Error("allowedFlows: match_expressions are not evaluated; use match_labels");
  return Object.entries(sel.match_labels ?? {}).every(([k, v]) => labels[k] === v);
}

function inCidr(ip: string, block: { cidr: string; except?: string[] }): boolean {
  const host = parseIpv4Cidr(`${ip}/32`);
  const range = parseIpv4Cidr(block.cidr);
  if (!host || !range) throw new Error(`allowedFlows: bad address ${ip} or block ${block.cidr}`);
  return overlaps(host, range) && !(block.except ?? []).some((e) => overlaps(host, parseIpv4Cidr(e)!));
}

function peerMatches(peer: Peer, policyNs: string, target: Endpoint): boolean {
  const ipBlock = one(peer.ip_block);
  if (ipBlock) return inCidr(target.ip, ipBlock);
  if (target.namespace === undefined) return false;
  const nsSel = one(peer.namespace_selector);
  const nsOk = nsSel ? selects(nsSel, { [NAMESPACE_NAME_LABEL]: target.namespace }) : target.namespace === policyNs;
  return nsOk && selects(one(peer.pod_selector), target.labels);
}

function portMatches(rule: Rule, port: string): boolean {
  if (!rule.ports?.length) return true;
  const [number, protocol] = port.split("/");
  return rule.ports.some((p) => (p.port === undefined || p.port === number) && (p.protocol ?? "TCP") === protocol);
}

function allows(policies: NetworkPolicyDoc[], self: Endpoint, other: Endpoint, port: string, direction: "Ingress" | "Egress", fqdn: readonly FqdnPolicyDoc[] = []): boolean {
  if (self.namespace === undefined) return true; // outside the cluster: no policy applies
  const applicable = policies.filter((p) => p.namespace === self.namespace && p.types.includes(direction) && selects(p.podSelector, self.labels));
  const byName = direction === "Egress" ? fqdn.filter((p) => p.namespace === self.namespace && selects({ match_labels: p.podLabels }, self.labels)) : [];
  if (applicable.length === 0 && byName.length === 0) return true; // not isolated
  // A pod selected by several policies (NetworkPolicy, CiliumNetworkPolicy, FQDNNetworkPolicy) may do what any allows.
  if (byName.some((p) => fqdnAllows(p, other, port))) return true;
  return applicable.some((p) =>
    (direction === "Ingress" ? p.ingress : p.egress).some((rule) => {
      const peers = direction === "Ingress" ? rule.from : rule.to;
      return portMatches(rule, port) && (!peers?.length || peers.some((peer) => peerMatches(peer, p.namespace, other)));
    }),
  );
}

/** An FQDN egress policy as synthesized (CiliumNetworkPolicy toFQDNs/toEntities, GKE FQDNNetworkPolicy), reduced for evaluation. */
export interface FqdnPolicyDoc {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly rules: readonly { readonly names: readonly string[]; readonly entities: readonly string[]; readonly ports: readonly string[] }[];
}

function fqdnAllows(p: FqdnPolicyDoc, other: Endpoint, port: string): boolean {
  return p.rules.some(
    (r) => r.ports.includes(port) && (r.names.some((n) => (other.hosts ?? []).includes(n)) || (other.entity !== undefined && r.entities.includes(other.entity))),
  );
}

/**
 * The FQDN egress policies (`kubernetes_manifest` of kind CiliumNetworkPolicy or FQDNNetworkPolicy) of one
 * synthesized stack. Cilium's DNS rule (to kube-dns) is left out: DNS is allowed by the namespaces anyway.
 */
export function fqdnPoliciesOf(synthesized: string | Json): FqdnPolicyDoc[] {
  const doc = (typeof synthesized === "string" ? JSON.parse(synthesized) : synthesized) as Json;
  const resources = (doc.resource ?? {}) as Record<string, Record<string, Json>>;
  const namespaces = resources.kubernetes_namespace_v1 ?? {};
  const resolveNs = (v: string): string => {
    const m = /^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata(\[0\])?\.name\}$/.exec(v);
    const meta = m ? one(namespaces[m[1]]?.metadata as Json | Json[]) : undefined;
    return meta && typeof meta.name === "string" ? meta.name : v;
  };
  type Port = { port?: string | number; protocol?: string };
  const portsOf = (ports: Port[] | undefined) => (ports ?? []).map((p) => `${p.port}/${p.protocol ?? "TCP"}`);
  return Object.values(resources.kubernetes_manifest ?? {}).flatMap((r) => {
    const m = r.manifest as { kind?: string; metadata: { namespace: string }; spec: Json };
    if (m.kind === "CiliumNetworkPolicy") {
      const spec = m.spec as { endpointSelector: { matchLabels: Record<string, string> }; egress?: { toFQDNs?: { matchName: string }[]; toEntities?: string[]; toPorts?: { ports: Port[] }[] }[] };
      const rules = (spec.egress ?? [])
        .filter((e) => e.toFQDNs || e.toEntities)
        .map((e) => ({ names: (e.toFQDNs ?? []).map((f) => f.matchName), entities: e.toEntities ?? [], ports: (e.toPorts ?? []).flatMap((t) => portsOf(t.ports)) }));
      return [{ namespace: resolveNs(m.metadata.namespace), podLabels: spec.endpointSelector.matchLabels, rules }];
    }
    if (m.kind === "FQDNNetworkPolicy") {
      const spec = m.spec as { podSelector: { matchLabels: Record<string, string> }; egress?: { matches: { name: string }[]; ports?: Port[] }[] };
      const rules = (spec.egress ?? []).map((e) => ({ names: e.matches.map((x) => x.name), entities: [], ports: portsOf(e.ports) }));
      return [{ namespace: resolveNs(m.metadata.namespace), podLabels: spec.podSelector.matchLabels, rules }];
    }
    return [];
  });
}

/**
 * Every connection the policies allow between the endpoints (the source's egress AND the
 * destination's ingress must both allow it), sorted. Self-connections of a replica are left out.
 * FQDN policies allow egress to an endpoint when they name one of its host names (or its Cilium entity).
 */
export function allowedFlows(policies: NetworkPolicyDoc[], endpoints: readonly Endpoint[], fqdnPolicies: readonly FqdnPolicyDoc[] = []): Flow[] {
  const flows: Flow[] = [];
  for (const from of endpoints) {
    for (const to of endpoints) {
      if (from === to && from.namespace === undefined) continue;
      for (const port of to.ports) {
        if (allows(policies, from, to, port, "Egress", fqdnPolicies) && allows(policies, to, from, port, "Ingress")) flows.push({ from: from.id, to: to.id, port });
      }
    }
  }
  return flows.sort((a, b) => `${a.from} ${a.to} ${a.port}`.localeCompare(`${b.from} ${b.to} ${b.port}`));
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
