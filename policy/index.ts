/** Synth-time security policy: the Policy facade, the rule registry and the types rules are written in. */
export { ALLOW_DESTROY_REASON, Policy, PolicyAspect, REPORT_FILE, type PolicyOptions } from "./policy";
export { ALL_RULES, RULE_IDS, RULE_PACKS } from "./rules";
export type { Family, Finding, Rule, Suppression, Verdict } from "./types";
export { FAMILIES } from "./types";
export type { PolicyReport, PolicySummary } from "./report";
