import { Testing } from "cdktf";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { AwsStateStack } from "../../stacks/bootstrap/aws-state-stack";
import { AWS_ACTION_CONDITIONS, conditionProblems, type SynthesizedStatement } from "../../stacks/bootstrap/aws-condition-facts";
import { awsDeployStatements, DEPLOYMENT_TAG } from "../../stacks/bootstrap/aws-deploy-policy";
import { AWS_ACTION_RESOURCES, AWS_ARN_FORMATS, DEPLOYMENT_RESOURCE_TYPES, LOG_GROUP_ARN_FORMS, resourceTypeProblems, resourceTypesOf } from "../../stacks/bootstrap/aws-resource-facts";
import { synthesizedStacks } from "../support/deployments";
import { arnMatches, denies } from "../support/iam-match";

// The AWS apply role's KMS and Route 53 writes, scoped by the conditions the Service Authorization Reference lists
// for each action (stacks/bootstrap/aws-condition-facts.ts), and its EKS and CloudWatch Logs writes, scoped to the
// resource types the reference lists for each action (stacks/bootstrap/aws-resource-facts.ts), read from the
// synthesized bootstrap stack.

type Tf = {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data: Record<string, Record<string, { statement: SynthesizedStatement[] }>>;
};

function bootstrap(file: string): { tf: Tf; name: string; statements: (prefix: string) => SynthesizedStatement[] } {
  const d = validateDeployment(readConfigFile(file) as DeploymentInput, file);
  const tf = JSON.parse(Testing.synth(new AwsStateStack(Testing.app(), `${d.name}-state`, { deployment: deploymentOn("aws", d), githubRepository: "acme/p" }))) as Tf;
  const statements = (prefix: string) =>
    Object.entries(tf.data.aws_iam_policy_document)
      .filter(([k]) => k.startsWith(prefix))
      .flatMap(([, v]) => v.statement);
  return { tf, name: d.name, statements };
}

/** The KMS aliases a shipped deployment's synthesized cloud stack creates. */
const aliasesOf = (key: string) => {
  const cloud = Object.entries(synthesizedStacks(key)).find(([id]) => id.endsWith("-aws"))![1] as { resource: Record<string, Record<string, { name: string }>> };
  return Object.values(cloud.resource.aws_kms_alias).map((a) => a.name).sort();
};
const estate = { ...bootstrap("examples/aws-estate.yaml"), keyPolicies: false, aliases: aliasesOf("examples-aws-estate") };
const keys = { ...bootstrap("examples/aws-estate-keys.yaml"), keyPolicies: true, aliases: aliasesOf("examples-aws-estate-keys") };
const stateKeyArn = (tf: Tf) => `\${aws_kms_key.${Object.keys(tf.resource.aws_kms_key).find((k) => k.startsWith("StateKey"))}.arn}`;

describe.each([
  ["aws-estate", estate],
  ["aws-estate-keys", keys],
])("%s: the apply role", (_label, b) => {
  const apply = () => b.statements("ApplyPolicies");
  const kmsWrites = () => apply().filter((s) => s.effect === "Allow" && (s.actions ?? []).some((a) => a.startsWith("kms:") && !/^kms:(Describe|Get|List)/.test(a)));

  test("no KMS write on every key: policy, disable, deletion, tags only on keys the deployment's aliases name; new keys only with the tag in the request; aliases only the deployment's, never moved or deleted", () => {
    // By alias, not by tag: any untagged key of the account could be tagged (KEY_ALIAS_CONDITION, aws-role-boundary.ts).
    const aliased = { test: "ForAnyValue:StringEquals", variable: "kms:ResourceAliases", values: b.aliases };
    const requested = { test: "StringEquals", variable: `aws:RequestTag/${DEPLOYMENT_TAG}`, values: [b.name] };
    const keysArn = expect.stringMatching(/:kms:eu-west-1:.*:key\/\*$/);
    expect(kmsWrites().length).toBeGreaterThan(0);
    for (const s of kmsWrites()) {
      const shape = { sid: s.sid, resources: s.resources, condition: s.condition };
      if (s.sid === "WriteKmsCreateTaggedKeys") expect(shape).toEqual({ sid: s.sid, resources: ["*"], condition: [requested] });
      else if (s.sid === "WriteKmsDeploymentAliases") expect(shape).toEqual({ sid: s.sid, resources: b.aliases.map((a) => expect.stringMatching(new RegExp(`:kms:eu-west-1:.*:${a}$`))), condition: undefined });
      else if (s.sid === "WriteKmsTagNewKeys") expect(shape).toEqual({ sid: s.sid, resources: [keysArn], condition: [requested] });
      else if (s.sid === "WriteKmsGrantsForAwsServices") expect({ ...shape, actions: s.actions }).toEqual({ sid: s.sid, resources: [keysArn], condition: [{ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }], actions: ["kms:CreateGrant"] });
      else if (s.sid === "WriteKmsRotationAndAliasTargets") expect({ ...shape, actions: s.actions }).toEqual({ sid: s.sid, resources: [keysArn], condition: undefined, actions: ["kms:CreateAlias", "kms:EnableKeyRotation"] });
      else expect(shape).toEqual({ sid: "WriteKmsDeploymentKeys", resources: [keysArn], condition: [aliased] });
    }
    // No key of the account is given a new policy from CI, the deployment's own included (KEY_POLICY_CHANGE_ACTIONS: a
    // key policy can hand the key to another account), and no key is created with a policy that skips KMS's lockout check.
    const rendered = apply().map((st) => ({ ...st, resources: st.resources?.map(resolved) }));
    const lockout = (action: string, resource: string, bypass: string) => denies(rendered, { action, resource, context: { "kms:BypassPolicyLockoutSafetyCheck": bypass } });
    const someKey = `arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    expect([lockout("kms:PutKeyPolicy", someKey, "true"), lockout("kms:CreateKey", "*", "true")]).toEqual([true, true]);
    expect([lockout("kms:PutKeyPolicy", someKey, "false"), lockout("kms:CreateKey", "*", "false")]).toEqual([true, false]);
    // No alias of the account is moved to another key or deleted (and made again on another).
    expect(apply().find((s) => s.sid === "DenyAliasChanges")).toEqual({ sid: "DenyAliasChanges", effect: "Deny", actions: ["kms:DeleteAlias", "kms:UpdateAlias"], resources: [expect.stringMatching(/:kms:\*:.*:alias\/\*$/)] });
    const tagScoped = kmsWrites().find((s) => s.sid === "WriteKmsDeploymentKeys")!.actions;
    // What the aliases reach: no deletion and no disable (every key is enabled, rotated and under prevent_destroy), and
    // no key policy change, even where the deployment's keys have policies of their own (customer-managed keys).
    expect(tagScoped).toEqual(["kms:EnableKey", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription"]);
  });

  test("every KMS write it is granted, and the deletion, disable and policy writes it is not, are denied on the state key and the state alias, without a condition", () => {
    const deny = apply().filter((s) => s.effect === "Deny" && s.sid === "DenyStateKeyChanges");
    expect(deny).toHaveLength(1);
    expect(deny[0].condition).toBeUndefined();
    expect(deny[0].resources).toEqual([stateKeyArn(b.tf), expect.stringMatching(new RegExp(`:alias/${b.name}-state$`))]);
    const granted = new Set(kmsWrites().flatMap((s) => s.actions ?? []));
    expect(new Set(deny[0].actions)).toEqual(new Set([...granted, "kms:DisableKey", "kms:DisableKeyRotation", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]));
    expect(granted.has("kms:PutKeyPolicy")).toBe(false);
  });

  test("Route 53 records: only in the configured zone and only domain.name", () => {
    const changes = apply().filter((s) => (s.actions ?? []).includes("route53:ChangeResourceRecordSets"));
    expect(changes).toEqual([
      expect.objectContaining({
        effect: "Allow",
        actions: ["route53:ChangeResourceRecordSets"],
        resources: [expect.stringMatching(/:route53:::hostedzone\/Z0123456789ABCDEFGHIJ$/)],
        condition: [{ test: "ForAllValues:StringEquals", variable: "route53:ChangeResourceRecordSetsNormalizedRecordNames", values: ["catalog.acme.example.com"] }],
      }),
    ]);
  });

  test("every statement with a condition (Allow and Deny, both roles) uses only keys the facts list for its actions and resources", () => {
    const conditioned = [...apply(), ...b.statements("PlanPolicies")].filter((s) => (s.condition ?? []).length > 0 && !(s.actions ?? []).every((a) => a.startsWith("iam:")));
    expect(conditioned.length).toBeGreaterThan(2);
    expect(conditioned.flatMap(conditionProblems)).toEqual([]);
  });
});

describe("the condition-key check itself", () => {
  test("an Allow with a key the action does not support for that resource is reported (it would never match)", () => {
    const aliasByTag: SynthesizedStatement = { sid: "A", effect: "Allow", actions: ["kms:CreateAlias"], resources: ["arn:aws:kms:eu-west-1:1:alias/x-*"], condition: [{ test: "StringEquals", variable: "aws:ResourceTag/deployment", values: ["x"] }] };
    expect(conditionProblems(aliasByTag)).toEqual([expect.stringMatching(/^A: kms:CreateAlias on alias does not support aws:ResourceTag\/deployment/)]);
  });

  test("a Deny with a key the action does not support is reported (with ForAllValues it would match every request)", () => {
    const deny: SynthesizedStatement = { sid: "D", effect: "Deny", actions: ["kms:PutKeyPolicy"], resources: ["arn:aws:kms:eu-west-1:1:key/*"], condition: [{ test: "ForAllValues:StringEquals", variable: "kms:RequestAlias", values: ["alias/x"] }] };
    expect(conditionProblems(deny)).toEqual([expect.stringMatching(/^D: kms:PutKeyPolicy on key does not support kms:RequestAlias/)]);
  });

  test("an action without facts, or on a resource type it does not take, is reported", () => {
    expect(conditionProblems({ sid: "E", actions: ["ec2:CreateVpnGateway"], resources: ["*"], condition: [{ test: "StringEquals", variable: "aws:RequestTag/deployment", values: ["x"] }] })).toEqual([expect.stringMatching(/^E: ec2:CreateVpnGateway has no condition facts/)]);
    expect(conditionProblems({ sid: "V", actions: ["ec2:CreateVpc"], resources: ["*"], condition: [{ test: "StringEquals", variable: "aws:RequestTag/deployment", values: ["x"] }] })).toEqual([expect.stringMatching(/^V: ec2:CreateVpc is not authorized on \* resources/)]);
    expect(conditionProblems({ sid: "R", actions: ["kms:PutKeyPolicy"], resources: ["arn:aws:kms:eu-west-1:1:alias/x"], condition: [{ test: "StringEquals", variable: "aws:ResourceTag/deployment", values: ["x"] }] })).toEqual([expect.stringMatching(/^R: kms:PutKeyPolicy is not authorized on alias resources/)]);
  });

  test("each fact names its source page", () => {
    for (const [action, fact] of Object.entries(AWS_ACTION_CONDITIONS)) expect([action, fact.source]).toEqual([action, expect.stringMatching(/^https:\/\/docs\.aws\.amazon\.com\/service-authorization\/latest\/reference\/list_/)]);
  });
});

// ---- EKS and CloudWatch Logs writes: on the deployment's own ARNs ----

const ACCOUNT = "123456789012";

/** A statement's resource as IAM evaluates it: the partition and account tokens resolved (examples' accountId). */
const resolved = (r: string) => r.replace(/\$\{data\.aws_caller_identity\.[^}]+\}/g, ACCOUNT).replace(/\$\{data\.aws_partition\.[^}]+\}/g, "aws");

/** An ARN of the format the reference gives (AWS_ARN_FORMATS), its variables filled in. */
function arnOf(type: keyof typeof DEPLOYMENT_RESOURCE_TYPES | "eks:podidentityassociation", vars: Record<string, string>): string {
  return AWS_ARN_FORMATS[type].arn.replace(/\$\{(\w+)\}/g, (_m, k: string) => {
    const v = { Partition: "aws", Region: "eu-west-1", Account: ACCOUNT, UUID: "c8c7d1e4-5b1a-4f3e-9a2b-0d4e6f8a1b2c", ...vars }[k];
    if (v === undefined) throw new Error(`no value for \${${k}} in ${type}`);
    return v;
  });
}

/**
 * The ARN of every EKS and CloudWatch Logs resource the deployment's synthesized cloud stack creates, by resource
 * type. Node groups are named from node_group_name_prefix plus the 26 characters the provider appends
 * (terraform-plugin-sdk's id.PrefixedUniqueId: UniqueIDSuffixLength = 26); access entries of IAM roles are
 * `role/<account>/<role name>`; log groups in both ARN forms (LOG_GROUP_ARN_FORMS).
 */
function realArns(key: string): { type: string; arn: string }[] {
  const stacks = synthesizedStacks(key);
  const cloud = Object.entries(stacks).find(([id]) => id.endsWith("-aws"))![1] as { resource: Record<string, Record<string, Record<string, unknown>>> };
  const r = cloud.resource;
  const clusterName = (ref: unknown) => {
    const m = /^\$\{aws_eks_cluster\.([^.]+)\.name\}$/.exec(String(ref));
    return m ? String(r.aws_eks_cluster[m[1]].name) : String(ref);
  };
  const out: { type: string; arn: string }[] = [];
  for (const c of Object.values(r.aws_eks_cluster ?? {})) out.push({ type: "eks:cluster", arn: arnOf("eks:cluster", { ClusterName: String(c.name) }) });
  for (const g of Object.values(r.aws_eks_node_group ?? {})) {
    const name = g.node_group_name ? String(g.node_group_name) : `${String(g.node_group_name_prefix)}20261126150405123400000001`;
    out.push({ type: "eks:nodegroup", arn: arnOf("eks:nodegroup", { ClusterName: clusterName(g.cluster_name), NodegroupName: name }) });
  }
  for (const a of Object.values(r.aws_eks_addon ?? {})) out.push({ type: "eks:addon", arn: arnOf("eks:addon", { ClusterName: clusterName(a.cluster_name), AddonName: String(a.addon_name) }) });
  for (const e of Object.values(r.aws_eks_access_entry ?? {})) {
    const m = /^arn:[^:]+:iam::(\d{12}):(role|user)\/(.+)$/.exec(String(e.principal_arn));
    if (!m) throw new Error(`access entry principal ${String(e.principal_arn)} is not an IAM role or user ARN`);
    out.push({ type: "eks:access-entry", arn: arnOf("eks:access-entry", { ClusterName: clusterName(e.cluster_name), IamIdentityType: m[2], IamIdentityAccountID: m[1], IamIdentityName: m[3].split("/").pop()! }) });
  }
  for (const g of Object.values(r.aws_cloudwatch_log_group ?? {})) {
    const arn = arnOf("logs:log-group", { LogGroupName: String(g.name) });
    out.push({ type: "logs:log-group", arn }, { type: "logs:log-group", arn: `${arn}${LOG_GROUP_ARN_FORMS.suffix}` });
  }
  return out;
}

const SCOPED = /^(eks|logs):/;

describe.each([
  ["aws", "examples/aws.yaml", "examples-aws"],
  ["aws-estate", "examples/aws-estate.yaml", "examples-aws-estate"],
])("%s: the apply role's EKS and CloudWatch Logs writes", (_label, file, key) => {
  const b = bootstrap(file);
  const allows = () => b.statements("ApplyPolicies").filter((s) => s.effect === "Allow");
  const writes = () => allows().filter((s) => (s.sid ?? "").startsWith("Write") && (s.actions ?? []).some((a) => SCOPED.test(a)));
  const arns = realArns(key);
  const granted = (action: string) => allows().filter((s) => (s.actions ?? []).includes(action));

  test("the synthesized stack has each resource type the writes are scoped to", () => {
    const types = new Set(arns.map((a) => a.type));
    expect([...types].sort()).toEqual(Object.keys(DEPLOYMENT_RESOURCE_TYPES).sort());
    expect(arns.filter((a) => a.type === "eks:nodegroup").length).toBeGreaterThanOrEqual(2);
    expect(arns.filter((a) => a.type === "logs:log-group").length).toBeGreaterThanOrEqual(6);
  });

  test("every scoped action names only resource types its Service Authorization Reference entry lists, and each required one", () => {
    const scoped = writes().filter((s) => !(s.resources ?? []).includes("*"));
    expect(scoped.length).toBeGreaterThanOrEqual(5);
    expect(scoped.flatMap(resourceTypeProblems)).toEqual([]);
  });

  test("only actions without a resource type stay on *, each in a statement of its own kind; CreateCluster only with the deployment's tag", () => {
    const onStar = writes().filter((s) => (s.resources ?? []).includes("*"));
    for (const s of onStar) {
      expect({ sid: s.sid, resources: s.resources }).toEqual({ sid: s.sid, resources: ["*"] });
      for (const a of s.actions ?? []) expect({ a, types: resourceTypesOf(a) }).toEqual({ a, types: [""] });
    }
    expect(onStar.flatMap((s) => s.actions ?? []).sort()).toEqual(["eks:CreateCluster", "logs:CreateLogDelivery", "logs:DeleteLogDelivery"]);
    const create = onStar.find((s) => (s.actions ?? []).includes("eks:CreateCluster"))!;
    expect(create).toEqual(expect.objectContaining({ actions: ["eks:CreateCluster"], condition: [{ test: "StringEquals", variable: `aws:RequestTag/${DEPLOYMENT_TAG}`, values: [b.name] }] }));
  });

  test("every EKS and Logs write action has its reference facts", () => {
    const actions = writes().flatMap((s) => s.actions ?? []).filter((a) => SCOPED.test(a));
    expect(actions.length).toBeGreaterThan(25);
    expect(actions.filter((a) => !AWS_ACTION_RESOURCES[a])).toEqual([]);
  });

  test("each real resource's ARN matches a statement allowing each write action on its type; the same resource of another deployment matches none", () => {
    const checked: string[] = [];
    for (const { type, arn } of arns) {
      const [service, resourceType] = type.split(":");
      const actions = Object.keys(AWS_ACTION_RESOURCES).filter((a) => a.startsWith(`${service}:`) && resourceTypesOf(a).includes(resourceType) && granted(a).length > 0);
      expect({ type, actions: actions.length > 0 }).toEqual({ type, actions: true });
      for (const action of actions) {
        const patterns = granted(action).flatMap((s) => (s.resources ?? []).map(resolved));
        expect({ action, arn, allowed: patterns.some((p) => arnMatches(p, arn)) }).toEqual({ action, arn, allowed: true });
        for (const other of [`${b.name}-other`, "other"]) {
          const theirs = arn.split(b.name).join(other);
          expect({ action, theirs, allowed: patterns.some((p) => arnMatches(p, theirs)) }).toEqual({ action, theirs, allowed: false });
        }
        checked.push(action);
      }
    }
    expect(new Set(checked)).toEqual(new Set(writes().flatMap((s) => s.actions ?? []).filter((a) => SCOPED.test(a) && resourceTypesOf(a)[0] !== "")));
  });
});

describe("the resource-type check itself", () => {
  const arn = (type: "eks:cluster" | "eks:nodegroup" | "logs:log-group", v: Record<string, string>) => arnOf(type, v);

  test("a resource of a type the action does not list is reported (the statement would never match)", () => {
    const st: SynthesizedStatement = { sid: "N", actions: ["eks:DeleteNodegroup"], resources: [arn("eks:cluster", { ClusterName: "x" })] };
    expect(resourceTypeProblems(st)).toEqual([
      expect.stringMatching(/^N: eks:DeleteNodegroup is not authorized on cluster resources/),
      expect.stringMatching(/^N: eks:DeleteNodegroup requires a nodegroup resource/),
    ]);
  });

  test("a statement missing a required resource type is reported (the request would be denied)", () => {
    const st: SynthesizedStatement = { sid: "C", actions: ["eks:CreateNodegroup", "eks:TagResource"], resources: [arn("eks:nodegroup", { ClusterName: "x", NodegroupName: "y", UUID: "*" })] };
    expect(resourceTypeProblems(st)).toEqual([expect.stringMatching(/^C: eks:CreateNodegroup is not authorized on nodegroup/), expect.stringMatching(/^C: eks:CreateNodegroup requires a cluster resource/)]);
    expect(resourceTypeProblems({ sid: "L", actions: ["logs:CreateLogGroup"], resources: [arn("logs:log-group", { LogGroupName: "/a/*" })] })).toEqual([]);
  });

  test("an EKS or Logs write without facts is refused, not put on *", () => {
    const scope = { partition: "aws", account: ACCOUNT, region: "eu-west-1", name: "x" };
    expect(() => awsDeployStatements("Write", ["eks:CreateFargateProfile"], scope)).toThrow(/eks:CreateFargateProfile has no resource-type facts: add its Service Authorization Reference entry/);
    expect(() => awsDeployStatements("Write", ["logs:PutSubscriptionFilter"], scope)).toThrow(/logs:PutSubscriptionFilter has no resource-type facts/);
    expect(awsDeployStatements("Read", ["eks:DescribeCluster"], scope)).toEqual([expect.objectContaining({ sid: "ReadEks", resources: ["*"] })]);
  });

  test("IAM matching: the resource part may span colons and slashes, the account may not differ, names are case sensitive", () => {
    expect(arnMatches("arn:aws:logs:eu-west-1:1:log-group:/aws/eks/x/*", "arn:aws:logs:eu-west-1:1:log-group:/aws/eks/x/cluster:*")).toBe(true);
    expect(arnMatches("arn:aws:logs:eu-west-1:1:log-group:/aws/vpc-flow-logs/x", "arn:aws:logs:eu-west-1:1:log-group:/aws/vpc-flow-logs/x-y")).toBe(false);
    expect(arnMatches("arn:aws:eks:eu-west-1:1:cluster/x", "arn:aws:eks:eu-west-1:2:cluster/x")).toBe(false);
    expect(arnMatches("arn:aws:eks:eu-west-1:1:cluster/x", "arn:aws:eks:eu-west-1:1:cluster/X")).toBe(false);
    expect(arnMatches("*", "arn:aws:eks:eu-west-1:1:cluster/x")).toBe(true);
  });

  test("each resource-type fact and ARN format names its source page", () => {
    for (const [action, fact] of Object.entries(AWS_ACTION_RESOURCES)) expect([action, fact.source, fact.resourceTypes.length > 0]).toEqual([action, expect.stringMatching(/^https:\/\/docs\.aws\.amazon\.com\/service-authorization\/latest\/reference\/list_/), true]);
    for (const [type, f] of Object.entries(AWS_ARN_FORMATS)) expect([type, f.source, f.arn]).toEqual([type, expect.stringMatching(/^https:\/\/docs\.aws\.amazon\.com\/service-authorization\//), expect.stringMatching(new RegExp(`^arn:\\$\\{Partition\\}:${type.split(":")[0]}:`))]);
  });
});

describe.each([
  ["aws-estate", estate],
  ["aws-estate-keys", keys],
])("%s: what the apply role's prefix grants must not reach (second fresh-eyes review)", (_label, b) => {
  const denies = () => b.statements("ApplyPolicies").filter((s) => s.effect === "Deny");
  const allows = () => b.statements("ApplyPolicies").filter((s) => s.effect === "Allow");

  test("the IAM grants reach no CI role, no role named <name>-anything else, and every IAM write is also denied on the CI roles and their policies", () => {
    const deny = denies().find((s) => s.sid === "DenyCiIdentityChanges")!;
    const iamGrants = allows().filter((s) => s.sid?.startsWith("WriteIam"));
    const iamWrites = iamGrants.flatMap((s) => s.actions ?? []);
    expect(iamWrites.length).toBeGreaterThan(0);
    expect(new Set(deny.actions)).toEqual(new Set(iamWrites));
    expect(deny.condition).toBeUndefined();
    const ciRoles = [`arn:aws:iam::${ACCOUNT}:role/${b.name}-github-apply`, `arn:aws:iam::${ACCOUNT}:role/${b.name}-github-plan`, `arn:aws:iam::${ACCOUNT}:policy/${b.name}-github-apply-1`];
    const reached = (arn: string) => iamGrants.some((s) => (s.resources ?? []).some((r) => arnMatches(resolved(r), arn)));
    // The grants name the deployment's roles by exact ARN: neither the CI roles nor another role of the prefix ...
    expect([...ciRoles, `arn:aws:iam::${ACCOUNT}:role/${b.name}-admin`, `arn:aws:iam::${ACCOUNT}:role/${b.name}-eks-node2`].map(reached)).toEqual([false, false, false, false, false]);
    expect(reached(`arn:aws:iam::${ACCOUNT}:role/${b.name}-eks-node`)).toBe(true);
    // ... and the Deny still covers each CI identity, and none of the deployment's own roles.
    expect(ciRoles.map((arn) => (deny.resources ?? []).some((r) => arnMatches(resolved(r), arn)))).toEqual([true, true, true]);
    expect([`arn:aws:iam::${ACCOUNT}:role/${b.name}-eks-node`, `arn:aws:iam::${ACCOUNT}:role/${b.name}-vault`].map((arn) => (deny.resources ?? []).some((r) => arnMatches(resolved(r), arn)))).toEqual([false, false]);
  });

  test("a deployment whose name the other's extends (<name>-2) has none of its buckets or aliases reached by the S3 and alias grants", () => {
    const other = `${b.name}-2`;
    const grants = allows().filter((s) => (s.actions ?? []).some((a) => a.startsWith("s3:") || /^kms:(Create|Update|Delete)Alias$/.test(a)) && !(s.sid ?? "").startsWith("State"));
    const reached = (arn: string) => grants.some((s) => (s.resources ?? []).some((r) => arnMatches(resolved(r), arn)));
    expect([`arn:aws:s3:::${other}-data-${ACCOUNT}-eu-west-1`, `arn:aws:s3:::${other}-data-${ACCOUNT}-eu-west-1/x`, `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/${other}-eks-secrets`].map(reached)).toEqual([false, false, false]);
    expect([`arn:aws:s3:::${b.name}-data-${ACCOUNT}-eu-west-1`, `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/${b.name}-eks-secrets`].map(reached)).toEqual([true, true]);
  });

  test("state: it reads and writes its own stacks' state objects and lock files, never another deployment's in the same bucket and prefix", () => {
    const bucket = String(Object.values(b.tf.resource.aws_s3_bucket).find((x) => !String(x.bucket).endsWith("-logs"))!.bucket);
    const grants = allows().filter((s) => (s.actions ?? []).includes("s3:PutObject"));
    const writable = (key: string) => grants.some((s) => (s.resources ?? []).some((r) => arnMatches(resolved(r), `arn:aws:s3:::${bucket}/metadata-platform/${key}`)));
    // The backend's lock file is the state key plus .tflock (terraform v1.11 s3 backend_state.go, getLockFilePath).
    expect([`${b.name}-aws.tfstate`, `${b.name}-aws.tfstate.tflock`, `${b.name}-platform.tfstate.tflock`].map(writable)).toEqual([true, true, true]);
    expect([`${b.name}-2-aws.tfstate`, "acme-other-aws.tfstate.tflock", `${b.name}-aws.tfstate.backup`].map(writable)).toEqual([false, false, false]);
  });

  test("a key another deployment tagged as its own is never re-tagged: tag changes denied where the deployment tag exists and is not this one", () => {
    const deny = denies().find((s) => s.sid === "DenyRetagOtherDeploymentsKeys")!;
    expect(deny.actions).toEqual(["kms:TagResource", "kms:UntagResource"]);
    expect(deny.resources).toEqual([expect.stringMatching(/:kms:\*:.*:key\/\*$/)]);
    // IAM: a Deny applies when all its conditions hold (AND); Null false = the key carries the tag; StringNotEquals = another value.
    expect(deny.condition).toEqual([
      { test: "Null", variable: `aws:ResourceTag/${DEPLOYMENT_TAG}`, values: ["false"] },
      { test: "StringNotEquals", variable: `aws:ResourceTag/${DEPLOYMENT_TAG}`, values: [b.name] },
    ]);
  });
});
