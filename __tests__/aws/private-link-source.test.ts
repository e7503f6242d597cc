import { Testing } from "cdktf";
import { readConfigFile } from "../../config/load";
import { LOAD_BALANCER_SUBNETS_ANNOTATION, PRIVATELINK_SOURCE_IS_NLB_ADDRESS } from "../../constructs/aws/load-balancer-facts";
import { allowedFlows, catalogEndpoints, networkPoliciesOf } from "../support/network-flows";
import { SERVICES } from "../../platform/service-catalog";
import { buildDeployment } from "../../stacks/deployment";
import { configProblems } from "../support/config-problems";
import { synthesizedStacks } from "../support/deployments";
import { blockNamed, entryPointAnnotations, exampleVariant, type StackJson } from "../support/estate";
import { failing } from "../support/postconditions";
import { nonEmpty } from "../support/non-empty";

// domain.privateLink on AWS: connections through PrivateLink reach the entry point from the NLB's own private address
// (PRIVATELINK_SOURCE_IS_NLB_ADDRESS). The NLB sits in subnets no pod takes an address in (aws-load-balancer-subnets), and
// the entry point's NetworkPolicy admits exactly those ranges. examples/aws-estate.yaml: an existing VPC with
// aws.existingNetwork.loadBalancerSubnets; the created network uses its public subnets.

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const FILE = "examples/aws-estate.yaml";
const raw = (): Raw => readConfigFile(FILE) as Raw;
const variant = (patch: (r: Raw) => void): Raw => {
  const r = raw();
  patch(r);
  return r;
};
const stacks = () => synthesizedStacks("examples-aws-estate") as unknown as Record<string, StackJson>;
const ENTRY = `${SERVICES.entryPoint.namespace}/${SERVICES.entryPoint.name}`;
const HTTPS = `${SERVICES.entryPoint.ports.find((p) => p.name === "https")!.port}/TCP`;
const LB_SUBNETS = raw().aws.existingNetwork.loadBalancerSubnets as { id: string; cidr: string; zone: string }[];

/** Whether an address outside the cluster reaches the entry point's HTTPS port, and which pods do, under these policies. */
function entryPointReach(vault: StackJson, from: string, podPrefix: string): { external: boolean; pods: string[] } {
  const flows = allowedFlows(networkPoliciesOf(vault), catalogEndpoints(SERVICES, { externalIp: from, podCidrIpPrefix: podPrefix }));
  const into = flows.filter((f) => f.to === ENTRY && f.port === HTTPS);
  return { external: into.some((f) => f.from === "external"), pods: into.map((f) => f.from).filter((f) => f !== "external") };
}

describe("an existing VPC (examples/aws-estate.yaml as main.ts synthesized it)", () => {
  test("the fact the fix rests on is AWS's: PrivateLink traffic comes from the NLB's own address", () => {
    expect(PRIVATELINK_SOURCE_IS_NLB_ADDRESS.source).toContain("always the private IP address of the Network Load Balancer");
    expect(raw().domain.privateLink).toBeDefined();
  });

  test("an address in each load-balancer subnet reaches the entry point's HTTPS port; an address of a private (pod) subnet does not", () => {
    const vault = stacks()["acme-estate-vault"];
    // Pods take addresses of the private subnets (the VPC CNI): 10.60.0.0/19 here.
    for (const s of LB_SUBNETS) {
      const [a, b, c, d] = s.cidr.split("/")[0].split(".").map(Number);
      expect(entryPointReach(vault, `${a}.${b}.${c}.${d + 9}`, "10.60.0.").external).toBe(true);
    }
    for (const nodeAddress of ["10.60.0.9", "10.60.33.7", "10.60.64.200"]) expect(entryPointReach(vault, nodeAddress, "10.60.0.").external).toBe(false);
    // The endpoints' subnet is no load-balancer subnet either.
    expect(entryPointReach(vault, "10.60.96.10", "10.60.0.").external).toBe(false);
    // Users outside the VPC, inside allowedSourceCidrs, as before; outside it, never.
    expect(entryPointReach(vault, "10.1.2.3", "10.60.0.").external).toBe(true);
    expect(entryPointReach(vault, "198.51.100.7", "10.60.0.").external).toBe(false);
  });

  test("pods of other namespaces still do not reach the entry point (none calls it), wherever their addresses are", () => {
    const vault = stacks()["acme-estate-vault"];
    expect(entryPointReach(vault, "10.60.100.9", "10.60.0.").pods.filter((p) => !p.startsWith(`${SERVICES.entryPoint.namespace}/`))).toEqual([]);
    // A pod address in a load-balancer subnet would be admitted: why the subnets must hold no pods (the config says so).
    expect(entryPointReach(vault, "198.51.100.7", "10.60.100.").pods.length).toBeGreaterThan(0);
  });

  test("the Service names exactly the load-balancer subnets, by the annotation cloud-provider-aws reads", () => {
    const annotations = entryPointAnnotations(stacks()["acme-estate-platform"]);
    expect(LOAD_BALANCER_SUBNETS_ANNOTATION.value.name).toBe("service.beta.kubernetes.io/aws-load-balancer-subnets");
    expect(annotations[LOAD_BALANCER_SUBNETS_ANNOTATION.value.name].split(LOAD_BALANCER_SUBNETS_ANNOTATION.value.separator)).toEqual(LB_SUBNETS.map((s) => s.id));
    // Not the annotation the in-tree controller lacks before v1.35.0.
    expect(Object.keys(annotations)).not.toContain("service.beta.kubernetes.io/aws-load-balancer-private-ipv4-addresses");
  });

  test("each load-balancer subnet's postconditions, evaluated by terraform: VPC, range and zone pass, anything else fails with the field", () => {
    const subnet = blockNamed(stacks()["acme-estate-aws"], "aws_subnet", "LoadBalancerSubnet1");
    expect(subnet.id).toBe(LB_SUBNETS[1].id);
    const good = { vpc_id: "vpc-0a1b2c3d4e5f60718", cidr_block: LB_SUBNETS[1].cidr, availability_zone: LB_SUBNETS[1].zone };
    expect(failing(subnet, good)).toEqual([]);
    expect(failing(subnet, { ...good, vpc_id: "vpc-0ffffffffffffffff" })).toEqual([expect.stringContaining("aws.existingNetwork.loadBalancerSubnets[1] subnet-0a1b2c3d4e5f60012 is not in VPC")]);
    expect(failing(subnet, { ...good, cidr_block: "10.60.32.0/19" })).toEqual([expect.stringContaining("aws.existingNetwork.loadBalancerSubnets[1].cidr")]);
    expect(failing(subnet, { ...good, availability_zone: "eu-west-1a" })).toEqual([expect.stringContaining("aws.existingNetwork.loadBalancerSubnets[1].zone")]);
  });
});

describe("a created network", () => {
  const d = exampleVariant(FILE, (r) => delete (r.aws as Record<string, unknown>).existingNetwork);
  const built = buildDeployment(Testing.app(), d);
  const platform = JSON.parse(Testing.synth(built.platform)) as StackJson;
  const vault = JSON.parse(Testing.synth(built.vault)) as StackJson;
  const cloud = JSON.parse(Testing.synth(built.cloud)) as StackJson;

  test("the NLB goes into the public subnets (no node runs there), and the entry point admits their ranges", () => {
    const annotation = entryPointAnnotations(platform)[LOAD_BALANCER_SUBNETS_ANNOTATION.value.name];
    const publics = ["PublicA", "PublicB", "PublicC"].map((z) => blockNamed(cloud, "aws_subnet", `Network_${z}`, "resource"));
    const ids = [...annotation.matchAll(/aws_subnet\.(Network_Public[ABC]_[0-9A-F]+)\.id/g)].map((m) => m[1]);
    expect(ids.map((id) => id.replace(/_[0-9A-F]+$/, ""))).toEqual(["Network_PublicA", "Network_PublicB", "Network_PublicC"]);
    // Nodes run in the private subnets only.
    const privateIds = new Set(["PrivateA", "PrivateB", "PrivateC"].map((z) => Object.keys((cloud.resource as Raw).aws_subnet).find((k) => k.startsWith(`Network_${z}_`))));
    for (const group of nonEmpty(Object.values((cloud.resource as Raw).aws_eks_node_group) as Raw[], "node group")) {
      for (const ref of group.subnet_ids as string[]) expect(privateIds.has(/aws_subnet\.([^.]+)\.id/.exec(ref)?.[1])).toBe(true);
    }
    for (const s of publics) {
      const [a, b, c] = (s.cidr_block as string).split("/")[0].split(".");
      expect(entryPointReach(vault, `${a}.${b}.${c}.9`, "10.60.0.").external).toBe(true);
    }
    expect(entryPointReach(vault, "10.60.0.9", "10.60.0.").external).toBe(false);
    expect(entryPointReach(vault, "10.60.100.9", "10.60.0.").pods.filter((p) => !p.startsWith(`${SERVICES.entryPoint.namespace}/`))).toEqual([]);
  });
});

describe("config", () => {
  test("the example is accepted", () => {
    expect(configProblems(raw())).toEqual([]);
  });

  test("refused: privateLink in an existing VPC without loadBalancerSubnets, naming the field and the zones", () => {
    expect(configProblems(variant((r) => delete r.aws.existingNetwork.loadBalancerSubnets))).toEqual([
      expect.stringMatching(/^aws\.existingNetwork\.loadBalancerSubnets: required with domain\.privateLink: .*eu-west-1a, eu-west-1b, eu-west-1c/),
    ]);
  });

  test("refused: loadBalancerSubnets without privateLink", () => {
    expect(configProblems(variant((r) => delete r.domain.privateLink))).toEqual([expect.stringMatching(/^aws\.existingNetwork\.loadBalancerSubnets: is used only by domain\.privateLink/)]);
  });

  test("refused: a subnet on a private subnet, on the endpoints, outside network.cidr, too small, in a foreign or repeated zone, or a zone left out", () => {
    const lb = (i: number, patch: Raw) => variant((r) => Object.assign(r.aws.existingNetwork.loadBalancerSubnets[i], patch));
    expect(configProblems(lb(0, { cidr: "10.60.0.0/27" }))).toEqual([expect.stringMatching(/^aws\.existingNetwork\.loadBalancerSubnets\[0\]\.cidr: 10\.60\.0\.0\/27 overlaps aws\.existingNetwork\.privateSubnets\[0\]/)]);
    expect(configProblems(lb(0, { cidr: "10.60.96.0/27" }))).toEqual([expect.stringMatching(/^aws\.existingNetwork\.loadBalancerSubnets\[0\]\.cidr: 10\.60\.96\.0\/27 overlaps aws\.existingNetwork\.endpointCidrs\[0\]/)]);
    expect(configProblems(lb(0, { cidr: "10.61.0.0/27" }))).toEqual([expect.stringMatching(/^aws\.existingNetwork\.loadBalancerSubnets\[0\]\.cidr: 10\.61\.0\.0\/27 is not inside network\.cidr/)]);
    expect(configProblems(lb(0, { cidr: "10.60.100.0/28" }))).toEqual([expect.stringMatching(/^aws\.existingNetwork\.loadBalancerSubnets\[0\]\.cidr: a \/28 is too small/)]);
    expect(configProblems(lb(0, { zone: "eu-west-1d" }))).toEqual([
      expect.stringMatching(/^aws\.existingNetwork\.loadBalancerSubnets\[0\]\.zone: eu-west-1d is not a zone of the private subnets/),
      expect.stringMatching(/^aws\.existingNetwork\.loadBalancerSubnets: no subnet in eu-west-1a/),
    ]);
    expect(configProblems(lb(1, { zone: "eu-west-1a" }))).toEqual([
      expect.stringMatching(/^aws\.existingNetwork\.loadBalancerSubnets\[1\]\.zone: a second subnet in eu-west-1a/),
      expect.stringMatching(/^aws\.existingNetwork\.loadBalancerSubnets: no subnet in eu-west-1b/),
    ]);
  });

  test("allowedSourceCidrs must admit the NLB's subnets (the node security group admits loadBalancerSourceRanges), no longer all of network.cidr", () => {
    // Admits the load-balancer subnets but not the whole VPC: accepted now (refused before: 'does not admit network.cidr').
    expect(configProblems(variant((r) => (r.domain.allowedSourceCidrs = ["10.60.100.0/25", "10.1.0.0/16"])))).toEqual([]);
    expect(configProblems(variant((r) => (r.domain.allowedSourceCidrs = ["10.1.0.0/16"])))).toEqual([
      expect.stringMatching(/^domain\.allowedSourceCidrs: does not admit 10\.60\.100\.0\/27, 10\.60\.100\.32\/27, 10\.60\.100\.64\/27 \(aws\.existingNetwork\.loadBalancerSubnets\): .*add 10\.60\.100\.0\/27/),
    ]);
    // A created network: its public subnets (10.60.192.0/22, .196, .200 of 10.60.0.0/16).
    expect(configProblems(variant((r) => ((r.domain.allowedSourceCidrs = ["10.60.0.0/17"]), delete r.aws.existingNetwork)))).toEqual([
      expect.stringMatching(/^domain\.allowedSourceCidrs: does not admit 10\.60\.192\.0\/22, 10\.60\.196\.0\/22, 10\.60\.200\.0\/22 \(the created network's public subnets/),
    ]);
  });
});
