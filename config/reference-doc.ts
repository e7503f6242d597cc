import { deploymentJsonSchema } from "./json-schema";

/** A JSON Schema node, as far as the reference needs it. */
interface Node {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  oneOf?: Node[];
  anyOf?: Node[];
  additionalProperties?: Node | boolean;
}

/**
 * The deployment config reference as Markdown, generated from the schema (so it cannot drift).
 * `npm run schema` writes it to docs/config-reference.md; a test fails when the committed copy is stale.
 */
export function configReferenceMarkdown(): string {
  const root = JSON.parse(deploymentJsonSchema()) as Node;
  const rows: string[] = [];
  walk(root, "", true, rows);
  return [
    "# Deployment config reference",
    "",
    "Generated from `config/schema.ts` by `npm run schema`; do not edit by hand.",
    "A deployment is one YAML or JSON file (`--config <file>` or `DEPLOYMENT_CONFIG`). Unknown fields are errors.",
    "Editors get completion from `config/deployment.schema.json` (see the first line of `examples/*.yaml`).",
    "",
    "| field | type | required | default | meaning |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}

function walk(node: Node, path: string, required: boolean, rows: string[]): void {
  if (path) rows.push(row(path, node, required));
  const variants = node.oneOf ?? node.anyOf;
  if (variants) {
    for (const v of variants) {
      const tag = Object.entries(v.properties ?? {}).find(([, p]) => p.const !== undefined);
      const label = tag ? `${path} (${tag[0]}: ${String(tag[1].const)})` : path;
      for (const [k, child] of Object.entries(v.properties ?? {})) {
        walk(child, `${label}.${k}`, (v.required ?? []).includes(k), rows);
      }
    }
    return;
  }
  for (const [k, child] of Object.entries(node.properties ?? {})) {
    walk(child, path ? `${path}.${k}` : k, (node.required ?? []).includes(k), rows);
  }
  if (node.type === "array" && node.items?.properties) {
    for (const [k, child] of Object.entries(node.items.properties)) {
      walk(child, `${path}[].${k}`, (node.items.required ?? []).includes(k), rows);
    }
  }
}

function row(path: string, n: Node, required: boolean): string {
  const def = n.default === undefined ? "" : `\`${JSON.stringify(n.default)}\``;
  return `| \`${path}\` | ${typeOf(n)} | ${required && n.default === undefined ? "yes" : ""} | ${def} | ${escape(n.description ?? "")} |`;
}

function typeOf(n: Node): string {
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``;
  if (n.enum) return n.enum.map((e) => `\`${String(e)}\``).join(" \\| ");
  if (n.oneOf || n.anyOf) return "one of the variants below";
  if (n.type === "array") return `list of ${n.items?.properties ? "objects" : (n.items?.type ?? "values")}`;
  if (n.type === "object" && n.additionalProperties && typeof n.additionalProperties === "object") return "map of string";
  const range = n.minimum !== undefined || n.maximum !== undefined ? ` (${n.minimum ?? ""}..${n.maximum ?? ""})` : "";
  return `${n.type ?? "any"}${range}`;
}

function escape(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
