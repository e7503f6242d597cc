import { LOAD_BALANCER_HOSTNAME_IN_SERVICE_STATUS, NLB_ALIAS_ZONE } from "../../constructs/aws/load-balancer-facts";
import { synthesizedStacks } from "../support/deployments";
import { blocksOf, exampleVariant, synthDeployment, type StackJson } from "../support/estate";
import { OfflineStack, offlinePlanUnavailable } from "../support/offline-plan";

// A Route 53 record for an entry point without the cloud stack's Elastic IPs (internal NLB, or an existing
// network): an alias A record to the NLB, in the platform stack, from the entry point Service's status.

const KEY = "examples-aws-estate";
const stacks = () => synthesizedStacks(KEY) as Record<string, StackJson>;
const platform = () => stacks()["acme-estate-platform"];
const cloud = () => stacks()["acme-estate-aws"];

/** The entry point's LoadBalancer Service's logical id in a platform stack. */
function entryPointServiceId(json: StackJson): string {
  const ids = Object.entries(blocksOf(json, "kubernetes_service_v1")).filter(([, s]) => (s.spec as Record<string, unknown>).type === "LoadBalancer").map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0];
}

/**
 * The NLBs' canonical hosted zone in eu-west-1, from AWS's table (https://docs.aws.amazon.com/general/latest/gr/elb.html,
 * "Network Load Balancers" column; the Application Load Balancers' zone there is Z32O12XQLNTSW2).
 */
const EU_WEST_1_NLB_ZONE = "Z2IFOLAFXWLO4F";

describe("internal entry point in an existing network (examples/aws-estate.yaml)", () => {
  test("the platform stack has one alias A record: domain.name in the zone, to the NLB name the Service's status reports", () => {
    const json = platform();
    const records = Object.values(blocksOf(json, "aws_route53_record"));
    expect(records).toHaveLength(1);
    const zones = Object.entries(blocksOf(json, "aws_lb_hosted_zone_id", "data"));
    expect(zones.map(([, z]) => z)).toEqual([expect.objectContaining({ region: "eu-west-1", load_balancer_type: NLB_ALIAS_ZONE.value.loadBalancerType })]);
    expect(records[0]).toEqual(
      expect.objectContaining({
        zone_id: "Z0123456789ABCDEFGHIJ",
        name: "catalog.acme.example.com",
        type: "A",
        alias: {
          name: `\${kubernetes_service_v1.${entryPointServiceId(json)}.${LOAD_BALANCER_HOSTNAME_IN_SERVICE_STATUS.value.attribute}}`,
          zone_id: `\${data.aws_lb_hosted_zone_id.${zones[0][0]}.id}`,
          evaluate_target_health: true,
        },
      }),
    );
    expect(records[0]).not.toHaveProperty("records");
    expect(records[0]).not.toHaveProperty("ttl");
  });

  test("the platform stack's aws provider is pinned to the account and tagged like the cloud stack's", () => {
    const providers = (json: StackJson) => (json.provider as Record<string, Record<string, unknown>[]>).aws;
    const [p] = providers(platform());
    const [c] = providers(cloud());
    expect(p).toEqual(expect.objectContaining({ region: "eu-west-1", allowed_account_ids: ["123456789012"], default_tags: c.default_tags }));
  });

  test("the cloud stack reserves no Elastic IP and writes no record", () => {
    expect(blocksOf(cloud(), "aws_eip")).toEqual({});
    expect(blocksOf(cloud(), "aws_route53_record")).toEqual({});
  });
});

test("an internal entry point in a created network gets the alias record too, and no Elastic IP", () => {
  const { cloud: c, platform: p } = synthDeployment(exampleVariant("examples/aws-estate.yaml", (r) => delete (r.aws as Record<string, unknown>).existingNetwork));
  expect(Object.keys(blocksOf(c, "aws_eip")).filter((id) => id.startsWith("EntryPointAddress"))).toEqual([]);
  expect(blocksOf(c, "aws_route53_record")).toEqual({});
  expect(Object.values(blocksOf(p, "aws_route53_record"))).toEqual([expect.objectContaining({ name: "catalog.acme.example.com", alias: expect.objectContaining({ evaluate_target_health: true }) })]);
});

test("a public entry point in a created network keeps the Elastic IPs and the cloud stack's A record; the platform stack has no aws provider", () => {
  const keys = synthesizedStacks("examples-aws-estate-keys") as Record<string, StackJson>;
  const c = keys["acme-keys-aws"];
  const p = keys["acme-keys-platform"];
  expect(Object.keys(blocksOf(c, "aws_route53_record"))).toHaveLength(1);
  expect(blocksOf(p, "aws_route53_record")).toEqual({});
  expect((p.provider as Record<string, unknown>).aws).toBeUndefined();
});

describe("the real hashicorp/aws 5.100.0 plans the platform stack's record (offline)", () => {
  const unavailable = offlinePlanUnavailable();
  const NLB_NAME = "internal-a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6-0123456789abcdef.elb.eu-west-1.amazonaws.com";
  let stack: OfflineStack;
  beforeAll(() => {
    if (unavailable) throw new Error(`the offline plan cannot run: ${unavailable}`);
    // The aws part of the synthesized platform stack, with the Service's status (kubernetes provider, not mirrored
    // here) replaced by the NLB name the controller writes into it.
    const json = JSON.parse(JSON.stringify(platform())) as StackJson & { terraform: { required_providers: Record<string, unknown> } };
    const serviceRef = `kubernetes_service_v1.${entryPointServiceId(json)}.${LOAD_BALANCER_HOSTNAME_IN_SERVICE_STATUS.value.attribute}`;
    const awsOnly = {
      terraform: { required_providers: { aws: json.terraform.required_providers.aws } },
      provider: { aws: (json.provider as Record<string, unknown>).aws },
      data: { aws_lb_hosted_zone_id: json.data!.aws_lb_hosted_zone_id },
      resource: { aws_route53_record: json.resource!.aws_route53_record },
      locals: { nlb_hostname: NLB_NAME },
    };
    stack = new OfflineStack(JSON.parse(JSON.stringify(awsOnly).split(serviceRef).join("local.nlb_hostname")) as Record<string, unknown>, {});
  }, 120_000);
  afterAll(() => stack?.dispose());

  test("one record created, aliasing the NLB's name in the NLBs' canonical zone of the region", () => {
    const changes = (stack.plan().resource_changes ?? []).filter((c) => c.mode === "managed");
    expect(changes.map((c) => ({ type: c.type, actions: c.change.actions }))).toEqual([{ type: "aws_route53_record", actions: ["create"] }]);
    expect(changes[0].change.after).toEqual(
      expect.objectContaining({ name: "catalog.acme.example.com", type: "A", zone_id: "Z0123456789ABCDEFGHIJ", alias: [{ name: NLB_NAME, zone_id: EU_WEST_1_NLB_ZONE, evaluate_target_health: true }] }),
    );
  }, 120_000);
});
