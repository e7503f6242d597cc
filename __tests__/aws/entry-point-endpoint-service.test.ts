import { LOAD_BALANCER_OWNER_TAGS } from "../../constructs/aws/load-balancer-facts";
import { synthesizedStacks } from "../support/deployments";
import { blocksOf, exampleVariant, synthDeployment } from "../support/estate";
import { OfflineStack, offlinePlanUnavailable, type DataValues } from "../support/offline-plan";

// domain.privateLink on AWS: a VPC endpoint service on the entry point's NLB, which the cluster's service
// controller creates after this stack. The real terraform and hashicorp/aws 5.100.0 (offline, ../support/offline-plan.ts)
// decide what a plan does before and after the NLB exists.

const STACK = "acme-estate-aws";
const ACCOUNT = "123456789012";
const NLB = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:loadbalancer/net/a1b2c3/0123456789abcdef`;
const subnet = { id: "subnet-0a1b2c3d4e5f60001", vpc_id: "vpc-0a1b2c3d4e5f60718", cidr_block: "10.60.0.0/19", availability_zone: "eu-west-1a", map_public_ip_on_launch: false };

/** What the stack's data sources read, with the controller's NLBs as found (none before the platform stack). */
function dataValues(nlbs: readonly string[]): DataValues {
  return {
    aws_caller_identity: { account_id: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:role/platform-admins`, id: ACCOUNT, user_id: "AROAOFFLINE" },
    aws_kms_key: { arn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/00000000-0000-4000-8000-0000000000eb`, id: "00000000-0000-4000-8000-0000000000eb" },
    aws_vpc: { id: "vpc-0a1b2c3d4e5f60718", cidr_block: "10.60.0.0/16", enable_dns_support: true, enable_dns_hostnames: true },
    aws_subnet: subnet,
    aws_vpc_endpoint: { id: "vpce-0123456789abcdef0", private_dns_enabled: true },
    aws_lbs: { id: "eu-west-1", arns: [...nlbs] },
    // The internal entry point's zone (examples/aws-estate.yaml), a private hosted zone as its postcondition requires.
    aws_route53_zone: { id: "Z0123456789ABCDEFGHIJ", zone_id: "Z0123456789ABCDEFGHIJ", name: "acme.example.com", private_zone: true },
  };
}

const unavailable = offlinePlanUnavailable();
let stack: OfflineStack;
beforeAll(() => {
  if (unavailable) throw new Error(`the offline plan cannot run: ${unavailable}`);
  stack = new OfflineStack(synthesizedStacks("examples-aws-estate")[STACK], dataValues([]));
}, 120_000);
afterAll(() => stack?.dispose());

/** The planned endpoint services: address and attributes. */
function plannedEndpointServices(nlbs: readonly string[]) {
  stack.writeConfig(synthesizedStacks("examples-aws-estate")[STACK], dataValues(nlbs));
  return (stack.plan().resource_changes ?? []).filter((c) => c.type === "aws_vpc_endpoint_service").map((c) => ({ address: c.address, actions: c.change.actions, after: c.change.after }));
}

test("before the platform stack made the NLB, a plan creates no endpoint service and does not fail", () => {
  expect(plannedEndpointServices([])).toEqual([]);
}, 120_000);

test("once the NLB exists, a plan creates one endpoint service on it: acceptance required, only the allowed principals", () => {
  expect(plannedEndpointServices([NLB])).toEqual([
    {
      address: 'aws_vpc_endpoint_service.EntryPointEndpointService_A1FD40CD["entry-point"]',
      actions: ["create"],
      after: expect.objectContaining({ network_load_balancer_arns: [NLB], acceptance_required: true, allowed_principals: ["arn:aws:iam::210987654321:root"] }),
    },
  ]);
}, 120_000);

test("the endpoint service's instance does not depend on the NLB: a recreated NLB (another ARN) plans the same instance key", () => {
  // (Whether the provider then updates it in place is the EC2 API's ModifyVpcEndpointServiceConfiguration
  // Add/RemoveNetworkLoadBalancerArns; the offline harness's fake apply does not model for_each keys, so this
  // test holds the key only.)
  const other = NLB.replace("0123456789abcdef", "fedcba9876543210");
  const [first] = plannedEndpointServices([NLB]);
  const [second] = plannedEndpointServices([other]);
  expect(second.address).toBe(first.address);
  expect(second.after).toEqual(expect.objectContaining({ network_load_balancer_arns: [other] }));
}, 120_000);

test("the NLB is found by the tags the service controller puts on it: this Service of this cluster only", () => {
  const { cloud } = synthDeployment(exampleVariant("examples/aws-estate.yaml"));
  const lookup = Object.values(blocksOf(cloud, "aws_lbs", "data"))[0];
  expect(lookup.tags).toEqual({ ...LOAD_BALANCER_OWNER_TAGS.value.service("ingress", "entry-point"), ...LOAD_BALANCER_OWNER_TAGS.value.cluster("acme-estate") });
  // Without privateLink there is neither lookup nor endpoint service.
  const without = synthDeployment(
    exampleVariant("examples/aws-estate.yaml", (raw) => {
      delete (raw.domain as Record<string, unknown>).privateLink;
      delete ((raw.aws as Record<string, unknown>).existingNetwork as Record<string, unknown>).loadBalancerSubnets;
    }),
  );
  expect(blocksOf(without.cloud, "aws_lbs", "data")).toEqual({});
  expect(blocksOf(without.cloud, "aws_vpc_endpoint_service")).toEqual({});
});
