import { readFileSync } from "node:fs";
import * as path from "node:path";
import { synthesizedStacks } from "../support/deployments";
import { CLOUD_KMS_FACTS, GKE_NODE_POOL_FACTS } from "../../constructs/gcp/gke-facts";

// The synthesized GCP stack (main.ts, examples/gcp.yaml) held against GKE, Cloud KMS and google-provider facts.

type Block = Record<string, unknown>;
const json = synthesizedStacks("examples-gcp")["globex-prod-gcp"] as { resource: Record<string, Record<string, Block>> };
const pools = Object.values(json.resource.google_container_node_pool);

test("a machine type or disk change updates the pool in place under a surge that never removes a node first", () => {
  expect(pools.length).toBeGreaterThan(0);
  for (const pool of pools) {
    // What a size change touches is in node_config and updates in place (GKE_NODE_POOL_FACTS.sizeUpdatesInPlace).
    for (const attr of GKE_NODE_POOL_FACTS.sizeUpdatesInPlace.value) expect((pool.node_config as Block)[attr.split(".")[1]]).toBeDefined();
    expect(pool.upgrade_settings).toEqual({ strategy: "SURGE", max_surge: GKE_NODE_POOL_FACTS.surgeRespectsPdb.value.maxSurge, max_unavailable: GKE_NODE_POOL_FACTS.surgeRespectsPdb.value.maxUnavailable });
    // The name (ForceNew) is the config's, stable; the zones are fixed at creation.
    expect(pool).not.toHaveProperty("name_prefix");
    expect(pool.lifecycle).toEqual({ ignore_changes: ["node_locations"] });
  }
});

test("destroyed key versions stay restorable for the maximum Cloud KMS allows, and docs/gcp.md says the same", () => {
  const days = Object.values(json.resource.google_kms_crypto_key).map((k) => Number(String(k.destroy_scheduled_duration).replace(/s$/, "")) / 86_400);
  expect(days).toEqual(days.map(() => CLOUD_KMS_FACTS.destroyScheduledDays.value.max));
  const doc = readFileSync(path.join(__dirname, "..", "..", "docs", "gcp.md"), "utf8");
  expect(doc).not.toMatch(/restorable for 30 days|after 30 days\)/);
  expect(doc).toContain(`${CLOUD_KMS_FACTS.destroyScheduledDays.value.max} days`);
});
