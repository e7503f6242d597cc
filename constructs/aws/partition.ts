import type { IConstruct } from "constructs";
import { TerraformStack } from "cdktf";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";

const ID = "Partition";

/**
 * The AWS partition (aws, aws-cn, aws-us-gov) of the stack holding `scope`, read once per stack,
 * so ARNs of AWS-managed policies are right in every partition.
 */
export function partitionOf(scope: IConstruct): string {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(ID);
  const data = existing instanceof DataAwsPartition ? existing : new DataAwsPartition(stack, ID);
  return data.partition;
}

/** ARN of an AWS-managed IAM policy, e.g. `awsManagedPolicyArn(this, "AmazonEKSClusterPolicy")`. */
export function awsManagedPolicyArn(scope: IConstruct, policyName: string): string {
  return `arn:${partitionOf(scope)}:iam::aws:policy/${policyName}`;
}
