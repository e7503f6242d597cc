import { firstHost } from "../../lib/cidr";
import type { CloudEgress } from "../../platform/platform-foundation";

/**
 * How a pod reaches the API server on EKS, as the VPC CNI's policy agent sees it:
 * - in-cluster clients call `https://kubernetes.default.svc`, the `kubernetes` Service, whose ClusterIP is
 *   the first address of the service range (kubernetes/kubernetes pkg/controlplane/services.go: the API
 *   server's service IP is the first IP of --service-cluster-ip-range);
 * - the agent enforces in eBPF on the pod's interface, before kube-proxy translates a ClusterIP to an
 *   endpoint, so a rule must name the ClusterIP itself (the policy controller adds Services' ClusterIPs to a
 *   PolicyEndpoint for the same reason: aws/amazon-network-policy-controller-k8s#222);
 * - the endpoints behind it are the control plane's ENIs in the private subnets (network-reqs, below).
 */
export const EKS_API_SERVER_FACTS = {
  serviceIpIsFirstOfRange: "kubernetes/kubernetes pkg/controlplane/services.go (ServiceIPRange: the kubernetes Service takes the first IP)",
  enforcedBeforeServiceTranslation: "aws/amazon-network-policy-controller-k8s issue #222 (ClusterIPs must be in the PolicyEndpoint: the eBPF programs see the ClusterIP)",
} as const;

/**
 * Where pods on EKS reach the AWS APIs the platform calls, and how their NetworkPolicies can name them.
 *
 * The VPC CNI's network policy agent enforces Kubernetes NetworkPolicy only: ipBlocks, no host names
 * (aws/aws-network-policy-agent; docs.aws.amazon.com/eks/latest/userguide/cni-network-policy.html). So every
 * AWS API a pod calls is reached through an interface VPC endpoint with private DNS (vpc-endpoints.ts):
 * its regional name resolves to the endpoint's addresses in the private subnets, and the pods may open 443
 * to those subnets and nowhere else. The EKS API server's ENIs are in the same subnets (eks-cluster.ts).
 * Host names are listed for reading and for the tests; they are not what the policy enforces here.
 */
export function awsCloudEgress(region: string, privateSubnetCidrs: readonly string[], serviceCidr: string, apiServerCidrs: readonly string[] = privateSubnetCidrs): CloudEgress {
  // An existing VPC may hold its interface endpoints elsewhere than the cluster's subnets (aws.existingNetwork.endpointCidrs).
  const endpoints = [...privateSubnetCidrs];
  return {
    fqdnPolicy: "none",
    cloudKms: {
      hosts: [`kms.${region}.amazonaws.com`],
      cidrs: endpoints,
      source: "docs.aws.amazon.com/general/latest/gr/kms.html (kms.<region>.amazonaws.com); the kms interface endpoint in the private subnets",
    },
    objectStorage: {
      hosts: [`s3.${region}.amazonaws.com`, `*.s3.${region}.amazonaws.com`],
      cidrs: endpoints,
      source: "docs.aws.amazon.com/general/latest/gr/s3.html (s3.<region>.amazonaws.com, virtual-hosted bucket names); the S3 interface endpoint (private DNS for all resolvers) in the private subnets",
    },
    workloadIdentity: {
      // IRSA: the pod identity webhook sets AWS_STS_REGIONAL_ENDPOINTS=regional, so SDKs call the regional STS.
      hosts: [`sts.${region}.amazonaws.com`],
      cidrs: endpoints,
      source: "aws/amazon-eks-pod-identity-webhook (AWS_STS_REGIONAL_ENDPOINTS=regional); the sts interface endpoint in the private subnets",
    },
    kubernetesApi: {
      hosts: [],
      // The kubernetes Service's ClusterIP (what clients dial) and the ENIs behind it (EKS_API_SERVER_FACTS).
      cidrs: [firstHost(serviceCidr), ...apiServerCidrs],
      source: `docs.aws.amazon.com/eks/latest/userguide/network-reqs.html (the cluster's ENIs are created in the subnets given at creation: the private ones); ${EKS_API_SERVER_FACTS.serviceIpIsFirstOfRange}; ${EKS_API_SERVER_FACTS.enforcedBeforeServiceTranslation}`,
    },
  };
}
