/**
 * `npm run validate`: synthesize, then check every synthesized stack against the REAL provider schemas
 * with `terraform validate`, offline.
 *
 * For each stack in the output directory, the providers it requires are looked up in local filesystem
 * mirrors. When all are there, the stack is copied to a temporary directory and `terraform init
 * -backend=false` runs with a temporary CLI config that installs from those mirrors only (the direct
 * installation method excludes every provider, so nothing is fetched from the network); then
 * `terraform validate -json`. A stack whose providers are not all mirrored still goes through Terraform
 * core's own decoder (scripts/terraform-decode.ts: every block as the input of the built-in
 * `terraform_data`, references unknown, `terraform plan`), which rejects any string that is not a valid
 * template, e.g. shell `${VAR##*-}` embedded unescaped. One line per stack says which check it got:
 * valid (provider schema), decoded (Terraform core only, naming the providers not checked), or invalid /
 * error with the diagnostics.
 *
 * Mirrors: TF_PLUGIN_MIRROR (one path, or several separated by the platform's path delimiter); else every
 * conventional location that exists (see MIRROR_CANDIDATES). Terraform: TERRAFORM_BINARY, else `terraform`
 * on the PATH.
 *
 * Usage: tsx scripts/validate.ts [--no-synth [--out <dir>]] [--config <file>]   (--config is passed to the synth;
 * --out reads an output directory other than cdktf.json's)
 * Exit status: 0 when no stack is invalid; 1 when one is, when init fails, when synthesis fails, or when
 * terraform is missing.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TerraformDecodeError, decodeStacks } from "./terraform-decode";

const ROOT = path.resolve(__dirname, "..");
const DEFAULT_HOST = "registry.terraform.io";

/** Conventional local provider mirror locations, in the order Terraform's docs list them, plus common image paths. */
function mirrorCandidates(env: NodeJS.ProcessEnv): string[] {
  const home = os.homedir();
  const xdgData = env.XDG_DATA_HOME || path.join(home, ".local", "share");
  const list = [
    path.join(home, ".terraform.d", "plugins"),
    env.APPDATA ? path.join(env.APPDATA, "terraform.d", "plugins") : "",
    path.join(xdgData, "terraform", "plugins"),
    path.join(home, ".local", "share", "terraform", "plugins"),
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "/opt/terraform/plugins",
    "/opt/terraform-plugins",
    "/opt/tf-plugins",
    env.TF_PLUGIN_CACHE_DIR ?? "",
  ];
  return [...new Set(list.filter((p) => p !== ""))];
}

/** The mirror directories to use: from TF_PLUGIN_MIRROR, else the conventional ones that exist. */
export function discoverMirrors(env: NodeJS.ProcessEnv = process.env): { mirrors: string[]; from: string } {
  const explicit = env.TF_PLUGIN_MIRROR?.trim();
  if (explicit) {
    return { mirrors: explicit.split(path.delimiter).filter((p) => p !== "").map((p) => path.resolve(p)), from: "TF_PLUGIN_MIRROR" };
  }
  return { mirrors: mirrorCandidates(env).filter(isDirectory), from: "conventional locations" };
}

/** A provider requirement of a stack, normalized to its full source address. */
export interface ProviderRequirement {
  readonly address: string; // e.g. registry.terraform.io/hashicorp/aws
  readonly version?: string; // constraint as written, e.g. 5.100.0
}

/** `aws` -> registry.terraform.io/hashicorp/aws; `ns/type` -> registry.terraform.io/ns/type; full addresses unchanged. */
export function normalizeSource(localName: string, source: string | undefined): string {
  const parts = (source ?? localName).toLowerCase().split("/");
  if (parts.length === 1) return `${DEFAULT_HOST}/hashicorp/${parts[0]}`;
  if (parts.length === 2) return `${DEFAULT_HOST}/${parts[0]}/${parts[1]}`;
  return parts.join("/");
}

/** The providers a synthesized stack requires (terraform.required_providers). */
export function requiredProviders(stackJson: unknown): ProviderRequirement[] {
  const terraform = (stackJson as { terraform?: { required_providers?: Record<string, { source?: string; version?: string } | string> } }).terraform;
  return Object.entries(terraform?.required_providers ?? {}).map(([name, req]) =>
    typeof req === "string" ? { address: normalizeSource(name, undefined), version: req } : { address: normalizeSource(name, req.source), version: req.version },
  );
}

/** Terraform's name of this machine's platform, e.g. linux_amd64. */
export function terraformPlatform(platform: string = process.platform, arch: string = process.arch): string {
  const osName = platform === "win32" ? "windows" : platform;
  const archName = ({ x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm" } as Record<string, string>)[arch] ?? arch;
  return `${osName}_${archName}`;
}

/** Versions of a provider a mirror holds for a platform, in either the unpacked or the packed layout. */
export function mirroredVersions(mirror: string, address: string, platform: string): string[] {
  const dir = path.join(mirror, ...address.split("/"));
  if (!isDirectory(dir)) return [];
  const type = address.split("/")[2];
  const versions = new Set<string>();
  for (const entry of readdirSync(dir)) {
    if (isDirectory(path.join(dir, entry, platform))) versions.add(entry); // unpacked: <version>/<platform>/
    const packed = new RegExp(`^terraform-provider-${escapeRegExp(type)}_(.+)_${escapeRegExp(platform)}\\.zip$`).exec(entry);
    if (packed) versions.add(packed[1]);
  }
  return [...versions].sort();
}

/**
 * Whether a version constraint is met by one of the versions. Exact versions (`1.2.3`, `= 1.2.3`) are
 * checked here; any other constraint is left to `terraform init` when some version is present.
 */
export function satisfies(constraint: string | undefined, versions: readonly string[]): boolean {
  if (versions.length === 0) return false;
  const exact = /^\s*=?\s*v?(\d+\.\d+\.\d+(?:-[\w.]+)?)\s*$/.exec(constraint ?? "");
  return exact ? versions.includes(exact[1]) : true;
}

/** A Terraform CLI config that installs these providers from these mirrors and never from the network. */
export function cliConfig(mirrors: readonly string[], addresses: readonly string[]): string {
  const list = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;
  const blocks = mirrors.map((m) => `  filesystem_mirror {\n    path    = ${JSON.stringify(m)}\n    include = ${list(addresses)}\n  }`);
  return `provider_installation {\n${blocks.join("\n")}\n  direct {\n    exclude = ${list(addresses)}\n  }\n}\n`;
}

/** The outcome for one stack. */
export type StackResult =
  | { readonly stack: string; readonly status: "valid"; readonly warnings: string[] }
  | { readonly stack: string; readonly status: "invalid"; readonly diagnostics: string[] }
  | { readonly stack: string; readonly status: "skipped"; readonly missing: string[] }
  | { readonly stack: string; readonly status: "decoded"; readonly missing: string[] }
  | { readonly stack: string; readonly status: "error"; readonly detail: string };

interface Diagnostic {
  severity: string;
  summary: string;
  detail?: string;
  address?: string;
  range?: { filename: string; start: { line: number } };
}

function formatDiagnostic(d: Diagnostic, lines: readonly string[]): string {
  const where = d.address ?? (d.range ? `${d.range.filename}:${d.range.start.line}${constructAt(lines, d.range.start.line)}` : "");
  const detail = d.detail ? `: ${d.detail.replace(/\s+/g, " ").trim()}` : "";
  return `${d.severity}${where ? ` at ${where}` : ""}: ${d.summary}${detail}`;
}

/** The construct path of the block enclosing a line of cdk.tf.json (cdktf writes it in each block's metadata). */
function constructAt(lines: readonly string[], line: number): string {
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const m = /^\s*"path": "([^"]+)",?$/.exec(lines[i]);
    if (m) return ` (${m[1]})`;
  }
  return "";
}

function validateStack(terraform: string, stack: string, stackDir: string, mirrors: readonly string[], platform: string): StackResult {
  const text = readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8");
  const json: unknown = JSON.parse(text);
  const lines = text.split("\n");
  const requirements = requiredProviders(json);
  const missing = requirements
    .filter((r) => !mirrors.some((m) => satisfies(r.version, mirroredVersions(m, r.address, platform))))
    .map((r) => `${r.address}${r.version ? ` ${r.version}` : ""}`);
  if (missing.length > 0) return decodeOnly(terraform, stack, json, missing);

  const work = mkdtempSync(path.join(os.tmpdir(), `validate-${stack}-`));
  try {
    // A copy: init's .terraform/ and lock file stay out of the synthesized output.
    cpSync(stackDir, work, { recursive: true, filter: (src) => !src.split(path.sep).includes(".terraform") && !src.endsWith(".terraform.lock.hcl") });
    const configFile = path.join(work, ".terraformrc-validate");
    writeFileSync(configFile, cliConfig(mirrors, requirements.map((r) => r.address)));
    const env: NodeJS.ProcessEnv = { ...process.env, TF_CLI_CONFIG_FILE: configFile, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
    delete env.TF_DATA_DIR;
    const init = spawnSync(terraform, ["init", "-backend=false", "-input=false", "-no-color"], { cwd: work, env, encoding: "utf8" });
    if (init.status !== 0) {
      return { stack, status: "error", detail: `terraform init failed:\n${(init.stderr || init.stdout).trim()}` };
    }
    const run = spawnSync(terraform, ["validate", "-json", "-no-color"], { cwd: work, env, encoding: "utf8" });
    let parsed: { valid: boolean; diagnostics?: Diagnostic[] };
    try {
      parsed = JSON.parse(run.stdout) as typeof parsed;
    } catch {
      return { stack, status: "error", detail: `terraform validate gave no JSON:\n${(run.stderr || run.stdout).trim()}` };
    }
    const diagnostics = parsed.diagnostics ?? [];
    if (parsed.valid) return { stack, status: "valid", warnings: diagnostics.map((x) => formatDiagnostic(x, lines)) };
    return { stack, status: "invalid", diagnostics: diagnostics.map((x) => formatDiagnostic(x, lines)) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Terraform core's decoder alone, for a stack whose providers are not at hand. */
function decodeOnly(terraform: string, stack: string, json: unknown, missing: string[]): StackResult {
  try {
    decodeStacks({ [stack]: json }, terraform);
    return { stack, status: "decoded", missing };
  } catch (e) {
    if (e instanceof TerraformDecodeError) return { stack, status: "invalid", diagnostics: e.message.split("\n") };
    throw e;
  }
}

/** `terraform` from TERRAFORM_BINARY or the PATH, or undefined. */
function findTerraform(env: NodeJS.ProcessEnv): string | undefined {
  if (env.TERRAFORM_BINARY) return existsSync(env.TERRAFORM_BINARY) ? env.TERRAFORM_BINARY : undefined;
  const names = process.platform === "win32" ? ["terraform.exe"] : ["terraform"];
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    for (const n of names) {
      const candidate = path.join(dir, n);
      if (dir && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    }
  }
  return undefined;
}

function outputDir(): string {
  try {
    const cdktf = JSON.parse(readFileSync(path.join(ROOT, "cdktf.json"), "utf8")) as { output?: string };
    return path.resolve(ROOT, cdktf.output ?? "cdktf.out");
  } catch {
    return path.resolve(ROOT, "cdktf.out");
  }
}

function synth(args: readonly string[]): boolean {
  const tsx = require.resolve("tsx/cli");
  const run = spawnSync(process.execPath, [tsx, "main.ts", ...args], { cwd: ROOT, stdio: "inherit" });
  return run.status === 0;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The arguments passed on to the synth: all but --no-synth and `--out <dir>` (when given). */
export function synthArguments(argv: readonly string[]): string[] {
  const outAt = argv.indexOf("--out");
  return argv.filter((a, i) => a !== "--no-synth" && (outAt < 0 || (i !== outAt && i !== outAt + 1)));
}

function main(argv: readonly string[]): number {
  const noSynth = argv.includes("--no-synth");
  const outAt = argv.indexOf("--out");
  const outArg = outAt >= 0 ? argv[outAt + 1] : undefined;
  if (outAt >= 0 && (!outArg || !noSynth)) {
    console.error("validate: --out <dir> reads an existing output directory and needs --no-synth");
    return 1;
  }
  const synthArgs = synthArguments(argv);

  const terraform = findTerraform(process.env);
  if (!terraform) {
    console.error("validate: terraform not found (put it on the PATH or set TERRAFORM_BINARY); cannot validate.");
    return 1;
  }
  if (!noSynth && !synth(synthArgs)) {
    console.error("validate: synthesis failed; nothing validated.");
    return 1;
  }
  const out = outArg ? path.resolve(outArg) : outputDir();
  const manifestPath = path.join(out, "manifest.json");
  if (!existsSync(manifestPath)) {
    console.error(`validate: no ${path.relative(ROOT, manifestPath)}; synthesize first (npm run synth).`);
    return 1;
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { stacks: Record<string, { workingDirectory: string }> };
  const { mirrors, from } = discoverMirrors(process.env);
  const platform = terraformPlatform();
  console.log(`validate: ${terraform}; provider mirrors (${from}): ${mirrors.length ? mirrors.join(", ") : "none found (set TF_PLUGIN_MIRROR)"}`);

  let failed = 0;
  for (const [stack, info] of Object.entries(manifest.stacks).sort(([a], [b]) => a.localeCompare(b))) {
    const result = validateStack(terraform, stack, path.join(out, info.workingDirectory), mirrors, platform);
    switch (result.status) {
      case "valid":
        console.log(`${stack}: valid (terraform validate against the provider schemas)${result.warnings.length ? `, ${result.warnings.length} warning(s)` : ""}`);
        result.warnings.forEach((w) => console.log(`    ${w}`));
        break;
      case "invalid":
        failed++;
        console.log(`${stack}: invalid`);
        result.diagnostics.forEach((d) => console.log(`    ${d}`));
        break;
      case "decoded":
        console.log(`${stack}: decoded (terraform core: every string and expression parses; provider schema not checked, not in a local mirror: ${result.missing.join(", ")})`);
        break;
      case "skipped":
        console.log(`${stack}: skipped (providers not in a local mirror: ${result.missing.join(", ")})`);
        break;
      case "error":
        failed++;
        console.log(`${stack}: error\n    ${result.detail.replace(/\n/g, "\n    ")}`);
        break;
    }
  }
  return failed > 0 ? 1 : 0;
}

export { main };

if (require.main === module) process.exit(main(process.argv.slice(2)));
