import type { Element, RuleContext, Verdict } from "./types";

/**
 * Helpers rules use to read synthesized blocks. The one convention that matters: a value the rule
 * cannot see at synth (a "${...}" reference where a literal is needed) is a failure, never a pass.
 */

/** A plain JSON object. */
export type Obj = Record<string, unknown>;

/** The verdict of a rule whose checks all held. */
export const PASS: Verdict = { status: "pass" };
/** The verdict of a rule that does not apply to this element. */
export const NA: Verdict = { status: "n/a" };

/** A failing verdict with the given problems. */
export function fail(...problems: string[]): Verdict {
  return { status: "fail", problems };
}

/** Pass when `problems` is empty, fail with them otherwise. */
export function verdict(problems: readonly (string | undefined | false)[]): Verdict {
  const real = problems.filter((p): p is string => typeof p === "string" && p.length > 0);
  return real.length ? { status: "fail", problems: real } : PASS;
}

/** True for a string that still contains a Terraform expression (a reference, function call or variable). */
export function isUnresolved(value: unknown): boolean {
  return typeof value === "string" && value.includes("${");
}

/** True for a plain object. */
export function isObj(value: unknown): value is Obj {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A nested block as a list of objects, whether synthesized as one object or a list of them. */
export function blocks(value: unknown): Obj[] {
  if (Array.isArray(value)) return value.filter(isObj);
  return isObj(value) ? [value] : [];
}

/** The first block of a nested block (single blocks may be synthesized as one-element lists). */
export function block(value: unknown): Obj | undefined {
  return blocks(value)[0];
}

/** Reads a dotted path through nested (single) blocks: `get(b, "vpc_config.endpoint_private_access")`. */
export function get(from: unknown, path: string): unknown {
  let current: unknown = from;
  for (const key of path.split(".")) {
    const here = Array.isArray(current) ? current[0] : current;
    if (!isObj(here)) return undefined;
    current = here[key];
  }
  return current;
}

/** A list attribute as an array (absent = empty, a lone value = one element). */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Reads a boolean that may be synthesized as a string ("true"); `undefined` when absent, "unresolved" for a reference. */
export function bool(value: unknown): boolean | undefined | "unresolved" {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (isUnresolved(value)) return "unresolved";
  if (value === "true") return true;
  if (value === "false") return false;
  return "unresolved";
}

/**
 * Problem text when `attribute` is not literally `expected` (absent, different, or unknown at synth);
 * `undefined` when it is.
 */
export function expectBool(b: unknown, attribute: string, expected: boolean): string | undefined {
  const v = bool(get(b, attribute));
  if (v === expected) return undefined;
  if (v === "unresolved") return `${attribute} is not known at synth (${show(get(b, attribute))}); set it to ${expected} literally`;
  if (v === undefined) return `${attribute} is not set (must be ${expected}, written explicitly)`;
  return `${attribute} is ${v}`;
}

/** Problem text when `attribute` is not one of `allowed` (compared as strings, case-sensitive). */
export function expectOneOf(b: unknown, attribute: string, allowed: readonly string[]): string | undefined {
  const v = get(b, attribute);
  if (v === undefined || v === null || v === "") return `${attribute} is not set (must be ${allowed.join(" or ")})`;
  if (isUnresolved(v)) return `${attribute} is not known at synth (${show(v)}); must be ${allowed.join(" or ")}`;
  return allowed.includes(String(v)) ? undefined : `${attribute} is ${show(v)} (must be ${allowed.join(" or ")})`;
}

/** A short printable form of a value for messages. */
export function show(value: unknown): string {
  const s = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** True when `value` (any string inside it) references the element, e.g. "${aws_s3_bucket.X.id}". */
export function references(value: unknown, target: Element): boolean {
  if (typeof value === "string") return value.includes("${") && containsAddress(value, target.address);
  if (Array.isArray(value)) return value.some((v) => references(v, target));
  if (isObj(value)) return Object.values(value).some((v) => references(v, target));
  return false;
}

function containsAddress(text: string, address: string): boolean {
  let from = 0;
  for (;;) {
    const at = text.indexOf(address, from);
    if (at < 0) return false;
    const before = at === 0 ? "" : text[at - 1];
    const after = text[at + address.length] ?? "";
    if (!/[A-Za-z0-9_.-]/.test(before) && (after === "." || after === "[" || after === "}" || after === "")) return true;
    from = at + 1;
  }
}

/** True for a CIDR or address prefix meaning "anyone on the internet". */
export function isWorld(cidr: unknown): boolean {
  if (typeof cidr !== "string") return false;
  const c = cidr.trim().toLowerCase();
  return c === "*" || c === "internet" || c === "any" || c.endsWith("/0");
}

/**
 * Checks a list of allowed CIDRs that must be literal and never the whole internet.
 * Returns the problems (empty when fine).
 */
export function cidrProblems(attribute: string, value: unknown): string[] {
  if (isUnresolved(value)) return [`${attribute} is not known at synth (${show(value)}); list the CIDRs literally`];
  const problems: string[] = [];
  for (const c of list(value)) {
    if (isUnresolved(c)) problems.push(`${attribute} has an entry not known at synth (${show(c)})`);
    else if (isWorld(c)) problems.push(`${attribute} contains ${show(c)} (the whole internet)`);
  }
  return problems;
}

/** A closed port range. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** Administrative and data-store ports that must never be reachable from the internet. */
export const ADMIN_PORTS: readonly { port: number; what: string }[] = [
  { port: 22, what: "SSH" },
  { port: 3389, what: "RDP" },
  { port: 6443, what: "Kubernetes API" },
  { port: 10250, what: "kubelet" },
  { port: 2379, what: "etcd" },
  { port: 8200, what: "Vault" },
  { port: 5432, what: "PostgreSQL" },
  { port: 9042, what: "Cassandra" },
  { port: 9200, what: "Elasticsearch" },
  { port: 6379, what: "Redis" },
];

/** Parses "22", "1000-2000", "*" (all) into a range; `undefined` for unknown values. */
export function parsePortRange(value: unknown): PortRange | undefined {
  if (typeof value === "number") return { from: value, to: value };
  if (typeof value !== "string" || isUnresolved(value)) return undefined;
  const v = value.trim();
  if (v === "*" || v === "") return { from: 0, to: 65535 };
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  if (!m) return undefined;
  return { from: Number(m[1]), to: Number(m[2] ?? m[1]) };
}

/** The admin ports a range exposes, e.g. ["22 (SSH)"]. */
export function adminPortsIn(range: PortRange): string[] {
  return ADMIN_PORTS.filter((p) => p.port >= range.from && p.port <= range.to).map((p) => `${p.port} (${p.what})`);
}

/** A policy statement normalized from IAM JSON or an aws_iam_policy_document data source. */
export interface Statement {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly principals: readonly string[];
  /** Conditions as { test, variable, values }. */
  readonly conditions: readonly { test: string; variable: string; values: readonly string[] }[];
}

/**
 * Reads an IAM policy: a JSON string, or a reference to an aws_iam_policy_document data source in the
 * stack. Returns "unresolved" when the document cannot be seen at synth.
 */
export function policyStatements(value: unknown, context: RuleContext): Statement[] | "unresolved" {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") {
    const ref = /^\$\{(data\.aws_iam_policy_document\.[A-Za-z0-9_-]+)\.json\}$/.exec(value.trim());
    if (ref) {
      const doc = context.byAddress(ref[1]);
      return doc ? documentStatements(doc.block) : "unresolved";
    }
    // JSON.stringify of a document with references inside is still readable JSON; parse before giving up.
    try {
      return jsonStatements(JSON.parse(value));
    } catch {
      return "unresolved";
    }
  }
  if (isObj(value)) return jsonStatements(value);
  return "unresolved";
}

function strings(value: unknown): string[] {
  return list(value).map((v) => String(v));
}

function jsonStatements(doc: unknown): Statement[] {
  if (!isObj(doc)) return [];
  return list(doc.Statement)
    .filter(isObj)
    .map((s) => {
      const conditions: Statement["conditions"][number][] = [];
      if (isObj(s.Condition)) {
        for (const [test, vars] of Object.entries(s.Condition)) {
          if (!isObj(vars)) continue;
          for (const [variable, values] of Object.entries(vars)) conditions.push({ test, variable, values: strings(values) });
        }
      }
      const principals: string[] = [];
      if (s.Principal === "*") principals.push("*");
      else if (isObj(s.Principal)) for (const v of Object.values(s.Principal)) principals.push(...strings(v));
      return {
        effect: String(s.Effect ?? "Allow"),
        actions: strings(s.Action),
        notActions: strings(s.NotAction),
        resources: strings(s.Resource),
        principals,
        conditions,
      };
    });
}

function documentStatements(doc: Obj): Statement[] {
  return blocks(doc.statement).map((s) => ({
    effect: String(s.effect ?? "Allow"),
    actions: strings(s.actions),
    notActions: strings(s.not_actions),
    resources: strings(s.resources),
    principals: blocks(s.principals).flatMap((p) => strings(p.identifiers)),
    conditions: blocks(s.condition).map((c) => ({ test: String(c.test), variable: String(c.variable), values: strings(c.values) })),
  }));
}
