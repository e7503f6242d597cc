import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { DEFAULT_DEPLOYMENT } from "../../config/default";
import { runMain } from "../support/helpers";

// Each malformed deployment runs through the real entry point, as a user's would: it must exit 1,
// name the field and the fix, show no stack trace, and leave no output directory behind.

const base = DEFAULT_DEPLOYMENT as Record<string, unknown>;
const yaml = (over: Record<string, unknown>) => stringify({ ...base, ...over });

interface Case {
  readonly name: string;
  readonly text: string;
  /** Fragments the error output must contain: the field path and the fix. */
  readonly expect: readonly string[];
}

const CASES: readonly Case[] = [
  { name: "control plane open to the world", text: yaml({ controlPlane: { adminCidrs: ["0.0.0.0/0"] } }),
    expect: ["controlPlane.adminCidrs[0]", "a /0 opens the Kubernetes API", '"0.0.0.0/0"'] },
  { name: "admin CIDR that is not a CIDR", text: yaml({ controlPlane: { adminCidrs: ["10.1.2.3"] } }),
    expect: ["controlPlane.adminCidrs[0]", "must be an IPv4 CIDR"] },
  { name: "admin CIDR with host bits set", text: yaml({ controlPlane: { adminCidrs: ["203.0.113.7/24"] } }),
    expect: ["controlPlane.adminCidrs[0]", "no host bits set"] },
  { name: "admin CIDR inside the cluster's own network", text: yaml({ controlPlane: { adminCidrs: ["10.40.8.0/24"] } }),
    expect: ["controlPlane.adminCidrs[0]", "overlaps the cluster's own network.cidr"] },
  { name: "no admin CIDR at all", text: yaml({ controlPlane: { adminCidrs: [] } }),
    expect: ["controlPlane.adminCidrs", "list at least one admin CIDR"] },
  { name: "misspelled field", text: yaml({ regoin: "eu-west-1" }),
    expect: ["regoin: unknown field", "allowed here:", "region"] },
  { name: "misspelled nested field", text: yaml({ dataProtection: { allowDestory: true } }),
    expect: ["dataProtection.allowDestory: unknown field", "allowDestroy"] },
  { name: "name that is not a DNS label", text: yaml({ name: "Acme_Prod" }),
    expect: ["name:", "lowercase letters, digits and '-'", '"Acme_Prod"'] },
  { name: "unknown cloud", text: yaml({ cloud: "oracle" }),
    expect: ["cloud:", "must be one of aws, azure, gcp"] },
  { name: "region of another cloud", text: yaml({ region: "westeurope" }),
    expect: ["region:", "must be a region of aws, e.g. eu-west-1"] },
  { name: "overlapping pod and node ranges", text: yaml({ network: { cidr: "10.96.0.0/16" } }),
    expect: ["network.podCidr", "overlaps network.cidr"] },
  { name: "node pool too small for three zones", text: yaml({ nodePools: [{ name: "general", count: 1, machineType: "m6i.large" }] }),
    expect: ["nodePools[0].count", "at least 3"] },
  { name: "unknown state backend", text: yaml({ state: { backend: "consul" } }),
    expect: ["state.backend", "must be one of local, s3, azurerm, gcs"] },
  { name: "azure deployment without its section", text: yaml({ cloud: "azure", region: "westeurope" }),
    expect: ["azure:", "required when cloud is azure"] },
  { name: "SAML metadata over plain HTTP", text: yaml({ saml: { idpMetadataUrl: "http://idp.example.com/metadata" } }),
    expect: ["saml.idpMetadataUrl", "https://"] },
  { name: "not YAML at all", text: "name: [unclosed\n", expect: ["not valid YAML/JSON"] },
  { name: "a key given twice", text: "name: a1\nname: b2\n", expect: ["key 'name' is given twice in one mapping at line 2", "keep one"] },
  { name: "a list instead of a mapping", text: "- name: demo\n", expect: ["must hold one mapping"] },
];

// Each case starts a process (~1 s alone, several seconds on a loaded 2-core machine).
const SPAWN_TIMEOUT_MS = 60_000;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "malformed-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test(`at least 10 distinct malformed configs are covered (${CASES.length})`, () => {
  expect(new Set(CASES.map((c) => c.text)).size).toBe(CASES.length);
  expect(CASES.length).toBeGreaterThanOrEqual(10);
});

// Concurrent: each case is its own process; jest runs up to `maxConcurrency` at once.
test.concurrent.each(CASES.map((c, i) => [c.name, c, i] as const))(
  "%s: exits 1 naming the field and the fix, with no stack trace and no output",
  async (_name, c, i) => {
    const cwd = path.join(dir, `case-${i}`);
    mkdirSync(cwd);
    const file = path.join(cwd, "deployment.yaml");
    writeFileSync(file, c.text);
    const run = await runMain(["--config", file], cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("invalid deployment config");
    for (const fragment of c.expect) expect(run.stderr).toContain(fragment);
    expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack frames
    expect(existsSync(path.join(cwd, "cdktf.out"))).toBe(false);
  },
  SPAWN_TIMEOUT_MS,
);

test("a missing file is named with its resolved path", async () => {
  const cwd = mkdtempSync(path.join(dir, "missing-"));
  const run = await runMain(["--config", "nope.yaml"], cwd);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("nope.yaml");
  expect(run.stderr).toContain("no such file");
  expect(existsSync(path.join(cwd, "cdktf.out"))).toBe(false);
}, SPAWN_TIMEOUT_MS);

test("DEPLOYMENT_CONFIG is read when --config is absent", async () => {
  const cwd = mkdtempSync(path.join(dir, "env-"));
  writeFileSync(path.join(cwd, "d.yaml"), yaml({ name: "Bad Name" }));
  const run = await runMain([], cwd, { DEPLOYMENT_CONFIG: "d.yaml" });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("d.yaml: invalid deployment config");
}, SPAWN_TIMEOUT_MS);
