import { Construct } from "constructs";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IAM_QUOTAS, packPolicies } from "./aws-deploy-policy";

/** Props of {@link AwsDeployPolicies}. */
export interface AwsDeployPoliciesProps {
  /** Name of the role the policies are attached to. */
  readonly roleName: string;
  /** Policy name prefix, e.g. `acme-prod-github-apply`; policies are `<prefix>-1`, `<prefix>-2`, ... */
  readonly policyNamePrefix: string;
  /** The statements, packed into as few customer managed policies as IAM's size quota allows. */
  readonly statements: readonly DataAwsIamPolicyDocumentStatement[];
}

/**
 * A deploy identity's permissions as customer managed policies attached to its role: the statements
 * packed under IAM's 6,144-character policy quota, at most 10 policies (IAM's default per role).
 */
export class AwsDeployPolicies extends Construct {
  /** The policies, in order. */
  readonly policies: IamPolicy[];

  constructor(scope: Construct, id: string, props: AwsDeployPoliciesProps) {
    super(scope, id);
    const packs = packPolicies(props.statements);
    if (packs.length > IAM_QUOTAS.managedPoliciesPerRole) {
      throw new Error(`${this.node.path}: ${packs.length} managed policies exceed IAM's ${IAM_QUOTAS.managedPoliciesPerRole} per role (${IAM_QUOTAS.source})`);
    }
    this.policies = packs.map((statement, i) => {
      const n = i + 1;
      const document = new DataAwsIamPolicyDocument(this, `Document${n}`, { statement });
      const policy = new IamPolicy(this, `Policy${n}`, { name: `${props.policyNamePrefix}-${n}`, policy: document.json, description: `Deploy permissions derived from the synthesized stacks (${n}/${packs.length})` });
      new IamRolePolicyAttachment(this, `Attachment${n}`, { role: props.roleName, policyArn: policy.arn });
      return policy;
    });
  }
}
