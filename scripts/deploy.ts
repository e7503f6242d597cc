import { CONFIG_ENV_VAR, ConfigError, configPathFrom, loadDeployment } from "../config/load";
import type { Deployment } from "../config/schema";
import { type CommandRunner, captureCommand, interactiveCommand, NOT_FOUND } from "./command-runner";
import { destroyRefusal, formatResults, preflight } from "./preflight";
import { STACK_ROLES, type StackRole, orderedStacks, selectStacks, stackIdOf, UsageError } from "./stack-order";

/**
 * The workstation flow for ONE deployment: `npm run <action> -- --config <file> [--stack <roles>]`.
 *
 *   preflight  check terraform, cloud login and Vault env for the chosen stacks; change nothing
 *   synth      synthesize every stack (the policy rules fail it on findings)
 *   diff       preflight, synth, then `cdktf diff` per stack in dependency order
 *   deploy     preflight, then `cdktf deploy` of the chosen stacks (cdktf applies them in dependency order)
 *   destroy    refused unless the config sets dataProtection.allowDestroy; then preflight and
 *              `cdktf destroy` of the chosen stacks, dependants first
 *
 * Every check that can fail runs before the first command that can change anything.
 */

/** The actions this script runs. */
export const ACTIONS = ["preflight", "synth", "diff", "deploy", "destroy"] as const;
/** One action. */
export type Action = (typeof ACTIONS)[number];

/** A parsed command line. */
export interface Invocation {
  readonly action: Action;
  /** Deployment file (from --config or DEPLOYMENT_CONFIG); undefined means the embedded demo. */
  readonly configPath: string | undefined;
  /** Raw `--stack` values (roles or stack ids, comma-separated); empty means all stacks. */
  readonly stackSelection: readonly string[];
  /** Pass `--auto-approve` to cdktf (CI, or an operator who reviewed `diff`). */
  readonly autoApprove: boolean;
}

/** One external command the action runs. */
export interface PlannedCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const USAGE = `usage: npm run <${ACTIONS.join("|")}> -- --config <deployment.yaml> [--stack ${STACK_ROLES.join(",")}] [--auto-approve]`;

/** Parses argv (after the script name). Unknown flags are errors: a typo must not deploy something else. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Invocation {
  const [action, ...rest] = argv;
  if (!ACTIONS.includes(action as Action)) throw new UsageError(`unknown action '${action ?? ""}'\n${USAGE}`);
  const stackSelection: string[] = [];
  let autoApprove = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--config") i++;
    else if (a.startsWith("--config=")) continue;
    else if (a === "--stack" || a === "--stacks") {
      const v = rest[++i];
      if (!v || v.startsWith("--")) throw new UsageError(`${a} needs a value, e.g. --stack cloud,vault\n${USAGE}`);
      stackSelection.push(v);
    } else if (a.startsWith("--stack=") || a.startsWith("--stacks=")) stackSelection.push(a.slice(a.indexOf("=") + 1));
    else if (a === "--auto-approve") autoApprove = true;
    else throw new UsageError(`unknown argument '${a}'\n${USAGE}`);
  }
  let configPath: string | undefined;
  try {
    configPath = configPathFrom(rest, env);
  } catch (e) {
    throw new UsageError(e instanceof ConfigError ? e.problems.join("; ") : String(e));
  }
  if (configPath === undefined && (action === "deploy" || action === "destroy" || action === "diff")) {
    // The embedded demo holds documentation values (example.com, 203.0.113.0/24): never a real target.
    throw new UsageError(`${action} needs a deployment file: --config <file> (or ${CONFIG_ENV_VAR}=<file>)\n${USAGE}`);
  }
  return { action: action as Action, configPath, stackSelection, autoApprove };
}

/**
 * The cdktf commands an action runs, in order. Pure: the same invocation gives the same commands,
 * which is what the tests check. The deployment file reaches the cdktf app through DEPLOYMENT_CONFIG.
 */
export function plannedCommands(inv: Invocation, deployment: Deployment, roles: readonly StackRole[]): PlannedCommand[] {
  const env: Record<string, string> = { CHECKPOINT_DISABLE: "1", ...(inv.configPath ? { [CONFIG_ENV_VAR]: inv.configPath } : {}) };
  const cdktf = (...args: string[]): PlannedCommand => ({ command: "npx", args: ["cdktf", ...args], env });
  const ids = roles.map((r) => stackIdOf(deployment, r));
  // A subset is the operator's explicit choice (e.g. the stacks after the Vault bootstrap); the
  // stacks it depends on must already be deployed, which cdktf cannot know without this flag.
  const subset = roles.length < STACK_ROLES.length ? ["--ignore-missing-stack-dependencies"] : [];
  const approve = inv.autoApprove ? ["--auto-approve"] : [];
  switch (inv.action) {
    case "preflight":
      return [];
    case "synth":
      return [cdktf("synth")];
    case "diff":
      return [cdktf("synth"), ...ids.map((id) => cdktf("diff", id, "--skip-synth"))];
    case "deploy":
      return [cdktf("deploy", ...ids, ...subset, ...approve)];
    case "destroy":
      return [cdktf("destroy", ...[...ids].reverse(), ...subset, ...approve)];
  }
}

/**
 * Destroying a stack while a stack that reads its state still exists leaves that one broken:
 * a destroy selection must include every stack after its first one in dependency order.
 */
export function checkDestroySelection(roles: readonly StackRole[]): void {
  if (roles.length === 0) return;
  const first = STACK_ROLES.indexOf(roles[0]);
  const missing = STACK_ROLES.slice(first).filter((r) => !roles.includes(r));
  if (missing.length) {
    throw new UsageError(`destroying ${roles.join(", ")} would leave ${missing.join(", ")} pointing at nothing; destroy ${missing.join(", ")} too (they depend on it), e.g. --stack ${STACK_ROLES.slice(first).join(",")}`);
  }
}

/** What `main` writes to: the terminal in real use, a buffer in tests. */
export interface Io {
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
}

/** Runs one invocation. Returns the process exit code. `check` runs probes, `exec` runs cdktf. */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv, check: CommandRunner, exec: CommandRunner, io: Io): number {
  let inv: Invocation;
  let deployment: Deployment;
  let roles: StackRole[];
  try {
    inv = parseArgs(argv, env);
    deployment = loadDeployment(inv.configPath ? ["--config", inv.configPath] : [], {});
    roles = selectStacks(deployment, inv.stackSelection);
    if (inv.action === "destroy") {
      const refusal = destroyRefusal(deployment);
      if (refusal) {
        io.error(refusal);
        return 1;
      }
      checkDestroySelection(roles);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      io.error(e.message);
      return 2;
    }
    throw e;
  }
  io.log(`${inv.action}: deployment '${deployment.name}' (${deployment.cloud}, ${deployment.region}), stacks ${roles.map((r) => stackIdOf(deployment, r)).join(" -> ")}`);

  if (inv.action !== "synth") {
    const results = preflight({ deployment, stacks: roles, env, run: check, intent: inv.action === "deploy" || inv.action === "destroy" ? "apply" : "plan" });
    const report = formatResults(results);
    if (results.some((r) => !r.ok)) {
      io.error(report);
      return 1;
    }
    io.log(report);
  }

  for (const c of plannedCommands(inv, deployment, roles)) {
    io.log(`$ ${c.command} ${c.args.join(" ")}`);
    const r = exec(c.command, c.args, { env: { ...env, ...c.env } });
    if (r.code === NOT_FOUND) {
      io.error(`${c.command} is not on the PATH; run this from the project directory after \`npm ci\``);
      return 1;
    }
    if (r.code !== 0) {
      if (inv.action === "diff") io.error(`diff stopped: a stack whose dependencies have unapplied changes cannot be planned until they are deployed (${orderedStacks(deployment).map((s) => s.id).join(" -> ")})`);
      return r.code;
    }
  }
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), process.env, captureCommand, interactiveCommand, {
    log: (l) => console.log(l),
    error: (l) => console.error(l),
  });
}
