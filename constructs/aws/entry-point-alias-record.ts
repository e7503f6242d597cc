import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { DataAwsLbHostedZoneId } from "@cdktf/provider-aws/lib/data-aws-lb-hosted-zone-id";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { NLB_ALIAS_ZONE } from "./load-balancer-facts";

/** Props of {@link EntryPointAliasRecord}. */
export interface EntryPointAliasRecordProps {
  /** The deployment's region (the NLB's, and the provider's). */
  readonly region: string;
  /** The account terraform may act in (the cloud stack's pin). @default - no pin */
  readonly allowedAccountId?: string;
  /** Tags every AWS object of the provider gets (the cloud stack's default tags). */
  readonly defaultTags: Readonly<Record<string, string>>;
  /** The Route 53 hosted zone (public, or private and associated with the users' VPCs) and the record's name. */
  readonly hostedZoneId: string;
  readonly recordName: string;
  /** The NLB's DNS name, as the service controller reports it in the entry point Service's status. */
  readonly loadBalancerHostname: string;
}

/**
 * The user-facing name as a Route 53 alias A record to the entry point's NLB, for the entry points that have
 * no Elastic IPs of the cloud stack (EntryPointAddress): an internal NLB, or one in an existing network's
 * subnets. It lives in the platform stack, next to the Service whose status carries the NLB's DNS name, so it
 * is created in the same `cdktf deploy` run as the NLB (no second apply of the cloud stack), and follows a
 * re-created NLB on the next apply. Alias records answer with the NLB's current addresses and cost no
 * queries (docs/deployment-guide.md, Certificates and DNS).
 */
export class EntryPointAliasRecord extends Construct {
  /** The alias record. */
  readonly resource: Route53Record;

  constructor(scope: Construct, id: string, props: EntryPointAliasRecordProps) {
    super(scope, id);
    // The platform stack's own aws provider, pinned and tagged like the cloud stack's.
    new AwsProvider(this, "Provider", {
      region: props.region,
      allowedAccountIds: props.allowedAccountId ? [props.allowedAccountId] : undefined,
      defaultTags: [{ tags: { ...props.defaultTags } }],
    });
    const nlbZone = new DataAwsLbHostedZoneId(this, "LoadBalancerZone", { region: props.region, loadBalancerType: NLB_ALIAS_ZONE.value.loadBalancerType });
    this.resource = new Route53Record(this, "Resource", {
      zoneId: props.hostedZoneId,
      name: props.recordName,
      type: "A",
      alias: { name: props.loadBalancerHostname, zoneId: nlbZone.id, evaluateTargetHealth: true },
    });
  }
}
