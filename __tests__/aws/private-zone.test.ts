import { synthesizedStacks } from "../support/deployments";
import { blockNamed, blocksOf, exampleVariant, synthDeployment, type StackJson } from "../support/estate";
import { failing } from "../support/postconditions";

// An internal entry point's record holds private addresses and answers only where the zone is visible: the Route 53
// zone must be a private hosted zone (associated with the users' VPCs). A public zone would publish the internal
// NLB's addresses to the internet and answer users who cannot reach them. The config cannot know which the zone
// is; terraform checks it at plan, on the cloud stack (applied first), with the real terraform's evaluation here.
const cloud = () => (synthesizedStacks("examples-aws-estate") as Record<string, StackJson>)["acme-estate-aws"];

test("an internal entry point's Route 53 zone is read by id and must be a private hosted zone (postcondition, evaluated by terraform)", () => {
  const zone = blockNamed(cloud(), "aws_route53_zone", "EntryPointZone");
  expect(zone.zone_id).toBe("Z0123456789ABCDEFGHIJ");
  expect(failing(zone, { zone_id: "Z0123456789ABCDEFGHIJ", private_zone: true, name: "acme.example.com" })).toEqual([]);
  expect(failing(zone, { zone_id: "Z0123456789ABCDEFGHIJ", private_zone: false, name: "acme.example.com" })).toEqual([
    "domain.dnsZone.hostedZoneId Z0123456789ABCDEFGHIJ is a public hosted zone: an internal entry point's record holds private addresses, which a public zone would publish to the internet; name a private hosted zone associated with the users' VPCs, or set domain.access: public",
  ]);
});

test("a public entry point reads no zone (a public or a split-horizon private zone are both the customer's choice)", () => {
  const { cloud: publicCloud } = synthDeployment(exampleVariant("examples/aws-estate-keys.yaml"));
  expect(Object.keys(blocksOf(publicCloud, "aws_route53_zone", "data"))).toEqual([]);
});
