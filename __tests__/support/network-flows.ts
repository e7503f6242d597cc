import { parseIpv4Cidr, overlaps } from "../../lib/cidr";
import { SERVICES, type ServiceSpec } from "../../platform/service-catalog";
import { EXTERNAL_HTTPS_PORT } from "../../constructs/kubernetes/external-egress";
import { NAMESPACE_NAME_LABEL, selectorLabels } from "../../lib/labels";
import { KUBE_DNS, type DnsEndpoint } from "../../constructs/kubernetes/secure-namespace";

// The allow graph, recomputed from synthesized NetworkPolicies and FQDN policies (pure functions): what
// the flow tests compare with the service catalog. Test support only; the construct that writes the
// policies is constructs/kubernetes/network-allow-graph.ts.

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
