import { readConfigFile } from "../../config/load";
import { configProblems } from "../support/config-problems";
import { AKS_API_SERVER_DELEGATION } from "../../config/schema";
import { API_SERVER_DELEGATION } from "../../constructs/azure/network";

// Existing networks (<cloud>.existingNetwork) and the entry point's access (domain.access, domain.privateLink):
// what synth can check is refused at synth, naming the field and the fix.

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const example = (file: string): Raw => readConfigFile(`examples/${file}`) as Raw;

const problems = configProblems;

/** The estate example with one change. */
function variant(file: string, patch: (raw: Raw) => void): Raw {
  const raw = example(file);
  patch(raw);
  return raw;
}

test("the three estate examples are accepted as they are", () => {
  for (const file of ["aws-estate.yaml", "azure-estate.yaml", "gcp-estate.yaml"]) expect([file, problems(example(file))]).toEqual([file, []]);
});

test("the schema's AKS delegation is the one the created network delegates its API server subnet to", () => {
  expect(AKS_API_SERVER_DELEGATION).toBe(API_SERVER_DELEGATION);
});

describe("aws.existingNetwork", () => {
  const subnets = (raw: Raw) => raw.aws.existingNetwork.privateSubnets as Raw[];

  test("fewer than three subnets is refused", () => {
    expect(problems(variant("aws-estate.yaml", (r) => subnets(r).pop()))).toEqual([
      "aws.existingNetwork.privateSubnets: list 3 private subnets, one in each of 3 availability zones (the platform spreads every service over 3 zones) (got a list of 2 entries)",
    ]);
  });

  test("three subnets in two zones are refused, naming the zones", () => {
    expect(problems(variant("aws-estate.yaml", (r) => (subnets(r)[2].zone = "eu-west-1b")))).toEqual([
      "aws.existingNetwork.privateSubnets: the subnets span 2 availability zone(s) (eu-west-1a, eu-west-1b); give subnets in 3 distinct zones (the platform spreads every service over 3 zones and survives the loss of one) (got a list of 3 entries)",
    ]);
  });

  test("a subnet overlapping the pod or service range, outside network.cidr, or overlapping another subnet is refused", () => {
    const got = problems(
      variant("aws-estate.yaml", (r) => {
        r.network.serviceCidr = "172.20.0.0/16";
        subnets(r)[0].cidr = "172.20.0.0/19";
        subnets(r)[1].cidr = "10.60.0.0/18";
        subnets(r)[2].cidr = "10.60.32.0/19";
      }),
    );
    expect(got).toEqual([
      "aws.existingNetwork.privateSubnets[0].cidr: 172.20.0.0/19 is not inside network.cidr (10.60.0.0/16); set network.cidr to the existing network's range that holds its subnets (got \"172.20.0.0/19\")",
      "aws.existingNetwork.privateSubnets[0].cidr: 172.20.0.0/19 overlaps network.serviceCidr (172.20.0.0/16); choose a service range outside the existing network (got \"172.20.0.0/19\")",
      "aws.existingNetwork.privateSubnets[2].cidr: 10.60.32.0/19 overlaps aws.existingNetwork.privateSubnets[1] (10.60.0.0/18); subnets must not overlap (got \"10.60.32.0/19\")",
    ]);
  });

  test("a zone of another region and a repeated subnet id are refused", () => {
    const got = problems(
      variant("aws-estate.yaml", (r) => {
        subnets(r)[0].zone = "eu-central-1a";
        subnets(r)[2].id = subnets(r)[1].id;
      }),
    );
    expect(got).toEqual([
      "aws.existingNetwork.privateSubnets[0].zone: eu-central-1a is not a zone of region eu-west-1; list subnets of the deployment's region (got \"eu-central-1a\")",
      "aws.existingNetwork.privateSubnets[2].id: duplicate subnet subnet-0a1b2c3d4e5f60002; list each subnet once (got \"subnet-0a1b2c3d4e5f60002\")",
    ]);
  });

  test("endpoint ranges outside network.cidr are refused", () => {
    expect(problems(variant("aws-estate.yaml", (r) => (r.aws.existingNetwork.endpointCidrs = ["10.61.0.0/24"])))).toEqual([
      "aws.existingNetwork.endpointCidrs[0]: 10.61.0.0/24 is not inside network.cidr (10.60.0.0/16); give the ranges of the VPC's subnets that hold its interface endpoints (got \"10.61.0.0/24\")",
    ]);
  });

  test("malformed ids say what an id looks like", () => {
    const got = problems(variant("aws-estate.yaml", (r) => ((r.aws.existingNetwork.vpcId = "my-vpc"), (subnets(r)[0].id = "subnet-1"))));
    expect(got).toEqual(
      expect.arrayContaining([
        "aws.existingNetwork.vpcId: must be a VPC id, e.g. vpc-0123456789abcdef0 (got \"my-vpc\")",
        "aws.existingNetwork.privateSubnets[0].id: must be a subnet id, e.g. subnet-0123456789abcdef0 (got \"subnet-1\")",
      ]),
    );
  });

  test("an existingNetwork section of another cloud is refused", () => {
    const got = problems(variant("gcp-estate.yaml", (r) => (r.aws = { existingNetwork: { vpcId: "vpc-0a1b2c3d4e5f60718", privateSubnets: [] } })));
    expect(got).toEqual(expect.arrayContaining([expect.stringMatching(/^aws: settings for aws in a gcp deployment; remove this section or change 'cloud'/)]));
  });
});

describe("azure.existingNetwork", () => {
  test("an API server subnet without the AKS delegation is refused, with the command that delegates it", () => {
    expect(problems(variant("azure-estate.yaml", (r) => delete r.azure.existingNetwork.apiServerSubnet.delegation))).toEqual([
      `azure.existingNetwork.apiServerSubnet.delegation: required: the API server subnet must be delegated to ${AKS_API_SERVER_DELEGATION} (az network vnet subnet update --delegations ${AKS_API_SERVER_DELEGATION} ...), then state delegation: ${AKS_API_SERVER_DELEGATION} here (missing)`,
    ]);
    expect(problems(variant("azure-estate.yaml", (r) => (r.azure.existingNetwork.apiServerSubnet.delegation = "Microsoft.Web/serverFarms")))).toEqual([
      expect.stringMatching(/^azure\.existingNetwork\.apiServerSubnet\.delegation: 'Microsoft\.Web\/serverFarms' is not AKS's: the API server subnet must be delegated to Microsoft\.ContainerService\/managedClusters/),
    ]);
  });

  test("an API server subnet smaller than a /28 is refused", () => {
    expect(problems(variant("azure-estate.yaml", (r) => (r.azure.existingNetwork.apiServerSubnet.cidr = "10.50.64.0/29")))).toEqual([
      "azure.existingNetwork.apiServerSubnet.cidr: a /29 is too small: AKS API Server VNet Integration needs at least a /28 (got \"10.50.64.0/29\")",
    ]);
  });

  test("overlapping subnets and a node subnet over the pod range are refused", () => {
    const got = problems(
      variant("azure-estate.yaml", (r) => {
        r.network.podCidr = "10.50.128.0/17";
        r.network.cidr = "10.50.0.0/16";
        r.azure.existingNetwork.nodeSubnet.cidr = "10.50.128.0/18";
        r.azure.existingNetwork.privateEndpointSubnet.cidr = "10.50.64.0/24";
        delete r.azure.entryPointPrivateIp; // checked against the node subnet: __tests__/azure/internal-dns.test.ts
      }),
    );
    expect(got).toEqual([
      "network.podCidr: overlaps network.cidr (10.50.0.0/16); the node, pod and service ranges must be disjoint (got \"10.50.128.0/17\")",
      "azure.existingNetwork.nodeSubnet.cidr: 10.50.128.0/18 overlaps network.podCidr (10.50.128.0/17); choose a pod range outside the existing network (got \"10.50.128.0/18\")",
      "azure.existingNetwork.privateEndpointSubnet.cidr: 10.50.64.0/24 overlaps azure.existingNetwork.apiServerSubnet (10.50.64.0/28); subnets must not overlap (got \"10.50.64.0/24\")",
    ]);
  });

  test("a VNet of another subscription is refused", () => {
    const got = problems(
      variant("azure-estate.yaml", (r) => {
        r.azure.existingNetwork.virtualNetworkId = r.azure.existingNetwork.virtualNetworkId.replace("00000000-0000-0000-0000-000000000000", "99999999-9999-9999-9999-999999999999");
      }),
    );
    expect(got).toEqual([
      "azure.existingNetwork.virtualNetworkId: is in subscription 99999999-9999-9999-9999-999999999999, not azure.subscriptionId (00000000-0000-0000-0000-000000000000); AKS joins a VNet of its own subscription (got a string of 140 characters)",
    ]);
  });

  test("outboundType must be one AKS supports with a customer's network", () => {
    expect(problems(variant("azure-estate.yaml", (r) => (r.azure.existingNetwork.outboundType = "loadBalancer")))).toEqual([
      "azure.existingNetwork.outboundType: must be userAssignedNATGateway or userDefinedRouting (got \"loadBalancer\")",
    ]);
  });
});

describe("gcp.existingNetwork", () => {
  test("missing secondary range names are refused, with the command that adds a range", () => {
    const got = problems(variant("gcp-estate.yaml", (r) => (delete r.gcp.existingNetwork.podsRangeName, delete r.gcp.existingNetwork.servicesRangeName)));
    expect(got).toEqual([
      "gcp.existingNetwork.podsRangeName: required: the name of the subnetwork's secondary range for pods (its range is network.podCidr); add one with gcloud compute networks subnets update <subnetwork> --add-secondary-ranges=<name>=<range> (missing)",
      "gcp.existingNetwork.servicesRangeName: required: the name of the subnetwork's secondary range for Services (its range is network.serviceCidr); add one with gcloud compute networks subnets update <subnetwork> --add-secondary-ranges=<name>=<range> (missing)",
    ]);
  });

  test("one secondary range for both pods and Services is refused", () => {
    expect(problems(variant("gcp-estate.yaml", (r) => (r.gcp.existingNetwork.servicesRangeName = r.gcp.existingNetwork.podsRangeName)))).toEqual([
      "gcp.existingNetwork.servicesRangeName: is the same range as podsRangeName; pods and Services need two distinct secondary ranges (got \"catalog-pods\")",
    ]);
  });

  test("the pod and service ranges must still be disjoint from the subnetwork's primary range", () => {
    expect(problems(variant("gcp-estate.yaml", (r) => (r.network.podCidr = "10.60.0.0/14")))).toEqual([
      "network.podCidr: overlaps network.cidr (10.60.0.0/20); the node, pod and service ranges must be disjoint (got \"10.60.0.0/14\")",
      // The example's Private Service Connect NAT range (10.60.16.0/24) lies in that pod range too.
      expect.stringMatching(/^gcp\.pscNatCidr: 10\.60\.16\.0\/24 overlaps network\.podCidr/),
    ]);
  });
});

describe("domain.access and domain.privateLink", () => {
  test("access takes public or internal only", () => {
    expect(problems(variant("aws-estate.yaml", (r) => ((r.domain.access = "private"), delete r.domain.privateLink, delete r.aws.existingNetwork.loadBalancerSubnets)))).toEqual(['domain.access: must be one of public, internal (got "private")']);
  });

  test("privateLink needs an internal entry point", () => {
    expect(problems(variant("azure-estate.yaml", (r) => {
      r.domain.access = "public";
      // The private zone and the static private address have refusals of their own (__tests__/azure/internal-dns.test.ts).
      delete r.domain.dnsZone;
      delete r.azure.entryPointPrivateIp;
    }))).toEqual([
      "domain.privateLink: needs domain.access: internal (private connectivity serves an internal load balancer); set it, or remove privateLink (got {\"allowedConsumers\":[\"55555555-5555-5555-5555-555555555555\"]})",
    ]);
  });

  test("consumers are checked against the cloud's format", () => {
    expect(problems(variant("azure-estate.yaml", (r) => (r.domain.privateLink.allowedConsumers = ["acme-analytics"])))).toEqual([
      "domain.privateLink.allowedConsumers[0]: 'acme-analytics' is not an Azure subscription id, e.g. 00000000-0000-0000-0000-000000000000 (on azure) (got \"acme-analytics\")",
    ]);
  });

  test("with privateLink, allowedSourceCidrs must admit the cluster network's own addresses (private endpoints arrive from there)", () => {
    expect(problems(variant("azure-estate.yaml", (r) => (r.domain.allowedSourceCidrs = ["192.0.2.0/24"])))).toEqual([
      "domain.allowedSourceCidrs: does not admit network.cidr (10.50.0.0/16): connections through a private endpoint reach the entry point from the cluster network's own addresses, not the user's; add 10.50.0.0/16 (the private endpoint's allow-list decides who connects) (got [\"192.0.2.0/24\"])",
    ]);
    expect(problems(variant("azure-estate.yaml", (r) => (r.domain.allowedSourceCidrs = ["10.0.0.0/8"])))).toEqual([]);
  });
});

test("privateLink on GCP is built (a Private Service Connect service attachment; refusals in __tests__/gcp/private-service-connect.test.ts)", () => {
  expect(problems(example("gcp-estate.yaml")).filter((p) => p.startsWith("domain.privateLink"))).toEqual([]);
  expect(example("gcp-estate.yaml").domain.privateLink).toBeDefined();
});

test("AWS consumers are principal ARNs", () => {
  expect(problems(variant("aws-estate.yaml", (r) => (r.domain.privateLink.allowedConsumers = ["210987654321"])))).toEqual([
    "domain.privateLink.allowedConsumers[0]: '210987654321' is not an AWS principal ARN, e.g. arn:aws:iam::123456789012:root (on aws) (got \"210987654321\")",
  ]);
});

describe("a Route 53 record with the AWS entry point's other options", () => {
  // Both were refused while the record could only sit on the cloud stack's Elastic IPs; the alias record to the
  // NLB (constructs/aws/entry-point-alias-record.ts) serves them.
  test("an internal entry point in a created network with a zone is accepted", () => {
    const raw = variant("aws-estate.yaml", (r) => delete r.aws.existingNetwork);
    expect(raw.domain.access).toBe("internal");
    expect(raw.domain.dnsZone.provider).toBe("route53");
    expect(problems(raw)).toEqual([]);
  });

  test("a public entry point in an existing network with a zone is accepted", () => {
    const raw = variant("aws-estate.yaml", (r) => {
      r.domain.access = "public";
      delete r.domain.privateLink;
      delete r.aws.existingNetwork.loadBalancerSubnets;
    });
    expect(problems(raw)).toEqual([]);
  });

  test("a zone in another cloud is still refused, naming the field and the fix", () => {
    const raw = variant("aws-estate.yaml", (r) => (r.domain.dnsZone = { provider: "cloud-dns", managedZone: "acme-example-com", zoneName: "acme.example.com" }));
    expect(problems(raw)).toContainEqual(expect.stringMatching(/^domain\.dnsZone\.provider: cloud-dns is a DNS zone of gcp, and this deployment runs on aws: .*use route53 or create the record yourself/));
  });
});
