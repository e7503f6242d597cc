import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { DEFAULT_DEPLOYMENT } from "./default";
import { imagesLockCommand, imagesLockPath, readImagesLock } from "./images-lock";
import { crossFieldIssues, Deployment, DeploymentSchema } from "./schema";

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
  let parsed: unknown;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [code === "ENOENT" ? `no such file (resolved to ${path.resolve(file)})` : `cannot read the file (${code ?? String(e)})`]);
  }
  try {
    // uniqueKeys: a key given twice is a mistake, not a silent override.
    parsed = parseYaml(text, { uniqueKeys: true, prettyErrors: true });
  } catch (e) {
    const msg = e instanceof YAMLParseError ? e.message.split("\n")[0] : String(e);
    throw new ConfigError(file, [`not valid YAML/JSON: ${msg}`]);
  }
  const withMetadata = withSamlMetadataFile(parsed, file);
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

/** Validates raw input against the schema; every problem is collected and reported at once. */
export function validateDeployment(raw: unknown, source: string): Deployment {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(source, ["the file must hold one mapping (name, cloud, region, ...), not a list or a scalar"]);
  }
  const result = DeploymentSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => describeIssue(issue, raw));
  // zod skips refinements when the shape is wrong; run the cross-field checks anyway so one pass reports all.
  for (const issue of crossFieldIssues(raw)) {
    const value = valueAt(raw, issue.path);
    problems.push(`${formatPath(issue.path)}: ${issue.message} (${value === undefined ? "the default" : describeValue(value)})`);
  }
  throw new ConfigError(source, [...new Set(problems)]);
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string[] {
  const where = formatPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const allowed = allowedKeys(issue.path);
    return issue.keys.map(
      (k) => `${formatPath([...issue.path, k])}: unknown field${allowed ? `; allowed here: ${allowed.join(", ")}` : ""}`,
    );
  }
  const value = valueAt(raw, issue.path);
  const got = describeValue(value);
  let message = issue.message;
  if (issue.code === "invalid_type" && value === undefined) message = `required (${issue.expected})`;
  else if (issue.code === "invalid_type") message = `must be ${issue.expected}`;
  else if (issue.code === "invalid_union" && "discriminator" in issue && issue.discriminator) {
    const options = [...issue.message.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    message = options.length ? `must be one of ${options.join(", ")}` : issue.message;
  }
  return [`${where || "(top level)"}: ${message} (${got})`];
}

function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  const text = JSON.stringify(value);
  // A long value (an IdP's metadata XML) is shown by its start only.
  return `got ${text.length > 120 ? `${text.slice(0, 80)}… (${text.length} characters)` : text}`;
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
function allowedKeys(p: readonly PropertyKey[]): string[] | undefined {
  let schema: z.core.$ZodType | undefined = DeploymentSchema;
  for (const k of p) {
    schema = unwrap(schema);
    if (!schema) return undefined;
    const def = schema._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType };
    if (def.type === "object" && def.shape) schema = def.shape[String(k)];
    else if (def.type === "array" && def.element) schema = def.element;
    else return undefined;
  }
  schema = unwrap(schema);
  const def = schema?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === "object" && def.shape ? Object.keys(def.shape) : undefined;
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
