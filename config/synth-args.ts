import { distance } from "./edit-distance";
import { CONFIG_ENV_VAR } from "./load";

/** A mistake on the command line: printed with the usage, without a stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Where `--all` / several `--config` write when `--out` is not given: one folder per deployment. */
export const MANY_OUTDIR = "cdktf.all";

/** What `npm run synth` accepts. */
export const SYNTH_USAGE = [
  "usage: npm run synth -- [--config <deployment.yaml>]",
  "       npm run synth -- --all <dir> [--all <dir>...] [--config <file>...] [--out <dir>]",
  "",
  "  --config <file>  the deployment to synthesize (YAML or JSON), e.g. --config examples/aws.yaml",
  `                   (or ${CONFIG_ENV_VAR}=<file>; with neither, the embedded demo deployment)`,
  "  --all <dir>      synthesize every deployment file in <dir> (.yaml, .yml, .json) in one process;",
  "                   with --all or several --config, each deployment goes to <out>/<file name>/",
  `  --out <dir>      where many deployments go (default ${MANY_OUTDIR}/)`,
  "  --help           print this text",
  "",
  "npm needs `--` before the script's own arguments: npm run synth -- --config examples/aws.yaml",
].join("\n");

/** The parsed command line of the synth entry point. */
export type SynthArgs =
  | { readonly help: true }
  /** One deployment (the `--config` file, the environment's, or the embedded demo) into cdktf.out, as always. */
  | { readonly help: false; readonly many: false; readonly argv: readonly string[] }
  /** Many deployments in one process, each into `<out>/<file name without extension>/`. */
  | { readonly help: false; readonly many: true; readonly configs: readonly string[]; readonly dirs: readonly string[]; readonly out: string };

/**
 * Checks the entry point's command line: `--config <file>` (or `--config=<file>`), `--all <dir>`,
 * `--out <dir>` and `--help`, nothing else. One `--config` (or none) is one deployment into cdktf.out;
 * `--all` or a second `--config` is many deployments, each into a folder of its own. Anything else is an error with the usage, never a silent synth of the demo: a typo (`--conifg`),
 * a short flag (`-c`), a bare path, or the arguments npm kept for itself because `--` was forgotten
 * (`npm run synth --config f` hands the script `f` and sets npm_config_config).
 */
export function parseSynthArgs(argv: readonly string[], env: NodeJS.ProcessEnv): SynthArgs {
  if (argv.includes("--help") || argv.includes("-h")) return { help: true };
  const npmKept = npmKeptFlags(env);
  if (npmKept.length > 0) {
    const file = argv.find((a) => !a.startsWith("-")) ?? npmKept.find((k) => k.value !== "true")?.value ?? "<file>";
    throw new UsageError(
      `npm took ${npmKept.map((k) => `'${k.flag}'`).join(", ")} for itself: put \`--\` before the script's arguments, e.g. npm run synth -- --config ${file}`,
    );
  }
  const configs: string[] = [];
  const dirs: string[] = [];
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--(config|all|out)(?:=(.*))?$/.exec(a);
    if (!m) throw new UsageError(`unknown argument '${a}'${suggestion(a)}`);
    const [, flag, inline] = m;
    const value = inline ?? argv[i + 1];
    if (inline === undefined) i++;
    if (value === undefined || value === "" || (inline === undefined && value.startsWith("-"))) throw new UsageError(`--${flag} needs ${EXAMPLE[flag]}`);
    if (flag === "config") configs.push(value);
    else if (flag === "all") dirs.push(value);
    else if (out !== undefined) throw new UsageError("--out is given twice; give one output directory");
    else out = value;
  }
  if (dirs.length === 0 && configs.length <= 1) {
    if (out !== undefined) throw new UsageError("--out is for many deployments (--all <dir>, or --config given several times); one deployment goes to cdktf.out (or CDKTF_OUTDIR)");
    return { help: false, many: false, argv };
  }
  return { help: false, many: true, configs, dirs, out: out ?? MANY_OUTDIR };
}

const EXAMPLE: Record<string, string> = {
  config: "a file path, e.g. --config examples/aws.yaml",
  all: "a directory of deployment files, e.g. --all deployments",
  out: "a directory, e.g. --out cdktf.all",
};

function suggestion(arg: string): string {
  if (!arg.startsWith("-")) return `; did you mean --config ${arg}?`;
  if (arg === "-c") return "; did you mean --config <file>?";
  const name = arg.replace(/=.*$/, "");
  for (const known of ["--config", "--all", "--out", "--help"]) if (distance(name, known) <= 2) return `; did you mean ${known}?`;
  return "";
}

/** Flags npm consumed as its own config because no `--` preceded them (npm sets npm_config_<name> for each). */
function npmKeptFlags(env: NodeJS.ProcessEnv): { flag: string; value: string }[] {
  if (!env.npm_lifecycle_event) return []; // not started by `npm run`
  const kept: { flag: string; value: string }[] = [];
  if (env.npm_config_config !== undefined) kept.push({ flag: "--config", value: env.npm_config_config });
  // npm reads `-c <x>` as its own `--call <x>`.
  if (env.npm_config_call !== undefined && env.npm_config_call !== "") kept.push({ flag: "-c", value: env.npm_config_call });
  for (const [k, v] of Object.entries(env)) {
    const m = /^npm_config_(.+)$/.exec(k);
    if (m && m[1] !== "config" && distance(`--${m[1]}`, "--config") <= 2 && v !== undefined) kept.push({ flag: `--${m[1]}`, value: v });
  }
  return kept;
}
