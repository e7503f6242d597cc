import { Testing } from "cdktf";
import { buildDeployment } from "../../stacks/deployment";
import { LOAD_BALANCER_SCHEME_ANNOTATIONS, LOAD_BALANCER_SUBNET_TAGS } from "../../constructs/aws/load-balancer-facts";
import { deploymentRuns, synthesizedStacks } from "../support/deployments";
import { blockNamed, blocksOf, entryPointAnnotations, exampleVariant, resourceTypes, synthDeployment } from "../support/estate";
import { failing } from "../support/postconditions";
import { nonEmpty } from "../support/non-empty";

// examples/aws-estate.yaml: an existing VPC (aws.existingNetwork) and an internal entry point (domain.access).

const FILE = "examples/aws-estate.yaml";
const estate = synthDeployment(exampleVariant(FILE));
const created = synthDeployment(exampleVariant("examples/aws.yaml"));
const SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"];

describe("an existing VPC", () => {
  test("the stack creates no network: no VPC, subnet, route, NAT, internet gateway, network ACL or VPC endpoint", () => {
    const networkTypes = /^aws_(vpc|subnet|route|route_table|route_table_association|nat_gateway|eip|internet_gateway|network_acl.*|vpc_endpoint|default_security_group)$/;
    expect(resourceTypes(estate.cloud).filter((t) => networkTypes.test(t))).toEqual([]);
    // The same filter finds them in the created-network example (the test can fail).
    expect(resourceTypes(created.cloud).filter((t) => networkTypes.test(t)).length).toBeGreaterThan(5);
  });

  test("the cluster and every node group use exactly the configured private subnets, through the checked data sources", () => {
    // By reference: nothing is placed in a subnet before its postconditions held.
    const reads = Object.entries(blocksOf(estate.cloud, "aws_subnet", "data")).filter(([id]) => id.includes("PrivateSubnet"));
    expect(reads.map(([, b]) => b.id)).toEqual(SUBNETS);
    const refs = reads.map(([id]) => `\${data.aws_subnet.${id}.id}`);
    const cluster = Object.values(blocksOf(estate.cloud, "aws_eks_cluster"))[0];
    expect((cluster.vpc_config as { subnet_ids: string[] }).subnet_ids).toEqual(refs);
    for (const group of nonEmpty(Object.values(blocksOf(estate.cloud, "aws_eks_node_group")), "node group")) expect(group.subnet_ids).toEqual(refs);
    const groups = Object.values(blocksOf(estate.cloud, "aws_security_group"));
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) expect(g.vpc_id).toBe("${data.aws_vpc.Network_Vpc_FAC8F4A5.id}");
  });

  test("flow logs of ALL traffic still cover the VPC (the network-logging promise holds on a VPC the customer owns)", () => {
    const logs = Object.values(blocksOf(estate.cloud, "aws_flow_log"));
    expect(logs).toEqual([expect.objectContaining({ vpc_id: "${data.aws_vpc.Network_Vpc_FAC8F4A5.id}", traffic_type: "ALL" })]);
  });

  test("the VPC's postconditions, evaluated by terraform: the stated range and DNS pass, anything else fails with the field", () => {
    const vpc = blockNamed(estate.cloud, "aws_vpc", "Network_Vpc");
    const good = { cidr_block: "10.60.0.0/16", enable_dns_support: true, enable_dns_hostnames: true };
    expect(failing(vpc, good)).toEqual([]);
    expect(failing(vpc, { ...good, cidr_block: "10.61.0.0/16" })).toEqual([expect.stringMatching(/^aws\.existingNetwork\.vpcId .*network\.cidr \(10\.60\.0\.0\/16\)/)]);
    expect(failing(vpc, { ...good, enable_dns_hostnames: false })).toEqual([expect.stringContaining("DNS hostnames")]);
  });

  test("each subnet's postconditions, evaluated by terraform: VPC, range, zone, no public IPs, and the internal-elb tag", () => {
    const subnet = blockNamed(estate.cloud, "aws_subnet", "PrivateSubnet1");
    const tag = LOAD_BALANCER_SUBNET_TAGS.value.internal;
    const good = { vpc_id: "vpc-0a1b2c3d4e5f60718", cidr_block: "10.60.32.0/19", availability_zone: "eu-west-1b", map_public_ip_on_launch: false, tags: { [tag]: "1", Name: "x" } };
    expect(failing(subnet, good)).toEqual([]);
    expect(failing(subnet, { ...good, vpc_id: "vpc-0ffffffffffffffff" })).toEqual([expect.stringContaining("privateSubnets[1] subnet-0a1b2c3d4e5f60002 is not in VPC")]);
    expect(failing(subnet, { ...good, cidr_block: "10.60.0.0/19" })).toEqual([expect.stringContaining("privateSubnets[1].cidr")]);
    expect(failing(subnet, { ...good, availability_zone: "eu-west-1a" })).toEqual([expect.stringContaining("privateSubnets[1].zone")]);
    expect(failing(subnet, { ...good, map_public_ip_on_launch: true })).toEqual([expect.stringContaining("public IPs on launch")]);
    expect(failing(subnet, { ...good, tags: { Name: "x" } })).toEqual([expect.stringContaining(`lacks the tag ${tag}=1`)]);
  });

  test("with a public entry point, the VPC must have subnets tagged for Internet-facing load balancers (terraform-evaluated)", () => {
    const pub = synthDeployment(
      exampleVariant(FILE, (raw) => {
        const domain = raw.domain as Record<string, unknown>;
        domain.access = "public";
        delete domain.privateLink;
        delete ((raw.aws as Record<string, unknown>).existingNetwork as Record<string, unknown>).loadBalancerSubnets;
      }),
    );
    const check = blockNamed(pub.cloud, "aws_subnets", "PublicSubnets");
    expect(check.filter).toEqual(expect.arrayContaining([{ name: `tag:${LOAD_BALANCER_SUBNET_TAGS.value.public}`, values: ["1"] }]));
    expect(failing(check, { ids: ["subnet-0a1b2c3d4e5f60009"] })).toEqual([]);
    expect(failing(check, { ids: [] })).toEqual([expect.stringContaining("has no subnet tagged kubernetes.io/role/elb=1")]);
    // Internal: no public subnets needed.
    expect(blocksOf(estate.cloud, "aws_subnets", "data")).toEqual({});
  });

  test("the VPC must already have an interface endpoint with private DNS per AWS API the pods call (terraform-evaluated)", () => {
    const reads = Object.values(blocksOf(estate.cloud, "aws_vpc_endpoint", "data"));
    expect(reads.map((r) => r.service_name).sort()).toEqual(
      ["ec2", "ecr.api", "ecr.dkr", "kms", "logs", "s3", "sts"].map((s) => `com.amazonaws.eu-west-1.${s}`),
    );
    const kms = reads.find((r) => r.service_name === "com.amazonaws.eu-west-1.kms")!;
    expect(failing(kms, { private_dns_enabled: true })).toEqual([]);
    expect(failing(kms, { private_dns_enabled: false })).toEqual([expect.stringContaining("the interface endpoint for com.amazonaws.eu-west-1.kms has private DNS off")]);
    // The created network makes its own endpoints and reads none.
    expect(blocksOf(created.cloud, "aws_vpc_endpoint", "data")).toEqual({});
  });

  test("pods reach AWS APIs at the stated endpoint ranges, and the Kubernetes API at the cluster's subnets", () => {
    const egress = buildDeployment(Testing.app(), exampleVariant(FILE)).cloud.foundation.egress;
    expect(egress.cloudKms.cidrs).toEqual(["10.60.96.0/24"]);
    expect(egress.workloadIdentity.cidrs).toEqual(["10.60.96.0/24"]);
    // The kubernetes Service's ClusterIP, then the ENIs in the cluster's subnets.
    expect(egress.kubernetesApi.cidrs).toEqual(["172.20.0.1/32", "10.60.0.0/19", "10.60.32.0/19", "10.60.64.0/19"]);
  });

  test("the zones the platform spreads over are the configured subnets' zones, literal and distinct", () => {
    const stacks = buildDeployment(Testing.app(), exampleVariant(FILE));
    expect(stacks.cloud.foundation.zones).toEqual(["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
  });
});

describe("an internal entry point", () => {
  test("the Service asks the controller for an internal NLB (cloud-provider-aws reads aws-load-balancer-internal)", () => {
    const annotations = entryPointAnnotations(estate.platform);
    expect(annotations).toEqual(expect.objectContaining(LOAD_BALANCER_SCHEME_ANNOTATIONS.value.internal));
    expect(annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"]).toBe("internal");
    expect(annotations["service.beta.kubernetes.io/aws-load-balancer-type"]).toBe("nlb");
  });

  test("the default stays Internet-facing", () => {
    const annotations = entryPointAnnotations(created.platform);
    expect(annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"]).toBe("internet-facing");
    expect(annotations["service.beta.kubernetes.io/aws-load-balancer-internal"]).toBeUndefined();
  });
});

test("examples/aws-estate.yaml synthesizes through main.ts under the policy, and its stacks are the ones tested here", () => {
  const run = deploymentRuns().find((r) => r.key === "examples-aws-estate");
  expect(run).toEqual(expect.objectContaining({ code: 0 }));
  expect(run?.stdout).toMatch(/policy ok: .* 0 failed/);
  const shipped = synthesizedStacks("examples-aws-estate")["acme-estate-aws"] as { data: Record<string, unknown> };
  expect(Object.keys(shipped.data.aws_subnet as object)).toEqual(Object.keys(blocksOf(estate.cloud, "aws_subnet", "data")));
});
