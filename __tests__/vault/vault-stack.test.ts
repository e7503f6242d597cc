import { readFileSync } from "node:fs";
import * as path from "node:path";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Testing } from "cdktf";
import { allowedFlows, catalogEndpoints, networkPoliciesOf, type Flow } from "../support/network-flows";
import { AwsStack } from "../../stacks/aws-stack";
import type { PlatformFoundation } from "../../platform/platform-foundation";
import { NAMESPACES, SERVICES } from "../../platform/service-catalog";
import { VaultStack } from "../../stacks/vault-stack";
import { FAKE_FOUNDATION, defaultDeployment } from "../fixtures/fake-foundation";
import { INTENDED_GRAPH } from "../kubernetes/intended-graph";
import { resourcesOf } from "../support/helpers";
import { deploymentOn } from "../../config/schema";

function synth(foundation: PlatformFoundation = FAKE_FOUNDATION, overrides: Record<string, unknown> = {}) {
  const app = Testing.app();
  return Testing.synth(new VaultStack(app, "demo-vault", { deployment: defaultDeployment(overrides), foundation }));
}
const doc = () => JSON.parse(synth());

test("snapshot of the vault stack against the fake contract (review aid)", () => {
  expect(synth()).toMatchSnapshot();
});

test("synthesis is deterministic", () => {
  expect(synth()).toBe(synth());
});

test("the Kubernetes provider uses the contract's host, CA and exec plugin, never a token", () => {
  const out = synth();
  expect(out).toHaveProviderWithProperties(KubernetesProvider, {
    host: "https://k8s.fake.internal:443",
    cluster_ca_certificate: FAKE_FOUNDATION.cluster.caCertificatePem,
    exec: [{ api_version: "client.authentication.k8s.io/v1beta1", command: "fake-login", args: ["token", "--cluster", "fake-cluster"] }],
  });
  const provider = JSON.parse(out).provider.kubernetes[0];
  for (const key of ["token", "password", "client_key", "config_path", "insecure"]) expect(provider[key]).toBeUndefined();
});

test("every namespace of the catalog exists, restricted, with default deny and DNS egress", () => {
  const d = doc();
  const namespaces = resourcesOf(d, "kubernetes_namespace_v1");
  expect(namespaces.map((n) => n.metadata.name).sort()).toEqual(Object.values(NAMESPACES).sort());
  for (const n of namespaces) expect(n.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  const policies = resourcesOf(d, "kubernetes_network_policy_v1").map((p) => p.metadata.name);
  expect(policies.filter((n) => n === "default-deny")).toHaveLength(5);
  expect(policies.filter((n) => n === "allow-dns-egress")).toHaveLength(5);
});

test("the encrypted StorageClass comes from the contract and retains data unless allowDestroy", () => {
  expect(resourcesOf(doc(), "kubernetes_storage_class_v1")[0]).toEqual(
    expect.objectContaining({ storage_provisioner: "csi.fake.example", reclaim_policy: "Retain", volume_binding_mode: "WaitForFirstConsumer" }),
  );
  const throwaway = JSON.parse(synth(FAKE_FOUNDATION, { dataProtection: { allowDestroy: true } }));
  expect(resourcesOf(throwaway, "kubernetes_storage_class_v1")[0].reclaim_policy).toBe("Delete");
});

test("Vault starts after its certificate exists and its storage class", () => {
  const set = resourcesOf(doc(), "kubernetes_stateful_set_v1")[0];
  expect(set.depends_on).toEqual([expect.stringMatching(/^kubernetes_job_v1\./), expect.stringMatching(/^kubernetes_storage_class_v1\./)]);
});

test("no key material or credential is synthesized", () => {
  const out = synth();
  expect(out).not.toMatch(/PRIVATE KEY/);
  expect(out).not.toMatch(/"(token|password|client_secret)"\s*:/);
});

const ours = new Set(Object.values(SERVICES).map((s) => `${s.namespace}/${s.name}`).concat("vault/vault-tls-bootstrap"));
const render = (flows: Flow[]) => flows.filter((f) => ours.has(f.from) || ours.has(f.to)).map((f) => `${f.from} -> ${f.to} ${f.port}`).sort();

test("flow: the stack's NetworkPolicies allow exactly the intended graph (plus the TLS bootstrap's API access)", () => {
  const endpoints = catalogEndpoints();
  endpoints.push({ id: "vault/vault-tls-bootstrap", namespace: "vault", labels: { "app.kubernetes.io/name": "vault-tls-bootstrap" }, ip: "10.96.0.99", ports: [] });
  const flows = allowedFlows(networkPoliciesOf(synth()), endpoints);
  expect(render(flows)).toEqual(
    [
      ...INTENDED_GRAPH,
      "vault/vault-tls-bootstrap -> kube-system/dns 53/TCP",
      "vault/vault-tls-bootstrap -> kube-system/dns 53/UDP",
    ].sort(),
  );
});

test("flow: restricting the entry point's source ranges narrows who reaches it from outside", () => {
  const out = synth(FAKE_FOUNDATION, { domain: { name: "catalog.example.com", allowedSourceCidrs: ["203.0.113.0/24"] } });
  const flows = render(allowedFlows(networkPoliciesOf(out), catalogEndpoints(SERVICES, { externalIp: "198.51.100.7" })));
  expect(flows.filter((f) => f.startsWith("external ->"))).toEqual([]);
});

test("the same stack synthesizes against the AWS stack's contract: cross-stack host, exec auth, no token", () => {
  const app = Testing.app();
  const cloud = new AwsStack(app, "demo-aws", { deployment: deploymentOn("aws", defaultDeployment()) });
  new VaultStack(app, "demo-vault", { deployment: defaultDeployment(), foundation: cloud.foundation });
  // A full synth resolves the cross-stack references (Testing.synth of one stack does not).
  app.synth();
  const outdir = app.outdir;
  const out = readFileSync(path.join(outdir, "stacks", "demo-vault", "cdk.tf.json"), "utf8");
  expect(resourcesOf(JSON.parse(out), "kubernetes_stateful_set_v1")).toHaveLength(1);
  const [provider] = JSON.parse(out).provider.kubernetes;
  expect(provider.host).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-demo-aws\.outputs\./);
  expect(provider.exec).toEqual([expect.objectContaining({ command: "aws", args: expect.arrayContaining(["eks", "get-token"]) })]);
  expect(provider).not.toHaveProperty("token");
  expect(JSON.parse(out).data.terraform_remote_state).toHaveProperty(["cross-stack-reference-input-demo-aws", "backend"], "local");
});
