import { Testing } from "cdktf";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { IMAGES } from "../../constructs/kubernetes/images";
import { buildDeployment } from "../../stacks/deployment";
import { OfflinePlanner, offlineAwsProvider, type StateResource } from "../support/offline-plan";
import { nonEmpty } from "../support/non-empty";
import type { PlanJson } from "../../scripts/replacement-guard";

// The documented upgrade paths (docs/deployment-guide.md, "Upgrades"): a Kubernetes minor upgrade (control
// plane first, then the node pools) and a service version bump. Bumping the configured versions must
// change only the expected attributes, and those in place: the real aws provider plans it (offline), the
// other providers' update-in-place facts are data with their source.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type StackJson = { resource: Record<string, Record<string, Record<string, Json>>>; provider: Record<string, Json[]>; terraform: Record<string, Json> };

function synth(input: DeploymentInput): Record<"cloud" | "vault" | "platform", StackJson> {
  const d = validateDeployment(input, "upgrade");
  const stacks = buildDeployment(Testing.app(), d);
  const json = (s: Parameters<typeof Testing.synth>[0]) => JSON.parse(Testing.synth(s)) as StackJson;
  return { cloud: json(stacks.cloud), vault: json(stacks.vault), platform: json(stacks.platform) };
}

/** Every leaf that differs between two synthesized stacks: `<type>.<id>.<path>`, construct metadata ignored. */
function changedPaths(a: Json, b: Json, at = ""): string[] {
  if (at.endsWith(".//")) return [];
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedPaths((a as Record<string, Json>)[k] ?? null, (b as Record<string, Json>)[k] ?? null, at ? `${at}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}
const resourcesOnly = (s: StackJson) => s.resource as unknown as Json;
const generalize = (paths: string[]) => [...new Set(paths.map((p) => p.replace(/^([a-z0-9_]+)\.[A-Za-z0-9_]+\./, "$1.*.")))].sort();

const example = (cloud: string) => readConfigFile(`examples/${cloud}.yaml`) as DeploymentInput & { controlPlane: Record<string, unknown>; nodePools: Record<string, unknown>[] };
/** One example at a control plane version, its pools pinned to `nodes` (or following the control plane). */
function at(cloud: string, controlPlane: string, nodes?: string): DeploymentInput {
  const e = example(cloud);
  return { ...e, controlPlane: { ...e.controlPlane, kubernetesVersion: controlPlane }, nodePools: e.nodePools.map((p) => ({ ...p, ...(nodes ? { kubernetesVersion: nodes } : {}) })) };
}

/**
 * Attributes each cloud's provider updates in place (no "forces a new resource"), from the providers' docs:
 * - aws: proven below by the real hashicorp/aws 5.100.0 plan.
 * - azurerm: https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/kubernetes_cluster
 *   (kubernetes_version: "Version of Kubernetes specified when creating the AKS managed cluster", updated by an
 *   upgrade; default_node_pool.orchestrator_version) and .../kubernetes_cluster_node_pool (orchestrator_version:
 *   "This version must be supported by the Kubernetes Cluster - as such the version of Kubernetes used on the
 *   Cluster/Control Plane may need to be upgraded first"): neither is marked "Changing this forces a new resource".
 * - google: https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/container_cluster
 *   (min_master_version: "the master will be updated to it"; not ForceNew).
 */
const IN_PLACE: Record<string, readonly string[]> = {
  azure: ["azurerm_kubernetes_cluster.*.kubernetes_version", "azurerm_kubernetes_cluster.*.default_node_pool.orchestrator_version", "azurerm_kubernetes_cluster_node_pool.*.orchestrator_version"],
  gcp: ["google_container_cluster.*.min_master_version"],
};

describe("Kubernetes minor upgrade: control plane first, then the node pools", () => {
  test.each([
    ["aws", ["aws_eks_cluster.*.version"], ["aws_eks_node_group.*.version"]],
    ["azure", ["azurerm_kubernetes_cluster.*.default_node_pool.orchestrator_version", "azurerm_kubernetes_cluster.*.kubernetes_version"], ["azurerm_kubernetes_cluster_node_pool.*.orchestrator_version"]],
  ])("%s: step 1 changes only the control plane's version, step 2 only the pools'", (cloud, step1, step2) => {
    const before = synth(at(cloud, "1.33")).cloud;
    const controlPlane = synth(at(cloud, "1.34", "1.33")).cloud;
    const pools = synth(at(cloud, "1.34")).cloud;
    expect(generalize(changedPaths(resourcesOnly(before), resourcesOnly(controlPlane)))).toEqual(step1);
    expect(generalize(changedPaths(resourcesOnly(controlPlane), resourcesOnly(pools)))).toEqual(step2);
    for (const p of [...step1, ...step2]) if (cloud in IN_PLACE) expect(IN_PLACE[cloud]).toContain(p);
  });

  test("gcp: the control plane's minimum version only; GKE's release channel upgrades the node pools after it", () => {
    const before = synth(at("gcp", "1.33")).cloud;
    const after = synth(at("gcp", "1.34")).cloud;
    const changed = generalize(changedPaths(resourcesOnly(before), resourcesOnly(after)));
    expect(changed).toEqual(["google_container_cluster.*.min_master_version"]);
    for (const p of changed) expect(IN_PLACE.gcp).toContain(p);
    expect(() => validateDeployment(at("gcp", "1.34", "1.33"), "gcp")).toThrow(/nodePools\[0\]\.kubernetesVersion: GKE's release channel upgrades node pools/);
  });

  test("the config refuses a pool newer than the control plane, or more than 3 minors behind it", () => {
    expect(() => validateDeployment(at("aws", "1.33", "1.34"), "f")).toThrow(/newer than the control plane \(1\.33\); upgrade the control plane first/);
    expect(() => validateDeployment(at("aws", "1.34", "1.30"), "f")).toThrow(/more than 3 minors older than the control plane/);
    expect(validateDeployment(at("aws", "1.34", "1.31"), "f").nodePools[0].kubernetesVersion).toBe("1.31");
  });
});

describe("the real aws provider plans the AWS upgrade in place", () => {
  const ACCOUNT = "123456789012";
  /** Test values where the synthesized blocks reference other resources (those are not planned here). */
  const REFERENCES: [RegExp, (name: string) => string][] = [
    [/^\$\{aws_iam_role\.([A-Za-z0-9_]+)\.arn\}$/, (n) => `arn:aws:iam::${ACCOUNT}:role/${n}`],
    [/^\$\{aws_kms_key\.([A-Za-z0-9_]+)\.arn\}$/, () => `arn:aws:kms:eu-west-1:${ACCOUNT}:key/00000000-0000-4000-8000-000000000001`],
    [/^\$\{aws_subnet\.([A-Za-z0-9_]+)\.id\}$/, (n) => `subnet-${n.length.toString(16).padStart(8, "0")}${n.charCodeAt(n.length - 1).toString(16)}`],
    [/^\$\{aws_security_group\.([A-Za-z0-9_]+)\.id\}$/, () => "sg-0123456789abcdef0"],
    [/^\$\{aws_eks_cluster\.([A-Za-z0-9_]+)\.name\}$/, () => "acme-prod"],
    [/^\$\{aws_launch_template\.([A-Za-z0-9_]+)\.id\}$/, () => "lt-0123456789abcdef0"],
    [/^\$\{aws_launch_template\.([A-Za-z0-9_]+)\.latest_version\}$/, () => "1"],
  ];
  function resolve(v: Json): Json {
    if (typeof v === "string" && v.includes("${")) {
      const hit = REFERENCES.find(([re]) => re.test(v));
      if (!hit) throw new Error(`no test value for the reference ${v}: add it to REFERENCES`);
      return hit[1](hit[0].exec(v)?.[1] ?? "");
    }
    if (Array.isArray(v)) return v.map(resolve);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => k !== "//" && k !== "depends_on" && k !== "lifecycle").map(([k, x]) => [k, resolve(x)]));
    return v;
  }
  /** The cluster and node group blocks of a synthesized AWS stack, as a root module the offline provider can plan. */
  const rootModule = (s: StackJson) => ({
    terraform: { required_providers: s.terraform.required_providers },
    provider: { aws: [offlineAwsProvider(s.provider.aws[0] as Record<string, Json>)] },
    resource: { aws_eks_cluster: resolve(s.resource.aws_eks_cluster), aws_eks_node_group: resolve(s.resource.aws_eks_node_group) },
  });
  /** State as if `plan` had been applied: its planned values, with ids where the provider computes them. */
  const stateFrom = (plan: PlanJson & { planned_values?: { root_module?: { resources?: { type: string; name: string; values: Record<string, unknown> }[] } } }): StateResource[] =>
    (plan.planned_values?.root_module?.resources ?? []).map((r) => ({ type: r.type, name: r.name, attributes: { ...r.values, id: r.type === "aws_eks_cluster" ? "acme-prod" : `acme-prod:${String(r.values.node_group_name)}` } }));
  /** Per resource: its actions and the attributes whose known values change (computed fill-ins ignored). */
  function changes(plan: PlanJson): Record<string, { actions: readonly string[]; attributes: string[] }> {
    const out: Record<string, { actions: readonly string[]; attributes: string[] }> = {};
    for (const c of (plan.resource_changes ?? []) as (PlanJson["resource_changes"] & object)[number][]) {
      const ch = c.change as { actions: string[]; before?: Record<string, Json>; after?: Record<string, Json>; after_unknown?: Record<string, unknown> };
      const attributes = Object.keys({ ...ch.before, ...ch.after }).filter((k) => !ch.after_unknown?.[k] && JSON.stringify(ch.before?.[k] ?? null) !== JSON.stringify(ch.after?.[k] ?? null));
      out[c.address.replace(/\.[A-Za-z0-9]+_[A-Z0-9]{8}$/, (m) => m.replace(/_[A-Z0-9]{8}$/, ""))] = { actions: ch.actions, attributes: attributes.sort() };
    }
    return out;
  }

  let planner: OfflinePlanner;
  beforeAll(() => {
    planner = new OfflinePlanner();
  });
  afterAll(() => planner?.remove());

  test("control plane 1.33 -> 1.34: the cluster is updated in place, only `version`; the node groups do not change", () => {
    const v133 = rootModule(synth(at("aws", "1.33")).cloud);
    const created = planner.plan(v133, []);
    if (!created.ok) throw new Error(created.error);
    const state = stateFrom(created.plan);
    // Baseline: the same config against that state changes no known attribute.
    const same = planner.plan(v133, state);
    if (!same.ok) throw new Error(same.error);
    for (const c of Object.values(changes(same.plan))) expect(c.attributes).toEqual([]);

    const step1 = planner.plan(rootModule(synth(at("aws", "1.34", "1.33")).cloud), state);
    if (!step1.ok) throw new Error(step1.error);
    const c = changes(step1.plan);
    expect(c["aws_eks_cluster.Cluster"]).toEqual({ actions: ["update"], attributes: ["version"] });
    for (const [address, n] of nonEmpty(Object.entries(c).filter(([a]) => a.startsWith("aws_eks_node_group.")), "node group change")) expect({ address, attributes: n.attributes, replaced: n.actions.includes("delete") }).toEqual({ address, attributes: [], replaced: false });

    // Step 2, the node groups, from the state after step 1.
    const afterStep1 = stateFrom(step1.plan as PlanJson & { planned_values?: never });
    const step2 = planner.plan(rootModule(synth(at("aws", "1.34")).cloud), afterStep1.length ? afterStep1 : state);
    if (!step2.ok) throw new Error(step2.error);
    const c2 = changes(step2.plan);
    const groups = Object.entries(c2).filter(([a]) => a.startsWith("aws_eks_node_group."));
    expect(groups).toHaveLength(2);
    for (const [address, n] of groups) expect({ address, ...n }).toEqual({ address, actions: ["update"], attributes: ["version"] });
    expect(c2["aws_eks_cluster.Cluster"].attributes).toEqual([]);
  }, 600_000);
});

describe("service version bump: rolling, one replica at a time, in place", () => {
  const original = IMAGES.postgresql.tag;
  afterEach(() => {
    (IMAGES.postgresql as { tag: string }).tag = original;
  });

  test("bumping PostgreSQL's pinned version changes only its containers' image, in place", () => {
    const before = synth(example("aws")).platform;
    (IMAGES.postgresql as { tag: string }).tag = "16.7";
    const after = synth(example("aws")).platform;
    const changed = changedPaths(resourcesOnly(before), resourcesOnly(after));
    expect(changed.length).toBeGreaterThan(0);
    for (const p of changed) expect(p).toMatch(/^kubernetes_stateful_set_v1\.Postgresql_[A-Z0-9]+\.spec\.template\.spec\.(container|init_container)\.\d+\.image$/);
    // None of the StatefulSet fields the kubernetes provider replaces the resource for
    // (https://registry.terraform.io/providers/hashicorp/kubernetes/latest/docs/resources/stateful_set_v1: selector,
    // service_name, volume_claim_template, pod_management_policy: "Changing this forces a new resource").
    for (const p of changed) expect(p).not.toMatch(/\.spec\.(selector|service_name|volume_claim_template|pod_management_policy)\b/);
  });

  test("the StatefulSets roll one pod at a time and every service has a PodDisruptionBudget of one", () => {
    // StatefulSet RollingUpdate replaces one pod at a time and waits for it to be Running and Ready before the
    // next, whatever the pod management policy (https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#rolling-updates);
    // node drains during node pool upgrades respect the PodDisruptionBudgets.
    const platform = synth(example("aws")).platform;
    const sets = Object.entries(platform.resource.kubernetes_stateful_set_v1 ?? {});
    expect(sets.length).toBeGreaterThanOrEqual(3);
    for (const [id, s] of sets) {
      const spec = s.spec as Record<string, Json>;
      // RollingUpdate over every ordinal: no partition holds pods back (partition 0 or none).
      const strategy = (spec.update_strategy as { type?: string; rolling_update?: { partition?: number }[] }[])[0];
      expect({ id, type: strategy.type, partition: strategy.rolling_update?.[0]?.partition ?? 0 }).toEqual({ id, type: "RollingUpdate", partition: 0 });
    }
    const budgets = Object.values(platform.resource.kubernetes_pod_disruption_budget_v1 ?? {}).map((b) => (b.spec as Record<string, Json>).max_unavailable);
    expect(budgets.length).toBeGreaterThanOrEqual(sets.length);
    expect(new Set(budgets)).toEqual(new Set(["1"]));
  });
});
