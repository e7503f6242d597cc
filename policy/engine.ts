import { AnnotationMetadataEntryType, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { StackIndex } from "./stack-index";
import { findSuppression } from "./suppressions";
import type { Element, Finding, Rule, Verdict } from "./types";

/** Which rules look at which elements, computed once per rule set. */
export class RuleDispatch {
  private readonly byKey = new Map<string, Rule[]>();

  constructor(readonly rules: readonly Rule[]) {
    for (const rule of rules) {
      for (const selector of rule.appliesTo) {
        const key = selectorKey(selector);
        const bucket = this.byKey.get(key) ?? [];
        if (!bucket.includes(rule)) bucket.push(rule);
        this.byKey.set(key, bucket);
      }
    }
  }

  /** The rules that apply to `element`, in registry order. */
  rulesFor(element: Element): readonly Rule[] {
    const exact = this.byKey.get(`${element.kind}:${element.type}`) ?? [];
    const wildcard = this.byKey.get(`${element.kind}:*`) ?? [];
    if (!wildcard.length) return exact;
    if (!exact.length) return wildcard;
    const set = new Set([...exact, ...wildcard]);
    return this.rules.filter((r) => set.has(r));
  }
}

const KINDS = new Set(["resource", "data", "provider", "output", "variable", "local", "backend"]);

function selectorKey(selector: string): string {
  const dot = selector.indexOf(".");
  const head = dot < 0 ? "" : selector.slice(0, dot);
  if (KINDS.has(head)) return `${head}:${selector.slice(dot + 1)}`;
  return `resource:${selector}`;
}

/** A finding and the construct it is about. */
export interface Located {
  readonly finding: Finding;
  readonly construct: IConstruct;
}

/** Every rule on every element of one stack. n/a verdicts are not recorded. */
export function evaluateStack(stack: TerraformStack, dispatch: RuleDispatch): Located[] {
  const index = StackIndex.of(stack);
  const findings: Located[] = [];
  for (const element of index.elements) {
    for (const rule of dispatch.rulesFor(element)) {
      const v = safeCheck(rule, element, index);
      if (v.status === "n/a") continue;
      const base = {
        ruleId: rule.id,
        family: rule.family,
        path: element.construct.node.path,
        stack: stack.node.path,
        address: element.address,
        message: rule.message,
        fix: rule.fix,
      };
      if (v.status === "pass") {
        findings.push({ finding: { ...base, status: "pass", problems: [] }, construct: element.construct });
        continue;
      }
      const suppression = findSuppression(element.construct, rule.id);
      const finding: Finding = suppression
        ? { ...base, status: "suppressed", problems: v.problems, reason: suppression.reason }
        : { ...base, status: "fail", problems: v.problems };
      findings.push({ finding, construct: element.construct });
    }
  }
  return findings;
}

function safeCheck(rule: Rule, element: Element, index: StackIndex): Verdict {
  try {
    return rule.check(element, index);
  } catch (e) {
    // A rule that cannot read a block must not let it through.
    return { status: "fail", problems: [`the rule could not evaluate this block (${e instanceof Error ? e.message : String(e)})`] };
  }
}

/** The one-line text of a failing or suppressed finding: rule id, message, what failed, the fix. */
export function findingText(f: Finding): string {
  const detail = f.problems.length ? `: ${f.problems.join("; ")}` : "";
  if (f.status === "suppressed") return `[${f.ruleId}] suppressed (${f.reason}). ${f.message}${detail}`;
  return `[${f.ruleId}] ${f.message}${detail}. Fix: ${f.fix}`;
}

const ADDED = Symbol.for("metadata-platform/policy-annotations");
type Annotated = IConstruct & { [ADDED]?: Set<string> };

/**
 * Attaches failing findings as error annotations and suppressed ones as info, once per construct and
 * text (aspects re-run on every synth). Written without a stack trace: the CLI prints one line each.
 */
export function annotate(findings: readonly Located[]): void {
  for (const { finding: f, construct: c } of findings) {
    if (f.status === "pass") continue;
    const construct = c as Annotated;
    const level = f.status === "fail" ? AnnotationMetadataEntryType.ERROR : AnnotationMetadataEntryType.INFO;
    const text = findingText(f);
    let added = construct[ADDED];
    if (!added) {
      added = new Set<string>();
      Object.defineProperty(construct, ADDED, { value: added, enumerable: false });
    }
    const key = `${level} ${text}`;
    if (added.has(key)) continue;
    added.add(key);
    // Same entry Annotations.of(c).addError/addInfo writes, minus the stack trace.
    construct.node.addMetadata(level, text, { stackTrace: false });
  }
}
