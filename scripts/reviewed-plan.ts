import { createHash } from "node:crypto";

/**
 * What a reviewer approved, without anything secret in it, so it may leave the runner: the plan job
 * writes it, the apply job makes the plan again in the customer's network and applies it only if it is
 * the same. No plan file (which holds state values, sensitive ones included) and no state ever becomes a
 * workflow artifact.
 *
 * "The same" is decided on terraform's JSON plan (`terraform show -json`, Terraform's JSON output format,
 * developer.hashicorp.com/terraform/internals/json-format): every resource and output change, its actions
 * and its before/after values, with each value terraform marks sensitive (`before_sensitive`,
 * `after_sensitive`) replaced by a marker, the way the reviewer saw it: `(sensitive value)`. Only a SHA-256
 * of that travels, next to the addresses and actions, and of the stack's synthesized configuration.
 */
export interface ReviewRecord {
  readonly stack: string;
  /** SHA-256 of the stack's cdk.tf.json: the apply job synthesizes the same commit and must get the same bytes. */
  readonly configSha256: string;
  /** SHA-256 of the plan's changes with sensitive values masked. */
  readonly planSha256: string;
  /** Resource addresses and actions, for the reader (no values). */
  readonly changes: readonly { readonly address: string; readonly actions: readonly string[] }[];
}

/** The parts of a JSON plan the record reads. */
export interface PlanJson {
  readonly resource_changes?: readonly PlanChange[];
  readonly output_changes?: Readonly<Record<string, Change>>;
}
interface Change {
  readonly actions: readonly string[];
  readonly before?: unknown;
  readonly after?: unknown;
  readonly after_unknown?: unknown;
  readonly before_sensitive?: unknown;
  readonly after_sensitive?: unknown;
}
interface PlanChange {
  readonly address: string;
  readonly mode?: string;
  readonly change: Change;
}

const MASK = "(sensitive value)";

/** `value` with every part `sensitive` marks (true, or a nested structure of trues) replaced by the marker. */
export function masked(value: unknown, sensitive: unknown): unknown {
  if (sensitive === true) return value === null || value === undefined ? value : MASK;
  if (Array.isArray(value)) return value.map((v, i) => masked(v, Array.isArray(sensitive) ? sensitive[i] : undefined));
  if (value !== null && typeof value === "object") {
    const s = sensitive !== null && typeof sensitive === "object" ? (sensitive as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, masked(v, s[k])]));
  }
  return value;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const isNoOp = (c: Change) => c.actions.length === 1 && (c.actions[0] === "no-op" || c.actions[0] === "read");

function visible(c: Change) {
  return { actions: c.actions, before: masked(c.before, c.before_sensitive), after: masked(c.after, c.after_sensitive), after_unknown: c.after_unknown ?? null };
}

/** The record of one stack's plan. */
export function reviewRecord(stack: string, configJson: string, plan: PlanJson): ReviewRecord {
  const resources = (plan.resource_changes ?? []).filter((r) => (r.mode ?? "managed") === "managed" && !isNoOp(r.change)).sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const outputs = Object.entries(plan.output_changes ?? {}).filter(([, c]) => !isNoOp(c)).sort(([a], [b]) => (a < b ? -1 : 1));
  const seen = { resources: resources.map((r) => ({ address: r.address, ...visible(r.change) })), outputs: outputs.map(([name, c]) => ({ name, ...visible(c) })) };
  return {
    stack,
    configSha256: sha256(configJson),
    planSha256: sha256(canonical(seen)),
    changes: resources.map((r) => ({ address: r.address, actions: [...r.change.actions] })),
  };
}

/** Why a fresh plan is not the reviewed one (empty when it is). */
export function reviewDifferences(reviewed: ReviewRecord, fresh: ReviewRecord): string[] {
  const out: string[] = [];
  if (reviewed.configSha256 !== fresh.configSha256) out.push("the synthesized configuration differs from the one planned for review");
  if (reviewed.planSha256 !== fresh.planSha256) {
    const key = (c: { address: string; actions: readonly string[] }) => `${c.address}: ${c.actions.join(", ")}`;
    const before = new Set(reviewed.changes.map(key));
    const after = new Set(fresh.changes.map(key));
    const added = [...after].filter((c) => !before.has(c));
    const gone = [...before].filter((c) => !after.has(c));
    out.push(
      added.length || gone.length
        ? `the changes differ (now also: ${added.join("; ") || "none"}; no longer: ${gone.join("; ") || "none"})`
        : "the same resources change, but to other values (the infrastructure or its state moved since the review)",
    );
  }
  return out;
}
