import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { loadDeployment } from "../../config/load";
import type { Deployment } from "../../config/schema";
import { buildDeployment } from "../../stacks/deployment";
import { RETIRED_EBS_ENCRYPTION_BY_DEFAULT } from "../../stacks/aws-stack";
import { synthesizedStacks } from "../support/deployments";
import { trustFindings } from "../../scripts/trust-guard";
import { actionOf, editState, OfflineStack, offlinePlanUnavailable, type DataValues, type PlanJson, type StateV4 } from "../support/offline-plan";

// What ordinary changes over a deployment's life do to the live AWS objects, decided by the real
// terraform 1.11 and hashicorp/aws 5.100.0 planning offline (see ../support/offline-plan.ts): a state the test
// writes (the production-shaped example, fake-applied), then a plan of a changed configuration against it.

const ACCOUNT = "123456789012";
const STACK = "acme-prod-aws";

/** Test values where the stack reads an AWS API (the rest of its data sources are computed by the provider). */
function dataValues(zones: readonly string[]): DataValues {
  return {
    aws_availability_zones: { names: [...zones], zone_ids: zones.map((z) => `euw1-az${z.slice(-1)}`), id: "eu-west-1", group_names: ["eu-west-1"] },
    aws_caller_identity: { account_id: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:role/platform-admins`, id: ACCOUNT, user_id: "AROAOFFLINE" },
    aws_kms_key: { arn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/00000000-0000-4000-8000-0000000000eb`, id: "00000000-0000-4000-8000-0000000000eb" },
  };
}
const ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];

const example = loadDeployment(["--config", "examples/aws.yaml"], {});

/** The AWS stack of a deployment as main.ts writes it (the same stacks, aspects, escaping and cross-stack outputs). */
function synthAwsStack(d: Deployment): Record<string, unknown> {
  const outdir = mkdtempSync(path.join(os.tmpdir(), "offline-plan-synth-"));
  try {
    const app = new App({ outdir });
    buildDeployment(app, d);
    app.synth();
    return JSON.parse(readFileSync(path.join(outdir, "stacks", STACK, "cdk.tf.json"), "utf8")) as Record<string, unknown>;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Every managed change of a plan that is not a no-op: `<action> <address>`. */
function changes(plan: PlanJson): string[] {
  return (plan.resource_changes ?? []).filter((c) => c.mode === "managed" && actionOf(c) !== "no-op").map((c) => `${actionOf(c)} ${c.address}`);
}

/** Types whose objects hold data or keys: a plan must never delete or replace one. */
const STATEFUL = /^(aws_s3_bucket|aws_kms_key|aws_eks_cluster|aws_cloudwatch_log_group)\./;

const unavailable = offlinePlanUnavailable();
let stack: OfflineStack;
let applied: StateV4;

beforeAll(() => {
  if (unavailable) throw new Error(`the offline plan cannot run: ${unavailable}`);
  // The stack main.ts wrote for examples/aws.yaml in this test run (global setup) is what is planned.
  const shipped = synthesizedStacks("examples-aws")[STACK];
  stack = new OfflineStack(shipped, dataValues(ZONES));
  applied = stack.appliedState();
}, 300_000);

afterAll(() => stack?.dispose());

/** Plans `config` (default: the example) with the live zone list `zones` against `state` (default: the applied one). */
function plan(options: { config?: Record<string, unknown>; zones?: readonly string[]; state?: StateV4 } = {}): PlanJson {
  stack.writeConfig(options.config ?? synthesizedStacks("examples-aws")[STACK], dataValues(options.zones ?? ZONES));
  return stack.plan(options.state ?? applied);
}

test("the harness: the stack main.ts wrote equals the one the variants are built from", () => {
  const strip = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(strip) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== "//").map(([k, x]) => [k, strip(x)])) : v;
  expect(strip(synthAwsStack(example))).toEqual(strip(synthesizedStacks("examples-aws")[STACK]));
});

test("the harness: planning the applied configuration again changes nothing", () => {
  expect(changes(plan())).toEqual([]);
}, 120_000);

test("the harness catches a moving zone: with the old element(live list) subnets, a shrinking list replaces them", () => {
  // The expression every subnet had before the zones were pinned, without the pin's ignore_changes.
  const old = JSON.parse(JSON.stringify(synthesizedStacks("examples-aws")[STACK])) as { resource: Record<string, Record<string, Record<string, unknown>>>; data: Record<string, Record<string, unknown>> };
  const zonesId = Object.keys(old.data.aws_availability_zones)[0];
  Object.values(old.resource.aws_subnet).forEach((s) => {
    const i = Number(/names\.(\d)\}$/.exec(String(s.availability_zone))![1]);
    s.availability_zone = `\${element(data.aws_availability_zones.${zonesId}.names, ${i})}`;
    delete s.lifecycle;
  });
  const moved = changes(plan({ config: old, zones: ["eu-west-1b", "eu-west-1c"] }));
  // (Create-before-destroy, inherited from the node groups that depend on them.)
  expect(moved).toEqual(expect.arrayContaining([expect.stringMatching(/^(replace|create-before-destroy) aws_subnet\.Network_PrivateA_/), expect.stringMatching(/ aws_eks_node_group\./)]));
}, 120_000);

test("a zone leaving the live list (an incident) moves no subnet and no node group: nothing changes", () => {
  expect(changes(plan({ zones: ["eu-west-1b", "eu-west-1c"] }))).toEqual([]);
  // Nor does a zone coming back in another order, or a new zone.
  expect(changes(plan({ zones: ["eu-west-1d", "eu-west-1c", "eu-west-1a", "eu-west-1b"] }))).toEqual([]);
}, 120_000);

test("a machine type change replaces only that node group, and creates the new one before destroying the old", () => {
  const bigger = { ...example, nodePools: example.nodePools.map((p) => (p.name === "general" ? { ...p, machineType: "m6i.2xlarge" } : p)) };
  const p = plan({ config: synthAwsStack(bigger) });
  expect(changes(p)).toEqual([expect.stringMatching(/^create-before-destroy aws_eks_node_group\.NodeGroupGeneral_/)]);
  const group = p.resource_changes!.find((c) => c.address.startsWith("aws_eks_node_group.NodeGroupGeneral_"))!;
  expect(group.change.replace_paths).toEqual([["instance_types"]]);
}, 120_000);

test("a disk size change is a new launch template version: the node group is updated in place (an EKS rolling update)", () => {
  const disk = { ...example, nodePools: example.nodePools.map((p) => (p.name === "data" ? { ...p, diskSizeGiB: 300 } : p)) };
  const got = changes(plan({ config: synthAwsStack(disk) }));
  expect(got).toEqual([expect.stringMatching(/^update aws_eks_node_group\.NodeGroupData_/), expect.stringMatching(/^update aws_launch_template\.NodeGroupData_LaunchTemplate_/)]);
}, 120_000);

test("a deployment from before the roles' boundaries: each role takes its boundary in place, nothing else changes", () => {
  // Such a state's roles have no permissions_boundary; the aws provider's resourceRoleUpdate sets it with
  // PutRolePermissionsBoundary (internal/service/iam/role.go), which the plan shows as an in-place update.
  const old = editState(applied, /^aws_iam_role\./, (a) => {
    a.permissions_boundary = "";
  });
  const p = plan({ state: old });
  const roles = p.resource_changes!.filter((c) => c.type === "aws_iam_role");
  expect(roles.length).toBe(7);
  expect(changes(p)).toEqual(roles.map((c) => `update ${c.address}`));
  for (const c of roles) expect((c.change.after as { permissions_boundary: string }).permissions_boundary).toBe(`arn:aws:iam::${ACCOUNT}:policy/${(c.change.after as { name: string }).name}-boundary`);
}, 120_000);

describe("the CI trust guard reads the real provider's plans (scripts/trust-guard.ts)", () => {
  test("a plan that only updates roles in place (their boundaries, tags) changes no trust: nothing is refused", () => {
    const old = editState(applied, /^aws_iam_role\./, (a) => {
      a.permissions_boundary = "";
    });
    const retagged = synthAwsStack({ ...example, tags: { ...example.tags, costCenter: "cc-42" } });
    const p = plan({ config: retagged, state: old });
    // Every role is updated. The service-account roles' trusts are not known until apply (their policy documents read
    // the OIDC provider, which takes the new tag), but the provider stays: the trust is the same.
    expect(changes(p).filter((c) => c.startsWith("update aws_iam_role.")).length).toBe(7);
    expect(p.resource_changes!.filter((c) => c.type === "aws_iam_role" && (c.change.after_unknown as { assume_role_policy?: boolean }).assume_role_policy).length).toBe(4);
    expect(changes(p)).toContain("update aws_iam_openid_connect_provider.Cluster_OidcProvider_7184AB77");
    expect(trustFindings(p)).toEqual([]);
  }, 120_000);

  test("a role whose trust names another cluster's OIDC provider (a replaced cluster) is an administrator's apply", () => {
    let edited = "";
    const old = editState(applied, /^aws_iam_role\./, (a) => {
      const trust = String(a.assume_role_policy);
      if (edited || !trust.includes("AssumeRoleWithWebIdentity")) return;
      a.assume_role_policy = trust.replace(/("Federated":")[^"]*/, `$1arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OLDCLUSTER0000000000000000000000`);
      edited = String(a.name);
    });
    expect(edited).not.toBe("");
    const found = trustFindings(plan({ state: old }));
    expect(found.map((f) => f.change)).toEqual(["trust"]);
    expect(found[0].message).toMatch(/iam:UpdateAssumeRolePolicy/);
  }, 120_000);

  test("a new OIDC provider (the cluster replaced) makes every service-account role's unknown trust a change", () => {
    const old = editState(applied, /^aws_iam_openid_connect_provider\./, (a) => {
      a.url = "https://oidc.eks.eu-west-1.amazonaws.com/id/OLDCLUSTER0000000000000000000000";
    });
    const p = plan({ state: old });
    expect(changes(p)).toContain("replace aws_iam_openid_connect_provider.Cluster_OidcProvider_7184AB77");
    expect(trustFindings(p).map((f) => `${f.change} ${f.address}`)).toEqual([
      "oidc-provider aws_iam_openid_connect_provider.Cluster_OidcProvider_7184AB77",
      ...p.resource_changes!.filter((c) => c.type === "aws_iam_role" && String(c.change.before?.assume_role_policy).includes("AssumeRoleWithWebIdentity")).map((c) => `trust ${c.address}`),
    ]);
    expect(trustFindings(p).length).toBe(5);
  }, 120_000);

  test("an OIDC provider without the deployment's tag (tagged by hand, or untagged) is given it by an administrator's apply: the apply role tags only the deployment's own", () => {
    const old = editState(applied, /^aws_iam_openid_connect_provider\./, (a) => {
      const tags = { ...(a.tags_all as Record<string, string>) };
      delete tags.deployment;
      a.tags_all = tags;
      a.tags = {};
    });
    const p = plan({ state: old });
    expect(changes(p)).toContain("update aws_iam_openid_connect_provider.Cluster_OidcProvider_7184AB77");
    expect(trustFindings(p)).toEqual([{ address: "aws_iam_openid_connect_provider.Cluster_OidcProvider_7184AB77", change: "oidc-provider", message: expect.stringMatching(/deployment tag changes/) }]);
  }, 120_000);

  test("an alias that would point at another key (its key replaced) is an administrator's apply: the keys are reached by their aliases", () => {
    const moved = editState(applied, /^aws_kms_alias\.VaultUnseal/, (a) => {
      a.target_key_id = "00000000-0000-4000-8000-00000000dead";
    });
    const p = plan({ state: moved });
    expect(changes(p)).toEqual([expect.stringMatching(/^update aws_kms_alias\.VaultUnseal_Key_Alias_/)]);
    expect(trustFindings(p)).toEqual([{ address: expect.stringMatching(/^aws_kms_alias\.VaultUnseal_Key_Alias_/), change: "alias", message: expect.stringMatching(/kms:UpdateAlias/) }]);
  }, 120_000);

  test("a key whose policy the configuration changes (a customer-managed key's service policy) is an administrator's apply; the same policy written differently is not", () => {
    const config = JSON.parse(JSON.stringify(synthesizedStacks("examples-aws")[STACK])) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const [keyId, key] = Object.entries(config.resource.aws_kms_key).find(([id]) => id.startsWith("VaultUnseal"))!;
    const statement = (principal: string) => ({ Sid: "Admins", Effect: "Allow", Principal: { AWS: principal }, Action: "kms:*", Resource: "*" });
    key.policy = JSON.stringify({ Version: "2012-10-17", Statement: [statement(`arn:aws:iam::${ACCOUNT}:root`)] });
    const live = (policy: string) => editState(applied, new RegExp(`^aws_kms_key\\.${keyId}$`), (a) => {
      a.policy = policy;
    });
    // The live key trusts another account: the configuration's policy would be written over it with PutKeyPolicy.
    const rewritten = plan({ config, state: live(JSON.stringify({ Version: "2012-10-17", Statement: [statement("arn:aws:iam::999999999999:root")] })) });
    // (The role policy naming the key is read again after the key's update: terraform defers its document, unchanged.)
    expect(changes(rewritten).filter((c) => !c.startsWith("update aws_iam_role_policy."))).toEqual([`update aws_kms_key.${keyId}`]);
    expect(trustFindings(rewritten)).toEqual([{ address: `aws_kms_key.${keyId}`, change: "key-policy", message: expect.stringMatching(/kms:PutKeyPolicy/) }]);
    // The same document with its keys in another order: the provider plans no update, and the guard finds nothing.
    const same = plan({ config, state: live(JSON.stringify({ Statement: [{ Resource: "*", Action: "kms:*", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Effect: "Allow", Sid: "Admins" }], Version: "2012-10-17" })) });
    expect(changes(same)).toEqual([]);
    expect(trustFindings(same)).toEqual([]);
  }, 180_000);

  test("a role the configuration no longer holds is deleted: an administrator's apply too", () => {
    const extra = JSON.parse(JSON.stringify(applied)) as StateV4;
    const role = extra.resources.find((r) => r.type === "aws_iam_role")!;
    extra.resources.push({ ...JSON.parse(JSON.stringify(role)), name: "Retired_0000AAAA" });
    const found = trustFindings(plan({ state: extra }));
    expect(found).toEqual([{ address: "aws_iam_role.Retired_0000AAAA", change: "delete", message: expect.stringMatching(/would be DELETED.*iam:DeleteRole/) }]);
  }, 120_000);
});

test("a tag change updates resources in place and replaces nothing", () => {
  const retagged = { ...example, tags: { ...example.tags, costCenter: "cc-42" } };
  const got = changes(plan({ config: synthAwsStack(retagged) }));
  expect(got.length).toBeGreaterThan(10);
  expect(got.filter((c) => !c.startsWith("update "))).toEqual([]);
}, 120_000);

test("a deployment created before this version: subnets and cluster stay, the zones are pinned as they are, node groups are renewed once before-destroy, and the account's EBS setting is forgotten, not turned off", () => {
  // What such a state holds that this version does not write: no pin, the creator flag on, fixed node group
  // names, the account-wide EBS setting at its old address.
  let old = editState(applied, /^aws_eks_cluster\./, (a) => {
    (a.access_config as { bootstrap_cluster_creator_admin_permissions: boolean }[])[0].bootstrap_cluster_creator_admin_permissions = true;
    a.upgrade_policy = [];
  });
  old = editState(old, /^aws_eks_node_group\./, (a) => {
    a.node_group_name = `acme-prod-${String((a.labels as Record<string, string>).pool)}`;
    a.node_group_name_prefix = "";
  });
  old = { ...old, resources: old.resources.filter((r) => r.type !== "terraform_data") };
  const [type, name] = RETIRED_EBS_ENCRYPTION_BY_DEFAULT.split(".");
  old.resources.push({ mode: "managed", type, name, provider: 'provider["registry.terraform.io/hashicorp/aws"]', instances: [{ schema_version: 0, attributes: { id: "terraform-ebs-default", enabled: true }, sensitive_attributes: [] }] });

  const p = plan({ state: old });
  const got = changes(p);
  expect(got.filter((c) => STATEFUL.test(c.split(" ")[1]) && !c.startsWith("update "))).toEqual([]);
  expect(got.filter((c) => / aws_subnet\./.test(c))).toEqual([]);
  expect(got).toContain(`update ${p.resource_changes!.find((c) => c.type === "aws_eks_cluster")!.address}`); // upgrade_policy only
  const cluster = p.resource_changes!.find((c) => c.type === "aws_eks_cluster")!;
  expect((cluster.change.after as { access_config: { bootstrap_cluster_creator_admin_permissions: boolean }[] }).access_config[0].bootstrap_cluster_creator_admin_permissions).toBe(true);
  expect(got.filter((c) => / aws_eks_node_group\./.test(c))).toEqual([
    expect.stringMatching(/^create-before-destroy aws_eks_node_group\.NodeGroupData_/),
    expect.stringMatching(/^create-before-destroy aws_eks_node_group\.NodeGroupGeneral_/),
  ]);
  expect(got).toContain(`create ${p.resource_changes!.find((c) => c.type === "terraform_data")!.address}`);
  // The removed block: Terraform forgets the object; AWS keeps encrypting by default.
  const ebs = p.resource_changes!.find((c) => c.address === RETIRED_EBS_ENCRYPTION_BY_DEFAULT)!;
  expect(ebs.change.actions).toEqual(["forget"]);
  expect(got.filter((c) => c.startsWith("delete ") || c.startsWith("replace "))).toEqual([]);
}, 120_000);
