import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { readConfigFile } from "../../config/load";
import { main, parseArgs } from "../../scripts/deploy";
import { AWS_READY, fakeRunner } from "./fake-runner";

const VAULT_ENV = { VAULT_ADDR: "https://vault.internal:8200", VAULT_TOKEN: "hvs.not-a-real-token" };

function run(argv: string[], env: NodeJS.ProcessEnv = VAULT_ENV, probes = AWS_READY) {
  const check = fakeRunner(probes);
  const exec = fakeRunner({ npx: {} });
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, env, check, exec, { log: (l) => out.push(l), error: (l) => err.push(l) });
  return { code, exec: exec.calls.map((c) => [c.command, ...c.args].join(" ")), execEnv: exec.calls.map((c) => c.env), out: out.join("\n"), err: err.join("\n") };
}

/** A copy of examples/aws.yaml with destroy allowed, in a temp dir. */
function throwawayConfig(): string {
  const raw = readConfigFile("examples/aws.yaml") as Record<string, unknown>;
  const file = path.join(mkdtempSync(path.join(tmpdir(), "delivery-")), "test.yaml");
  writeFileSync(file, stringify({ ...raw, name: "acme-test", dataProtection: { allowDestroy: true } }));
  return file;
}

test("deploy runs preflight, then one `cdktf deploy` of every stack with the config passed by env", () => {
  const r = run(["deploy", "--config", "examples/aws.yaml"]);
  expect(r.code).toBe(0);
  expect(r.exec).toEqual(["npx cdktf deploy acme-prod-aws acme-prod-vault acme-prod-vault-config acme-prod-platform"]);
  expect(r.execEnv[0]).toMatchObject({ DEPLOYMENT_CONFIG: "examples/aws.yaml", CHECKPOINT_DISABLE: "1" });
  expect(r.out).toContain("preflight: all checks passed.");
});

test("a stack subset is applied in dependency order whatever order it was given in", () => {
  const r = run(["deploy", "--config", "examples/aws.yaml", "--stack", "platform,vault-config", "--auto-approve"]);
  expect(r.exec).toEqual(["npx cdktf deploy acme-prod-vault-config acme-prod-platform --ignore-missing-stack-dependencies --auto-approve"]);
});

test("the first deploy stops before Vault is initialised without asking for a Vault token", () => {
  const r = run(["deploy", "--config", "examples/aws.yaml", "--stack", "cloud,vault"], {});
  expect(r.code).toBe(0);
  expect(r.exec).toEqual(["npx cdktf deploy acme-prod-aws acme-prod-vault --ignore-missing-stack-dependencies"]);
});

test("nothing runs when preflight fails: missing terraform or credentials", () => {
  const r = run(["deploy", "--config", "examples/aws.yaml"], VAULT_ENV, {});
  expect(r.code).toBe(1);
  expect(r.exec).toEqual([]);
  expect(r.err).toMatch(/FAIL {2}terraform 1\.11\.x: terraform is not on the PATH/);
  expect(r.err).toMatch(/nothing was changed/);
});

test("nothing runs when the vault-config stack is selected without VAULT_ADDR/VAULT_TOKEN", () => {
  const r = run(["deploy", "--config", "examples/aws.yaml"], {});
  expect(r.code).toBe(1);
  expect(r.exec).toEqual([]);
  expect(r.err).toContain("VAULT_TOKEN: not set");
});

test("destroy of a deployment whose config does not allow it is refused before any check or command", () => {
  const r = run(["destroy", "--config", "examples/aws.yaml", "--auto-approve"]);
  expect(r.code).toBe(1);
  expect(r.exec).toEqual([]);
  expect(r.err).toContain("refusing to destroy 'acme-prod'");
  expect(r.err).toContain("dataProtection.allowDestroy is false");
});

test("destroy of a throwaway deployment removes the stacks dependants first", () => {
  const r = run(["destroy", "--config", throwawayConfig()]);
  expect(r.code).toBe(0);
  expect(r.exec).toEqual(["npx cdktf destroy acme-test-platform acme-test-vault-config acme-test-vault acme-test-aws"]);
});

test("destroy refuses to remove a stack that others still depend on", () => {
  const r = run(["destroy", "--config", throwawayConfig(), "--stack", "vault"]);
  expect(r.code).toBe(2);
  expect(r.exec).toEqual([]);
  expect(r.err).toMatch(/would leave vault-config, platform pointing at nothing/);
});

test("diff synthesizes once, then diffs each stack in dependency order", () => {
  const r = run(["diff", "--config", "examples/aws.yaml", "--stack", "acme-prod-aws,vault"], {});
  expect(r.exec).toEqual(["npx cdktf synth", "npx cdktf diff acme-prod-aws --skip-synth", "npx cdktf diff acme-prod-vault --skip-synth"]);
});

test("synth needs no credentials", () => {
  const r = run(["synth", "--config", "examples/aws.yaml"], {}, {});
  expect(r.code).toBe(0);
  expect(r.exec).toEqual(["npx cdktf synth"]);
});

test("usage errors name the fix and run nothing", () => {
  expect(run(["deploy"]).err).toMatch(/deploy needs a deployment file: --config <file>/);
  expect(run(["deploy", "--config", "examples/aws.yaml", "--stack", "network"]).err).toMatch(/unknown stack 'network'; use one of cloud \(acme-prod-aws\), vault \(acme-prod-vault\)/);
  expect(run(["deploy", "--config", "examples/aws.yaml", "--force"]).err).toMatch(/unknown argument '--force'/);
  expect(run(["apply"]).err).toMatch(/unknown action 'apply'/);
  const bad = run(["deploy", "--config", "examples/missing.yaml"]);
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/examples\/missing\.yaml: invalid deployment config/);
  expect(bad.exec).toEqual([]);
});

test("the deployment file may come from DEPLOYMENT_CONFIG", () => {
  expect(parseArgs(["deploy"], { DEPLOYMENT_CONFIG: "examples/aws.yaml" }).configPath).toBe("examples/aws.yaml");
});
