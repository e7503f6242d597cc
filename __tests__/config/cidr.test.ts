import { isIpv4Cidr, overlaps, parseIpv4Cidr, subnet } from "../../lib/cidr";

const r = (c: string) => parseIpv4Cidr(c)!;

test("accepts canonical IPv4 CIDRs only", () => {
  expect(isIpv4Cidr("10.0.0.0/16")).toBe(true);
  expect(isIpv4Cidr("203.0.113.7/32")).toBe(true);
  expect(isIpv4Cidr("10.0.0.1/16")).toBe(false); // host bits set
  expect(isIpv4Cidr("10.0.0.0")).toBe(false);
  expect(isIpv4Cidr("10.0.0.0/33")).toBe(false);
  expect(isIpv4Cidr("256.0.0.0/8")).toBe(false);
  expect(isIpv4Cidr("2001:db8::/32")).toBe(false);
  expect(isIpv4Cidr(" 10.0.0.0/16")).toBe(false);
});

test("overlap is symmetric and exact at the boundaries", () => {
  expect(overlaps(r("10.0.0.0/16"), r("10.0.255.0/24"))).toBe(true);
  expect(overlaps(r("10.0.255.0/24"), r("10.0.0.0/16"))).toBe(true);
  expect(overlaps(r("10.0.0.0/16"), r("10.1.0.0/16"))).toBe(false);
  expect(overlaps(r("0.0.0.0/0"), r("192.168.0.0/24"))).toBe(true);
  expect(overlaps(r("255.255.255.255/32"), r("255.255.255.254/31"))).toBe(true);
});

test("subnets are carved in order and refuse what does not fit", () => {
  expect(subnet("10.40.0.0/16", 18, 0)).toBe("10.40.0.0/18");
  expect(subnet("10.40.0.0/16", 18, 2)).toBe("10.40.128.0/18");
  expect(subnet("10.40.0.0/16", 22, 63)).toBe("10.40.252.0/22");
  expect(subnet("10.60.0.0/20", 26, 63)).toBe("10.60.15.192/26");
  expect(() => subnet("10.40.0.0/16", 18, 4)).toThrow();
  expect(() => subnet("10.40.0.0/16", 15, 0)).toThrow();
});
