import { FAMILIES, type Family, type Finding, type Rule } from "./types";

/** Counts of one evaluation. */
export interface PolicySummary {
  /** Rules in the registry. */
  readonly rules: number;
  /** Rules that applied to at least one block. */
  readonly rulesEvaluated: number;
  /** Stacks evaluated. */
  readonly stacks: number;
  /** (rule, block) checks that passed / failed / were suppressed. */
  readonly passed: number;
  readonly failed: number;
  readonly suppressed: number;
}

/** The JSON report written next to the stacks: deterministic, no absolute paths, no timestamps. */
export interface PolicyReport {
  readonly version: 1;
  readonly summary: PolicySummary;
  /** Rules per family in the registry. */
  readonly rulesByFamily: Readonly<Record<Family, number>>;
  /** Per rule that applied: how many checks passed, failed, were suppressed. */
  readonly rules: readonly { id: string; family: Family; passed: number; failed: number; suppressed: number }[];
  /** Every failing and suppressed finding, sorted by stack, construct path, rule. */
  readonly findings: readonly Finding[];
  /**
   * Suppressions that excused nothing (the finding was fixed, or it sits on the wrong construct): remove
   * them so they cannot hide a future regression. Those of `Policy.allowDestroy` are not listed.
   */
  readonly unusedSuppressions: readonly UnusedSuppression[];
}

/** A suppression that matched no finding. */
export interface UnusedSuppression {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Orders rule ids by pack, then number (AWS-2 before AWS-10). */
export function compareRuleIds(a: string, b: string): number {
  const [pa, na] = a.split("-");
  const [pb, nb] = b.split("-");
  return pa === pb ? Number(na) - Number(nb) : pa < pb ? -1 : 1;
}

/** Builds the report from sorted findings. */
export function buildReport(
  rules: readonly Rule[],
  findings: readonly Finding[],
  stacks: number,
  unusedSuppressions: readonly UnusedSuppression[] = [],
): PolicyReport {
  const perRule = new Map<string, { id: string; family: Family; passed: number; failed: number; suppressed: number }>();
  for (const f of findings) {
    const row = perRule.get(f.ruleId) ?? { id: f.ruleId, family: f.family, passed: 0, failed: 0, suppressed: 0 };
    if (f.status === "pass") row.passed++;
    else if (f.status === "fail") row.failed++;
    else row.suppressed++;
    perRule.set(f.ruleId, row);
  }
  const rows = [...perRule.values()].sort((a, b) => compareRuleIds(a.id, b.id));
  const count = (s: Finding["status"]) => findings.filter((f) => f.status === s).length;
  const rulesByFamily = Object.fromEntries(FAMILIES.map((fam) => [fam, rules.filter((r) => r.family === fam).length])) as Record<Family, number>;
  return {
    version: 1,
    summary: {
      rules: rules.length,
      rulesEvaluated: rows.length,
      stacks,
      passed: count("pass"),
      failed: count("fail"),
      suppressed: count("suppressed"),
    },
    rulesByFamily,
    rules: rows,
    findings: findings.filter((f) => f.status !== "pass"),
    unusedSuppressions,
  };
}

/** The one-line summary printed after synth. */
export function summaryLine(report: PolicyReport, reportFile: string): string {
  const s = report.summary;
  const verdict = s.failed ? "FAILED" : "ok";
  const unused = report.unusedSuppressions.length ? `, ${report.unusedSuppressions.length} unused suppression(s)` : "";
  return (
    `policy ${verdict}: ${s.rulesEvaluated} of ${s.rules} rules evaluated on ${s.stacks} stack(s): ` +
    `${s.passed} passed, ${s.failed} failed, ${s.suppressed} suppressed${unused} (report: ${reportFile})`
  );
}
