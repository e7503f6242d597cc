import { Testing } from "cdktf";
import type { Construct } from "constructs";
// Brings the type declarations of cdktf's jest matchers (registered at runtime by __tests__/setup.ts).
import "cdktf/lib/testing/adapters/jest";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Synthesizes a scope and returns the parsed JSON document. */
export function synthJson(build: (scope: Construct) => void): Json {
  return JSON.parse(Testing.synthScope(build));
}

/** All resources of one Terraform type in a synthesized document, by logical id. */
export function resourcesOf(doc: Json, type: string): Json[] {
  return Object.values(doc.resource?.[type] ?? {});
}

/** Every container (init ones included) of a stateful set / deployment resource. */
export function allContainers(workload: Json): Json[] {
  const spec = workload.spec.template.spec;
  return [...(spec.init_container ?? []), ...(spec.container ?? [])];
}
