import { Testing } from "cdktf";
import { validateDeployment, readConfigFile } from "../../config/load";
import type { Cloud, DeploymentInput } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { AwsStateStack } from "../../stacks/bootstrap/aws-state-stack";
import { derivePermissions, notCloud, requirePermissions, synthesizedTypes } from "../../stacks/bootstrap/deploy-permissions";
import { deploymentStacks } from "../../stacks/bootstrap/deployment-types";
import { AWS_PERMISSIONS, AZURE_PERMISSIONS, GCP_PERMISSIONS } from "../../stacks/bootstrap/permission-facts";
import { ALIAS_CHANGE_ACTIONS, IAM_QUOTAS, iamJsonLength, KEY_POLICY_CHANGE_ACTIONS, TRUST_CHANGE_ACTIONS } from "../../stacks/bootstrap/aws-deploy-policy";
import { DEPLOYMENTS, synthesizedStacks } from "../support/deployments";
import { nonEmpty } from "../support/non-empty";

/** Types in a synthesized stack's JSON: resource types, and data sources as data.<type>. */
function jsonTypes(stack: Record<string, unknown>): string[] {
  const r = Object.keys((stack.resource ?? {}) as object);
  const d = Object.keys((stack.data ?? {}) as object).map((t) => `data.${t}`);
  return [...r, ...d];
}

function shipped(): { key: string; cloud: Cloud; types: string[] }[] {
  return DEPLOYMENTS.map(({ key }) => {
    const stacks = synthesizedStacks(key);
    const cloudId = Object.keys(stacks).find((id) => /-(aws|azure|gcp)$/.test(id)) as string;
    const cloud = cloudId.split("-").pop() as Cloud;
    return { key, cloud, types: [...new Set(Object.values(stacks).flatMap(jsonTypes))].sort() };
  });
}

test("every resource and data source type of every shipped deployment's synthesized stacks has its permissions mapped", () => {
  const all = shipped();
  expect(all.map((s) => s.key)).toEqual(expect.arrayContaining(["default", "examples-aws", "examples-azure", "examples-gcp"]));
  for (const s of all) expect({ key: s.key, unmapped: derivePermissions(s.cloud, s.types).unmapped }).toEqual({ key: s.key, unmapped: [] });
});

test("a synthesized type without a mapping is reported, and the bootstrap refuses to derive from it", () => {
  expect(derivePermissions("aws", ["aws_vpc", "aws_lb", "data.aws_ami", "kubernetes_secret_v1"]).unmapped).toEqual(["aws_lb", "data.aws_ami"]);
  expect(derivePermissions("gcp", ["google_sql_database_instance"]).unmapped).toEqual(["google_sql_database_instance"]);
  expect(derivePermissions("azure", ["azurerm_linux_virtual_machine"]).unmapped).toEqual(["azurerm_linux_virtual_machine"]);
  expect(() => requirePermissions("aws", ["aws_lb"])).toThrow(/no aws permissions are mapped for aws_lb: add them to stacks\/bootstrap\/permission-facts\.ts/);
});

test("the bootstrap derives from the same cloud-authorized types the deployment synthesizes", () => {
  const d = validateDeployment(readConfigFile("examples/aws.yaml") as DeploymentInput, "examples/aws.yaml");
  // cdktf adds terraform_remote_state reads only while writing; they need no cloud permission (NOT_CLOUD).
  const cloudTypes = (types: string[]) => types.filter((t) => notCloud(t) === undefined || t.startsWith("kubernetes_") || t.startsWith("vault_"));
  const fromStacks = cloudTypes(synthesizedTypes(deploymentStacks(d)));
  const fromJson = cloudTypes(shipped().find((s) => s.key === "examples-aws")!.types);
  expect(fromStacks.filter((t) => t.startsWith("aws_")).length).toBeGreaterThan(30);
  expect(fromStacks).toEqual(fromJson);
});

const ACTION: Record<Cloud, RegExp> = {
  // service:Action (IAM's action syntax), never a wildcard.
  aws: /^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$/,
  // Microsoft.<Provider>/<type>[/<subtype>...]/<read|write|delete|action>, never a wildcard.
  azure: /^Microsoft\.[A-Za-z]+(\/[A-Za-z0-9]+)+\/(read|write|delete|action)$/,
  // <service>.<resource>.<verb>, never a wildcard.
  gcp: /^[a-z]+\.[a-zA-Z]+\.[a-zA-Z]+$/,
};

test("no mapped action is a wildcard; each is well formed and each entry names its source", () => {
  for (const [cloud, table] of [["aws", AWS_PERMISSIONS], ["azure", AZURE_PERMISSIONS], ["gcp", GCP_PERMISSIONS]] as const) {
    for (const [type, p] of Object.entries(table)) {
      for (const a of [...p.read, ...p.write]) expect({ type, a, ok: ACTION[cloud].test(a) && !a.includes("*") }).toEqual({ type, a, ok: true });
      expect(p.source).toMatch(/https:\/\/|constructs\/|no API call/);
    }
  }
  expect(notCloud("kubernetes_stateful_set_v1")).toMatch(/RBAC/);
  expect(notCloud("data.terraform_remote_state")).toMatch(/state/);
});

test("GCP: the apply role may run the cloud stack's `gcloud beta services identity create` (terraform_data.GkeServiceAgent)", () => {
  // The local-exec is in the synthesized stack, and GenerateServiceIdentity has its own permission (Google's Binary
  // Authorization custom-roles page lists serviceusage.services.generateServiceIdentity for enabling an API).
  const cloud = Object.entries(synthesizedStacks("examples-gcp")).find(([id]) => id.endsWith("-gcp"))![1] as { resource: Record<string, Record<string, { provisioner?: { "local-exec"?: { command: string } }[] }>> };
  const commands = Object.values(cloud.resource.terraform_data ?? {}).flatMap((r) => (r.provisioner ?? []).map((p) => p["local-exec"]?.command ?? ""));
  expect(commands.some((c) => /gcloud beta services identity create/.test(c))).toBe(true);
  const derived = derivePermissions("gcp", shipped().find((s) => s.key === "examples-gcp")!.types);
  expect(derived.write).toContain("serviceusage.services.generateServiceIdentity");
});

test("GCP: every Compute Engine resource the stacks write may poll its operation (global or regional), or the insert is lost from state", () => {
  const computeTypes = [...new Set(shipped().filter((s) => s.key.startsWith("examples-gcp")).flatMap((s) => s.types).filter((t) => t.startsWith("google_compute_")))];
  expect(computeTypes.length).toBeGreaterThan(3);
  for (const t of computeTypes) {
    const polls = GCP_PERMISSIONS[t].write.filter((p) => /^compute\.(global|region|zone)Operations\.get$/.test(p));
    expect({ t, polls: polls.length }).toEqual({ t, polls: 1 });
  }
  const derived = derivePermissions("gcp", shipped().find((s) => s.key === "examples-gcp")!.types);
  expect(derived.write).toEqual(expect.arrayContaining(["compute.globalOperations.get", "compute.regionOperations.get"]));
});

describe("the AWS bootstrap's deploy roles", () => {
  const d = validateDeployment(readConfigFile("examples/aws.yaml") as DeploymentInput, "examples/aws.yaml");
  const tf = JSON.parse(Testing.synth(new AwsStateStack(Testing.app(), "acme-prod-state", { deployment: deploymentOn("aws", d), githubRepository: "acme/p" }))) as {
    resource: Record<string, Record<string, Record<string, unknown>>>;
    data: Record<string, Record<string, { statement: { sid: string; effect: string; actions?: string[]; resources?: string[] }[] }>>;
  };
  const docs = (prefix: string) => Object.entries(tf.data.aws_iam_policy_document).filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  const actions = (prefix: string) => docs(prefix).flatMap((doc) => doc.statement.filter((s) => s.effect === "Allow").flatMap((s) => s.actions ?? []));
  const derived = derivePermissions("aws", shipped().find((s) => s.key === "examples-aws")!.types);

  test("no AWS managed policy (no AdministratorAccess, no ReadOnlyAccess) and no wildcard action", () => {
    const attached = Object.values(tf.resource.aws_iam_role_policy_attachment).map((a) => String(a.policy_arn));
    expect(attached.filter((a) => a.includes(":iam::aws:policy/"))).toEqual([]);
    // Every customer managed policy is attached to a CI role, but the roles' boundaries (attached to no identity: a role names its boundary).
    const boundaries = Object.values(tf.resource.aws_iam_policy).filter((p) => String(p.name).endsWith("-boundary"));
    expect(boundaries.length).toBeGreaterThan(0);
    expect(attached).toHaveLength(Object.keys(tf.resource.aws_iam_policy).length - boundaries.length);
    for (const a of [...actions("PlanPolicies"), ...actions("ApplyPolicies")]) expect(a).not.toContain("*");
  });

  test("the plan role gets exactly the derived read actions (and reads its state), the apply role the read and write actions", () => {
    expect(new Set(actions("PlanPolicies"))).toEqual(new Set([...derived.read, "s3:ListBucket", "s3:GetObject"]));
    expect(actions("PlanPolicies").filter((a) => derived.write.includes(a))).toEqual(["s3:GetObject"].filter((a) => derived.write.includes(a)));
    // Less the key writes the aws provider makes only for key settings no key of examples/aws.yaml has (every key
    // enabled, rotated, without a policy of its own, under prevent_destroy: aws-key-writes.test.ts).
    const unneeded = ["kms:DisableKey", "kms:DisableKeyRotation", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"];
    expect(derived.write).toEqual(expect.arrayContaining(unneeded));
    // And less a role's new trust or its deletion, an alias moved or deleted, and a key policy rewritten, which the apply
    // role is denied (TRUST_CHANGE_ACTIONS, ALIAS_CHANGE_ACTIONS, KEY_POLICY_CHANGE_ACTIONS: role-boundary.test.ts, deploy-scoping.test.ts).
    const trust: readonly string[] = [...TRUST_CHANGE_ACTIONS, ...ALIAS_CHANGE_ACTIONS, ...KEY_POLICY_CHANGE_ACTIONS];
    expect(derived.write).toEqual(expect.arrayContaining([...trust]));
    expect(new Set(actions("ApplyPolicies"))).toEqual(new Set([...derived.read, ...derived.write.filter((a) => !unneeded.includes(a) && !trust.includes(a)), "s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"]));
    expect(derived.write).toEqual(expect.arrayContaining(["eks:CreateCluster", "ec2:CreateVpc", "kms:CreateKey", "iam:CreateRole", "s3:CreateBucket"]));
    expect(derived.read).not.toContain("eks:CreateCluster");
  });

  test("IAM and S3 actions are scoped to the deployment's own names; service-linked roles to EKS's", () => {
    // The grants (the Deny statements narrow them further: deploy-scoping.test.ts). IAM: the roles the synthesized
    // cloud stack creates, by exact ARN, and their boundaries (read by preflight); no prefix.
    const cloud = Object.entries(synthesizedStacks("examples-aws")).find(([id]) => id.endsWith("-aws"))![1] as { resource: Record<string, Record<string, { name: string }>> };
    const roleNames = Object.values(cloud.resource.aws_iam_role).map((r) => r.name);
    const own = new Set([...roleNames.map((n) => `:role/${n}`), ...roleNames.map((n) => `:policy/${n}-boundary`)]);
    const stmts = docs("ApplyPolicies").flatMap((doc) => doc.statement).filter((st) => st.effect === "Allow");
    for (const s of nonEmpty(stmts.filter((st) => (st.actions ?? []).some((a) => a.startsWith("iam:") && a !== "iam:CreateServiceLinkedRole" && !a.includes("OpenIDConnect"))), "IAM statement")) {
      for (const r of s.resources ?? []) expect({ sid: s.sid, r, own: own.has(r.slice(r.indexOf(":", r.indexOf(":iam::") + 6))) }).toEqual({ sid: s.sid, r, own: true });
    }
    // S3: the buckets the synthesized cloud stack creates, by exact name (and their objects).
    const buckets = Object.values(cloud.resource.aws_s3_bucket).map((b) => (b as unknown as { bucket: string }).bucket);
    expect(buckets.length).toBeGreaterThan(0);
    for (const s of nonEmpty(stmts.filter((st) => (st.actions ?? []).some((a) => a.startsWith("s3:")) && !st.sid.startsWith("State")), "S3 statement")) {
      expect(s.resources).toEqual(buckets.sort().flatMap((b) => [`arn:\${data.aws_partition.Partition.partition}:s3:::${b}`, `arn:\${data.aws_partition.Partition.partition}:s3:::${b}/*`]));
    }
    const slr = stmts.find((s) => s.sid === "WriteIamServiceLinkedRoles") as unknown as { condition: unknown };
    expect(slr.condition).toEqual([{ test: "StringEquals", variable: "iam:AWSServiceName", values: ["eks.amazonaws.com", "eks-nodegroup.amazonaws.com"] }]);
  });

  test(`each policy fits IAM's ${IAM_QUOTAS.managedPolicyChars}-character quota and each role at most ${IAM_QUOTAS.managedPoliciesPerRole} policies`, () => {
    for (const prefix of ["PlanPolicies", "ApplyPolicies"]) {
      // As IAM stores it: the account (12 digits) and partition (aws-us-gov, the longest commercial-style one) resolved.
      const real = (doc: unknown) => JSON.parse(JSON.stringify(doc).replace(/\$\{data\.aws_caller_identity\.[^}]+\}/g, "123456789012").replace(/\$\{data\.aws_partition\.[^}]+\}/g, "aws-us-gov")) as (typeof tf.data.aws_iam_policy_document)[string];
      const sizes = docs(prefix).map((doc) => iamJsonLength(real(doc).statement as never));
      expect(sizes.length).toBeLessThanOrEqual(IAM_QUOTAS.managedPoliciesPerRole);
      for (const n of sizes) expect(n).toBeLessThanOrEqual(IAM_QUOTAS.managedPolicyChars);
    }
  });
});
