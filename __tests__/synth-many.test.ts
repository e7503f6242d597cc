import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { loadDeployment, readConfigFile } from "../config/load";
import { runnerZoneLink } from "../app/synth-many";
import { synthesizedStacks } from "./support/deployments";
import { ROOT, runMain, type MainRun } from "./support/helpers";

// `npm run synth -- --all <dir>` / several `--config`: many deployments in one process, a folder each.
// What one bad deployment does to the others, and command-line mistakes.

const work = mkdtempSync(path.join(tmpdir(), "synth-many-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SPAWN_MS = 120_000;
const azureRunner = () => (readConfigFile(path.join(ROOT, "examples", "azure.yaml")) as { azure: { runnerNetwork: { virtualNetworkId: string } } }).azure.runnerNetwork.virtualNetworkId;
const noStackTrace = (r: MainRun) => expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);

/** An example under another name, as a file that stands alone (its IdP metadata read in). */
function deploymentFile(dir: string, file: string, cloud: "aws" | "azure" | "gcp", changes: Record<string, unknown>): string {
  const raw = readConfigFile(path.join(ROOT, "examples", `${cloud}.yaml`)) as Record<string, unknown>;
  mkdirSync(dir, { recursive: true });
  const full = path.join(dir, file);
  writeFileSync(full, stringify({ ...raw, ...changes }));
  return full;
}

describe("a bad deployment among good ones", () => {
  const dir = path.join(work, "deployments");
  let run: MainRun;
  beforeAll(async () => {
    deploymentFile(dir, "a-good.yaml", "gcp", { name: "team-a" });
    deploymentFile(dir, "b-bad.yaml", "aws", { name: "team-b", region: "mars-1" });
    deploymentFile(dir, "c-same-name.yaml", "azure", { name: "team-a" });
    deploymentFile(dir, "d-good.yaml", "azure", { name: "team-d" });
    writeFileSync(path.join(dir, "notes.txt"), "not a deployment");
    // A previous output of the bad one: removed, so nothing stale can be deployed.
    mkdirSync(path.join(work, "out", "b-bad", "stacks"), { recursive: true });
    run = await runMain(["--all", "deployments", "--out", "out"], work);
  }, SPAWN_MS);

  test("the exit status is 1", () => expect(run.code).toBe(1));

  test("each problem is reported with its file's name, without a stack trace", () => {
    expect(run.stderr).toMatch(/^deployments\/b-bad\.yaml: invalid deployment config \(1 problem\):\n {2}- region: .*mars-1/m);
    expect(run.stderr).toMatch(/^deployments\/c-same-name\.yaml: invalid deployment config \(1 problem\):\n {2}- name: 'team-a' is also the name of deployments\/a-good\.yaml; a name owns one set of state, rename one$/m);
    noStackTrace(run);
  });

  test("the good ones are synthesized, each into its own folder with its own policy report", () => {
    expect(readdirSync(path.join(work, "out")).sort()).toEqual(["a-good", "d-good"]);
    for (const [folder, name, cloud] of [["a-good", "team-a", "gcp"], ["d-good", "team-d", "azure"]]) {
      expect(readdirSync(path.join(work, "out", folder, "stacks")).sort()).toEqual([`${name}-${cloud}`, `${name}-platform`, `${name}-vault`, `${name}-vault-config`].sort());
      const report = JSON.parse(readFileSync(path.join(work, "out", folder, "policy-report.json"), "utf8")) as { summary: { stacks: number; failed: number } };
      expect(report.summary).toMatchObject({ stacks: 4, failed: 0 });
      expect(run.stdout).toContain(`(report: out/${folder}/policy-report.json)`);
    }
    // No lock, staging or old directory is left behind.
    expect(readdirSync(work).filter((f) => f.startsWith(".") || f.endsWith(".lock"))).toEqual([]);
  });

  test("the summary table has one row per file, in order, and the totals", () => {
    const table = run.stdout.slice(run.stdout.indexOf("deployment  "));
    const rows = table.split("\n").filter((l) => l.trim() !== "");
    expect(rows[0]).toMatch(/^deployment +file +cloud +stacks +resources +policy +time +result$/);
    expect(rows[1]).toMatch(/^team-a +deployments\/a-good\.yaml +gcp +4 +\d+ +0 failed, \d+ suppressed +\d+\.\d\d s +ok: out\/a-good\/$/);
    expect(rows[2]).toMatch(/^- +deployments\/b-bad\.yaml +- +- +- +- +\d+\.\d\d s +invalid config$/);
    expect(rows[3]).toMatch(/^team-a +deployments\/c-same-name\.yaml +azure +- +- +- +\d+\.\d\d s +invalid config$/);
    expect(rows[4]).toMatch(/^team-d +deployments\/d-good\.yaml +azure +4 +\d+ +0 failed, \d+ suppressed +\d+\.\d\d s +ok: out\/d-good\/$/);
    expect(rows[5]).toMatch(/^4 deployment\(s\) in [\d.]+ s, peak memory \d+ MB: 2 synthesized, 2 failed$/);
  });
});

describe("two Azure deployments that would link their own Key Vault zone to one runner VNet", () => {
  const dir = path.join(work, "runners");
  let run: MainRun;
  beforeAll(async () => {
    const azure = readConfigFile(path.join(ROOT, "examples", "azure.yaml")) as { azure: { runnerNetwork: { virtualNetworkId: string } } };
    const own = azure.azure.runnerNetwork.virtualNetworkId.replace(/contoso-runners$/, "team-g-runners");
    deploymentFile(dir, "e-first.yaml", "azure", { name: "team-e" });
    deploymentFile(dir, "f-same-runner.yaml", "azure", { name: "team-f" });
    deploymentFile(dir, "g-own-runner.yaml", "azure", { name: "team-g", azure: { ...azure.azure, runnerNetwork: { ...azure.azure.runnerNetwork, virtualNetworkId: own } } });
    run = await runMain(["--all", "runners", "--out", "runners-out"], work);
  }, SPAWN_MS);

  test("the second is refused with the field and the fix, the others synthesize", () => {
    expect(run.code).toBe(1);
    const runner = azureRunner();
    expect(run.stderr).toContain(`runners/f-same-runner.yaml: invalid deployment config (1 problem):\n  - azure.runnerNetwork.virtualNetworkId: ${runner.toLowerCase()} is also the runner VNet of runners/e-first.yaml;`);
    expect(run.stderr).toContain("give it a runner VNet of its own");
    noStackTrace(run);
    expect(readdirSync(path.join(work, "runners-out")).sort()).toEqual(["e-first", "g-own-runner"]);
  });

  test("the check holds for what the stacks synthesize: a deployment links its own vault zone to the runner VNet exactly when runnerZoneLink names it", () => {
    for (const folder of ["e-first", "g-own-runner"]) {
      const stacks = path.join(work, "runners-out", folder, "stacks");
      const cloud = readdirSync(stacks).find((s) => s.endsWith("-azure"))!;
      const tf = JSON.parse(readFileSync(path.join(stacks, cloud, "cdk.tf.json"), "utf8")) as { resource: Record<string, Record<string, Record<string, unknown>>> };
      const d = loadDeployment(["--config", path.join(dir, `${folder}.yaml`)], {});
      const links = Object.values(tf.resource.azurerm_private_dns_zone_virtual_network_link ?? {}).filter((l) => String(l.virtual_network_id).toLowerCase() === d.azure!.runnerNetwork.virtualNetworkId.toLowerCase());
      expect(links.length).toBe(1);
      expect(runnerZoneLink(d)).toBe(d.azure!.runnerNetwork.virtualNetworkId.toLowerCase());
    }
    // With the estate's vault zone named, the stack links none, and nothing is claimed.
    const estate = loadDeployment(["--config", path.join(ROOT, "examples", "azure-estate.yaml")], {});
    expect(estate.azure!.existingNetwork!.privateDnsZones!.vault).toBeDefined();
    expect(runnerZoneLink(estate)).toBeUndefined();
    const estateCloud = Object.entries(synthesizedStacks("examples-azure-estate")).find(([id]) => id.endsWith("-azure"))![1] as unknown as { resource: Record<string, Record<string, Record<string, unknown>>> };
    expect(Object.values(estateCloud.resource.azurerm_private_dns_zone_virtual_network_link ?? {}).filter((l) => String(l.virtual_network_id).toLowerCase() === estate.azure!.runnerNetwork.virtualNetworkId.toLowerCase())).toEqual([]);
  });
});

test("--config given several times synthesizes each into <out>/<file name>/ (default cdktf.all)", async () => {
  const cwd = path.join(work, "configs");
  const a = deploymentFile(cwd, "x.yaml", "aws", { name: "team-x" });
  const b = deploymentFile(path.join(cwd, "more"), "y.json", "gcp", { name: "team-y" });
  const r = await runMain(["--config", a, `--config=${b}`], cwd);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(readdirSync(path.join(cwd, "cdktf.all")).sort()).toEqual(["x", "y"]);
  expect(existsSync(path.join(cwd, "cdktf.all", "x", "stacks", "team-x-aws", "cdk.tf.json"))).toBe(true);
  expect(existsSync(path.join(cwd, "cdktf.out"))).toBe(false);
}, SPAWN_MS);

describe("command-line mistakes: exit 2 with the usage, nothing written", () => {
  const cases: [string, (cwd: string) => string[], RegExp][] = [
    ["a missing directory", () => ["--all", "nowhere"], /^--all nowhere: no such directory \(resolved to .*nowhere\)$/m],
    ["a directory without deployment files", (cwd) => (mkdirSync(path.join(cwd, "empty")), ["--all", "empty"]), /^--all empty: the directory holds no deployment files \(\.yaml, \.yml, \.json\)$/m],
    [
      "two files that would share a folder",
      (cwd) => [deploymentFile(path.join(cwd, "one"), "p.yaml", "gcp", { name: "p-one" }), deploymentFile(path.join(cwd, "two"), "p.yml", "gcp", { name: "p-two" })].flatMap((f) => ["--config", f]),
      /one\/p\.yaml and .*two\/p\.yml would both be written to <out>\/p\/; rename one file/,
    ],
    ["--out with one deployment", () => ["--out", "x"], /^--out is for many deployments \(--all <dir>, or --config given several times\)/m],
    ["--all without a directory", () => ["--all"], /^--all needs a directory of deployment files, e\.g\. --all deployments$/m],
  ];
  test.concurrent.each(cases)("%s", async (name, args, message) => {
    const cwd = path.join(work, `usage-${name.replace(/\W+/g, "-")}`);
    mkdirSync(cwd, { recursive: true });
    const r = await runMain(args(cwd), cwd);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain("usage: npm run synth -- [--config <deployment.yaml>]");
    expect(r.code).toBe(2);
    noStackTrace(r);
    expect(existsSync(path.join(cwd, "cdktf.all")) || existsSync(path.join(cwd, "cdktf.out"))).toBe(false);
  }, SPAWN_MS);
});
