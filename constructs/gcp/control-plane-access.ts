import { parseIpv4Cidr } from "../../lib/cidr";

/**
 * Who may reach the GKE API server. Always a private cluster with master authorized networks limited
 * to the given admin CIDRs; the only choice is whether a public endpoint exists besides the private one.
 * An empty list or a /0 is refused: the API is never open to all.
 */
export class ControlPlaneAccess {
  /** Private endpoint only; admins reach it from `adminCidrs` over VPN, Interconnect or peering. */
  static privateOnly(adminCidrs: readonly string[]): ControlPlaneAccess {
    return new ControlPlaneAccess(false, ControlPlaneAccess.check(adminCidrs));
  }

  /** Private endpoint plus a public one; both accept only `adminCidrs`. */
  static publicFrom(adminCidrs: readonly string[]): ControlPlaneAccess {
    return new ControlPlaneAccess(true, ControlPlaneAccess.check(adminCidrs));
  }

  private static check(cidrs: readonly string[]): readonly string[] {
    if (cidrs.length === 0) throw new Error("control-plane access: list at least one admin CIDR, e.g. 203.0.113.0/24");
    const bad = cidrs.filter((c) => (parseIpv4Cidr(c)?.prefix ?? 0) === 0);
    if (bad.length) throw new Error(`control-plane CIDRs ${bad.join(", ")}: give host or office ranges, e.g. 203.0.113.0/24 (never a /0)`);
    return [...cidrs];
  }

  private constructor(
    /** A public endpoint exists (still limited to `adminCidrs`). */
    readonly publicEndpoint: boolean,
    /** The master authorized networks: the only sources the API server accepts. */
    readonly adminCidrs: readonly string[],
  ) {}
}
