import { Testing } from "cdktf";
import { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import { ComputeSubnetwork } from "@cdktf/provider-google/lib/compute-subnetwork";
import { ComputeRouterNat } from "@cdktf/provider-google/lib/compute-router-nat";
import { ComputeRouter } from "@cdktf/provider-google/lib/compute-router";
import { Network } from "../../constructs/gcp/network";
import { NodeFirewall } from "../../constructs/gcp/node-firewall";
import { resourcesOf, synthJson } from "../support/helpers";
import { nonEmpty } from "../support/non-empty";

const networkProps = { namePrefix: "acme", region: "europe-west1", nodeCidr: "10.60.0.0/20", podCidr: "10.64.0.0/14", serviceCidr: "172.22.0.0/20" };
const firewallProps = { namePrefix: "acme", network: "vpc-id", nodeTag: "acme-gke-node", controlPlaneCidr: "172.16.0.0/28" };

describe("Network", () => {
  const out = Testing.synthScope((s) => { new Network(s, "Network", networkProps); });

  test("the VPC is custom-mode: no automatic subnet in every region", () => {
    expect(out).toHaveResourceWithProperties(ComputeNetwork, { auto_create_subnetworks: false, routing_mode: "REGIONAL" });
  });

  test("the subnet has secondary ranges for pods and services, Private Google Access and flow logs", () => {
    expect(out).toHaveResourceWithProperties(ComputeSubnetwork, {
      region: "europe-west1",
      ip_cidr_range: "10.60.0.0/20",
      private_ip_google_access: true,
      secondary_ip_range: [
        { range_name: "pods", ip_cidr_range: "10.64.0.0/14" },
        { range_name: "services", ip_cidr_range: "172.22.0.0/20" },
      ],
      log_config: expect.objectContaining({ aggregation_interval: "INTERVAL_5_SEC", flow_sampling: 0.5, metadata: "INCLUDE_ALL_METADATA" }),
    });
  });

  test("private nodes egress through Cloud NAT behind a Cloud Router, with NAT logging on", () => {
    expect(out).toHaveResourceWithProperties(ComputeRouter, { region: "europe-west1" });
    expect(out).toHaveResourceWithProperties(ComputeRouterNat, {
      nat_ip_allocate_option: "AUTO_ONLY",
      source_subnetwork_ip_ranges_to_nat: "LIST_OF_SUBNETWORKS",
      log_config: { enable: true, filter: "ALL" },
    });
  });

  test("a flow-log sampling outside (0, 1] is refused", () => {
    expect(() => Testing.synthScope((s) => { new Network(s, "N", { ...networkProps, flowLogSampling: 0 }); })).toThrow(/flowLogSampling/);
  });
});

describe("NodeFirewall", () => {
  const json = synthJson((s) => { new NodeFirewall(s, "Fw", firewallProps); });
  const rules = resourcesOf(json, "google_compute_firewall");
  const byName = (suffix: string) => rules.find((r) => String(r.name).endsWith(suffix)) as Record<string, unknown>;

  test("only the control plane reaches the nodes on 443, 10250 and the webhook ports", () => {
    expect(byName("control-plane-to-nodes")).toMatchObject({
      direction: "INGRESS",
      source_ranges: ["172.16.0.0/28"],
      target_tags: ["acme-gke-node"],
      allow: [{ protocol: "tcp", ports: ["443", "10250", "8443", "9443"] }],
    });
  });

  test("only Google's health-check ranges reach the NodePort range", () => {
    expect(byName("health-checks-to-nodes")).toMatchObject({
      source_ranges: ["35.191.0.0/16", "130.211.0.0/22"],
      target_tags: ["acme-gke-node"],
      allow: [{ protocol: "tcp", ports: ["30000-32767", "10256"] }],
    });
  });

  test("every other ingress is denied by an explicit rule at the lowest user priority", () => {
    expect(byName("deny-all-ingress")).toMatchObject({ priority: 65534, source_ranges: ["0.0.0.0/0"], deny: [{ protocol: "all" }] });
    expect(byName("deny-all-ingress").allow).toBeUndefined();
  });

  test("every rule logs the connections it matches", () => {
    expect(rules).toHaveLength(3);
    for (const r of rules) expect(r.log_config).toEqual({ metadata: "INCLUDE_ALL_METADATA" });
  });

  test("no allow rule admits 0.0.0.0/0", () => {
    for (const r of nonEmpty(rules.filter((r) => r.allow), "allowing firewall rule")) expect(r.source_ranges).not.toContain("0.0.0.0/0");
  });

  test("the control-plane range must be a /28", () => {
    expect(() => Testing.synthScope((s) => { new NodeFirewall(s, "Fw", { ...firewallProps, controlPlaneCidr: "0.0.0.0/0" }); })).toThrow(/must be an IPv4 \/28/);
  });

});
