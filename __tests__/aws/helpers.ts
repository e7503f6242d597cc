import { Testing } from "cdktf";
import { DEFAULT_DEPLOYMENT } from "../../config/default";
import { validateDeployment } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { AwsStack } from "../../stacks/aws-stack";

/** A block of synthesized JSON (resource, data source). */
export type Block = Record<string, unknown>;
/** Synthesized stack JSON. */
export interface StackJson {
  resource: Record<string, Record<string, Block>>;
  data: Record<string, Record<string, Block>>;
  terraform: Record<string, unknown>;
  [key: string]: unknown;
}

/** The default demo deployment with top-level sections overridden (each section replaced as a whole). */
export function deployment(overrides: Partial<DeploymentInput> = {}) {
  return validateDeployment({ ...DEFAULT_DEPLOYMENT, ...overrides }, "test");
}

/** Builds the AWS stack of a deployment in a test app. */
export function awsStack(overrides: Partial<DeploymentInput> = {}): AwsStack {
  const d = deployment(overrides);
  return new AwsStack(Testing.app(), `${d.name}-aws`, { deployment: d });
}

/** Synthesizes the AWS stack of a deployment: raw string and parsed JSON. */
export function synthAws(overrides: Partial<DeploymentInput> = {}): { raw: string; json: StackJson; stack: AwsStack } {
  const stack = awsStack(overrides);
  const raw = Testing.synth(stack);
  return { raw, json: JSON.parse(raw) as StackJson, stack };
}

/** Every block of a resource (or data source) type, keyed by logical id. */
export function blocks(json: StackJson, type: string, kind: "resource" | "data" = "resource"): Record<string, Block> {
  return json[kind][type] ?? {};
}

/**
 * The one block of `type` whose construct path ends with `pathSuffix` (e.g. "Endpoints/S3"), with its logical id.
 * Testing.synth drops the metadata, so the path is matched on the logical id cdktf derives from it
 * (path segments joined by "_", a trailing "Resource" dropped, plus a hash).
 */
export function at(json: StackJson, type: string, pathSuffix: string, kind: "resource" | "data" = "resource"): Block & { logicalId: string } {
  const stem = pathSuffix.replace(/\/Resource$/, "").replace(/\//g, "_").replace(/[^A-Za-z0-9_]/g, "");
  const pattern = new RegExp(`(^|_)${stem}_[0-9A-F]{8}$`);
  const hits = Object.entries(blocks(json, type, kind)).filter(([id]) => pattern.test(id));
  if (hits.length !== 1) throw new Error(`${hits.length} ${kind} blocks of ${type} at *${pathSuffix}`);
  return { ...hits[0][1], logicalId: hits[0][0] };
}

/** The Terraform expression referencing an attribute of a block found with {@link at}. */
export function ref(type: string, block: { logicalId: string }, attribute: string, kind: "resource" | "data" = "resource"): string {
  return `\${${kind === "data" ? "data." : ""}${type}.${block.logicalId}.${attribute}}`;
}
