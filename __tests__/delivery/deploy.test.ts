import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { readConfigFile } from "../../config/load";
import { main, parseArgs } from "../../scripts/deploy";
import { AWS_READY, fakeRunner } from "./fake-runner";

const VAULT_ENV = { VAULT_ADDR: "https://vault.internal:8200", VAULT_TOKEN: "hvs.not-a-real-token" };

/** A plan JSON in terraform's documented format (resource_changes) with one update in place. */
const PLAN_UPDATE = JSON.stringify({ format_version: "1.2", prior_state: { values: { root_module: { resources: [{ address: "aws_s3_bucket.Data" }] } } }, resource_changes: [{ address: "aws_s3_bucket.Data", mode: "managed", type: "aws_s3_bucket", change: { actions: ["update"] } }] });
const OUTPUTS = JSON.stringify({
  cluster_name: { sensitive: false, type: "string", value: "acme-prod" },
  kubeconfig_command: { sensitive: false, type: "string", value: "aws eks update-kubeconfig --region eu-west-1 --name acme-prod" },
  "cross-stack-output-aws_eks_clusterCluster_EB0386A7endpoint": { sensitive: true, type: "string", value: "https://ABC.gr7.eu-west-1.eks.amazonaws.com" },
});

function run(argv: string[], env: NodeJS.ProcessEnv = VAULT_ENV, probes = AWS_READY, options: { planCode?: number; plan?: string; approve?: boolean } = {}) {
  const check = fakeRunner({ ...probes, "terraform show -json": { stdout: options.plan ?? PLAN_UPDATE }, "terraform output -json": { stdout: OUTPUTS } });
  const exec = fakeRunner({ npx: {}, "terraform init": {}, "terraform plan": { code: options.planCode ?? 2 }, "terraform apply": {} });
  const out: string[] = [];
  const err: string[] = [];
  const asked: string[] = [];
  const confirm = (q: string) => {
    asked.push(q);
    return options.approve ?? true;
  };
  const code = main(argv, env, check, exec, { log: (l) => out.push(l), error: (l) => err.push(l) }, confirm);
  const verbs = exec.calls.map((c) => [c.command, ...c.args.map((a) => a.replace(/^-out=.*\//, "-out=<plans>/").replace(/^\/.*\/(\S+\.tfplan)$/, "<plans>/$1"))].join(" "));
  return { code, exec: verbs, execCalls: exec.calls, execEnv: exec.calls.map((c) => c.env), out: out.join("\n"), err: err.join("\n"), asked };
}

/** A copy of examples/aws.yaml with destroy allowed, in a temp dir. */
function throwawayConfig(): string {
  const raw = readConfigFile("examples/aws.yaml") as Record<string, unknown>;
  const file = path.join(mkdtempSync(path.join(tmpdir(), "delivery-")), "test.yaml");
  writeFileSync(file, stringify({ ...raw, name: "acme-test", dataProtection: { allowDestroy: true } }));
  return file;
}

const stackSteps = (id: string) => [
  "terraform init -input=false",
  `terraform plan -input=false -detailed-exitcode -out=<plans>/${id}.tfplan`,
  `terraform apply -input=false <plans>/${id}.tfplan`,
];

test("deploy runs preflight, synth, then per stack in order: init, a saved plan, the guard, approval, apply of that plan", () => {
  const r = run(["deploy", "--config", "examples/aws.yaml"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(r.exec).toEqual(["npx cdktf synth", ...["acme-prod-aws", "acme-prod-vault", "acme-prod-vault-config", "acme-prod-platform"].flatMap(stackSteps)]);
  expect(r.execEnv[0]).toMatchObject({ DEPLOYMENT_CONFIG: "examples/aws.yaml", CHECKPOINT_DISABLE: "1" });
  expect(r.execEnv[1]).toMatchObject({ CHECKPOINT_DISABLE: "1" });
  expect(r.execCalls[1].env).toBeDefined();
  expect(r.asked).toEqual(["acme-prod-aws", "acme-prod-vault", "acme-prod-vault-config", "acme-prod-platform"].map((id) => `Apply this plan to ${id}? Only "yes" applies: `));
  expect(r.out).toContain("preflight: all checks passed.");
});

test("after a deploy: where the platform is and what to do next, from the stacks' outputs, nothing sensitive", () => {
  const r = run(["deploy", "--config", "examples/aws.yaml", "--stack", "cloud", "--auto-approve"], {});
  expect(r.code).toBe(0);
  expect(r.out).toContain("deployed 'acme-prod' (aws, eu-west-1): acme-prod-aws");
  expect(r.out).toMatch(/ {2}kubeconfig_command +aws eks update-kubeconfig --region eu-west-1 --name acme-prod/);
  expect(r.out).toMatch(/ {2}cluster_name +acme-prod/);
  expect(r.out).not.toContain("eks.amazonaws.com"); // cdktf's sensitive cross-stack output
  expect(r.out).toContain("next: deploy vault, vault-config, platform");
});

test("a stack subset is applied in dependency order whatever order it was given in", () => {
  const r = run(["deploy", "--config", "examples/aws.yaml", "--stack", "platform,vault-config", "--auto-approve"]);
  expect(r.exec).toEqual(["npx cdktf synth", ...stackSteps("acme-prod-vault-config"), ...stackSteps("acme-prod-platform")]);
  expect(r.asked).toEqual([]);
});

test("the first deploy stops before Vault is initialised without asking for a Vault token", () => {
  const r = run(["deploy", "--config", "examples/aws.yaml", "--stack", "cloud,vault"], {});
  expect(r.code).toBe(0);
  expect(r.exec).toEqual(["npx cdktf synth", ...stackSteps("acme-prod-aws"), ...stackSteps("acme-prod-vault")]);
});

test("a plan the operator does not approve is not applied, nor anything after it", () => {
  const r = run(["deploy", "--config", "examples/aws.yaml", "--stack", "cloud,vault"], {}, AWS_READY, { approve: false });
  expect(r.code).toBe(1);
  expect(r.exec.filter((c) => c.startsWith("terraform apply"))).toEqual([]);
  expect(r.err).toContain("acme-prod-aws: not applied (not approved)");
});

describe("replacement guard in npm run deploy", () => {
  const REPLACE = JSON.stringify({
    format_version: "1.2",
    prior_state: { values: { root_module: { resources: [{}] } } },
    resource_changes: [{ address: "aws_eks_cluster.Cluster_EB0386A7", mode: "managed", type: "aws_eks_cluster", action_reason: "replace_because_cannot_update",
      change: { actions: ["delete", "create"], replace_paths: [["vpc_config", 0, "subnet_ids"]] } }],
  });
  test("a plan that replaces a stateful resource is refused before apply, naming it and the attribute", () => {
    const r = run(["deploy", "--config", "examples/aws.yaml", "--stack", "cloud", "--auto-approve"], {}, AWS_READY, { plan: REPLACE });
    expect(r.code).toBe(1);
    expect(r.exec.filter((c) => c.startsWith("terraform apply"))).toEqual([]);
    expect(r.err).toContain("REFUSE aws_eks_cluster.Cluster_EB0386A7 (the Kubernetes cluster and everything in it) would be REPLACED (destroyed, then created): attribute vpc_config[0].subnet_ids cannot change in place (forces replacement)");
    expect(r.err).toContain("--allow-replace <address>");
  });
  test("an explicit per-resource acknowledgement on the command line lets exactly that resource through", () => {
    const r = run(["deploy", "--config", "examples/aws.yaml", "--stack", "cloud", "--auto-approve", "--allow-replace", "aws_eks_cluster.Cluster_EB0386A7"], {}, AWS_READY, { plan: REPLACE });
    expect(r.code).toBe(0);
    expect(r.exec).toContain("terraform apply -input=false <plans>/acme-prod-aws.tfplan");
    expect(r.out).toContain("; acknowledged");
  });
  test("an acknowledgement of another resource does not", () => {
    const r = run(["deploy", "--config", "examples/aws.yaml", "--stack", "cloud", "--auto-approve", "--allow-replace", "aws_s3_bucket.Data_666C94C7"], {}, AWS_READY, { plan: REPLACE });
    expect(r.code).toBe(1);
  });
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

test("a failed diff names the stack; it mentions undeployed upstream changes only as a possibility, and only for stacks that have upstreams", () => {
  const check = fakeRunner(AWS_READY);
  const err: string[] = [];
  const failing = fakeRunner({ "npx cdktf synth": {}, "npx cdktf diff acme-prod-aws": { code: 1 }, "npx cdktf diff acme-prod-vault": { code: 1 } });
  expect(main(["diff", "--config", "examples/aws.yaml", "--stack", "cloud"], {}, check, failing, { log: () => undefined, error: (l) => err.push(l) })).toBe(1);
  expect(err.join("\n")).toBe("diff of acme-prod-aws failed (terraform's message is above).");
  err.length = 0;
  expect(main(["diff", "--config", "examples/aws.yaml", "--stack", "vault"], {}, check, failing, { log: () => undefined, error: (l) => err.push(l) })).toBe(1);
  expect(err.join("\n")).toMatch(/^diff of acme-prod-vault failed \(terraform's message is above\)\. If it says an output or a state of acme-prod-aws is missing/);
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

describe("AWS PrivateLink: the cloud stack once more after the platform stack", () => {
  // examples/aws-estate.yaml has domain.privateLink: its endpoint service needs the NLB the platform stack's
  // Service makes, so a full deploy plans the cloud stack again at the end (planned, guarded, approved as any).
  const ids = ["acme-estate-aws", "acme-estate-vault", "acme-estate-vault-config", "acme-estate-platform"];
  // The example's private hosted zone, as `aws route53 get-hosted-zone` / `list-resource-record-sets` print it (preflight reads it).
  const ZONE = {
    ...AWS_READY,
    "aws route53 get-hosted-zone": { stdout: JSON.stringify({ HostedZone: { Id: "/hostedzone/Z0123456789ABCDEFGHIJ", Name: "acme.example.com.", Config: { PrivateZone: true } }, VPCs: [{ VPCRegion: "eu-west-1", VPCId: "vpc-0a1b2c3d4e5f60718" }] }) },
    "aws route53 list-resource-record-sets": { stdout: JSON.stringify({ ResourceRecordSets: [{ Name: "acme.example.com.", Type: "SOA" }, { Name: "acme.example.com.", Type: "NS" }] }) },
  };
  const again = [
    "terraform init -input=false",
    "terraform plan -input=false -detailed-exitcode -out=<plans>/acme-estate-aws.again.tfplan",
    "terraform apply -input=false <plans>/acme-estate-aws.again.tfplan",
  ];
  test("a full deploy ends with a second pass of the cloud stack, asked for like the others", () => {
    const r = run(["deploy", "--config", "examples/aws-estate.yaml"], VAULT_ENV, ZONE);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.exec).toEqual(["npx cdktf synth", ...ids.flatMap(stackSteps), ...again]);
    expect(r.asked.at(-1)).toBe('Apply this plan to acme-estate-aws? Only "yes" applies: ');
    expect(r.out).toContain("== acme-estate-aws, again: the VPC endpoint service on the entry point's NLB");
  });
  test("not without the platform stack in the run, not without privateLink", () => {
    expect(run(["deploy", "--config", "examples/aws-estate.yaml", "--stack", "cloud,vault"], {}, ZONE).exec).toEqual(["npx cdktf synth", ...ids.slice(0, 2).flatMap(stackSteps)]);
    expect(run(["deploy", "--config", "examples/aws.yaml"]).exec.filter((c) => c.includes(".again."))).toEqual([]);
  });
});
