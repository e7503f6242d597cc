import { readConfigFile } from "../../config/load";
import { configProblems } from "../support/config-problems";
import type { DeploymentInput } from "../../config/schema";
import { GCP_CMEK_FACTS, GKE_GATEWAY } from "../../constructs/gcp/gke-facts";
import { GKE_STATIC_ADDRESS } from "../../stacks/gcp-stack";
import { synthesizedStacks } from "../support/deployments";
import { nonEmpty } from "../support/non-empty";

// examples/gcp-estate-keys.yaml and examples/gcp.yaml as main.ts synthesized them (jest global setup).
type Json = { resource: Record<string, Record<string, Record<string, unknown>>>; data?: Record<string, Record<string, Record<string, unknown>>> };
const stacksOf = (key: string) => synthesizedStacks(key) as unknown as Record<string, Json>;
const estate = () => stacksOf("examples-gcp-estate-keys");
const plain = () => stacksOf("examples-gcp");
const res = (s: Json, type: string) => Object.entries(s.resource[type] ?? {});
const entryService = (s: Json) => Object.values(s.resource.kubernetes_service_v1).find((v) => JSON.stringify(v).includes("entry-point")) as { metadata: { annotations: Record<string, string> } };

test("DNS: the record in the named Cloud DNS zone points at a reserved regional EXTERNAL address, which the entry point's Gateway names (GKE_GATEWAY.namedAddress)", () => {
  const gcp = estate()["globex-keys-gcp"];
  const [[addressId, address]] = res(gcp, "google_compute_address");
  expect(address).toMatchObject({ name: "globex-keys-entry-point", region: "europe-west1", address_type: "EXTERNAL" });
  const [[, record]] = res(gcp, "google_dns_record_set");
  expect(record).toMatchObject({ managed_zone: "acme-example-com", name: "catalog.acme.example.com.", type: "A", rrdatas: [`\${google_compute_address.${addressId}.address}`] });
  const gateway = res(estate()["globex-keys-platform"], "kubernetes_manifest").map(([, m]) => m.manifest as { kind: string; spec: { addresses: unknown } }).find((m) => m.kind === "Gateway");
  expect(gateway?.spec.addresses).toEqual([{ type: GKE_GATEWAY.namedAddress.value, value: "globex-keys-entry-point" }]);
  // The Service is the Gateway's backend, not a load balancer: no passthrough load balancer takes the address.
  expect(entryService(estate()["globex-keys-platform"]).metadata.annotations[GKE_STATIC_ADDRESS.annotation]).toBeUndefined();
});

test("customer-managed keys: both buckets under the data key, granted to Cloud Storage's service agent first", () => {
  const gcp = estate()["globex-keys-gcp"];
  const grants = Object.fromEntries(res(gcp, "google_kms_crypto_key_iam_member"));
  const storageGrant = Object.entries(grants).find(([id]) => id.startsWith("DataKey_StorageServiceAgent"))!;
  expect(storageGrant[1]).toMatchObject({ role: GCP_CMEK_FACTS.role.value, member: expect.stringMatching(/^serviceAccount:\$\{data\.google_storage_project_service_account\.StorageServiceAgent\.email_address\}$/) });
  const buckets = res(gcp, "google_storage_bucket");
  expect(buckets).toHaveLength(2);
  for (const [, b] of buckets) {
    expect(b.encryption).toEqual({ default_kms_key_name: expect.stringMatching(/google_kms_crypto_key\.DataKey_.*\.id/) });
    expect(b.depends_on).toEqual(expect.arrayContaining([`google_kms_crypto_key_iam_member.${storageGrant[0]}`]));
  }
});

test("customer-managed keys: node boot disks and the StorageClass under the volume key, granted to the Compute Engine service agent first", () => {
  const gcp = estate()["globex-keys-gcp"];
  const grant = res(gcp, "google_kms_crypto_key_iam_member").find(([id]) => id.startsWith("VolumeKey_ComputeServiceAgent"))!;
  expect(grant[1].member).toBe(`serviceAccount:${GCP_CMEK_FACTS.computeAgent.value("${data.google_project.Project.number}")}`);
  for (const [, pool] of res(gcp, "google_container_node_pool")) {
    expect((pool.node_config as Record<string, unknown>).boot_disk_kms_key).toMatch(/google_kms_crypto_key\.VolumeKey_.*\.id/);
    expect(pool.depends_on).toEqual(expect.arrayContaining([`google_kms_crypto_key_iam_member.${grant[0]}`]));
  }
  const [[, sc]] = res(estate()["globex-keys-vault"], "kubernetes_storage_class_v1");
  expect((sc.parameters as Record<string, string>)[GCP_CMEK_FACTS.storageClassParameter.value]).toMatch(/VolumeKey/);
  for (const [, key] of nonEmpty(res(gcp, "google_kms_crypto_key").filter(([id]) => /^(Data|Volume)Key/.test(id)), "data or volume key")) {
    expect(key).toMatchObject({ rotation_period: "7776000s", lifecycle: { prevent_destroy: true } });
  }
});

test("the default keeps Google-managed keys and creates no address or record", () => {
  const gcp = plain()["globex-prod-gcp"];
  for (const [, b] of res(gcp, "google_storage_bucket")) expect(b.encryption).toBeUndefined();
  expect(res(gcp, "google_compute_address")).toEqual([]);
  expect(res(gcp, "google_dns_record_set")).toEqual([]);
  const [[, sc]] = res(plain()["globex-prod-vault"], "kubernetes_storage_class_v1");
  expect(sc.parameters).toEqual({ type: "pd-balanced" });
});

test("refused: a Cloud DNS zone that does not hold domain.name; an ACM certificate on GCP", () => {
  const example = readConfigFile("examples/gcp-estate-keys.yaml") as DeploymentInput;
  const problems = configProblems;
  expect(problems(example)).toEqual([]);
  expect(problems({ ...example, domain: { ...example.domain, dnsZone: { provider: "cloud-dns", managedZone: "z", zoneName: "example.org" } } })).toEqual([expect.stringMatching(/^domain\.dnsZone\.zoneName: .*not a parent of domain\.name/)]);
  expect(problems({ ...example, domain: { ...example.domain, dnsZone: { provider: "route53", hostedZoneId: "Z1", zoneName: "acme.example.com" } } })).toEqual([expect.stringMatching(/^domain\.dnsZone\.provider: .*route53 is a DNS zone of aws.*use cloud-dns/)]);
});
