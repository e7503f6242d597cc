import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { awsManagedPolicyArn } from "../../constructs/aws/partition";

/** The issuer of GitHub Actions OIDC tokens, without the scheme (the IAM condition key prefix). */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

const SUBJECT = /^repo:[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+:(pull_request|environment:[A-Za-z0-9_.-]+|ref:refs\/heads\/[A-Za-z0-9_./-]+)$/;

/** Props of {@link GitHubDeployRole}. */
export interface GitHubDeployRoleProps {
  /** IAM role name. */
  readonly roleName: string;
  /** ARN of the account's IAM OIDC provider for token.actions.githubusercontent.com. */
  readonly oidcProviderArn: string;
  /**
   * The exact OIDC subjects allowed to assume the role, e.g. `repo:acme/platform:environment:acme-prod`.
   * Wildcards are refused: a `*` would let any branch, fork workflow or environment in.
   */
  readonly subjects: readonly string[];
  /**
   * AWS-managed policy names attached to the role, e.g. "ReadOnlyAccess".
   * @default - none
   */
  readonly awsManagedPolicies?: readonly string[];
  /**
   * Inline statements (e.g. explicit denies that narrow a managed policy).
   * @default - none
   */
  readonly statements?: readonly DataAwsIamPolicyDocumentStatement[];
  /**
   * Longest session a job may request, in seconds (a first EKS apply takes well over an hour).
   * @default 3600
   */
  readonly maxSessionDurationSeconds?: number;
}

/**
 * An IAM role that GitHub Actions assumes by OIDC federation (no access keys): only tokens issued
 * for STS (`aud` sts.amazonaws.com) to the listed subjects (`sub`, matched exactly) are accepted.
 */
export class GitHubDeployRole extends Construct {
  /** The role. */
  readonly resource: IamRole;
  /** Role ARN (a token): the value of the `<KEY>_AWS_PLAN_ROLE_ARN` / `AWS_APPLY_ROLE_ARN` variables. */
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: GitHubDeployRoleProps) {
    super(scope, id);
    const bad = props.subjects.filter((s) => !SUBJECT.test(s));
    if (props.subjects.length === 0 || bad.length > 0) {
      throw new Error(`GitHubDeployRole ${this.node.path}: subjects must be exact GitHub OIDC subjects without wildcards, e.g. repo:acme/platform:environment:acme-prod${bad.length ? `; got ${bad.join(", ")}` : ""}`);
    }
    const trust = new DataAwsIamPolicyDocument(this, "TrustPolicy", {
      statement: [
        {
          effect: "Allow",
          actions: ["sts:AssumeRoleWithWebIdentity"],
          principals: [{ type: "Federated", identifiers: [props.oidcProviderArn] }],
          condition: [
            { test: "StringEquals", variable: `${GITHUB_OIDC_HOST}:aud`, values: ["sts.amazonaws.com"] },
            { test: "StringEquals", variable: `${GITHUB_OIDC_HOST}:sub`, values: [...props.subjects] },
          ],
        },
      ],
    });
    this.resource = new IamRole(this, "Resource", {
      name: props.roleName,
      assumeRolePolicy: trust.json,
      maxSessionDuration: props.maxSessionDurationSeconds ?? 3600,
    });
    this.roleArn = this.resource.arn;
    if (props.statements && props.statements.length > 0) {
      const permissions = new DataAwsIamPolicyDocument(this, "PermissionsPolicy", { statement: [...props.statements] });
      new IamRolePolicy(this, "Permissions", { name: "permissions", role: this.resource.name, policy: permissions.json });
    }
    for (const name of props.awsManagedPolicies ?? []) {
      new IamRolePolicyAttachment(this, name, { role: this.resource.name, policyArn: awsManagedPolicyArn(this, name) });
    }
  }
}
