import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { KUBERNETES_SCHEMA_FACTS, changedPaths, plannedAction } from "../../constructs/kubernetes/provider-schema-facts";
import { buildDeployment } from "../../stacks/deployment";
import { synthesizedStacks } from "../support/deployments";

// What a user's volume resize, or a namespace rename, does to the infrastructure. The kubernetes provider
// cannot run here: its schema facts (constructs/kubernetes/provider-schema-facts.ts, from the v2.38.0 source)
// decide replace or update. What Terraform then does with prevent_destroy is Terraform's own behaviour, and
// the real terraform shows it below.

type Blocks = Record<string, Record<string, Record<string, unknown>>>;
const raw = readConfigFile("examples/aws.yaml") as DeploymentInput;

function stacksWith(overrides: Partial<DeploymentInput>): Record<string, Blocks> {
  const app = Testing.app();
  const built = buildDeployment(app, validateDeployment({ ...raw, ...overrides }, "test"));
  return Object.fromEntries(
    [built.vault, built.platform].map((s) => [s.node.id.replace(/^acme-prod-/, ""), (JSON.parse(Testing.synth(s)) as { resource: Blocks }).resource]),
  );
}

/** Every resource whose synthesized block differs, with the provider's verdict. */
function differences(before: Blocks, after: Blocks): { address: string; paths: string[]; action: string }[] {
  const out: { address: string; paths: string[]; action: string }[] = [];
  for (const type of new Set([...Object.keys(before), ...Object.keys(after)])) {
    for (const name of new Set([...Object.keys(before[type] ?? {}), ...Object.keys(after[type] ?? {})])) {
      const paths = changedPaths(before[type]?.[name], after[type]?.[name]);
      if (paths.length) out.push({ address: `${type}.${name}`, paths, action: KUBERNETES_SCHEMA_FACTS[type] ? plannedAction(type, paths) : "unknown" });
    }
  }
  return out;
}

describe("a larger volume in the config", () => {
  let base: Record<string, Blocks>;
  beforeAll(() => {
    base = stacksWith({});
  }, 120_000);

  test("changes the StatefulSet's claim template, which the provider must replace, and prevent_destroy refuses that; the WAL kept for standbys follows the size", () => {
    const grown = stacksWith({ volumes: { postgresql: { dataGiB: 100 } } } as Partial<DeploymentInput>);
    expect(differences(base.vault, grown.vault)).toEqual([]);
    const diff = differences(base.platform, grown.platform);
    expect(diff).toEqual([
      // max_slot_wal_keep_size is a fifth of the volume: the ConfigMap changes in place, and its checksum rolls the pods
      // once the StatefulSet object is recreated by `npm run volumes:resize`.
      { address: expect.stringMatching(/^kubernetes_config_map_v1\.Postgresql_Config_/), paths: ["data.postgresql.conf"], action: "unknown" },
      {
        address: expect.stringMatching(/^kubernetes_stateful_set_v1\.Postgresql_/),
        paths: ["spec.template.metadata.annotations.checksum/config", "spec.volume_claim_template.spec.resources.requests.storage"],
        action: "replace",
      },
    ]);
    const sts = Object.values(grown.platform.kubernetes_stateful_set_v1).find((s) => (s.metadata as { name: string }).name === "postgresql")!;
    expect(sts.lifecycle).toEqual({ prevent_destroy: true });
  }, 120_000);

  test("the same for Vault's audit volume, in <name>-vault", () => {
    const grown = stacksWith({ volumes: { vault: { dataGiB: 10, auditGiB: 20 } } } as Partial<DeploymentInput>);
    expect(differences(base.platform, grown.platform)).toEqual([]);
    expect(differences(base.vault, grown.vault)).toEqual([
      // The serve script keeps as many rotated audit files as fit in half the volume: its command follows the size.
      { address: expect.stringMatching(/^kubernetes_stateful_set_v1\.Vault_Workload_/), paths: ["spec.template.spec.container.command", "spec.volume_claim_template.spec.resources.requests.storage"], action: "replace" },
    ]);
  }, 120_000);
});

test("the supported path needs nothing replaced: claims grow in place, and the StorageClass allows it (an in-place attribute)", () => {
  expect(plannedAction("kubernetes_persistent_volume_claim_v1", ["spec.resources.requests.storage"])).toBe("update");
  for (const key of ["default", "examples-aws", "examples-azure", "examples-gcp"]) {
    const vault = Object.entries(synthesizedStacks(key)).find(([id]) => id.endsWith("-vault"))![1] as { resource: Blocks };
    const classes = Object.values(vault.resource.kubernetes_storage_class_v1);
    expect(classes.map((c) => c.allow_volume_expansion)).toEqual([true]);
    expect(KUBERNETES_SCHEMA_FACTS.kubernetes_storage_class_v1.updatesInPlace).toContain("allow_volume_expansion");
  }
});

test("renaming a namespace replaces it (metadata.name forces a new one), and every namespace refuses that", () => {
  const vault = Object.entries(synthesizedStacks("examples-aws")).find(([id]) => id.endsWith("-vault"))![1] as { resource: Blocks };
  const namespaces = Object.values(vault.resource.kubernetes_namespace_v1);
  expect(namespaces).toHaveLength(5);
  for (const ns of namespaces) {
    const renamed = { ...ns, metadata: { ...(ns.metadata as object), name: "renamed" } };
    expect(plannedAction("kubernetes_namespace_v1", changedPaths(ns, renamed))).toBe("replace");
    expect(plannedAction("kubernetes_namespace_v1", changedPaths(ns, { ...ns, metadata: { ...(ns.metadata as object), labels: { team: "x" } } }))).toBe("update");
    expect(ns.lifecycle).toEqual({ prevent_destroy: true });
  }
});

test("the real terraform refuses to plan a replacement of a resource with prevent_destroy (what the resize command avoids)", () => {
  // terraform_data is built into terraform 1.4+: no provider plugin needed. triggers_replace forces a replacement.
  const dir = mkdtempSync(path.join(tmpdir(), "prevent-destroy-"));
  try {
    const config = (size: string) => ({ resource: { terraform_data: { claims: { triggers_replace: [size], lifecycle: { prevent_destroy: true } } } } });
    writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config("50Gi")));
    const env = { PATH: process.env.PATH ?? "", HOME: dir, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
    const tf = (...args: string[]) => spawnSync("terraform", args, { cwd: dir, env, encoding: "utf8", timeout: 120_000 });
    expect(tf("init", "-input=false", "-no-color").status).toBe(0);
    expect(tf("apply", "-input=false", "-no-color", "-auto-approve").status).toBe(0);
    writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config("100Gi")));
    const plan = tf("plan", "-input=false", "-no-color");
    expect(plan.status).toBe(1);
    expect(plan.stderr).toMatch(/Instance cannot be destroyed/);
    expect(plan.stderr).toMatch(/lifecycle\.prevent_destroy/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
