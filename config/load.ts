import { readFileSync } from "node:fs";
import * as path from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, visit, type Document } from "yaml";
import { z } from "zod";
import { DEFAULT_DEPLOYMENT } from "./default";
import { imagesLockCommand, imagesLockPath, readImagesLock } from "./images-lock";
import { byCloud, crossFieldIssues, Deployment, DeploymentSchema } from "./schema";
import { distance } from "./edit-distance";

/** Environment variable naming the deployment file when `--config` is not given. */
export const CONFIG_ENV_VAR = "DEPLOYMENT_CONFIG";

/** A user's mistake in the deployment config: the message lists every problem; no stack trace is due. */
export class ConfigError extends Error {
  constructor(readonly source: string, readonly problems: readonly string[]) {
    super(`${source}: invalid deployment config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Where the deployment comes from: a file path, or the embedded default. */
export function configPathFrom(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const i = argv.findIndex((a) => a === "--config" || a.startsWith("--config="));
  if (i >= 0) {
    const value = argv[i].includes("=") ? argv[i].slice("--config=".length) : argv[i + 1];
    if (!value || value.startsWith("--")) throw new ConfigError("--config", ["--config needs a file path, e.g. --config examples/aws.yaml"]);
    return value;
  }
  const fromEnv = env[CONFIG_ENV_VAR];
  return fromEnv && fromEnv.trim() !== "" ? fromEnv : undefined;
}

/** Reads, parses and validates the deployment named by argv/env, or the embedded default. */
export function loadDeployment(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Deployment {
  const file = configPathFrom(argv, env);
  if (file === undefined) return validateDeployment(DEFAULT_DEPLOYMENT, "embedded default deployment");
  return validateDeployment(readConfigFile(file), file);
}

/**
 * `saml.idpMetadataFile` read into `saml.idpMetadata` (the path is relative to the config file), so the
 * schema checks the metadata itself and the result stands alone (a copy written elsewhere still holds
 * the metadata). A missing or unreadable file is reported under its own field.
 */
export function withSamlMetadataFile(raw: unknown, configFile: string): unknown {
  const saml = (raw as { saml?: unknown } | null)?.saml;
  if (saml === null || typeof saml !== "object" || Array.isArray(saml)) return raw;
  const { idpMetadataFile, idpMetadata } = saml as { idpMetadataFile?: unknown; idpMetadata?: unknown };
  if (typeof idpMetadataFile !== "string") return raw;
  if (idpMetadata !== undefined) throw new ConfigError(configFile, ["saml: give either idpMetadataFile or idpMetadata, not both"]);
  const file = path.resolve(path.dirname(configFile), idpMetadataFile);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(configFile, [`saml.idpMetadataFile: ${code === "ENOENT" ? "no such file" : `cannot read the file (${code ?? String(e)})`} (resolved to ${file}); download the IdP's metadata, e.g. curl -o idp-metadata.xml <idpMetadataUrl>`]);
  }
  const rest = Object.fromEntries(Object.entries(saml).filter(([k]) => k !== "idpMetadataFile"));
  return { ...(raw as object), saml: { ...rest, idpMetadata: text } };
}

/**
 * Parses a YAML or JSON deployment file (JSON is YAML, so one parser serves both), with the SAML metadata
 * file and (unless `imagesLock` is false: the lock command itself) the image lock read in.
 */
export function readConfigFile(file: string, options: { readonly imagesLock?: boolean } = {}): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [code === "ENOENT" ? `no such file (resolved to ${path.resolve(file)})` : `cannot read the file (${code ?? String(e)})`]);
  }
  const withMetadata = withSamlMetadataFile(parseConfigText(text, file), file);
  return options.imagesLock === false ? withMetadata : withImagesLock(withMetadata, file);
}

/**
 * The deployment's image lock (`images.lockFile`, or `<file>.images-lock.json` beside it) read into
 * `images.lock`, so synth pins what the lock holds by digest. A lock in the file itself is refused: only
 * `npm run images:lock` writes digests, from the registry's answer.
 */
export function withImagesLock(raw: unknown, configFile: string): unknown {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
  const images = (raw as { images?: unknown }).images;
  if (images !== undefined && (images === null || typeof images !== "object" || Array.isArray(images))) return raw;
  const settings = (images ?? {}) as { lockFile?: unknown; lock?: unknown };
  if (settings.lock !== undefined) {
    throw new ConfigError(configFile, [`images.lock: digests are read from the lock file only, which \`${imagesLockCommand(configFile)}\` writes from each registry's answer; remove images.lock from the deployment file`]);
  }
  if (settings.lockFile !== undefined && typeof settings.lockFile !== "string") return raw;
  const file = imagesLockPath(configFile, settings.lockFile as string | undefined);
  const { lock, problems } = readImagesLock(file);
  if (problems.length) throw new ConfigError(configFile, problems.map((p) => `images.lockFile (${file}): ${p}; write it again with \`${imagesLockCommand(configFile)}\``));
  if (!lock) {
    if (settings.lockFile !== undefined) throw new ConfigError(configFile, [`images.lockFile: no such file (resolved to ${file}); write it with \`${imagesLockCommand(configFile)}\``]);
    return raw;
  }
  return { ...(raw as object), images: { ...settings, lock } };
}

/**
 * Parses YAML or JSON text. A key given twice in one mapping is an error (a mistake, not a silent
 * override). The check is ours, with one set per mapping, so it is linear in the number of keys: the
 * yaml library's own `uniqueKeys` compares each key with every earlier one (quadratic: a 5 MB tags map
 * took minutes).
 */
export function parseConfigText(text: string, source: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: true, lineCounter: lines });
  const problems = doc.errors.map((e) => `not valid YAML/JSON: ${yamlErrorText(e.message)}`);
  if (problems.length === 0) problems.push(...duplicateKeys(doc, lines));
  if (problems.length > 0) throw new ConfigError(source, problems);
  return doc.toJS({ maxAliasCount: 100 });
}

/** yaml's message without its code excerpt: "<what> at line L, column C", ending in a full stop, not a colon. */
function yamlErrorText(message: string): string {
  return `${message.split("\n")[0].replace(/:\s*$/, "")}; fix the syntax there`;
}

function duplicateKeys(doc: Document, lines: LineCounter): string[] {
  const problems: string[] = [];
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        const at = isScalar(pair.key) && pair.key.range ? ` at line ${lines.linePos(pair.key.range[0]).line}` : "";
        problems.push(`key '${String(key)}' is given twice in one mapping${at}; keep one (a later value would silently replace the first)`);
      }
    },
  });
  return problems;
}


/** Validates raw input against the schema; every problem is collected and reported at once. */
export function validateDeployment(raw: unknown, source: string): Deployment {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(source, ["the file must hold one mapping (name, cloud, region, ...), not a list or a scalar"]);
  }
  const result = DeploymentSchema.safeParse(raw);
  if (result.success) return byCloud(result.data);
  // zod skips the schema-level refinement when the shape is wrong, and runs it when only that fails: its
  // issues are dropped here and the cross-field checks run once, on the raw input, so each is reported once.
  const crossField = new Set(crossFieldIssues(raw).map((i) => `${formatPath(i.path)}\0${i.message}`));
  const problems = result.error.issues
    .filter((issue) => !(issue.code === "custom" && crossField.has(`${formatPath(issue.path)}\0${issue.message}`)))
    .flatMap((issue) => describeIssue(issue, raw));
  for (const issue of crossFieldIssues(raw)) {
    const value = valueAt(raw, issue.path);
    problems.push(`${formatPath(issue.path)}: ${issue.message} (${value === undefined ? "missing" : describeValue(value)})`);
  }
  throw new ConfigError(source, [...new Set(problems)]);
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string[] {
  const where = formatPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const allowed = allowedKeys(issue.path, raw);
    return issue.keys.map((k) => {
      const near = allowed?.filter((a) => distance(a.toLowerCase(), k.toLowerCase()) <= 2).sort((a, b) => distance(a, k) - distance(b, k))[0];
      return `${formatPath([...issue.path, k])}: unknown field${near ? ` (did you mean '${near}'?)` : ""}${allowed ? `; allowed here: ${allowed.join(", ")}` : ""}`;
    });
  }
  if (issue.code === "invalid_key") {
    // A record key (a tag name) that breaks the key rule: name the key itself.
    const key = issue.path[issue.path.length - 1];
    return issue.issues.map((inner) => `${where}: tag key ${JSON.stringify(key)} ${inner.message.replace(/^tag keys are/, "is not valid; tag keys are")}`);
  }
  const value = valueAt(raw, issue.path);
  return [`${where || "(top level)"}: ${plainMessage(issue, value)} (${describeValue(value)})`];
}

/** zod's wording for its generic checks ("Too small: expected number to be >=30") as a rule a user can follow. */
function plainMessage(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return `required (${issue.expected})`;
      // A rule the schema wrote itself (config/rollout.ts) is kept; zod's default starts with "Invalid input".
      return /^Invalid input/.test(issue.message) ? `must be ${issue.expected === "int" ? "a whole number" : issue.expected}` : issue.message;
    case "invalid_union":
      if ("discriminator" in issue && issue.discriminator) {
        const options = [...issue.message.matchAll(/'([^']+)'/g)].map((m) => m[1]);
        return options.length ? `must be one of ${options.join(", ")}` : issue.message;
      }
      return issue.message;
    case "too_small":
    case "too_big": {
      // Messages the schema wrote itself are kept; zod's defaults start with "Too small"/"Too big".
      if (!/^Too (small|big)/.test(issue.message)) return issue.message;
      const bound = Number(issue.code === "too_small" ? issue.minimum : issue.maximum);
      const least = issue.code === "too_small";
      const exclusive = issue.inclusive === false;
      switch (issue.origin) {
        case "string":
          return `must be ${least ? "at least" : "at most"} ${bound} character${bound === 1 ? "" : "s"} long`;
        case "array":
          return least ? `list at least ${bound} entr${bound === 1 ? "y" : "ies"}` : `list at most ${bound} entr${bound === 1 ? "y" : "ies"}`;
        default:
          return `must be ${least ? (exclusive ? "more than" : "at least") : exclusive ? "less than" : "at most"} ${bound}`;
      }
    }
    case "invalid_format":
      return /^Invalid/.test(issue.message) ? `must match ${"pattern" in issue && issue.pattern ? `the pattern ${issue.pattern}` : `the ${issue.format} format`}` : issue.message;
    case "invalid_value":
      return /^Invalid/.test(issue.message) ? `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` : issue.message;
    default:
      return issue.message;
  }
}

function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  const text = JSON.stringify(value);
  if (text.length <= 120) return `got ${text}`;
  // A huge value (a pasted file, a long list) is named by its size, not echoed.
  if (typeof value === "string") return `got a string of ${value.length} characters`;
  if (Array.isArray(value)) return `got a list of ${value.length} entries`;
  if (value !== null && typeof value === "object") return `got a mapping of ${Object.keys(value).length} keys`;
  return `got a value of ${text.length} characters`;
}

function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), "");
}

function valueAt(raw: unknown, p: readonly PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const k of p) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** The field names the schema accepts at an object path, for "unknown field" messages. */
function allowedKeys(path: readonly PropertyKey[], raw: unknown): string[] | undefined {
  let schema: z.core.$ZodType | undefined = DeploymentSchema;
  for (let i = 0; i < path.length; i++) {
    const k = path[i];
    schema = unwrap(schema);
    if (!schema) return undefined;
    schema = variantAt(schema, raw, path.slice(0, i));
    const def = schema._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType };
    if (def.type === "object" && def.shape) schema = def.shape[String(k)];
    else if (def.type === "array" && def.element) schema = def.element;
    else return undefined;
  }
  schema = unwrap(schema);
  if (!schema) return undefined;
  schema = variantAt(schema, raw, path);
  const def = schema._zod.def as { type: string; shape?: Record<string, unknown> };
  return def.type === "object" && def.shape ? Object.keys(def.shape) : undefined;
}

/** For a discriminated union (state, domain.certificate), the variant the input's discriminator picks. */
function variantAt(schema: z.core.$ZodType, raw: unknown, path: readonly PropertyKey[]): z.core.$ZodType {
  const def = schema._zod.def as { type: string; discriminator?: string; options?: z.core.$ZodType[] };
  if (def.type !== "union" || !def.discriminator || !def.options) return schema;
  const tag = (valueAt(raw, path) as Record<string, unknown> | undefined)?.[def.discriminator];
  return (
    def.options.find((o) => {
      const shape = (o._zod.def as { shape?: Record<string, z.core.$ZodType> }).shape;
      const lit = shape?.[def.discriminator as string]?._zod.def as { values?: unknown[] } | undefined;
      return lit?.values?.includes(tag);
    }) ?? schema
  );
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let s = schema;
  for (let i = 0; s && i < 10; i++) {
    const def = s._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType && ["optional", "default", "nullable", "prefault", "readonly"].includes(def.type)) s = def.innerType;
    else if (def.type === "pipe" && def.in) s = def.in;
    else break;
  }
  return s;
}
