import { Testing } from "cdktf";
import { readConfigFile } from "../../config/load";
import type { Deployment } from "../../config/schema";
import { parseIpv4Cidr } from "../../lib/cidr";
import { GKE_GATEWAY } from "../../constructs/gcp/gke-facts";
import { ENTRY_POINT_HEALTH_PATH } from "../../constructs/kubernetes/entry-point";
import { strictSubsets } from "../../constructs/kubernetes/network-allow-graph";
import { allowedFlows, catalogEndpoints, networkPoliciesOf } from "../support/network-flows";
import { buildDeployment } from "../../stacks/deployment";
import { SERVICES } from "../../platform/service-catalog";
import { GKE_STATIC_ADDRESS } from "../../stacks/gcp-stack";
import { configProblems } from "../support/config-problems";
import { synthesizedStacks } from "../support/deployments";
import { blockNamed, blocksOf, exampleVariant, type StackJson } from "../support/estate";
import { failing } from "../support/postconditions";
import { nonEmpty } from "../support/non-empty";

// A Certificate Manager certificate served by a GKE Gateway in front of the entry point
// (domain.certificate.source gcp-certificate-manager). examples/gcp-estate-keys.yaml: public, created network, Cloud DNS.

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const FILE = "examples/gcp-estate-keys.yaml";
const PROXY_ONLY = "10.60.32.0/23";
const raw = (file = FILE): Raw => readConfigFile(file) as Raw;
const variant = (patch: (r: Raw) => void, file = FILE): Raw => {
  const r = raw(file);
  patch(r);
  return r;
};

/** Every stack of a deployment, synthesized in a test app. */
function synthAll(d: Deployment): { cloud: StackJson; vault: StackJson; platform: StackJson } {
  const stacks = buildDeployment(Testing.app(), d);
  const json = (s: Parameters<typeof Testing.synth>[0]) => JSON.parse(Testing.synth(s)) as StackJson;
  return { cloud: json(stacks.cloud), vault: json(stacks.vault), platform: json(stacks.platform) };
}
const manifests = (platform: StackJson, kind: string) => Object.values(blocksOf(platform, "kubernetes_manifest")).map((m) => m.manifest as Raw).filter((m) => m.kind === kind);
const entryService = (platform: StackJson) => Object.values(blocksOf(platform, "kubernetes_service_v1")).find((s) => (s.metadata as Raw).name === SERVICES.entryPoint.name) as Raw;

const publicGateway = synthAll(exampleVariant(FILE));
const internalGateway = synthAll(exampleVariant(FILE, (r: Raw) => (r.domain.access = "internal")));

describe("config", () => {
  test("the example (public, certificate by path in its project and region, proxy-only range) is accepted, and so is a bare certificate name", () => {
    expect(configProblems(raw())).toEqual([]);
    expect(configProblems(variant((r) => (r.domain.certificate.certificate = "catalog-acme-example-com")))).toEqual([]);
  });

  test("refused: a certificate of another region, a global one, another project's, or a malformed one", () => {
    const cert = (c: string) => configProblems(variant((r) => (r.domain.certificate.certificate = c)));
    expect(cert("projects/acme-catalog-prod/locations/us-central1/certificates/c")).toEqual([
      expect.stringMatching(/^domain\.certificate\.certificate: is in us-central1, but the Gateway's regional load balancer is in europe-west1 .*--location=europe-west1/),
    ]);
    expect(cert("projects/acme-catalog-prod/locations/global/certificates/c")).toEqual([expect.stringMatching(/^domain\.certificate\.certificate: is a global certificate; .*regional certificates only/)]);
    expect(cert("projects/other-project/locations/europe-west1/certificates/c")).toEqual([expect.stringMatching(/^domain\.certificate\.certificate: is in project other-project, but the Gateway looks the certificate up by name in gcp\.projectId \(acme-catalog-prod\)/)]);
    expect(cert("arn:aws:acm:x")).toEqual([expect.stringMatching(/^domain\.certificate\.certificate: must be a Certificate Manager certificate name/)]);
  });

  test("refused: on another cloud", () => {
    const aws = variant((r) => (r.domain.certificate = { source: "gcp-certificate-manager", certificate: "c" }), "examples/aws.yaml");
    expect(configProblems(aws)).toEqual([expect.stringMatching(/^domain\.certificate\.source: a Certificate Manager certificate is served only by Google load balancers, and this deployment runs on aws/)]);
  });

  test("refused: without a proxy-only range, or with one on another range, or without the existing network's proxy-only subnetwork", () => {
    expect(configProblems(variant((r) => delete r.gcp.proxyOnlyCidr))).toEqual([expect.stringMatching(/^gcp\.proxyOnlyCidr: required with gcp-certificate-manager/)]);
    for (const [cidr, field] of [["10.60.8.0/23", "network.cidr"], ["10.64.0.0/23", "network.podCidr"], ["172.22.0.0/23", "network.serviceCidr"], ["203.0.113.0/28", "controlPlane.adminCidrs[0]"]]) {
      expect(configProblems(variant((r) => (r.gcp.proxyOnlyCidr = cidr)))).toEqual([expect.stringContaining(`gcp.proxyOnlyCidr: ${cidr} overlaps ${field}`)]);
    }
    const existing = variant((r) => (r.gcp.existingNetwork = { network: "shared-vpc", subnetwork: "catalog-nodes", podsRangeName: "pods", servicesRangeName: "services" }));
    expect(configProblems(existing)).toEqual([expect.stringMatching(/^gcp\.existingNetwork\.proxyOnlySubnetwork: required with gcp-certificate-manager: .*--purpose=REGIONAL_MANAGED_PROXY --role=ACTIVE --region=europe-west1 .*--range=10\.60\.32\.0\/23/)]);
  });

  test("refused with the reason: privateLink (a ServiceAttachment cannot target a Gateway) and allowedSourceCidrs (not enforceable at the Gateway)", () => {
    const psc = variant((r) => ((r.domain.access = "internal"), (r.domain.privateLink = { allowedConsumers: ["acme-analytics"] }), (r.gcp.pscNatCidr = "10.60.16.0/24")));
    expect(configProblems(psc)).toEqual([expect.stringMatching(/^domain\.privateLink: cannot reach the Gateway: GKE's ServiceAttachment attaches to a LoadBalancer Service's forwarding rule only/)]);
    expect(configProblems(variant((r) => (r.domain.allowedSourceCidrs = ["198.51.100.0/24"])))).toEqual([
      expect.stringMatching(/^domain\.allowedSourceCidrs: cannot be enforced with gcp-certificate-manager: the Gateway's proxies, not the users, connect/),
    ]);
  });

  test("refused: a proxy-only range or subnetwork without the Certificate Manager source", () => {
    expect(configProblems(variant((r) => (r.domain.certificate = { source: "vault-pki" })))).toEqual([expect.stringMatching(/^gcp\.proxyOnlyCidr: is used only by domain\.certificate\.source gcp-certificate-manager/)]);
  });
});

describe("the Gateway, its route and health check, against GKE's facts", () => {
  test("public: a gke-l7-regional-external-managed Gateway, HTTPS only on 443 with the certificate by name, on the reserved EXTERNAL address", () => {
    const [gateway, ...more] = manifests(publicGateway.platform, "Gateway");
    expect(more).toEqual([]);
    const facts = GKE_GATEWAY;
    expect({ apiVersion: gateway.apiVersion, kind: gateway.kind }).toEqual(facts.resources.value.gateway);
    expect(gateway.spec.gatewayClassName).toBe(facts.gatewayClass.value.public);
    // HTTPS only: one listener, no HTTP.
    expect(gateway.spec.listeners).toEqual([
      {
        name: "https",
        protocol: "HTTPS",
        port: 443,
        hostname: "catalog.acme.example.com",
        tls: { mode: "Terminate", options: { [facts.certificateOption.value]: "catalog-acme-example-com" } },
        allowedRoutes: { namespaces: { from: "Same" } },
      },
    ]);
    const [address] = Object.values(blocksOf(publicGateway.cloud, "google_compute_address"));
    expect(address).toEqual(expect.objectContaining({ name: "globex-keys-entry-point", address_type: "EXTERNAL", region: "europe-west1" }));
    expect(gateway.spec.addresses).toEqual([{ type: facts.namedAddress.value, value: address.name }]);
    // The Gateway API is installed on the cluster, and the HttpLoadBalancing add-on runs the controller.
    const cluster = Object.values(blocksOf(publicGateway.cloud, "google_container_cluster"))[0] as Raw;
    expect(cluster.gateway_api_config).toEqual({ channel: facts.requires.value.gatewayApiChannel });
    expect(cluster.addons_config.http_load_balancing.disabled).toBe(false);
  });

  test("internal: a gke-l7-rilb Gateway on an INTERNAL address of the nodes' subnetwork", () => {
    const [gateway] = manifests(internalGateway.platform, "Gateway");
    expect(gateway.spec.gatewayClassName).toBe(GKE_GATEWAY.gatewayClass.value.internal);
    const [address] = Object.values(blocksOf(internalGateway.cloud, "google_compute_address"));
    expect(address).toEqual(expect.objectContaining({ address_type: GKE_GATEWAY.internalAddress.value.addressType, purpose: GKE_GATEWAY.internalAddress.value.purpose, region: "europe-west1" }));
    expect(address.subnetwork).toMatch(/^\$\{google_compute_subnetwork\.Network_Nodes_[0-9A-F]+\.id\}$/);
  });

  test("the HTTPRoute sends everything for the hostname to the entry point's ClusterIP Service (NEGs, appProtocol HTTPS), which has no HTTP port", () => {
    const [route] = manifests(publicGateway.platform, "HTTPRoute");
    const service = entryService(publicGateway.platform);
    expect({ apiVersion: route.apiVersion, kind: route.kind }).toEqual(GKE_GATEWAY.resources.value.httpRoute);
    expect(route.metadata.namespace).toBe(service.metadata.namespace);
    expect(route.spec).toEqual({ parentRefs: [{ name: "entry-point", sectionName: "https" }], hostnames: ["catalog.acme.example.com"], rules: [{ backendRefs: [{ name: service.metadata.name, port: 443 }] }] });
    expect(service.spec.type).toBe("ClusterIP");
    expect(service.spec.port).toEqual([{ name: "https", port: 443, target_port: "https", protocol: "TCP", app_protocol: GKE_GATEWAY.backendAppProtocol.value }]);
    expect(service.metadata.annotations).toEqual(GKE_GATEWAY.negAnnotation.value);
    expect(service.spec.load_balancer_source_ranges).toBeUndefined();
  });

  test("the HealthCheckPolicy checks nginx's health path over HTTPS on the pods' HTTPS port, the path and port of the pods' own probes", () => {
    const [policy] = manifests(publicGateway.platform, "HealthCheckPolicy");
    expect({ apiVersion: policy.apiVersion, kind: policy.kind }).toEqual(GKE_GATEWAY.resources.value.healthCheckPolicy);
    expect(policy.spec.targetRef).toEqual({ group: "", kind: "Service", name: "entry-point" });
    expect(policy.metadata.namespace).toBe(entryService(publicGateway.platform).metadata.namespace);
    const deployment = Object.values(blocksOf(publicGateway.platform, "kubernetes_deployment_v1")).find((d) => (d.metadata as Raw).name === "entry-point") as Raw;
    const nginx = (deployment.spec.template.spec.container as Raw[]).find((c) => c.name === "nginx") as Raw;
    const probe = nginx.readiness_probe.http_get;
    const portNamed = (nginx.port as Raw[]).find((p) => p.name === probe.port);
    expect(probe).toEqual(expect.objectContaining({ path: ENTRY_POINT_HEALTH_PATH, scheme: "HTTPS" }));
    expect(policy.spec.default.config).toEqual({ type: "HTTPS", httpsHealthCheck: { port: portNamed?.container_port, requestPath: probe.path } });
  });

  test("the companions wait for the Service", () => {
    const serviceId = Object.entries(blocksOf(publicGateway.platform, "kubernetes_service_v1")).find(([, s]) => (s.metadata as Raw).name === "entry-point")?.[0];
    for (const m of nonEmpty(Object.values(blocksOf(publicGateway.platform, "kubernetes_manifest")), "kubernetes_manifest")) expect(m.depends_on).toEqual([`kubernetes_service_v1.${serviceId}`]);
  });
});

describe("network: proxy-only subnet, firewall and NetworkPolicy admit the proxies and health checkers only", () => {
  test("the created network gets an ACTIVE REGIONAL_MANAGED_PROXY subnet of gcp.proxyOnlyCidr", () => {
    const subnet = blockNamed(publicGateway.cloud, "google_compute_subnetwork", "Network_ProxyOnly", "resource");
    expect(subnet).toEqual(expect.objectContaining({ ip_cidr_range: PROXY_ONLY, region: "europe-west1", purpose: GKE_GATEWAY.proxyOnlySubnet.value.purpose, role: GKE_GATEWAY.proxyOnlySubnet.value.role }));
  });

  test("an existing network's proxy-only subnetwork is read; terraform's postconditions hold its range and network", () => {
    const d = exampleVariant(FILE, (r: Raw) => (r.gcp.existingNetwork = { network: "shared-vpc", subnetwork: "catalog-nodes", podsRangeName: "pods", servicesRangeName: "services", proxyOnlySubnetwork: "proxy-only" }));
    const { cloud } = synthAll(d);
    expect(Object.keys(blocksOf(cloud, "google_compute_subnetwork"))).toEqual([]);
    const subnet = blockNamed(cloud, "google_compute_subnetwork", "Network_ProxyOnly");
    const good = { ip_cidr_range: PROXY_ONLY, network: "https://www.googleapis.com/compute/v1/projects/acme-catalog-prod/global/networks/shared-vpc" };
    expect(failing(subnet, good)).toEqual([]);
    expect(failing(subnet, { ...good, ip_cidr_range: "10.60.32.0/24" })).toEqual([expect.stringContaining("gcp.existingNetwork.proxyOnlySubnetwork proxy-only: its range is not gcp.proxyOnlyCidr")]);
    expect(failing(subnet, { ...good, network: "https://www.googleapis.com/compute/v1/projects/acme-catalog-prod/global/networks/other" })).toEqual([expect.stringContaining("it is not in the network shared-vpc")]);
  });

  test("the node firewall admits the proxy-only range and Google's health-check ranges to nginx's HTTPS port, nothing else", () => {
    const rule = blockNamed(publicGateway.cloud, "google_compute_firewall", "NodeFirewall_ProxyLoadBalancer", "resource");
    expect(rule).toEqual(expect.objectContaining({ direction: "INGRESS", source_ranges: [PROXY_ONLY, ...GKE_GATEWAY.healthCheckRanges.value], target_tags: ["globex-keys-gke-node"], allow: [{ protocol: "tcp", ports: [String(SERVICES.entryPoint.ports[0].port)] }] }));
    // No rule of this stack admits the users' addresses to the load-balancer ports (there is no passthrough load balancer).
    const sources = Object.values(blocksOf(publicGateway.cloud, "google_compute_firewall")).filter((f) => f.allow).flatMap((f) => f.source_ranges as string[]);
    expect(sources).not.toContain("0.0.0.0/0");
  });

  test("the entry point's NetworkPolicy admits the proxies and health checkers, and not a user's or the nodes' address; every ipBlock is valid for the API server", () => {
    for (const { vault } of [publicGateway, internalGateway]) {
      const policies = networkPoliciesOf(vault);
      const entry = `${SERVICES.entryPoint.namespace}/${SERVICES.entryPoint.name}`;
      const reaches = (ip: string) => allowedFlows(policies, catalogEndpoints(SERVICES, { externalIp: ip })).some((f) => f.from === "external" && f.to === entry);
      expect(["10.60.32.9", "10.60.33.250", "35.191.4.2", "130.211.1.1"].map(reaches)).toEqual([true, true, true, true]);
      expect(["198.51.100.7", "10.60.0.5", "10.60.34.1", "130.211.4.1", "8.8.8.8"].map(reaches)).toEqual([false, false, false, false, false]);
    }
  });

  test("the proxies reach nginx's HTTPS port only, as the firewall does: the Gateway listens on HTTPS and re-encrypts, so the redirect port is not theirs", () => {
    const https = `${SERVICES.entryPoint.ports[0].port}/TCP`;
    for (const { vault } of [publicGateway, internalGateway]) {
      const entry = `${SERVICES.entryPoint.namespace}/${SERVICES.entryPoint.name}`;
      const ports = ["10.60.32.9", "35.191.4.2"].flatMap((ip) =>
        allowedFlows(networkPoliciesOf(vault), catalogEndpoints(SERVICES, { externalIp: ip })).filter((f) => f.from === "external" && f.to === entry).map((f) => f.port),
      );
      expect(ports).toEqual([https, https]);
    }
    // Without a Gateway, users reach both: HTTPS, and the redirect to it.
    const passthrough = synthAll(exampleVariant("examples/gcp.yaml"));
    const users = allowedFlows(networkPoliciesOf(passthrough.vault), catalogEndpoints(SERVICES, { externalIp: "198.51.100.7" }))
      .filter((f) => f.from === "external" && f.to === `${SERVICES.entryPoint.namespace}/${SERVICES.entryPoint.name}`).map((f) => f.port);
    expect(users).toEqual(SERVICES.entryPoint.ports.map((p) => `${p.port}/TCP`).sort());
  });
});

describe("DNS and outputs", () => {
  test("the Cloud DNS record and the entry_point_address output hold the Gateway's reserved address", () => {
    const [[addressId]] = Object.entries(blocksOf(publicGateway.cloud, "google_compute_address"));
    const [record] = Object.values(blocksOf(publicGateway.cloud, "google_dns_record_set"));
    expect(record).toEqual(expect.objectContaining({ managed_zone: "acme-example-com", name: "catalog.acme.example.com.", type: "A", rrdatas: [`\${google_compute_address.${addressId}.address}`] }));
    // The Service is a ClusterIP (no load-balancer status): the output is the reserved address, through the cloud stack's output.
    const shipped = synthesizedStacks("examples-gcp-estate-keys") as unknown as Record<string, Raw>;
    const output = shipped["globex-keys-platform"].output.entry_point_address.value as string;
    expect(output).toMatch(/^\$\{data\.terraform_remote_state\.[^.]+-globex-keys-gcp\.outputs\.cross-stack-output-google_compute_addressEntryPointAddressaddress\}$/);
  });
});

describe("NetworkPolicy ipBlock exceptions (kubernetes ValidateIPBlock: each must be a strict subset of cidr)", () => {
  test("strictSubsets keeps only ranges strictly inside the cidr", () => {
    expect(strictSubsets(["10.64.0.0/14", "172.22.0.0/20", "10.0.0.0/8"], "10.0.0.0/8")).toEqual(["10.64.0.0/14"]);
    expect(strictSubsets(["10.64.0.0/14"], "0.0.0.0/0")).toEqual(["10.64.0.0/14"]);
    expect(strictSubsets(["10.64.0.0/14"], PROXY_ONLY)).toEqual([]);
  });

  test("in every synthesized entry-point policy, each except lies strictly inside its cidr", () => {
    for (const { vault } of [publicGateway, internalGateway, synthAll(exampleVariant("examples/gcp-estate.yaml")), synthAll(exampleVariant("examples/aws-estate.yaml"))]) {
      for (const policy of nonEmpty(Object.values(blocksOf(vault, "kubernetes_network_policy_v1")), "network policy")) {
        for (const rule of ((policy.spec as Raw).ingress ?? []) as Raw[]) {
          for (const peer of (rule.from ?? []) as Raw[]) {
            if (!peer.ip_block) continue;
            const outer = parseIpv4Cidr(peer.ip_block.cidr)!;
            for (const e of peer.ip_block.except ?? []) {
              const inner = parseIpv4Cidr(e)!;
              expect({ cidr: peer.ip_block.cidr, except: e, inside: inner.prefix > outer.prefix && strictSubsets([e], peer.ip_block.cidr).length === 1 }).toEqual({ cidr: peer.ip_block.cidr, except: e, inside: true });
            }
          }
        }
      }
    }
  });
});

describe("without the Certificate Manager source, the passthrough entry point stays as it was", () => {
  test("a public Cloud DNS record: the LoadBalancer Service takes the reserved address by annotation; no Gateway, proxy-only subnet or Gateway API", () => {
    const plain = synthAll(exampleVariant(FILE, (r: Raw) => ((r.domain.certificate = { source: "kubernetes-secret", secretName: "catalog-tls" }), delete r.gcp.proxyOnlyCidr)));
    const service = entryService(plain.platform);
    expect(service.spec.type).toBe("LoadBalancer");
    expect(service.metadata.annotations).toEqual({ "cloud.google.com/l4-rbs": "enabled", [GKE_STATIC_ADDRESS.annotation]: "globex-keys-entry-point" });
    expect(Object.keys(blocksOf(plain.platform, "kubernetes_manifest"))).toEqual([]);
    expect(Object.keys(blocksOf(plain.cloud, "google_compute_subnetwork")).filter((id) => id.includes("ProxyOnly"))).toEqual([]);
    expect((Object.values(blocksOf(plain.cloud, "google_container_cluster"))[0] as Raw).gateway_api_config).toBeUndefined();
  });
});
