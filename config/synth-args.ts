import { distance } from "./edit-distance";
import { CONFIG_ENV_VAR } from "./load";

/** A mistake on the command line: printed with the usage, without a stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** What `npm run synth` accepts. */
export const SYNTH_USAGE = [
  "usage: npm run synth -- [--config <deployment.yaml>]",
  "",
  "  --config <file>  the deployment to synthesize (YAML or JSON), e.g. --config examples/aws.yaml",
  `                   (or ${CONFIG_ENV_VAR}=<file>; with neither, the embedded demo deployment)`,
  "  --help           print this text",
  "",
  "npm needs `--` before the script's own arguments: npm run synth -- --config examples/aws.yaml",
].join("\n");

/** The parsed command line of the synth entry point. */
export type SynthArgs = { readonly help: true } | { readonly help: false; readonly argv: readonly string[] };

/**
 * Checks the entry point's command line: `--config <file>` (or `--config=<file>`) and `--help`, nothing
 * else. Anything else is an error with the usage, never a silent synth of the demo: a typo (`--conifg`),
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
  let configGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--config") {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("-")) throw new UsageError("--config needs a file path, e.g. --config examples/aws.yaml");
      if (configGiven) throw new UsageError("--config is given twice; give one deployment file");
      configGiven = true;
      i++;
    } else if (a.startsWith("--config=")) {
      if (a === "--config=") throw new UsageError("--config needs a file path, e.g. --config examples/aws.yaml");
      if (configGiven) throw new UsageError("--config is given twice; give one deployment file");
      configGiven = true;
    } else {
      throw new UsageError(`unknown argument '${a}'${suggestion(a)}`);
    }
  }
  return { help: false, argv };
}

function suggestion(arg: string): string {
  if (!arg.startsWith("-")) return `; did you mean --config ${arg}?`;
  if (arg === "-c") return "; did you mean --config <file>?";
  const name = arg.replace(/=.*$/, "");
  for (const known of ["--config", "--help"]) if (distance(name, known) <= 2) return `; did you mean ${known}?`;
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
