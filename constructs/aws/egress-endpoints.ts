import type { CloudEgress } from "../../stacks/platform-foundation";

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
export function awsCloudEgress(region: string, privateSubnetCidrs: readonly string[]): CloudEgress {
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
      cidrs: endpoints,
      source: "docs.aws.amazon.com/eks/latest/userguide/network-reqs.html (the cluster's ENIs are created in the subnets given at creation: the private ones)",
    },
  };
}
