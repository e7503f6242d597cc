import { TerraformStack, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { deploymentRoles, PASS_ROLE_ATTRIBUTES, roleBoundaryStatements } from "../../stacks/bootstrap/aws-role-boundary";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { AwsStateStack } from "../../stacks/bootstrap/aws-state-stack";
import { AWS_MANAGED_POLICIES } from "../../stacks/bootstrap/aws-managed-policy-facts";
import { AWS_MANAGED_POLICY_PATHS } from "../../constructs/aws/partition";
import { CONDITIONAL_KEY_WRITES } from "../../stacks/bootstrap/aws-key-writes";
import { KEY_POLICY_CHANGE_ACTIONS, TRUST_CHANGE_ACTIONS } from "../../stacks/bootstrap/aws-deploy-policy";
import { synthesizedStacks } from "../support/deployments";
import { allows, denies, type Request, type Statement } from "../support/iam-match";
import { nonEmpty } from "../support/non-empty";

// The roles' permissions boundaries (constructs/aws/role-boundary.ts, stacks/bootstrap/aws-role-boundary.ts) and the
// apply role's IAM grants that depend on them, checked with IAM's matching rules (../support/iam-match.ts) on the
// synthesized JSON: the cloud stack's roles and their policies, the bootstrap's boundaries and deploy policies.
// The AWS managed policies' documents are the published ones (aws-managed-policy-facts.ts, with their source).

const ACCOUNT = "123456789012";
type Json = Record<string, Record<string, Record<string, unknown>>>;
interface Tf {
  resource: Json;
  data: Record<string, Record<string, { statement: Statement[] }>>;
  provider: { aws: { default_tags?: { tags: Record<string, string> }[] }[] };
}

/** The ARN a test gives the AWS managed key an alias names (alias/aws/ebs -> key/aws-ebs), in either stack. */
const awsManagedKeyArn = (alias: string) => `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${alias.replace(/^alias\//, "").replace(/\//g, "-")}`;

/**
 * Text as IAM sees it once terraform resolved the account, the partition and the AWS managed keys a stack reads
 * (data.aws_kms_key by alias: the cloud stack's and the bootstrap's name the same key).
 */
function real<T extends { data?: Record<string, Record<string, Record<string, unknown>>> }>(v: T): T {
  let text = JSON.stringify(v).replace(/\$\{data\.aws_caller_identity\.[^}]+\}/g, ACCOUNT).replace(/\$\{data\.aws_partition\.[^}]+\}/g, "aws");
  for (const [id, key] of Object.entries(v.data?.aws_kms_key ?? {})) text = text.split(`\${data.aws_kms_key.${id}.arn}`).join(awsManagedKeyArn(String(key.key_id)));
  return JSON.parse(text) as T;
}

function load(file: string, overrides: Partial<DeploymentInput> = {}) {
  const d = validateDeployment({ ...(readConfigFile(file) as DeploymentInput), ...overrides }, file);
  const boot = real(JSON.parse(Testing.synth(new AwsStateStack(Testing.app(), `${d.name}-state`, { deployment: deploymentOn("aws", d), githubRepository: "acme/p" }))) as Tf);
  const statements = (prefix: string) => Object.entries(boot.data.aws_iam_policy_document).filter(([k]) => k.startsWith(prefix)).flatMap(([, v]) => v.statement);
  return { d, boot, statements };
}

/** The cloud stack of a shipped deployment, as synthesized. */
function cloudStack(key: string): Tf {
  return real(Object.entries(synthesizedStacks(key)).find(([id]) => id.endsWith("-aws"))![1] as unknown as Tf);
}

const ref = (expr: unknown) => /^\$\{([a-z0-9_]+)\.([^.}]+)\.([a-z_]+)\}(.*)$/.exec(String(expr));
/** The id of the policy document a `${data.aws_iam_policy_document.<id>.json}` reference names. */
const documentId = (expr: unknown) => /^\$\{data\.aws_iam_policy_document\.([^.}]+)\.json\}$/.exec(String(expr))![1];

/** One role of the synthesized cloud stack: its name, boundary, inline statements and managed policy ARNs. */
function rolesOf(cloud: Tf) {
  const r = cloud.resource;
  return Object.entries(r.aws_iam_role).map(([id, role]) => {
    const mine = (x: Record<string, unknown>) => ref(x.role)?.[2] === id;
    const inline = Object.values(r.aws_iam_role_policy ?? {}).filter(mine).flatMap((p) => cloud.data.aws_iam_policy_document[documentId(p.policy)].statement);
    const managed = Object.values(r.aws_iam_role_policy_attachment ?? {}).filter(mine).map((a) => String(a.policy_arn));
    return { name: String(role.name), boundary: role.permissions_boundary as string | undefined, inline, managed };
  });
}

/**
 * The request a role's statement stands for on one of its resources: the reference resolved to the ARN the resource
 * will have (a bucket's name, a log group's name, a key with the provider's default tags and its own), and the
 * context its conditions ask for (a request the role's own statement allows).
 */
function requestsOf(cloud: Tf, region: string, st: Statement): Request[] {
  const defaultTags = cloud.provider.aws[0].default_tags?.[0]?.tags ?? {};
  const sample = (v: string) => v.replace(/\*/g, "x1");
  const own: Record<string, string> = {};
  for (const c of st.condition ?? []) own[c.variable] = sample(c.values[0]);
  return (st.resources ?? []).flatMap((resource): Request[] => {
    if (/^arn:aws:kms:[^:]+:\d{12}:key\/aws-/.test(resource)) return (st.actions ?? []).map((action) => ({ action, resource, context: own }));
    const m = ref(resource);
    if (!m) throw new Error(`no ARN known for ${resource}`);
    const [, type, id, , suffix] = m;
    const res = cloud.resource[type][id];
    let arn: string;
    const context = { ...own };
    if (type === "aws_s3_bucket") arn = `arn:aws:s3:::${String(res.bucket)}`;
    else if (type === "aws_cloudwatch_log_group") arn = `arn:aws:logs:${region}:${ACCOUNT}:log-group:${String(res.name)}`;
    else if (type === "aws_kms_key") {
      arn = `arn:aws:kms:${region}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
      for (const [k, v] of Object.entries({ ...defaultTags, ...((res.tags as Record<string, string>) ?? {}) })) context[`aws:ResourceTag/${k}`] = v;
      // KMS puts the aliases associated with the key into the request (kms:ResourceAliases): those the stack points at it.
      return (st.actions ?? []).map((action) => ({ action, resource: `${arn}${sample(suffix)}`, context: { ...context, "kms:ResourceAliases": aliasesOfKey(cloud, id) } }));
    } else throw new Error(`no ARN known for ${type}`);
    return (st.actions ?? []).map((action) => ({ action, resource: `${arn}${sample(suffix)}`, context }));
  });
}

/** The alias names the synthesized stack points at the key `keyId` (aws_kms_alias.target_key_id). */
function aliasesOfKey(cloud: Tf, keyId: string): string[] {
  return Object.values(cloud.resource.aws_kms_alias ?? {}).filter((a) => ref(a.target_key_id)?.[2] === keyId).map((a) => String(a.name));
}

/** Every `type.attribute` of a synthesized stack's resources that names a role's ARN, with the role's name. */
function roleArnReferences(stack: Tf): { attribute: string; role: string }[] {
  const roles = stack.resource.aws_iam_role ?? {};
  return Object.entries(stack.resource).flatMap(([type, resources]) =>
    Object.values(resources).flatMap((r) =>
      Object.entries(r).flatMap(([attribute, value]) => {
        const m = /^\$\{aws_iam_role\.([^.}]+)\.arn\}$/.exec(String(value));
        return m ? [{ attribute: `${type}.${attribute}`, role: String(roles[m[1]].name) }] : [];
      }),
    ),
  );
}
/** The attributes through which the cloud stack passes the role named `role`. */
const passesOf = (cloud: Tf, role: string) => [...new Set(roleArnReferences(cloud).filter((p) => p.role === role).map((p) => p.attribute))];

test("a role's ARN appears only in the attributes known to pass it (each a PASS_ROLE_ATTRIBUTES entry, the apply role may pass it there)", () => {
  const refs = ["examples-aws", "examples-aws-estate", "examples-aws-estate-keys", "default"].flatMap((key) =>
    Object.values(synthesizedStacks(key)).flatMap((st) => ((st as { resource?: unknown }).resource ? roleArnReferences(real(st as unknown as Tf)) : [])),
  );
  expect(new Set(refs.map((r) => r.attribute))).toEqual(new Set(Object.keys(PASS_ROLE_ATTRIBUTES)));
});

describe.each([
  ["aws", "examples/aws.yaml", "examples-aws"],
  ["aws-estate", "examples/aws-estate.yaml", "examples-aws-estate"],
  ["aws-estate-keys", "examples/aws-estate-keys.yaml", "examples-aws-estate-keys"],
])("%s: each role under its own boundary", (_label, file, key) => {
  const { d, boot, statements } = load(file);
  const cloud = cloudStack(key);
  const roles = nonEmpty(rolesOf(cloud), "role of the cloud stack");
  const boundaries = Object.values(boot.resource.aws_iam_policy).filter((p) => String(p.name).endsWith("-boundary"));
  const boundaryOf = (role: string): Statement[] => {
    const p = boundaries.find((b) => b.name === `${role}-boundary`);
    if (!p) throw new Error(`the bootstrap has no boundary for ${role}`);
    return boot.data.aws_iam_policy_document[documentId(p.policy)].statement;
  };
  const boundaryArn = (role: string) => `arn:aws:iam::${ACCOUNT}:policy/${role}-boundary`;

  test("every role of the cloud stack names its own boundary, and the bootstrap creates exactly those", () => {
    for (const r of roles) expect({ role: r.name, boundary: r.boundary }).toEqual({ role: r.name, boundary: boundaryArn(r.name) });
    expect(boundaries.map((b) => String(b.name)).sort()).toEqual(roles.map((r) => `${r.name}-boundary`).sort());
  });

  test("a boundary allows every request the role's own inline statements allow", () => {
    for (const r of roles) {
      for (const req of r.inline.flatMap((st) => requestsOf(cloud, d.region, st))) expect({ role: r.name, ...req, allowed: allows(boundaryOf(r.name), req) }).toEqual({ role: r.name, ...req, allowed: true });
    }
  });

  test("a boundary allows every request the role's AWS managed policies allow, as AWS publishes them", () => {
    for (const r of roles) {
      for (const arn of r.managed) {
        const name = arn.split("/").pop()!;
        const doc = AWS_MANAGED_POLICIES[name];
        expect({ arn, facts: !!doc }).toEqual({ arn, facts: true });
        for (const st of doc.statements) {
          const context = Object.fromEntries((st.condition as Statement["condition"] ?? []).map((c) => [c.variable, c.values[0].replace(/\*/g, "x1")]));
          for (const action of st.actions ?? []) {
            for (const resource of st.resources ?? []) {
              const req = { action, resource: resource === "*" ? `arn:aws:ec2:${d.region}:${ACCOUNT}:instance/i-0abc` : resource.replace(/\*/g, "x1"), context };
              expect({ role: r.name, ...req, allowed: allows(boundaryOf(r.name), req) }).toEqual({ role: r.name, ...req, allowed: true });
            }
          }
        }
      }
    }
  });

  test("a key reaches a boundary only by its own alias: not by the deployment's tag (any untagged key can be tagged), not by another key's alias", () => {
    const keyUsers = roles.map((r) => ({ r, reqs: r.inline.flatMap((st) => requestsOf(cloud, d.region, st)).filter((q) => q.context?.["kms:ResourceAliases"] !== undefined) })).filter((x) => x.reqs.length);
    expect(keyUsers.length).toBeGreaterThan(0);
    const allAliases = Object.values(cloud.resource.aws_kms_alias).map((a) => String(a.name));
    for (const { r, reqs } of keyUsers) {
      // Actions a role's AWS managed policy allows on every key (AmazonEKSClusterPolicy's kms:DescribeKey) are that policy's.
      const onAnyKey = (q: Request) => allows(boundaryOf(r.name), { action: q.action, resource: q.resource, context: {} });
      for (const req of reqs.filter((q) => !onAnyKey(q))) {
        const own = req.context!["kms:ResourceAliases"] as readonly string[];
        const without = Object.fromEntries(Object.entries(req.context!).filter(([k]) => k !== "kms:ResourceAliases"));
        const variants: Record<string, Request> = {
          // A key of the account tagged into the deployment (the tag is there, no alias of the deployment).
          taggedIn: { ...req, context: { ...without, [`aws:ResourceTag/deployment`]: d.name } },
          // A customer's key with its own alias.
          foreign: { ...req, context: { ...without, "kms:ResourceAliases": ["alias/customer-payments"] } },
          // Another key of the deployment (its other aliases).
          ...(allAliases.some((a) => !own.includes(a)) ? { otherKey: { ...req, context: { ...without, "kms:ResourceAliases": allAliases.filter((a) => !own.includes(a)) } } } : {}),
        };
        for (const [why, v] of Object.entries(variants)) expect({ role: r.name, why, action: v.action, allowed: allows(boundaryOf(r.name), v) }).toEqual({ role: r.name, why, action: v.action, allowed: false });
      }
    }
  });

  test("the cluster waits for its secrets key's alias: the cluster role's boundary reaches the key only by it", () => {
    type Encryption = { provider: { key_arn: string } };
    const [cluster] = Object.values(cloud.resource.aws_eks_cluster) as { encryption_config: Encryption | Encryption[]; depends_on?: string[] }[];
    const encryption = [cluster.encryption_config].flat()[0];
    const keyId = ref(encryption.provider.key_arn)![2];
    const alias = Object.entries(cloud.resource.aws_kms_alias).find(([, a]) => ref(a.target_key_id)?.[2] === keyId)![0];
    expect(cluster.depends_on).toContain(`aws_kms_alias.${alias}`);
  });

  test("a boundary allows nothing the role's own policies do not: no IAM, STS or key-policy action, no action of another role", () => {
    for (const r of roles) {
      const own = new Set([...r.inline.flatMap((st) => st.actions ?? []), ...r.managed.flatMap((arn) => AWS_MANAGED_POLICIES[arn.split("/").pop()!].statements.flatMap((st) => st.actions ?? []))]);
      const granted = boundaryOf(r.name).flatMap((st) => st.actions ?? []);
      expect({ role: r.name, extra: granted.filter((a) => !own.has(a)) }).toEqual({ role: r.name, extra: [] });
      expect({ role: r.name, escalation: granted.filter((a) => /^(iam:(?!CreateServiceLinkedRole$)|sts:|kms:PutKeyPolicy$|organizations:)/.test(a)) }).toEqual({ role: r.name, escalation: [] });
    }
  });

  const apply = () => statements("ApplyPolicies");
  const roleArn = (n: string) => `arn:aws:iam::${ACCOUNT}:role/${n}`;
  const managedArn = (n: string) => `arn:aws:iam::aws:policy/${n}`;

  test("the apply role can make every IAM request the cloud stack makes: each role created, its policies put and attached, with its own boundary", () => {
    for (const r of roles) {
      const ctx = { "iam:PermissionsBoundary": boundaryArn(r.name) };
      const wanted: Request[] = [
        { action: "iam:CreateRole", resource: roleArn(r.name), context: ctx },
        { action: "iam:PutRolePermissionsBoundary", resource: roleArn(r.name), context: ctx },
        { action: "iam:TagRole", resource: roleArn(r.name) },
        // Passed to the service each attribute passes it to (PASS_ROLE_ATTRIBUTES' sourced service, where there is one).
        ...passesOf(cloud, r.name).map((attribute): Request => {
          const service = PASS_ROLE_ATTRIBUTES[attribute].service;
          return { action: "iam:PassRole", resource: roleArn(r.name), context: service ? { "iam:PassedToService": service } : {} };
        }),
        ...(r.inline.length ? [{ action: "iam:PutRolePolicy", resource: roleArn(r.name), context: ctx }] : []),
        ...r.managed.map((arn) => ({ action: "iam:AttachRolePolicy", resource: roleArn(r.name), context: { ...ctx, "iam:PolicyARN": arn } })),
      ];
      for (const req of wanted) expect({ ...req, allowed: allows(apply(), req) }).toEqual({ ...req, allowed: true });
    }
  });

  test("instances only as EKS launches a node group: from a launch template of the account, in the deployment's region", () => {
    const template = `arn:aws:ec2:${d.region}:${ACCOUNT}:launch-template/lt-0123456789abcdef0`;
    const launch = (context: Record<string, string>) => allows(apply(), { action: "ec2:RunInstances", resource: `arn:aws:ec2:${d.region}:${ACCOUNT}:instance/*`, context });
    expect(launch({ "ec2:LaunchTemplate": template, "aws:RequestedRegion": d.region })).toBe(true);
    expect(launch({ "aws:RequestedRegion": d.region })).toBe(false);
    expect(launch({ "ec2:LaunchTemplate": template, "aws:RequestedRegion": "us-east-1" })).toBe(false);
    expect(launch({ "ec2:LaunchTemplate": `arn:aws:ec2:${d.region}:210987654321:launch-template/lt-0123456789abcdef0`, "aws:RequestedRegion": d.region })).toBe(false);
  });

  test("the escalation a role of its own would be is refused: no other role name, no role without its boundary or with another's, no other policy attached", () => {
    const [a, b] = [roles.find((r) => r.managed.length)!, roles.find((r) => r.inline.length)!];
    const own = (r: { name: string }) => ({ "iam:PermissionsBoundary": boundaryArn(r.name) });
    const refused: Request[] = [
      // A new role of the deployment's prefix, even with a real boundary.
      { action: "iam:CreateRole", resource: roleArn(`${d.name}-x`), context: own(a) },
      { action: "iam:PutRolePolicy", resource: roleArn(`${d.name}-x`), context: own(a) },
      // A role of the deployment without a boundary, or with another role's (wider) boundary.
      { action: "iam:CreateRole", resource: roleArn(b.name) },
      { action: "iam:PutRolePolicy", resource: roleArn(b.name) },
      { action: "iam:PutRolePolicy", resource: roleArn(b.name), context: own(a) },
      { action: "iam:PutRolePermissionsBoundary", resource: roleArn(b.name), context: own(a) },
      // AdministratorAccess, or another role's managed policy.
      { action: "iam:AttachRolePolicy", resource: roleArn(a.name), context: { ...own(a), "iam:PolicyARN": managedArn("AdministratorAccess") } },
      { action: "iam:AttachRolePolicy", resource: roleArn(a.name), context: { ...own(a), "iam:PolicyARN": roles.flatMap((r) => r.managed).find((m) => !a.managed.includes(m))! } },
      // A role nothing passes (it is assumed through IRSA), and the node role passed to EC2 (an instance of one's own).
      ...roles.filter((r) => passesOf(cloud, r.name).length === 0).map((r) => ({ action: "iam:PassRole", resource: roleArn(r.name), context: { "iam:PassedToService": "ec2.amazonaws.com" } })),
      { action: "iam:PassRole", resource: roleArn(`${d.name}-eks-node`), context: { "iam:PassedToService": "ec2.amazonaws.com" } },
      // The CI roles.
      { action: "iam:PutRolePolicy", resource: roleArn(`${d.name}-github-apply`), context: own(a) },
      { action: "iam:UpdateAssumeRolePolicy", resource: roleArn(`${d.name}-github-apply`) },
    ];
    for (const req of refused) expect({ ...req, allowed: allows(apply(), req) }).toEqual({ ...req, allowed: false });
  });

  test("no role gets a new trust from CI, nor is deleted to be created again with one, whatever else grants it", () => {
    // Every role the cloud stack holds, the CI roles, and a role of the customer's.
    for (const name of [...roles.map((r) => r.name), `${d.name}-github-apply`, "customer-admin"]) {
      for (const action of TRUST_CHANGE_ACTIONS) {
        const req = { action, resource: roleArn(name) };
        expect({ ...req, denied: denies(apply(), req), allowed: allows(apply(), req) }).toEqual({ ...req, denied: true, allowed: false });
      }
    }
    // A role that does not exist yet is still created, with its boundary (its trust is in the request).
    const first = roles[0];
    expect(allows(apply(), { action: "iam:CreateRole", resource: roleArn(first.name), context: { "iam:PermissionsBoundary": boundaryArn(first.name) } })).toBe(true);
  });

  test("no boundary can be changed, replaced or taken off a role, whatever else grants it", () => {
    const denied = (req: Request) => denies(apply(), req);
    for (const r of roles) {
      for (const action of ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion"]) expect({ action, r: r.name, denied: denied({ action, resource: boundaryArn(r.name) }) }).toEqual({ action, r: r.name, denied: true });
      expect(denied({ action: "iam:DeleteRolePermissionsBoundary", resource: roleArn(r.name) })).toBe(true);
    }
  });
});

describe("key writes: granted only for a key setting that calls them (terraform-provider-aws kms/key.go)", () => {
  /** The settings of each key of a synthesized cloud stack. */
  const keysOf = (cloud: Tf) =>
    Object.values(cloud.resource.aws_kms_key).map((k) => ({ enabled: k.is_enabled ?? true, rotation: k.enable_key_rotation, policy: k.policy !== undefined, allowDestroy: (k.lifecycle as { prevent_destroy?: boolean } | undefined)?.prevent_destroy !== true }));
  const grantedKeyWrites = (statements: Statement[]) => new Set(statements.filter((s) => s.effect === "Allow").flatMap((s) => s.actions ?? []).filter((a) => a in CONDITIONAL_KEY_WRITES));

  test.each([
    ["examples/aws.yaml", [], "examples-aws"],
    ["examples/aws-estate-keys.yaml", ["kms:PutKeyPolicy"], "examples-aws-estate-keys"],
  ])("%s: the keys as synthesized need %j", (file, expected, key) => {
    const keys = nonEmpty(keysOf(cloudStack(key)), "KMS key");
    const needed = Object.entries(CONDITIONAL_KEY_WRITES).filter(([, f]) => keys.some((k) => f.needed(k))).map(([a]) => a);
    expect(needed).toEqual(expected);
    // A key policy change is needed by the customer-managed keys' settings but never granted: an administrator applies
    // it (KEY_POLICY_CHANGE_ACTIONS, denied outright: deploy-scoping.test.ts).
    expect([...grantedKeyWrites(load(file).statements("ApplyPolicies"))].sort()).toEqual(expected.filter((a) => !(KEY_POLICY_CHANGE_ACTIONS as readonly string[]).includes(a)));
  });

  test("a deployment whose keys may be destroyed (dataProtection.allowDestroy) is granted the deletion", () => {
    const { statements } = load("examples/aws.yaml", { dataProtection: { allowDestroy: true } } as Partial<DeploymentInput>);
    expect([...grantedKeyWrites(statements("ApplyPolicies"))]).toEqual(["kms:ScheduleKeyDeletion"]);
  });
});

test("each AWS managed policy is attached at its real ARN: the paths the cloud stack writes are the ones IAM lists", () => {
  for (const [name, fact] of Object.entries(AWS_MANAGED_POLICIES)) expect({ name, path: `/${AWS_MANAGED_POLICY_PATHS[name] ?? ""}` }).toEqual({ name, path: fact.path });
  const attached = ["examples-aws", "default"].flatMap((key) =>
    Object.values(synthesizedStacks(key))
      .flatMap((st) => Object.values(((st as { resource?: Json }).resource ?? {}).aws_iam_role_policy_attachment ?? {}))
      .map((a) => String(a.policy_arn)),
  );
  expect(attached).toContain("arn:${data.aws_partition.Partition.partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy");
  for (const arn of attached) {
    const name = arn.split("/").pop()!;
    expect({ arn, fact: !!AWS_MANAGED_POLICIES[name] }).toEqual({ arn, fact: true });
    expect(arn.endsWith(`:iam::aws:policy${AWS_MANAGED_POLICIES[name].path}${name}`)).toBe(true);
  }
});

test("the apply role never reads or writes the objects in the deployment's buckets, whatever a bucket policy it writes grants", () => {
  const { statements, d } = load("examples/aws-estate-keys.yaml");
  const cloud = cloudStack("examples-aws-estate-keys");
  const buckets = nonEmpty(Object.values(cloud.resource.aws_s3_bucket).map((b) => String(b.bucket)), "bucket");
  const denied = (req: Request) => denies(statements("ApplyPolicies"), req);
  for (const b of buckets) {
    for (const action of ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObjectVersion"]) expect({ b, action, denied: denied({ action, resource: `arn:aws:s3:::${b}/backups/x` }) }).toEqual({ b, action, denied: true });
  }
  // The bucket itself stays manageable (no Deny on the bucket's own ARN), and the state bucket is not touched by it.
  expect(denied({ action: "s3:GetObject", resource: `arn:aws:s3:::${buckets[0]}` })).toBe(false);
  expect(denied({ action: "s3:GetObject", resource: `arn:aws:s3:::${d.state.backend === "s3" ? d.state.bucket : ""}/metadata-platform/${d.name}-aws.tfstate` })).toBe(false);
});

describe("a role the boundaries cannot be derived for stops the bootstrap, naming the fix", () => {
  /** A stack with one role `acme-x`, its inline statement on `resource` and the given AWS managed policy attached. */
  function roleStack(resource: (s: TerraformStack) => string, managed?: string) {
    const stack = new TerraformStack(Testing.app(), "acme-aws");
    new AwsProvider(stack, "Aws", { region: "eu-west-1" });
    const role = new IamRole(stack, "Role", { name: "acme-x", assumeRolePolicy: "{}" });
    const doc = new DataAwsIamPolicyDocument(stack, "Doc", { statement: [{ effect: "Allow", actions: ["sqs:SendMessage"], resources: [resource(stack)] }] });
    new IamRolePolicy(stack, "Policy", { role: role.name, policy: doc.json });
    if (managed) new IamRolePolicyAttachment(stack, "Managed", { role: role.name, policyArn: `arn:aws:iam::aws:policy/${managed}` });
    return deploymentRoles([stack]);
  }
  const scope = { partition: "aws", account: ACCOUNT, region: "eu-west-1", name: "acme" };

  test("a resource type without a pattern (it would otherwise be widened silently)", () => {
    const roles = roleStack((s) => new SqsQueue(s, "Queue", { name: "acme-q" }).arn);
    expect(() => roleBoundaryStatements(roles.roles[0], roles.stacks, scope)).toThrow(/names aws_sqs_queue\.Queue: give the roles' boundaries a pattern for aws_sqs_queue \(stacks\/bootstrap\/aws-role-boundary\.ts\)/);
  });

  test("an AWS managed policy without published facts", () => {
    const roles = roleStack(() => "arn:aws:sqs:eu-west-1:123456789012:acme-q", "AdministratorAccess");
    expect(() => roleBoundaryStatements(roles.roles[0], roles.stacks, scope)).toThrow(/no facts for the AWS managed policies AdministratorAccess of acme-x: copy their documents into stacks\/bootstrap\/aws-managed-policy-facts\.ts/);
  });

  test("a literal ARN stays as it is (a customer's resource named in the config)", () => {
    const roles = roleStack(() => "arn:aws:sqs:eu-west-1:123456789012:acme-q");
    expect(roleBoundaryStatements(roles.roles[0], roles.stacks, scope)).toEqual([{ sid: "Scoped1", effect: "Allow", actions: ["sqs:SendMessage"], resources: ["arn:aws:sqs:eu-west-1:123456789012:acme-q"] }]);
  });
});
