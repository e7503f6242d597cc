import { Testing } from "cdktf";
import { readConfigFile } from "../../config/load";
import { GKE_INTERNAL_STATIC_ADDRESS, GKE_PRIVATE_SERVICE_CONNECT } from "../../constructs/gcp/gke-facts";
import { allowedFlows, catalogEndpoints, networkPoliciesOf } from "../support/network-flows";
import { buildDeployment } from "../../stacks/deployment";
import { GKE_STATIC_ADDRESS } from "../../stacks/gcp-stack";
import { SERVICES } from "../../platform/service-catalog";
import { configProblems } from "../support/config-problems";
import { synthesizedStacks } from "../support/deployments";
import { blockNamed, blocksOf, exampleVariant, synthDeployment, type StackJson } from "../support/estate";
import { failing } from "../support/postconditions";

// Private Service Connect for the internal entry point (domain.privateLink on GCP), and its internal address and
// record (domain.dnsZone with access: internal). examples/gcp-estate.yaml: Shared VPC + internal + PSC + private zone.

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const FILE = "examples/gcp-estate.yaml";
const HOST = "acme-network-host";
const NAT = "10.60.16.0/24";
const raw = (file = FILE): Raw => readConfigFile(file) as Raw;
const variant = (patch: (r: Raw) => void, file = FILE): Raw => {
  const r = raw(file);
  patch(r);
  return r;
};
const stacks = () => synthesizedStacks("examples-gcp-estate") as unknown as Record<string, StackJson>;
const cloudOf = () => stacks()["globex-estate-gcp"];
const platformOf = () => stacks()["globex-estate-platform"];
const entryService = (platform: StackJson) =>
  Object.values(blocksOf(platform, "kubernetes_service_v1")).find((s) => (s.spec as Raw).type === "LoadBalancer") as Raw;
const attachments = (platform: StackJson) => Object.values(blocksOf(platform, "kubernetes_manifest")).map((m) => m.manifest as Raw).filter((m) => m.kind === "ServiceAttachment");

/** The created-network example made internal with Private Service Connect. */
const createdWithPsc = (r: Raw) => {
  r.domain.access = "internal";
  r.domain.privateLink = { allowedConsumers: ["acme-analytics"] };
  r.gcp.pscNatCidr = "10.50.16.0/24";
};

describe("config", () => {
  test("the estate example (Shared VPC, internal, privateLink, private zone) is accepted, and so is a project number as consumer", () => {
    expect(configProblems(raw())).toEqual([]);
    expect(raw().domain.privateLink.allowedConsumers).toContain("210987654321");
  });

  test("refused: privateLink without the NAT range, or without the existing network's NAT subnetwork", () => {
    expect(configProblems(variant((r) => delete r.gcp.pscNatCidr))).toEqual([expect.stringMatching(/^gcp\.pscNatCidr: required with domain\.privateLink on gcp: the range of the Private Service Connect NAT subnetwork/)]);
    expect(configProblems(variant((r) => delete r.gcp.existingNetwork.pscNatSubnetwork))).toEqual([
      expect.stringMatching(/^gcp\.existingNetwork\.pscNatSubnetwork: required with domain\.privateLink: .*--purpose=PRIVATE_SERVICE_CONNECT --range=10\.60\.16\.0\/24/),
    ]);
  });

  test("refused: a NAT range on the node, pod, service or admin ranges", () => {
    for (const [cidr, field] of [["10.60.8.0/24", "network.cidr"], ["10.64.0.0/24", "network.podCidr"], ["172.22.0.0/24", "network.serviceCidr"], ["203.0.113.0/28", "controlPlane.adminCidrs[0]"]]) {
      expect(configProblems(variant((r) => (r.gcp.pscNatCidr = cidr)))).toEqual(expect.arrayContaining([expect.stringContaining(`gcp.pscNatCidr: ${cidr} overlaps ${field}`)]));
    }
  });

  test("refused: allowedSourceCidrs that do not admit the NAT range (consumers arrive from it), naming the range to add", () => {
    expect(configProblems(variant((r) => (r.domain.allowedSourceCidrs = ["10.60.0.0/20"])))).toEqual([
      expect.stringMatching(/^domain\.allowedSourceCidrs: does not admit gcp\.pscNatCidr \(10\.60\.16\.0\/24\): .*add 10\.60\.16\.0\/24/),
    ]);
  });

  test("refused: a NAT range or subnetwork without privateLink; a consumer that is neither a project id nor a number", () => {
    expect(configProblems(variant((r) => delete r.domain.privateLink))).toEqual([
      expect.stringMatching(/^gcp\.pscNatCidr: is used only by domain\.privateLink/),
      expect.stringMatching(/^gcp\.existingNetwork\.pscNatSubnetwork: is used only by domain\.privateLink/),
    ]);
    expect(configProblems(variant((r) => (r.domain.privateLink.allowedConsumers = ["projects/acme-analytics"])))).toEqual([
      expect.stringMatching(/^domain\.privateLink\.allowedConsumers\[0\]: 'projects\/acme-analytics' is not a GCP project id or number/),
    ]);
  });
});

describe("Shared VPC (examples/gcp-estate.yaml)", () => {
  test("the NAT subnetwork is read from the host project; terraform's postconditions hold its range and network", () => {
    const nat = blockNamed(cloudOf(), "google_compute_subnetwork", "Network_PscNat");
    expect(nat).toEqual(expect.objectContaining({ name: "catalog-psc-nat", project: HOST, region: "europe-west1" }));
    // The API's self link, as the data source reads it (data_source_google_compute_subnetwork.go sets network from the API).
    const good = { ip_cidr_range: NAT, network: `https://www.googleapis.com/compute/v1/projects/${HOST}/global/networks/shared-vpc` };
    expect(failing(nat, good)).toEqual([]);
    expect(failing(nat, { ...good, ip_cidr_range: "10.60.16.0/25" })).toEqual([expect.stringContaining("gcp.existingNetwork.pscNatSubnetwork catalog-psc-nat: its range is not gcp.pscNatCidr")]);
    expect(failing(nat, { ...good, network: `https://www.googleapis.com/compute/v1/projects/${HOST}/global/networks/other-vpc` })).toEqual([expect.stringContaining("it is not in the network shared-vpc")]);
  });

  test("the ServiceAttachment names the entry point's Service, the NAT subnetwork by its host-project path, and the consumers, as GKE's PSC controller reads them", () => {
    const service = entryService(platformOf());
    const [attachment, ...more] = attachments(platformOf());
    expect(more).toEqual([]);
    const facts = GKE_PRIVATE_SERVICE_CONNECT;
    expect(attachment.apiVersion).toBe(facts.resource.value.apiVersion);
    expect(Object.keys(attachment.spec).sort()).toEqual([...facts.resource.value.specFields].sort());
    expect(attachment.metadata).toEqual({ name: service.metadata.name, namespace: service.metadata.namespace });
    expect(attachment.spec.resourceRef).toEqual({ kind: facts.resourceRefKind.value, name: service.metadata.name });
    expect(attachment.spec.natSubnets).toEqual([`projects/${HOST}/regions/europe-west1/subnetworks/catalog-psc-nat`]);
    expect(attachment.spec.connectionPreference).toBe("ACCEPT_MANUAL");
    expect(attachment.spec.consumerAllowList).toEqual(raw().domain.privateLink.allowedConsumers.map((project: string) => ({ project, connectionLimit: facts.connectionLimitPerConsumer.value })));
    for (const { project } of attachment.spec.consumerAllowList) expect(project).toMatch(facts.consumer.value);
    // GKE runs the PSC controller with the HttpLoadBalancing add-on.
    const cluster = Object.values(blocksOf(cloudOf(), "google_container_cluster"))[0] as Raw;
    expect(cluster.addons_config.http_load_balancing.disabled).toBe(!facts.requires.value.httpLoadBalancingAddon);
  });

  test("the node firewall admits the NAT range to the Service's ports, in the host project", () => {
    const rule = blockNamed(cloudOf(), "google_compute_firewall", "NodeFirewall_PrivateServiceConnect", "resource");
    const servicePorts = (entryService(platformOf()).spec.port as Raw[]).map((p) => String(p.port)).sort();
    expect(rule).toEqual(expect.objectContaining({ project: HOST, direction: "INGRESS", source_ranges: [NAT], target_tags: ["globex-estate-gke-node"] }));
    expect([...(rule.allow as Raw[])[0].ports].sort()).toEqual(servicePorts);
  });

  test("the entry point's NetworkPolicy and the Service's source ranges admit a consumer's translated address, and nothing outside them", () => {
    const policies = networkPoliciesOf(stacks()["globex-estate-vault"]);
    const entry = `${SERVICES.entryPoint.namespace}/${SERVICES.entryPoint.name}`;
    const reaches = (ip: string) => allowedFlows(policies, catalogEndpoints(SERVICES, { externalIp: ip })).some((f) => f.from === "external" && f.to === entry);
    expect(reaches("10.60.16.9")).toBe(true);
    expect(reaches("198.51.100.7")).toBe(false);
    expect(entryService(platformOf()).spec.load_balancer_source_ranges).toEqual(["10.0.0.0/8"]);
  });

  test("the internal entry point's record: an INTERNAL address reserved in the service project from the host subnetwork, named by the Service", () => {
    const [[addressId, address]] = Object.entries(blocksOf(cloudOf(), "google_compute_address"));
    expect(address).toEqual(expect.objectContaining({ name: "globex-estate-entry-point", region: "europe-west1", ...{ address_type: GKE_INTERNAL_STATIC_ADDRESS.value.addressType, purpose: GKE_INTERNAL_STATIC_ADDRESS.value.purpose } }));
    expect(address.project).toBeUndefined(); // the provider's project: GKE looks the name up in the cluster's project
    expect(address.subnetwork).toMatch(/^\$\{data\.google_compute_subnetwork\.Network_Nodes_[0-9A-F]+\.id\}$/);
    expect(address.network_tier).toBeUndefined();
    const [record] = Object.values(blocksOf(cloudOf(), "google_dns_record_set"));
    expect(record).toEqual(expect.objectContaining({ managed_zone: "acme-internal", name: "catalog.acme.example.com.", type: "A", rrdatas: [`\${google_compute_address.${addressId}.address}`] }));
    const annotations = entryService(platformOf()).metadata.annotations as Record<string, string>;
    expect(annotations).toEqual({ "networking.gke.io/load-balancer-type": "Internal", [GKE_STATIC_ADDRESS.annotation]: "globex-estate-entry-point" });
  });
});

describe("created network", () => {
  const plain = synthDeployment(exampleVariant("examples/gcp.yaml"));
  const psc = synthDeployment(exampleVariant("examples/gcp.yaml", createdWithPsc));

  test("the stack creates the NAT subnet (PRIVATE_SERVICE_CONNECT) in its network, and the ServiceAttachment names it in the deployment's project", () => {
    const subnet = blockNamed(psc.cloud, "google_compute_subnetwork", "Network_PscNat", "resource");
    expect(subnet).toEqual(expect.objectContaining({ ip_cidr_range: "10.50.16.0/24", purpose: GKE_PRIVATE_SERVICE_CONNECT.natSubnetPurpose.value, region: "europe-west1" }));
    expect(subnet.network).toMatch(/^\$\{google_compute_network\.Network_[0-9A-F]+\.id\}$/);
    const projectId = raw("examples/gcp.yaml").gcp.projectId as string;
    expect(attachments(psc.platform).map((a) => a.spec.natSubnets)).toEqual([[`projects/${projectId}/regions/europe-west1/subnetworks/${subnet.name}`]]);
  });

  test("everything that existed keeps its id; only the NAT subnet and the firewall rule are added (and nothing without privateLink)", () => {
    const ids = (json: StackJson) => Object.entries(json.resource ?? {}).flatMap(([type, blocks]) => Object.keys(blocks).map((id) => `${type}.${id}`));
    const before = ids(plain.cloud);
    const after = ids(psc.cloud);
    expect(before.filter((id) => !after.includes(id))).toEqual([]);
    expect(after.filter((id) => !before.includes(id)).map((id) => id.replace(/_[0-9A-F]{8}$/, "")).sort()).toEqual([
      "google_compute_firewall.NodeFirewall_PrivateServiceConnect",
      "google_compute_subnetwork.Network_PscNat",
    ]);
    expect(attachments(plain.platform)).toEqual([]);
  });

  test("a NAT range on the control plane's picked /28 fails the synth with the field and the fix", () => {
    const d = exampleVariant("examples/gcp.yaml", (r: Raw) => (createdWithPsc(r), (r.gcp.pscNatCidr = "172.16.0.0/24")));
    const stack = buildDeployment(Testing.app(), d).cloud;
    const errors = stack.node.metadata.filter((m) => m.type === "@cdktf/error").map((m) => String(m.data));
    expect(errors).toEqual([expect.stringMatching(/^gcp\.pscNatCidr: 172\.16\.0\.0\/24 overlaps the GKE control plane's range 172\.16\.0\.0\/28; choose a NAT range outside it/)]);
  });

  test("a public entry point keeps its EXTERNAL address (unchanged)", () => {
    const d = exampleVariant("examples/gcp.yaml", (r: Raw) => (r.domain.dnsZone = { provider: "cloud-dns", managedZone: "acme-example-com", zoneName: "example.com" }));
    const [address] = Object.values(blocksOf(synthDeployment(d).cloud, "google_compute_address"));
    expect(address).toEqual(expect.objectContaining({ address_type: "EXTERNAL", network_tier: "PREMIUM" }));
    expect(address.subnetwork).toBeUndefined();
  });
});
