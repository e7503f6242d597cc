import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { TERRAFORM_VERSION } from "../../scripts/preflight";
import { MANY_OUTDIR } from "../../config/synth-args";
import { deploymentMatrix } from "../../scripts/ci";
import { STACK_ROLES } from "../../scripts/stack-order";
import { nonEmpty } from "../support/non-empty";

// The GitHub Actions workflows users run, checked as data: they cannot run here (no GitHub, no cloud),
// so every promise they make is asserted on the parsed YAML instead.

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly "runs-on"?: string | string[];
  readonly container?: string | { image: string };
  readonly env?: Record<string, string>;
  readonly if?: string;
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string> | string;
  readonly environment?: { name: string } | string;
  readonly concurrency?: { group: string; "cancel-in-progress": boolean };
  readonly strategy?: { "max-parallel"?: number; "fail-fast"?: boolean; matrix?: Record<string, unknown> };
  readonly steps: Step[];
}
interface Workflow {
  readonly name: string;
  readonly on: Record<string, unknown>;
  readonly permissions: Record<string, string> | string;
  readonly concurrency?: { group: string; "cancel-in-progress": boolean };
  readonly jobs: Record<string, Job>;
}

const ROOT = path.resolve(__dirname, "../..");
const WORKFLOW_DIR = path.join(ROOT, ".github/workflows");
const ACTION_DIR = path.join(ROOT, ".github/actions");
const workflowFiles = readdirSync(WORKFLOW_DIR).filter((f) => /\.ya?ml$/.test(f));
const actionFiles = readdirSync(ACTION_DIR).map((d) => path.join(ACTION_DIR, d, "action.yml"));
const load = <T>(file: string): T => parse(readFileSync(file, "utf8"), { uniqueKeys: true }) as T;
const plan = load<Workflow>(path.join(WORKFLOW_DIR, "plan.yml"));
const apply = load<Workflow>(path.join(WORKFLOW_DIR, "apply.yml"));
const drift = load<Workflow>(path.join(WORKFLOW_DIR, "drift.yml"));
const workflows = Object.fromEntries(workflowFiles.map((f) => [f, load<Workflow>(path.join(WORKFLOW_DIR, f))]));

/** A job's steps with local composite actions (`uses: ./.github/actions/x`) expanded in place. */
function expandedSteps(steps: readonly Step[]): Step[] {
  return steps.flatMap((s) => {
    if (!s.uses?.startsWith("./")) return [s];
    const action = load<{ runs: { using: string; steps: Step[] } }>(path.join(ROOT, s.uses, "action.yml"));
    expect(action.runs.using).toBe("composite");
    return [s, ...expandedSteps(action.runs.steps)];
  });
}
const allJobs = Object.entries(workflows).flatMap(([file, w]) => Object.entries(w.jobs).map(([id, job]) => ({ file, id, job, steps: expandedSteps(job.steps) })));
const allSteps = [...allJobs.flatMap((j) => j.steps), ...actionFiles.flatMap((f) => load<{ runs: { steps: Step[] } }>(f).runs.steps)];
const runs = (steps: readonly Step[]) => steps.flatMap((s) => (s.run ? [s.run] : []));
const OIDC_ACTIONS = /^(aws-actions\/configure-aws-credentials|azure\/login|google-github-actions\/auth)@/;

test("the workflow set is plan.yml, apply.yml and drift.yml, all valid YAML", () => {
  expect(workflowFiles.sort()).toEqual(["apply.yml", "drift.yml", "plan.yml"]);
  for (const f of [...workflowFiles.map((w) => path.join(WORKFLOW_DIR, w)), ...actionFiles]) expect(() => load(f)).not.toThrow();
});

test("plan runs on pull requests only; apply on pushes to main and by hand", () => {
  expect(Object.keys(plan.on)).toEqual(["pull_request"]);
  expect(Object.keys(apply.on).sort()).toEqual(["push", "workflow_dispatch"]);
  expect(apply.on.push).toEqual({ branches: ["main"] });
});

test("workflow-level permissions are read-only; no job asks for write-all", () => {
  for (const w of Object.values(workflows)) expect(w.permissions).toEqual({ contents: "read" });
  for (const { job } of allJobs) {
    if (job.permissions === undefined) continue;
    expect(typeof job.permissions).toBe("object");
    const writes = Object.entries(job.permissions as Record<string, string>).filter(([, v]) => v === "write").map(([k]) => k);
    expect(writes.every((k) => k === "id-token" || k === "pull-requests" || k === "issues")).toBe(true);
  }
});

test("id-token: write exactly on the jobs that federate into a cloud", () => {
  for (const { file, id, job, steps } of allJobs) {
    const federates = steps.some((s) => OIDC_ACTIONS.test(s.uses ?? ""));
    const perms = (job.permissions ?? {}) as Record<string, string>;
    expect({ job: `${file}:${id}`, idToken: perms["id-token"] === "write" }).toEqual({ job: `${file}:${id}`, idToken: federates });
  }
});

test("pull-requests: write only on the job that posts the comment, which holds no cloud identity", () => {
  const writers = allJobs.filter(({ job }) => (job.permissions as Record<string, string> | undefined)?.["pull-requests"] === "write");
  expect(writers.map((j) => `${j.file}:${j.id}`)).toEqual(["plan.yml:comment"]);
  const comment = writers[0];
  expect(comment.steps.some((s) => s.uses?.startsWith("actions/github-script@"))).toBe(true);
  expect(comment.job.permissions).toEqual({ "pull-requests": "write" });
  expect(comment.steps.some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(false);
});

test("issues: write only on the drift report job, which holds no cloud identity and checks out no code", () => {
  const writers = allJobs.filter(({ job }) => (job.permissions as Record<string, string> | undefined)?.issues === "write");
  expect(writers.map((j) => `${j.file}:${j.id}`)).toEqual(["drift.yml:report"]);
  expect(writers[0].job.permissions).toEqual({ issues: "write" });
  expect(writers[0].steps.some((s) => s.uses?.startsWith("actions/checkout@") || OIDC_ACTIONS.test(s.uses ?? ""))).toBe(false);
});

test("the PR workflow never applies, deploys or destroys, and has no deployment environment", () => {
  const applying = /\b(terraform|cdktf)\s+(apply|deploy|destroy)\b|ci\.ts\s+apply\b|deploy\.ts\s+(deploy|destroy)\b|npm run (deploy|destroy)\b/;
  for (const [id, job] of Object.entries(plan.jobs)) {
    expect(job.environment).toBeUndefined();
    for (const r of runs(expandedSteps(job.steps))) expect({ job: id, run: r, applies: applying.test(r) }).toMatchObject({ applies: false });
  }
  // Plans in PRs take no state lock: the plan identity is read-only.
  expect(runs(plan.jobs.plan.steps).filter((r) => r.includes("ci.ts plan")).every((r) => r.includes("--no-lock"))).toBe(true);
});

test("pull requests from forks never reach a cloud account", () => {
  expect(plan.jobs.plan.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
});

test("apply: protected environment per deployment, one deployment at a time, a concurrency group per deployment", () => {
  const job = apply.jobs.apply;
  expect(job.environment).toEqual({ name: "${{ matrix.deployment.name }}" });
  expect(job.concurrency).toEqual({ group: "deploy-${{ matrix.deployment.name }}", "cancel-in-progress": false });
  expect(job.strategy?.["max-parallel"]).toBe(1);
  expect(apply.concurrency?.["cancel-in-progress"]).toBe(false);
  // Every job that applies carries the environment; none other does.
  for (const [id, j] of Object.entries(apply.jobs)) {
    const applies = runs(j.steps).some((r) => /ci\.ts apply/.test(r));
    expect({ id, environment: j.environment !== undefined }).toEqual({ id, environment: applies });
  }
});

test("apply applies the stacks in dependency order, after the plan job that saved their plans", () => {
  const order = (job: Job, verb: string) =>
    runs(job.steps).flatMap((r) => [...r.matchAll(new RegExp(`ci\\.ts ${verb} .*--stack (\\S+)`, "g"))].map((m) => m[1]));
  // vault-config is the operator's (npm run vault:bootstrap): CI plans and applies every other stack.
  const ciStacks = STACK_ROLES.filter((r) => r !== "vault-config");
  expect(order(apply.jobs.apply, "apply")).toEqual(ciStacks);
  expect(order(apply.jobs.plan, "plan")).toEqual(ciStacks);
  expect(order(plan.jobs.plan, "plan")).toEqual(ciStacks);
  expect(apply.jobs.apply.steps.filter((s) => s.id?.startsWith("apply-")).map((s) => s.id)).toEqual(ciStacks.map((r) => `apply-${r}`));
  expect(apply.jobs.apply.needs).toEqual(expect.arrayContaining(["plan"]));

  const upload = apply.jobs.plan.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
  const download = apply.jobs.apply.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"));
  expect(upload?.with?.name).toBe(download?.with?.name);
  // Review records only (no plan file, no state, no synthesized tree): __tests__/delivery/ci-secrets.test.ts.
  expect(String(upload?.with?.path).trim().split("\n")).toEqual(["plans/*.json", "plans/summary.md"]);
  expect(Number(upload?.with?.["retention-days"])).toBeLessThanOrEqual(7);
  // Download before the first apply.
  const steps = apply.jobs.apply.steps;
  expect(steps.indexOf(download as Step)).toBeLessThan(steps.findIndex((s) => s.id === "apply-cloud"));
});

test("every third-party action is pinned to a full commit SHA with its version in a comment", () => {
  for (const file of [...workflowFiles.map((w) => path.join(WORKFLOW_DIR, w)), ...actionFiles]) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/uses:\s*(\S+)(.*)$/gm)) {
      const [, ref, rest] = m;
      if (ref.startsWith("./")) continue;
      expect({ file: path.relative(ROOT, file), ref }).toEqual({ file: path.relative(ROOT, file), ref: expect.stringMatching(/^[\w.-]+\/[\w.-]+(\/[\w.-]+)*@[0-9a-f]{40}$/) });
      expect(rest).toMatch(/# v\d+\.\d+\.\d+/);
    }
    expect(text).not.toMatch(/@(main|master|latest|HEAD)\b/);
  }
});

test("Terraform, Node and cdktf-cli versions are pinned; the cdktf CLI comes from the lockfile", () => {
  const tf = allSteps.filter((s) => s.uses?.startsWith("hashicorp/setup-terraform@"));
  expect(tf.length).toBeGreaterThan(0);
  for (const s of tf) {
    expect(String(s.with?.terraform_version)).toBe(TERRAFORM_VERSION);
    expect(s.with?.terraform_wrapper).toBe(false);
  }
  for (const s of nonEmpty(allSteps.filter((x) => x.uses?.startsWith("actions/setup-node@")), "setup-node step")) expect(s.with).toMatchObject({ "node-version": "20", cache: "npm" });
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
  expect(pkg.devDependencies["cdktf-cli"]).toMatch(/^\d+\.\d+\.\d+$/);
  for (const r of runs(allSteps)) {
    expect(r).not.toMatch(/npm (install|i)\b|cdktf-cli@|npx -y|npm install -g/);
    if (/\bnpm ci\b/.test(r)) expect(r).toMatch(/npm ci --no-audit --no-fund/);
  }
  // Every job that runs cdktf or terraform first sets up the toolchain from the lockfile.
  for (const { file, id, job } of allJobs) {
    const usesTools = runs(job.steps).some((r) => /npx |terraform /.test(r));
    if (usesTools) expect({ job: `${file}:${id}`, setup: job.steps.some((s) => s.uses === "./.github/actions/setup") }).toEqual({ job: `${file}:${id}`, setup: true });
  }
});

test("provider plugins are cached, keyed on the lockfile", () => {
  const setup = load<{ runs: { steps: Step[] } }>(path.join(ACTION_DIR, "setup/action.yml")).runs.steps;
  expect(runs(setup).join("\n")).toContain('echo "TF_PLUGIN_CACHE_DIR=$HOME/.terraform.d/plugin-cache" >> "$GITHUB_ENV"');
  // Lock files are generated per run: without this Terraform >= 1.4 would bypass the cache.
  expect(runs(setup).join("\n")).toContain('echo "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE=true" >> "$GITHUB_ENV"');
  const cache = setup.find((s) => s.uses?.startsWith("actions/cache@"));
  expect(cache?.with?.path).toBe("~/.terraform.d/plugin-cache");
  expect(String(cache?.with?.key)).toContain("hashFiles('package-lock.json')");
});

test("the check job synthesizes every example and deployment in one step, one process per folder, under the policy rules", () => {
  for (const w of [plan, apply]) {
    const steps = w.jobs.check.steps.filter((s) => s.run?.includes("npm run synth"));
    expect(steps).toHaveLength(1);
    const synth = steps[0].run ?? "";
    // `npm run synth -- --all` exits 1 on a bad config or a policy finding, after trying every deployment.
    expect(synth).toMatch(/^npm run synth -- --all examples --out cdktf\.examples$/m);
    expect(synth).toMatch(/^if \[ -d deployments \]; then npm run synth -- --all deployments; fi$/m);
    expect(synth).toMatch(/^set -euo pipefail$/m);
  }
});

test("the plan and apply matrices use the check job's synthesized stacks and never synthesize again", () => {
  const entry = deploymentMatrix([path.join(ROOT, "examples", "aws.yaml")].map((f) => path.relative(ROOT, f)))[0];
  for (const w of [plan, apply]) {
    const upload = w.jobs.check.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    // The folder `npm run synth -- --all deployments` writes, and the matrix entries point into.
    expect(upload?.with).toMatchObject({ name: "synthesized", path: MANY_OUTDIR });
    expect(entry.out).toBe(`${MANY_OUTDIR}/aws`);
    const job = w.jobs.plan;
    expect(job.needs).toBe("check");
    const download = job.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"));
    expect(download?.with).toMatchObject({ name: "synthesized", path: MANY_OUTDIR });
    for (const [id, j] of Object.entries(w.jobs)) {
      if (id === "check") continue;
      for (const r of runs(j.steps)) expect({ job: id, run: r, synthesizes: /cdktf synth|npm run synth|main\.ts/.test(r) }).toMatchObject({ synthesizes: false });
    }
    // Every plan and apply reads the deployment's synthesized folder.
    const terraformSteps = runs(Object.values(w.jobs).flatMap((j) => j.steps)).filter((r) => /ci\.ts (plan|apply) /.test(r));
    expect(terraformSteps.length).toBeGreaterThanOrEqual(3);
    for (const r of terraformSteps) expect(r).toContain('--out "$SYNTH_OUT"');
  }
  expect(plan.jobs.plan.steps.length).toBeGreaterThan(0);
  for (const job of [plan.jobs.plan, apply.jobs.plan, apply.jobs.apply]) expect((job as Job & { env?: Record<string, string> }).env?.SYNTH_OUT).toBe("${{ matrix.deployment.out }}");
});

test("apply rolls out wave by wave: the matrix in wave order, one job at a time, the first failure cancels the rest", () => {
  const strategy = apply.jobs.apply.strategy;
  expect(strategy).toMatchObject({ "max-parallel": 1, "fail-fast": true, matrix: { deployment: "${{ fromJSON(needs.check.outputs.deployments) }}" } });
  // The matrix comes from `ci.ts matrix`, which orders it by rollout.wave (__tests__/delivery/rollout-waves.test.ts).
  expect(runs(apply.jobs.check.steps).some((r) => /ci\.ts matrix --dir deployments/.test(r))).toBe(true);
});

test("no long-lived cloud key or secret is referenced anywhere", () => {
  for (const file of [...workflowFiles.map((w) => path.join(WORKFLOW_DIR, w)), ...actionFiles]) {
    const text = readFileSync(file, "utf8");
    expect(text).not.toMatch(/AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|aws-secret-access-key|aws-access-key-id|ARM_CLIENT_SECRET|AZURE_CLIENT_SECRET|client-secret|AZURE_CREDENTIALS|creds:|GOOGLE_CREDENTIALS|GOOGLE_APPLICATION_CREDENTIALS_JSON|credentials_json|VAULT_TOKEN:/);
    // Nothing comes from GitHub secrets at all: identities are public ids in variables, tokens are minted per job.
    expect(text).not.toMatch(/secrets\./);
  }
  const roleInputs = allSteps.filter((s) => OIDC_ACTIONS.test(s.uses ?? ""));
  expect(roleInputs.map((s) => Object.keys(s.with ?? {}).sort())).toEqual(
    expect.arrayContaining([
      expect.arrayContaining(["role-to-assume", "aws-region"]),
      expect.arrayContaining(["client-id", "tenant-id", "subscription-id"]),
      expect.arrayContaining(["workload_identity_provider", "service_account"]),
    ]),
  );
});

test("every run step is strict (set -euo pipefail) and interpolates no expression into the script", () => {
  for (const r of runs(allSteps)) {
    expect(r.trimStart().startsWith("set -euo pipefail")).toBe(true);
    // Values reach scripts through env: an expression inside a script is a script-injection risk.
    expect(r).not.toContain("${{");
  }
  const checkouts = allJobs.flatMap(({ steps }) => steps.filter((x) => x.uses?.startsWith("actions/checkout@")));
  for (const s of nonEmpty(checkouts, "checkout step")) expect(s.with?.["persist-credentials"]).toBe(false);
});

test("CI never holds a Vault token: no job logs in to Vault or plans/applies vault-config; the platform waits for VAULT_CONFIGURED (issue 12)", () => {
  // Vault listens only inside the cluster and vault-config changes the root of trust: an operator applies it
  // with `npm run vault:bootstrap` (docs/vault.md), which tests/vault/vault-bootstrap.test.ts runs.
  const text = [plan, apply].map((w) => JSON.stringify(w)).join("\n");
  expect(text).not.toMatch(/vault-login|VAULT_TOKEN|VAULT_ADDR|VAULT_JWT_ROLE|--stack vault-config/);
  expect(readdirSync(ACTION_DIR)).not.toContain("vault-login");
  for (const job of [plan.jobs.plan, apply.jobs.plan]) {
    const platform = job.steps.find((s) => /--stack platform/.test(s.run ?? ""))!;
    expect(platform.if).toBe("env.VAULT_CONFIGURED == 'true'");
    expect(job.env).toEqual(expect.objectContaining({ VAULT_CONFIGURED: "${{ vars[format('{0}_VAULT_CONFIGURED', matrix.deployment.key)] }}" }));
  }
  expect(apply.jobs.apply.steps.find((s) => s.id === "apply-platform")!.if).toBe("vars.VAULT_CONFIGURED == 'true'");
});

test("plan jobs log in with the read-only plan identities, only the apply job with the apply identities", () => {
  const login = (job: Job) => job.steps.find((s) => s.uses === "./.github/actions/cloud-login")?.with ?? {};
  const identities = (job: Job) => ["aws-role-arn", "azure-client-id", "gcp-service-account"].map((k) => String(login(job)[k]));
  for (const job of [plan.jobs.plan, apply.jobs.plan, drift.jobs.plan]) {
    for (const v of identities(job)) expect(v).toMatch(/_PLAN_/);
  }
  for (const v of identities(apply.jobs.apply)) expect(v).toMatch(/^\$\{\{ vars\.[A-Z]+_APPLY_[A-Z_]+ \}\}$/);
  // The apply identities are environment variables: only readable inside the protected environment.
  expect(apply.jobs.apply.environment).toBeDefined();
});

test("Dependabot keeps the pinned actions current, composite actions included", () => {
  const config = load<{ updates: { "package-ecosystem": string; directories: string[] }[] }>(path.join(ROOT, ".github/dependabot.yml"));
  expect(config.updates).toEqual([expect.objectContaining({ "package-ecosystem": "github-actions", directories: ["/", "/.github/actions/*"] })]);
});

describe("the jobs that run the tests pass on the runner they name", () => {
  const testJobs = allJobs.filter(({ steps }) => runs(steps).some((r) => /\bjest\b|npm test|\.ci\/run/.test(r)));
  const installScript = readFileSync(path.join(ROOT, ".ci/install-test-servers"), "utf8");

  test("the test jobs are the check jobs of plan.yml and apply.yml", () => {
    expect(testJobs.map((j) => `${j.file}:${j.id}`).sort()).toEqual(["apply.yml:check", "plan.yml:check"]);
  });

  test.each(testJobs.map((j) => [`${j.file}:${j.id}`, j] as const))("%s runs .ci/run (test servers, provider mirror, npm test, validate) in Debian 12", (_, { job, steps }) => {
    // ubuntu-24.04 packages PostgreSQL 16, not 15; Debian 12 "bookworm" packages postgresql-15
    // (https://packages.debian.org/bookworm/postgresql-15), redis-server and nginx-light: what the script installs.
    expect(job["runs-on"]).toBe("ubuntu-24.04");
    expect(job.container).toBe("debian:bookworm");
    expect(installScript).toMatch(/packages\+=\(postgresql-15\)/);
    expect(installScript).toMatch(/packages\+=\(redis-server\)/);
    const scripts = runs(steps);
    const ciRun = scripts.findIndex((r) => /^\s*bash \.ci\/run$/m.test(r));
    expect(ciRun).toBeGreaterThan(-1);
    // Nothing runs jest outside .ci/run (which installs the servers first).
    expect(scripts.filter((r) => /\bjest\b|npm test/.test(r))).toEqual([]);
    // Inside a bare container: git for checkout, unzip for setup-terraform's download, xz for setup-node's, certificates.
    const prereq = steps.findIndex((s) => /apt-get install -y --no-install-recommends .*\bunzip\b/.test(s.run ?? ""));
    expect(prereq).toBe(0);
    for (const pkg of ["ca-certificates", "git", "unzip", "xz-utils", "curl"]) expect(steps[0].run).toContain(pkg);
    expect(steps.findIndex((s) => s.uses === "./.github/actions/setup")).toBeLessThan(steps.findIndex((s) => /\.ci\/run/.test(s.run ?? "")));
  });

  test(".ci/run installs the test servers and the provider mirror before the tests, and disables checkpoint calls", () => {
    const ciRun = readFileSync(path.join(ROOT, ".ci/run"), "utf8");
    expect(ciRun.indexOf("bash .ci/install-test-servers")).toBeGreaterThan(-1);
    expect(ciRun.indexOf("bash .ci/install-test-servers")).toBeLessThan(ciRun.indexOf("npm test"));
    expect(ciRun).toMatch(/^export CHECKPOINT_DISABLE=1$/m);
    expect(installScript).toMatch(/terraform providers mirror -platform=linux_amd64 "\$TF_MIRROR"/);
    expect(installScript).toContain("AWS_PROVIDER_VERSION=5.100.0");
  });
});

describe("drift detection", () => {
  test("runs on a schedule (and by hand), never on pushes or pull requests", () => {
    expect(Object.keys(drift.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect((drift.on.schedule as { cron: string }[])[0].cron).toMatch(/^\S+ \S+ \* \* \*$/);
  });
  test("plans the last applied commit and main, read-only, with the plan identity; never applies", () => {
    const job = drift.jobs.plan;
    const scripts = runs(expandedSteps(job.steps));
    expect(scripts.some((r) => /\b(terraform|cdktf)\s+(apply|deploy|destroy)\b|ci\.ts\s+apply\b/.test(r))).toBe(false);
    const plans = scripts.filter((r) => r.includes("ci.ts plan"));
    expect(plans).toHaveLength(2);
    for (const r of plans) expect(r).toContain("--no-lock");
    expect(plans[0]).toContain("git worktree add --detach ../applied \"$APPLIED_SHA\"");
    expect(job.environment).toBeUndefined();
    // The applied commit comes from the environment's deployments (the apply job runs in an environment per deployment).
    const applied = job.steps.find((s) => s.id === "applied");
    expect(String(applied?.with?.script)).toContain("listDeployments({ owner, repo, environment: process.env.NAME");
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write", deployments: "read" });
    expect(scripts.some((r) => r.includes("ci.ts drift --config"))).toBe(true);
  });
  test("only the report leaves the job: no plan, no state file", () => {
    const upload = drift.jobs.plan.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    const files = String(upload?.with?.path).split("\n").map((l) => l.trim()).filter(Boolean);
    expect(files).toEqual(["drift/head/drift.md", "drift/head/drift.json"]);
  });
  test("the report job opens, updates or closes one issue per deployment", () => {
    const script = String(drift.jobs.report.steps.find((s) => s.uses?.startsWith("actions/github-script@"))?.with?.script);
    expect(script).toContain("const title = `Drift check: ${name}`");
    expect(script).toContain('labels: ["drift"]');
    expect(script).toContain("github.rest.issues.update({ owner, repo, issue_number: existing.number, body })");
    expect(script).toContain('state: "closed"');
  });
});
