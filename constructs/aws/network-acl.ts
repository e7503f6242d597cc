import { Construct } from "constructs";
import { NetworkAcl } from "@cdktf/provider-aws/lib/network-acl";

/** One allow rule of a network ACL. */
export interface AclRule {
  /** Source (ingress) or destination (egress) range. */
  readonly cidr: string;
  /** "tcp", "udp" or "all". */
  readonly protocol: "tcp" | "udp" | "all";
  /** First port (tcp/udp). @default 0 (all protocols) */
  readonly fromPort?: number;
  /** Last port (tcp/udp). @default fromPort */
  readonly toPort?: number;
}

/** Props of {@link TierNetworkAcl}. */
export interface TierNetworkAclProps {
  readonly vpcId: string;
  /** The subnets of the tier. */
  readonly subnetIds: readonly string[];
  /** Allowed inbound traffic; everything else is denied (the ACL's implicit final deny). */
  readonly ingress: readonly AclRule[];
  /** Allowed outbound traffic; everything else is denied. */
  readonly egress: readonly AclRule[];
  /** Name tag. */
  readonly name: string;
}

const PROTOCOL = { tcp: "6", udp: "17", all: "-1" } as const;

/**
 * A network ACL for one subnet tier: only the listed flows are allowed, in order (rule numbers 100, 110, ...),
 * and the implicit deny catches the rest. ACLs are stateless: return traffic must be listed too.
 */
export class TierNetworkAcl extends Construct {
  /** The ACL. */
  readonly resource: NetworkAcl;

  constructor(scope: Construct, id: string, props: TierNetworkAclProps) {
    super(scope, id);
    const render = (rules: readonly AclRule[]) =>
      rules.map((r, i) => ({
        ruleNo: 100 + 10 * i,
        action: "allow",
        protocol: PROTOCOL[r.protocol],
        cidrBlock: r.cidr,
        fromPort: r.protocol === "all" ? 0 : (r.fromPort ?? 0),
        toPort: r.protocol === "all" ? 0 : (r.toPort ?? r.fromPort ?? 0),
      }));
    this.resource = new NetworkAcl(this, "Resource", {
      vpcId: props.vpcId,
      subnetIds: [...props.subnetIds],
      ingress: render(props.ingress),
      egress: render(props.egress),
      tags: { Name: props.name },
    });
  }
}
