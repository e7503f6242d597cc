import { Construct } from "constructs";
import { Fn } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { awsManagedPolicyArn } from "./partition";

/** A Kubernetes service account: `system:serviceaccount:<namespace>:<serviceAccount>`. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** Props of {@link IrsaRole}. */
export interface IrsaRoleProps {
  /** IAM role name. */
  readonly roleName: string;
  /** ARN of the cluster's IAM OIDC provider. */
  readonly oidcProviderArn: string;
  /** The cluster's OIDC issuer URL (https://oidc.eks...). */
  readonly oidcIssuerUrl: string;
  /** The only service accounts allowed to assume the role (at least one). */
  readonly subjects: readonly ServiceAccountRef[];
  /**
   * Inline permissions of the role.
   * @default - none
   */
  readonly statements?: readonly DataAwsIamPolicyDocumentStatement[];
  /**
   * AWS-managed policy names attached to the role, e.g. "AmazonEBSCSIDriverPolicy".
   * @default - none
   */
  readonly awsManagedPolicies?: readonly string[];
}

/**
 * An IAM role for service accounts (IRSA): assumable with a web identity token of the cluster's OIDC
 * issuer only by the listed service accounts (`sub`) and only for STS (`aud` sts.amazonaws.com).
 */
export class IrsaRole extends Construct {
  /** The role. */
  readonly resource: IamRole;
  /** Role ARN (a token): the value of the eks.amazonaws.com/role-arn annotation. */
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: IrsaRoleProps) {
    super(scope, id);
    if (props.subjects.length === 0) throw new Error(`IrsaRole ${this.node.path}: give at least one service account subject`);
    const issuer = Fn.replace(props.oidcIssuerUrl, "https://", "");
    const trust = new DataAwsIamPolicyDocument(this, "TrustPolicy", {
      statement: [
        {
          effect: "Allow",
          actions: ["sts:AssumeRoleWithWebIdentity"],
          principals: [{ type: "Federated", identifiers: [props.oidcProviderArn] }],
          condition: [
            {
              test: "StringEquals",
              variable: `${issuer}:sub`,
              values: props.subjects.map((s) => `system:serviceaccount:${s.namespace}:${s.serviceAccount}`),
            },
            { test: "StringEquals", variable: `${issuer}:aud`, values: ["sts.amazonaws.com"] },
          ],
        },
      ],
    });
    this.resource = new IamRole(this, "Resource", { name: props.roleName, assumeRolePolicy: trust.json });
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
