import { isIpv4Cidr } from "../../lib/cidr";

/**
 * Who may reach the AKS API server. Either a private cluster (API only inside the network), or a public
 * endpoint that accepts only an allow-list of CIDRs (authorized IP ranges). Never open to all: a /0 is refused.
 */
export class ControlPlaneAccess {
  /** Private cluster: the API server has only a private address in the VNet; no public FQDN. */
  static readonly PRIVATE = new ControlPlaneAccess(false, []);

  /** Public endpoint reachable only from these CIDRs (Azure's authorized IP ranges). 0.0.0.0/0 is refused. */
  static allowFrom(cidrs: readonly string[]): ControlPlaneAccess {
    if (cidrs.length === 0) throw new Error("control-plane CIDRs: give at least one admin range, e.g. 203.0.113.0/24, or use ControlPlaneAccess.PRIVATE");
    const bad = cidrs.filter((c) => !isIpv4Cidr(c) || c.endsWith("/0"));
    if (bad.length) throw new Error(`control-plane CIDRs ${bad.join(", ")}: give host or office ranges, e.g. 203.0.113.0/24`);
    return new ControlPlaneAccess(true, cidrs);
  }

  private constructor(
    /** Whether the API server has a public endpoint at all. */
    readonly publicEndpoint: boolean,
    /** The only sources the public endpoint accepts (empty when private). */
    readonly authorizedCidrs: readonly string[],
  ) {}
}
