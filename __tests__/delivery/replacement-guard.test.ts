import { formatGuard, guardPlan, STATEFUL_TYPES, type PlanJson, type PlannedResourceChange } from "../../scripts/replacement-guard";
import { OFFLINE_AWS_PROVIDER, OfflinePlanner, type StateResource } from "../support/offline-plan";
import { synthesizedStacks } from "../support/deployments";

// The replacement guard reads plans in terraform's JSON output format
// (https://developer.hashicorp.com/terraform/internals/json-format, "resource_changes": actions, action_reason,
// replace_paths, previous_address). Part 1 holds it against plans written in that format; part 2 against
// plans the real terraform and hashicorp/aws 5.100.0 make offline from the synthesized stack's blocks.

const withState = { prior_state: { values: { root_module: { resources: [{ address: "x" }] } } } };
const change = (c: Partial<PlannedResourceChange> & Pick<PlannedResourceChange, "address" | "type">, actions: string[], extra: Partial<PlannedResourceChange["change"]> = {}): PlannedResourceChange => ({
  mode: "managed",
  ...c,
  change: { actions, ...extra },
});
const plan = (...changes: PlannedResourceChange[]): PlanJson => ({ format_version: "1.2", ...withState, resource_changes: changes });

describe("plans in terraform's documented format", () => {
  test("a replace forced by a changed attribute is refused, naming the resource and the attribute", () => {
    const r = guardPlan("acme-aws", plan(change({ address: "aws_eks_node_group.NodeGroupGeneral_5A2B1C3D", type: "aws_eks_node_group", action_reason: "replace_because_cannot_update" }, ["delete", "create"], { replace_paths: [["instance_types"]] })));
    expect(r.ok).toBe(false);
    expect(r.findings).toEqual([
      expect.objectContaining({ address: "aws_eks_node_group.NodeGroupGeneral_5A2B1C3D", action: "replace", verdict: "refused", message: expect.stringContaining("attribute instance_types cannot change in place (forces replacement)") }),
    ]);
    expect(formatGuard(r)).toMatch(/REFUSE aws_eks_node_group\.NodeGroupGeneral_5A2B1C3D \(a node group .*\) would be REPLACED \(destroyed, then created\)/);
  });

  test("a delete is refused; when a resource of the same type appears elsewhere, the moved block is suggested", () => {
    const r = guardPlan("acme-vault", plan(
      change({ address: "kubernetes_namespace_v1.Vault_Namespace_1", type: "kubernetes_namespace_v1", action_reason: "delete_because_no_resource_config" }, ["delete"]),
      change({ address: "kubernetes_namespace_v1.Secrets_Namespace_2", type: "kubernetes_namespace_v1" }, ["create"]),
    ));
    expect(r.ok).toBe(false);
    const [f] = r.findings;
    expect(f).toMatchObject({ action: "delete", verdict: "refused" });
    expect(f.message).toContain("would be DESTROYED");
    expect(f.message).toContain("moved {\n        from = kubernetes_namespace_v1.Vault_Namespace_1\n        to   = kubernetes_namespace_v1.Secrets_Namespace_2\n      }");
  });

  test("a move (moved block: previous_address set, no delete) keeps the resource and passes", () => {
    const r = guardPlan("acme-aws", plan(change({ address: "aws_s3_bucket.Data_NEW", previous_address: "aws_s3_bucket.Data_OLD", type: "aws_s3_bucket" }, ["no-op"])));
    expect(r).toMatchObject({ ok: true, findings: [{ action: "move", verdict: "allowed", message: "aws_s3_bucket.Data_NEW: moved from aws_s3_bucket.Data_OLD (a moved block); kept" }] });
  });

  test("create-before-destroy: allowed for node groups (no data, capacity never drops), refused for data holders", () => {
    const nodes = guardPlan("acme-aws", plan(change({ address: "aws_eks_node_group.NodeGroupGeneral_5A2B1C3D", type: "aws_eks_node_group", action_reason: "replace_because_cannot_update" }, ["create", "delete"], { replace_paths: [["instance_types"]] })));
    expect(nodes.ok).toBe(true);
    expect(nodes.findings[0]).toMatchObject({ action: "replace-create-first", verdict: "allowed" });
    const bucket = guardPlan("acme-aws", plan(change({ address: "aws_s3_bucket.Data", type: "aws_s3_bucket", action_reason: "replace_because_cannot_update" }, ["create", "delete"], { replace_paths: [["bucket"]] })));
    expect(bucket.ok).toBe(false);
    expect(bucket.findings[0]).toMatchObject({ action: "replace-create-first", verdict: "refused" });
  });

  test("a taint and a -replace request are named as such", () => {
    const tainted = guardPlan("s", plan(change({ address: "aws_kms_key.K", type: "aws_kms_key", action_reason: "replace_because_tainted" }, ["delete", "create"])));
    expect(tainted.findings[0].message).toContain("it is tainted");
    const requested = guardPlan("s", plan(change({ address: "aws_kms_key.K", type: "aws_kms_key", action_reason: "replace_by_request" }, ["delete", "create"])));
    expect(requested.findings[0].message).toContain("-replace was requested");
  });

  test("a per-resource acknowledgement lets exactly that resource through", () => {
    const p = plan(
      change({ address: "aws_s3_bucket.A", type: "aws_s3_bucket" }, ["delete"]),
      change({ address: "aws_s3_bucket.B", type: "aws_s3_bucket" }, ["delete"]),
    );
    const r = guardPlan("s", p, ["aws_s3_bucket.A"]);
    expect(r.findings.map((f) => [f.address, f.verdict])).toEqual([["aws_s3_bucket.A", "acknowledged"], ["aws_s3_bucket.B", "refused"]]);
  });

  test("stateless resources may be replaced; updates in place and creates pass silently", () => {
    const r = guardPlan("s", plan(
      change({ address: "aws_security_group.Nodes", type: "aws_security_group" }, ["delete", "create"], { replace_paths: [["name"]] }),
      change({ address: "aws_eks_cluster.Cluster", type: "aws_eks_cluster" }, ["update"]),
      change({ address: "data.aws_iam_policy_document.P", type: "aws_iam_policy_document", mode: "data" }, ["read"]),
    ));
    expect(r).toEqual({ stack: "s", findings: [], warnings: [], ok: true });
  });

  test("a plan that creates stateful resources from empty state warns that the state may have moved (name or keyPrefix changed)", () => {
    const r = guardPlan("acme-aws", { format_version: "1.2", resource_changes: [change({ address: "aws_s3_bucket.Data", type: "aws_s3_bucket" }, ["create"])] }, [], "s3://acme-state/metadata-platform/acme-aws.tfstate");
    expect(r.ok).toBe(true);
    expect(r.warnings[0]).toMatch(/^acme-aws: no existing state at s3:\/\/acme-state\/metadata-platform\/acme-aws\.tfstate: every resource will be created new\. .*\(state\.keyPrefix \/ state\.prefix\) changed/);
  });

  test("every stateful type the stacks synthesize is in the guard's table", () => {
    // Buckets, keys, clusters, node groups, volumes' owners, namespaces, Vault's data: by type, in every shipped deployment.
    const expected = ["aws_s3_bucket", "aws_kms_key", "aws_eks_cluster", "aws_eks_node_group", "azurerm_storage_account", "azurerm_key_vault", "azurerm_kubernetes_cluster", "azurerm_kubernetes_cluster_node_pool", "google_storage_bucket", "google_kms_crypto_key", "google_container_cluster", "google_container_node_pool", "kubernetes_stateful_set_v1", "kubernetes_namespace_v1", "vault_mount", "vault_transit_secret_backend_key"];
    const synthesized = new Set(["default", "examples-aws", "examples-azure", "examples-gcp"].flatMap((k) => Object.values(synthesizedStacks(k)).flatMap((s) => Object.keys((s.resource ?? {}) as object))));
    for (const t of expected) {
      expect({ type: t, synthesized: synthesized.has(t), guarded: t in STATEFUL_TYPES }).toEqual({ type: t, synthesized: true, guarded: true });
    }
  });
});

describe("plans of the real terraform and hashicorp/aws 5.100.0, offline, from the synthesized stack's buckets", () => {
  type Block = Record<string, unknown>;
  const stack = synthesizedStacks("default")["demo-aws"] as { resource: Record<string, Record<string, Block>>; provider: { aws: Block[] }; terraform: { required_providers: Block } };
  const ACCOUNT = "123456789012"; // the test value where the stack reads data.aws_caller_identity
  const buckets = stack.resource.aws_s3_bucket;
  const dataId = Object.keys(buckets).find((k) => k.startsWith("Data_")) as string;
  const logsId = Object.keys(buckets).find((k) => k.startsWith("Logs_")) as string;
  /** A synthesized bucket block with the data source replaced by its test value; `lifecycle` as given. */
  const bucket = (id: string, lifecycle?: Block): Block => {
    const { ["//"]: _meta, lifecycle: _synthesized, ...rest } = buckets[id];
    const text = JSON.stringify(rest).replace(/\$\{data\.aws_caller_identity\.Account\.account_id\}/g, ACCOUNT);
    return { ...(JSON.parse(text) as Block), ...(lifecycle ? { lifecycle } : {}) };
  };
  const nameOf = (id: string) => String(bucket(id).bucket);
  const config = (resources: Record<string, Block>, extra: Block = {}) => ({
    terraform: { required_providers: stack.terraform.required_providers },
    provider: { aws: [{ ...stack.provider.aws[0], ...OFFLINE_AWS_PROVIDER }] },
    resource: { aws_s3_bucket: resources },
    ...extra,
  });
  const inState = (name: string, bucketName: string): StateResource => ({ type: "aws_s3_bucket", name, attributes: { id: bucketName, bucket: bucketName, force_destroy: false } });

  let planner: OfflinePlanner;
  beforeAll(() => {
    planner = new OfflinePlanner();
  });
  afterAll(() => planner?.remove());

  test("the synthesized buckets are protected: a forced replacement fails the whole plan (exit 1), with no way through but code", () => {
    // As synthesized (prevent_destroy), renaming the bucket stops terraform plan itself, after planning
    // everything, with an error (terraform saves the plan only as an errored plan, which apply refuses).
    const { ["//"]: _m, ...asSynthesized } = buckets[dataId];
    const text = JSON.stringify(asSynthesized).replace(/\$\{data\.aws_caller_identity\.Account\.account_id\}/g, ACCOUNT);
    const r = planner.plan(config({ [dataId]: JSON.parse(text) as Block }), [inState(dataId, "demo-data-210987654321-eu-west-1")]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain("Instance cannot be destroyed");
  }, 300_000);

  test("a replace forced by a changed attribute: the guard names the bucket and `bucket`", () => {
    const r = planner.plan(config({ [dataId]: bucket(dataId) }), [inState(dataId, "demo-data-210987654321-eu-west-1")]);
    if (!r.ok) throw new Error(r.error);
    const g = guardPlan("demo-aws", r.plan);
    expect(g.ok).toBe(false);
    expect(g.findings).toEqual([expect.objectContaining({ address: `aws_s3_bucket.${dataId}`, action: "replace", verdict: "refused" })]);
    expect(g.findings[0].message).toContain("attribute bucket cannot change in place (forces replacement)");
  }, 300_000);

  test("a delete (block removed): refused", () => {
    const r = planner.plan(config({ [dataId]: bucket(dataId) }), [inState(dataId, nameOf(dataId)), inState(logsId, nameOf(logsId))]);
    if (!r.ok) throw new Error(r.error);
    const g = guardPlan("demo-aws", r.plan);
    expect(g.findings).toEqual([expect.objectContaining({ address: `aws_s3_bucket.${logsId}`, action: "delete", verdict: "refused" })]);
    expect(g.findings[0].message).toContain("its block is no longer in the configuration");
  }, 300_000);

  test("a changed address: the guard suggests the moved block; with it, the plan keeps the bucket and the guard passes", () => {
    const old = "Data_0LD1D000";
    const moved = planner.plan(config({ [dataId]: bucket(dataId) }), [inState(old, nameOf(dataId))]);
    if (!moved.ok) throw new Error(moved.error);
    const g = guardPlan("demo-aws", moved.plan);
    expect(g.ok).toBe(false);
    expect(g.findings[0].message).toContain(`moved {\n        from = aws_s3_bucket.${old}\n        to   = aws_s3_bucket.${dataId}\n      }`);
    // The block the guard suggested, as terraform's JSON syntax writes it.
    const fixed = planner.plan(config({ [dataId]: bucket(dataId) }, { moved: [{ from: `aws_s3_bucket.${old}`, to: `aws_s3_bucket.${dataId}` }] }), [inState(old, nameOf(dataId))]);
    if (!fixed.ok) throw new Error(fixed.error);
    const after = guardPlan("demo-aws", fixed.plan);
    expect(after.ok).toBe(true);
    expect(after.findings).toEqual([expect.objectContaining({ action: "move", verdict: "allowed" })]);
  }, 300_000);

  test("create-before-destroy: terraform orders create first; a bucket is still refused", () => {
    const r = planner.plan(config({ [dataId]: bucket(dataId, { create_before_destroy: true }) }), [inState(dataId, "demo-data-210987654321-eu-west-1")]);
    if (!r.ok) throw new Error(r.error);
    const c = r.plan.resource_changes?.find((x) => x.type === "aws_s3_bucket");
    expect(c?.change.actions).toEqual(["create", "delete"]);
    expect(guardPlan("demo-aws", r.plan).findings[0]).toMatchObject({ action: "replace-create-first", verdict: "refused" });
  }, 300_000);
});
