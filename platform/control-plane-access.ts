import { parseIpv4Cidr } from "../lib/cidr";

/** The deployment's choice, as `controlPlane` in the config holds it. */
export interface ControlPlaneChoice {
  /** Whether a public API endpoint exists besides the private one. */
  readonly publicEndpoint: boolean;
  /** Where administrators connect from. */
  readonly adminCidrs: readonly string[];
}

/**
 * Who may reach the Kubernetes API server, the same on every cloud: the private endpoint always exists; a
 * public endpoint exists only when asked, and then accepts exactly the admin CIDRs. A /0, a non-canonical
 * range and (for a public endpoint) an empty list are refused: the API is never open to all.
 *
 * Each cloud renders it in its cluster construct: EKS `vpc_config` and the control-plane security group
 * (constructs/aws/control-plane-endpoint.ts), AKS `api_server_access_profile` / private cluster
 * (constructs/azure/aks-cluster.ts), GKE `private_cluster_config` and master authorized networks
 * (constructs/gcp/gke-cluster.ts).
 */
export class ControlPlaneAccess {
  /** Private endpoint only, and no admin ranges named. */
  static readonly PRIVATE = new ControlPlaneAccess(false, []);

  /** Private endpoint only; administrators reach it over VPN, peering or Interconnect from these CIDRs. */
  static privateFrom(adminCidrs: readonly string[]): ControlPlaneAccess {
    return new ControlPlaneAccess(false, ControlPlaneAccess.check(adminCidrs));
  }

  /** Private endpoint plus a public one; both accept only these CIDRs (at least one). */
  static publicFrom(adminCidrs: readonly string[]): ControlPlaneAccess {
    if (adminCidrs.length === 0) {
      throw new Error("control-plane CIDRs: a public endpoint needs at least one admin CIDR, e.g. 203.0.113.0/24, or keep the endpoint private");
    }
    return new ControlPlaneAccess(true, ControlPlaneAccess.check(adminCidrs));
  }

  /** The deployment's `controlPlane` choice. */
  static of(choice: ControlPlaneChoice): ControlPlaneAccess {
    return choice.publicEndpoint ? ControlPlaneAccess.publicFrom(choice.adminCidrs) : ControlPlaneAccess.privateFrom(choice.adminCidrs);
  }

  private static check(cidrs: readonly string[]): readonly string[] {
    const bad = cidrs.filter((c) => (parseIpv4Cidr(c)?.prefix ?? 0) === 0);
    if (bad.length) throw new Error(`control-plane CIDRs ${bad.join(", ")}: give host or office ranges, e.g. 203.0.113.0/24 (never a /0)`);
    return [...cidrs];
  }

  private constructor(
    /** Whether a public API endpoint exists (still limited to `adminCidrs`). */
    readonly publicEndpoint: boolean,
    /** The administrator CIDRs: the only sources the API server accepts. */
    readonly adminCidrs: readonly string[],
  ) {}
}
