/**
 * On which resource types IAM authorizes each EKS and CloudWatch Logs write action the apply role is granted, and
 * the ARN format of each type, as the Service Authorization Reference lists them (its "Resource types" column:
 * `type*` is required, `type` optional, `""` none, i.e. Resource "*"). The apply role's EKS and Logs statements
 * are built from these facts (aws-deploy-policy.ts) and checked against them by
 * __tests__/delivery/deploy-scoping.test.ts: a statement naming a resource type the action does not list never
 * matches, and one missing a required type denies the request.
 *
 * Read from the reference pages (2026; cross-checked against the machine-readable copy in iann0036/iam-dataset,
 * aws/iam_definition.json). Only the actions the deployment's synthesized types map to (permission-facts.ts).
 */
import { resourceTypeOf, type SynthesizedStatement } from "./aws-condition-facts";
import { EC2_ACTION_FACTS, EC2_ARN_FORMATS, EC2_SAR } from "./aws-ec2-facts";

/** The resource types one action is authorized on. */
export interface ActionResourceFact {
  /** SAR resource types; a trailing `*` marks a required one; `""` is an action without a resource type. */
  readonly resourceTypes: readonly string[];
  readonly source: string;
}

const SAR = (service: string) => `https://docs.aws.amazon.com/service-authorization/latest/reference/list_${service}.html`;
const EKS = SAR("amazonelastickubernetesservice");
const LOGS = SAR("amazoncloudwatchlogs");

const eks = (...resourceTypes: string[]): ActionResourceFact => ({ resourceTypes, source: EKS });
const logs = (...resourceTypes: string[]): ActionResourceFact => ({ resourceTypes, source: LOGS });

export const AWS_ACTION_RESOURCES: Readonly<Record<string, ActionResourceFact>> = {
  // A cluster does not exist before CreateCluster: no resource type (its tags are conditioned instead, aws-condition-facts.ts).
  "eks:CreateCluster": eks(""),
  "eks:DeleteCluster": eks("cluster*"),
  "eks:UpdateClusterConfig": eks("cluster*"),
  "eks:UpdateClusterVersion": eks("cluster*"),
  "eks:AssociateEncryptionConfig": eks("cluster*"),
  // Node groups, add-ons and access entries are created "on" their cluster.
  "eks:CreateNodegroup": eks("cluster*"),
  "eks:DeleteNodegroup": eks("nodegroup*"),
  "eks:UpdateNodegroupConfig": eks("nodegroup*"),
  "eks:UpdateNodegroupVersion": eks("nodegroup*"),
  "eks:CreateAddon": eks("cluster*", "podidentityassociation"),
  "eks:UpdateAddon": eks("addon*", "podidentityassociation"),
  "eks:DeleteAddon": eks("addon*", "podidentityassociation"),
  "eks:CreateAccessEntry": eks("cluster*"),
  "eks:UpdateAccessEntry": eks("access-entry*"),
  "eks:DeleteAccessEntry": eks("access-entry*"),
  "eks:AssociateAccessPolicy": eks("access-entry*"),
  "eks:DisassociateAccessPolicy": eks("access-entry*"),
  "eks:TagResource": eks("access-entry", "addon", "capability", "cluster", "dashboard", "eks-anywhere-subscription", "fargateprofile", "identityproviderconfig", "nodegroup", "podidentityassociation"),
  "eks:UntagResource": eks("access-entry", "addon", "capability", "cluster", "dashboard", "eks-anywhere-subscription", "fargateprofile", "identityproviderconfig", "nodegroup", "podidentityassociation"),
  "logs:CreateLogGroup": logs("log-group*"),
  "logs:DeleteLogGroup": logs("log-group*"),
  "logs:PutRetentionPolicy": logs("log-group*"),
  "logs:DeleteRetentionPolicy": logs("log-group*"),
  "logs:AssociateKmsKey": logs("log-group*"),
  "logs:DisassociateKmsKey": logs("log-group*"),
  "logs:TagLogGroup": logs("log-group*"),
  "logs:UntagLogGroup": logs("log-group*"),
  "logs:TagResource": logs("anomaly-detector", "delivery", "delivery-destination", "delivery-source", "destination", "log-group", "lookup-table", "scheduled-query"),
  "logs:UntagResource": logs("anomaly-detector", "delivery", "delivery-destination", "delivery-source", "destination", "log-group", "lookup-table", "scheduled-query"),
  // "Permission only" actions of the vended-logs delivery (the flow log's delivery to CloudWatch Logs): no resource type.
  "logs:CreateLogDelivery": logs(""),
  "logs:DeleteLogDelivery": logs(""),
  // EC2: the sibling table (aws-ec2-facts.ts), with each type's condition keys.
  ...Object.fromEntries(Object.entries(EC2_ACTION_FACTS).map(([a, f]) => [a, { resourceTypes: Object.keys(f.resourceTypes), source: EC2_SAR }])),
};

/** The ARN format of each resource type used here, as the reference's "Resource types" table gives it. */
export const AWS_ARN_FORMATS: Readonly<Record<string, { readonly arn: string; readonly source: string }>> = {
  "eks:cluster": { arn: "arn:${Partition}:eks:${Region}:${Account}:cluster/${ClusterName}", source: EKS },
  "eks:nodegroup": { arn: "arn:${Partition}:eks:${Region}:${Account}:nodegroup/${ClusterName}/${NodegroupName}/${UUID}", source: EKS },
  "eks:addon": { arn: "arn:${Partition}:eks:${Region}:${Account}:addon/${ClusterName}/${AddonName}/${UUID}", source: EKS },
  "eks:access-entry": { arn: "arn:${Partition}:eks:${Region}:${Account}:access-entry/${ClusterName}/${IamIdentityType}/${IamIdentityAccountID}/${IamIdentityName}/${UUID}", source: EKS },
  "eks:podidentityassociation": { arn: "arn:${Partition}:eks:${Region}:${Account}:podidentityassociation/${ClusterName}/${UUID}", source: EKS },
  "logs:log-group": { arn: "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}", source: LOGS },
  ...Object.fromEntries(Object.entries(EC2_ARN_FORMATS).map(([t, f]) => [`ec2:${t}`, f])),
};

/**
 * IAM authorizes most CloudWatch Logs actions on the log group's ARN with a trailing `:*`, and only TagResource,
 * UntagResource and ListTagsForResource on the ARN without it: a statement must name both forms.
 */
export const LOG_GROUP_ARN_FORMS = {
  withoutSuffix: ["logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"],
  suffix: ":*",
  source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_LogGroup.html (arn: trailing :*, for most actions; logGroupArn: without, for the tagging actions)",
} as const;

/**
 * The Terraform types that create each resource type of the deployment, and so the resource types the apply role's
 * EKS and Logs writes are scoped to. None creates an EKS Pod Identity association (no aws_eks_pod_identity_association,
 * no add-on's pod_identity_association: the add-ons use IRSA), so that optional type is never granted.
 */
export const DEPLOYMENT_RESOURCE_TYPES: Readonly<Record<string, string>> = {
  "eks:cluster": "aws_eks_cluster",
  "eks:nodegroup": "aws_eks_node_group",
  "eks:addon": "aws_eks_addon",
  "eks:access-entry": "aws_eks_access_entry",
  "logs:log-group": "aws_cloudwatch_log_group",
};

/** The SAR resource type names of an action, without the required marker. */
export function resourceTypesOf(action: string): string[] {
  const fact = AWS_ACTION_RESOURCES[action];
  if (!fact) throw new Error(`${action} has no resource-type facts: add its Service Authorization Reference entry to stacks/bootstrap/aws-resource-facts.ts`);
  return fact.resourceTypes.map((t) => t.replace(/\*$/, ""));
}

/** The required resource types of an action (every one must be allowed for the request to be). */
export function requiredResourceTypesOf(action: string): string[] {
  return (AWS_ACTION_RESOURCES[action]?.resourceTypes ?? []).filter((t) => t.endsWith("*")).map((t) => t.slice(0, -1));
}

/**
 * Why a statement's resources do not authorize its actions as written: a resource of a type the action is not
 * authorized on (never matches), or a required resource type of the action no resource names (the request is
 * denied). Empty when every (action, resource) agrees with AWS_ACTION_RESOURCES; statements of other services
 * and on `*` are not checked here.
 */
export function resourceTypeProblems(st: SynthesizedStatement): string[] {
  const problems: string[] = [];
  const resources = st.resources ?? [];
  if (resources.length === 0 || resources.includes("*")) return problems;
  const types = resources.map(resourceTypeOf);
  for (const action of (st.actions ?? []).filter((a) => AWS_ACTION_RESOURCES[a])) {
    const listed = resourceTypesOf(action);
    types.forEach((t, i) => {
      if (!listed.includes(t)) problems.push(`${st.sid}: ${action} is not authorized on ${t || "*"} resources (${resources[i]}; ${AWS_ACTION_RESOURCES[action].source})`);
    });
    for (const required of requiredResourceTypesOf(action)) {
      if (!types.includes(required)) problems.push(`${st.sid}: ${action} requires a ${required} resource, which the statement does not name (${AWS_ACTION_RESOURCES[action].source})`);
    }
  }
  return problems;
}
