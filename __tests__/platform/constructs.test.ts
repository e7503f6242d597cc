import { Testing } from "cdktf";
import { Postgresql, primaryAwareJdbcUrl } from "../../constructs/kubernetes/postgresql";
import { Redis } from "../../constructs/kubernetes/redis";
import { REPORT_ONLY_FAILURE_THRESHOLD, kvField, rcloneBucketEnv, scheduledLoop, scheduledProbes } from "../../constructs/kubernetes/platform-pod";
import { FAKE_FOUNDATION } from "../fixtures/fake-foundation";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const images = { vaultDistribution: "vault" as const };
const firstOf = (doc: Json, type: string): Json => Object.values(doc.resource[type])[0] as Json;

describe("Postgresql", () => {
  const build = (extra = {}) =>
    JSON.parse(
      Testing.synthScope((s) => {
        new Postgresql(s, "Pg", { namespace: "identity", zones: FAKE_FOUNDATION.zones, images, objectStore: FAKE_FOUNDATION.objectStore, backupIdentity: FAKE_FOUNDATION.workloadIdentities.backup, clientCidrs: ["10.96.0.0/14"], ...extra });
      }),
    );
  test("a primary and a standby on 50 GiB encrypted volumes by default, protected from destroy", () => {
    const set = firstOf(build(), "kubernetes_stateful_set_v1");
    expect(set.spec.replicas).toBe("2");
    expect(set.spec.volume_claim_template[0].spec.resources.requests.storage).toBe("50Gi");
    expect(set.lifecycle.prevent_destroy).toBe(true);
  });
  test("pg_hba lists the client ranges and loopback (for the in-pod base backup), TLS only", () => {
    const hba: string = firstOf(build(), "kubernetes_config_map_v1").data["pg_hba.conf"];
    expect(hba).toContain("hostssl    all          all          10.96.0.0/14     scram-sha-256");
    expect(hba).toContain("hostssl    replication  replicator   127.0.0.1/32     scram-sha-256");
  });
  test("replicas and volume size are props", () => {
    const set = firstOf(build({ replicas: 3, storageGiB: 200 }), "kubernetes_stateful_set_v1");
    expect([set.spec.replicas, set.spec.volume_claim_template[0].spec.resources.requests.storage]).toEqual(["3", "200Gi"]);
  });
  test("clients find the writable server among all pods, over verified TLS", () => {
    expect(primaryAwareJdbcUrl("keycloak", 2)).toBe(
      "jdbc:postgresql://postgresql-0.postgresql-headless.identity.svc:5432,postgresql-1.postgresql-headless.identity.svc:5432/keycloak?targetServerType=primary&ssl=true&sslmode=verify-full&sslrootcert=/vault/secrets/ca.crt",
    );
  });
});

describe("Redis", () => {
  test("maxmemory follows the prop and the container's memory leaves headroom above it", () => {
    const doc = JSON.parse(Testing.synthScope((s) => void new Redis(s, "R", { namespace: "cache", zones: FAKE_FOUNDATION.zones, images, maxMemoryMiB: 1024 })));
    expect(firstOf(doc, "kubernetes_config_map_v1").data["redis.conf"]).toContain("maxmemory 1024mb");
    const redis = firstOf(doc, "kubernetes_deployment_v1").spec.template.spec.container.find((c: Json) => c.name === "redis");
    expect(redis.resources.limits.memory).toBe("1152Mi");
  });
});

describe("backup helpers", () => {
  test.each([
    ["s3", { kind: "s3", dataBucket: "b", region: "eu-west-1" }, ["RCLONE_CONFIG_BUCKET_TYPE=s3", "RCLONE_CONFIG_BUCKET_SERVER_SIDE_ENCRYPTION=AES256"]],
    ["gcs", { kind: "gcs", dataBucket: "b", region: "europe-west1" }, ["RCLONE_CONFIG_BUCKET_TYPE=google cloud storage"]],
    ["azure", { kind: "azure-blob", dataBucket: "b", region: "westeurope", accountName: "acct" }, ["RCLONE_CONFIG_BUCKET_TYPE=azureblob", "RCLONE_CONFIG_BUCKET_ACCOUNT=acct"]],
  ] as const)("rclone reaches the %s bucket through the workload identity, never a key", (_kind, store, expected) => {
    const env = rcloneBucketEnv(store).map((e) => ("value" in e ? `${e.name}=${e.value}` : e.name));
    expect(env).toEqual(expect.arrayContaining([...expected, "RCLONE_CONFIG_BUCKET_ENV_AUTH=true"]));
    expect(env.join(" ")).not.toMatch(/KEY|SECRET/);
  });
  test("an Azure object store without its account name is refused", () => {
    expect(() => rcloneBucketEnv({ kind: "azure-blob", dataBucket: "b", region: "westeurope" })).toThrow(/accountName/);
  });
  test("a KV read is a Vault Agent template of the one KV v2 secret", () => {
    expect(kvField("services/cache/redis", "atlas_password")).toBe('{{ with secret "kv/data/services/cache/redis" }}{{ .Data.data.atlas_password }}{{ end }}');
    expect(kvField("services/identity/postgresql", "replication_password", { quote: "sql-literal" })).toBe(
      '{{ with secret "kv/data/services/identity/postgresql" }}{{ .Data.data.replication_password | replaceAll "\'" "\'\'" }}{{ end }}',
    );
    expect(kvField("services/metadata/elasticsearch", "atlas_password", { quote: "json-string" })).toBe('{{ with secret "kv/data/services/metadata/elasticsearch" }}{{ .Data.data.atlas_password | toJSON }}{{ end }}');
  });
  test("scheduled loops record success (ok) and failure (failing, with the round's error); backup health never gates readiness nor restarts", () => {
    const loop = scheduledLoop("  false", 60);
    expect(loop).toMatch(/if round 2>\/run\/heartbeat\/round\.log; then\n\s+touch \/run\/heartbeat\/ok && rm -f \/run\/heartbeat\/failing/);
    const probes = scheduledProbes(15);
    expect([probes.startup.check, probes.readiness.check]).toEqual([{ exec: { command: ["test", "-f", "/run/heartbeat/started"] } }, { exec: { command: ["test", "-f", "/run/heartbeat/started"] } }]);
    expect(probes.liveness.failureThreshold).toBe(REPORT_ONLY_FAILURE_THRESHOLD);
  });
});
