import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { IConstruct } from "constructs";
import type { Deployment } from "../config/schema";
import { App, TerraformResource } from "cdktf";
import { ValidateBinaryVersion } from "cdktf/lib/validations/validate-binary-version";
import { Policy, REPORT_FILE, type PolicySummary } from "../policy";
import { buildDeployment } from "../stacks/deployment";
import type { SynthOutput } from "../lib/synth-output";

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
 * synth (app/synth-many.ts) both run exactly this, so their outputs are the same bytes. main.ts loads this
 * module (cdktf, the stacks, the policy: most of a synth's start-up) only after the config is valid. The
 * tree is not kept here; cdktf's process-wide token map still references it, which app/synth-many.ts
 * clears after each deployment.
 * @throws OutputError or a file-system error when the output cannot be written (the output is failed first).
 */
export async function synthesizeDeployment(deployment: Deployment, output: SynthOutput): Promise<DeploymentSynth> {
  checkBinaryVersionsOncePerProcess(ValidateBinaryVersion);
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
 * tokens/private/intrinsic.js): it raises `Error.stackTraceLimit` to unlimited and captures and formats
 * the whole call stack onto a plain object, thousands of times per deployment (~0.15 s of a 0.7 s synth
 * and ~70 ms per deployment of many, measured with --cpu-prof), and every token keeps its copy. The text
 * is only quoted in a "Resolution error" should a token fail to resolve; nothing of it reaches the
 * output. While a deployment is synthesized, a capture onto an object that is not an Error (those
 * records) is skipped, which captureStackTrace returns as `[]`; errors keep their stack traces. Returns
 * the function that restores `Error.captureStackTrace`.
 */
function withoutTokenCreationStacks(): () => void {
  const capture = Error.captureStackTrace;
  Error.captureStackTrace = (...args: Parameters<typeof capture>) => {
    if (args[0] instanceof Error) capture.apply(Error, args);
  };
  return () => {
    Error.captureStackTrace = capture;
  };
}

/**
 * cdktf checks the terraform CLI's version for every built-in `terraform_data` resource (cdktf 0.21,
 * lib/terraform-data-resource.js adds `ValidateTerraformVersion(">=1.4")`) by running `terraform version`
 * each time the stack is validated (lib/validations/validate-binary-version.js, `execSync`): ~50-70 ms per
 * deployment. The answer cannot change while this process runs, so each distinct check (command,
 * constraint) runs once per process and later deployments reuse its verdict.
 */
function checkBinaryVersionsOncePerProcess(validator: { prototype: { validate(): string[] } }): void {
  const proto = validator.prototype as { validate(): string[]; [ONCE]?: true };
  if (proto[ONCE]) return;
  const validate = proto.validate;
  const verdicts = new Map<string, string[]>();
  proto.validate = function (this: { versionCommand: string; versionConstraint: string; hint?: string }) {
    const key = JSON.stringify([this.versionCommand, this.versionConstraint, this.hint]);
    let verdict = verdicts.get(key);
    if (verdict === undefined) verdicts.set(key, (verdict = validate.call(this)));
    return [...verdict];
  };
  proto[ONCE] = true;
}
const ONCE = Symbol("checked once per process");
