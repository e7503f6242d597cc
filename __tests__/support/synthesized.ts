import { UNKNOWN } from "../../scripts/terraform-decode";
import { decodedStack, synthesizedStacks } from "./deployments";

/**
 * Reading what a shipped deployment synthesized: each block as the real terraform decoded it (literal
 * text as it reaches the provider) and, for references (`${vault_mount.X.path}`), the raw synthesized
 * JSON they are resolved in.
 */

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** A JSON object. */
export type JsonObject = { [k: string]: Json };

/** The stack roles of a deployment. */
export type StackRole = "cloud" | "vault" | "vault-config" | "platform";

/** One resource of a stack: its type, logical name, decoded body and raw body. */
export interface Resource {
  readonly type: string;
  readonly name: string;
  readonly body: JsonObject;
  readonly raw: JsonObject;
}

function rawStack(key: string, role: StackRole): JsonObject {
  const stacks = synthesizedStacks(key);
  const id = Object.keys(stacks).find((s) => (role === "cloud" ? /-(aws|azure|gcp)$/.test(s) : s.endsWith(`-${role}`)));
  if (!id) throw new Error(`no ${role} stack synthesized for ${key}`);
  return stacks[id] as JsonObject;
}

/** Every resource of one type in a stack of a shipped deployment. */
export function resources(key: string, role: StackRole, type: string): Resource[] {
  const decoded = decodedStack(key, role).blocks;
  const raw = (rawStack(key, role).resource as JsonObject | undefined)?.[type] as JsonObject | undefined;
  return Object.entries(decoded)
    .filter(([block]) => block.startsWith(`resource.${type}.`))
    .map(([block, body]) => {
      const name = block.slice(`resource.${type}.`.length);
      return { type, name, body: body as JsonObject, raw: (raw?.[name] ?? {}) as JsonObject };
    });
}

/**
 * The literal a same-stack reference points at: `${vault_mount.X.path}` resolves to X's decoded `path`,
 * `${kubernetes_config_map_v1.X.metadata[0].name}` to its metadata's name. Throws when the reference is
 * not a plain traversal of one resource or its target is not a literal.
 */
export function resolveReference(key: string, role: StackRole, expression: Json): Json {
  const m = typeof expression === "string" ? /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)((?:\.[a-z0-9_]+|\[\d+\])+)\}$/.exec(expression) : null;
  if (!m) throw new Error(`not a plain reference: ${JSON.stringify(expression)}`);
  const target = resources(key, role, m[1]).find((r) => r.name === m[2]);
  let value: Json | undefined = target?.body;
  for (const step of m[3].match(/\.[a-z0-9_]+|\[\d+\]/g) ?? []) {
    if (value === undefined || value === null) break;
    if (step.startsWith("[")) value = Array.isArray(value) ? value[Number(step.slice(1, -1))] : value;
    else value = (value as JsonObject)[step.slice(1)];
  }
  if (value === undefined || value === UNKNOWN) throw new Error(`${expression} does not resolve to a literal in ${key}/${role}`);
  return value;
}

/** A decoded value, or, when it depends on a reference, the literal that reference resolves to. */
export function literal(key: string, role: StackRole, decoded: Json | undefined, raw: Json | undefined): Json {
  if (decoded !== UNKNOWN && decoded !== undefined) return decoded;
  return resolveReference(key, role, raw ?? null);
}

/** A nested block as one object, whether terraform's JSON holds it as an object or a one-element list. */
export function one(value: Json | undefined): JsonObject {
  if (Array.isArray(value)) return (value[0] ?? {}) as JsonObject;
  return (value ?? {}) as JsonObject;
}

/** A nested block list as a list, whether terraform's JSON holds one object or a list. */
export function many(value: Json | undefined): JsonObject[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as JsonObject[];
}

/** A list of strings (empty when absent). */
export function strings(value: Json | undefined): string[] {
  return Array.isArray(value) ? (value as string[]) : [];
}
