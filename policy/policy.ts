import * as fs from "fs";
import * as path from "path";
import { AnnotationMetadataEntryType, App, Aspects, TerraformStack, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import { annotate, evaluateStack, findingText, RuleDispatch, type Located } from "./engine";
import { buildReport, compareRuleIds, summaryLine, type PolicyReport, type UnusedSuppression } from "./report";
import { ALL_RULES, RULE_IDS } from "./rules";
import { addSuppressions, suppressionsOn } from "./suppressions";
import type { Finding, Rule, Suppression } from "./types";

/** The reason a deployment that deliberately allows destroy gives for its data-safety suppressions. */
export const ALLOW_DESTROY_REASON = "dataProtection.allowDestroy is true in the deployment config";

/** The reason a deployment that does not require image digests gives for K8S-28 (images pinned by digest). */
export const DIGESTS_OPTIONAL_REASON = "images.digestsRequired is false in the deployment config: images are pulled by their exact tag unless the image lock pins them (npm run images:lock)";

/** The file the report is written to, inside the app's output directory (next to `stacks/`). */
export const REPORT_FILE = "policy-report.json";

const POLICY_OF_APP = Symbol.for("metadata-platform/policy");

/**
 * Visits every construct of a stack it is added to; on the stack itself it evaluates every rule on every
 * Terraform block of that stack (indexed once) and annotates the findings. Idempotent: cdktf re-runs
 * aspects on each synth, and a finding is annotated once.
 */
export class PolicyAspect implements IAspect {
  constructor(private readonly policy: Policy) {}

  visit(node: IConstruct): void {
    if (TerraformStack.isStack(node)) this.policy.checkStack(node);
  }
}

/** Options of `Policy.applyTo`. */
export interface PolicyOptions {
  /**
   * The rules to evaluate.
   * @default ALL_RULES - every rule pack in the registry
   */
  readonly rules?: readonly Rule[];
}

/**
 * Synth-time security policy (cdk-nag model) for one app: apply it once, after every stack is built.
 *
 * - `Policy.applyTo(app)` adds the PolicyAspect to every stack (cdktf 0.21 runs aspects per stack, starting
 *   at the stack: an aspect added to the App alone is never invoked).
 * - A failing rule is an error annotation, so `app.synth()`, `cdktf synth` and `Testing.fullSynth` fail.
 * - `Policy.suppress(construct, [{ id, reason }])` excuses a rule for a construct's subtree; suppressed
 *   findings are reported as info and counted.
 * - `policy.finish()` after synth prints one line per failure and a summary, and writes the JSON report.
 */
export class Policy {
  /** Applies the policy to every stack of `app` (idempotent: a second call returns the same policy). */
  static applyTo(app: App, options: PolicyOptions = {}): Policy {
    const holder = app as App & { [POLICY_OF_APP]?: Policy };
    const existing = holder[POLICY_OF_APP];
    if (existing) return existing;
    const policy = new Policy(app, options.rules ?? ALL_RULES);
    Object.defineProperty(holder, POLICY_OF_APP, { value: policy, enumerable: false });
    Aspects.of(app).add(policy.aspect);
    for (const stack of policy.stacks()) Aspects.of(stack).add(policy.aspect);
    // A stack built after applyTo would escape the policy: make that a synth error, not a silent pass.
    app.node.addValidation({
      validate: () =>
        policy
          .stacks()
          .filter((s) => !Aspects.of(s).all.includes(policy.aspect))
          .map((s) => `stack '${s.node.path}' was created after Policy.applyTo(app); apply the policy after building every stack`),
    });
    return policy;
  }

  /**
   * Excuses `construct` and its subtree from the named rules. Put it on the narrowest construct.
   * Throws on an unknown rule id or a reason that explains nothing (short, or a placeholder).
   */
  static suppress(construct: IConstruct, suppressions: readonly Suppression[]): void {
    addSuppressions(construct, suppressions, RULE_IDS);
  }

  /**
   * For stacks whose deployment sets `dataProtection.allowDestroy: true`: suppresses every rule that
   * guards against destroying stateful resources, on `scope`'s subtree, with the standard reason.
   */
  static allowDestroy(scope: IConstruct): void {
    addSuppressions(
      scope,
      ALL_RULES.filter((r) => r.guardsDestroy).map((r) => ({ id: r.id, reason: ALLOW_DESTROY_REASON })),
      RULE_IDS,
    );
  }

  /**
   * For stacks whose deployment does not set `images.digestsRequired: true`: suppresses K8S-28 (image not
   * pinned by digest) on `scope`'s subtree, with the standard reason. Images the lock pins still pass.
   */
  static digestsOptional(scope: IConstruct): void {
    addSuppressions(scope, [{ id: "K8S-28", reason: DIGESTS_OPTIONAL_REASON }], RULE_IDS);
  }

  /** True for the error cdktf throws from `app.synth()` when error annotations (policy failures) exist. */
  static isAnnotationFailure(e: unknown): boolean {
    return e instanceof Error && e.message.startsWith('Encountered Annotations with level "ERROR"');
  }

  /** The aspect added to every stack. */
  readonly aspect: PolicyAspect;
  private readonly dispatch: RuleDispatch;
  private readonly results = new Map<TerraformStack, Located[]>();

  private constructor(
    private readonly app: App,
    readonly rules: readonly Rule[],
  ) {
    this.dispatch = new RuleDispatch(rules);
    this.aspect = new PolicyAspect(this);
  }

  /** Evaluates one stack now (replacing its previous results) and annotates its findings. */
  checkStack(stack: TerraformStack): readonly Finding[] {
    const located = evaluateStack(stack, this.dispatch);
    this.results.set(stack, located);
    annotate(located);
    return located.map((l) => l.finding);
  }

  /**
   * Every finding of every stack, sorted (stack, path, rule). Stacks the synth did not reach (it stops at
   * the first stack with errors) are evaluated now, so the report is always complete.
   */
  findings(): Finding[] {
    for (const stack of this.stacks()) if (!this.results.has(stack)) this.checkStack(stack);
    return [...this.results.values()].flat().map((l) => l.finding).sort(compareFindings);
  }

  /** The report of the latest evaluation (deterministic: sorted, no absolute paths, no timestamps). */
  report(): PolicyReport {
    const findings = this.findings();
    return buildReport(this.rules, findings, this.stacks().length, this.unusedSuppressions(findings));
  }

  /**
   * After synth: prints one line per failing finding (and any other error annotation) to stderr and a
   * one-line summary to stdout, writes `<outdir>/policy-report.json`, and returns the exit code (1 on failure).
   */
  finish(shownDir: string = this.app.outdir): number {
    const report = this.report();
    const file = path.join(this.app.outdir, REPORT_FILE);
    fs.mkdirSync(this.app.outdir, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    const failures = report.findings.filter((f) => f.status === "fail");
    for (const f of failures) console.error(`ERROR ${f.path} ${findingText(f)}`);
    const others = this.otherErrors();
    for (const line of others) console.error(line);
    // `shownDir`: where the report ends up when the app writes into a staging directory first.
    const shown = path.relative(process.cwd(), path.join(shownDir, REPORT_FILE));
    console.log(summaryLine(report, shown.startsWith("..") || path.isAbsolute(shown) ? path.join(shownDir, REPORT_FILE) : shown));
    return failures.length || others.length ? 1 : 0;
  }

  private unusedSuppressions(findings: readonly Finding[]): UnusedSuppression[] {
    const used = findings.filter((f) => f.status === "suppressed");
    const unused: UnusedSuppression[] = [];
    for (const c of this.app.node.findAll()) {
      const at = c.node.path;
      for (const s of suppressionsOn(c)) {
        if (s.reason === ALLOW_DESTROY_REASON || s.reason === DIGESTS_OPTIONAL_REASON) continue;
        const covers = (p: string) => at === "" || p === at || p.startsWith(`${at}/`);
        if (!used.some((f) => f.ruleId === s.id && covers(f.path))) unused.push({ path: at, id: s.id, reason: s.reason });
      }
    }
    return unused.sort((a, b) => (a.path === b.path ? compareRuleIds(a.id, b.id) : a.path < b.path ? -1 : 1));
  }

  private stacks(): TerraformStack[] {
    return this.app.node.findAll().filter(TerraformStack.isStack);
  }

  /** Error annotations that are not policy findings (other code's addError), one line each. */
  private otherErrors(): string[] {
    const ids = new Set(this.rules.map((r) => r.id));
    const lines: string[] = [];
    for (const c of this.app.node.findAll()) {
      for (const m of c.node.metadata) {
        if (m.type !== AnnotationMetadataEntryType.ERROR) continue;
        const text = String(m.data);
        const id = /^\[([A-Z0-9]+-\d+)\]/.exec(text)?.[1];
        if (id && ids.has(id)) continue;
        lines.push(`ERROR ${c.node.path} ${text}`);
      }
    }
    return lines;
  }
}

function compareFindings(a: Finding, b: Finding): number {
  if (a.stack !== b.stack) return a.stack < b.stack ? -1 : 1;
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  if (a.ruleId !== b.ruleId) return compareRuleIds(a.ruleId, b.ruleId);
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}
