// Brings the cdktf jest matchers' types (setup.ts registers them at runtime).
import type {} from "cdktf/lib/testing/adapters/jest";
import { Testing } from "cdktf";
import type { Construct } from "constructs";

/** Synthesized resources of a scope, parsed: `{ <type>: { <logical id>: <attributes> } }`. */
export function resources(build: (scope: Construct) => void): Record<string, Record<string, Record<string, unknown>>> {
  return (JSON.parse(Testing.synthScope(build)) as { resource?: Record<string, Record<string, Record<string, unknown>>> }).resource ?? {};
}

/** The attributes of every resource of one type. */
export function all(res: ReturnType<typeof resources>, type: string): Record<string, unknown>[] {
  return Object.values(res[type] ?? {});
}

/** The attributes of the only resource of one type (fails when there are none or several). */
export function only(res: ReturnType<typeof resources>, type: string): Record<string, unknown> {
  const list = all(res, type);
  if (list.length !== 1) throw new Error(`expected exactly one ${type}, found ${list.length}`);
  return list[0];
}
