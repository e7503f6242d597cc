import { X509Certificate, createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { DEPLOYMENTS } from "../support/deployments";
import { removeDir, tempDir } from "./support/servers";
import { bootstrapKv } from "../support/fake-vault";
import { agentPods, runAgent, vaultWorld, type AgentPod, type AgentRun } from "../support/vault-agent";

// Every Vault Agent template of every synthesized pod, the init container's and the sidecar's, parsed and
// executed by Go's own text/template with consul-template's functions and value shapes
// (support/vault-agent/main.go, sources cited there), against the Vault the vault-config stack
// configures: the pod's own Kubernetes-auth role and policy, its PKI role's name rules, the KV values
// `npm run vault:bootstrap` writes. The sidecar starts after the init container, on the files it left.
jest.setTimeout(120_000);

const certificates = (pem: string): string[] => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

interface PodRun {
  readonly pod: AgentPod;
  readonly root: string;
  readonly init: AgentRun;
  readonly sidecar: AgentRun;
}

const runs: Record<string, PodRun[]> = {};
const dirs: string[] = [];

beforeAll(() => {
  for (const d of DEPLOYMENTS) {
    const world = vaultWorld(d.key);
    const kv = bootstrapKv(d.key);
    const caDir = tempDir(`ca-${d.key}-`);
    dirs.push(caDir);
    runs[d.key] = agentPods(d.key).flatMap((pod) =>
      // The first and the last pod of each workload: per-pod names differ.
      [...new Set([0, pod.replicas - 1])].map((ordinal) => {
        const root = tempDir(`pod-${pod.name}-${ordinal}-`);
        dirs.push(root);
        const init = runAgent({ world, pod, variant: "init", ordinal, root, caDir, kv });
        const sidecar = runAgent({ world, pod, variant: "sidecar", ordinal, root, caDir, kv });
        return { pod: { ...pod, podNames: [pod.podNames[ordinal]] }, root, init, sidecar };
      }),
    );
  }
});

afterAll(() => {
  for (const d of dirs) removeDir(d);
});

test("every shipped deployment has Vault Agent pods, each with an init and a sidecar configuration", () => {
  for (const d of DEPLOYMENTS) {
    const names = new Set(runs[d.key].map((r) => r.pod.name));
    expect(`${d.key}: ${[...names].sort().join(",")}`).toBe(`${d.key}: atlas,cassandra,elasticsearch,entry-point,keycloak,postgresql,redis`);
  }
});

describe.each(DEPLOYMENTS.map((d) => d.key))("%s", (key) => {
  test("every template of the init container and of the sidecar parses and executes", () => {
    const failures = runs[key].flatMap((r) =>
      [...r.init.templates.map((t) => ({ ...t, variant: "init" })), ...r.sidecar.templates.map((t) => ({ ...t, variant: "sidecar" }))]
        .filter((t) => !t.ok)
        .map((t) => `${r.pod.podNames[0]} ${t.variant} ${t.destination}: ${t.error}`),
    );
    expect(failures).toEqual([]);
  });

  test("every file a template writes is there, not empty, and private keys are readable by the owner only", () => {
    for (const r of runs[key]) {
      for (const t of [...r.init.templates, ...r.sidecar.templates]) {
        for (const f of t.files) {
          const local = path.join(r.root, f);
          expect(`${r.pod.podNames[0]} ${f} ${existsSync(local) ? statSync(local).size > 0 : "missing"}`).toBe(`${r.pod.podNames[0]} ${f} true`);
          if (/\.key$|bundle|password|\.sql|\.cql|\.acl|\.conf|\.properties|pgpass|user\.json/.test(f)) {
            expect(`${f} ${(statSync(local).mode & 0o077).toString(8)}`).toBe(`${f} 0`);
          }
        }
      }
    }
  });

  test("after the sidecar re-renders on the init container's files, each certificate still matches its key and chains to the platform root", () => {
    for (const r of runs[key]) {
      const files = new Set([...r.init.templates, ...r.sidecar.templates].flatMap((t) => t.files));
      for (const keyFile of [...files].filter((f) => f.endsWith("/tls.key"))) {
        const dir = path.dirname(keyFile);
        const read = (f: string) => readFileSync(path.join(r.root, dir, f), "utf8");
        const chain = certificates(read("tls.crt"));
        expect(chain.length).toBeGreaterThanOrEqual(2);
        const leaf = new X509Certificate(chain[0]);
        const keyPem = read("tls.key");
        expect(`${r.pod.podNames[0]} ${dir}/tls.key: ${keyPem.length > 0}`).toBe(`${r.pod.podNames[0]} ${dir}/tls.key: true`);
        expect(createPublicKey(createPrivateKey(keyPem)).export({ format: "pem", type: "spki" })).toBe(leaf.publicKey.export({ format: "pem", type: "spki" }) as string);
        const ca = certificates(read("ca.crt")).map((c) => new X509Certificate(c));
        const root = ca.find((c) => c.checkIssued(c))!;
        expect(root).toBeDefined();
        const intermediate = ca.find((c) => c !== root)!;
        expect(leaf.checkIssued(intermediate) && leaf.verify(intermediate.publicKey)).toBe(true);
        expect(intermediate.verify(root.publicKey)).toBe(true);
      }
    }
  });

  test("a replica's certificate names that replica (its headless-service name), never a wildcard", () => {
    for (const r of runs[key]) {
      for (const cert of r.init.issued) {
        expect(cert.dnsNames.filter((n) => n.includes("*"))).toEqual([]);
      }
      const headless = `${r.pod.name}-headless.${r.pod.namespace}.svc`;
      if (r.pod.kind === "kubernetes_stateful_set_v1") {
        expect(r.init.issued[0].dnsNames).toContain(`${r.pod.podNames[0]}.${headless}`);
      }
    }
  });

  test("the sidecar reuses the certificate the init container got (one issue per pod start)", () => {
    for (const r of runs[key]) {
      expect(`${r.pod.podNames[0]}: ${r.sidecar.requests.filter((q) => q.function === "pkiCert" && !q.cached).length}`).toBe(`${r.pod.podNames[0]}: 0`);
    }
  });
});

describe("what the servers that cannot run here read, checked against their documented readers", () => {
  const rendered = (key: string, pod: string) => runs[key].find((r) => r.pod.name === pod)!;

  test.each(DEPLOYMENTS.map((d) => d.key))("%s: Cassandra's PEM keystore is a PKCS#8 key, then the leaf, then the chain (apache/cassandra 4.1 PEMReader: PKCS8EncodedKeySpec)", (key) => {
    const r = rendered(key, "cassandra");
    const bundle = readFileSync(path.join(r.root, "/vault/secrets/tls-bundle.pem"), "utf8");
    const blocks = [...bundle.matchAll(/-----BEGIN ([A-Z ]+)-----/g)].map((m) => m[1]);
    expect(blocks).toEqual(["PRIVATE KEY", "CERTIFICATE", "CERTIFICATE", "CERTIFICATE"]);
    const keyDer = Buffer.from(/-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(bundle)![1].replace(/\s/g, ""), "base64");
    const key8 = createPrivateKey({ key: keyDer, format: "der", type: "pkcs8" });
    const leaf = new X509Certificate(certificates(bundle)[0]);
    expect(createPublicKey(key8).export({ format: "pem", type: "spki" })).toBe(leaf.publicKey.export({ format: "pem", type: "spki" }) as string);
  });

  test.each(DEPLOYMENTS.map((d) => d.key))("%s: Elasticsearch's Atlas user body is JSON with the bootstrap's password; Redis's ACL holds its SHA-256", (key) => {
    const kv = bootstrapKv(key);
    const es = rendered(key, "elasticsearch");
    const user = JSON.parse(readFileSync(path.join(es.root, "/usr/share/elasticsearch/config/certs/atlas-user.json"), "utf8"));
    expect(user).toEqual({ password: kv["kv/services/metadata/elasticsearch"].atlas_password, roles: ["atlas"] });
    const redis = rendered(key, "redis");
    const acl = readFileSync(path.join(redis.root, "/vault/secrets/users.acl"), "utf8");
    expect(acl).toContain(`user atlas on #${createHash("sha256").update(kv["kv/services/cache/redis"].atlas_password).digest("hex")} `);
  });
});

describe("a KV value inside a SQL or CQL string literal (kvField quote: sql-literal)", () => {
  // A password holding a single quote must stay one literal: doubled at render time by the template
  // itself (PostgreSQL "String Constants", Cassandra CQL "Constants": a quote is escaped by doubling it).
  test.each([
    ["postgresql", "kv/services/identity/postgresql", "/vault/secrets/bootstrap.sql", ["replication_password", "vault_admin_password"]],
    ["cassandra", "kv/services/metadata/cassandra", "/vault/secrets/bootstrap.cql", ["atlas_password"]],
    ["cassandra", "kv/services/metadata/cassandra", "/vault/secrets/bootstrap-admin.cql", ["admin_password"]],
  ] as const)("%s: %s fields render with every quote doubled into %s", (podName, kvPath, file, fields) => {
    const key = "default";
    const kv = bootstrapKv(key);
    const tricky = Object.fromEntries(fields.map((f) => [f, `it's-${f}-'quoted''`]));
    const values = { ...kv, [kvPath]: { ...kv[kvPath], ...tricky } };
    const pod = agentPods(key).find((p) => p.name === podName)!;
    const root = tempDir(`quote-${podName}-`);
    const caDir = tempDir(`quote-ca-${podName}-`);
    try {
      const run = runAgent({ world: vaultWorld(key), pod, variant: "init", root, caDir, kv: values });
      expect(run.templates.filter((t) => !t.ok)).toEqual([]);
      const text = readFileSync(path.join(root, file), "utf8");
      expect(fields.length).toBeGreaterThan(0);
      for (const f of fields) {
        expect(text).toContain(`'${tricky[f].replaceAll("'", "''")}'`);
      }
      // Outside the doubled pairs, no quote is left unbalanced: every literal closes.
      expect(text.replaceAll("''", "").split("'").length % 2).toBe(1);
    } finally {
      removeDir(root);
      removeDir(caDir);
    }
  });
});
