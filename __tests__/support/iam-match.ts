/**
 * How IAM matches a request against policy statements, for the checks of the deploy policies and the roles'
 * boundaries against their synthesized JSON. Only what those documents use: `*`/`?` action and resource patterns,
 * and the condition operators StringEquals, StringNotEquals, StringEqualsIfExists, StringLike, ArnLike (as StringLike:
 * whole ARNs), Bool, Null, and ForAnyValue:StringEquals and ForAllValues:StringNotEquals for a multi-valued key (no
 * NotAction, NotResource); any other operator throws. Sources:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html (resource matching),
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html (operators;
 * a condition key absent from the request fails every operator but Null and the IfExists forms),
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html (an Allow needs every
 * condition of the statement to hold; any one matching statement allows),
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 * (ForAnyValue: true when at least one of the request's values matches one of the condition's; false when the key is
 * absent or has no value; ForAllValues: true when every value of the request matches, so also when the key is absent
 * or empty), and on the same operators page: "If the policy condition requires that the key is not matched, such as
 * StringNotLike or ArnNotLike, and the right key is not present, the condition is true", and ...IfExists: "If the
 * policy key is present in the context of the request, process the key as specified in the policy. If the key is not
 * present, evaluate the condition element as true".
 */

import type { SynthesizedStatement } from "../../stacks/bootstrap/aws-condition-facts";

/** A statement as synthesized (aws_iam_policy_document, snake_case). */
export type Statement = SynthesizedStatement;

/** A request: one action on one resource, with the condition keys present in its context. */
export interface Request {
  readonly action: string;
  readonly resource: string;
  /** Single-valued keys as a string; a multi-valued key (kms:ResourceAliases) as a list. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

const glob = (p: string, v: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(v);

/**
 * IAM's Resource matching: `*` is any run of characters, `?` any one; case sensitive; partition, service, region and
 * account are compared segment by segment, the resource part (after the fifth colon, colons included) as a whole.
 */
export function arnMatches(pattern: string, arn: string): boolean {
  const split = (a: string) => {
    const parts = a.split(":");
    return [...parts.slice(0, 5), parts.slice(5).join(":")];
  };
  if (pattern === "*") return true;
  const [p, v] = [split(pattern), split(arn)];
  return p.length === v.length && p.every((seg, i) => glob(seg, v[i]));
}

function conditionHolds(c: NonNullable<Statement["condition"]>[number], context: Readonly<Record<string, string | readonly string[]>>): boolean {
  const raw = context[c.variable];
  if (c.test === "ForAnyValue:StringEquals") {
    const values = raw === undefined ? [] : typeof raw === "string" ? [raw] : raw;
    return values.some((v) => c.values.includes(v));
  }
  if (c.test === "ForAllValues:StringNotEquals") {
    const values = raw === undefined ? [] : typeof raw === "string" ? [raw] : raw;
    return values.every((v) => !c.values.includes(v));
  }
  // Null asks only whether the key is in the request (a multi-valued one with at least one value).
  if (c.test === "Null") return c.values.includes(raw === undefined || (typeof raw !== "string" && raw.length === 0) ? "true" : "false");
  if (raw !== undefined && typeof raw !== "string") throw new Error(`${c.variable} is multi-valued: ${c.test} is not modelled for it (__tests__/support/iam-match.ts)`);
  const value = raw;
  switch (c.test) {
    case "StringEquals":
      return value !== undefined && c.values.includes(value);
    case "StringNotEquals":
      return value === undefined || !c.values.includes(value);
    case "StringEqualsIfExists":
      return value === undefined || c.values.includes(value);
    case "StringLike":
    case "ArnLike":
      return value !== undefined && c.values.some((p) => glob(p, value));
    case "Bool":
      return value !== undefined && c.values.includes(value);
    default:
      throw new Error(`condition operator ${c.test} is not modelled here (__tests__/support/iam-match.ts)`);
  }
}

/**
 * IAM's Action matching: the service prefix and action name compared case-insensitively, `*` and `?` as wildcards
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
 */
export function actionMatches(pattern: string, action: string): boolean {
  return glob(pattern.toLowerCase(), action.toLowerCase());
}

/** Whether any Deny statement of `statements` applies to the request (its conditions hold). */
export function denies(statements: readonly Statement[], request: Request): boolean {
  return allows(statements.filter((s) => s.effect === "Deny").map((s) => ({ ...s, effect: "Allow" })), request);
}

/** Whether one Allow statement of `statements` allows the request. */
export function allows(statements: readonly Statement[], request: Request): boolean {
  return statements.some(
    (s) =>
      (s.effect ?? "Allow") === "Allow" &&
      (s.actions ?? []).some((a) => actionMatches(a, request.action)) &&
      (s.resources ?? []).some((r) => arnMatches(r, request.resource)) &&
      (s.condition ?? []).every((c) => conditionHolds(c, request.context ?? {})),
  );
}
