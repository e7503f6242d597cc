import type { Fact } from "./eks-facts";

/**
 * What the entry point's load balancer relies on from EKS's service controller (kubernetes/cloud-provider-aws,
 * the controller that creates an NLB for a `type: LoadBalancer` Service with `aws-load-balancer-type: nlb`),
 * with where it is stated. Tests hold the synthesized stacks against them (__tests__/aws/existing-network.test.ts).
 */

/** The subnet tags the service controller picks load balancer subnets by. */
export const LOAD_BALANCER_SUBNET_TAGS: Fact<{ internal: string; public: string }> = {
  value: { internal: "kubernetes.io/role/internal-elb", public: "kubernetes.io/role/elb" },
  source:
    "kubernetes/cloud-provider-aws pkg/providers/v1/aws.go, TagNameSubnetInternalELB / TagNameSubnetPublicELB (findELBSubnets); " +
    "https://docs.aws.amazon.com/eks/latest/userguide/network-load-balancing.html (subnet tagging)",
};

/** The Service annotations that make the NLB internal or Internet-facing. */
export const LOAD_BALANCER_SCHEME_ANNOTATIONS: Fact<{ internal: Readonly<Record<string, string>>; public: Readonly<Record<string, string>> }> = {
  value: {
    // EnsureLoadBalancer: any value but "false" of aws-load-balancer-internal makes the load balancer internal.
    internal: { "service.beta.kubernetes.io/aws-load-balancer-internal": "true", "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal" },
    public: { "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing" },
  },
  source:
    "kubernetes/cloud-provider-aws pkg/providers/v1/aws.go, ServiceAnnotationLoadBalancerInternal and EnsureLoadBalancer " +
    "(internalAnnotation != \"\" && != \"false\" => internal); aws-load-balancer-scheme is the AWS Load Balancer Controller's " +
    "(kubernetes-sigs/aws-load-balancer-controller docs/guide/service/annotations.md#lb-scheme), kept so either controller reads the same intent",
};

/** The tags the service controller puts on the NLB it creates for a Service: how the stack finds it. */
export const LOAD_BALANCER_OWNER_TAGS: Fact<{ service: (namespace: string, name: string) => Record<string, string>; cluster: (clusterName: string) => Record<string, string> }> = {
  value: {
    service: (namespace, name) => ({ "kubernetes.io/service-name": `${namespace}/${name}` }),
    // EKS runs the controller with the cluster's name as its cluster id.
    cluster: (clusterName) => ({ [`kubernetes.io/cluster/${clusterName}`]: "owned" }),
  },
  source:
    "kubernetes/cloud-provider-aws pkg/providers/v1/aws_loadbalancer.go, ensureLoadBalancerv2: tags[TagNameKubernetesService] = namespacedName.String(), " +
    "then tagging.buildTags(ResourceLifecycleOwned, ...) adds kubernetes.io/cluster/<cluster id> = owned (pkg/providers/v1/tags.go)",
};

/**
 * Where the NLB's DNS name shows: the service controller writes it into the Service's status, which the
 * kubernetes provider's `kubernetes_service_v1` waits for (`wait_for_load_balancer`, default true) and exports
 * as `status[0].load_balancer[0].ingress[0].hostname`.
 */
export const LOAD_BALANCER_HOSTNAME_IN_SERVICE_STATUS: Fact<{ attribute: string }> = {
  value: { attribute: "status[0].load_balancer[0].ingress[0].hostname" },
  source:
    "kubernetes/cloud-provider-aws pkg/providers/v1/aws.go, v2toStatus: status.Ingress = [{Hostname: lb.DNSName}] once the NLB is active or provisioning; " +
    "hashicorp/terraform-provider-kubernetes v2.38.0 docs/resources/service_v1.md (wait_for_load_balancer defaults to true; status.load_balancer.ingress.hostname)",
};

/**
 * An alias record names the load balancer's canonical hosted zone. For NLBs it is one zone per region, which
 * the aws provider's `aws_lb_hosted_zone_id` data source reads from its own table (no API call).
 */
export const NLB_ALIAS_ZONE: Fact<{ loadBalancerType: "network" }> = {
  value: { loadBalancerType: "network" },
  source:
    "hashicorp/terraform-provider-aws v5.100.0 internal/service/elbv2/hosted_zone_id_data_source.go (hostedZoneIDPerRegionNLBMap); " +
    "https://docs.aws.amazon.com/general/latest/gr/elb.html (Network Load Balancers' hosted zone ids per region); " +
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-alias.html (alias target: the load balancer's DNS name and hosted zone)",
};

/**
 * The Service annotation that names the load balancer's subnets (ids or Name tags, comma-separated): it replaces the
 * controller's discovery by role tag (LOAD_BALANCER_SUBNET_TAGS) for internal and Internet-facing load balancers alike.
 * Present in the in-tree controller EKS runs (cloud-provider-aws v1.21.0 and later). Not used: the controller's
 * `aws-load-balancer-private-ipv4-addresses`, which cloud-provider-aws has only from v1.35.0.
 */
export const LOAD_BALANCER_SUBNETS_ANNOTATION: Fact<{ name: string; separator: string; sinceRelease: string }> = {
  value: { name: "service.beta.kubernetes.io/aws-load-balancer-subnets", separator: ",", sinceRelease: "v1.21.0" },
  source:
    "kubernetes/cloud-provider-aws pkg/providers/v1/aws.go, ServiceAnnotationLoadBalancerSubnets (\"comma separated list of subnetID or subnetName " +
    "from different AZs\"); getLoadBalancerSubnets: the annotation, when present, is resolved by resolveSubnetNameOrIDs (DescribeSubnets by id) " +
    "instead of findELBSubnets(internalELB) (tag discovery); first in tag v1.21.0 (absent in v1.20.0); " +
    "ServiceAnnotationLoadBalancerPrivateIPv4Addresses first in v1.35.0 (absent in v1.34.0). Read at commit 63ec440c3275321b55afa45480e2fdfd2b0e93c4.",
};

/**
 * Connections that come through an interface endpoint (AWS PrivateLink) reach the targets from the NLB's own private
 * address in the subnet it sits in, whatever client IP preservation says: the entry point sees the load balancer's
 * subnets as its source, never the consumer's address.
 */
export const PRIVATELINK_SOURCE_IS_NLB_ADDRESS: Fact<{ sourceIsLoadBalancerSubnet: true }> = {
  value: { sourceIsLoadBalancerSubnet: true },
  source:
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html, Client IP preservation, " +
    "Requirements and considerations: \"Client IP preservation has no effect on inbound traffic from AWS PrivateLink. The source IP of the " +
    "AWS PrivateLink traffic is always the private IP address of the Network Load Balancer.\"",
};

/**
 * The node security group rules the controller writes for an NLB: client traffic from the Service's
 * loadBalancerSourceRanges (0.0.0.0/0 when none), health checks from the load balancer's own subnets' ranges.
 * So PrivateLink traffic (from the NLB's subnets) needs the subnets inside loadBalancerSourceRanges.
 */
export const NLB_NODE_SECURITY_GROUP_RULES: Fact<{ clientFrom: "loadBalancerSourceRanges"; healthCheckFrom: "loadBalancerSubnets" }> = {
  value: { clientFrom: "loadBalancerSourceRanges", healthCheckFrom: "loadBalancerSubnets" },
  source:
    "kubernetes/cloud-provider-aws pkg/providers/v1/aws.go EnsureLoadBalancer (subnetCidrs of the NLB's AvailabilityZones, sourceRangeCidrs " +
    "from loadBalancerSourceRanges) -> pkg/providers/v1/aws_loadbalancer.go updateInstanceSecurityGroupsForNLB (clientRuleAnnotation on " +
    "clientCIDRs, healthRuleAnnotation on subnetCIDRs)",
};
