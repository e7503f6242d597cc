import { Testing } from "cdktf";
import { Network } from "../../constructs/aws/network";
import { at, blocks, ref, synthAws, type Block, type TfJson } from "../support/helpers";
import { EPHEMERAL_PORT_FACTS } from "../../constructs/aws/eks-facts";

let json: TfJson;
beforeAll(() => {
  json = synthAws().json;
});

const subnetsOf = (j: TfJson, tier: "private" | "public") =>
  Object.values(blocks(j, "aws_subnet")).filter((s) => (s.tags as Record<string, string>).tier === tier);

describe("subnets", () => {
  test("three private subnets carved from the first three quarters, three public /prefix+6 from the last quarter", () => {
    expect(subnetsOf(json, "private").map((s) => s.cidr_block)).toEqual(["10.40.0.0/18", "10.40.64.0/18", "10.40.128.0/18"]);
    expect(subnetsOf(json, "public").map((s) => s.cidr_block)).toEqual(["10.40.192.0/22", "10.40.196.0/22", "10.40.200.0/22"]);
  });

  test("the same carving for a /20 network", () => {
    const small = synthAws({ network: { cidr: "10.50.16.0/20" } }).json;
    expect(subnetsOf(small, "private").map((s) => s.cidr_block)).toEqual(["10.50.16.0/22", "10.50.20.0/22", "10.50.24.0/22"]);
    expect(subnetsOf(small, "public").map((s) => s.cidr_block)).toEqual(["10.50.28.0/26", "10.50.28.64/26", "10.50.28.128/26"]);
  });

  test("no subnet maps public IPs on launch", () => {
    const all = Object.values(blocks(json, "aws_subnet"));
    expect(all).toHaveLength(6);
    for (const s of all) expect(s.map_public_ip_on_launch).toBe(false);
  });

  test("subnets take three zones pinned at the first apply, never the live list (and never element(), which wraps)", () => {
    const zones = at(json, "aws_availability_zones", "Network/Zones", "data");
    expect(zones).toMatchObject({ state: "available", filter: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] });
    const pin = at(json, "terraform_data", "Network/PinnedZones/Resource");
    const names = ref("aws_availability_zones", zones, "names", "data").slice(2, -1);
    expect(pin.input).toEqual({ names: `\${slice(${names}, 0, min(3, length(${names})))}` });
    expect(pin.lifecycle).toMatchObject({ ignore_changes: ["input"], postcondition: [expect.objectContaining({ condition: "${(length(self.output.names) == 3)}" })] });
    for (const tier of ["private", "public"] as const) {
      const got = subnetsOf(json, tier).map((s) => s.availability_zone);
      expect(got).toEqual([0, 1, 2].map((i) => `\${terraform_data.${pin.logicalId}.output.names.${i}}`));
      for (const s of subnetsOf(json, tier)) expect(s.lifecycle).toEqual({ ignore_changes: ["availability_zone"] });
    }
    expect(JSON.stringify(blocks(json, "aws_subnet"))).not.toContain("element(");
  });

  test("subnets are tagged for EKS load balancers: internal-elb on private, elb on public", () => {
    for (const s of subnetsOf(json, "private")) expect(s.tags).toMatchObject({ "kubernetes.io/role/internal-elb": "1" });
    for (const s of subnetsOf(json, "public")) expect(s.tags).toMatchObject({ "kubernetes.io/role/elb": "1" });
  });

  test("refuses a VPC range outside /16../20", () => {
    expect(() => Testing.synthScope((s) => new Network(s, "N", { name: "t", cidr: "10.0.0.0/8", region: "eu-west-1", adminCidrs: [] }))).toThrow(/\/16 to \/20/);
  });
});

describe("NAT and routes", () => {
  const natRoutes = (j: TfJson) =>
    Object.values(blocks(j, "aws_route"))
      .filter((r) => r.nat_gateway_id !== undefined)
      .map((r) => r.nat_gateway_id);

  test("one NAT gateway per zone, in the public subnets, each zone's private traffic through its own", () => {
    const nats = blocks(json, "aws_nat_gateway");
    expect(Object.keys(nats)).toHaveLength(3);
    const publicIds = ["PublicA", "PublicB", "PublicC"].map((z) => ref("aws_subnet", at(json, "aws_subnet", `Network/${z}`), "id"));
    expect(Object.values(nats).map((n) => n.subnet_id)).toEqual(publicIds);
    expect(new Set(natRoutes(json)).size).toBe(3);
  });

  test("singleNatGateway: one NAT gateway serves all three private route tables", () => {
    const single = synthAws({ network: { singleNatGateway: true } }).json;
    expect(Object.keys(blocks(single, "aws_nat_gateway"))).toHaveLength(1);
    const routes = natRoutes(single);
    expect(routes).toHaveLength(3);
    expect(new Set(routes).size).toBe(1);
  });

  test("only the public route table routes to the internet gateway", () => {
    const igwRoutes = Object.values(blocks(json, "aws_route")).filter((r) => r.gateway_id !== undefined);
    expect(igwRoutes).toHaveLength(1);
    expect(igwRoutes[0].route_table_id).toBe(ref("aws_route_table", at(json, "aws_route_table", "Network/PublicRouteTable"), "id"));
  });
});

test("the default security group has no rules", () => {
  expect(Object.values(blocks(json, "aws_default_security_group"))).toEqual([expect.objectContaining({ ingress: [], egress: [] })]);
});

test("VPC flow logs of all traffic go to a CloudWatch log group with a retention, through a confined role", () => {
  const group = at(json, "aws_cloudwatch_log_group", "FlowLogs/LogGroup");
  expect(group.retention_in_days).toBe(365);
  // Destroying the group deletes the flow logs in it: protected unless the deployment allows destroy.
  expect(group.lifecycle).toEqual({ prevent_destroy: true });
  const lifted = synthAws({ dataProtection: { allowDestroy: true } }).json;
  expect(at(lifted, "aws_cloudwatch_log_group", "FlowLogs/LogGroup").lifecycle).toEqual({ prevent_destroy: false });
  expect(at(json, "aws_flow_log", "FlowLogs/Resource")).toMatchObject({
    traffic_type: "ALL",
    log_destination_type: "cloud-watch-logs",
    log_destination: ref("aws_cloudwatch_log_group", group, "arn"),
    vpc_id: ref("aws_vpc", at(json, "aws_vpc", "Network/Resource"), "id"),
  });
  const permissions = at(json, "aws_iam_policy_document", "FlowLogs/PermissionsPolicy", "data");
  expect(permissions.statement).toEqual([
    expect.objectContaining({ effect: "Allow", resources: [ref("aws_cloudwatch_log_group", group, "arn"), `${ref("aws_cloudwatch_log_group", group, "arn")}:*`] }),
  ]);
  const trust = at(json, "aws_iam_policy_document", "FlowLogs/TrustPolicy", "data");
  expect(trust.statement).toEqual([
    expect.objectContaining({
      principals: [{ type: "Service", identifiers: ["vpc-flow-logs.amazonaws.com"] }],
      condition: [expect.objectContaining({ variable: "aws:SourceAccount" })],
    }),
  ]);
});

describe("network ACLs per tier", () => {
  type Rule = { cidr_block: string; protocol: string; from_port: number; to_port: number; action: string; rule_no: number };
  const ingress = (j: TfJson, tier: string) => (at(j, "aws_network_acl", `Network/${tier}Acl/Resource`) as Block).ingress as Rule[];

  test("each tier has its own ACL on its own subnets", () => {
    const priv = at(json, "aws_network_acl", "Network/PrivateAcl/Resource");
    expect(priv.subnet_ids).toEqual(["A", "B", "C"].map((z) => ref("aws_subnet", at(json, "aws_subnet", `Network/Private${z}`), "id")));
    const pub = at(json, "aws_network_acl", "Network/PublicAcl/Resource");
    expect(pub.subnet_ids).toEqual(["A", "B", "C"].map((z) => ref("aws_subnet", at(json, "aws_subnet", `Network/Public${z}`), "id")));
  });

  test("private tier: from outside the VPC only admins' HTTPS, the entry point's sources on NodePorts, and replies on Linux's ephemeral ports", () => {
    const restricted = synthAws({ domain: { name: "catalog.example.com", allowedSourceCidrs: ["198.51.100.0/24"] } }).json;
    const rules = ingress(restricted, "Private").filter((r) => r.cidr_block !== "10.40.0.0/16");
    const { nodePorts, linuxRange } = { nodePorts: EPHEMERAL_PORT_FACTS.nodePorts.value, linuxRange: EPHEMERAL_PORT_FACTS.linuxRange.value };
    expect(rules).toEqual([
      expect.objectContaining({ cidr_block: "203.0.113.0/24", protocol: "6", from_port: 443, to_port: 443, action: "allow" }),
      expect.objectContaining({ cidr_block: "198.51.100.0/24", protocol: "6", from_port: nodePorts.from, to_port: nodePorts.to, action: "allow" }),
      expect.objectContaining({ cidr_block: "0.0.0.0/0", protocol: "6", from_port: linuxRange.from, to_port: 65535, action: "allow" }),
    ]);
    // Nothing from outside the VPC reaches a port below the ephemeral range except those: not the kubelet, not a webhook.
    const open = (port: number, from: string) =>
      rules.some((r) => r.cidr_block === from && (r.protocol === "-1" || (r.from_port <= port && port <= r.to_port)));
    for (const port of [10250, 8443, 9443, 9200, 5432, 22]) expect(open(port, "0.0.0.0/0")).toBe(false);
    expect(open(30443, "0.0.0.0/0")).toBe(false);
    // Replies to the nodes' own connections (through NAT) come back to ports the kernel hands out.
    expect(open(linuxRange.from, "0.0.0.0/0") && open(linuxRange.to, "0.0.0.0/0")).toBe(true);
  });

  test("public tier admits HTTPS/HTTP only from the entry point's allowed sources", () => {
    const restricted = synthAws({ domain: { name: "catalog.example.com", allowedSourceCidrs: ["198.51.100.0/24"] } }).json;
    const web = ingress(restricted, "Public").filter((r) => r.to_port <= 443 && r.cidr_block !== "10.40.0.0/16");
    expect(web.map((r) => [r.cidr_block, r.from_port])).toEqual([["198.51.100.0/24", 443], ["198.51.100.0/24", 80]]);
    // By default the user-facing entry point is open to everyone.
    expect(ingress(json, "Public").filter((r) => r.from_port === 443).map((r) => r.cidr_block)).toEqual(["0.0.0.0/0"]);
  });

  test("rule numbers are unique and ascending", () => {
    const numbers = ingress(json, "Private").map((r) => r.rule_no);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(numbers).size).toBe(numbers.length);
  });
});

describe("VPC endpoints", () => {
  test("S3 gateway endpoint on the three private route tables", () => {
    const s3 = at(json, "aws_vpc_endpoint", "Endpoints/S3");
    expect(s3).toMatchObject({ service_name: "com.amazonaws.eu-west-1.s3", vpc_endpoint_type: "Gateway" });
    expect(s3.route_table_ids).toEqual(["A", "B", "C"].map((z) => ref("aws_route_table", at(json, "aws_route_table", `Network/PrivateRouteTable${z}`), "id")));
  });

  test("interface endpoints for ECR api/dkr, STS, EC2, logs, KMS and S3, private DNS, in private subnets", () => {
    const sg = ref("aws_security_group", at(json, "aws_security_group", "Endpoints/SecurityGroup"), "id");
    const iface = Object.values(blocks(json, "aws_vpc_endpoint")).filter((e) => e.vpc_endpoint_type === "Interface");
    expect(iface.map((e) => e.service_name).sort()).toEqual(["ec2", "ecr.api", "ecr.dkr", "kms", "logs", "s3", "sts"].map((s) => `com.amazonaws.eu-west-1.${s}`));
    const privateIds = ["A", "B", "C"].map((z) => ref("aws_subnet", at(json, "aws_subnet", `Network/Private${z}`), "id"));
    for (const e of iface) expect(e).toMatchObject({ private_dns_enabled: true, subnet_ids: privateIds, security_group_ids: [sg] });
  });

  test("S3's interface endpoint answers in the VPC too (private DNS for all resolvers): pods reach S3 at private-subnet addresses", () => {
    const iface = Object.values(blocks(json, "aws_vpc_endpoint")).find((e) => e.vpc_endpoint_type === "Interface" && e.service_name === "com.amazonaws.eu-west-1.s3");
    expect(iface).toMatchObject({ private_dns_enabled: true, dns_options: { private_dns_only_for_inbound_resolver_endpoint: false } });
  });

  test("the endpoints' security group admits HTTPS from the VPC only", () => {
    const sg = ref("aws_security_group", at(json, "aws_security_group", "Endpoints/SecurityGroup"), "id");
    const rules = Object.values(blocks(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === sg);
    expect(rules).toEqual([expect.objectContaining({ ip_protocol: "tcp", from_port: 443, to_port: 443, cidr_ipv4: "10.40.0.0/16" })]);
  });
});

test("warns when a tier's ACL exceeds AWS's default rule quota", () => {
  // The VPC, 19 admin ranges, the entry point's one range on NodePorts and the ephemeral replies: 22.
  const many = Array.from({ length: 19 }, (_, i) => `198.51.${i}.0/24`);
  const stack = synthAws({ controlPlane: { adminCidrs: many } }).stack;
  const acl = stack.node.findChild("Network").node.findChild("PrivateAcl");
  const warnings = acl.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
  expect(warnings).toEqual([expect.stringContaining("22 ingress rules exceed AWS's default quota of 20")]);
  expect(synthAws().stack.node.findChild("Network").node.findChild("PrivateAcl").node.metadata).toEqual([]);
});
