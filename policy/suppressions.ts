import type { IConstruct } from "constructs";
import type { Suppression } from "./types";

/**
 * Suppressions live on constructs (the narrowest one that owns the exception) and cover its subtree.
 * A suppression must name a known rule and give a reason a security reviewer can read.
 */

const SUPPRESSIONS = Symbol.for("metadata-platform/policy-suppressions");

type WithSuppressions = IConstruct & { [SUPPRESSIONS]?: Suppression[] };

/** Reasons that say nothing; a suppression must explain itself. */
const PLACEHOLDER = /\b(todo|tbd|fixme|xxx|placeholder|lorem ipsum|to be decided|fix later)\b/i;
/** The shortest reason accepted. */
export const MIN_REASON_LENGTH = 20;

/** Why a reason is unacceptable, or `undefined` when it is fine. */
export function reasonProblem(reason: unknown): string | undefined {
  if (typeof reason !== "string") return "a reason is required";
  const r = reason.trim();
  if (r.length < MIN_REASON_LENGTH) return `the reason is shorter than ${MIN_REASON_LENGTH} characters`;
  if (PLACEHOLDER.test(r)) return `the reason contains a placeholder word (${PLACEHOLDER.exec(r)?.[0]})`;
  const words = new Set(r.toLowerCase().split(/[^a-z0-9.]+/).filter((w) => /[a-z]{2,}/.test(w)));
  if (words.size < 3) return "the reason must be a sentence (at least three different words)";
  return undefined;
}

/** Attaches validated suppressions to `construct`. `knownIds` is every rule id of the registry. */
export function addSuppressions(construct: IConstruct, suppressions: readonly Suppression[], knownIds: ReadonlySet<string>): void {
  const problems: string[] = [];
  for (const s of suppressions) {
    if (!knownIds.has(s.id)) problems.push(`unknown rule id '${s.id}' (see docs/policy-rules.md for the rule ids)`);
    const bad = reasonProblem(s.reason);
    if (bad) problems.push(`${s.id}: ${bad}: ${JSON.stringify(s.reason)}; say why the rule does not apply here`);
  }
  if (problems.length) throw new Error(`Policy.suppress(${construct.node.path || "<app>"}): ${problems.join("; ")}`);
  const target = construct as WithSuppressions;
  const existing = target[SUPPRESSIONS];
  if (existing) {
    for (const s of suppressions) if (!existing.some((e) => e.id === s.id)) existing.push({ id: s.id, reason: s.reason.trim() });
  } else {
    Object.defineProperty(target, SUPPRESSIONS, {
      value: suppressions.map((s) => ({ id: s.id, reason: s.reason.trim() })),
      enumerable: false,
    });
  }
}

/** The suppression of `ruleId` that covers `construct` (on it or an ancestor; the nearest wins). */
export function findSuppression(construct: IConstruct, ruleId: string): Suppression | undefined {
  const scopes = construct.node.scopes;
  for (let i = scopes.length - 1; i >= 0; i--) {
    const here = (scopes[i] as WithSuppressions)[SUPPRESSIONS];
    const hit = here?.find((s) => s.id === ruleId);
    if (hit) return hit;
  }
  return undefined;
}

/** The suppressions placed on `construct` itself (not inherited). */
export function suppressionsOn(construct: IConstruct): readonly Suppression[] {
  return (construct as WithSuppressions)[SUPPRESSIONS] ?? [];
}
