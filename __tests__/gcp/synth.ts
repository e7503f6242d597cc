import { Testing } from "cdktf";
import type { Construct } from "constructs";

/** Synthesized Terraform JSON, parsed. */
export type TfJson = {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  provider?: Record<string, Record<string, unknown>[]>;
};

/** Synthesizes what `build` adds to a fresh stack and parses it. */
export function synthJson(build: (scope: Construct) => void): TfJson {
  return JSON.parse(Testing.synthScope(build)) as TfJson;
}

/** Every resource of a Terraform type (bodies only). */
export function resourcesOf(json: TfJson, type: string): Record<string, unknown>[] {
  return Object.values(json.resource?.[type] ?? {});
}

/** The single resource of a type; fails when there is not exactly one. */
export function onlyResource(json: TfJson, type: string): Record<string, unknown> {
  const all = resourcesOf(json, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}
