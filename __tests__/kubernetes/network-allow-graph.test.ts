import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { Testing } from "cdktf";
import type { Construct } from "constructs";
import { NetworkAllowGraph } from "../../constructs/kubernetes/network-allow-graph";
import { allowedFlows, catalogEndpoints, networkPoliciesOf, type Flow } from "../support/network-flows";
import { SecureNamespace } from "../../constructs/kubernetes/secure-namespace";
import { NAMESPACES, SERVICES } from "../../platform/service-catalog";
import { INTENDED_GRAPH } from "./intended-graph";

function build(scope: Construct) {
  const refs = Object.fromEntries(Object.values(NAMESPACES).map((n) => [n, new SecureNamespace(scope, `Ns${n}`, { name: n }).name]));
  new NetworkAllowGraph(scope, "Graph", {
    namespaceRefs: refs,
    externalIngress: { entryPoint: ["0.0.0.0/0"] },
    clusterCidrs: ["10.96.0.0/14", "172.20.0.0/16"],
  });
}

const ours = new Set(Object.values(SERVICES).map((s) => `${s.namespace}/${s.name}`));
/** Flows touching at least one platform pod (what kube-system does among itself is not ours to decide). */
export const render = (flows: Flow[]) => flows.filter((f) => ours.has(f.from) || ours.has(f.to)).map((f) => `${f.from} -> ${f.to} ${f.port}`).sort();

test("the synthesized policies allow exactly the intended graph, nothing more", () => {
  const flows = allowedFlows(networkPoliciesOf(Testing.synthScope(build)), catalogEndpoints());
  expect(render(flows)).toEqual(INTENDED_GRAPH);
});

test("one policy per service, selecting its pods in its namespace", () => {
  const out = Testing.synthScope(build);
  for (const s of Object.values(SERVICES)) {
    expect(out).toHaveResourceWithProperties(NetworkPolicyV1, {
      metadata: expect.objectContaining({ name: `${s.name}-allow` }),
      spec: expect.objectContaining({ pod_selector: { match_labels: { "app.kubernetes.io/name": s.name } }, policy_types: ["Ingress", "Egress"] }),
    });
  }
});

test("without targets for the catalog's external destinations, nothing outside the cluster is reachable", () => {
  const policies = networkPoliciesOf(Testing.synthScope(build));
  expect(JSON.stringify(policies.map((p) => p.egress))).not.toContain("ip_block");
});

test("without the namespaces' default deny, the evaluator sees pods as open (it is not a rubber stamp)", () => {
  const flows = allowedFlows(networkPoliciesOf(Testing.synthScope((s) => new NetworkAllowGraph(s, "G"))), catalogEndpoints());
  // the graph alone isolates only the catalog pods; DNS is then unreachable (the namespaces allow it)
  expect(render(flows)).not.toContain("cache/redis -> kube-system/dns 53/UDP");
  expect(render(flows)).toContain("cache/redis -> vault/vault 8200/TCP");
});

test("an ipBlock without the cluster's ranges would let every pod in: the evaluator sees it", () => {
  const flows = allowedFlows(
    networkPoliciesOf(Testing.synthScope((s) => {
      for (const n of Object.values(NAMESPACES)) new SecureNamespace(s, `Ns${n}`, { name: n });
      new NetworkAllowGraph(s, "G", { externalIngress: { entryPoint: ["0.0.0.0/0"] } });
    })),
    catalogEndpoints(),
  );
  expect(render(flows)).toContain("kube-system/dns -> ingress/entry-point 8443/TCP");
});

test("an unknown callee in the catalog is refused", () => {
  const services = { ...SERVICES, redis: { ...SERVICES.redis, calls: ["nope" as never] } };
  expect(() => Testing.synthScope((s) => new NetworkAllowGraph(s, "G", { services }))).toThrow(/calls 'nope'/);
});

test("externalIngressPorts narrows what outsiders reach to the named client ports, and refuses a port the service does not serve", () => {
  const flowsWith = (ports?: readonly string[]) =>
    render(allowedFlows(
      networkPoliciesOf(Testing.synthScope((s) => {
        for (const n of Object.values(NAMESPACES)) new SecureNamespace(s, `Ns${n}`, { name: n });
        new NetworkAllowGraph(s, "G", { externalIngress: { entryPoint: ["198.51.100.0/24"] }, ...(ports ? { externalIngressPorts: { entryPoint: ports } } : {}) });
      })),
      catalogEndpoints(SERVICES, { externalIp: "198.51.100.7" }),
    )).filter((f) => f.startsWith("external -> "));
  expect(flowsWith()).toEqual(["external -> ingress/entry-point 8080/TCP", "external -> ingress/entry-point 8443/TCP"]);
  expect(flowsWith(["https"])).toEqual(["external -> ingress/entry-point 8443/TCP"]);
  expect(() => flowsWith(["https", "admin"])).toThrow("externalIngressPorts of 'entryPoint' names ports it does not serve to clients: https, admin");
});
