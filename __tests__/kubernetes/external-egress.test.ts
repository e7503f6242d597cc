import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { TerraformStack, Testing } from "cdktf";
import { ExternalEgress, type ExternalEgressProps } from "../../constructs/kubernetes/external-egress";
import { NetworkAllowGraph } from "../../constructs/kubernetes/network-allow-graph";
import { Policy } from "../../policy";
import type { EgressTarget } from "../../platform/platform-foundation";

const kms: EgressTarget = { hosts: ["kms.example"], cidrs: [], source: "test" };
const endpoint: EgressTarget = { hosts: ["sts.example"], cidrs: ["10.40.0.0/18"], source: "test" };
const base: ExternalEgressProps = { name: "vault", namespace: "vault", podLabels: { app: "vault" }, destinations: [], fqdnPolicy: "none", clusterCidrs: ["10.96.0.0/14"] };
const render = (p: Partial<ExternalEgressProps>) => {
  let made!: ExternalEgress;
  const out = Testing.synthScope((s) => {
    made = new ExternalEgress(s, "E", { ...base, ...p });
  });
  return { made, doc: JSON.parse(out) };
};

test("an address is an ipBlock on 443, and no FQDN policy is made where the engine has none", () => {
  const { made, doc } = render({ destinations: [{ kind: "workload-identity", target: endpoint }] });
  expect(made.networkPolicyRules).toEqual([{ to: [{ ipBlock: { cidr: "10.40.0.0/18" } }], ports: [{ port: "443", protocol: "TCP" }] }]);
  expect(made.anywhereReason).toBeUndefined();
  expect(doc.resource?.kubernetes_manifest).toBeUndefined();
});

test("a name on Cilium: toFQDNs on 443 plus the DNS rule through which Cilium learns the answers, no ipBlock", () => {
  const { made, doc } = render({ fqdnPolicy: "cilium", destinations: [{ kind: "cloud-kms", target: kms }] });
  expect(made.networkPolicyRules).toEqual([]);
  const m = Object.values(doc.resource.kubernetes_manifest as Record<string, { manifest: Record<string, unknown> }>)[0].manifest;
  expect(m).toEqual({
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: expect.objectContaining({ name: "vault-egress-fqdn", namespace: "vault" }),
    spec: {
      endpointSelector: { matchLabels: { app: "vault" } },
      egress: [
        {
          toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns" } }],
          toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }],
        },
        { toFQDNs: [{ matchName: "kms.example" }], toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }] },
      ],
    },
  });
});

test("a name on GKE: an FQDNNetworkPolicy matching it on 443", () => {
  const out = Testing.synthScope((s) => new ExternalEgress(s, "E", { ...base, fqdnPolicy: "gke", destinations: [{ kind: "cloud-kms", target: kms }] }));
  expect(out).toHaveResourceWithProperties(Manifest, {
    manifest: expect.objectContaining({
      apiVersion: "networking.gke.io/v1alpha1",
      kind: "FQDNNetworkPolicy",
      spec: { podSelector: { matchLabels: { app: "vault" } }, egress: [{ matches: [{ name: "kms.example" }], ports: [{ protocol: "TCP", port: 443 }] }] },
    }),
  });
});

test("a name without an address where the engine matches none: 443 anywhere outside the cluster, with the reason", () => {
  const { made } = render({ destinations: [{ kind: "saml-idp", target: { hosts: ["idp.example.com"], cidrs: [], source: "test" } }] });
  expect(made.networkPolicyRules).toEqual([{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.96.0.0/14"] } }], ports: [{ port: "443", protocol: "TCP" }] }]);
  expect(made.anywhereReason).toMatch(/^saml-idp \(idp\.example\.com\): this cluster's network policies select addresses only/);
});

test("a Cilium entity on another engine is refused (it would silently open nothing)", () => {
  expect(() => render({ fqdnPolicy: "gke", destinations: [{ kind: "kubernetes-api", target: { hosts: [], cidrs: [], entities: ["kube-apiserver"], source: "t" } }] })).toThrow(/need the cilium policy engine/);
});

test("the allow graph carries the reason as the NetworkPolicy's K8S-27 suppression, and the policy reports it", () => {
  const app = Testing.app();
  const stack = new TerraformStack(app, "s");
  new NetworkAllowGraph(stack, "G", { externalTargets: { "saml-idp": { hosts: ["idp.example.com"], cidrs: [], source: "t" } } });
  const findings = Policy.applyTo(app).checkStack(stack).filter((f) => f.ruleId === "K8S-27" && f.status !== "pass");
  expect(findings.map((f) => [f.path, f.status])).toEqual([["s/G/Keycloak", "suppressed"]]);
  expect(Testing.synth(stack)).toHaveResourceWithProperties(NetworkPolicyV1, { metadata: expect.objectContaining({ name: "keycloak-allow" }) });
});
