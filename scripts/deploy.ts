import { closeSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CONFIG_ENV_VAR, ConfigError, configPathFrom, loadDeployment } from "../config/load";
import type { Deployment } from "../config/schema";
import { type CommandRunner, captureCommand, interactiveCommand, NOT_FOUND } from "./command-runner";
import { destroyRefusal, formatResults, preflight } from "./preflight";
import { formatGuard, guardPlan, type PlanJson } from "./replacement-guard";
import { STACK_ROLES, type StackRole, orderedStacks, selectStacks, stackIdOf, UsageError } from "./stack-order";

/**
 * The workstation flow for ONE deployment: `npm run <action> -- --config <file> [--stack <roles>]`.
 *
 *   preflight  check terraform, cloud login and Vault env for the chosen stacks; change nothing
 *   synth      synthesize every stack (the policy rules fail it on findings)
 *   diff       preflight, synth, then `cdktf diff` per stack in dependency order
 *   deploy     preflight, synth, then per stack in dependency order: terraform init, plan to a saved plan,
 *              the replacement guard on that plan (scripts/replacement-guard.ts), approval, apply of exactly
 *              that plan; at the end the stacks' outputs (where the platform is, what to do next)
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
  /** Apply without asking (CI, or an operator who reviewed `diff`). */
  readonly autoApprove: boolean;
  /** Resource addresses the replacement guard lets through (`--allow-replace <address>`, repeatable). */
  readonly allowReplace: readonly string[];
}

/** One external command the action runs. */
export interface PlannedCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const USAGE = `usage: npm run <${ACTIONS.join("|")}> -- --config <deployment.yaml> [--stack ${STACK_ROLES.join(",")}] [--auto-approve] [--allow-replace <resource address>]...`;

/** Parses argv (after the script name). Unknown flags are errors: a typo must not deploy something else. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Invocation {
  const [action, ...rest] = argv;
  if (!ACTIONS.includes(action as Action)) throw new UsageError(`unknown action '${action ?? ""}'\n${USAGE}`);
  const stackSelection: string[] = [];
  const allowReplace: string[] = [];
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
    else if (a === "--allow-replace") {
      const v = rest[++i];
      if (!v || v.startsWith("--")) throw new UsageError(`--allow-replace needs a resource address, as the replacement guard names it, e.g. --allow-replace aws_eks_node_group.NodeGroupGeneral_5A2B1C3D\n${USAGE}`);
      allowReplace.push(v);
    } else if (a.startsWith("--allow-replace=")) allowReplace.push(a.slice("--allow-replace=".length));
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
  if (allowReplace.length && action !== "deploy") throw new UsageError(`--allow-replace applies to deploy only\n${USAGE}`);
  return { action: action as Action, configPath, stackSelection, autoApprove, allowReplace };
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
      // The stacks themselves are planned, guarded and applied one by one (deployStacks).
      return [cdktf("synth")];
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

/** Asks the operator a yes/no question; true only for "yes". */
export type Confirm = (question: string) => boolean;

/** Runs one invocation. Returns the process exit code. `check` runs probes and captures, `exec` runs cdktf and terraform. */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv, check: CommandRunner, exec: CommandRunner, io: Io, confirm: Confirm = askOnTerminal): number {
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
      if (inv.action === "diff" && c.args[1] === "diff") {
        const id = c.args[2];
        const before = ids(deployment).slice(0, ids(deployment).indexOf(id));
        io.error(
          `diff of ${id} failed (terraform's message is above).` +
            (before.length
              ? ` If it says an output or a state of ${before.join(", ")} is missing, those have changes not deployed yet: deploy them first (npm run deploy -- --config <file> --stack ${before.join(",")}), then diff ${id} again.`
              : ""),
        );
      }
      return r.code;
    }
  }
  if (inv.action === "deploy") return deployStacks(inv, deployment, roles, env, check, exec, io, confirm);
  return 0;
}

function ids(deployment: Deployment): string[] {
  return orderedStacks(deployment).map((s) => s.id);
}

/** Where cdktf writes the stacks (cdktf.json's `output`). */
const OUT_DIR = "cdktf.out";

/**
 * Plans, guards and applies the chosen stacks in dependency order, each from its own saved plan: what the
 * guard read and the operator approved is exactly what terraform applies. Stops at the first stack that
 * fails, is refused by the guard, or is not approved. Ends with the stacks' outputs.
 */
function deployStacks(inv: Invocation, deployment: Deployment, roles: readonly StackRole[], env: NodeJS.ProcessEnv, check: CommandRunner, exec: CommandRunner, io: Io, confirm: Confirm): number {
  const tfEnv = { ...env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
  const acknowledged = [...inv.allowReplace, ...(deployment.dataProtection.allowReplace ?? [])];
  // Saved plans hold the same values as state: a private directory, removed at the end.
  const plans = mkdtempSync(path.join(tmpdir(), `deploy-${deployment.name}-`));
  try {
    const again = secondPass(deployment, roles);
    for (const [i, role] of [...roles, ...again].entries()) {
      const id = stackIdOf(deployment, role);
      const cwd = path.resolve(OUT_DIR, "stacks", id);
      const repeat = i >= roles.length;
      const plan = path.join(plans, `${id}${repeat ? ".again" : ""}.tfplan`);
      io.log(repeat ? `\n== ${id}, again: ${SECOND_PASS_REASON}` : `\n== ${id}`);
      if (exec("terraform", ["init", "-input=false"], { cwd, env: tfEnv }).code !== 0) return fail(io, `${id}: terraform init failed (see above)`);
      const planned = exec("terraform", ["plan", "-input=false", "-detailed-exitcode", `-out=${plan}`], { cwd, env: tfEnv });
      if (planned.code === 0) {
        io.log(`${id}: no changes`);
        continue;
      }
      if (planned.code !== 2) return fail(io, `${id}: terraform plan failed (see above); nothing of ${id} or the stacks after it was applied`);
      const shown = check("terraform", ["show", "-json", plan], { cwd, env: tfEnv });
      let json: PlanJson;
      try {
        json = JSON.parse(shown.stdout) as PlanJson;
      } catch {
        return fail(io, `${id}: could not read the saved plan (terraform show -json: ${shown.stderr.trim() || `exit ${shown.code}`}); nothing was applied`);
      }
      const guard = guardPlan(id, json, acknowledged, stateLocation(deployment, id));
      const report = formatGuard(guard);
      if (report) (guard.ok ? io.log : io.error)(report);
      if (!guard.ok) return 1;
      if (!inv.autoApprove && !confirm(`Apply this plan to ${id}? Only "yes" applies: `)) return fail(io, `${id}: not applied (not approved); the stacks after it were not applied either`);
      if (exec("terraform", ["apply", "-input=false", plan], { cwd, env: tfEnv }).code !== 0) return fail(io, `${id}: terraform apply failed (see above); the stacks after it were not applied`);
    }
    io.log(deployOutputs(deployment, roles, check, tfEnv));
    return 0;
  } finally {
    rmSync(plans, { recursive: true, force: true });
  }
}

/** Why a stack is planned again after the platform stack (the one case today). */
const SECOND_PASS_REASON = "the VPC endpoint service on the entry point's NLB, which the platform stack's Service made";

/**
 * Stacks to plan and apply once more after the platform stack, because they read what it made: on AWS with
 * domain.privateLink the cloud stack's endpoint service is created on the NLB the service controller makes for
 * the entry point Service (constructs/aws/entry-point-endpoint-service.ts), so a first deploy creates it only on
 * a second pass of the cloud stack. That pass is planned, guarded and approved like any other.
 */
export function secondPass(deployment: Deployment, roles: readonly StackRole[]): StackRole[] {
  const needs = deployment.cloud === "aws" && deployment.domain.privateLink !== undefined;
  return needs && roles.includes("cloud") && roles.includes("platform") ? ["cloud"] : [];
}

function fail(io: Io, message: string): number {
  io.error(message);
  return 1;
}

/** Where a stack's state lives, for the guard's "no existing state" warning. */
function stateLocation(d: Deployment, id: string): string {
  switch (d.state.backend) {
    case "local":
      return `terraform.${id}.tfstate (local)`;
    case "s3":
      return `s3://${d.state.bucket}/${d.state.keyPrefix}/${id}.tfstate`;
    case "azurerm":
      return `${d.state.storageAccountName}/${d.state.containerName}/${d.state.keyPrefix}/${id}.tfstate`;
    case "gcs":
      return `gs://${d.state.bucket}/${d.state.prefix}/${id}/default.tfstate`;
  }
}

/** The deployed stacks' outputs (stacks/deployment-outputs.ts), as the closing lines of a deploy. */
export function deployOutputs(d: Deployment, roles: readonly StackRole[], check: CommandRunner, env: NodeJS.ProcessEnv): string {
  const lines = [`deployed '${d.name}' (${d.cloud}, ${d.region}): ${roles.map((r) => stackIdOf(d, r)).join(", ")}`];
  for (const role of roles) {
    const id = stackIdOf(d, role);
    const r = check("terraform", ["output", "-json"], { cwd: path.resolve(OUT_DIR, "stacks", id), env });
    let outputs: Record<string, { value: unknown; sensitive?: boolean }> = {};
    try {
      outputs = JSON.parse(r.stdout) as typeof outputs;
    } catch {
      continue;
    }
    for (const [name, o] of Object.entries(outputs).sort(([a], [b]) => a.localeCompare(b))) {
      // cdktf's cross-stack outputs are sensitive and meant for the stacks after this one: never printed.
      if (o.sensitive || name.startsWith("cross-stack-output-")) continue;
      lines.push(`  ${name.padEnd(28)} ${String(o.value)}`);
    }
  }
  const rest = STACK_ROLES.filter((r) => !roles.includes(r) && STACK_ROLES.indexOf(r) > STACK_ROLES.indexOf(roles[roles.length - 1]));
  if (rest.length) lines.push(`next: deploy ${rest.join(", ")} (npm run deploy -- --config <file> --stack ${rest.join(",")}); see next_step above`);
  return lines.join("\n");
}

/** Reads one answer from the terminal (fd 0). Without a terminal, nobody can approve: false. */
function askOnTerminal(question: string): boolean {
  if (!process.stdin.isTTY) {
    console.error("no terminal to ask for approval: review the plan (npm run diff) and pass --auto-approve");
    return false;
  }
  process.stdout.write(question);
  const buf = Buffer.alloc(256);
  let answer = "";
  const fd = openSync("/dev/tty", "r");
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      answer += buf.subarray(0, n).toString("utf8");
      if (answer.includes("\n")) break;
    }
  } finally {
    closeSync(fd);
  }
  return answer.trim() === "yes";
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), process.env, captureCommand, interactiveCommand, {
    log: (l) => console.log(l),
    error: (l) => console.error(l),
  });
}
