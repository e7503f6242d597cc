import { App, Testing } from "cdktf";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { Mount } from "@cdktf/provider-vault/lib/mount";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { Policy } from "../../policy";
import { ALL_RULES } from "../../policy/rules";
import { RECREATABLE_RESOURCES, STATEFUL_RESOURCES } from "../../policy/stateful-resources";
import { buildDeployment } from "../../stacks/deployment";
import { AwsStateStack } from "../../stacks/bootstrap/aws-state-stack";
import { DEPLOYMENTS, synthesizedStacks } from "../support/deployments";

// Every stateful resource and every namespace carries destroy protection, lifted only by
// dataProtection.allowDestroy; a new one without it fails the policy; every resource type the stacks
// synthesize is classified, so a new stateful type cannot slip in unprotected.

type Json = { resource?: Record<string, Record<string, { lifecycle?: { prevent_destroy?: unknown } }>> };

const STATEFUL = new Map(Object.values(STATEFUL_RESOURCES).flat().map((t) => [t.type, t]));
const RECREATABLE = new Set(Object.values(RECREATABLE_RESOURCES).flat());
const GUARDING_RULES = ALL_RULES.filter((r) => r.guardsDestroy);

function resources(stacks: Record<string, unknown>): { stack: string; type: string; name: string; preventDestroy: unknown }[] {
  return Object.entries(stacks).flatMap(([stack, json]) =>
    Object.entries((json as Json).resource ?? {}).flatMap(([type, byName]) =>
      Object.entries(byName).map(([name, block]) => ({ stack, type, name, preventDestroy: block.lifecycle?.prevent_destroy })),
    ),
  );
}

function bootstrapStack(overrides: Partial<DeploymentInput> = {}): Record<string, unknown> {
  const example = readConfigFile("examples/aws.yaml") as DeploymentInput;
  const app = Testing.app();
  const stack = new AwsStateStack(app, "acme-prod-state", { deployment: deploymentOn("aws", validateDeployment({ ...example, ...overrides }, "test")), githubRepository: "acme/platform" });
  return { "acme-prod-state": JSON.parse(Testing.synth(stack)) as unknown };
}

/** Every stack of an example deployment, built in this process (no policy), as synthesized JSON. */
function deploymentStacks(example: string, overrides: Partial<DeploymentInput>): Record<string, unknown> {
  const raw = readConfigFile(`examples/${example}.yaml`) as DeploymentInput;
  const app = Testing.app();
  const built = buildDeployment(app, validateDeployment({ ...raw, ...overrides }, "test"));
  return Object.fromEntries(Object.values(built).map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as unknown]));
}

test("each stateful type is listed once, under one destroy-guarding rule, with what a destroy loses and where upstream", () => {
  const listed = Object.values(STATEFUL_RESOURCES).flat();
  expect(new Set(listed.map((t) => t.type)).size).toBe(listed.length);
  for (const t of listed) {
    expect(t.loses.length).toBeGreaterThan(10);
    expect(t.source).toMatch(/hashicorp\/|kubernetes\.io|API|docs|DESIGN\.md/);
  }
  for (const [ruleId, types] of Object.entries(STATEFUL_RESOURCES)) {
    const rule = ALL_RULES.find((r) => r.id === ruleId);
    expect(rule?.guardsDestroy).toBe(true);
    expect([...(rule?.appliesTo ?? [])].sort()).toEqual(types.map((t) => t.type).sort());
  }
  for (const type of RECREATABLE) expect(STATEFUL.has(type)).toBe(false);
});

test.each(DEPLOYMENTS.map((d) => [d.key]))("%s: every resource type is classified, and every stateful one carries prevent_destroy", (key) => {
  const all = resources(synthesizedStacks(key));
  const unclassified = [...new Set(all.map((r) => r.type))].filter((t) => !STATEFUL.has(t) && !RECREATABLE.has(t) && !GUARDING_RULES.some((g) => g.appliesTo.includes(t)));
  expect(unclassified).toEqual([]);
  const unprotected = all.filter((r) => STATEFUL.has(r.type) && r.preventDestroy !== true).map((r) => `${r.stack} ${r.type}.${r.name}`);
  expect(unprotected).toEqual([]);
  // The ones the issue names, present and protected in every deployment of their cloud.
  const named = (type: string) => all.filter((r) => r.type === type);
  expect(named("kubernetes_namespace_v1").length).toBe(5);
  // The file device on the audit volume and the stdout device the log agent ships.
  expect(named("vault_audit").length).toBe(2);
  expect(named("vault_database_secret_backend_connection").length).toBe(1);
  expect(named("vault_pki_secret_backend_intermediate_cert_request").length).toBe(1);
  expect(named("vault_mount").map((r) => r.name).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^Database_/)]));
});

test("the AWS bootstrap stack's types are classified and its stateful ones protected", () => {
  const all = resources(bootstrapStack());
  expect([...new Set(all.map((r) => r.type))].filter((t) => !STATEFUL.has(t) && !RECREATABLE.has(t))).toEqual([]);
  expect(all.filter((r) => STATEFUL.has(r.type) && r.preventDestroy !== true)).toEqual([]);
});

test("the CloudWatch log groups (flow logs, EKS control plane, container output with Vault's stdout audit) are among the protected ones", () => {
  const groups = resources(synthesizedStacks("examples-aws")).filter((r) => r.type === "aws_cloudwatch_log_group");
  expect(groups.map((g) => g.name).sort()).toEqual([
    expect.stringMatching(/^Cluster_ControlPlaneLogs_/),
    expect.stringMatching(/^ContainerLogs_Application_/),
    expect.stringMatching(/^Network_FlowLogs_LogGroup_/),
  ]);
  expect(groups.every((g) => g.preventDestroy === true)).toBe(true);
  const azureLogs = resources(synthesizedStacks("examples-azure")).filter((r) => r.type === "azurerm_log_analytics_workspace");
  expect(azureLogs.length).toBe(1);
  expect(azureLogs[0].preventDestroy).toBe(true);
});

describe.each([["aws"], ["azure"], ["gcp"]])("%s example", (cloud) => {
  test("dataProtection.allowDestroy lifts the protection of every stateful resource, and only then", () => {
    const lifted = resources(deploymentStacks(cloud, { dataProtection: { allowDestroy: true } })).filter((r) => STATEFUL.has(r.type));
    expect(lifted.length).toBeGreaterThan(20);
    expect(lifted.filter((r) => r.preventDestroy !== false).map((r) => `${r.type}.${r.name}: ${String(r.preventDestroy)}`)).toEqual([]);
  }, 120_000);
});

describe("a new unprotected namespace or mount fails the policy", () => {
  const raw = readConfigFile("examples/aws.yaml") as DeploymentInput;
  let errors: string[];
  beforeAll(() => {
    const app = new App({ outdir: Testing.app().outdir });
    const built = buildDeployment(app, validateDeployment(raw, "test"));
    new NamespaceV1(built.vault, "Reports", { metadata: { name: "reports" } });
    new Mount(built.vaultConfig, "Reports", { path: "reports", type: "kv", options: { version: "2" } });
    const policy = Policy.applyTo(app);
    errors = policy.findings().filter((f) => f.status === "fail" && f.family === "data-safety").map((f) => `${f.ruleId} ${f.path}`);
  }, 120_000);

  test("the namespace (K8S-24) and the mount (VAULT-12) fail the data-safety rules, nothing else does", () => {
    expect(errors.sort()).toEqual(["K8S-24 acme-prod-vault/Reports", "VAULT-12 acme-prod-vault-config/Reports"]);
  });
});
