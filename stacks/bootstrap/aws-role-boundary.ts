import { DefaultTokenResolver, StringConcat, Token, Tokenization, TerraformStack, type IResolvable } from "cdktf";
import type { IConstruct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { DataAwsKmsKey } from "@cdktf/provider-aws/lib/data-aws-kms-key";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EksCluster } from "@cdktf/provider-aws/lib/eks-cluster";
import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement, type DataAwsIamPolicyDocumentStatementCondition } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { AWS_MANAGED_POLICIES, MANAGED_POLICY_SOURCE } from "./aws-managed-policy-facts";
import { IAM_QUOTAS, iamJsonLength } from "./aws-deploy-policy";

type Condition = readonly DataAwsIamPolicyDocumentStatementCondition[];

/** A statement of one of the deployment's roles, its resources as the reference expressions the stack writes. */
export interface RoleStatement {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly condition?: Condition;
}

/**
 * Where the deployment's resources pass a role to a service (iam:PassRole), by the Terraform attribute that names
 * the role, and the service IAM then sees as iam:PassedToService where a source states it. A role ARN in any other
 * attribute of the synthesized stacks fails __tests__/delivery/role-boundary.test.ts, so a new one cannot ship
 * without an entry (the apply role would not be allowed to pass it).
 */
export const PASS_ROLE_ATTRIBUTES: Readonly<Record<string, { readonly read: (c: IConstruct) => string | undefined; readonly service?: string; readonly source: string }>> = {
  "aws_eks_cluster.role_arn": {
    read: (c) => (c instanceof EksCluster ? c.roleArnInput : undefined),
    service: "eks.amazonaws.com",
    source: "https://docs.aws.amazon.com/step-functions/latest/dg/eks-iam.html (CreateCluster: iam:PassRole on the cluster role with iam:PassedToService eks.amazonaws.com)",
  },
  "aws_eks_node_group.node_role_arn": {
    read: (c) => (c instanceof EksNodeGroup ? c.nodeRoleArnInput : undefined),
    service: "eks.amazonaws.com",
    source: "https://docs.aws.amazon.com/step-functions/latest/dg/eks-iam.html (CreateNodegroup: iam:PassRole on the node role with iam:PassedToService eks.amazonaws.com)",
  },
  // No source found here states the service IAM sees for these two: passed without that condition. Looked at (2026-11-27):
  // the VPC user guide's flow-logs-iam-role.html (a trust for vpc-flow-logs.amazonaws.com, no PassRole condition; the
  // delivery.logs.amazonaws.com of firehose-cross-account-delivery.html is for Firehose delivery, not a CloudWatch Logs
  // destination), and the EKS user guide's add-ons-iam.html and API_CreateAddon.html (serviceAccountRoleArn, no
  // iam:PassedToService).
  "aws_eks_addon.service_account_role_arn": { read: (c) => (c instanceof EksAddon ? c.serviceAccountRoleArnInput : undefined), source: "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAddon.html (serviceAccountRoleArn)" },
  "aws_flow_log.iam_role_arn": { read: (c) => (c instanceof FlowLog ? c.iamRoleArnInput : undefined), source: "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam.html (the creator passes the delivery role)" },
};

/** One IAM role of the deployment and what its own policies grant. */
export interface DeploymentRole {
  /** The role's name (literal: the apply role's IAM grants name each role's ARN). */
  readonly name: string;
  /** The AWS managed policies it attaches, by IAM path and name (`service-role/AmazonEBSCSIDriverPolicy`). */
  readonly managedPolicies: readonly string[];
  /** The Allow statements of its inline policies (aws_iam_role_policy), by the stack's references. */
  readonly inlineStatements: readonly RoleStatement[];
  /** The attributes that pass it to a service (PASS_ROLE_ATTRIBUTES keys); empty when nothing passes it. */
  readonly passedBy: readonly string[];
}

/** The deployment's IAM roles, read from its built stacks (stacks/bootstrap/deployment-types.ts). */
export interface DeploymentRoles {
  readonly roles: readonly DeploymentRole[];
  /** The stacks they were read from, to look the statements' references up in. */
  readonly stacks: readonly TerraformStack[];
}

/** An AWS managed policy's ARN: its path (e.g. `service-role/`) and name. */
const MANAGED_ARN = /:iam::aws:policy\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]+)$/;
const ROLE_REFERENCE = /^\$\{aws_iam_role\.([^.}]+)\.(name|id|arn)\}$/;

/** A value as terraform will see it: references become `${type.id.attribute}` expressions. */
function resolved(scope: IConstruct, value: unknown): unknown {
  return Tokenization.resolve(value, { scope: TerraformStack.of(scope), resolver: new DefaultTokenResolver(new StringConcat()) });
}

/** Reads the roles, the AWS managed policies each attaches and each one's inline statements from the deployment's built stacks. */
export function deploymentRoles(stacks: readonly TerraformStack[]): DeploymentRoles {
  const all = stacks.flatMap((s) => s.node.findAll());
  const roles = all.filter((c): c is IamRole => c instanceof IamRole);
  const roleOf = (owner: IConstruct, role: string | undefined, attribute: "name" | "arn" = "name"): IamRole => {
    const m = ROLE_REFERENCE.exec(String(resolved(owner, role)));
    const found = m && (attribute === "arn") === (m[2] === "arn") && roles.find((r) => r.friendlyUniqueId === m[1]);
    if (!found) throw new Error(`${owner.node.path} names its role as ${role}, not by the role's reference: the roles' boundaries are derived per role`);
    return found;
  };
  const passes = all.flatMap((c) =>
    Object.entries(PASS_ROLE_ATTRIBUTES).flatMap(([attribute, fact]) => {
      const arn = fact.read(c);
      return arn === undefined ? [] : [{ attribute, role: roleOf(c, arn, "arn") }];
    }),
  );
  const attachments = all.filter((c): c is IamRolePolicyAttachment => c instanceof IamRolePolicyAttachment);
  const inline = all.filter((c): c is IamRolePolicy => c instanceof IamRolePolicy);
  return {
    stacks,
    roles: roles
      .map((r) => {
        const name = r.nameInput;
        if (!name || Token.isUnresolved(name)) throw new Error(`IAM role ${r.node.path} has no literal name: the apply role's grants name each role (stacks/bootstrap/aws-role-boundary.ts)`);
        const managedPolicies = attachments.filter((a) => roleOf(a, a.roleInput) === r).map((a) => {
          const m = MANAGED_ARN.exec(a.policyArnInput ?? "");
          if (!m) throw new Error(`${a.node.path} attaches ${a.policyArnInput}, not an AWS managed policy: the roles' boundaries know only AWS managed policies (aws-managed-policy-facts.ts)`);
          return `${m[1]}${m[2]}`;
        });
        const inlineStatements = inline.filter((p) => roleOf(p, p.roleInput) === r).flatMap((p) => policyStatements(p));
        const passedBy = [...new Set(passes.filter((p) => p.role === r).map((p) => p.attribute))].sort();
        return { name, managedPolicies: [...new Set(managedPolicies)].sort(), inlineStatements, passedBy };
      })
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}

/** The names of the deployment's buckets and KMS aliases, which its deploy policies and boundaries name exactly. */
export interface DeploymentNames {
  /** Bucket names, the account as `account` (the bootstrap's own reference to the same account). */
  readonly buckets: readonly string[];
  /** Alias names (`alias/...`). */
  readonly aliases: readonly string[];
}

const CALLER_ACCOUNT = /\$\{data\.aws_caller_identity\.[^.}]+\.account_id\}/g;

/**
 * Reads the deployment's bucket and alias names from its built stacks. A bucket name may hold the account (the cloud
 * stack's caller identity), which is replaced by `account`; any other reference in a name is refused, since a
 * grant must name the bucket before it exists.
 */
export function deploymentNames(stacks: readonly TerraformStack[], account: string): DeploymentNames {
  const all = stacks.flatMap((s) => s.node.findAll());
  return {
    buckets: all.filter((c): c is S3Bucket => c instanceof S3Bucket).map((b) => nameBeforeCreation(b, "bucket", b.bucketInput, account)).sort(),
    aliases: all.filter((c): c is KmsAlias => c instanceof KmsAlias).map((a) => nameBeforeCreation(a, "alias", a.nameInput, account)).sort(),
  };
}

/** A resource's name as a grant can write it before the resource exists: the account reference replaced by `account`. */
function nameBeforeCreation(c: IConstruct, what: string, value: unknown, account: string): string {
  const text = String(resolved(c, value)).replace(CALLER_ACCOUNT, account);
  if (text.split(account).join("").includes("${")) throw new Error(`${what} ${c.node.path} is named ${text}: a deploy grant names it before it exists, so its name may hold only the account`);
  return text;
}

/** The Allow statements of a role policy's document, references resolved to `${type.id.attribute}` expressions. */
function policyStatements(p: IamRolePolicy): RoleStatement[] {
  const ref = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(resolved(p, p.policyInput)));
  const doc = ref && TerraformStack.of(p).node.findAll().find((c): c is DataAwsIamPolicyDocument => c instanceof DataAwsIamPolicyDocument && c.friendlyUniqueId === ref[1]);
  if (!doc) throw new Error(`${p.node.path}: its policy is not an aws_iam_policy_document of the stack, so the role's boundary cannot be derived from it`);
  const statements = resolved(doc, doc.statementInput as IResolvable | DataAwsIamPolicyDocumentStatement[]) as { actions?: string[]; resources?: string[]; condition?: Condition; effect?: string }[];
  return statements.filter((s) => (s.effect ?? "Allow") === "Allow").map((s) => ({ actions: s.actions ?? [], resources: s.resources ?? [], ...(s.condition ? { condition: s.condition } : {}) }));
}

/** Where the boundaries are: the deployment's partition, account and region (references allowed) and its name. */
export interface BoundaryScope {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  readonly name: string;
  /**
   * The ARN of an AWS managed key (`alias/aws/ebs`) in the deployment's region, which the bootstrap reads (a role's
   * statement names it by the cloud stack's own data source). @default - none: such a statement is refused
   */
  readonly awsManagedKeyArn?: (alias: string) => string;
}

const REFERENCE = /^\$\{(aws_[a-z0-9_]+)\.([^.}]+)\.arn\}(.*)$/;
const AWS_MANAGED_KEY = /^\$\{data\.aws_kms_key\.([^.}]+)\.arn\}$/;

/**
 * A deployment key named before it exists: by its alias. `kms:ResourceAliases` is the set of aliases associated with
 * the key in the request, a multi-valued key, so `ForAnyValue:` (a key without that alias, or without any alias, does
 * not match). Sources: https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html (kms:ResourceAliases;
 * "up to five minutes for tag and alias changes to affect KMS key authorization"),
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases, and the
 * Service Authorization Reference (aws-condition-facts.ts: every key-level action lists it).
 *
 * Not by the deployment's tag: KMS authorizes tagging a key at creation only by a grant of kms:TagResource on every
 * key of the account and region (https://docs.aws.amazon.com/kms/latest/developerguide/tag-permissions.html), so the
 * apply role could tag any untagged key of the account into the deployment. An alias it can only create under the
 * deployment's exact alias names, which its keys hold from their first apply, and it may never move or delete one
 * (ALIAS_CHANGE_ACTIONS, aws-deploy-policy.ts).
 */
export const KEY_ALIAS_CONDITION = { test: "ForAnyValue:StringEquals", variable: "kms:ResourceAliases" } as const;

function keyByAlias(aliases: readonly string[]): DataAwsIamPolicyDocumentStatementCondition {
  return { ...KEY_ALIAS_CONDITION, values: [...aliases] };
}

/** The alias names (`alias/...`) the stacks point at the key whose Terraform id is `keyId`. */
function aliasesOfKey(keyId: string, stacks: readonly TerraformStack[]): string[] {
  return stacks.flatMap((st) =>
    st.node.findAll().filter((c): c is KmsAlias => c instanceof KmsAlias).filter((a) => {
      const target = String(resolved(a, a.targetKeyIdInput));
      return new RegExp(`^\\$\\{aws_kms_key\\.${keyId}\\.(key_id|arn|id)\\}$`).test(target);
    }).map((a) => {
      const name = a.nameInput;
      if (!name || Token.isUnresolved(name)) throw new Error(`alias ${a.node.path} has no literal name`);
      return name;
    }),
  ).sort();
}

/**
 * The resource pattern (and extra condition) a role statement's resource stands for in its boundary, which is
 * created before the resource exists: a bucket by its name (the account in it as the boundary's own reference), a
 * KMS key by its alias (keyByAlias), an AWS managed key (aws/ebs) by the ARN the
 * bootstrap reads, a log group by its name. A literal ARN (a
 * customer's key named in the config) stays as it is. Anything else is refused, so no statement is widened silently.
 */
function boundaryResource(resource: string, stacks: readonly TerraformStack[], s: BoundaryScope): { resource: string; condition?: Condition } {
  const managedKey = AWS_MANAGED_KEY.exec(resource);
  if (managedKey) {
    const data = stacks.flatMap((st) => st.node.findAll()).find((c): c is DataAwsKmsKey => c instanceof DataAwsKmsKey && c.friendlyUniqueId === managedKey[1]);
    const alias = data?.keyIdInput;
    if (!alias?.startsWith("alias/aws/") || !s.awsManagedKeyArn) throw new Error(`a role statement names the key ${alias ?? resource}: the roles' boundaries name only the deployment's own keys and AWS managed keys (alias/aws/...)`);
    return { resource: s.awsManagedKeyArn(alias) };
  }
  const m = REFERENCE.exec(resource);
  if (!m) {
    if (/^arn:/.test(resource) && !resource.includes("${")) return { resource };
    throw new Error(`a role statement's resource ${resource} is neither a reference nor a literal ARN: give the roles' boundaries a pattern for it (stacks/bootstrap/aws-role-boundary.ts)`);
  }
  const [, type, id, suffix] = m;
  const element = stacks.flatMap((st) => st.node.findAll()).find((c) => (c as { friendlyUniqueId?: string }).friendlyUniqueId === id && (c as { terraformResourceType?: string }).terraformResourceType === type);
  if (type === "aws_s3_bucket" && element instanceof S3Bucket) {
    return { resource: `arn:${s.partition}:s3:::${nameBeforeCreation(element, "bucket", element.bucketInput, s.account)}${suffix}` };
  }
  if (type === "aws_kms_key") {
    const aliases = aliasesOfKey(id, stacks);
    if (aliases.length === 0) throw new Error(`the key ${id} has no alias in the stacks: the roles' boundaries name a deployment key by its alias (kms:ResourceAliases), so give it a KmsAlias`);
    return { resource: `arn:${s.partition}:kms:${s.region}:${s.account}:key/*${suffix}`, condition: [keyByAlias(aliases)] };
  }
  if (type === "aws_cloudwatch_log_group" && element instanceof CloudwatchLogGroup) {
    const name = element.nameInput;
    if (!name || Token.isUnresolved(name)) throw new Error(`log group ${element.node.path} has no literal name`);
    return { resource: `arn:${s.partition}:logs:${s.region}:${s.account}:log-group:${name}${suffix}` };
  }
  throw new Error(`a role statement names ${type}.${id}: give the roles' boundaries a pattern for ${type} (stacks/bootstrap/aws-role-boundary.ts)`);
}

/**
 * The permissions boundary of one role: what the role's own policies grant, and nothing else. The statements of
 * its AWS managed policies as AWS publishes them (AWS_MANAGED_POLICIES), and its inline statements with each
 * resource as the pattern that names it before it exists (boundaryResource). Statements on `*` without a condition
 * are merged into one; an action that one already allows is not repeated in a narrower statement; the others are
 * kept as they are, merged only where resources and condition are the same. Must fit one managed policy
 * (IAM_QUOTAS): a role has one boundary.
 */
export function roleBoundaryStatements(role: DeploymentRole, stacks: readonly TerraformStack[], s: BoundaryScope): DataAwsIamPolicyDocumentStatement[] {
  const factOf = (p: string) => AWS_MANAGED_POLICIES[p.split("/").pop()!];
  const missing = role.managedPolicies.filter((p) => !factOf(p));
  if (missing.length) throw new Error(`no facts for the AWS managed policies ${missing.join(", ")} of ${role.name}: copy their documents into stacks/bootstrap/aws-managed-policy-facts.ts (${MANAGED_POLICY_SOURCE})`);
  const managed: RoleStatement[] = role.managedPolicies.flatMap((p) =>
    factOf(p).statements.map((st) => ({
      actions: st.actions ?? [],
      // The facts are the commercial partition's documents; AWS publishes the same ones in each partition.
      resources: (st.resources ?? []).map((r) => r.replace(/^arn:aws:/, `arn:${s.partition}:`)),
      ...(st.condition ? { condition: st.condition as Condition } : {}),
    })),
  );
  const own: RoleStatement[] = role.inlineStatements.flatMap((st) =>
    st.resources.map((r) => {
      const b = boundaryResource(r, stacks, s);
      const condition = [...(st.condition ?? []), ...(b.condition ?? [])];
      return { actions: st.actions, resources: [b.resource], ...(condition.length ? { condition } : {}) };
    }),
  );
  const anywhere = (st: RoleStatement) => !st.condition && st.resources.includes("*");
  const everywhere = new Set([...managed, ...own].filter(anywhere).flatMap((st) => st.actions));
  const groups = new Map<string, { actions: string[]; resources: readonly string[]; condition?: Condition }>();
  for (const st of [...managed, ...own].filter((x) => !anywhere(x))) {
    const actions = st.actions.filter((a) => !everywhere.has(a));
    if (actions.length === 0) continue;
    const key = JSON.stringify([st.resources, st.condition ?? []]);
    const g = groups.get(key) ?? { actions: [], resources: st.resources, ...(st.condition ? { condition: st.condition } : {}) };
    for (const a of actions) if (!g.actions.includes(a)) g.actions.push(a);
    groups.set(key, g);
  }
  const statements: DataAwsIamPolicyDocumentStatement[] = [
    ...(everywhere.size ? [{ sid: "AnyResource", effect: "Allow", actions: [...everywhere].sort(), resources: ["*"] }] : []),
    ...[...groups.values()].map((g, i) => ({ sid: `Scoped${i + 1}`, effect: "Allow", actions: [...g.actions].sort(), resources: [...g.resources], ...(g.condition ? { condition: [...g.condition] } : {}) })),
  ];
  if (statements.length === 0) throw new Error(`role ${role.name} has no policy: a boundary that allows nothing would leave it useless; give it its policies or remove it`);
  const size = renderedLength(statements);
  if (size > IAM_QUOTAS.managedPolicyChars) throw new Error(`the boundary of ${role.name} is ${size} characters, over IAM's ${IAM_QUOTAS.managedPolicyChars} for one managed policy (${IAM_QUOTAS.source}): a role has one boundary`);
  return statements;
}

/**
 * A boundary's size as IAM counts it once terraform renders it: the partition, account and key references replaced
 * by the longest values they take (aws-us-gov, 12 digits, a multi-Region key's ARN). Sized as rendered rather than by the references' own
 * length (packPolicies), because a boundary cannot be split across policies.
 */
function renderedLength(statements: readonly DataAwsIamPolicyDocumentStatement[]): number {
  const json = JSON.stringify(statements);
  const longestKeyArn = "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-00000000000000000000000000000000";
  const rendered = json
    .replace(/\$\{data\.aws_partition\.[^}]+\}/g, "aws-us-gov")
    .replace(/\$\{data\.aws_caller_identity\.[^}]+\}/g, "123456789012")
    .replace(/\$\{data\.aws_kms_key\.[^}]+\}/g, longestKeyArn);
  return iamJsonLength(JSON.parse(rendered) as DataAwsIamPolicyDocumentStatement[]);
}
