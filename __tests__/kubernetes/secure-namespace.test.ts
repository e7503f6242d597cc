import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { Testing } from "cdktf";
import { SecureNamespace } from "../../constructs/kubernetes/secure-namespace";
import { resourcesOf, synthJson } from "../support/helpers";
import { nonEmpty } from "../support/non-empty";

const synth = () => Testing.synthScope((s) => new SecureNamespace(s, "Ns", { name: "metadata" }));

test("the namespace enforces, audits and warns Pod Security 'restricted'", () => {
  expect(synth()).toHaveResourceWithProperties(NamespaceV1, {
    metadata: expect.objectContaining({
      name: "metadata",
      labels: expect.objectContaining({
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
      }),
    }),
  });
});

test("the namespace is protected from destroy (deleting it deletes every claim in it); allowDestroy lifts it", () => {
  expect(synth()).toHaveResourceWithProperties(NamespaceV1, { lifecycle: { prevent_destroy: true } });
  const lifted = Testing.synthScope((s) => new SecureNamespace(s, "Ns", { name: "metadata", allowDestroy: true }));
  expect(lifted).toHaveResourceWithProperties(NamespaceV1, { lifecycle: { prevent_destroy: false } });
});

test("every pod is isolated for ingress and egress by a rule-less default-deny policy", () => {
  const doc = synthJson((s) => new SecureNamespace(s, "Ns", { name: "metadata" }));
  const deny = resourcesOf(doc, "kubernetes_network_policy_v1").find((p) => p.metadata.name === "default-deny")!;
  expect(deny.spec.pod_selector).toEqual({});
  expect(deny.spec.policy_types).toEqual(["Ingress", "Egress"]);
  expect(deny.spec.ingress).toBeUndefined();
  expect(deny.spec.egress).toBeUndefined();
});

test("DNS egress is allowed explicitly, to kube-dns only, on 53 UDP and TCP", () => {
  expect(synth()).toHaveResourceWithProperties(NetworkPolicyV1, {
    metadata: expect.objectContaining({ name: "allow-dns-egress" }),
    spec: expect.objectContaining({
      policy_types: ["Egress"],
      egress: [
        {
          to: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "kube-system" } }, pod_selector: { match_labels: { "k8s-app": "kube-dns" } } }],
          ports: [
            { port: "53", protocol: "UDP" },
            { port: "53", protocol: "TCP" },
          ],
        },
      ],
    }),
  });
});

test("policies are created in the namespace they protect (by reference)", () => {
  const doc = synthJson((s) => new SecureNamespace(s, "Ns", { name: "metadata" }));
  for (const p of nonEmpty(resourcesOf(doc, "kubernetes_network_policy_v1"), "network policy")) expect(p.metadata.namespace).toMatch(/^\$\{kubernetes_namespace_v1\./);
});

test("the DNS endpoint can be pointed elsewhere (e.g. a node-local resolver's pods)", () => {
  const doc = synthJson((s) => new SecureNamespace(s, "Ns", { name: "cache", dns: { namespace: "dns-system", podLabels: { app: "resolver" } } }));
  const dns = resourcesOf(doc, "kubernetes_network_policy_v1").find((p) => p.metadata.name === "allow-dns-egress")!;
  expect(dns.spec.egress[0].to).toEqual([{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "dns-system" } }, pod_selector: { match_labels: { app: "resolver" } } }]);
});
