/**
 * An evaluator for the IAM Condition expressions the GCP deploy-roles stack emits, to check them against requests.
 * Only that subset of CEL: `||`, `&&`, parentheses, `resource.type` / `resource.name` compared with `==` or `!=` to a
 * string literal, `resource.name.startsWith(<string literal>)` (CEL's string prefix test), `api.getAttribute('<name>', []).hasOnly([<string literals>])`
 * and `api.getAttribute('<name>', '').startsWith(<string literal>)`. Anything else throws, so a
 * new form of condition cannot pass a test unread.
 *
 * Semantics, from https://cloud.google.com/iam/docs/conditions-attribute-reference:
 * - "If part of a condition uses an attribute that isn't available for a resource, then that part of the condition
 *   is never interpreted as granting access" (#inherited-support): a comparison on a resource attribute the request
 *   does not carry (an IAM resource has neither type nor name) is false, with `==` and `!=` alike.
 * - `api.getAttribute(name, [])` returns the default `[]` when the request has no such attribute; `hasOnly(list)` is
 *   true when every item is in the list, so `[]` passes (#api-attributes, the hasOnly() table).
 */

/** What a request carries for a condition. */
export interface ConditionRequest {
  /** The resource's attributes, when its service provides them (absent: an IAM resource such as a service account). */
  readonly resource?: { readonly type?: string; readonly name?: string };
  /**
   * API attributes, by name: a list (iam.googleapis.com/modifiedGrantsByRole for a setIamPolicy request) or a string
   * (storage.googleapis.com/objectListPrefix for a list request).
   */
  readonly api?: Readonly<Record<string, readonly string[] | string>>;
}

type Token = { kind: "str"; value: string } | { kind: "id"; value: string } | { kind: "op"; value: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const ch = expression[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "'") {
      const end = expression.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated string in ${expression}`);
      tokens.push({ kind: "str", value: expression.slice(i + 1, end) });
      i = end + 1;
    } else if (/[A-Za-z_]/.test(ch) || /^\.[A-Za-z]/.test(expression.slice(i, i + 2))) {
      // A dotted name (resource.type), or a method on the preceding value (.hasOnly).
      const m = /^\.?[A-Za-z_][A-Za-z0-9_.]*/.exec(expression.slice(i))![0];
      tokens.push({ kind: "id", value: m });
      i += m.length;
    } else {
      const two = expression.slice(i, i + 2);
      if (["||", "&&", "==", "!="].includes(two)) {
        tokens.push({ kind: "op", value: two });
        i += 2;
      } else if ("()[],".includes(ch)) {
        tokens.push({ kind: "op", value: ch });
        i++;
      } else {
        throw new Error(`unsupported character '${ch}' in ${expression}`);
      }
    }
  }
  return tokens;
}

/** Evaluates `expression` for `request` (see the module comment for the subset and its semantics). */
export function evaluateCondition(expression: string, request: ConditionRequest): boolean {
  const tokens = tokenize(expression);
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (kind: Token["kind"], value?: string): Token => {
    const t = tokens[pos];
    if (!t || t.kind !== kind || (value !== undefined && t.value !== value)) throw new Error(`expected ${value ?? kind} at token ${pos} of ${expression}`);
    pos++;
    return t;
  };
  const strings = (): string[] => {
    take("op", "[");
    const items: string[] = [];
    while (peek()?.value !== "]") {
      items.push(take("str").value);
      if (peek()?.value === ",") take("op", ",");
    }
    take("op", "]");
    return items;
  };
  const primary = (): boolean => {
    const t = peek();
    if (t?.kind === "op" && t.value === "(") {
      take("op", "(");
      const v = or();
      take("op", ")");
      return v;
    }
    const id = take("id").value;
    if (id === "resource.name.startsWith") {
      take("op", "(");
      const prefix = take("str").value;
      take("op", ")");
      return request.resource?.name !== undefined && request.resource.name.startsWith(prefix);
    }
    if (id === "resource.type" || id === "resource.name") {
      const op = take("op").value;
      if (op !== "==" && op !== "!=") throw new Error(`unsupported operator ${op} after ${id} in ${expression}`);
      const literal = take("str").value;
      const actual = id === "resource.type" ? request.resource?.type : request.resource?.name;
      if (actual === undefined) return false;
      return op === "==" ? actual === literal : actual !== literal;
    }
    if (id === "api.getAttribute") {
      take("op", "(");
      const name = take("str").value;
      take("op", ",");
      if (peek()?.kind === "str") {
        // A string attribute with the default '' and CEL's prefix test: api.getAttribute(name, '').startsWith(p).
        if (take("str").value !== "") throw new Error(`the default of ${name} must be '' in ${expression}`);
        take("op", ")");
        take("id", ".startsWith");
        take("op", "(");
        const prefix = take("str").value;
        take("op", ")");
        const value = request.api?.[name] ?? "";
        if (typeof value !== "string") throw new Error(`${name} is a list attribute, not a string, in ${expression}`);
        return value.startsWith(prefix);
      }
      if (strings().length !== 0) throw new Error(`the default of ${name} must be [] in ${expression}`);
      take("op", ")");
      take("id", ".hasOnly");
      take("op", "(");
      const allowed = strings();
      take("op", ")");
      const items = request.api?.[name] ?? [];
      if (typeof items === "string") throw new Error(`${name} is a string attribute, not a list, in ${expression}`);
      return items.every((item) => allowed.includes(item));
    }
    throw new Error(`unsupported identifier ${id} in ${expression}`);
  };
  const and = (): boolean => {
    let v = primary();
    while (peek()?.value === "&&") {
      take("op", "&&");
      const right = primary();
      v = v && right;
    }
    return v;
  };
  function or(): boolean {
    let v = and();
    while (peek()?.value === "||") {
      take("op", "||");
      const right = and();
      v = v || right;
    }
    return v;
  }
  const result = or();
  if (pos !== tokens.length) throw new Error(`unexpected ${tokens[pos].value} at token ${pos} of ${expression}`);
  return result;
}
