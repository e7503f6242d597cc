import { Construct } from "constructs";
import { Fn, TerraformIterator, Token } from "cdktf";
import { DataAwsLbs } from "@cdktf/provider-aws/lib/data-aws-lbs";
import { VpcEndpointService } from "@cdktf/provider-aws/lib/vpc-endpoint-service";
import { LOAD_BALANCER_OWNER_TAGS } from "./load-balancer-facts";

/** Props of {@link EntryPointEndpointService}. */
export interface EntryPointEndpointServiceProps {
  /** The EKS cluster's name (the service controller's cluster id). */
  readonly clusterName: string;
  /** The entry point Service's namespace and name. */
  readonly serviceNamespace: string;
  readonly serviceName: string;
  /** Principals (account roots, roles, users) allowed to create endpoints to the service. */
  readonly allowedPrincipals: readonly string[];
}

/**
 * A VPC endpoint service (AWS PrivateLink) on the entry point's internal NLB, so users' VPCs in the allowed
 * accounts reach the platform through an interface endpoint of their own. Every connection request is
 * accepted by hand (`acceptance_required`); only the listed principals may request one.
 *
 * The NLB belongs to the cluster's service controller, which creates it when the platform stack applies
 * the entry point Service, after this stack. So the NLB is looked up by the tags the controller puts on it
 * (LOAD_BALANCER_OWNER_TAGS), and the endpoint service exists only once it is found (one per NLB found): the
 * first apply of the cloud stack creates none, the apply after the platform stack's creates it
 * (docs/deployment-guide.md, Private access). A replaced NLB replaces the endpoint service on the next apply.
 */
export class EntryPointEndpointService extends Construct {
  /** The lookup of the controller's NLB. */
  readonly loadBalancers: DataAwsLbs;
  /** The endpoint service, one per NLB found (none until the NLB exists). */
  readonly resource: VpcEndpointService;

  constructor(scope: Construct, id: string, props: EntryPointEndpointServiceProps) {
    super(scope, id);
    const tags = LOAD_BALANCER_OWNER_TAGS.value;
    this.loadBalancers = new DataAwsLbs(this, "LoadBalancer", {
      tags: { ...tags.service(props.serviceNamespace, props.serviceName), ...tags.cluster(props.clusterName) },
    });
    // One instance once the controller made the Service's NLB, none before: for_each, since at count 0 terraform
    // still checks the arguments and the provider refuses an empty network_load_balancer_arns (measured:
    // __tests__/aws/entry-point-endpoint-service.test.ts). Keyed by a constant, not the NLB's ARN: a recreated
    // NLB is then a change of network_load_balancer_arns on the same instance, which the EC2 API changes in place
    // (ModifyVpcEndpointServiceConfiguration, Add/RemoveNetworkLoadBalancerArns), so the service name consumers
    // hold stays. A second NLB for the one Service is not expected; slice() then fails the plan instead of guessing.
    const arns = Token.asList(this.loadBalancers.arns);
    const nlbs = TerraformIterator.fromMap(Fn.zipmap(Fn.slice(["entry-point"], 0, Fn.lengthOf(arns)), arns));
    this.resource = new VpcEndpointService(this, "Resource", {
      forEach: nlbs,
      networkLoadBalancerArns: [Token.asString(nlbs.value)],
      acceptanceRequired: true,
      allowedPrincipals: [...props.allowedPrincipals],
      tags: { Name: `${props.clusterName}-entry-point` },
    });
  }
}
