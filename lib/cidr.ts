import * as ipaddr from "ipaddr.js";

/** An IPv4 range in CIDR notation, parsed once. */
export interface Ipv4Range {
  readonly cidr: string;
  readonly network: number; // first address as an unsigned 32-bit integer
  readonly prefix: number;
}

/**
 * Parses `a.b.c.d/n` (IPv4 only, canonical: no leading zeros). Returns undefined for anything else,
 * including host bits set. Accepts exactly what `cidrPattern(0, 32)` matches.
 */
export function parseIpv4Cidr(value: string): Ipv4Range | undefined {
  if (!/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}\/(0|[1-9]\d?)$/.test(value) || !ipaddr.IPv4.isValidCIDR(value)) return undefined;
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(value);
  const network = toInt(addr);
  if ((network & mask(prefix)) >>> 0 !== network) return undefined; // host bits set: ambiguous intent
  return { cidr: value, network, prefix };
}

/** True when the string is a canonical IPv4 CIDR (no host bits set). */
export function isIpv4Cidr(value: string): boolean {
  return parseIpv4Cidr(value) !== undefined;
}

/** True when two ranges share at least one address. */
export function overlaps(a: Ipv4Range, b: Ipv4Range): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.network & mask(p)) >>> 0 === (b.network & mask(p)) >>> 0;
}

/**
 * The `index`-th sub-range of `parent` with prefix length `prefix`.
 * Throws when it does not fit: callers pass values the config schema already bounded.
 */
export function subnet(parent: string, prefix: number, index: number): string {
  const p = parseIpv4Cidr(parent);
  if (!p) throw new Error(`not an IPv4 CIDR: ${parent}`);
  const count = 2 ** (prefix - p.prefix);
  if (prefix < p.prefix || index < 0 || index >= count) {
    throw new Error(`${parent} has no /${prefix} number ${index}`);
  }
  const network = (p.network + index * 2 ** (32 - prefix)) >>> 0;
  return `${fromInt(network)}/${prefix}`;
}

/** The first host address of a range as a /32, e.g. 172.20.0.1/32 for 172.20.0.0/16. */
export function firstHost(range: string): string {
  const p = parseIpv4Cidr(range);
  if (!p || p.prefix > 30) throw new Error(`no first host in ${range}`);
  return `${fromInt((p.network + 1) >>> 0)}/32`;
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function toInt(addr: ipaddr.IPv4): number {
  return addr.octets.reduce((acc, o) => (acc * 256 + o) >>> 0, 0);
}

function fromInt(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

const ANY_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";

/**
 * A regular expression (source text, anchored) matching exactly the canonical IPv4 CIDRs with a prefix
 * length in [minPrefix, maxPrefix] and no host bits set: per prefix length, each octet admits only the
 * values its network bits allow (e.g. /20: third octet 0, 16, ..., 240; fourth octet 0). The JSON Schema
 * carries it, so an editor decides host bits exactly as the loader does.
 */
export function cidrPattern(minPrefix: number, maxPrefix: number): string {
  const alternatives: string[] = [];
  for (let prefix = minPrefix; prefix <= maxPrefix; prefix++) {
    const octets = [0, 1, 2, 3].map((i) => {
      const networkBits = Math.min(8, Math.max(0, prefix - 8 * i));
      if (networkBits === 8) return ANY_OCTET;
      const step = 2 ** (8 - networkBits);
      const values = Array.from({ length: 256 / step }, (_, k) => String(k * step));
      return values.length === 1 ? values[0] : `(${values.join("|")})`;
    });
    alternatives.push(`${octets.join("\\.")}/${prefix}`);
  }
  return `^(${alternatives.join("|")})$`;
}
