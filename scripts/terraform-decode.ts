/**
 * Terraform's own decoder on a synthesized stack, without its provider plugins.
 *
 * Every string in Terraform's JSON syntax is a template. Whether a stack's strings decode, and to what,
 * is decided by Terraform core (HCL's template parser), not by the provider; the provider only checks
 * the schema. So when a stack's providers are not at hand, each block of the stack (resources, data
 * sources, providers, outputs, locals, variables, the backend) becomes the `input` of Terraform's
 * built-in `terraform_data` resource, and every reference to something that is not there (a resource
 * of an absent provider, a variable, a remote state output, an iterator) becomes an unknown value of
 * any type (`jsondecode(terraform_data.unknown.id)`: the id is unknown until apply). `terraform plan`
 * then parses and evaluates every template; the saved plan (`terraform show -json`) gives the decoded
 * value of every literal, and marks as unknown what depends on a reference.
 *
 * Several stacks go into one root module (their blocks are prefixed), so one `terraform plan` decodes a
 * whole deployment, or several: about a second.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** A value Terraform could not know at plan time (it depends on a reference). */
export const UNKNOWN = "<unknown: depends on a reference>";

/** A stack's blocks, decoded by Terraform: `blocks["resource.kubernetes_config_map_v1.Foo"]` is that block's body. */
export interface DecodedStack {
  readonly blocks: Readonly<Record<string, unknown>>;
}

/** What went wrong, in Terraform's words, with the block it concerns. */
export class TerraformDecodeError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const UNKNOWN_EXPRESSION = "jsondecode(terraform_data.unknown.id)";
const KEYWORDS = new Set(["for", "in", "if", "true", "false", "null", "endfor", "endif", "else"]);

/**
 * One terraform_data per block of every stack. Returns the root module and the map from its
 * resource names back to `<stack>` and `<kind>.<type>.<name>`.
 */
export function decoderModule(stacks: Readonly<Record<string, unknown>>): { module: JsonObject; names: Map<string, { stack: string; block: string }> } {
  const resources: JsonObject = { unknown: { input: "unknown" } };
  const names = new Map<string, { stack: string; block: string }>();
  let n = 0;
  const add = (stack: string, block: string, body: Json) => {
    const name = `b${n++}`;
    names.set(name, { stack, block });
    resources[name] = { input: rewriteReferences(body) };
  };
  for (const [stack, json] of Object.entries(stacks)) {
    const tf = json as JsonObject;
    for (const kind of ["resource", "data"] as const) {
      for (const [type, byName] of Object.entries((tf[kind] as JsonObject | undefined) ?? {})) {
        for (const [name, body] of Object.entries(byName as JsonObject)) add(stack, `${kind}.${type}.${name}`, stripMetadata(body));
      }
    }
    for (const [type, configs] of Object.entries((tf.provider as JsonObject | undefined) ?? {})) {
      (configs as Json[]).forEach((body, i) => add(stack, `provider.${type}[${i}]`, stripMetadata(body)));
    }
    for (const kind of ["output", "variable", "locals"] as const) {
      for (const [name, body] of Object.entries((tf[kind] as JsonObject | undefined) ?? {})) add(stack, `${kind}.${name}`, stripMetadata(body));
    }
    const backend = ((tf.terraform as JsonObject | undefined)?.backend as JsonObject | undefined) ?? {};
    for (const [type, body] of Object.entries(backend)) add(stack, `backend.${type}`, body);
  }
  return { module: { resource: { terraform_data: resources } }, names };
}

function stripMetadata(body: Json): Json {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([k]) => k !== "//"));
}

/** Every reference inside every template of `value` replaced by an unknown of any type. */
function rewriteReferences(value: Json): Json {
  if (typeof value === "string") return rewriteTemplate(value);
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewriteReferences(v)]));
  return value;
}

/**
 * Rewrites the references inside the `${ }` and `%{ }` sequences of one template string; literal text
 * (including escaped `$${` and `%%{`) is left for Terraform to decode. Only traversals are recognised
 * here; any syntax error is left for Terraform to report.
 */
export function rewriteTemplate(s: string): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if ((c === "$" || c === "%") && s[i + 1] === c && s[i + 2] === "{") {
      out += s.slice(i, i + 3); // an escape: literal text
      i += 3;
      continue;
    }
    if ((c === "$" || c === "%") && s[i + 1] === "{") {
      const end = closingBrace(s, i + 2);
      if (end < 0) return out + s.slice(i); // unclosed: Terraform reports it
      out += `${c}{${rewriteExpression(s.slice(i + 2, end))}}`;
      i = end + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** Index of the `}` closing an expression that starts at `from`, skipping nested braces and quoted strings. */
function closingBrace(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      // A quoted string inside an expression may itself hold templates; skip to its closing quote.
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === "\\") i++;
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Replaces every traversal (e.g. `aws_s3_bucket.X.arn`, `var.y`, `data.z.w[0].v`) by an unknown of any type. */
function rewriteExpression(expr: string): string {
  let out = "";
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"') {
      // A string literal inside the expression: its own templates are rewritten, the rest copied.
      let j = i + 1;
      for (; j < expr.length && expr[j] !== '"'; j++) if (expr[j] === "\\") j++;
      out += `"${rewriteTemplate(expr.slice(i + 1, j))}"`;
      i = j + 1;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(expr.slice(i));
    const prev = out[out.length - 1];
    if (ident && !(prev && /[A-Za-z0-9_.]/.test(prev))) {
      const word = ident[0];
      const after = i + word.length;
      // Any traversal (`root.attr`, `root[i]`) refers to something outside the decoder module: a resource
      // of the stack or of another, a data source, a variable, a local, an iterator or a for-symbol.
      if (!KEYWORDS.has(word) && (expr[after] === "." || expr[after] === "[")) {
        out += UNKNOWN_EXPRESSION;
        i = endOfTraversal(expr, after);
        continue;
      }
      out += word;
      i = after;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** End of `.attr`, `[index]` and `.*` steps after a traversal root. */
function endOfTraversal(expr: string, from: number): number {
  let i = from;
  for (;;) {
    if (expr[i] === ".") {
      const m = /^\.(\*|[A-Za-z_][A-Za-z0-9_-]*|[0-9]+)/.exec(expr.slice(i));
      if (!m) return i;
      i += m[0].length;
    } else if (expr[i] === "[") {
      let depth = 0;
      for (; i < expr.length; i++) {
        if (expr[i] === "[") depth++;
        else if (expr[i] === "]" && --depth === 0) break;
      }
      i++;
    } else {
      return i;
    }
  }
}

/** The terraform binary: TERRAFORM_BINARY, else `terraform` on the PATH. */
export function terraformBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.TERRAFORM_BINARY || "terraform";
}

/**
 * Decodes the stacks with the real terraform (`plan` of the decoder module, then `show -json`).
 * Throws TerraformDecodeError with Terraform's diagnostics, each naming the stack and block, when any
 * string fails to decode.
 */
export function decodeStacks(stacks: Readonly<Record<string, unknown>>, terraform = terraformBinary()): Record<string, DecodedStack> {
  const { module, names } = decoderModule(stacks);
  const work = mkdtempSync(path.join(os.tmpdir(), "tf-decode-"));
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0", TF_CLI_CONFIG_FILE: "/dev/null" };
  delete env.TF_DATA_DIR;
  delete env.TF_WORKSPACE;
  try {
    writeFileSync(path.join(work, "main.tf.json"), JSON.stringify(module));
    const run = (args: string[]) => {
      const r = spawnSync(terraform, args, { cwd: work, env, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
      if (r.error) throw new TerraformDecodeError(`cannot run ${terraform}: ${r.error.message} (install terraform 1.11 or set TERRAFORM_BINARY)`);
      return r;
    };
    const plan = run(["plan", "-input=false", "-refresh=false", "-lock=false", "-json", "-out=decode.plan"]);
    if (plan.status !== 0) throw new TerraformDecodeError(planDiagnostics(plan.stdout, names) || plan.stderr.trim() || plan.stdout.trim());
    const show = run(["show", "-json", "decode.plan"]);
    if (show.status !== 0) throw new TerraformDecodeError(show.stderr.trim());
    const shown = JSON.parse(show.stdout) as { resource_changes: { name: string; change: { after: { input: Json }; after_unknown: { input?: unknown } } }[] };
    const decoded: Record<string, Record<string, unknown>> = Object.fromEntries(Object.keys(stacks).map((s) => [s, {}]));
    for (const rc of shown.resource_changes) {
      const origin = names.get(rc.name);
      if (!origin) continue;
      decoded[origin.stack][origin.block] = withUnknowns(rc.change.after.input, rc.change.after_unknown.input);
    }
    return Object.fromEntries(Object.entries(decoded).map(([s, blocks]) => [s, { blocks }]));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Terraform's error diagnostics from `plan -json`, each with the stack and block it concerns. */
function planDiagnostics(stdout: string, names: ReadonlyMap<string, { stack: string; block: string }>): string {
  const lines: string[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const msg = JSON.parse(line) as { type?: string; diagnostic?: { severity: string; summary: string; detail?: string; address?: string; snippet?: { code?: string; context?: string } } };
    const d = msg.diagnostic;
    if (msg.type !== "diagnostic" || !d || d.severity !== "error") continue;
    const ctx = d.snippet?.context ?? d.address ?? "";
    const name = /terraform_data\.(b\d+)|resource "terraform_data" "(b\d+)"/.exec(ctx);
    const origin = name ? names.get(name[1] ?? name[2]) : undefined;
    const where = origin ? `${origin.stack}: ${origin.block}` : ctx;
    lines.push(`${where}: ${d.summary}${d.detail ? `: ${d.detail.replace(/\s+/g, " ").trim()}` : ""}`);
  }
  return lines.join("\n");
}

/** The decoded value with every unknown part replaced by UNKNOWN. */
function withUnknowns(after: Json, unknown: unknown): unknown {
  if (unknown === true) return UNKNOWN;
  if (Array.isArray(after)) return after.map((v, i) => withUnknowns(v, Array.isArray(unknown) ? unknown[i] : undefined));
  if (after !== null && typeof after === "object") {
    const u = (unknown ?? {}) as Record<string, unknown>;
    const keys = new Set([...Object.keys(after), ...Object.keys(u)]);
    return Object.fromEntries([...keys].map((k) => [k, withUnknowns((after as JsonObject)[k] ?? null, u[k])]));
  }
  return after;
}
