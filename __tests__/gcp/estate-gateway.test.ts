import { readConfigFile } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { GCP_CMEK_FACTS, GKE_GATEWAY } from "../../constructs/gcp/gke-facts";
import { configProblems } from "../support/config-problems";
import { synthesizedStacks } from "../support/deployments";
import { failing } from "../support/postconditions";

// examples/gcp-estate-gateway.yaml as main.ts synthesized it (jest global setup): the GCP example with all four estate
// options of issue 17 at once (existing network, private access, a certificate from the customer's cloud, a DNS zone),
// and customer-managed keys.
type Block = Record<string, unknown>;
type Json = { resource: Record<string, Record<string, Block>>; data?: Record<string, Record<string, Block>> };
const stacks = () => synthesizedStacks("examples-gcp-estate-gateway") as unknown as Record<string, Json>;
const gcp = () => stacks()["globex-gw-gcp"];
const platform = () => stacks()["globex-gw-platform"];
const res = (s: Json, type: string) => Object.entries(s.resource[type] ?? {});
const data = (s: Json, type: string) => Object.entries(s.data?.[type] ?? {});
const manifest = (kind: string) => res(platform(), "kubernetes_manifest").map(([, m]) => m.manifest as Record<string, any>).find((m) => m.kind === kind); // eslint-disable-line @typescript-eslint/no-explicit-any

test("the example is valid as shipped and combines the four options", () => {
  const example = readConfigFile("examples/gcp-estate-gateway.yaml") as DeploymentInput;
  expect(configProblems(example)).toEqual([]);
  expect(example.gcp?.existingNetwork).toBeDefined();
  expect(example.domain).toMatchObject({ access: "internal", certificate: { source: "gcp-certificate-manager" }, dnsZone: { provider: "cloud-dns" } });
  expect(example.encryption).toEqual({ keys: "customer-managed" });
});

test("existing network: no network, subnetwork, router or NAT is created; the subnetworks are read", () => {
  const types = Object.keys(gcp().resource);
  for (const created of ["google_compute_network", "google_compute_subnetwork", "google_compute_router", "google_compute_router_nat"]) expect(types).not.toContain(created);
  const subnetworks = data(gcp(), "google_compute_subnetwork").map(([, s]) => s.name);
  expect(subnetworks.sort()).toEqual(["catalog-europe-west1", "catalog-proxy-only"]);
});

test("private access: an internal gke-l7-rilb Gateway on an INTERNAL address of the nodes' subnetwork; nothing external", () => {
  const [[, address], ...others] = res(gcp(), "google_compute_address");
  expect(others).toEqual([]);
  expect(address).toMatchObject({ name: "globex-gw-entry-point", address_type: "INTERNAL", subnetwork: expect.stringMatching(/^\$\{data\.google_compute_subnetwork\.Network_Nodes_[0-9A-F]+\.id\}$/) });
  const gateway = manifest("Gateway");
  expect(gateway?.spec.gatewayClassName).toBe(GKE_GATEWAY.gatewayClass.value.internal);
  expect(gateway?.spec.addresses).toEqual([{ type: GKE_GATEWAY.namedAddress.value, value: "globex-gw-entry-point" }]);
  // The entry point's own Service is the Gateway's backend, never a load balancer of its own.
  const service = res(platform(), "kubernetes_service_v1").map(([, s]) => s).find((s) => JSON.stringify(s.metadata).includes('"entry-point"'));
  expect(service).toBeDefined();
  expect(JSON.stringify(service?.spec)).toContain('"type":"ClusterIP"');
});

test("certificate: the Gateway's only listener is HTTPS on 443, terminating with the customer's Certificate Manager certificate by name", () => {
  const listeners = manifest("Gateway")?.spec.listeners as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(listeners).toHaveLength(1);
  expect(listeners[0]).toMatchObject({ protocol: "HTTPS", port: 443, hostname: "catalog.acme.example.com", tls: { mode: "Terminate", options: { [GKE_GATEWAY.certificateOption.value]: "catalog-acme-example-com" } } });
  // Nothing of the certificate (no key, no PEM) is in any stack: Google serves it.
  for (const s of Object.values(stacks())) expect(JSON.stringify(s)).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY|BEGIN CERTIFICATE/);
});

test("DNS: the private zone's A record holds the Gateway's reserved internal address", () => {
  const [[, record]] = res(gcp(), "google_dns_record_set");
  expect(record).toMatchObject({ managed_zone: "acme-internal", name: "catalog.acme.example.com.", type: "A", rrdatas: ["${google_compute_address.EntryPointAddress.address}"] });
});

test("customer-managed keys: buckets and node disks under the deployment's Cloud KMS keys", () => {
  const buckets = res(gcp(), "google_storage_bucket");
  expect(buckets.length).toBeGreaterThan(0);
  for (const [, b] of buckets) expect(b.encryption).toEqual({ default_kms_key_name: expect.stringMatching(/google_kms_crypto_key\.DataKey_.*\.id/) });
  const pools = res(gcp(), "google_container_node_pool");
  expect(pools.length).toBeGreaterThan(0);
  for (const [, pool] of pools) expect((pool.node_config as Block).boot_disk_kms_key).toMatch(/google_kms_crypto_key\.VolumeKey_.*\.id/);
  const [[, sc]] = res(stacks()["globex-gw-vault"], "kubernetes_storage_class_v1");
  expect((sc.parameters as Record<string, string>)[GCP_CMEK_FACTS.storageClassParameter.value]).toMatch(/VolumeKey/);
});

test("DNS: an internal entry point's Cloud DNS zone is read and must be private (postcondition, evaluated by terraform); a public entry point's is not read", () => {
  const zone = Object.entries(gcp().data?.google_dns_managed_zone ?? {});
  expect(zone).toHaveLength(1);
  const [[, block]] = zone;
  expect(block).toMatchObject({ name: "acme-internal", project: "acme-catalog-prod" });
  expect(failing(block, { name: "acme-internal", visibility: "private", dns_name: "acme.example.com." })).toEqual([]);
  // The record waits for the check, so a public zone never receives the private address.
  expect(res(gcp(), "google_dns_record_set")[0][1].depends_on).toEqual(expect.arrayContaining([`data.google_dns_managed_zone.${zone[0][0]}`]));
  expect(failing(block, { name: "acme-internal", visibility: "public", dns_name: "acme.example.com." })).toEqual([
    "domain.dnsZone.managedZone acme-internal is a public zone: an internal entry point's record holds a private address, which a public zone would publish to the internet; name a private zone visible to the users' networks, or set domain.access: public",
  ]);
  const publicDeployment = synthesizedStacks("examples-gcp-estate-keys") as unknown as Record<string, Json>;
  expect(publicDeployment["globex-keys-gcp"].data?.google_dns_managed_zone).toBeUndefined();
});
