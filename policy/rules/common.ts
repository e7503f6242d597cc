import type { Element } from "../types";
import { bool, get, show } from "../values";

/** Problem text when the resource lacks `lifecycle { prevent_destroy = true }`. */
export function preventDestroyProblem(e: Element): string | undefined {
  const v = bool(get(e.block, "lifecycle.prevent_destroy"));
  if (v === true) return undefined;
  if (v === "unresolved") return `lifecycle.prevent_destroy is not a literal (${show(get(e.block, "lifecycle.prevent_destroy"))})`;
  return "lifecycle.prevent_destroy is not true";
}

/** Problem text when `force_destroy` (delete a non-empty bucket) is on. */
export function forceDestroyProblem(e: Element): string | undefined {
  const v = bool(e.block.force_destroy);
  if (v === true) return "force_destroy is true (destroy would delete every object)";
  if (v === "unresolved") return `force_destroy is not a literal (${show(e.block.force_destroy)})`;
  return undefined;
}

/** Parses a duration in seconds written as "7776000s". */
export function seconds(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return m ? Number(m[1]) : undefined;
}

/** Days as seconds. */
export const DAY_S = 86_400;
