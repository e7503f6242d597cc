import { AZURE_DELEGATION_FACTS } from "../../stacks/bootstrap/azure-grant-condition";
import { AZURE_BLOB_CONDITION_FACTS } from "../../stacks/bootstrap/azure-state-condition";

/**
 * An evaluator of Azure role assignment conditions (version 2.0) for the delegation subset: `ActionMatches{'<action>'}`,
 * `!`, parenthesized groups, AND/OR (mixing both at one level without parentheses is refused, as the format requires),
 * and `@Request[...]` / `@Resource[...]` attributes with the cross-product operators. It follows the facts in
 * AZURE_DELEGATION_FACTS (which attribute sources each action has, the attributes' operators) and the format page
 * (https://learn.microsoft.com/azure/role-based-access-control/conditions-format): an attribute the action does not
 * have is absent, and an expression on an absent attribute is false. The blob subset adds `SubOperationMatches{'<name>'}`,
 * `NOT`, and the Blob path / Blob prefix attributes with `StringEquals '<value>'` (AZURE_BLOB_CONDITION_FACTS).
 */

type Node =
  | { kind: "and" | "or"; items: Node[] }
  | { kind: "not"; item: Node }
  | { kind: "action"; action: string }
  | { kind: "subOperation"; name: string }
  | { kind: "blob"; source: "Request" | "Resource"; attribute: string; operator: string; value: string }
  | { kind: "expr"; source: "Request" | "Resource"; attribute: string; operator: string; values: string[] };

const TOKEN = /\s*(\(|\)|!|AND\b|OR\b|NOT\b|StringEquals\b|'[^']*'|ActionMatches\{'[^']*'\}|SubOperationMatches\{'[^']*'\}|@(?:Request|Resource)\[[^\]]+\]|For(?:Any|All)Of(?:Any|All)Values:[A-Za-z]+|\{[^}]*\})/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(at))) break;
      throw new Error(`condition: cannot read '${text.slice(at, at + 40)}'`);
    }
    tokens.push(m[1]);
  }
  return tokens;
}

/** Parses a condition into a tree; throws on anything outside the subset. */
export function parseCondition(text: string): Node {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const group = (): Node => {
    const items = [term()];
    let op: "AND" | "OR" | undefined;
    while (peek() === "AND" || peek() === "OR") {
      const o = next() as "AND" | "OR";
      if (op && o !== op) throw new Error("condition: AND and OR mixed at one level need parentheses");
      op = o;
      items.push(term());
    }
    return items.length === 1 ? items[0] : { kind: op === "AND" ? "and" : "or", items };
  };
  const term = (): Node => {
    const t = next();
    if (t === "!" || t === "NOT") return { kind: "not", item: term() };
    const sub = /^SubOperationMatches\{'([^']*)'\}$/.exec(t ?? "");
    if (sub) return { kind: "subOperation", name: sub[1] };
    const blob = /^@(Request|Resource)\[Microsoft\.Storage\/storageAccounts\/blobServices\/containers\/blobs:([a-z]+)\]$/.exec(t ?? "");
    if (blob) {
      const operator = next();
      const value = next();
      if (operator !== "StringEquals" || !/^'.*'$/.test(value ?? "")) throw new Error(`condition: '${t}' needs StringEquals and a quoted value`);
      return { kind: "blob", source: blob[1] as "Request" | "Resource", attribute: blob[2], operator, value: value.slice(1, -1) };
    }
    if (t === "(") {
      const inner = group();
      if (next() !== ")") throw new Error("condition: unbalanced parentheses");
      return inner;
    }
    const action = /^ActionMatches\{'([^']*)'\}$/.exec(t ?? "");
    if (action) return { kind: "action", action: action[1] };
    const attr = /^@(Request|Resource)\[Microsoft\.Authorization\/roleAssignments:([A-Za-z]+)\]$/.exec(t ?? "");
    if (attr) {
      const operator = next();
      const values = next();
      if (!/^For/.test(operator ?? "") || !/^\{.*\}$/.test(values ?? "")) throw new Error(`condition: '${t}' needs an operator and a value set`);
      return { kind: "expr", source: attr[1] as "Request" | "Resource", attribute: attr[2], operator, values: values.slice(1, -1).split(",").map((v) => v.trim().replace(/^'|'$/g, "")).filter((v) => v) };
    }
    throw new Error(`condition: unexpected '${t}'`);
  };
  const tree = group();
  if (i !== tokens.length) throw new Error(`condition: trailing '${tokens.slice(i).join(" ")}'`);
  return tree;
}

/** A role assignment request: the action and the assignment's attributes. */
export interface AssignmentRequest {
  readonly action: keyof typeof AZURE_DELEGATION_FACTS.actions.value;
  readonly RoleDefinitionId: string;
  readonly PrincipalId: string;
  readonly PrincipalType?: string;
}

function compare(operator: string, left: string, right: string[], attribute: string): boolean {
  const facts = AZURE_DELEGATION_FACTS.attributes.value[attribute as keyof typeof AZURE_DELEGATION_FACTS.attributes.value];
  if (!facts) throw new Error(`condition: attribute ${attribute} is not a delegation attribute`);
  if (!(facts.operators as readonly string[]).includes(operator)) throw new Error(`condition: ${operator} is not an operator of ${attribute}`);
  const l = left.toLowerCase();
  const r = right.map((v) => v.toLowerCase());
  switch (operator) {
    case "ForAnyOfAnyValues:GuidEquals":
    case "ForAnyOfAnyValues:StringEqualsIgnoreCase":
      return r.includes(l);
    case "ForAnyOfAllValues:GuidNotEquals":
      return r.every((v) => v !== l);
    default:
      throw new Error(`condition: operator ${operator} is not evaluated here`);
  }
}

/** Whether the condition allows the request (the role holds the action; the condition decides). */
export function conditionAllows(tree: Node, request: AssignmentRequest): boolean {
  const sources = AZURE_DELEGATION_FACTS.actions.value[request.action];
  return evaluateTree(tree, (n) => {
    switch (n.kind) {
      case "action": return n.action === request.action;
      case "subOperation":
      case "blob": throw new Error(`condition: a blob expression in a role assignment condition`);
      case "expr": {
        const has = (n.source === "Request" ? sources.request : sources.resource) as readonly string[];
        const value = request[n.attribute as "RoleDefinitionId" | "PrincipalId" | "PrincipalType"];
        if (!has.includes(n.attribute) || value === undefined) return false;
        return compare(n.operator, value, n.values, n.attribute);
      }
    }
  });
}

type Leaf = Extract<Node, { kind: "action" | "subOperation" | "blob" | "expr" }>;

/** A condition's tree with AND, OR and NOT applied, each other node decided by `leaf`. */
function evaluateTree(tree: Node, leaf: (n: Leaf) => boolean): boolean {
  const evaluate = (n: Node): boolean => {
    if (n.kind === "and" || n.kind === "or") return n.kind === "and" ? n.items.every(evaluate) : n.items.some(evaluate);
    if (n.kind === "not") return !evaluate(n.item);
    return leaf(n as Leaf);
  };
  return evaluate(tree);
}

/** A blob data request: the data action, whether it is a list (suboperation Blob.List), the blob's path or the list's prefix. */
export interface BlobRequest {
  readonly action: string;
  readonly list?: boolean;
  readonly path?: string;
  readonly prefix?: string;
}

/** Whether the condition allows the blob request (the role holds the action; the condition decides). */
export function blobConditionAllows(tree: Node, request: BlobRequest): boolean {
  const facts = AZURE_BLOB_CONDITION_FACTS.actions.value[request.action];
  if (!facts) throw new Error(`condition: ${request.action} is not a blob data action with facts`);
  const op = request.list ? facts.list : facts.other;
  if (!op) throw new Error(`condition: ${request.action} has no list suboperation`);
  return evaluateTree(tree, (n) => {
    switch (n.kind) {
      case "action": return n.action === request.action;
      case "subOperation":
        if (n.name !== "Blob.List") throw new Error(`condition: suboperation ${n.name} is not evaluated here`);
        return request.list === true;
      case "blob": {
        const fact = AZURE_BLOB_CONDITION_FACTS.attributes.value[n.attribute as "path" | "prefix"];
        if (!fact || fact.source !== n.source) throw new Error(`condition: @${n.source}[...:${n.attribute}] is not a blob attribute`);
        if (!(fact.operators as readonly string[]).includes(n.operator)) throw new Error(`condition: ${n.operator} is not an operator of ${n.attribute}`);
        const has = (n.source === "Request" ? op.request : op.resource) as readonly string[];
        const value = request[n.attribute as "path" | "prefix"];
        if (!has.includes(n.attribute) || value === undefined) return false;
        return value === n.value;
      }
      case "expr": throw new Error("condition: a role assignment expression in a blob condition");
    }
  });
}
