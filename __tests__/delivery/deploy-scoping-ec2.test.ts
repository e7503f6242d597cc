import { conditionProblems, type SynthesizedStatement } from "../../stacks/bootstrap/aws-condition-facts";
import { awsDeployStatements, DEPLOYMENT_TAG, ec2CreatedType, ec2ResourceTypesOf } from "../../stacks/bootstrap/aws-deploy-policy";
import { DEFAULT_NETWORK_ACL_RELEASE, DEFAULT_SECURITY_GROUP_ADOPTION, EC2_ACTION_FACTS, EC2_ARN_FORMATS, EC2_CREATIONS, EC2_REFERENCE_ATTRIBUTES } from "../../stacks/bootstrap/aws-ec2-facts";
import { AWS_PERMISSIONS } from "../../stacks/bootstrap/permission-facts";
import { synthesizedStacks } from "../support/deployments";
import { applyStatements } from "../support/aws-apply-statements";
import { allows, denies } from "../support/iam-match";

// The AWS apply role's EC2 writes, scoped by the deployment's tag (stacks/bootstrap/aws-deploy-policy.ts,
// ec2DeployStatements), checked request by request: for every EC2 resource of each AWS example's synthesized cloud
// stack, the requests its create, update and delete make (the actions permission-facts.ts maps its type to, on the
// resource types the Service Authorization Reference lists for each, aws-ec2-facts.ts) are allowed by the synthesized
// bootstrap policies, and the same requests on another VPC, security group, route table or network ACL of the account
// (untagged, or tagged for another deployment) are refused. IAM authorizes a request only when every resource in it is
// allowed (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html; EC2 evaluates
// each resource of a request on its own ARN: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-policies-for-amazon-ec2.html).

const ACCOUNT = "123456789012";
type Tf = { resource: Record<string, Record<string, Record<string, unknown>>>; data?: Record<string, Record<string, Record<string, unknown>>> };
type Context = Record<string, string | readonly string[]>;
/** One resource of a request: its ARN and the keys IAM sees for it (its tags). */
interface Part {
  readonly arn: string;
  readonly type: string;
  readonly role: "new" | "self" | "parent";
  readonly tags: Context;
}
/** One request: an action on its resources, with the request's own keys (tags in the request, the creating action). */
interface Ec2Request {
  readonly label: string;
  readonly action: string;
  readonly parts: readonly Part[];
  readonly request: Context;
}


/** IAM's decision on a request: every resource allowed by some Allow statement, none denied. */
function decide(statements: readonly SynthesizedStatement[], r: Ec2Request): boolean {
  return r.parts.every((p) => {
    const req = { action: r.action, resource: p.arn, context: { ...r.request, ...p.tags } };
    return allows(statements, req) && !denies(statements, req);
  });
}

const arnOf = (region: string, type: string, id: string) =>
  EC2_ARN_FORMATS[type].arn.replace("${Partition}", "aws").replace("${Region}", region).replace("${Account}", ACCOUNT).replace(/\$\{\w+\}$/, id);
const idOf = (type: string, key: string) => `${type.split("-").map((w) => w[0]).join("")}-${Buffer.from(key).toString("hex").slice(-17)}`;
const required = (action: string) => Object.keys(EC2_ACTION_FACTS[action].resourceTypes).filter((t) => t.endsWith("*")).map((t) => t.slice(0, -1));
const EC2_TF_TYPES = Object.entries(AWS_PERMISSIONS).filter(([t, p]) => !t.startsWith("data.") && p.write.some((a) => a.startsWith("ec2:") && a !== "ec2:RunInstances")).map(([t]) => t);

/**
 * The requests the synthesized cloud stack's EC2 resources make: for each resource and each EC2 write its type maps to,
 * the resource itself (new in its creating request, tagged `deployment: <name>` after) and the resources its attributes
 * name (EC2_REFERENCE_ATTRIBUTES: the deployment's own, tagged, or the existing network's, untagged), each of a type the
 * action takes. Tag writes: at creation (ec2:CreateAction), a later re-tag and a removal of another tag.
 */
function requestsOf(key: string, name: string, region: string): Ec2Request[] {
  const cloud = Object.entries(synthesizedStacks(key)).find(([id]) => id.endsWith("-aws"))![1] as unknown as Tf;
  const ours: Context = { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: name };
  const requested: Context = { [`aws:RequestTag/${DEPLOYMENT_TAG}`]: name, "aws:RequestTag/Name": "x", "aws:TagKeys": [DEPLOYMENT_TAG, "Name"] };
  const referenced = (value: unknown, type: string): Part[] =>
    (Array.isArray(value) ? value : [value]).map((v) => {
      const ref = /^\$\{(data\.)?(aws_[a-z0-9_]+)\.([^.]+)\.(id|allocation_id)\}$/.exec(String(v));
      if (!ref) throw new Error(`unresolved reference ${String(v)}`);
      if (ref[1]) return { arn: arnOf(region, type, String(cloud.data![ref[2]][ref[3]].id)), type, role: "parent", tags: {} };
      return { arn: arnOf(region, type, idOf(type, ref[3])), type, role: "parent", tags: ours };
    });
  const out: Ec2Request[] = [];
  for (const tfType of EC2_TF_TYPES) {
    for (const [id, config] of Object.entries(cloud.resource[tfType] ?? {})) {
      const own = EC2_CREATIONS[tfType]?.resourceType ?? (tfType === DEFAULT_SECURITY_GROUP_ADOPTION.type ? "security-group" : undefined);
      const self = own ? arnOf(region, own, idOf(own, id)) : undefined;
      const parents = Object.entries(EC2_REFERENCE_ATTRIBUTES).flatMap(([attr, type]) => (config[attr] === undefined ? [] : referenced(config[attr], type)));
      const label = `${tfType}.${id}`;
      for (const action of AWS_PERMISSIONS[tfType].write.filter((a) => a.startsWith("ec2:") && a !== "ec2:RunInstances")) {
        if (action === "ec2:CreateTags" || action === "ec2:DeleteTags") {
          if (!own) continue;
          const creating = EC2_CREATIONS[tfType];
          if (creating && action === "ec2:CreateTags") out.push({ label, action, parts: [{ arn: self!, type: own, role: "new", tags: {} }], request: { ...requested, "ec2:CreateAction": creating.action.replace(/^ec2:/, "") } });
          if (action === "ec2:CreateTags") {
            out.push({ label: `${label} (re-tag)`, action, parts: [{ arn: self!, type: own, role: "self", tags: ours }], request: { "aws:RequestTag/Name": "y", "aws:TagKeys": ["Name"] } });
          } else out.push({ label: `${label} (untag)`, action, parts: [{ arn: self!, type: own, role: "self", tags: ours }], request: { "aws:TagKeys": ["Name"] } });
          continue;
        }
        const types = ec2ResourceTypesOf(action);
        const creates = own !== undefined && ec2CreatedType(action) === own && EC2_CREATIONS[tfType]?.action === action;
        const parts: Part[] = [
          ...(own && self && types.includes(own) ? [{ arn: self, type: own, role: creates ? ("new" as const) : ("self" as const), tags: creates ? {} : ours }] : []),
          ...parents.filter((p) => types.includes(p.type) && p.type !== own),
        ];
        const missing = required(action).filter((t) => !parts.some((p) => p.type === t));
        if (missing.length) throw new Error(`${label}: ${action} requires ${missing.join(", ")}, which the resource names nowhere`);
        out.push({ label, action, parts, request: creates ? requested : {} });
      }
    }
  }
  return out;
}

/** The same request on someone else's resource: each part the deployment does not create in it, one at a time, swapped. */
function foreignVariants(r: Ec2Request, name: string): { label: string; request: Ec2Request }[] {
  return r.parts.flatMap((p, i) => {
    if (p.role === "new") return [];
    const theirs = p.arn.replace(/\/[^/]+$/, "/x-0f0e0d0c0b0a09080");
    const variants: { label: string; tags: Context }[] = [
      { label: `untagged ${p.type}`, tags: {} },
      { label: `${p.type} of another deployment`, tags: { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: `${name}-2` } },
    ];
    return variants.map((v) => ({ label: `${r.label} ${r.action} on an ${v.label}`, request: { ...r, parts: r.parts.map((q, j) => (j === i ? { ...q, arn: theirs, tags: v.tags } : q)) } }));
  });
}

describe.each([
  ["aws", "examples/aws.yaml", "examples-aws"],
  ["aws-estate", "examples/aws-estate.yaml", "examples-aws-estate"],
  ["aws-estate-keys", "examples/aws-estate-keys.yaml", "examples-aws-estate-keys"],
])("%s: the apply role's EC2 writes", (_label, file, key) => {
  const b = applyStatements(file, ACCOUNT);
  const requests = requestsOf(key, b.name, b.region);
  const ec2Allows = () => b.statements.filter((s) => s.effect === "Allow" && (s.actions ?? []).some((a) => a.startsWith("ec2:") && !/^ec2:(Describe|Get)/.test(a)));

  test("the requests cover every EC2 resource type of the stack and every EC2 write the apply role holds", () => {
    const cloud = Object.entries(synthesizedStacks(key)).find(([id]) => id.endsWith("-aws"))![1] as unknown as Tf;
    const present = EC2_TF_TYPES.filter((t) => Object.keys(cloud.resource[t] ?? {}).length > 0);
    expect(present.length).toBeGreaterThanOrEqual(6);
    expect(new Set(requests.map((r) => r.label.split(".")[0]))).toEqual(new Set(present));
    const granted = new Set(ec2Allows().flatMap((s) => s.actions ?? []).filter((a) => a !== "ec2:RunInstances"));
    expect(new Set(requests.map((r) => r.action))).toEqual(granted);
  });

  test("every request of the deployment's own resources is allowed (the default security group's first adoption aside)", () => {
    expect(requests.length).toBeGreaterThan(30);
    const refused = requests.filter((r) => !decide(b.statements, r)).map((r) => `${r.label} ${r.action} [${r.parts.map((p) => `${p.role} ${p.type}`).join(", ")}]`);
    expect(refused).toEqual([]);
  });

  test("the same requests on a VPC, subnet, security group, route table, network ACL or other resource the deployment did not create are refused", () => {
    const variants = requests.flatMap((r) => foreignVariants(r, b.name));
    expect(variants.length).toBeGreaterThan(20);
    const allowed = variants.filter((v) => decide(b.statements, v.request)).map((v) => v.label);
    expect(allowed).toEqual([]);
    // Among them, what a compromised pipeline would do first: open someone else's security group, route or ACL.
    const kinds = new Set(variants.map((v) => `${v.request.action} ${v.label.replace(/^.* on an /, "")}`));
    const expected = ["ec2:AuthorizeSecurityGroupIngress untagged security-group", "ec2:RevokeSecurityGroupEgress security-group of another deployment", "ec2:CreateTags untagged security-group"];
    if (key !== "examples-aws-estate") expected.push("ec2:CreateRoute untagged route-table", "ec2:ReplaceNetworkAclEntry untagged network-acl", "ec2:ModifyVpcAttribute untagged vpc", "ec2:CreateSubnet untagged vpc", "ec2:AssociateRouteTable untagged subnet");
    else expected.push("ec2:CreateSecurityGroup untagged vpc", "ec2:CreateFlowLogs untagged vpc");
    expect([...kinds].filter((k) => expected.includes(k)).sort()).toEqual([...expected].sort());
  });

  test("new resources only with the deployment's tag in the request; tags never put on an existing resource, nor the deployment tag changed or removed", () => {
    const creating = requests.filter((r) => r.parts.some((p) => p.role === "new"));
    expect(creating.length).toBeGreaterThan(5);
    for (const r of creating) {
      for (const request of [{ ...r.request, [`aws:RequestTag/${DEPLOYMENT_TAG}`]: `${b.name}-2` }, Object.fromEntries(Object.entries(r.request).filter(([k]) => k !== `aws:RequestTag/${DEPLOYMENT_TAG}`))]) {
        expect({ label: r.label, action: r.action, allowed: decide(b.statements, { ...r, request }) }).toEqual({ label: r.label, action: r.action, allowed: false });
      }
    }
    const region = b.region;
    const tagWrite = (action: string, type: string, tags: Context, request: Context) => decide(b.statements, { label: "", action, parts: [{ arn: arnOf(region, type, "x-0a0b0c0d0e0f10111"), type, role: "self", tags }], request });
    const ours = { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: b.name };
    const theirs = { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: `${b.name}-2` };
    const claim = { [`aws:RequestTag/${DEPLOYMENT_TAG}`]: b.name, "aws:TagKeys": [DEPLOYMENT_TAG] };
    for (const type of ["security-group", "launch-template", ...(key === "examples-aws-estate" ? [] : ["vpc", "subnet", "route-table", "network-acl"])]) {
      // An existing untagged resource (the VPC's default security group among them: DEFAULT_SECURITY_GROUP_ADOPTION), or another deployment's, claimed.
      expect({ type, untagged: tagWrite("ec2:CreateTags", type, {}, claim), theirs: tagWrite("ec2:CreateTags", type, theirs, claim) }).toEqual({ type, untagged: false, theirs: false });
      // The deployment's own: its deployment tag given another value, or removed (by name, or by a DeleteTags naming no key,
      // which deletes every tag: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html).
      expect({
        type,
        moved: tagWrite("ec2:CreateTags", type, ours, { [`aws:RequestTag/${DEPLOYMENT_TAG}`]: `${b.name}-2`, "aws:TagKeys": [DEPLOYMENT_TAG] }),
        removed: tagWrite("ec2:DeleteTags", type, ours, { "aws:TagKeys": [DEPLOYMENT_TAG, "Name"] }),
        all: tagWrite("ec2:DeleteTags", type, ours, {}),
        kept: tagWrite("ec2:CreateTags", type, ours, { [`aws:RequestTag/${DEPLOYMENT_TAG}`]: b.name, "aws:RequestTag/Name": "n", "aws:TagKeys": [DEPLOYMENT_TAG, "Name"] }),
        otherRemoved: tagWrite("ec2:DeleteTags", type, ours, { "aws:TagKeys": ["Name"] }),
      }).toEqual({ type, moved: false, removed: false, all: false, kept: true, otherRemoved: true });
    }
  });

  test("no EC2 write on every resource: each on the resource types the reference lists for it, by tag or by the existing network's exact ARNs", () => {
    for (const s of ec2Allows()) {
      const writes = (s.actions ?? []).filter((a) => a !== "ec2:RunInstances");
      if (writes.length === 0) continue;
      for (const a of writes) expect({ a, facts: EC2_ACTION_FACTS[a] !== undefined }).toEqual({ a, facts: true });
      expect({ sid: s.sid, star: (s.resources ?? []).includes("*") }).toEqual({ sid: s.sid, star: false });
      const byTag = (s.condition ?? []).some((c) => /^aws:(Resource|Request)Tag\/deployment$/.test(c.variable) && c.values.length === 1 && c.values[0] === b.name);
      const exact = (s.resources ?? []).every((r) => /:(vpc|subnet)\/(vpc|subnet)-[0-9a-f]+$/.test(r));
      // Tags at launch: only in a RunInstances request (the instances it may launch: the RunInstances describe block).
      const atLaunch = (s.condition ?? []).some((c) => c.variable === "ec2:CreateAction" && c.values.length === 1 && c.values[0] === "RunInstances");
      expect({ sid: s.sid, scoped: byTag || exact || atLaunch || s.sid === "WriteEc2AddressInterfaces" }).toEqual({ sid: s.sid, scoped: true });
    }
    expect(ec2Allows().flatMap(conditionProblems)).toEqual([]);
  });
});

describe.each([
  ["aws", "examples/aws.yaml", "examples-aws"],
  ["aws-estate", "examples/aws-estate.yaml", "examples-aws-estate"],
])("%s: ec2:RunInstances, granted for EKS's launch check, launches only into the deployment's subnets behind its security groups", (_label, file, key) => {
  const b = applyStatements(file, ACCOUNT);
  const cloud = Object.entries(synthesizedStacks(key)).find(([id]) => id.endsWith("-aws"))![1] as unknown as Tf;
  const ours = { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: b.name };
  // The node groups' subnets and their launch templates' security groups, as the synthesized stack names them.
  const nodeGroup = Object.values(cloud.resource.aws_eks_node_group)[0];
  const template = Object.values(cloud.resource.aws_launch_template)[0];
  const subnet = (ref: unknown): Part => {
    const m = /^\$\{(data\.)?aws_subnet\.([^.]+)\.id\}$/.exec(String(ref))!;
    const id = m[1] ? String(cloud.data!.aws_subnet[m[2]].id) : idOf("subnet", m[2]);
    return { arn: arnOf(b.region, "subnet", id), type: "subnet", role: "parent", tags: m[1] ? { "ec2:SubnetID": id } : { ...ours, "ec2:SubnetID": id } };
  };
  const group = (ref: unknown): Part => ({ arn: arnOf(b.region, "security-group", idOf("security-group", String(ref))), type: "security-group", role: "parent", tags: ours });
  const launchTemplate = `arn:aws:ec2:${b.region}:${ACCOUNT}:launch-template/lt-0a0b0c0d0e0f10111`;
  const launch = (where: Part, behind: Part): Ec2Request => ({
    label: "launch",
    action: "ec2:RunInstances",
    parts: [
      where,
      behind,
      ...["instance", "volume", "network-interface"].map((t): Part => ({ arn: arnOf(b.region, t, `${t.slice(0, 3)}-0a0b0c0d0e0f10111`), type: t, role: "new", tags: {} })),
      { arn: `arn:aws:ec2:${b.region}::image/ami-0a0b0c0d0e0f10111`, type: "image", role: "parent", tags: {} },
    ],
    request: { "ec2:LaunchTemplate": launchTemplate, "aws:RequestedRegion": b.region },
  });
  const subnets = (nodeGroup.subnet_ids as unknown[]).map(subnet);
  const groups = (template.vpc_security_group_ids as unknown[]).map(group);

  test("the node groups' launch (their subnets, their templates' security groups) is allowed, with the templates' instance and volume tags", () => {
    expect(subnets.length).toBeGreaterThanOrEqual(2);
    for (const s of subnets) for (const g of groups) expect({ subnet: s.arn, allowed: decide(b.statements, launch(s, g)) }).toEqual({ subnet: s.arn, allowed: true });
    const tagAtLaunch = (t: string, request: Context) => decide(b.statements, { label: "", action: "ec2:CreateTags", parts: [{ arn: arnOf(b.region, t, "x-0a0b0c0d0e0f10111"), type: t, role: "new", tags: {} }], request });
    expect(["instance", "volume"].map((t) => tagAtLaunch(t, { "ec2:CreateAction": "RunInstances", "aws:RequestTag/Name": "n", "aws:TagKeys": ["Name"] }))).toEqual([true, true]);
    // No existing instance or volume is tagged.
    expect(["instance", "volume"].map((t) => tagAtLaunch(t, { "aws:RequestTag/Name": "n", "aws:TagKeys": ["Name"] }))).toEqual([false, false]);
  });

  test("the same launch into another subnet (the default VPC's, another deployment's) or behind another security group is refused, whatever template it names", () => {
    const theirs = { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: `${b.name}-2` };
    const foreignSubnets: Part[] = [
      { arn: arnOf(b.region, "subnet", "subnet-0f0e0d0c0b0a09080"), type: "subnet", role: "parent", tags: { "ec2:SubnetID": "subnet-0f0e0d0c0b0a09080" } },
      { arn: arnOf(b.region, "subnet", "subnet-0f0e0d0c0b0a09081"), type: "subnet", role: "parent", tags: { ...theirs, "ec2:SubnetID": "subnet-0f0e0d0c0b0a09081" } },
    ];
    const foreignGroups: Part[] = [
      { arn: arnOf(b.region, "security-group", "sg-0f0e0d0c0b0a09080"), type: "security-group", role: "parent", tags: {} },
      { arn: arnOf(b.region, "security-group", "sg-0f0e0d0c0b0a09081"), type: "security-group", role: "parent", tags: theirs },
    ];
    // A subnet another account shares in (RAM): its owner's account is in its ARN.
    foreignSubnets.push({ arn: arnOf(b.region, "subnet", "subnet-0f0e0d0c0b0a09082").replace(`:${ACCOUNT}:`, ":210987654321:"), type: "subnet", role: "parent", tags: { "ec2:SubnetID": "subnet-0f0e0d0c0b0a09082" } });
    expect(foreignSubnets.map((s) => decide(b.statements, launch(s, groups[0])))).toEqual([false, false, false]);
    expect(foreignGroups.map((g) => decide(b.statements, launch(subnets[0], g)))).toEqual([false, false]);
    // Into the deployment's own subnet, but with a public address.
    const exposed = launch(subnets[0], groups[0]);
    const withPublicAddress = { ...exposed, parts: exposed.parts.map((p) => (p.type === "network-interface" ? { ...p, tags: { "ec2:AssociatePublicIpAddress": "true" } } : p)) };
    expect([decide(b.statements, exposed), decide(b.statements, withPublicAddress)]).toEqual([true, false]);
  });
});

describe("the default security group, EC2's own, is not adopted by CI", () => {
  const b = applyStatements("examples/aws.yaml", ACCOUNT);
  const cloud = Object.entries(synthesizedStacks("examples-aws")).find(([id]) => id.endsWith("-aws"))![1] as unknown as Tf;

  test("the created network has one; its adoption (a plain CreateTags on the untagged group, then rule revocations) is refused, its later changes allowed", () => {
    expect(Object.keys(cloud.resource[DEFAULT_SECURITY_GROUP_ADOPTION.type] ?? {})).toHaveLength(1);
    const group = arnOf(b.region, "security-group", "sg-0a0b0c0d0e0f10111");
    const request = (action: string, tags: Context, req: Context): Ec2Request => ({ label: "", action, parts: [{ arn: group, type: "security-group", role: "self", tags }], request: req });
    const adopt = { [`aws:RequestTag/${DEPLOYMENT_TAG}`]: b.name, "aws:TagKeys": [DEPLOYMENT_TAG, "Name"] };
    expect(DEFAULT_SECURITY_GROUP_ADOPTION.calls.map((a) => decide(b.statements, request(a, {}, a === "ec2:CreateTags" ? adopt : {})))).toEqual([false, false, false]);
    const ours = { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: b.name };
    expect(["ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress"].map((a) => decide(b.statements, request(a, ours, {})))).toEqual([true, true]);
  });
});

describe("a subnet handed back to the VPC's default network ACL (EC2's own, untagged) is an administrator's apply", () => {
  test("the release is refused; a deployment subnet's association with a deployment ACL is allowed", () => {
    const b = applyStatements("examples/aws.yaml", ACCOUNT);
    const subnet: Part = { arn: arnOf(b.region, "subnet", "subnet-0a0b0c0d0e0f10111"), type: "subnet", role: "parent", tags: { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: b.name } };
    const acl = (tags: Context): Part => ({ arn: arnOf(b.region, "network-acl", "acl-0a0b0c0d0e0f10111"), type: "network-acl", role: "self", tags });
    const replace = (tags: Context) => decide(b.statements, { label: "", action: DEFAULT_NETWORK_ACL_RELEASE.call, parts: [acl(tags), subnet], request: {} });
    expect([replace({}), replace({ [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: b.name })]).toEqual([false, true]);
  });
});

describe("the EC2 facts", () => {
  test("every EC2 write the stacks map has the reference's resource types and condition keys; each creation fact names the provider's creating call", () => {
    const writes = new Set(Object.values(AWS_PERMISSIONS).flatMap((p) => p.write.filter((a) => a.startsWith("ec2:") && a !== "ec2:RunInstances")));
    expect([...writes].filter((a) => !EC2_ACTION_FACTS[a])).toEqual([]);
    for (const [tfType, c] of Object.entries(EC2_CREATIONS)) {
      expect({ tfType, inWrites: AWS_PERMISSIONS[tfType].write.includes(c.action), takes: ec2ResourceTypesOf(c.action).includes(c.resourceType) }).toEqual({ tfType, inWrites: true, takes: true });
      expect(c.source).toMatch(/^https:\/\/github\.com\/hashicorp\/terraform-provider-aws\/blob\/v5\.100\.0\/internal\/service\/ec2\/.+\.go \(.+: TagSpecifications/);
      // The created type accepts the request's tags, and CreateTags on it the creating action.
      expect({ tfType, keys: EC2_ACTION_FACTS[c.action].resourceTypes[`${c.resourceType}*`] ?? EC2_ACTION_FACTS[c.action].resourceTypes[c.resourceType] }).toEqual({ tfType, keys: expect.arrayContaining(["aws:RequestTag/${TagKey}"]) });
      expect(EC2_ACTION_FACTS["ec2:CreateTags"].resourceTypes[c.resourceType]).toEqual(expect.arrayContaining(["ec2:CreateAction", "aws:ResourceTag/${TagKey}", "aws:RequestTag/${TagKey}"]));
    }
  });

  test("an EC2 write without facts is refused, not put on *", () => {
    expect(() => awsDeployStatements("Write", ["ec2:CreateVpcPeeringConnection"], { partition: "aws", account: ACCOUNT, region: "eu-west-1", name: "x" })).toThrow(/ec2:CreateVpcPeeringConnection has no resource-type facts/);
    // And a write on a type nothing of the deployment creates is refused, not left without a resource.
    expect(() => awsDeployStatements("Write", ["ec2:RevokeSecurityGroupIngress"], { partition: "aws", account: ACCOUNT, region: "eu-west-1", name: "x" })).toThrow(/ec2:RevokeSecurityGroupIngress act on no resource type the deployment creates/);
  });
});
