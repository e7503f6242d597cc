import { Aspects, TerraformElement, TerraformRemoteState, type IAspect, type TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";

/**
 * Literal text inside Terraform.
 *
 * In Terraform's JSON syntax every string value is a template: `${ ... }` is an interpolation and
 * `%{ ... }` a directive, so shell such as `${HOSTNAME##*-}` or `curl -w '%{http_code}'` fails to decode
 * (`Unclosed template interpolation sequence`, `Invalid reference`, `Invalid template control keyword`).
 * The escapes are `$${` and `%%{`; Terraform turns them back into `${` and `%{`
 * (hashicorp/hcl, hclsyntax/spec.md "Template Literals"; Terraform docs "JSON Configuration Syntax",
 * "Expression Mapping": string values are interpreted as string templates).
 *
 * cdktf leaves plain strings as they are (its own escaping only applies inside `Fn` expressions, and never
 * to `%{`), so the project escapes here, once, for every element of every stack (`TerraformTextEscaping`).
 * cdktf tokens (`${TfToken[...]}`) are references, not text: they are left for cdktf to resolve.
 */

/** cdktf's encoding of a string token (cdktf lib/tokens/private/encoding.js: BEGIN_STRING_TOKEN_MARKER, END_TOKEN_MARKER). */
const TOKEN = /\$\{TfToken\[[^\]]*\]\}/g;

/**
 * Escapes Terraform's template sequences in literal text so that Terraform decodes it back to exactly
 * `text`. cdktf tokens inside the text stay references.
 *
 * - Text without references: `${` -> `$${` and `%{` -> `%%{` (Terraform's own escapes).
 * - Text with references: `%{` -> `%%{`, but `${` -> `${"$"}{` (an interpolation of the one-character
 *   string "$"). cdktf reads any `${` in such a string as the start of a raw Terraform expression and
 *   then writes the references after it without their braces (cdktf lib/tokens/private/encoding.js,
 *   ESCAPE_TOKEN_BEGIN_REGEX; string-fragments.js, mapTokens: suppressBraces), so a `$${` left open
 *   before a reference would turn the reference into text. `${"$"}` opens and closes, so cdktf's count
 *   stays balanced. Dollars right before `{` or before a reference are written the same way.
 */
export function terraformLiteral(text: string): string {
  const tokens = [...text.matchAll(TOKEN)];
  if (tokens.length === 0) return text.replace(/\$\{/g, "$$${").replace(/%\{/g, "%%{");
  let out = "";
  let last = 0;
  for (const m of tokens) {
    out += escapeBeside(text.slice(last, m.index), true) + m[0];
    last = m.index + m[0].length;
  }
  return out + escapeBeside(text.slice(last), false);
}

const DOLLAR = '${"$"}';

/**
 * A literal part of a text that holds references. Every `$` of a run that reaches a `{`, or the
 * reference that follows, is written as `${"$"}`: a plain `$` there would form `$${` with what follows,
 * which Terraform reads as an escape.
 */
function escapeBeside(literal: string, beforeReference: boolean): string {
  const dollars = (run: string) => DOLLAR.repeat(run.length);
  let escaped = literal.replace(/\$+(?=\{)/g, dollars).replace(/%\{/g, "%%{");
  if (beforeReference) escaped = escaped.replace(/\$+$/, dollars);
  return escaped;
}

/** `terraformLiteral` on every string inside a JSON-like value (objects and arrays walked; other values as they are). */
export function escapeTerraformTemplates<T>(value: T): T {
  if (typeof value === "string") return terraformLiteral(value) as T;
  if (Array.isArray(value)) return value.map((v) => escapeTerraformTemplates(v)) as T;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeTerraformTemplates(v)])) as T;
  }
  return value; // tokens as objects (IResolvable), numbers, booleans, null
}

const ESCAPED = new WeakSet<TerraformElement>();

/**
 * The one Terraform expression cdktf writes as a plain string: the `workspace` of every remote-state data
 * source (cdktf lib/backends/*-backend.js, getRemoteStateDataSource: `workspace: "${terraform.workspace}"`).
 * Escaped, it would name a workspace called `${terraform.workspace}` and every cross-stack read would fail.
 */
export const REMOTE_STATE_WORKSPACE = "${terraform.workspace}";

/** A remote-state data source's body with its `workspace` expression kept as cdktf wrote it. */
function keepWorkspaceExpression(original: Record<string, unknown>, escaped: Record<string, unknown>): Record<string, unknown> {
  const sources = (o: Record<string, unknown>) => ((o.data as Record<string, unknown> | undefined)?.terraform_remote_state ?? {}) as Record<string, Record<string, unknown>>;
  for (const [id, body] of Object.entries(sources(original))) {
    if (body.workspace === REMOTE_STATE_WORKSPACE && sources(escaped)[id]) sources(escaped)[id].workspace = REMOTE_STATE_WORKSPACE;
  }
  return escaped;
}

/**
 * The one place literal text is escaped for Terraform: every element of the stack (resources, data
 * sources, providers, outputs, variables, locals, backends) has its string values passed through
 * `terraformLiteral` before cdktf resolves references. Idempotent (cdktf may invoke aspects more than once).
 */
export class TerraformTextEscaping implements IAspect {
  /** Escapes every element of `stack`, including those added later in the construction. */
  static applyTo(stack: TerraformStack): void {
    Aspects.of(stack).add(new TerraformTextEscaping());
  }

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformElement) || ESCAPED.has(node)) return;
    ESCAPED.add(node);
    const toTerraform = node.toTerraform.bind(node);
    const toHclTerraform = node.toHclTerraform.bind(node);
    if (node instanceof TerraformRemoteState) {
      node.toTerraform = () => {
        const original = toTerraform() as Record<string, unknown>;
        return keepWorkspaceExpression(original, escapeTerraformTemplates(original));
      };
      node.toHclTerraform = () => {
        const original = toHclTerraform() as Record<string, unknown>;
        return keepWorkspaceExpression(original, escapeTerraformTemplates(original));
      };
      return;
    }
    node.toTerraform = () => escapeTerraformTemplates(toTerraform());
    node.toHclTerraform = () => escapeTerraformTemplates(toHclTerraform());
  }
}
