// Brings the cdktf jest matchers' types (__tests__/setup.ts registers them at runtime).
import type {} from "cdktf/lib/testing/adapters/jest";
import { spawn } from "node:child_process";
import * as path from "node:path";
import type { Construct } from "constructs";
import type { DeploymentInput } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import type { AwsStack } from "../../stacks/aws-stack";

/**
 * The one test-support module for every cloud (was __tests__/aws/helpers.ts, azure/helpers.ts, config/helpers.ts,
 * kubernetes/helpers.ts and gcp/synth.ts): synthesizing a scope or a stack in-process and reading its JSON, and
 * running the real entry points. Per-cloud fixtures stay data beside their tests. Shipped deployments as the
 * jest run synthesized them: deployments.ts and synthesized.ts.
 */

// The jest global setup and the config tests use only the runners at the end and build no stack: cdktf, the
// config loader and the AWS stack are loaded on first use, not with this module (about 1 s per test file).
/* eslint-disable @typescript-eslint/no-require-imports */
const cdktf = () => require("cdktf") as typeof import("cdktf");
const configDefault = () => require("../../config/default") as typeof import("../../config/default");
const configLoad = () => require("../../config/load") as typeof import("../../config/load");
const awsStackModule = () => require("../../stacks/aws-stack") as typeof import("../../stacks/aws-stack");
/* eslint-enable @typescript-eslint/no-require-imports */

// ---- Synthesized JSON -----------------------------------------------------------------------------------

/** A block of synthesized JSON (a resource, a data source), attributes in Terraform's snake_case. */
export type Block = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** A synthesized stack document, `{ resource: { <type>: { <logical id>: <block> } }, data: …, … }`. */
export interface TfJson {
  resource: Record<string, Record<string, Block>>;
  data: Record<string, Record<string, Block>>;
  terraform: Block;
  [section: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Synthesizes what `build` adds to a fresh stack and parses it. */
export function synthJson(build: (scope: Construct) => void): TfJson {
  return JSON.parse(cdktf().Testing.synthScope(build)) as TfJson;
}

/** Every block of a resource (or data source) type, keyed by logical id. */
export function blocks(json: TfJson, type: string, kind: "resource" | "data" = "resource"): Record<string, Block> {
  return json[kind]?.[type] ?? {};
}

/** Every resource of a Terraform type (bodies only). */
export function resourcesOf(json: TfJson, type: string): Block[] {
  return Object.values(blocks(json, type));
}

/** The single resource of a type; fails when there is not exactly one. */
export function onlyResource(json: TfJson, type: string): Block {
  const all = resourcesOf(json, type);
  if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
  return all[0];
}

/**
 * The one block of `type` whose construct path ends with `pathSuffix` (e.g. "Endpoints/S3"), with its logical id.
 * Testing.synth drops the metadata, so the path is matched on the logical id cdktf derives from it
 * (path segments joined by "_", a trailing "Resource" dropped, plus a hash).
 */
export function at(json: TfJson, type: string, pathSuffix: string, kind: "resource" | "data" = "resource"): Block & { logicalId: string } {
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

/** Every container (init ones included) of a stateful set / deployment resource. */
export function allContainers(workload: Block): Block[] {
  const spec = workload.spec.template.spec;
  return [...(spec.init_container ?? []), ...(spec.container ?? [])];
}

// ---- Stacks of a deployment -----------------------------------------------------------------------------

/** The default demo deployment with top-level sections overridden (each section replaced as a whole). */
export function deployment(overrides: Partial<DeploymentInput> = {}) {
  return configLoad().validateDeployment({ ...configDefault().DEFAULT_DEPLOYMENT, ...overrides }, "test");
}

/** Builds the AWS stack of a deployment in a test app. */
export function awsStack(overrides: Partial<DeploymentInput> = {}): AwsStack {
  const d = deployment(overrides);
  return new (awsStackModule().AwsStack)(cdktf().Testing.app(), `${d.name}-aws`, { deployment: deploymentOn("aws", d) });
}

/** Synthesizes the AWS stack of a deployment: raw string and parsed JSON. */
export function synthAws(overrides: Partial<DeploymentInput> = {}): { raw: string; json: TfJson; stack: AwsStack } {
  const stack = awsStack(overrides);
  const raw = cdktf().Testing.synth(stack);
  return { raw, json: JSON.parse(raw) as TfJson, stack };
}

// ---- The real entry points ------------------------------------------------------------------------------

/** Repository root (tests run main.ts from here). */
export const ROOT = path.resolve(__dirname, "..", "..");
// As `npm run synth` runs it: node with tsx's loader (one process; the tsx CLI would add a second).
const TSX_LOADER = path.join(ROOT, "node_modules", "tsx", "dist", "loader.mjs");

/** Result of running the real entry point as a user would. */
export interface MainRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the sources, `node --import tsx main.ts <args>`, in `cwd` (so cdktf.out lands there) with a clean environment. */
export function runMain(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<MainRun> {
  return run(["--import", TSX_LOADER, path.join(ROOT, "main.ts"), ...args], cwd, env);
}

/** Runs `npm run synth -- <args>` as package.json does (the prebuilt program, scripts/synth.js) in `cwd`. */
export function runSynth(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<MainRun> {
  return run([path.join(ROOT, "scripts", "synth.js"), ...args], cwd, env);
}

function run(nodeArgs: readonly string[], cwd: string, env: Record<string, string>): Promise<MainRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--max-semi-space-size=4", ...nodeArgs], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
