import { Policy } from "../../policy";
import { ALL_RULES, RULE_PACKS } from "../../policy/rules";
import type { Finding } from "../../policy/types";
import { AWS_FIXTURES } from "./fixtures/aws";
import { AZURE_FIXTURES } from "./fixtures/azure";
import { GCP_FIXTURES } from "./fixtures/gcp";
import { KUBERNETES_FIXTURES } from "./fixtures/kubernetes";
import { VAULT_FIXTURES } from "./fixtures/vault";
import { GENERIC_FIXTURES } from "./fixtures/generic";
import { FIXTURE_REASON, findingsOf, newStack, type PackFixtures } from "./fixtures/harness";

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
  let baseline: Finding[];

  beforeAll(() => {
    const { app, stack } = newStack();
    fixtures.baseline(stack);
    baseline = findingsOf(app);
  });

  test("the pack has rules", () => {
    expect(rules.length).toBeGreaterThan(0);
  });

  test("every rule of the pack has a non-compliant fixture", () => {
    expect(Object.keys(fixtures.breaks).sort()).toEqual(rules.map((r) => r.id).sort());
  });

  test("the baseline (compliant fixture) has no failure at all", () => {
    expect(baseline.filter((f) => f.status !== "pass").map((f) => `${f.ruleId} ${f.address}: ${f.problems.join("; ")}`)).toEqual([]);
  });

  describe.each(rules.map((r) => [r.id] as const))("%s", (id) => {
    test("passes on the compliant fixture", () => {
      expect(failed(baseline, id)).toEqual([]);
      if (!fixtures.absentInBaseline?.includes(id)) expect(baseline.some((f) => f.ruleId === id && f.status === "pass")).toBe(true);
    });

    test("fails on the non-compliant fixture", () => {
      const { app, stack } = newStack();
      const target = fixtures.breaks[id](fixtures.baseline(stack), stack);
      const fails = failed(findingsOf(app), id);
      expect(fails.length).toBeGreaterThan(0);
      for (const f of fails) expect(f.path.startsWith(target.node.path)).toBe(true);
    });

    test("is reported as suppressed when suppressed on the construct", () => {
      const { app, stack } = newStack();
      const target = fixtures.breaks[id](fixtures.baseline(stack), stack);
      Policy.suppress(target, [{ id, reason: FIXTURE_REASON }]);
      const fs = findingsOf(app);
      expect(failed(fs, id)).toEqual([]);
      expect(fs.filter((f) => f.ruleId === id && f.status === "suppressed").map((f) => f.reason)).toContain(FIXTURE_REASON);
    });
  });
});
