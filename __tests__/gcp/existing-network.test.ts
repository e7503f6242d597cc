import { GKE_LOAD_BALANCER_ANNOTATIONS } from "../../constructs/gcp/gke-facts";
import { deploymentRuns } from "../support/deployments";
import { blockNamed, blocksOf, entryPointAnnotations, exampleVariant, resourceTypes, synthDeployment } from "../support/estate";
import { failing } from "../support/postconditions";

// examples/gcp-estate.yaml: a Shared VPC subnetwork (gcp.existingNetwork) and an internal entry point (domain.access).

const FILE = "examples/gcp-estate.yaml";
const estate = synthDeployment(exampleVariant(FILE));
const created = synthDeployment(exampleVariant("examples/gcp.yaml"));
const HOST = "acme-network-host";

describe("an existing Shared VPC network", () => {
  test("the stack creates no network: no VPC network, subnetwork, router or NAT", () => {
    const networkTypes = /^google_compute_(network|subnetwork|router|router_nat)$/;
    expect(resourceTypes(estate.cloud).filter((t) => networkTypes.test(t))).toEqual([]);
    expect(resourceTypes(created.cloud).filter((t) => networkTypes.test(t))).toHaveLength(4);
  });

  test("the network and subnetwork are read from the host project, and the cluster uses them with the named secondary ranges", () => {
    expect(blockNamed(estate.cloud, "google_compute_network", "Network")).toEqual(expect.objectContaining({ name: "shared-vpc", project: HOST }));
    expect(blockNamed(estate.cloud, "google_compute_subnetwork", "Network_Nodes")).toEqual(expect.objectContaining({ name: "catalog-europe-west1", project: HOST, region: "europe-west1" }));
    const cluster = Object.values(blocksOf(estate.cloud, "google_container_cluster"))[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(cluster.network).toBe("${data.google_compute_network.Network_1C6012B5.id}");
    expect(cluster.subnetwork).toBe("${data.google_compute_subnetwork.Network_Nodes_04EB8278.id}");
    expect(cluster.ip_allocation_policy).toEqual(expect.objectContaining({ cluster_secondary_range_name: "catalog-pods", services_secondary_range_name: "catalog-services" }));
  });

  test("the node firewall lives in the host project and its deny-all touches only the nodes, never the customer's other instances", () => {
    const rules = Object.values(blocksOf(estate.cloud, "google_compute_firewall"));
    // Control plane, health checks, deny-all, and Private Service Connect's NAT range (private-service-connect.test.ts).
    expect(rules.length).toBe(4);
    for (const r of rules) expect(r.project).toBe(HOST);
    const deny = rules.find((r) => String(r.name).endsWith("-deny-all-ingress"));
    expect(deny?.target_tags).toEqual(["globex-estate-gke-node"]);
    // In the deployment's own network it covers the whole network, as before.
    const ownDeny = Object.values(blocksOf(created.cloud, "google_compute_firewall")).find((r) => String(r.name).endsWith("-deny-all-ingress"));
    expect(ownDeny?.target_tags).toBeUndefined();
    expect(ownDeny?.project).toBeUndefined();
  });

  test("the subnetwork's postconditions, evaluated by terraform: primary range, Private Google Access, both secondary ranges by name and range", () => {
    const subnet = blockNamed(estate.cloud, "google_compute_subnetwork", "Network_Nodes");
    const good = {
      ip_cidr_range: "10.60.0.0/20",
      private_ip_google_access: true,
      secondary_ip_range: [
        { range_name: "catalog-pods", ip_cidr_range: "10.64.0.0/14" },
        { range_name: "catalog-services", ip_cidr_range: "172.22.0.0/20" },
        { range_name: "other", ip_cidr_range: "10.70.0.0/20" },
      ],
    };
    expect(failing(subnet, good)).toEqual([]);
    expect(failing(subnet, { ...good, ip_cidr_range: "10.60.0.0/21" })).toEqual([expect.stringContaining("its primary range is not network.cidr")]);
    expect(failing(subnet, { ...good, private_ip_google_access: false })).toEqual([expect.stringContaining("Private Google Access is off")]);
    // A missing range, and a range of the right name but another size: both refused.
    expect(failing(subnet, { ...good, secondary_ip_range: [good.secondary_ip_range[1]] })).toEqual([expect.stringContaining("gcp.existingNetwork.podsRangeName: the subnetwork has no secondary range catalog-pods of 10.64.0.0/14")]);
    expect(failing(subnet, { ...good, secondary_ip_range: [good.secondary_ip_range[0], { range_name: "catalog-services", ip_cidr_range: "172.22.0.0/22" }] })).toEqual([
      expect.stringContaining("gcp.existingNetwork.servicesRangeName"),
    ]);
  });
});

describe("an internal entry point", () => {
  test("the Service asks GKE for an internal passthrough load balancer (networking.gke.io/load-balancer-type: Internal)", () => {
    expect(entryPointAnnotations(estate.platform)).toEqual(expect.objectContaining(GKE_LOAD_BALANCER_ANNOTATIONS.value.internal));
    expect(entryPointAnnotations(estate.platform)["cloud.google.com/l4-rbs"]).toBeUndefined();
  });

  test("the default stays the external backend-service load balancer", () => {
    expect(entryPointAnnotations(created.platform)).toEqual({ "cloud.google.com/l4-rbs": "enabled" });
  });
});

test("examples/gcp-estate.yaml synthesizes through main.ts under the policy", () => {
  const run = deploymentRuns().find((r) => r.key === "examples-gcp-estate");
  expect(run).toEqual(expect.objectContaining({ code: 0 }));
  expect(run?.stdout).toMatch(/policy ok: .* 0 failed/);
});
