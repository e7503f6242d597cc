import { Testing } from "cdktf";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { Deployment } from "../../config/schema";
import { buildDeployment } from "../../stacks/deployment";

/** Synthesized stack JSON: `resource`/`data` -> type -> logical id -> block. */
export type StackJson = {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  [key: string]: unknown;
};

/** An example file with some fields replaced, validated like any config. */
export function exampleVariant(file: string, patch: (raw: Record<string, unknown>) => void = () => {}): Deployment {
  const raw = readConfigFile(file) as Record<string, unknown>;
  patch(raw);
  return validateDeployment(raw, "variant");
}

/** The cloud and platform stacks of a deployment, synthesized in a test app. */
export function synthDeployment(d: Deployment): { cloud: StackJson; platform: StackJson } {
  const stacks = buildDeployment(Testing.app(), d);
  return { cloud: JSON.parse(Testing.synth(stacks.cloud)) as StackJson, platform: JSON.parse(Testing.synth(stacks.platform)) as StackJson };
}

/** Every block of a type (resource or data source), by logical id. */
export function blocksOf(json: StackJson, type: string, kind: "resource" | "data" = "resource"): Record<string, Record<string, unknown>> {
  return json[kind]?.[type] ?? {};
}

/** The resource types of a stack. */
export function resourceTypes(json: StackJson): string[] {
  return Object.keys(json.resource ?? {}).sort();
}

/** The annotations of the entry point's `type: LoadBalancer` Service in a platform stack. */
export function entryPointAnnotations(platform: StackJson): Record<string, string> {
  const services = Object.values(blocksOf(platform, "kubernetes_service_v1")).filter((s) => (s.spec as Record<string, unknown>).type === "LoadBalancer");
  if (services.length !== 1) throw new Error(`expected one LoadBalancer Service, found ${services.length}`);
  return (services[0].metadata as { annotations: Record<string, string> }).annotations;
}

/** The one block of a type whose logical id contains `part`. */
export function blockNamed(json: StackJson, type: string, part: string, kind: "resource" | "data" = "data"): Record<string, unknown> {
  const hits = Object.entries(blocksOf(json, type, kind)).filter(([id]) => id.includes(part));
  if (hits.length !== 1) throw new Error(`expected one ${kind} ${type} named like ${part}, found ${hits.map(([id]) => id).join(", ") || "none"}`);
  return hits[0][1];
}
