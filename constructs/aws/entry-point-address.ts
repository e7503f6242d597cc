import { Construct } from "constructs";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";

/**
 * How the Kubernetes AWS cloud provider (the controller that turns the entry point's `type: LoadBalancer`
 * Service with `aws-load-balancer-type: nlb` into a Network Load Balancer) takes static addresses and a
 * certificate. Source: kubernetes/cloud-provider-aws, pkg/providers/v1/aws.go (annotation constants, the NLB
 * port mapping: a port in `ssl-ports` gets a TLS listener with `ssl-cert` and `ssl-negotiation-policy`, and a
 * TLS target group when `backend-protocol` is "ssl") and aws_loadbalancer.go (ensureLoadBalancerv2: "Must have
 * same number of EIP AllocationIDs and SubnetIDs"; the subnets are the public subnets tagged
 * kubernetes.io/role/elb, one per zone).
 */
export const NLB_FACTS = {
  eipAllocations: "service.beta.kubernetes.io/aws-load-balancer-eip-allocations",
  sslCert: "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
  sslPorts: "service.beta.kubernetes.io/aws-load-balancer-ssl-ports",
  sslNegotiationPolicy: "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy",
  backendProtocol: "service.beta.kubernetes.io/aws-load-balancer-backend-protocol",
  /** One EIP per subnet the NLB is placed in. */
  eipsPerSubnet: 1,
  /**
   * TLS 1.2 and 1.3 only, forward-secret ciphers
   * (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/describe-ssl-policies.html).
   */
  tls12Policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
  source: "https://github.com/kubernetes/cloud-provider-aws/blob/master/pkg/providers/v1/aws.go, aws_loadbalancer.go",
  /**
   * A TLS target group encrypts to the target without verifying its certificate, so the entry point keeps its
   * Vault-issued service certificate behind the public ACM one
   * (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/create-tls-listener.html: "the load balancer
   * does not verify target certificates").
   */
  targetCertificateVerified: false,
} as const;

/** Props of {@link EntryPointAddress}. */
export interface EntryPointAddressProps {
  /** Deployment name (tags). */
  readonly name: string;
  /** How many subnets the NLB spans (the public subnets, one per zone): one address each. */
  readonly subnetCount: number;
  /** The Route 53 hosted zone and the record's name (domain.name). */
  readonly hostedZoneId: string;
  readonly recordName: string;
}

/**
 * Static public addresses for the entry point's Network Load Balancer, one Elastic IP per zone, and the
 * Route 53 A record of the user-facing name on them. The cloud stack owns both, so the record exists before
 * the Kubernetes Service and survives its re-creation.
 */
export class EntryPointAddress extends Construct {
  /** The Elastic IPs, one per zone. */
  readonly addresses: Eip[];
  /** The A record. */
  readonly record: Route53Record;
  /** The Service annotations that place the NLB on these addresses. */
  readonly serviceAnnotations: Record<string, string>;

  constructor(scope: Construct, id: string, props: EntryPointAddressProps) {
    super(scope, id);
    this.addresses = Array.from({ length: props.subnetCount * NLB_FACTS.eipsPerSubnet }, (_, i) =>
      new Eip(this, `Address${String.fromCharCode(65 + i)}`, { domain: "vpc", tags: { Name: `${props.name}-entry-point-${String.fromCharCode(97 + i)}` } }),
    );
    this.record = new Route53Record(this, "Record", {
      zoneId: props.hostedZoneId,
      name: props.recordName,
      type: "A",
      ttl: 300,
      records: this.addresses.map((a) => a.publicIp),
    });
    this.serviceAnnotations = { [NLB_FACTS.eipAllocations]: this.addresses.map((a) => a.allocationId).join(",") };
  }
}
