import { parseIpv4Cidr, subnet } from "../lib/cidr";

/**
 * Where the AWS internal entry point's NLB sits when users reach it through PrivateLink: subnets where no pod takes an
 * address, since PrivateLink connections arrive from the NLB's own addresses (constructs/aws/load-balancer-facts.ts,
 * PRIVATELINK_SOURCE_IS_NLB_ADDRESS). Read by the config check (allowedSourceCidrs must admit them) and by the created
 * network (constructs/aws/network.ts lays its public subnets out with it), so both use one rule.
 */

/**
 * The created network's public subnets, one per zone: the first three /(n+6) of the last quarter of network.cidr. They
 * hold the NAT gateways and load balancers only; no node runs there, so the VPC CNI gives no pod an address there.
 */
export function createdPublicSubnetCidrs(networkCidr: string, zoneCount: number): string[] | undefined {
  const p = parseIpv4Cidr(networkCidr);
  if (!p || p.prefix < 16 || p.prefix > 20) return undefined;
  const lastQuarter = subnet(networkCidr, p.prefix + 2, 3);
  return Array.from({ length: zoneCount }, (_, i) => subnet(lastQuarter, p.prefix + 6, i));
}
