import { allowedFlows, catalogEndpoints, networkPoliciesOf, type Endpoint } from "../support/network-flows";
import { APP_LABEL } from "../../lib/labels";
import { AKS_FACTS } from "../../constructs/azure/azure-facts";
import { GKE_METADATA_SERVER_EGRESS } from "../../constructs/gcp/gke-facts";
import { VAULT_TLS_BOOTSTRAP_APP } from "../../constructs/vault/vault-tls-bootstrap";
import { loadDeployment } from "../../config/load";
import { firstHost } from "../../lib/cidr";
import { SERVICES } from "../../platform/service-catalog";
import { identityBoundServices } from "../../stacks/vault-stack";
import { synthesizedStacks } from "../support/deployments";
import { nonEmpty } from "../support/non-empty";

// What each cloud's addressing facts (PlatformFoundation.podNetwork) do to the NetworkPolicies main.ts
// wrote for the shipped deployments, evaluated with the allow graph's own evaluator.

type Json = { resource?: Record<string, Record<string, Record<string, unknown>>> };
const vaultStack = (key: string, id: string) => synthesizedStacks(key)[id] as Json;

/** An address outside the catalog's pods, listening on `port`. */
const host = (id: string, ip: string, port: string): Endpoint => ({ id, ip, labels: {}, ports: [port] });

describe("EKS: pods take VPC addresses, so 'anywhere' excludes the VPC", () => {
  const d = loadDeployment(["--config", "examples/aws.yaml"], {});
  const policies = networkPoliciesOf(vaultStack("examples-aws", "acme-prod-vault"));
  // The catalog's pods in a private subnet (VPC CNI), a pod of another workload in the VPC, a load balancer or
  // NAT in a public subnet, a VPC endpoint in a private subnet, the internet.
  const endpoints = [
    ...catalogEndpoints(SERVICES, { podCidrIpPrefix: "10.40.1." }),
    { id: "other/app", namespace: "other", labels: { app: "other" }, ip: "10.40.70.9", ports: ["8443/TCP", "443/TCP"] },
    host("public-subnet", "10.40.193.4", "443/TCP"),
    host("vpc-endpoint", "10.40.2.50", "443/TCP"),
  ];
  const flows = allowedFlows(policies, endpoints);
  const can = (from: string, to: string, port: string) => flows.some((f) => f.from === from && f.to === to && f.port === port);

  test("every 'anywhere' ipBlock of the allow graph excludes the VPC and the service range", () => {
    // (The Vault TLS bootstrap Job's own policy reaches the API server through the kubernetes Service, in the service range.)
    const graph = policies.filter((p) => p.podSelector.match_labels?.[APP_LABEL] !== VAULT_TLS_BOOTSTRAP_APP);
    const blocks = graph.flatMap((p) => [...p.egress.flatMap((r) => r.to ?? []), ...p.ingress.flatMap((r) => r.from ?? [])]).map((peer) => peer.ip_block).filter(Boolean);
    const anywhere = blocks.map((b) => (Array.isArray(b) ? b[0] : b)!).filter((b) => b.cidr === "0.0.0.0/0");
    expect(anywhere.length).toBeGreaterThan(0);
    for (const b of anywhere) expect(b.except).toEqual(expect.arrayContaining([d.network.cidr, d.network.serviceCidr]));
  });

  test("a pod elsewhere in the VPC cannot reach the entry point through its 'anywhere' rule; the internet can", () => {
    expect(can("other/app", "ingress/entry-point", "8443/TCP")).toBe(false);
    expect(can("external", "ingress/entry-point", "8443/TCP")).toBe(true);
  });

  test("callers of cloud APIs reach the VPC endpoints on 443, not the internet and not the public subnets", () => {
    expect(can("vault/vault", "vpc-endpoint", "443/TCP")).toBe(true);
    expect(can("vault/vault", "external", "443/TCP")).toBe(false);
    expect(can("vault/vault", "public-subnet", "443/TCP")).toBe(false);
    // A service without external destinations reaches neither.
    expect(can("cache/redis", "vpc-endpoint", "443/TCP")).toBe(false);
  });

  test("the API server's callers reach the kubernetes Service's ClusterIP (what https://kubernetes.default.svc resolves to) on 443; no other pod does", () => {
    const clusterIp = firstHost(d.network.serviceCidr).replace("/32", "");
    const withService = [...endpoints, host("kubernetes-service", clusterIp, "443/TCP"), { id: `vault/${VAULT_TLS_BOOTSTRAP_APP}`, namespace: "vault", labels: { [APP_LABEL]: VAULT_TLS_BOOTSTRAP_APP }, ip: "10.40.1.250", ports: [] }];
    // Among the pods the platform's policies select (others, outside the catalog, are not ours to restrict).
    const ours = new Set([...Object.values(SERVICES).map((x) => `${x.namespace}/${x.name}`), `vault/${VAULT_TLS_BOOTSTRAP_APP}`]);
    const reach = allowedFlows(policies, withService).filter((f) => ours.has(f.from) && f.to === "kubernetes-service" && f.port === "443/TCP").map((f) => f.from);
    expect(reach.sort()).toEqual(["vault/vault", `vault/${VAULT_TLS_BOOTSTRAP_APP}`].sort());
  });

  test("no metadata-server allowance on EKS (IRSA needs none), and no Cilium policy", () => {
    expect(JSON.stringify(policies)).not.toContain("169.254.");
    expect(vaultStack("examples-aws", "acme-prod-vault").resource?.kubernetes_manifest).toBeUndefined();
  });
});

describe("GKE: identity-bound pods, and only they, reach the GKE metadata server", () => {
  const policies = networkPoliciesOf(vaultStack("examples-gcp", "globex-prod-vault"));
  const endpoints = [
    ...catalogEndpoints(SERVICES, { podCidrIpPrefix: "10.64.0." }),
    ...GKE_METADATA_SERVER_EGRESS.map((e) => host(`metadata:${e.port}`, e.cidr.split("/")[0], `${e.port}/${e.protocol}`)),
  ];
  const flows = allowedFlows(policies, endpoints);
  const reachesMetadata = (pod: string) => GKE_METADATA_SERVER_EGRESS.every((e) => flows.some((f) => f.from === pod && f.to === `metadata:${e.port}`));
  const reachesAny = (pod: string) => flows.some((f) => f.from === pod && f.to.startsWith("metadata:"));

  test("the identity-bound services are Vault and the three backup writers (WORKLOAD_IDENTITIES)", () => {
    expect(identityBoundServices().sort()).toEqual(["cassandra", "elasticsearch", "postgresql", "vault"]);
  });

  test.each(Object.entries(SERVICES))("%s", (key, s) => {
    const pod = `${s.namespace}/${s.name}`;
    if (identityBoundServices().includes(key)) expect(reachesMetadata(pod)).toBe(true);
    else expect(reachesAny(pod)).toBe(false);
  });

  test("exactly the metadata addresses and ports, nothing around them", () => {
    const near = [host("metadata-other-port", "169.254.169.252", "80/TCP"), host("link-local", "169.254.169.1", "988/TCP")];
    const extra = allowedFlows(policies, [...catalogEndpoints(SERVICES, { podCidrIpPrefix: "10.64.0." }), ...near]);
    const catalogPods = new Set(Object.values(SERVICES).map((x) => `${x.namespace}/${x.name}`));
    expect(extra.filter((f) => catalogPods.has(f.from) && (f.to === "metadata-other-port" || f.to === "link-local"))).toEqual([]);
  });
});

describe("AKS with Cilium: the API server is reached through Cilium's kube-apiserver entity", () => {
  const json = vaultStack("examples-azure", "contoso-prod-vault");
  const manifests = Object.values(json.resource?.kubernetes_manifest ?? {}).map((m) => m.manifest as { kind: string; apiVersion: string; spec: { endpointSelector: { matchLabels: Record<string, string> }; egress: { toEntities?: string[]; toPorts?: unknown }[]; ingress?: unknown } });

  test("the kube-apiserver entity is allowed on 443 to exactly Vault and the TLS bootstrap pods, and no policy of them allows ingress", () => {
    expect(manifests.length).toBeGreaterThan(0);
    for (const m of nonEmpty(manifests, "CiliumNetworkPolicy manifest")) expect(m).toMatchObject({ apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy" });
    const withEntity = manifests.filter((m) => m.spec.egress.some((e) => e.toEntities?.length));
    expect(withEntity.map((m) => m.spec.endpointSelector.matchLabels[APP_LABEL]).sort()).toEqual([SERVICES.vault.name, VAULT_TLS_BOOTSTRAP_APP].sort());
    for (const m of withEntity) {
      expect(m.spec.egress.filter((e) => e.toEntities)).toEqual([{ toEntities: [AKS_FACTS.ciliumApiServerIdentity.value], toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }] }]);
    }
    for (const m of nonEmpty(manifests, "CiliumNetworkPolicy manifest")) expect(m.spec.ingress).toBeUndefined();
  });

  test("the pods it selects are the API's callers: the Vault StatefulSet's, the bootstrap Job's and its renewal's pods carry those labels", () => {
    const podLabels = (type: string) =>
      Object.values(json.resource?.[type] ?? {}).map((r) => ((r.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels[APP_LABEL]));
    expect(podLabels("kubernetes_stateful_set_v1")).toContain(SERVICES.vault.name);
    expect(podLabels("kubernetes_job_v1")).toContain(VAULT_TLS_BOOTSTRAP_APP);
    const renewal = Object.values(json.resource?.kubernetes_cron_job_v1 ?? {}).map((r) => (r.spec as { job_template: { spec: { template: { metadata: { labels: Record<string, string> } } } } }).job_template.spec.template.metadata.labels[APP_LABEL]);
    expect(renewal).toEqual([VAULT_TLS_BOOTSTRAP_APP]);
  });

  test("AKS overlay pods keep network.podCidr: the VNet is not excluded; GKE names hosts with FQDNNetworkPolicy, never Cilium's", () => {
    const d = loadDeployment(["--config", "examples/azure.yaml"], {});
    const anywhere = networkPoliciesOf(json).filter((p) => p.podSelector.match_labels?.[APP_LABEL] !== VAULT_TLS_BOOTSTRAP_APP).flatMap((p) => p.egress.flatMap((r) => r.to ?? [])).map((peer) => (Array.isArray(peer.ip_block) ? peer.ip_block[0] : peer.ip_block)).filter((b) => b?.cidr === "0.0.0.0/0");
    for (const b of anywhere) expect(b!.except).toEqual([d.network.podCidr, d.network.serviceCidr]);
    const gke = Object.values(vaultStack("examples-gcp", "globex-prod-vault").resource?.kubernetes_manifest ?? {}).map((m) => (m.manifest as { kind: string }).kind);
    expect(new Set(gke)).toEqual(new Set(["FQDNNetworkPolicy"]));
  });
});
