import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ELASTICSEARCH_FACTS } from "../../constructs/kubernetes/server-config/elasticsearch-yml";
import { REPORT_ONLY_FAILURE_THRESHOLD } from "../../constructs/kubernetes/platform-pod";
import { synthesizedStacks } from "../support/deployments";
import { decodedWorkload, localize } from "./support/local-pod";
import { freePort, makeTestPki, removeDir, requireBinaries, run, startServer, tempDir, waitFor, type RunningServer } from "./support/servers";

// Elasticsearch cannot run here. Its config init container's script can: it is run as synthesized (the
// decoded ConfigMap of each shipped deployment) with sh, cp and curl on a directory standing in for the
// image's config and data directories. What Elasticsearch then does with the result is written as facts
// with their sources (ELASTICSEARCH_FACTS) and checked against the synthesized pods.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ES_HOME = "/usr/share/elasticsearch";
const PEER_URL = "https://elasticsearch-headless.metadata.svc:9200/";

let dir: string;
beforeAll(() => {
  requireBinaries(["curl", "openssl"]);
  dir = tempDir("es-config-");
});
afterAll(() => dir && removeDir(dir));

/** Runs the decoded prepare-config.sh of `deployment` in a fresh stand-in of the pod; returns the config directory it wrote. */
function prepareConfig(deployment: string, o: { joinedBefore?: boolean; peerPort?: number; env?: Record<string, string> }): { out: string; log: string; status: number | null } {
  const es = decodedWorkload(deployment, "Elasticsearch");
  const root = mkdtempSync(join(dir, "pod-"));
  // The image's own config directory (stand-in files) and the node's data volume.
  writeFile(join(root, "es/config/jvm.options"), "-XX:+UseG1GC\n");
  writeFile(join(root, "es/config/log4j2.properties"), "status = error\n");
  mkdirSync(join(root, "es/data"), { recursive: true });
  if (o.joinedBefore) mkdirSync(join(root, "es/data", ELASTICSEARCH_FACTS.clusterStateDirectory));
  for (const [name, text] of Object.entries(es.files)) writeFile(join(root, "platform", name), text);
  mkdirSync(join(root, "out"));
  const paths: [string, string][] = [
    [ES_HOME, join(root, "es")],
    ["/out/", `${join(root, "out")}/`],
    ["/out ", `${join(root, "out")} `],
    ["/platform/", `${join(root, "platform")}/`],
    // The peers' address: the test's loopback port (nothing listens on an unused one).
    [PEER_URL, `https://127.0.0.1:${o.peerPort ?? 9}/`],
  ];
  const script = localize(es.files["prepare-config.sh"], paths, [PEER_URL, "/out/", "/platform/"]);
  const r = run("sh", ["-c", script], { ...(o.env ?? {}) }, 30_000);
  return { out: join(root, "out"), log: r.out, status: r.status };
}

/** A file of a construct's ConfigMap as synthesized (references to other stacks left as `${...}`). */
function synthesizedFile(deployment: string, construct: string, file: string): string {
  const stacks = synthesizedStacks(deployment);
  const platform = stacks[Object.keys(stacks).find((id) => id.endsWith("-platform"))!] as Json;
  const [, config] = Object.entries(platform.resource.kubernetes_config_map_v1 as Record<string, Json>).find(([id]) => new RegExp(`^${construct}_Config_[0-9A-F]{8}$`).test(id))!;
  return config.data[file];
}

function writeFile(path: string, text: string): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

describe("cluster.initial_master_nodes is only for bootstrapping a new cluster (ELASTICSEARCH_FACTS.bootstrapSetting)", () => {
  test("the shipped elasticsearch.yml never carries it", () => {
    for (const key of ["default", "examples-aws", "examples-azure", "examples-gcp"]) {
      expect(parse(decodedWorkload(key, "Elasticsearch").files["elasticsearch.yml"])).not.toHaveProperty([ELASTICSEARCH_FACTS.bootstrapSetting]);
    }
  });

  test("a node that never joined a cluster, with no cluster answering, bootstraps with every node listed", () => {
    const r = prepareConfig("default", {});
    expect(r.status).toBe(0);
    const yml = parse(readFileSync(join(r.out, "elasticsearch.yml"), "utf8"));
    expect(yml[ELASTICSEARCH_FACTS.bootstrapSetting]).toEqual(["elasticsearch-0", "elasticsearch-1", "elasticsearch-2"]);
    expect(yml["xpack.security.enabled"]).toBe(true);
    // The image's own files are there too.
    expect(readFileSync(join(r.out, "jvm.options"), "utf8")).toBe("-XX:+UseG1GC\n");
  });

  test("a node whose data holds a cluster state (a restart) starts without it", () => {
    const r = prepareConfig("default", { joinedBefore: true });
    expect(r.status).toBe(0);
    expect(r.log).toMatch(/joined a cluster before/);
    expect(parse(readFileSync(join(r.out, "elasticsearch.yml"), "utf8"))).not.toHaveProperty([ELASTICSEARCH_FACTS.bootstrapSetting]);
  });

  test("a new node (a replaced volume) joining a cluster that answers starts without it", async () => {
    const tls = join(dir, "tls");
    mkdirSync(tls);
    const pki = makeTestPki(tls);
    const port = await freePort();
    // A TLS listener answering HTTP, as a running node does (it answers 401 to an anonymous request).
    const peer: RunningServer = startServer("openssl", ["s_server", "-accept", `127.0.0.1:${port}`, "-cert", pki.serverCert, "-key", pki.serverKey, "-www", "-quiet"]);
    try {
      await waitFor("the stand-in node to listen", () => run("curl", ["-sk", "-o", "/dev/null", "--max-time", "2", `https://127.0.0.1:${port}/`]).status === 0, 15_000);
      const r = prepareConfig("default", { peerPort: port });
      expect(r.status).toBe(0);
      expect(r.log).toMatch(/a node of the cluster answers/);
      expect(parse(readFileSync(join(r.out, "elasticsearch.yml"), "utf8"))).not.toHaveProperty([ELASTICSEARCH_FACTS.bootstrapSetting]);
    } finally {
      await peer.stop();
    }
  });
});

describe("the snapshot repository's credentials come from the pod's workload identity", () => {
  test("AWS: the web-identity token the EKS webhook mounts is linked where the S3 repository reads it (ELASTICSEARCH_FACTS.s3WebIdentityTokenLink)", () => {
    const token = join(dir, "eks-token");
    writeFileSync(token, "a-projected-token");
    const r = prepareConfig("examples-aws", { env: { AWS_WEB_IDENTITY_TOKEN_FILE: token } });
    expect(r.status).toBe(0);
    const link = join(r.out, ELASTICSEARCH_FACTS.s3WebIdentityTokenLink);
    expect(readlinkSync(link)).toBe(token);
    expect(readFileSync(link, "utf8")).toBe("a-projected-token");
    expect(JSON.parse(synthesizedFile("examples-aws", "Elasticsearch", "repository.json"))).toMatchObject({ type: "s3", settings: { server_side_encryption: true } });
  });

  test("AWS: without a workload identity the node still starts, and says why the repository cannot authenticate", () => {
    const r = prepareConfig("examples-aws", {});
    expect(r.status).toBe(0);
    expect(r.log).toMatch(/AWS_WEB_IDENTITY_TOKEN_FILE is not set/);
    expect(existsSync(join(r.out, ELASTICSEARCH_FACTS.s3WebIdentityTokenLink))).toBe(false);
  });

  test("Azure: the storage account goes into the keystore, the federated token is linked into the config directory and AZURE_FEDERATED_TOKEN_FILE names it", () => {
    const es = decodedWorkload("examples-azure", "Elasticsearch");
    const script = es.files["prepare-config.sh"];
    expect(script).toContain(`ln -sfn "$AZURE_FEDERATED_TOKEN_FILE" /out/${ELASTICSEARCH_FACTS.azureTokenInConfig}`);
    expect(script).toContain(`printf '%s' "$PLATFORM_STORAGE_ACCOUNT" | ES_PATH_CONF=/out elasticsearch-keystore add --stdin --force ${ELASTICSEARCH_FACTS.azureAccountSetting}`);
    expect(es.containers.elasticsearch.env).toContainEqual({ name: "AZURE_FEDERATED_TOKEN_FILE", value: `${ES_HOME}/config/${ELASTICSEARCH_FACTS.azureTokenInConfig}` });
    // The account is the cloud stack's storage account (the PlatformFoundation ObjectStore's accountName), by reference.
    const stacks = synthesizedStacks("examples-azure");
    const platform = stacks[Object.keys(stacks).find((id) => id.endsWith("-platform"))!] as Json;
    const set = Object.values(platform.resource.kubernetes_stateful_set_v1 as Record<string, Json>).find((s) => s.metadata.name === "elasticsearch")!;
    const init = set.spec.template.spec.init_container.find((c: Json) => c.name === "config");
    expect(init.env.find((e: Json) => e.name === "PLATFORM_STORAGE_ACCOUNT").value).toMatch(/^\$\{data\.terraform_remote_state\.[^}]+\}$/);
    expect(JSON.parse(synthesizedFile("examples-azure", "Elasticsearch", "repository.json")).type).toBe("azure");
    // The account name is not a secret, but Elasticsearch reads it from the keystore only: never elasticsearch.yml.
    expect(es.files["elasticsearch.yml"]).not.toContain("azure.client");
  });

  test("GCP: no credential is configured; the repository uses the metadata server's workload identity (ELASTICSEARCH_FACTS.gcsCredentials)", () => {
    const es = decodedWorkload("examples-gcp", "Elasticsearch");
    const repository = JSON.parse(synthesizedFile("examples-gcp", "Elasticsearch", "repository.json"));
    expect(repository.type).toBe("gcs");
    expect(repository.settings).not.toHaveProperty("credentials_file");
    expect(es.files["prepare-config.sh"]).not.toMatch(/keystore|TOKEN_FILE/);
    const r = prepareConfig("examples-gcp", {});
    expect(r.status).toBe(0);
  });
});

test("the keystore with the elastic password is on a memory-backed volume (ELASTICSEARCH_FACTS.keystoreFile lives in the config directory)", () => {
  for (const key of ["default", "examples-azure"]) {
    const es = decodedWorkload(key, "Elasticsearch");
    const mount = es.containers.elasticsearch.volumeMounts.find((m) => m.mount_path === `${ES_HOME}/config`)!;
    const volume = es.volumes.find((v) => v.name === mount.name) as Json;
    expect(volume.empty_dir).toMatchObject({ medium: "Memory" });
    // The image's entrypoint writes ELASTIC_PASSWORD_FILE's password into config/elasticsearch.keystore.
    expect(es.containers.elasticsearch.env.map((e) => e.name)).toContain("ELASTIC_PASSWORD_FILE");
  }
});

test("no backup container gates readiness or restarts: Cassandra's and Elasticsearch's scheduled containers only report", () => {
  for (const [construct, names] of [
    ["Cassandra", ["maintenance", "uploader"]],
    ["Elasticsearch", ["register"]],
  ] as const) {
    const w = decodedWorkload("default", construct);
    for (const name of names) {
      const c = w.containers[name];
      expect([construct, name, c.readinessCommand, c.startupCommand]).toEqual([construct, name, ["test", "-f", "/run/heartbeat/started"], ["test", "-f", "/run/heartbeat/started"]]);
    }
  }
  const set = Object.values(synthesizedStacks("default")["demo-platform"].resource as Json).flatMap((byName: Json) => Object.values(byName)) as Json[];
  const scheduled = set.filter((r) => r.spec?.template?.spec?.container).flatMap((r) => r.spec.template.spec.container).filter((c: Json) => c.liveness_probe?.failure_threshold === REPORT_ONLY_FAILURE_THRESHOLD);
  expect(scheduled.map((c: Json) => c.name).sort()).toEqual(["base-backup", "maintenance", "register", "uploader", "uploader"]);
});
