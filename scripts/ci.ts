import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { deploymentFiles as filesIn, deploymentFileStem } from "../config/deployment-files";
import { ConfigError, loadDeployment } from "../config/load";
import { MANY_OUTDIR } from "../config/synth-args";
import type { Deployment } from "../config/schema";
import { type CommandRunner, captureCommand, interactiveCommand } from "./command-runner";
import { formatGuard, guardPlan, type PlanJson } from "./replacement-guard";
import { formatTrustFindings, type TrustFinding, trustFindings, type TrustPlanChange } from "./trust-guard";
import { type PlanJson as ReviewedPlanJson, type ReviewRecord, reviewDifferences, reviewRecord } from "./reviewed-plan";
import { STACK_ROLES, type StackRole, orderedStacks, stackIdOf, UsageError } from "./stack-order";

/**
 * The CI side of delivery, called by .github/workflows/{plan,apply}.yml:
 *
 *   matrix --dir deployments [--only n] [--synth d]
 *                                     one matrix entry per deployment file (validated), to $GITHUB_OUTPUT,
 *                                     in rollout order (rollout.wave ascending, then file name); each names
 *                                     its synthesized folder <d>/<file name> (`npm run synth -- --all`,
 *                                     default cdktf.all), which plan and apply read with --out
 *   rollout --dir deployments [--synth d] [--plans p] [--reviewed-only]
 *                                     applies every deployment, wave by wave, each stack in dependency
 *                                     order (as `apply`), from one runner that may reach them all; stops at
 *                                     the first failure and starts nothing after it
 *   plan   --config f --stack r       terraform init + plan -out of one synthesized stack; writes
 *                                     <plans>/<id>.tfplan (stays on the runner), .txt (human plan,
 *                                     sensitive values redacted), .json (status), .changes.json
 *                                     (addresses and actions), .review.json (what was reviewed:
 *                                     addresses, actions, hashes; no value) and a summary (plans are read
 *                                     by the replacement guard: a delete or replace of a stateful
 *                                     resource not listed in dataProtection.allowReplace is `refused`
 *                                     and fails the job; on a bootstrapped AWS deployment so is a role's
 *                                     new trust or deletion, which an administrator applies: trust-guard.ts)
 *   apply  --config f --stack r       plans the stack again (guarded) and applies that plan when it is the
 *                                     reviewed one (same configuration, same changes and values); a stack
 *                                     whose upstream changed in this run is planned again and applied, or
 *                                     with --reviewed-only (REQUIRE_REVIEWED_PLANS=true) the run stops
 *
 * No plan file and no state leaves the runner: plan files hold state values, sensitive ones included.
 * Only the status, change and review records travel from the plan job to the apply job.
 *
 *   drift  --config f --applied d1 --head d2
 *                                     compares the plans of the last applied commit (d1) and of main
 *                                     (d2): drift made outside the code, or unapplied changes on main;
 *                                     writes <d2>/drift.md and drift.json (resource addresses and
 *                                     actions only, never values)
 *
 * Terraform runs on the JSON that `cdktf synth` wrote (cdktf.out/stacks/<id>), so CI applies
 * exactly the configuration that was planned and reviewed.
 */

/** One deployment in the CI matrix. Everything here is public (no credentials). */
export interface MatrixEntry {
  readonly name: string;
  /** Upper-case name for variable names: acme-prod -> ACME_PROD. */
  readonly key: string;
  readonly cloud: Deployment["cloud"];
  readonly region: string;
  readonly config: string;
  /** Its rollout wave (rollout.wave): the matrix is in wave order. */
  readonly wave: number;
  /** Its synthesized folder, written by the check job's `npm run synth -- --all` (plan/apply --out). */
  readonly out: string;
  /** Stack ids by role (vaultConfig for vault-config). */
  readonly stacks: { readonly cloud: string; readonly vault: string; readonly vaultConfig: string; readonly platform: string };
  /** Azure deployments: the tenant and subscription azure/login federates into. */
  readonly azureTenantId: string;
  readonly azureSubscriptionId: string;
}

/** Deployment files in a directory (.yaml, .yml, .json), sorted by name (config/deployment-files.ts). */
export const deploymentFiles = filesIn;

const STATE_CLOUD: Record<Deployment["state"]["backend"], Deployment["cloud"] | undefined> = { local: undefined, s3: "aws", azurerm: "azure", gcs: "gcp" };

/**
 * Validates every file and builds the matrix, in rollout order: wave by wave (rollout.wave ascending), in
 * file order within a wave. Two files naming the same deployment are an error (one state).
 */
export function deploymentMatrix(files: readonly string[], synthRoot: string = MANY_OUTDIR): MatrixEntry[] {
  const entries = files.map((config) => {
    const d = loadDeployment(["--config", config], {});
    // A CI runner is thrown away after the job: local state would be lost, and the next run would
    // try to create everything again.
    if (d.state.backend === "local") {
      throw new UsageError(`${config}: state.backend is 'local'; a deployment applied by CI needs remote state (s3, azurerm or gcs), see docs/deployment-guide.md`);
    }
    // CI logs in to one cloud per job: the deployment's.
    if (STATE_CLOUD[d.state.backend] !== d.cloud) {
      throw new UsageError(`${config}: state.backend '${d.state.backend}' is not in the deployment's cloud (${d.cloud}); CI logs in to one cloud per deployment, keep state there`);
    }
    return {
      name: d.name,
      key: d.name.toUpperCase().replace(/-/g, "_"),
      cloud: d.cloud,
      region: d.region,
      config,
      wave: d.rollout.wave,
      out: path.posix.join(synthRoot, deploymentFileStem(config)),
      stacks: {
        cloud: stackIdOf(d, "cloud"),
        vault: stackIdOf(d, "vault"),
        vaultConfig: stackIdOf(d, "vault-config"),
        platform: stackIdOf(d, "platform"),
      },
      azureTenantId: d.azure?.tenantId ?? "",
      azureSubscriptionId: d.azure?.subscriptionId ?? "",
    };
  });
  const seen = new Map<string, string>();
  for (const e of entries) {
    const other = seen.get(e.name);
    if (other) throw new UsageError(`${e.config} and ${other} both name deployment '${e.name}'; a name owns one set of state, rename one`);
    seen.set(e.name, e.config);
  }
  return entries.sort((a, b) => a.wave - b.wave); // stable: file order within a wave
}

/** What planning one stack found. */
export type PlanStatus = "no-changes" | "changes" | "blocked" | "failed" | "refused";

/** The record of one stack's plan, written next to the saved plan and read back by `apply`. */
export interface StackPlan {
  readonly stack: string;
  readonly role: StackRole;
  readonly status: PlanStatus;
  /** "Plan: 1 to add, 0 to change, 0 to destroy." / "No changes." / why it could not be planned. */
  readonly summary: string;
}

/** Where a stack's files are. */
export interface Paths {
  /** cdktf's output directory (holds stacks/<id>/cdk.tf.json). */
  readonly outDir: string;
  /** Directory for saved plans, plan texts and status records. */
  readonly plansDir: string;
}

/** How `plan`/`apply` reach terraform: `stream` shows output in the log, `capture` keeps it. */
export interface Runners {
  readonly stream: CommandRunner;
  readonly capture: CommandRunner;
}

const TF_ENV = { TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" };

/** One planned change, without values: what the drift report and the guard's record hold. */
export interface ChangeRecord {
  readonly address: string;
  readonly actions: readonly string[];
}

/**
 * Reads a saved plan as JSON, keeps its changes (addresses and actions: never values) and its review
 * record (hashes of the stack's configuration and of the plan with sensitive values masked), and runs the
 * replacement guard on it. Undefined when the plan cannot be read.
 */
function inspectPlan(deployment: Deployment, id: string, planFile: string, cwd: string, runners: Runners): { changes: ChangeRecord[]; guard: ReturnType<typeof guardPlan>; trust: TrustFinding[]; review: ReviewRecord } | undefined {
  const shown = runners.capture("terraform", ["show", "-json", planFile], { cwd, env: { ...process.env, ...TF_ENV } });
  let plan: PlanJson;
  try {
    plan = JSON.parse(shown.stdout) as PlanJson;
  } catch {
    return undefined;
  }
  const changes = (plan.resource_changes ?? [])
    .filter((c) => c.mode === "managed" && !(c.change.actions.length === 1 && c.change.actions[0] === "no-op"))
    .map((c) => ({ address: c.address, actions: [...c.change.actions] }));
  const configFile = path.join(cwd, "cdk.tf.json");
  const review = reviewRecord(id, existsSync(configFile) ? readFileSync(configFile, "utf8") : "", plan as ReviewedPlanJson);
  // The bootstrapped AWS apply role may not change a role's trust or delete a role; no Azure apply identity writes a
  // federated credential (every Azure deployment is bootstrapped: its cloud stack imports the bootstrap's groups) (trust-guard.ts).
  const guarded = (deployment.cloud === "aws" && deployment.state.backend === "s3") || deployment.cloud === "azure";
  const trust = guarded ? trustFindings(plan as { resource_changes?: readonly TrustPlanChange[] }) : [];
  return { changes, guard: guardPlan(id, plan, deployment.dataProtection.allowReplace ?? []), trust, review };
}

/**
 * Plans one stack and records the result. `lock: false` for pull-request plans: they run with a
 * read-only identity that cannot write the state lock, and they never write state.
 * A stack whose upstream stack has pending changes may be unplannable (it reads outputs that do not
 * exist yet); that is reported as `blocked`, not as a failure.
 */
export function planStack(deployment: Deployment, role: StackRole, paths: Paths, runners: Runners, options: { readonly lock: boolean; readonly config?: string }): StackPlan {
  const id = stackIdOf(deployment, role);
  const cwd = stackDir(paths, id);
  const planFile = path.resolve(paths.plansDir, `${id}.tfplan`);
  mkdirSync(paths.plansDir, { recursive: true });
  const upstreamChanges = upstream(deployment, role).filter((u) => readPlan(paths, u)?.status === "changes" || readPlan(paths, u)?.status === "blocked");

  const record = (status: PlanStatus, summary: string): StackPlan => {
    const p: StackPlan = { stack: id, role, status, summary };
    writeFileSync(path.join(paths.plansDir, `${id}.json`), `${JSON.stringify(p, null, 2)}\n`);
    return p;
  };

  const init = runners.stream("terraform", ["init", "-input=false", "-no-color"], { cwd, env: { ...process.env, ...TF_ENV } });
  if (init.code !== 0) return record("failed", "terraform init failed (see the job log)");
  const lock = options.lock ? [] : ["-lock=false"];
  const plan = runners.stream("terraform", ["plan", "-input=false", "-no-color", "-detailed-exitcode", ...lock, `-out=${planFile}`], { cwd, env: { ...process.env, ...TF_ENV } });
  if (plan.code === 1) {
    return upstreamChanges.length
      ? record("blocked", `not planned: it reads outputs of ${upstreamChanges.join(", ")}, which ${upstreamChanges.length === 1 ? "has" : "have"} unapplied changes; it is planned again at apply time`)
      : record("failed", "terraform plan failed (see the job log)");
  }
  // `terraform show` of a saved plan redacts sensitive values, like plan's own output.
  const shown = runners.capture("terraform", ["show", "-no-color", planFile], { cwd, env: { ...process.env, ...TF_ENV } });
  writeFileSync(path.join(paths.plansDir, `${id}.txt`), shown.stdout);
  if (plan.code === 0) {
    writeFileSync(path.join(paths.plansDir, `${id}.changes.json`), "[]\n");
    return record("no-changes", "No changes.");
  }
  const summary = /Plan: \d+ to add, \d+ to change, \d+ to destroy\./.exec(shown.stdout)?.[0] ?? "changes (see the plan)";
  const inspected = inspectPlan(deployment, id, planFile, cwd, runners);
  if (!inspected) return record("failed", "the saved plan could not be read as JSON (terraform show -json); nothing can be applied from it");
  writeFileSync(path.join(paths.plansDir, `${id}.changes.json`), `${JSON.stringify(inspected.changes, null, 2)}\n`);
  writeFileSync(path.join(paths.plansDir, `${id}.review.json`), `${JSON.stringify(inspected.review, null, 2)}\n`);
  const report = formatGuard(inspected.guard);
  if (report) writeFileSync(path.join(paths.plansDir, `${id}.guard.txt`), `${report}\n`);
  if (!inspected.guard.ok) {
    console.error(report);
    return record("refused", `${summary} Refused by the replacement guard: ${inspected.guard.findings.filter((f) => f.verdict === "refused").map((f) => f.address).join(", ")} (see the guard's report; acknowledge in dataProtection.allowReplace if the data may go)`);
  }
  if (inspected.trust.length) {
    const trustReport = formatTrustFindings(id, options.config ?? "<deployment file>", inspected.trust);
    writeFileSync(path.join(paths.plansDir, `${id}.guard.txt`), `${[report, trustReport].filter(Boolean).join("\n")}\n`);
    console.error(trustReport);
    return record("refused", `${summary} Refused by the trust guard: ${inspected.trust.map((f) => f.address).join(", ")} (an IAM role's trust changes, a role is deleted, a KMS alias moves, a key policy or a managed identity's federated credential changes: an administrator applies this stack from a workstation, see the guard's report)`);
  }
  return record("changes", summary);
}

/** Which guard refused a plan (its summary names it). */
function guardOf(p: StackPlan): string {
  return p.summary.includes("Refused by the trust guard") ? "trust guard" : "replacement guard";
}

/** What apply did with one stack. */
export interface ApplyResult {
  readonly stack: string;
  readonly ok: boolean;
  /** Whether the plan applied is the reviewed one (made again here and found the same), or a new one. */
  readonly usedSavedPlan: boolean;
  /** Whether anything changed (drives re-planning of the stacks after it). */
  readonly changed: boolean;
  /** Why the stack was not applied, when `ok` is false for a reason other than a terraform error. */
  readonly note?: string;
}

/**
 * Applies one stack. The plan job's plan file never reaches this job; the stack is planned again here
 * and that plan is applied when it is the reviewed one (its review record matches: same configuration,
 * same changes to the same values). Otherwise: when a stack it depends on changed in this run, the new
 * plan is applied (or, with `reviewedOnly`, the run stops so the next run's plan job shows it); when
 * nothing upstream changed, a plan that differs from the reviewed one is never applied.
 */
export function applyStack(
  deployment: Deployment,
  role: StackRole,
  paths: Paths,
  runners: Runners,
  /** allowUnreviewed: an operator's own run (`ci.ts rollout`), which applies what it plans and shows, as `npm run deploy` does. */
  options: { readonly reviewedOnly?: boolean; readonly allowUnreviewed?: boolean; readonly config?: string } = {},
): ApplyResult {
  const id = stackIdOf(deployment, role);
  const cwd = stackDir(paths, id);
  const env = { ...process.env, ...TF_ENV };
  const saved = readPlan(paths, id);
  const changedUpstream = upstream(deployment, role).filter((u) => readApplied(paths, u)?.changed);

  if (saved?.status === "refused") {
    return writeApplied(paths, { stack: id, ok: false, usedSavedPlan: false, changed: false, note: `not applied: the ${guardOf(saved)} refused its plan (${saved.summary})` });
  }
  if (runners.stream("terraform", ["init", "-input=false", "-no-color"], { cwd, env }).code !== 0) return writeApplied(paths, { stack: id, ok: false, usedSavedPlan: false, changed: false });

  if (saved && saved.status === "no-changes" && changedUpstream.length === 0) {
    return writeApplied(paths, { stack: id, ok: true, usedSavedPlan: true, changed: false });
  }
  const fresh = path.resolve(paths.plansDir, `${id}.apply.tfplan`);
  mkdirSync(paths.plansDir, { recursive: true });
  const plan = runners.stream("terraform", ["plan", "-input=false", "-no-color", "-detailed-exitcode", `-out=${fresh}`], { cwd, env });
  if (plan.code === 1) return writeApplied(paths, { stack: id, ok: false, usedSavedPlan: false, changed: false });
  if (plan.code === 0) return writeApplied(paths, { stack: id, ok: true, usedSavedPlan: false, changed: false });
  // A plan made here was never read by the guard in the plan job: read it now, before anything is applied.
  const inspected = inspectPlan(deployment, id, fresh, cwd, runners);
  if (!inspected || !inspected.guard.ok) {
    if (inspected) console.error(formatGuard(inspected.guard));
    return writeApplied(paths, { stack: id, ok: false, usedSavedPlan: false, changed: false, note: inspected ? "not applied: the replacement guard refused its plan (see above)" : "not applied: its plan could not be read as JSON" });
  }
  if (inspected.trust.length) {
    console.error(formatTrustFindings(id, options.config ?? "<deployment file>", inspected.trust));
    return writeApplied(paths, { stack: id, ok: false, usedSavedPlan: false, changed: false, note: "not applied: the trust guard refused its plan (an IAM role's trust changes, a role is deleted, a KMS alias moves, a key policy or a managed identity's federated credential changes; see above)" });
  }
  const reviewed = readReview(paths, id);
  // Nothing upstream changed in this run, so this plan's changes were there when the plan job ran: they are applied
  // only as reviewed. No review record (the stack was not planned, its plan failed or was blocked, or the record is
  // missing) means nobody saw them.
  if (changedUpstream.length === 0 && !reviewed && !(options.allowUnreviewed && !options.reviewedOnly)) {
    const why = saved ? `its plan job status was '${saved.status}' and its review record (${id}.review.json) is missing` : "the plan job did not plan it";
    return writeApplied(paths, { stack: id, ok: false, usedSavedPlan: false, changed: false, note: `not applied: ${why}, so nothing shows what was reviewed; re-run the workflow with the stack planned` });
  }
  if (changedUpstream.length === 0 && reviewed) {
    const differences = reviewDifferences(reviewed, inspected.review);
    if (differences.length) {
      return writeApplied(paths, { stack: id, ok: false, usedSavedPlan: false, changed: false, note: `not applied: its plan is not the reviewed one: ${differences.join("; ")}. Re-run the workflow to review the new plan` });
    }
    const r = runners.stream("terraform", ["apply", "-input=false", "-no-color", fresh], { cwd, env });
    return writeApplied(paths, { stack: id, ok: r.code === 0, usedSavedPlan: true, changed: true });
  }
  if (options.reviewedOnly) {
    const why = changedUpstream.length ? `${changedUpstream.join(", ")} changed in this run` : "it had no reviewed plan";
    return writeApplied(paths, { stack: id, ok: false, usedSavedPlan: false, changed: false, note: `not applied: its plan changed because ${why}, and REQUIRE_REVIEWED_PLANS is on; re-run the workflow to review the new plan` });
  }
  const r = runners.stream("terraform", ["apply", "-input=false", "-no-color", fresh], { cwd, env });
  return writeApplied(paths, { stack: id, ok: r.code === 0, usedSavedPlan: false, changed: true });
}

/** What a rollout did: the deployments applied (in order), and where it stopped. */
export interface RolloutResult {
  readonly ok: boolean;
  readonly applied: readonly { readonly name: string; readonly wave: number; readonly stacks: readonly ApplyResult[] }[];
  /** The deployment whose apply failed, if one did. */
  readonly failed?: string;
  /** Deployments not started because of the failure (the rest of its wave and every later wave). */
  readonly notStarted: readonly string[];
}

/**
 * Applies deployments wave by wave (the matrix order: rollout.wave ascending, file order within a wave),
 * each one's stacks in dependency order (`applyStack`). The first failing stack stops the rollout: nothing
 * after it is started, not the rest of its wave, not a later wave.
 */
export function rollout(entries: readonly MatrixEntry[], plansRoot: string, runners: Runners, options: { readonly reviewedOnly?: boolean } = {}, log: (line: string) => void = console.log): RolloutResult {
  const applied: { name: string; wave: number; stacks: ApplyResult[] }[] = [];
  let wave: number | undefined;
  for (const [i, entry] of entries.entries()) {
    if (entry.wave !== wave) {
      wave = entry.wave;
      log(`wave ${wave}: ${entries.filter((e) => e.wave === wave).map((e) => e.name).join(", ")}`);
    }
    const deployment = loadDeployment(["--config", entry.config], {});
    const paths: Paths = { outDir: entry.out, plansDir: path.join(plansRoot, entry.name) };
    mkdirSync(paths.plansDir, { recursive: true }); // terraform plan -out writes into it
    const stacks: ApplyResult[] = [];
    applied.push({ name: entry.name, wave: entry.wave, stacks });
    for (const role of STACK_ROLES) {
      // An operator's run: a stack with a review record is held to it; one without is applied as planned here.
      const r = applyStack(deployment, role, paths, runners, { ...options, allowUnreviewed: true, config: entry.config });
      stacks.push(r);
      log(`  ${r.stack}: ${r.note ?? (r.ok ? "applied" : "FAILED")}`);
      if (r.ok) continue;
      const notStarted = entries.slice(i + 1).map((e) => e.name);
      const later = [...new Set(entries.slice(i + 1).filter((e) => e.wave !== entry.wave).map((e) => e.wave))];
      log(
        `rollout stopped: ${entry.name} (wave ${entry.wave}) failed at ${r.stack}` +
          (notStarted.length ? `; not started: ${notStarted.join(", ")}${later.length ? ` (wave${later.length === 1 ? "" : "s"} ${later.join(", ")} not started)` : ""}` : ""),
      );
      return { ok: false, applied, failed: entry.name, notStarted };
    }
  }
  log(`rollout complete: ${entries.length} deployment(s) in ${new Set(entries.map((e) => e.wave)).size} wave(s)`);
  return { ok: true, applied, notStarted: [] };
}

/** Markdown of one deployment's plans, for the job summary and the pull-request comment. */
export function planSummary(deployment: Deployment, paths: Paths, maxPlanChars = 12_000): string {
  const lines = [`### Deployment \`${deployment.name}\` (${deployment.cloud}, ${deployment.region})`, "", "| Stack | Result |", "| --- | --- |"];
  const details: string[] = [];
  for (const { id } of orderedStacks(deployment)) {
    const p = readPlan(paths, id);
    const destroys = Number(/(\d+) to destroy/.exec(p?.summary ?? "")?.[1] ?? 0);
    const mark = !p ? "not planned" : { "no-changes": "✅", changes: destroys > 0 ? "⚠️ destroys resources" : "📝", blocked: "⏳", failed: "❌", refused: `🛑 ${guardOf(p)}` }[p.status];
    lines.push(`| \`${id}\` | ${mark} ${p?.summary ?? ""} |`);
    const textFile = path.join(paths.plansDir, `${id}.txt`);
    if (p?.status === "changes" && existsSync(textFile)) {
      let text = readFileSync(textFile, "utf8");
      if (text.length > maxPlanChars) text = `${text.slice(0, maxPlanChars)}\n... (truncated; the full plan is in the job log and the plan artifact)`;
      details.push(`<details><summary>${id}</summary>\n\n\`\`\`hcl\n${text.replace(/```/g, "'''")}\n\`\`\`\n</details>`);
    }
  }
  return [...lines, "", ...details, ""].join("\n");
}

function stackDir(paths: Paths, id: string): string {
  return path.resolve(paths.outDir, "stacks", id);
}

/** The stack ids a role depends on (every stack before it in dependency order). */
function upstream(deployment: Deployment, role: StackRole): string[] {
  return STACK_ROLES.slice(0, STACK_ROLES.indexOf(role)).map((r) => stackIdOf(deployment, r));
}

function readPlan(paths: Paths, id: string): StackPlan | undefined {
  const f = path.join(paths.plansDir, `${id}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as StackPlan) : undefined;
}

function readReview(paths: Paths, id: string): ReviewRecord | undefined {
  const f = path.join(paths.plansDir, `${id}.review.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as ReviewRecord) : undefined;
}

function readApplied(paths: Paths, id: string): ApplyResult | undefined {
  const f = path.join(paths.plansDir, `${id}.applied.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as ApplyResult) : undefined;
}

function writeApplied(paths: Paths, result: ApplyResult): ApplyResult {
  mkdirSync(paths.plansDir, { recursive: true });
  writeFileSync(path.join(paths.plansDir, `${result.stack}.applied.json`), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

function flag(argv: readonly string[], name: string, fallback?: string): string {
  const i = argv.indexOf(name);
  const v = i >= 0 ? argv[i + 1] : fallback;
  if (v === undefined) throw new UsageError(`${name} is required`);
  return v;
}

/** CLI entry: returns the exit code. */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv, runners: Runners, log: (line: string) => void = console.log): number {
  const [command, ...rest] = argv;
  try {
    if (command === "rollout") {
      const entries = deploymentMatrix(deploymentFiles(flag(rest, "--dir", "deployments")), flag(rest, "--synth", MANY_OUTDIR));
      const reviewedOnly = rest.includes("--reviewed-only") || env.REQUIRE_REVIEWED_PLANS === "true";
      return rollout(entries, flag(rest, "--plans", "plans"), runners, { reviewedOnly }, log).ok ? 0 : 1;
    }
    if (command === "matrix") {
      const only = flag(rest, "--only", "");
      const all = deploymentMatrix(deploymentFiles(flag(rest, "--dir", "deployments")), flag(rest, "--synth", MANY_OUTDIR));
      const matrix = only ? all.filter((m) => m.name === only) : all;
      if (only && matrix.length === 0) throw new UsageError(`no deployment named '${only}'; deployments: ${all.map((m) => m.name).join(", ") || "none"}`);
      const out = `deployments=${JSON.stringify(matrix)}\ncount=${matrix.length}\n`;
      if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, out);
      log(matrix.length ? `deployments in rollout order: ${matrix.map((m) => `${m.name} (wave ${m.wave})`).join(", ")}` : "no deployment files: nothing to plan or apply");
      return 0;
    }
    const deployment = loadDeployment(["--config", flag(rest, "--config")], {});
    const paths: Paths = { outDir: flag(rest, "--out", "cdktf.out"), plansDir: flag(rest, "--plans", "plans") };
    if (command === "drift") {
      const report = driftReport(deployment, flag(rest, "--applied"), flag(rest, "--head"), flag(rest, "--applied-sha", "unknown"));
      const head = flag(rest, "--head");
      mkdirSync(head, { recursive: true });
      writeFileSync(path.join(head, "drift.md"), report.markdown);
      writeFileSync(path.join(head, "drift.json"), `${JSON.stringify({ name: deployment.name, verdict: report.verdict }, null, 2)}\n`);
      if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, report.markdown);
      log(`${deployment.name}: ${report.verdict}`);
      return 0;
    }
    if (command === "summary") {
      const md = planSummary(deployment, paths);
      writeFileSync(path.join(paths.plansDir, "summary.md"), md);
      if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, md);
      return 0;
    }
    const role = flag(rest, "--stack") as StackRole;
    if (!STACK_ROLES.includes(role)) throw new UsageError(`--stack must be one of ${STACK_ROLES.join(", ")}`);
    if (command === "plan") {
      const p = planStack(deployment, role, paths, runners, { lock: !rest.includes("--no-lock"), config: flag(rest, "--config") });
      console.log(`${p.stack}: ${p.status}: ${p.summary}`);
      return p.status === "failed" || p.status === "refused" ? 1 : 0;
    }
    if (command === "apply") {
      const reviewedOnly = rest.includes("--reviewed-only") || env.REQUIRE_REVIEWED_PLANS === "true";
      const r = applyStack(deployment, role, paths, runners, { reviewedOnly, config: flag(rest, "--config") });
      log(r.note ? `${r.stack}: ${r.note}` : `${r.stack}: ${r.ok ? "applied" : "FAILED"} (${r.usedSavedPlan ? "the reviewed plan, made again here and the same" : "planned again in this job"}${r.changed ? "" : ", no changes"})`);
      return r.ok ? 0 : 1;
    }
    throw new UsageError(`unknown command '${command ?? ""}'; use matrix, plan, summary, apply, rollout or drift`);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), process.env, { stream: interactiveCommand, capture: captureCommand });
}

/** What the drift check found for one deployment. */
export type DriftVerdict = "in-sync" | "drift" | "unapplied-changes" | "not-planned";

/**
 * Compares two sets of plans of one deployment, made with `terraform plan -detailed-exitcode` against the
 * real infrastructure: `appliedDir` from the commit last applied, `headDir` from main now.
 *
 * - The last applied commit's plan is not empty: the infrastructure differs from the code that was
 *   applied, so something changed it outside the code (drift).
 * - It is empty, but main's plan is not: main has changes that were not applied yet.
 * - Both are empty: in sync.
 *
 * The markdown holds stack ids, resource addresses and actions only (from `<id>.changes.json`), never
 * attribute values: it becomes the body of a GitHub issue.
 */
export function driftReport(deployment: Deployment, appliedDir: string, headDir: string, appliedSha: string): { verdict: DriftVerdict; markdown: string } {
  const read = (dir: string) =>
    orderedStacks(deployment).map(({ id }) => {
      const p = readPlan({ outDir: "", plansDir: dir }, id);
      const f = path.join(dir, `${id}.changes.json`);
      const changes = existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as ChangeRecord[]) : [];
      return { id, status: p?.status, summary: p?.summary ?? "not planned", changes };
    });
  const applied = read(appliedDir);
  const head = read(headDir);
  const planned = (xs: typeof applied) => xs.some((x) => x.status === "changes" || x.status === "no-changes" || x.status === "refused");
  const changed = (xs: typeof applied) => xs.some((x) => x.status === "changes" || x.status === "refused");
  const verdict: DriftVerdict = !planned(applied) ? "not-planned" : changed(applied) ? "drift" : changed(head) ? "unapplied-changes" : "in-sync";
  const title: Record<DriftVerdict, string> = {
    drift: "Drift: the infrastructure differs from the last applied code (changed outside the code)",
    "unapplied-changes": "No drift; main has changes that are not applied yet",
    "in-sync": "In sync: the infrastructure matches the last applied code and main",
    "not-planned": "Not checked: the last applied commit could not be planned",
  };
  const section = (label: string, xs: typeof applied) => [
    `#### ${label}`,
    "",
    "| Stack | Plan |",
    "| --- | --- |",
    ...xs.map((x) => `| \`${x.id}\` | ${x.status ?? "not planned"}: ${x.summary} |`),
    "",
    ...xs.flatMap((x) => (x.changes.length ? [`${x.id}:`, ...x.changes.map((c) => `- \`${c.address}\`: ${c.actions.join(", ")}`), ""] : [])),
  ];
  const markdown = [
    `### ${deployment.name} (${deployment.cloud}, ${deployment.region}): ${title[verdict]}`,
    "",
    `Last applied commit: \`${appliedSha}\`. Plans made read-only (-lock=false) with the plan identity.`,
    "",
    ...section("Plan of the last applied commit (not empty = drift)", applied),
    ...section("Plan of main (not empty = unapplied changes)", head),
  ].join("\n");
  return { verdict, markdown };
}
