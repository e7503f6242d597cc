import { TerraformStack, Testing } from "cdktf";
import { Policy } from "../../policy";
import { ALL_RULES, RULE_PACKS } from "../../policy/rules";
import type { Finding } from "../../policy/types";
import { AWS_FIXTURES } from "./fixtures/aws";
import { AZURE_FIXTURES } from "./fixtures/azure";
import { GCP_FIXTURES } from "./fixtures/gcp";
import { KUBERNETES_FIXTURES } from "./fixtures/kubernetes";
import { VAULT_FIXTURES } from "./fixtures/vault";
import { GENERIC_FIXTURES } from "./fixtures/generic";
import { FIXTURE_REASON, findingsOf, type PackFixtures } from "./fixtures/harness";

// Every rule: compliant fixture (the pack's baseline), non-compliant fixture (one mutation),
// suppressed fixture (the same mutation plus a suppression on the returned construct).
const PACKS: Record<string, PackFixtures<unknown>> = {
  AWS: AWS_FIXTURES as unknown as PackFixtures<unknown>,
  AZ: AZURE_FIXTURES as unknown as PackFixtures<unknown>,
  GCP: GCP_FIXTURES as unknown as PackFixtures<unknown>,
  K8S: KUBERNETES_FIXTURES as unknown as PackFixtures<unknown>,
  VAULT: VAULT_FIXTURES as unknown as PackFixtures<unknown>,
  GEN: GENERIC_FIXTURES as unknown as PackFixtures<unknown>,
};

test("every rule pack has fixtures", () => {
  expect(Object.keys(PACKS).sort()).toEqual(Object.keys(RULE_PACKS).sort());
});

const failed = (fs: Finding[], id: string) => fs.filter((f) => f.ruleId === id && f.status === "fail");

describe.each(Object.entries(PACKS))("rule pack %s", (pack, fixtures) => {
  const rules = ALL_RULES.filter((r) => r.id.startsWith(`${pack}-`));
  // One app per pack: the baseline, and per rule its non-compliant and its suppressed fixture, each in
  // its own stack (a finding names its stack), so the policy runs once over the whole pack.
  let baseline: Finding[];
  const broken: Record<string, { findings: Finding[]; targetPath: string }> = {};
  const suppressed: Record<string, Finding[]> = {};

  beforeAll(() => {
    const app = Testing.app();
    fixtures.baseline(new TerraformStack(app, "baseline"));
    const targets: Record<string, string> = {};
    for (const { id } of rules) {
      const brokenStack = new TerraformStack(app, `broken-${id}`);
      targets[id] = fixtures.breaks[id](fixtures.baseline(brokenStack), brokenStack).node.path;
      const suppressedStack = new TerraformStack(app, `suppressed-${id}`);
      const suppressedTarget = fixtures.breaks[id](fixtures.baseline(suppressedStack), suppressedStack);
      Policy.suppress(suppressedTarget, [{ id, reason: FIXTURE_REASON }]);
    }
    const all = findingsOf(app);
    const ofStack = (stack: string) => all.filter((f) => f.stack === stack);
    baseline = ofStack("baseline");
    for (const { id } of rules) {
      broken[id] = { findings: ofStack(`broken-${id}`), targetPath: targets[id] };
      suppressed[id] = ofStack(`suppressed-${id}`);
    }
  });

  test("the pack has rules", () => {
    expect(rules.length).toBeGreaterThan(0);
  });

  test("every rule of the pack has a non-compliant fixture", () => {
    expect(Object.keys(fixtures.breaks).sort()).toEqual(rules.map((r) => r.id).sort());
  });

  test("the baseline (compliant fixture) has no failure at all, and no suppression but the declared ones", () => {
    expect(baseline.length).toBeGreaterThan(0);
    const declared = new Set(fixtures.suppressedInBaseline ?? []);
    expect(baseline.filter((f) => f.status !== "pass" && !(f.status === "suppressed" && declared.has(f.ruleId))).map((f) => `${f.ruleId} ${f.address}: ${f.problems.join("; ")}`)).toEqual([]);
    for (const id of declared) expect(baseline.some((f) => f.ruleId === id && f.status === "suppressed")).toBe(true);
  });

  describe.each(rules.map((r) => [r.id] as const))("%s", (id) => {
    test("passes on the compliant fixture", () => {
      expect(failed(baseline, id)).toEqual([]);
      if (!fixtures.absentInBaseline?.includes(id)) expect(baseline.some((f) => f.ruleId === id && f.status === "pass")).toBe(true);
    });

    test("fails on the non-compliant fixture", () => {
      const fails = failed(broken[id].findings, id);
      expect(fails.length).toBeGreaterThan(0);
      for (const f of fails) expect(f.path.startsWith(broken[id].targetPath)).toBe(true);
    });

    test("is reported as suppressed when suppressed on the construct", () => {
      expect(failed(suppressed[id], id)).toEqual([]);
      expect(suppressed[id].filter((f) => f.ruleId === id && f.status === "suppressed").map((f) => f.reason)).toContain(FIXTURE_REASON);
    });
  });
});
