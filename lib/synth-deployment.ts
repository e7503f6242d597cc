import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { IConstruct } from "constructs";
import type { Deployment } from "../config/schema";
import type { PolicySummary } from "../policy";
import type { SynthOutput } from "./synth-output";

/** What synthesizing one deployment produced. */
export interface DeploymentSynth {
  /** 0 when the output was written; 1 when the policy (or another error annotation) failed it. */
  readonly code: number;
  /** Stack ids written, in deployment order (empty when the synth failed). */
  readonly stacks: readonly string[];
  /** Terraform resources across the deployment's stacks (data sources and outputs not counted). */
  readonly resources: number;
  /** The policy report's summary (written to `<output>/policy-report.json` either way). */
  readonly policy: PolicySummary;
}

/**
 * One validated deployment -> its stacks -> the security policy -> synth into `output`'s staging
 * directory, then commit (or fail) the output. The single synth (main.ts) and the many-deployment
 * synth (lib/synth-many.ts) both run exactly this, so their outputs are the same bytes. Nothing of the
 * construct tree outlives the call: the caller can synthesize the next deployment in the same process.
 * @throws OutputError or a file-system error when the output cannot be written (the output is failed first).
 */
export async function synthesizeDeployment(deployment: Deployment, output: SynthOutput): Promise<DeploymentSynth> {
  const [{ App, TerraformResource }, { buildDeployment }, { Policy, REPORT_FILE }] = await Promise.all([import("cdktf"), import("../stacks/deployment"), import("../policy")]);
  const restoreStackTraces = withoutTokenCreationStacks();
  try {
    const app = new App({ outdir: output.staging });
    const stacks = Object.values(buildDeployment(app, deployment));
    // Security policy on every stack: failures are error annotations (one line each), then a summary and
    // <outdir>/policy-report.json. cdktf stops at the first stack with errors; the policy reports them all.
    const policy = Policy.applyTo(app);
    // A throwaway deployment (dataProtection.allowDestroy) lifts destroy protection on purpose: the rules that
    // guard it are suppressed with the standard reason (docs/policy-rules.md), the others still apply.
    if (deployment.dataProtection.allowDestroy) for (const stack of stacks) Policy.allowDestroy(stack);
    try {
      app.synth();
    } catch (e) {
      if (!Policy.isAnnotationFailure(e)) throw e;
    }
    const code = policy.finish(output.dir);
    const report = JSON.parse(readFileSync(path.join(output.staging, REPORT_FILE), "utf8")) as { summary: PolicySummary };
    const resources = stacks.reduce((n, s) => n + s.node.findAll().filter((c: IConstruct) => TerraformResource.isTerraformResource(c)).length, 0);
    if (code !== 0) {
      output.fail();
      return { code, stacks: [], resources, policy: report.summary };
    }
    const written = output.commit();
    return { code: 0, stacks: stacks.map((s) => s.node.id).filter((id) => written.includes(id)), resources, policy: report.summary };
  } catch (e) {
    output.fail();
    throw e;
  } finally {
    restoreStackTraces();
  }
}

/**
 * cdktf records where every token was created (each `Lazy`, reference and function call: cdktf 0.21,
 * lib/tokens/private/stack-trace.js `captureStackTrace`, called from tokens/lazy.js and
 * tokens/private/intrinsic.js): it raises `Error.stackTraceLimit` to unlimited and formats the whole stack
 * into text, thousands of times per deployment (~0.15 s of a 0.7 s synth, measured with --cpu-prof). The
 * text is only quoted in a "Resolution error" if a token fails to resolve; nothing of it reaches the
 * output. While a deployment is synthesized, stacks captured on objects that are not errors (those
 * records) are left empty, which captureStackTrace returns as `[]`; real errors keep theirs (formatted as
 * V8 does by default: the message, then one `at` line per frame). Returns the function that restores the
 * previous formatter.
 */
function withoutTokenCreationStacks(): () => void {
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error: unknown, frames: NodeJS.CallSite[]) => {
    if (!(error instanceof Error)) return "";
    if (previous) return previous(error, frames);
    return `${String(error)}${frames.map((f) => `\n    at ${String(f)}`).join("")}`;
  };
  return () => {
    Error.prepareStackTrace = previous;
  };
}
