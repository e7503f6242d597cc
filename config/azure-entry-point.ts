import { parseIpv4Cidr, subnet } from "../lib/cidr";

/**
 * Where the Azure entry point's internal load balancer takes its static private address: its frontend subnet
 * (the created network's load-balancer subnet, or an existing network's node subnet), and the addresses Azure
 * reserves in every subnet. Read by the config check (a refused address names the field) and by the Azure stack
 * (the Service annotation and the DNS record), so both use one rule.
 */

/**
 * Azure reserves five addresses of every subnet: the network address, .1 (default gateway), .2 and .3 (Azure DNS),
 * and the broadcast address (https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq,
 * "Are there any restrictions on using IP addresses within these subnets?").
 */
export const AZURE_RESERVED_OFFSETS = { fromStart: [0, 1, 2, 3], fromEnd: [0] } as const;

/**
 * The created network's load-balancer subnet: the 6th /(n+3) of network.cidr (constructs/azure/network.ts lays the
 * subnets out; __tests__/azure/internal-dns.test.ts holds this against the synthesized subnet).
 */
export function createdLoadBalancerSubnet(networkCidr: string): string | undefined {
  const p = parseIpv4Cidr(networkCidr);
  if (!p || p.prefix < 16 || p.prefix > 20) return undefined;
  return subnet(networkCidr, p.prefix + 3, 5);
}

/** Why an address cannot be the load balancer's frontend in `subnetCidr`, or undefined when it can. */
export function frontendAddressProblem(address: string, subnetCidr: string): string | undefined {
  const range = parseIpv4Cidr(subnetCidr);
  const ip = toInt(address);
  if (!range || ip === undefined) return `'${address}' is not an IPv4 address`;
  const size = 2 ** (32 - range.prefix);
  const offset = ip - range.network;
  if (offset < 0 || offset >= size) return `${address} is outside the load balancer's subnet ${subnetCidr}`;
  if ((AZURE_RESERVED_OFFSETS.fromStart as readonly number[]).includes(offset) || (AZURE_RESERVED_OFFSETS.fromEnd as readonly number[]).includes(size - 1 - offset)) {
    return `${address} is one of the five addresses Azure reserves in ${subnetCidr} (network, gateway, two DNS, broadcast)`;
  }
  return undefined;
}

/** The default frontend address: the subnet's last usable one (Azure hands out dynamic addresses from the low end). */
export function defaultFrontendAddress(subnetCidr: string): string {
  const range = parseIpv4Cidr(subnetCidr);
  if (!range || range.prefix > 29) throw new Error(`no usable address at the end of ${subnetCidr}`);
  return fromInt(range.network + 2 ** (32 - range.prefix) - 2);
}

function toInt(address: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return o.reduce((acc, x) => acc * 256 + x, 0);
}

function fromInt(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}
