import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync as write } from "node:fs";
import * as os from "node:os";
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

describe("the pinned zones, applied by the real terraform (terraform_data is built in: no provider needed)", () => {
  const [pinId, pin] = Object.entries(json.resource.terraform_data).find(([k]) => k.startsWith("PinnedZones"))!;
  const live = "data.google_compute_zones.Zones.names";
  /** The stack's pin as it is, fed from a local instead of the data source, and its stored names as an output. */
  const config = (zones: string[]) => ({
    locals: { live: zones },
    resource: { terraform_data: { [pinId]: { input: JSON.parse(JSON.stringify(pin.input).split(live).join("local.live")), lifecycle: pin.lifecycle } } },
    output: { names: { value: `\${terraform_data.${pinId}.output.names}` } },
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), "pin-"));
  const tf = (...args: string[]) => spawnSync("terraform", args, { cwd: dir, encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" } });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("stored at the first apply; a zone leaving the live list changes nothing; fewer than three at the first apply is refused", () => {
    if (tf("version").error) throw new Error("terraform is not on the PATH (install terraform 1.11)");
    write(path.join(dir, "main.tf.json"), JSON.stringify(config(["europe-west1-b", "europe-west1-c", "europe-west1-d"])));
    expect(tf("init", "-input=false", "-no-color").status).toBe(0);
    expect(tf("apply", "-auto-approve", "-input=false", "-no-color").status).toBe(0);
    write(path.join(dir, "main.tf.json"), JSON.stringify(config(["europe-west1-c", "europe-west1-d"])));
    const plan = tf("plan", "-detailed-exitcode", "-input=false", "-no-color");
    expect([plan.status, plan.stdout]).toEqual([0, expect.stringContaining("No changes")]);
    expect(tf("apply", "-auto-approve", "-input=false", "-no-color").status).toBe(0);
    expect(JSON.parse(tf("output", "-json", "names").stdout)).toEqual(["europe-west1-b", "europe-west1-c", "europe-west1-d"]);
    // A new deployment in a region with two zones: the apply fails with the pin's message, nothing wraps around.
    rmSync(path.join(dir, "terraform.tfstate"), { force: true });
    const refused = tf("apply", "-auto-approve", "-input=false", "-no-color");
    expect(refused.status).toBe(1);
    expect(refused.stderr.replace(/\s+/g, " ")).toContain("this region offers fewer than 3 zones in google_compute_zones");
  });
});
