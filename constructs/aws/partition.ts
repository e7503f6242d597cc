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

/**
 * The IAM paths of the AWS managed policies the deployment attaches that are not at the root, as IAM lists them
 * (ListPolicies `Arn`: arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy; the list mirrored in
 * zoph-io/MAMIP policies-list.json, commit 0387244e53a3dbe038810ef3463489c2c6836f06). Every other one used here is at `/`.
 */
export const AWS_MANAGED_POLICY_PATHS: Readonly<Record<string, string>> = { AmazonEBSCSIDriverPolicy: "service-role/" };

/** ARN of an AWS-managed IAM policy, its IAM path included, e.g. `awsManagedPolicyArn(this, "AmazonEKSClusterPolicy")`. */
export function awsManagedPolicyArn(scope: IConstruct, policyName: string): string {
  return `arn:${partitionOf(scope)}:iam::aws:policy/${AWS_MANAGED_POLICY_PATHS[policyName] ?? ""}${policyName}`;
}
