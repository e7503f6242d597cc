import type { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { idOf } from "../../lib/construct-id";
import { DEPLOYMENT_RESOURCE_TYPES, LOG_GROUP_ARN_FORMS, requiredResourceTypesOf, resourceTypesOf } from "./aws-resource-facts";
import { EC2_ACTION_FACTS, EC2_CREATIONS } from "./aws-ec2-facts";

/**
 * IAM quotas the deploy policies must fit (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
 * a customer managed policy is at most 6,144 characters (whitespace not counted), and a role has at most
 * 10 managed policies attached by default.
 */
export const IAM_QUOTAS = { managedPolicyChars: 6_144, managedPoliciesPerRole: 10, source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html" } as const;

/**
 * Service-linked roles the stacks' services create on first use, and so the only ones the apply role may create
 * (https://docs.aws.amazon.com/eks/latest/userguide/using-service-linked-roles.html). `iam:AWSServiceName` is the
 * condition key IAM documents for iam:CreateServiceLinkedRole.
 */
export const SERVICE_LINKED_ROLES = ["eks.amazonaws.com", "eks-nodegroup.amazonaws.com"] as const;

/** Where the deployment's own resources are, by name: every role and bucket of the cloud stack starts with `<name>-`. */
export interface AwsDeployScope {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  readonly name: string;
  /** The Route 53 zone the deployment writes its one record in (domain.dnsZone). @default - no zone: no record write */
  readonly dnsZone?: { readonly hostedZoneId: string; readonly recordName: string };
  /**
   * The deployment's IAM roles (read from its built stacks), each with its permissions boundary and the AWS managed
   * policies it attaches: the IAM role grants name these roles and no other. @default - none: an IAM role action is refused
   */
  readonly roles?: readonly DeployRole[];
  /**
   * The deployment's bucket and KMS alias names, exactly (read from its built stacks, aws-role-boundary.ts): the S3
   * and alias grants name these and no other, so a deployment whose name prefixes another's reaches none of the
   * other's. @default - none: an S3 or alias action is refused
   */
  readonly names?: { readonly buckets: readonly string[]; readonly aliases: readonly string[] };
  /**
   * The existing VPC and subnets the deployment creates resources in (aws.existingNetwork), by id: the only untagged
   * EC2 resources a creating request of the apply role may name as its parent. @default - none: a created network
   */
  readonly existingNetwork?: { readonly vpcId: string; readonly subnetIds: readonly string[] };
}

/** One IAM role of the deployment, as the deploy policies name it. */
export interface DeployRole {
  readonly name: string;
  /** Its permissions boundary's ARN (constructs/aws/role-boundary.ts). */
  readonly boundaryArn: string;
  /** The ARNs of the AWS managed policies it attaches. */
  readonly managedPolicyArns: readonly string[];
  /**
   * The services the deployment passes it to (iam:PassedToService), one per attribute that passes it; `undefined` where
   * no source states the service (the pass is then unconditioned). Empty: nothing passes it, so no iam:PassRole.
   */
  readonly passedTo: readonly (string | undefined)[];
}

/**
 * The role writes IAM authorizes with the boundary the role has, or will have after the request
 * (iam:PermissionsBoundary, aws-condition-facts.ts): the apply role may make them only with the role's own boundary.
 * The pattern of https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html (delegating
 * responsibility: "CreateOrChangeOnlyWithBoundary").
 */
export const BOUNDED_ROLE_WRITES = ["iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"] as const;

/**
 * What the CI apply role may never do to a role, whatever it is granted (DenyTrustChanges, aws-state-stack.ts): give an
 * existing role a new trust policy, or delete one (and create it again with any trust). Either would let a pipeline make
 * a deployment role trust a principal outside the account, access that outlives the pipeline; its permissions stay
 * within the role's boundary, and that still reaches the deployment's backups and keys. The trusts name the cluster's
 * OIDC provider and service accounts, so they change only when the cluster is replaced, a role is removed or a
 * release renames a service account: an administrator applies those (the CI trust guard, scripts/trust-guard.ts,
 * refuses such a plan in the pull request). CreateRole stays: a role that does not exist yet is created with its trust.
 */
export const TRUST_CHANGE_ACTIONS = ["iam:DeleteRole", "iam:UpdateAssumeRolePolicy"] as const;

/**
 * What the CI apply role may never do to an alias (DenyAliasChanges, aws-state-stack.ts): point it at another key or
 * delete it (and create it again on another key). The deployment's keys are reached by their aliases
 * (kms:ResourceAliases: its own writes, and the roles' boundaries, aws-role-boundary.ts), so moving an alias would move
 * those grants to any key of the account. An alias changes only when its key is replaced or removed: an administrator
 * applies that (the CI trust guard refuses such a plan, scripts/trust-guard.ts). CreateAlias stays, for the
 * deployment's exact alias names only.
 */
export const ALIAS_CHANGE_ACTIONS = ["kms:DeleteAlias", "kms:UpdateAlias"] as const;

/**
 * What the CI apply role may never do to a key after its creation (DenyKeyPolicyChanges, aws-state-stack.ts): write its
 * policy. A key policy decides who may use the key whatever IAM says, and it can name a principal of any account, so a
 * pipeline that could write one could hand a customer-managed key (the data, volumes or logs key) to someone outside
 * the account, access that outlives the pipeline. The aws provider sends a key's policy in CreateKey and calls
 * PutKeyPolicy only when a later plan changes the policy (hashicorp/terraform-provider-aws v5.100.0,
 * internal/service/kms/key.go: resourceKeyCreate sets CreateKeyInput.Policy; resourceKeyUpdate calls updateKeyPolicy
 * only on d.HasChange("policy")): a new key gets its policy from CI, a changed one (a release that changes what a
 * service's key policy says, service-key-policies.ts) is an administrator's apply (the CI trust guard refuses such a
 * plan, scripts/trust-guard.ts).
 */
export const KEY_POLICY_CHANGE_ACTIONS = ["kms:PutKeyPolicy"] as const;

/**
 * The tag every AWS object of the deployment carries (the aws providers' default_tags: `deployment: <name>`): a new key
 * and a new cluster are created only with it in the request. Writes to existing keys are conditioned on the keys'
 * aliases instead (KEY_ALIAS_CONDITION), since any untagged key could be tagged. The bootstrap's own state key carries
 * the tag too: the apply role is denied every KMS write on that key explicitly (aws-state-stack.ts).
 */
export const DEPLOYMENT_TAG = "deployment";

/**
 * "It might take up to five minutes for tag and alias changes to affect KMS key authorization"
 * (https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html): the actions the aws provider calls
 * right after CreateKey (EnableKeyRotation in kms/key.go's create; CreateAlias in kms/alias.go; EKS's CreateGrant)
 * are therefore not conditioned on the new key's tags.
 */
export const KMS_TAG_AUTHORIZATION_LAG = { minutes: 5, source: "https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html" } as const;

/** KMS write actions that act on an alias as well as a key (both ARNs are authorized). */
const KMS_ALIAS_ACTIONS = new Set(["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"]);

const OIDC_ACTION = /^iam:.*OpenIDConnectProvider/;

/**
 * The log groups of a deployment, as IAM resource patterns of their names: the EKS control plane's
 * `/aws/eks/<cluster>/cluster` (constructs/aws/eks-cluster.ts), the container logs' `/aws/containerinsights/<cluster>/...`
 * (container-logs.ts) and the flow logs' `/aws/vpc-flow-logs/<name>` (vpc-flow-logs.ts). A `/`-terminated prefix
 * cannot reach another deployment's groups; the flow logs' exact name is listed with the `:*` form IAM
 * authorizes most Logs actions on (LOG_GROUP_ARN_FORMS).
 */
export function deploymentLogGroupPatterns(name: string): string[] {
  const flowLogs = `/aws/vpc-flow-logs/${name}`;
  return [`/aws/eks/${name}/*`, `/aws/containerinsights/${name}/*`, flowLogs, `${flowLogs}${LOG_GROUP_ARN_FORMS.suffix}`];
}

/**
 * The deployment's own ARNs of each resource type its EKS and CloudWatch Logs writes act on
 * (DEPLOYMENT_RESOURCE_TYPES, formats in AWS_ARN_FORMATS). The cluster is named as the deployment
 * (stacks/aws-stack.ts); its node groups, add-ons and access entries carry the cluster's name in their ARNs.
 */
export function deploymentArns(s: AwsDeployScope): Readonly<Record<string, readonly string[]>> {
  const eks = `arn:${s.partition}:eks:${s.region}:${s.account}`;
  return {
    "eks:cluster": [`${eks}:cluster/${s.name}`],
    "eks:nodegroup": [`${eks}:nodegroup/${s.name}/*`],
    "eks:addon": [`${eks}:addon/${s.name}/*`],
    "eks:access-entry": [`${eks}:access-entry/${s.name}/*`],
    "logs:log-group": deploymentLogGroupPatterns(s.name).map((n) => `arn:${s.partition}:logs:${s.region}:${s.account}:log-group:${n}`),
  };
}

/** Statement ids of the EKS and Logs groups, by the resource types they name. */
const RESOURCE_TYPE_SIDS: Readonly<Record<string, string>> = {
  "eks:cluster": "Cluster",
  "eks:nodegroup": "Nodegroups",
  "eks:addon": "Addons",
  "eks:access-entry": "AccessEntries",
  "logs:log-group": "DeploymentLogGroups",
};

/**
 * Where an EKS or CloudWatch Logs write action is allowed: the deployment's own ARNs of every resource type its
 * Service Authorization Reference entry lists (AWS_ACTION_RESOURCES), or `*` for an action without a resource type.
 * Refuses an action without facts, or one that requires a resource type the deployment has no ARN for.
 */
export function scopedResources(action: string, s: AwsDeployScope): { key: string; resources: string[] } {
  const service = action.split(":")[0];
  const types = resourceTypesOf(action);
  if (types.length === 1 && types[0] === "") return { key: "", resources: ["*"] };
  const own = deploymentArns(s);
  const missing = requiredResourceTypesOf(action).filter((t) => !own[`${service}:${t}`]);
  if (missing.length) throw new Error(`${action} requires ${missing.join(", ")} resources, which the deployment has no ARN for: extend deploymentArns (aws-deploy-policy.ts) and DEPLOYMENT_RESOURCE_TYPES`);
  const named = Object.keys(DEPLOYMENT_RESOURCE_TYPES).filter((k) => k.startsWith(`${service}:`) && types.includes(k.slice(service.length + 1)));
  return { key: named.map((k) => RESOURCE_TYPE_SIDS[k]).join(""), resources: named.flatMap((k) => own[k]) };
}

/**
 * Statements granting `actions`, grouped by service, each group on the narrowest resources IAM lets us
 * name here: the deployment's IAM roles by exact ARN (PassRole included; creation and policy writes only with each
 * role's own permissions boundary, iamRoleGrants), EKS OIDC providers of the region (writes only on the one tagged for the deployment, oidcProviderGrant), service-linked roles
 * only for EKS, its buckets and aliases by exact name, KMS keys by tag, the Route 53 record, the deployment's EKS cluster, node
 * groups, add-ons and access entries and its log groups by ARN (scopedResources). Every other action on `*`, in a
 * statement of its service. Never an action wildcard.
 *
 * EC2 writes by the deployment's tag (ec2DeployStatements): their resources get ids EC2 assigns at creation, so
 * the grants name each resource type in the deployment's region and account, and the condition does the rest.
 * Elastic Load Balancing: the apply role has no write (the stacks only read load balancers, data.aws_lbs;
 * Describe* take no resource type).
 */
export function awsDeployStatements(prefix: string, actions: readonly string[], s: AwsDeployScope): DataAwsIamPolicyDocumentStatement[] {
  const wild = actions.filter((a) => a.includes("*"));
  if (wild.length) throw new Error(`wildcard actions are refused in deploy policies: ${wild.join(", ")}`);
  const iam = `arn:${s.partition}:iam::${s.account}`;
  const kmsArn = `arn:${s.partition}:kms:${s.region}:${s.account}`;
  // Only the write identity's KMS actions are scoped by tag: the reads (DescribeKey, GetKeyPolicy, ...) stay readable
  // on every key, which data.aws_kms_key (the AWS managed aws/ebs key) needs.
  const scopeKms = prefix === "Write";
  const own = (action: string, kind: "buckets" | "aliases"): readonly string[] => {
    const names = s.names?.[kind] ?? [];
    if (names.length === 0) throw new Error(`${action} needs the deployment's ${kind} (AwsDeployScope.names): the grant names each, never a prefix`);
    return names;
  };
  const groups = new Map<string, { actions: string[]; resources: string[]; condition?: DataAwsIamPolicyDocumentStatement["condition"] }>();
  const add = (key: string, action: string, resources: string[], condition?: DataAwsIamPolicyDocumentStatement["condition"]) => {
    const g = groups.get(key) ?? { actions: [], resources, condition };
    g.actions.push(action);
    groups.set(key, g);
  };
  const ec2Writes: string[] = [];
  for (const a of [...actions].sort()) {
    const service = a.split(":")[0];
    if (a === "iam:CreateServiceLinkedRole") {
      add("IamServiceLinkedRoles", a, [`${iam}:role/aws-service-role/*`], [{ test: "StringEquals", variable: "iam:AWSServiceName", values: [...SERVICE_LINKED_ROLES] }]);
    } else if (OIDC_ACTION.test(a)) {
      const g = oidcProviderGrant(prefix, a, s, iam);
      add(g.key, a, g.resources, g.condition);
    } else if (a === "iam:GetPolicy") {
      // Preflight reads the roles' boundaries (they exist before the cloud stack is applied).
      add("IamRoleBoundaries", a, deployRoles(a, s).map((r) => r.boundaryArn));
    } else if (service === "iam") {
      iamRoleGrants(prefix, a, s, iam).forEach((g) => add(g.key, a, g.resources, g.condition));
    } else if (service === "s3") {
      add("S3DeploymentBuckets", a, own(a, "buckets").flatMap((b) => [`arn:${s.partition}:s3:::${b}`, `arn:${s.partition}:s3:::${b}/*`]));
    } else if (scopeKms && a === "kms:CreateKey") {
      // A new key only with the deployment's tag in the request (the provider sends default_tags in CreateKey).
      add("KmsCreateTaggedKeys", a, ["*"], [{ test: "StringEquals", variable: `aws:RequestTag/${DEPLOYMENT_TAG}`, values: [s.name] }]);
    } else if (scopeKms && a === "kms:CreateGrant") {
      // EKS creates the grant on the cluster's secrets key on the caller's behalf, seconds after the key exists.
      add("KmsGrantsForAwsServices", a, [`${kmsArn}:key/*`], [{ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }]);
    } else if (scopeKms && (a === "kms:EnableKeyRotation" || KMS_ALIAS_ACTIONS.has(a))) {
      // Called right after CreateKey, when the new key's tags may not authorize yet (KMS_TAG_AUTHORIZATION_LAG); harmless
      // on any key: rotation only turns on, and the alias side is limited to the deployment's own aliases by name.
      add("KmsRotationAndAliasTargets", a, [`${kmsArn}:key/*`]);
      if (KMS_ALIAS_ACTIONS.has(a)) add("KmsDeploymentAliases", a, own(a, "aliases").map((n) => `${kmsArn}:${n}`));
    } else if (scopeKms && service === "kms") {
      // Every other KMS write (key policy, disable, deletion, tags, description) only on the keys the deployment's aliases
      // name (KEY_ALIAS_CONDITION, aws-role-boundary.ts), not by tag: any untagged key of the account could be tagged.
      add("KmsDeploymentKeys", a, [`${kmsArn}:key/*`], [{ test: "ForAnyValue:StringEquals", variable: "kms:ResourceAliases", values: [...own(a, "aliases")] }]);
      // CreateKey with tags also authorizes kms:TagResource on the new key, whose tags are then only in the request.
      if (a === "kms:TagResource") add("KmsTagNewKeys", a, [`${kmsArn}:key/*`], [{ test: "StringEquals", variable: `aws:RequestTag/${DEPLOYMENT_TAG}`, values: [s.name] }]);
    } else if (scopeKms && a === "ec2:RunInstances") {
      // Only the launch check EKS makes for a node group's launch template: from a launch template of the account, in
      // the deployment's region (the pattern of https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/use-launch-template-permissions.html),
      // and only into the deployment's subnets behind its security groups (DenyLaunchOutside*, aws-state-stack.ts: a
      // request's own parameters override the template's).
      add("Ec2LaunchFromTemplates", a, ["*"], [
        { test: "ArnLike", variable: "ec2:LaunchTemplate", values: [`arn:${s.partition}:ec2:${s.region}:${s.account}:launch-template/*`] },
        { test: "StringEquals", variable: "aws:RequestedRegion", values: [s.region] },
      ]);
      // The node groups' launch templates tag the instances and volumes they launch (tag_specifications,
      // managed-node-group.ts): a launch with tags is also authorized as ec2:CreateTags on the new instance, volume and
      // interface, with ec2:CreateAction RunInstances (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
      // Only at launch: no existing instance, volume or interface is tagged.
      if (actions.includes("ec2:CreateTags")) {
        add("Ec2TagAtLaunch", "ec2:CreateTags", ["instance", "volume", "network-interface"].map((t) => `arn:${s.partition}:ec2:${s.region}:${s.account}:${t}/*`), [
          { test: "StringEquals", variable: "ec2:CreateAction", values: ["RunInstances"] },
        ]);
      }
    } else if (scopeKms && service === "ec2") {
      ec2Writes.push(a);
    } else if (scopeKms && a === "eks:CreateCluster") {
      // No resource type (the cluster does not exist yet): only a cluster requested with the deployment's tag (the
      // provider sends default_tags in CreateCluster, eks/cluster.go's resourceClusterCreate: Tags: getTagsIn(ctx)).
      add("EksCreateTaggedCluster", a, ["*"], [{ test: "StringEquals", variable: `aws:RequestTag/${DEPLOYMENT_TAG}`, values: [s.name] }]);
    } else if (scopeKms && (service === "eks" || service === "logs")) {
      // Refused without facts (resourceTypesOf); an action without a resource type (Resource "*" is the only form IAM
      // accepts for it) in its own statement.
      const scoped = scopedResources(a, s);
      add(`${idOf(service)}${scoped.key || "WithoutResourceType"}`, a, scoped.resources);
    } else if (s.dnsZone && a === "route53:ChangeResourceRecordSets") {
      // The one zone, and in it only the deployment's own name (Route 53 compares names lower case, without the final dot).
      add("Route53DeploymentRecord", a, [`arn:${s.partition}:route53:::hostedzone/${s.dnsZone.hostedZoneId}`], [
        { test: "ForAllValues:StringEquals", variable: "route53:ChangeResourceRecordSetsNormalizedRecordNames", values: [s.dnsZone.recordName.toLowerCase().replace(/\.$/, "")] },
      ]);
    } else if (s.dnsZone && a === "route53:GetChange") {
      add("Route53Changes", a, [`arn:${s.partition}:route53:::change/*`]);
    } else {
      add(idOf(service), a, ["*"]);
    }
  }
  return [
    ...[...groups.entries()].map(([key, g]) => ({
      sid: `${prefix}${key}`,
      effect: "Allow",
      actions: g.actions,
      resources: g.resources,
      ...(g.condition ? { condition: g.condition } : {}),
    })),
    ...ec2DeployStatements(prefix, ec2Writes, s),
  ];
}

type Condition = { test: string; variable: string; values: string[] };

/**
 * Where an OIDC provider action is granted: EKS clusters' providers in the deployment's region
 * (`oidc-provider/oidc.eks.<region>.amazonaws.com/id/*`; the issuer's id is EKS's, unknown before the cluster exists), the
 * reads on any of them, every write only on the one tagged `deployment: <name>` (aws:ResourceTag, which the
 * oidc-provider resource type supports: aws-condition-facts.ts), so no other deployment's or team's provider is deleted
 * or given another client id, thumbprint or tag. A tag write never gives `deployment` another value nor removes it.
 * CreateOpenIDConnectProvider only with `deployment: <name>` in the request (the provider sends its default_tags
 * there, OIDC_PROVIDER_CALLS); IAM also authorizes those tags as iam:TagOpenIDConnectProvider, which no condition key
 * limits to a creating request, so the new provider is not tagged by the apply role: creating it is an administrator's
 * apply (OIDC_TAG_ON_CREATE).
 */
function oidcProviderGrant(prefix: string, action: string, s: AwsDeployScope, iam: string): { key: string; resources: string[]; condition?: Condition[] } {
  const resources = [`${iam}:oidc-provider/oidc.eks.${s.region}.amazonaws.com/id/*`];
  if (prefix !== "Write") return { key: "IamClusterOidcProvider", resources };
  const tagged: Condition = { test: "StringEquals", variable: `aws:ResourceTag/${DEPLOYMENT_TAG}`, values: [s.name] };
  if (action === "iam:CreateOpenIDConnectProvider") return { key: "IamNewOidcProvider", resources, condition: [{ test: "StringEquals", variable: `aws:RequestTag/${DEPLOYMENT_TAG}`, values: [s.name] }] };
  if (action === "iam:TagOpenIDConnectProvider") return { key: "IamOidcProviderRetag", resources, condition: [tagged, { test: "StringEqualsIfExists", variable: `aws:RequestTag/${DEPLOYMENT_TAG}`, values: [s.name] }] };
  if (action === "iam:UntagOpenIDConnectProvider") return { key: "IamOidcProviderUntag", resources, condition: [tagged, { test: "ForAllValues:StringNotEquals", variable: "aws:TagKeys", values: [DEPLOYMENT_TAG] }] };
  return { key: "IamClusterOidcProvider", resources, condition: [tagged] };
}

/** The SAR resource types of an EC2 action (without the required marker); refused without facts. */
export function ec2ResourceTypesOf(action: string): string[] {
  const fact = EC2_ACTION_FACTS[action];
  if (!fact) throw new Error(`${action} has no resource-type facts: add its Service Authorization Reference entry to stacks/bootstrap/aws-ec2-facts.ts`);
  return Object.keys(fact.resourceTypes).map((t) => t.replace(/\*$/, ""));
}

/** The EC2 resource type each creating action creates (EC2_CREATIONS). */
export function ec2CreatedType(action: string): string | undefined {
  return Object.values(EC2_CREATIONS).find((c) => c.action === action)?.resourceType;
}

/**
 * The apply role's EC2 writes (but ec2:RunInstances, granted above), scoped by the deployment's tag, per the Service
 * Authorization Reference's resource types and condition keys for each action (aws-ec2-facts.ts). IAM authorizes an EC2
 * request on every resource in it, each against the statements on its own ARN (a statement naming a resource type the
 * action does not take never matches it):
 *  - a creating action (EC2_CREATIONS: the provider tags the new resource in that request) on the type it creates, only
 *    with `deployment: <name>` in the request (aws:RequestTag); grouped so that no statement names a type one of its
 *    actions takes as a parent, which the request tag would then let through;
 *  - every action, on the deployment's resource types, only where the resource carries `deployment: <name>`
 *    (aws:ResourceTag): the resource a modify, delete, rule, route or association acts on, and the parents a creating
 *    request names (a subnet's VPC, a NAT gateway's subnet and address, an endpoint's subnets, groups and route tables);
 *  - with aws.existingNetwork, creating actions also in the named VPC and subnets, by exact ARN (they do not carry the
 *    tag); no action that changes them (a modify, delete or association) reaches them;
 *  - ec2:CreateTags only in a creating request (ec2:CreateAction: no existing resource of the account, untagged ones
 *    included, is tagged into the deployment) and on resources already tagged `deployment: <name>` without giving that
 *    key another value; ec2:DeleteTags only on those, naming its keys (no key list deletes every tag), never `deployment`;
 *  - ec2:DisassociateAddress also on any network interface: the address is the deployment's (tag), the interface the
 *    one it is associated with.
 * The VPC's default security group is not adopted by CI (DEFAULT_SECURITY_GROUP_ADOPTION), nor a subnet handed back to
 * the VPC's default network ACL (DEFAULT_NETWORK_ACL_RELEASE): both are EC2's own untagged resources, which no condition
 * tells from any other untagged one of the account.
 */
export function ec2DeployStatements(prefix: string, actions: readonly string[], s: AwsDeployScope): DataAwsIamPolicyDocumentStatement[] {
  if (actions.length === 0) return [];
  const arn = (type: string) => `arn:${s.partition}:ec2:${s.region}:${s.account}:${type}/*`;
  const typesOf = (a: string) => ec2ResourceTypesOf(a);
  const tagged: Condition = { test: "StringEquals", variable: `aws:ResourceTag/${DEPLOYMENT_TAG}`, values: [s.name] };
  const requested: Condition = { test: "StringEquals", variable: `aws:RequestTag/${DEPLOYMENT_TAG}`, values: [s.name] };
  const tags = new Set(["ec2:CreateTags", "ec2:DeleteTags"]);
  const writes = [...actions].sort().filter((a) => !tags.has(a));
  writes.forEach(typesOf);
  const creating = writes.filter((a) => ec2CreatedType(a) !== undefined);
  const own = [...new Set(creating.map((a) => ec2CreatedType(a)!))].sort();
  const out: DataAwsIamPolicyDocumentStatement[] = [];
  const parentsOf = (a: string) => typesOf(a).filter((t) => t !== ec2CreatedType(a));
  // New resources by the request's tag, and the deployment's parents of them by theirs: grouped so that no statement names
  // a type one of its actions takes in the other role (a parent let through by the request's tag; a new resource, which
  // has no tags of its own yet, named where only a resource's own tag is read).
  const grouped = (entries: { action: string; types: string[]; avoid: string[] }[]) => {
    const groups: { actions: string[]; types: string[]; avoid: string[] }[] = [];
    for (const e of entries) {
      const g = groups.find((x) => !x.types.some((t) => e.avoid.includes(t)) && !e.types.some((t) => x.avoid.includes(t)));
      if (g) {
        g.actions.push(e.action);
        g.types = [...new Set([...g.types, ...e.types])].sort();
        g.avoid = [...new Set([...g.avoid, ...e.avoid])];
      } else groups.push({ actions: [e.action], types: [...e.types].sort(), avoid: [...e.avoid] });
    }
    return groups;
  };
  const numbered = <T>(list: T[], i: number) => (list.length > 1 ? `${i + 1}` : "");
  const made = grouped(creating.map((a) => ({ action: a, types: [ec2CreatedType(a)!], avoid: parentsOf(a) })));
  made.forEach((g, i) => out.push({ sid: `${prefix}Ec2NewTagged${numbered(made, i)}`, effect: "Allow", actions: g.actions, resources: g.types.map(arn), condition: [requested] }));
  const withParents = creating.map((a) => ({ action: a, types: parentsOf(a).filter((t) => own.includes(t)), avoid: [ec2CreatedType(a)!] })).filter((e) => e.types.length > 0);
  const parents = grouped(withParents);
  parents.forEach((g, i) => out.push({ sid: `${prefix}Ec2InDeploymentResources${numbered(parents, i)}`, effect: "Allow", actions: g.actions, resources: g.types.map(arn), condition: [tagged] }));
  // The deployment's own resources, acted on.
  const acting = writes.filter((a) => !creating.includes(a));
  const reached = own.filter((t) => acting.some((a) => typesOf(a).includes(t)));
  const unreached = acting.filter((a) => !typesOf(a).some((t) => own.includes(t)));
  if (unreached.length) throw new Error(`${unreached.join(", ")} act on no resource type the deployment creates (EC2_CREATIONS, aws-ec2-facts.ts): map the Terraform type that creates it`);
  if (acting.length) out.push({ sid: `${prefix}Ec2DeploymentResources`, effect: "Allow", actions: acting, resources: reached.map(arn), condition: [tagged] });
  // An existing network: the parent of new resources only.
  const net = s.existingNetwork;
  if (net) {
    const inNetwork = creating.filter((a) => typesOf(a).some((t) => (t === "vpc" || t === "subnet") && t !== ec2CreatedType(a)));
    const vpcArn = `arn:${s.partition}:ec2:${s.region}:${s.account}:vpc/${net.vpcId}`;
    const subnetArns = net.subnetIds.map((id) => `arn:${s.partition}:ec2:${s.region}:${s.account}:subnet/${id}`);
    const resources = [...(inNetwork.some((a) => typesOf(a).includes("vpc")) ? [vpcArn] : []), ...(inNetwork.some((a) => typesOf(a).includes("subnet")) ? subnetArns : [])];
    if (inNetwork.length) out.push({ sid: `${prefix}Ec2InExistingNetwork`, effect: "Allow", actions: inNetwork, resources });
  }
  if (actions.includes("ec2:CreateTags")) {
    const createActions = [...new Set(creating.map((a) => a.replace(/^ec2:/, "")))].sort();
    out.push({ sid: `${prefix}Ec2TagOnCreate`, effect: "Allow", actions: ["ec2:CreateTags"], resources: own.map(arn), condition: [{ test: "StringEquals", variable: "ec2:CreateAction", values: createActions }, requested] });
    out.push({ sid: `${prefix}Ec2Retag`, effect: "Allow", actions: ["ec2:CreateTags"], resources: own.map(arn), condition: [tagged, { test: "StringEqualsIfExists", variable: `aws:RequestTag/${DEPLOYMENT_TAG}`, values: [s.name] }] });
  }
  if (actions.includes("ec2:DeleteTags")) {
    out.push({
      sid: `${prefix}Ec2Untag`,
      effect: "Allow",
      actions: ["ec2:DeleteTags"],
      resources: own.map(arn),
      condition: [tagged, { test: "Null", variable: "aws:TagKeys", values: ["false"] }, { test: "ForAllValues:StringNotEquals", variable: "aws:TagKeys", values: [DEPLOYMENT_TAG] }],
    });
  }
  if (writes.includes("ec2:DisassociateAddress")) out.push({ sid: `${prefix}Ec2AddressInterfaces`, effect: "Allow", actions: ["ec2:DisassociateAddress"], resources: [arn("network-interface")] });
  return out;
}

/** The deployment's roles, refused when there are none for an IAM role action to name. */
function deployRoles(action: string, s: AwsDeployScope): readonly DeployRole[] {
  if (!s.roles?.length) throw new Error(`${action} needs the deployment's roles (AwsDeployScope.roles): the IAM grants name each role, never a prefix`);
  return s.roles;
}

/**
 * Where an IAM role action is granted: on the deployment's own roles by exact ARN (no prefix, so no role another
 * deployment or the customer named `<name>-...` is reached). The apply role's creating and policy writes only with
 * each role's own boundary, one statement per role, and an AWS managed policy attached only if it is one the role
 * attaches (iam:PolicyARN).
 */
function iamRoleGrants(prefix: string, action: string, s: AwsDeployScope, iam: string): { key: string; resources: string[]; condition?: DataAwsIamPolicyDocumentStatement["condition"] }[] {
  const roles = deployRoles(action, s);
  const arn = (r: DeployRole) => `${iam}:role/${r.name}`;
  const id = (r: DeployRole) => idOf(r.name.startsWith(`${s.name}-`) ? r.name.slice(s.name.length + 1) : r.name);
  const boundary = (r: DeployRole) => ({ test: "StringEquals", variable: "iam:PermissionsBoundary", values: [r.boundaryArn] });
  if (prefix === "Write" && (BOUNDED_ROLE_WRITES as readonly string[]).includes(action)) {
    return roles.map((r) => ({ key: `IamBounded${id(r)}`, resources: [arn(r)], condition: [boundary(r)] }));
  }
  if (prefix === "Write" && action === "iam:AttachRolePolicy") {
    return roles.filter((r) => r.managedPolicyArns.length).map((r) => ({
      key: `IamAttach${id(r)}`,
      resources: [arn(r)],
      condition: [boundary(r), { test: "StringEquals", variable: "iam:PolicyARN", values: [...r.managedPolicyArns] }],
    }));
  }
  if (action === "iam:PassRole") {
    // Only the roles a resource passes, each only to the service it is passed to where that is known.
    const passed = roles.filter((r) => r.passedTo.length > 0);
    const unconditioned = passed.filter((r) => r.passedTo.some((svc) => svc === undefined));
    const byService = new Map<string, DeployRole[]>();
    for (const r of passed.filter((x) => !unconditioned.includes(x))) {
      const key = [...new Set(r.passedTo as string[])].sort().join(",");
      byService.set(key, [...(byService.get(key) ?? []), r]);
    }
    return [
      ...[...byService.entries()].map(([services, rs]) => ({
        key: `IamPassTo${idOf(services)}`,
        resources: rs.map(arn),
        condition: [{ test: "StringEquals", variable: "iam:PassedToService", values: services.split(",") }],
      })),
      ...(unconditioned.length ? [{ key: "IamPassRoles", resources: unconditioned.map(arn) }] : []),
    ];
  }
  return [{ key: "IamDeploymentRoles", resources: roles.map(arn) }];
}

/** The IAM JSON of a statement, as IAM counts it (no whitespace), for sizing. */
export function iamJsonLength(statements: readonly DataAwsIamPolicyDocumentStatement[]): number {
  const json = {
    Version: "2012-10-17",
    Statement: statements.map((st) => ({
      Sid: st.sid,
      Effect: st.effect,
      Action: st.actions,
      NotAction: st.notActions,
      Resource: st.resources,
      NotResource: st.notResources,
      Condition: (Array.isArray(st.condition) ? st.condition : []).reduce<Record<string, Record<string, string[]>>>((acc, c) => {
        (acc[c.test] ??= {})[c.variable] = c.values;
        return acc;
      }, {}),
    })),
  };
  return JSON.stringify(json).length;
}

/**
 * Packs statements into as few managed policies as fit IAM's size quota. Sized as rendered in the stack, where the
 * account and partition are tokens longer than any value they stand for, so the real document is never larger.
 */
export function packPolicies(statements: readonly DataAwsIamPolicyDocumentStatement[], limit: number = IAM_QUOTAS.managedPolicyChars): DataAwsIamPolicyDocumentStatement[][] {
  const policies: DataAwsIamPolicyDocumentStatement[][] = [];
  let current: DataAwsIamPolicyDocumentStatement[] = [];
  for (const st of statements) {
    if (current.length && iamJsonLength([...current, st]) > limit) {
      policies.push(current);
      current = [];
    }
    if (iamJsonLength([st]) > limit) throw new Error(`statement ${st.sid} alone exceeds ${limit} characters: split its service's actions`);
    current.push(st);
  }
  if (current.length) policies.push(current);
  return policies;
}
