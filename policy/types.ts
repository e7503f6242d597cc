import type { IConstruct } from "constructs";

/** The families of promises the rules protect (the list). */
export const FAMILIES = [
  "encryption-at-rest",
  "public-exposure",
  "in-transit",
  "nodes",
  "logging",
  "identity",
  "secrets",
  "workloads",
  "namespaces",
  "data-safety",
] as const;
/** One family of promises. */
export type Family = (typeof FAMILIES)[number];

/** What kind of Terraform block an element synthesizes to. */
export type ElementKind = "resource" | "data" | "provider" | "output" | "variable" | "local" | "backend";

/**
 * One Terraform block as synthesized: snake_case attributes, references as "${...}" strings.
 * Built once per stack per synth (see StackIndex); rules only read it.
 */
export interface Element {
  readonly kind: ElementKind;
  /** Terraform type: `aws_s3_bucket`; the provider name (`vault`) for providers; `output`, `variable`, ... otherwise. */
  readonly type: string;
  /** Logical id (friendlyUniqueId) in the stack. */
  readonly name: string;
  /** Terraform address as other blocks reference it: `aws_s3_bucket.X`, `data.aws_iam_policy_document.Y`, `var.Z`. */
  readonly address: string;
  /** The resolved attribute block. */
  readonly block: Readonly<Record<string, unknown>>;
  /** The construct that synthesizes this block (where findings and suppressions attach). */
  readonly construct: IConstruct;
}

/** A rule's verdict on one element. */
export type Verdict = { readonly status: "pass" } | { readonly status: "n/a" } | { readonly status: "fail"; readonly problems: readonly string[] };

/** Read-only view of the stack a rule may consult (other blocks, references between them). */
export interface RuleContext {
  /** Every element of the stack. */
  readonly elements: readonly Element[];
  /** Resources of a Terraform type. */
  resources(type: string): readonly Element[];
  /** Data sources of a Terraform type. */
  dataSources(type: string): readonly Element[];
  /** The element an address like `aws_s3_bucket.X` or `data.aws_iam_policy_document.Y` names, if it is in this stack. */
  byAddress(address: string): Element | undefined;
  /** Resources of `type` whose attribute `attribute` (dotted path; any attribute when omitted) references `target`. */
  referencing(type: string, target: Element, attribute?: string): readonly Element[];
}

/**
 * A security rule: a pure function of one synthesized block (plus a read-only view of its stack).
 * Ids are `<PACK>-<n>` and never reused, even when a rule is retired.
 */
export interface Rule {
  /** Stable id, e.g. `AWS-1`. */
  readonly id: string;
  /** The promise family it protects. */
  readonly family: Family;
  /**
   * What it applies to: Terraform resource types (`aws_s3_bucket`), data sources (`data.aws_iam_policy_document`),
   * providers (`provider.vault`, or `provider.*`), or `output.*`, `variable.*`, `resource.*`, `data.*`, `backend.*`.
   */
  readonly appliesTo: readonly string[];
  /** One line: what is wrong when it fails. */
  readonly message: string;
  /** One line: what to change. */
  readonly fix: string;
  /** The promise it keeps, citing the reference page and line. */
  readonly promise: string;
  /**
   * True for rules that stop stateful resources being destroyed: a deployment with
   * `dataProtection.allowDestroy: true` suppresses exactly these (see `Policy.allowDestroy`).
   */
  readonly guardsDestroy?: boolean;
  /** Judges one element. An unresolved value where a literal is needed is a failure. */
  check(element: Element, context: RuleContext): Verdict;
}

/** A suppression: names a rule and says why it does not apply, for a construct and its subtree. */
export interface Suppression {
  readonly id: string;
  readonly reason: string;
}

/** Status of one (rule, element) evaluation. */
export type FindingStatus = "pass" | "fail" | "suppressed";

/** The result of one rule on one element (n/a results are not recorded). */
export interface Finding {
  readonly ruleId: string;
  readonly family: Family;
  readonly status: FindingStatus;
  /** Construct path, e.g. `demo-aws/Data/Resource`. */
  readonly path: string;
  readonly stack: string;
  /** Terraform address, e.g. `aws_s3_bucket.Data_Resource_1A2B`. */
  readonly address: string;
  readonly message: string;
  readonly fix: string;
  /** What exactly failed (empty on pass). */
  readonly problems: readonly string[];
  /** The suppression's reason (suppressed findings only). */
  readonly reason?: string;
}
