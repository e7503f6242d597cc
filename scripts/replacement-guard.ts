/**
 * The replacement guard: reads a stack's saved plan as `terraform show -json <plan>` prints it and refuses
 * any delete or replace of a stateful resource (buckets, keys, clusters, node groups, volumes and their
 * claims, databases, Vault's storage and mounts, namespaces) before anything is applied. Each refusal names
 * the resource and why Terraform wants to replace it: the attributes that force it (`replace_paths`), a
 * removed or renamed block, a taint or a `-replace`. When a resource only changed its address (a delete and
 * a create of the same type in one plan), it suggests the `moved` block that keeps it.
 *
 * `prevent_destroy` still stands behind this, but it fails late (terraform plan errors out) and says nothing
 * about why; this guard reads what the plan would do and explains it. A resource passes only with an
 * explicit, per-resource acknowledgement: `--allow-replace <address>` on the command line, or its address
 * in `dataProtection.allowReplace` in the config (for CI, where the acknowledgement is reviewed with the code).
 *
 * Plan format: Terraform's JSON output format, "resource_changes" (https://developer.hashicorp.com/terraform/internals/json-format):
 * `change.actions` is one of ["no-op"], ["create"], ["read"], ["update"], ["delete", "create"] (replace,
 * destroy first), ["create", "delete"] (replace, create first), ["delete"], ["forget"]; `change.replace_paths`
 * lists the attribute paths that forced a replace; `action_reason` says why (e.g. "replace_because_cannot_update",
 * "replace_because_tainted", "replace_by_request", "delete_because_no_resource_config"); `previous_address` is
 * set when a `moved` block moved the resource.
 */

/** One resource type whose destruction loses data (or everything inside it). */
interface StatefulType {
  /** What is lost, in a few words. */
  readonly holds: string;
  /**
   * Replacing it create-before-destroy loses nothing (the new one takes over before the old one goes):
   * node groups and pools, whose nodes hold no data (volumes are separate and re-attach).
   */
  readonly createBeforeDestroyIsSafe?: boolean;
}

/** The stateful resource types of this project's stacks (and their close relatives), by what they hold. */
export const STATEFUL_TYPES: Readonly<Record<string, StatefulType>> = {
  // Buckets and storage
  aws_s3_bucket: { holds: "a bucket (backups, data, logs)" },
  azurerm_storage_account: { holds: "a storage account (backups, data, logs)" },
  azurerm_storage_container: { holds: "a blob container (backups, data)" },
  google_storage_bucket: { holds: "a bucket (backups, data, logs)" },
  // Keys: whatever they encrypted becomes unreadable
  aws_kms_key: { holds: "a KMS key (Vault's unseal key, secrets encryption)" },
  azurerm_key_vault: { holds: "a Key Vault and its keys" },
  azurerm_key_vault_key: { holds: "a Key Vault key (Vault's unseal key)" },
  google_kms_key_ring: { holds: "a KMS key ring" },
  google_kms_crypto_key: { holds: "a KMS key (Vault's unseal key)" },
  vault_transit_secret_backend_key: { holds: "a transit key (what it encrypted becomes unreadable)" },
  vault_pki_secret_backend_root_cert: { holds: "the internal root CA key" },
  vault_pki_secret_backend_intermediate_cert_request: { holds: "the internal intermediate CA key" },
  // Clusters and their node pools
  aws_eks_cluster: { holds: "the Kubernetes cluster and everything in it" },
  azurerm_kubernetes_cluster: { holds: "the Kubernetes cluster and everything in it" },
  google_container_cluster: { holds: "the Kubernetes cluster and everything in it" },
  aws_eks_node_group: { holds: "a node group (destroyed first, the cluster loses its capacity)", createBeforeDestroyIsSafe: true },
  azurerm_kubernetes_cluster_node_pool: { holds: "a node pool (destroyed first, the cluster loses its capacity)", createBeforeDestroyIsSafe: true },
  google_container_node_pool: { holds: "a node pool (destroyed first, the cluster loses its capacity)", createBeforeDestroyIsSafe: true },
  // Volumes, claims and the workloads that own them (databases, Vault's raft storage)
  aws_ebs_volume: { holds: "a volume" },
  azurerm_managed_disk: { holds: "a managed disk" },
  google_compute_disk: { holds: "a persistent disk" },
  kubernetes_persistent_volume_claim: { holds: "a volume claim" },
  kubernetes_persistent_volume_claim_v1: { holds: "a volume claim" },
  kubernetes_persistent_volume: { holds: "a volume" },
  kubernetes_persistent_volume_v1: { holds: "a volume" },
  kubernetes_stateful_set: { holds: "a data store (database, search, Vault raft) and its volume claims" },
  kubernetes_stateful_set_v1: { holds: "a data store (database, search, Vault raft) and its volume claims" },
  kubernetes_namespace: { holds: "a namespace and every workload and volume claim in it" },
  kubernetes_namespace_v1: { holds: "a namespace and every workload and volume claim in it" },
  // Vault's own data
  vault_mount: { holds: "a Vault mount and every secret in it" },
  vault_kv_secret_backend_v2: { holds: "the KV store's settings and versions" },
  vault_database_secret_backend_connection: { holds: "the database connection (after rotate-root, the only holder of the admin password)" },
  vault_audit: { holds: "the audit device" },
  // Logs kept for audits, and the groups that hold everything
  aws_cloudwatch_log_group: { holds: "a log group (audit and flow logs)" },
  azurerm_log_analytics_workspace: { holds: "a log workspace (audit and flow logs)" },
  azurerm_resource_group: { holds: "a resource group and every resource in it" },
};

/** One resource change, as `terraform show -json` prints it (the fields the guard reads). */
export interface PlannedResourceChange {
  readonly address: string;
  readonly previous_address?: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly name?: string;
  readonly action_reason?: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly replace_paths?: readonly (readonly (string | number)[])[];
  };
}

/** A saved plan as `terraform show -json <plan>` prints it (the fields the guard reads). */
export interface PlanJson {
  readonly format_version?: string;
  readonly resource_changes?: readonly PlannedResourceChange[];
  readonly prior_state?: { readonly values?: { readonly root_module?: { readonly resources?: readonly unknown[]; readonly child_modules?: readonly unknown[] } } };
}

/** What the guard decided about one stateful resource. */
export interface GuardFinding {
  readonly address: string;
  readonly type: string;
  /** "replace" (destroy first), "replace-create-first", "delete" or "move". */
  readonly action: "replace" | "replace-create-first" | "delete" | "move";
  /** Refused (stops the apply), acknowledged (let through by the user), or allowed by itself. */
  readonly verdict: "refused" | "acknowledged" | "allowed";
  /** One line: what happens and why. */
  readonly message: string;
}

/** The guard's verdict on one stack's plan. */
export interface GuardResult {
  readonly stack: string;
  readonly findings: readonly GuardFinding[];
  /** Warnings that stop nothing (e.g. a plan that starts from empty state). */
  readonly warnings: readonly string[];
  readonly ok: boolean;
}

/** Reads a plan and judges every change to a stateful resource. `acknowledged`: addresses let through. */
export function guardPlan(stack: string, plan: PlanJson, acknowledged: readonly string[] = [], stateLocation?: string): GuardResult {
  const changes = (plan.resource_changes ?? []).filter((c) => c.mode === "managed");
  const created = changes.filter((c) => sameActions(c.change.actions, ["create"]));
  const findings: GuardFinding[] = [];
  for (const c of changes) {
    const stateful = STATEFUL_TYPES[c.type];
    if (!stateful) continue;
    const actions = c.change.actions;
    if (c.previous_address && !actions.includes("delete")) {
      findings.push({ address: c.address, type: c.type, action: "move", verdict: "allowed", message: `${c.address}: moved from ${c.previous_address} (a moved block); kept` });
      continue;
    }
    if (!actions.includes("delete")) continue;
    const action: GuardFinding["action"] = sameActions(actions, ["delete"]) ? "delete" : sameActions(actions, ["create", "delete"]) ? "replace-create-first" : "replace";
    const why = reason(c, created);
    const what = action === "delete" ? "would be DESTROYED" : action === "replace" ? "would be REPLACED (destroyed, then created)" : "would be replaced (created first, then the old one destroyed)";
    const message = `${c.address} (${stateful.holds}) ${what}: ${why}`;
    if (acknowledged.includes(c.address)) findings.push({ address: c.address, type: c.type, action, verdict: "acknowledged", message: `${message}; acknowledged` });
    else if (action === "replace-create-first" && stateful.createBeforeDestroyIsSafe) findings.push({ address: c.address, type: c.type, action, verdict: "allowed", message: `${message}; allowed: its nodes hold no data and the new one runs before the old one goes` });
    else findings.push({ address: c.address, type: c.type, action, verdict: "refused", message });
  }
  const warnings: string[] = [];
  const priorResources = plan.prior_state?.values?.root_module?.resources ?? [];
  const createsStateful = created.some((c) => STATEFUL_TYPES[c.type]);
  if (priorResources.length === 0 && createsStateful) {
    warnings.push(
      `${stack}: no existing state${stateLocation ? ` at ${stateLocation}` : ""}: every resource will be created new. ` +
        "That is right for a first deployment. If this deployment was applied before, its `name` or the state key prefix " +
        "(state.keyPrefix / state.prefix) changed: put them back, or move the state first (terraform init -migrate-state).",
    );
  }
  return { stack, findings, warnings, ok: findings.every((f) => f.verdict !== "refused") };
}

/** Why terraform deletes or replaces a resource, in words, with the `moved` block when only its address changed. */
function reason(c: PlannedResourceChange, created: readonly PlannedResourceChange[]): string {
  const paths = (c.change.replace_paths ?? []).map((p) => p.map((k) => (typeof k === "number" ? `[${k}]` : k)).join(".").replace(/\.\[/g, "["));
  switch (c.action_reason) {
    case "replace_because_tainted":
      return "it is tainted (a failed create or `terraform taint`); untaint it (terraform untaint) if it is healthy";
    case "replace_by_request":
      return "-replace was requested on the command line";
    case "delete_because_no_resource_config":
    case "delete_because_no_module": {
      const twin = created.find((n) => n.type === c.type && n.address !== c.address);
      return twin
        ? `its block is gone and a ${c.type} appears at ${twin.address}: if only the address changed, keep the resource with\n      moved {\n        from = ${c.address}\n        to   = ${twin.address}\n      }\n    (in the cdktf code: resource.moveFromId("<old address>"), or give the construct its old id back)`
        : "its block is no longer in the configuration (removed, or its construct id changed)";
    }
    case "delete_because_count_index":
    case "delete_because_each_key":
    case "delete_because_wrong_repetition":
      return "its instance key is no longer in the configuration";
    default:
      return paths.length
        ? `${paths.length === 1 ? "attribute" : "attributes"} ${paths.join(", ")} cannot change in place (forces replacement)`
        : "terraform cannot update it in place";
  }
}

function sameActions(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The guard's report for a terminal or a job log: refusals first, each with the way to let it through. */
export function formatGuard(result: GuardResult): string {
  const refused = result.findings.filter((f) => f.verdict === "refused");
  const lines = [
    ...result.warnings.map((w) => `WARNING ${w}`),
    ...result.findings.filter((f) => f.verdict !== "refused").map((f) => `  ok     ${f.message}`),
    ...refused.map((f) => `  REFUSE ${f.message}`),
  ];
  if (refused.length) {
    lines.push(
      `replacement guard: ${result.stack}: ${refused.length} stateful resource${refused.length === 1 ? "" : "s"} would lose data; nothing was applied.`,
      "  If the data may go, acknowledge each one: --allow-replace <address> (npm run deploy), or list it in",
      "  dataProtection.allowReplace in the deployment config (CI), then run again. Protected resources also need",
      "  dataProtection.allowDestroy (their prevent_destroy stops the plan otherwise).",
    );
  } else if (result.findings.length) {
    lines.push(`replacement guard: ${result.stack}: no stateful resource loses data.`);
  }
  return lines.join("\n");
}
