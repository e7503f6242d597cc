import { Construct } from "constructs";
import { DataResource, Fn, Op, ref, Token } from "cdktf";

/** Props of {@link PinnedZones}. */
export interface PinnedZonesProps {
  /** The live zone list (a data source's names): read only until the first apply stores the choice. */
  readonly liveNames: string[];
  /** How many zones the deployment spans. */
  readonly count: number;
  /** Where the live list comes from, for the error when it is too short, e.g. "aws_availability_zones (state available)". */
  readonly source: string;
}

/**
 * The zones a deployment lives in, resolved once and kept in state.
 *
 * The first plan stores the first `count` names of the live list in a `terraform_data` resource; its
 * `input` carries `ignore_changes`, so later plans keep the stored names (`output`) whatever the live list
 * says. A zone that leaves the live list (an incident, a zone closed to new capacity) therefore never moves
 * a subnet or a node pool: every consumer reads `names`, never the data source. A live list shorter than
 * `count` at the first apply fails that apply with a message (a postcondition), instead of wrapping around
 * (`element()` would put two "zones" in one). Terraform itself decides this (terraform_data is built in);
 * the offline plan test of the AWS stack shows it with a shrinking zone list.
 *
 * To move a deployment on purpose (never needed for an incident): `terraform apply -replace=<address>`
 * re-reads the live list, and the plan then shows every subnet and pool that would move.
 */
export class PinnedZones extends Construct {
  readonly resource: DataResource;
  /** The stored zone names, one token per zone (`count` of them). */
  readonly names: readonly string[];

  constructor(scope: Construct, id: string, props: PinnedZonesProps) {
    super(scope, id);
    const live = props.liveNames;
    this.resource = new DataResource(this, "Resource", {
      // min(): a live list that shrank below `count` after the first apply must not break later plans.
      input: { names: Fn.slice(live, 0, Fn.min([props.count, Fn.lengthOf(live)])) },
      lifecycle: {
        ignoreChanges: ["input"],
        postcondition: [
          {
            // An expression (a token): literal strings are escaped for Terraform (lib/terraform-text.ts).
            condition: Token.asAny(Op.eq(Fn.lengthOf(ref("self.output.names")), props.count)),
            errorMessage: `this region offers fewer than ${props.count} zones in ${props.source}; the deployment needs ${props.count} (pick another region)`,
          },
        ],
      },
    });
    this.names = Array.from({ length: props.count }, (_, i) => Token.asString(Fn.lookupNested(this.resource.output, ["names", i])));
  }
}
