import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { parse as parseYaml } from "yaml";
import { allowedFlows, catalogEndpoints, networkPoliciesOf, type Endpoint, type Flow } from "../support/network-flows";
import { nonEmpty } from "../support/non-empty";
import { APP_LABEL } from "../../lib/labels";
import { ENCRYPTED_STORAGE_CLASS_NAME } from "../../constructs/kubernetes/encrypted-storage-class";
import type { Deployment } from "../../config/schema";
import { PlatformStack } from "../../stacks/platform-stack";
import { SERVICES } from "../../platform/service-catalog";
import { VaultStack } from "../../stacks/vault-stack";
import { FAKE_FOUNDATION, defaultDeployment } from "../fixtures/fake-foundation";
import { INTENDED_GRAPH } from "../kubernetes/intended-graph";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(deployment: Deployment = defaultDeployment()): Json {
  const app = Testing.app();
  return JSON.parse(Testing.synth(new PlatformStack(app, `${deployment.name}-platform`, { deployment, foundation: FAKE_FOUNDATION })));
}
const resources = (doc: Json, type: string): Json[] => Object.values(doc.resource?.[type] ?? {});
const workloads = (doc: Json) => [...resources(doc, "kubernetes_stateful_set_v1"), ...resources(doc, "kubernetes_deployment_v1")];
const named = (doc: Json, type: string, name: string) => resources(doc, type).find((r) => r.metadata.name === name)!;
const containersOf = (w: Json): Json[] => [...(w.spec.template.spec.init_container ?? []), ...w.spec.template.spec.container];
const configMap = (doc: Json, name: string) => named(doc, "kubernetes_config_map_v1", name).data;
const agentTemplates = (doc: Json, service: string): Json[] => JSON.parse(configMap(doc, `${service}-vault-agent`)["agent.json"]).template;

/** Flows touching at least one platform pod, as "from -> to port". */
const ours = new Set(Object.values(SERVICES).map((s) => `${s.namespace}/${s.name}`));
const render = (flows: Flow[]) => flows.filter((f) => ours.has(f.from) || ours.has(f.to)).map((f) => `${f.from} -> ${f.to} ${f.port}`).sort();

const doc = synth();

test("snapshot of the platform stack (review aid)", () => {
  expect(doc).toMatchSnapshot();
});

test("synthesis is deterministic", () => {
  expect(JSON.stringify(synth())).toBe(JSON.stringify(doc));
});

test("every service of the catalog but Vault runs, in its namespace, selected by its catalog name", () => {
  const running = workloads(doc).map((w) => `${w.metadata.namespace}/${w.spec.template.metadata.labels[APP_LABEL]}`).sort();
  const expected = Object.entries(SERVICES).filter(([k]) => k !== "vault").map(([, s]) => `${s.namespace}/${s.name}`).sort();
  expect(running).toEqual(expected);
});

test("stores keep data on the encrypted StorageClass and are protected from destroy by default", () => {
  const sets = resources(doc, "kubernetes_stateful_set_v1");
  expect(sets.map((s) => s.metadata.name).sort()).toEqual(["cassandra", "elasticsearch", "postgresql"]);
  for (const s of sets) {
    expect(s.spec.volume_claim_template.map((v: Json) => v.spec.storage_class_name)).toEqual([ENCRYPTED_STORAGE_CLASS_NAME]);
    expect(s.lifecycle).toEqual({ prevent_destroy: true });
    expect(s.spec.persistent_volume_claim_retention_policy).toEqual([{ when_deleted: "Retain", when_scaled: "Retain" }]);
  }
});

test("dataProtection.allowDestroy lifts prevent_destroy on the stores", () => {
  const relaxed = synth(defaultDeployment({ dataProtection: { allowDestroy: true } }));
  for (const s of nonEmpty(resources(relaxed, "kubernetes_stateful_set_v1"), "StatefulSet")) expect(s.lifecycle).toEqual({ prevent_destroy: false });
});

test("replicas: 3 Cassandra and Elasticsearch nodes, primary + standby PostgreSQL, 2 Keycloak and entry points", () => {
  const replicas = Object.fromEntries(workloads(doc).map((w) => [w.metadata.name, w.spec.replicas]));
  expect(replicas).toEqual({ cassandra: "3", elasticsearch: "3", postgresql: "2", keycloak: "2", "entry-point": "2", atlas: "1", redis: "1" });
});

test("every workload spreads across zones and has a PodDisruptionBudget", () => {
  const pdbs = resources(doc, "kubernetes_pod_disruption_budget_v1").map((p) => p.metadata.name).sort();
  expect(pdbs).toEqual(workloads(doc).map((w) => w.metadata.name).sort());
  for (const w of workloads(doc)) {
    expect(w.spec.template.spec.topology_spread_constraint[0]).toMatchObject({ topology_key: "topology.kubernetes.io/zone", when_unsatisfiable: "DoNotSchedule" });
  }
});

test("every container runs with the restricted security context and a read-only root filesystem", () => {
  for (const w of workloads(doc)) {
    for (const c of nonEmpty(containersOf(w), "container")) {
      expect(`${w.metadata.name}/${c.name}: ${JSON.stringify(c.security_context)}`).toBe(
        `${w.metadata.name}/${c.name}: ${JSON.stringify({ ...c.security_context, run_as_non_root: true, allow_privilege_escalation: false, privileged: false, read_only_root_filesystem: true, capabilities: { drop: ["ALL"] } })}`,
      );
    }
  }
});

test("every service gets its TLS certificate from Vault's PKI role of its own name", () => {
  for (const [key, s] of Object.entries(SERVICES)) {
    if (key === "vault") continue;
    const pki = agentTemplates(doc, s.name).find((t) => t.destination.endsWith("/tls-bundle.pem"))!;
    expect(pki.contents).toContain(`pkiCert "pki-int/issue/${s.name}"`);
  }
});

test("no credential is in the stack: no Kubernetes Secret, every password is a Vault template", () => {
  expect(resources(doc, "kubernetes_secret_v1")).toEqual([]);
  const text = JSON.stringify(doc);
  // Every password assignment in a config or template reads from Vault at render time.
  const assignments = [...text.matchAll(/password[^"\\]{0,3}?[=:]\s*(?:\\")?([^\\",\s]*)/gi)];
  expect(assignments.length).toBeGreaterThan(10);
  for (const m of assignments) expect([m[0], m[1]]).toEqual([m[0], expect.stringMatching(/^'?\{\{/)]);
  for (const w of workloads(doc)) {
    for (const c of nonEmpty(containersOf(w), "container")) for (const e of c.env ?? []) expect(`${e.name}=${e.value}`).not.toMatch(/(PASSWORD|SECRET|TOKEN)=(?!\/)/);
  }
});

test("PostgreSQL: generated pg_hba/postgresql.conf, credentials from Vault KV and the database engine, WAL and base backups uploaded", () => {
  const data = configMap(doc, "postgresql-config");
  expect(data["pg_hba.conf"]).not.toMatch(/^(host|local)\s/m);
  expect(data["postgresql.conf"]).toContain("ssl_min_protocol_version = 'TLSv1.2'");
  // Standbys stream from the primary named in the service file, which verifies the peer's certificate and name.
  expect(data["start.sh"]).toContain('-c "primary_conninfo=service=$UPSTREAM application_name=$HOSTNAME"');
  expect(data["pg_service.conf"]).toMatch(/\[postgresql-1\]\nhost=postgresql-1\.postgresql-headless\.identity\.svc\n(.+\n)*sslmode=verify-full\n/);
  const pg = named(doc, "kubernetes_stateful_set_v1", "postgresql");
  expect(pg.spec.template.spec.container.map((c: Json) => c.name)).toEqual(["postgresql", "base-backup", "uploader", "vault-agent"]);
  const keycloakConf = agentTemplates(doc, "keycloak").find((t) => t.destination.endsWith("/keycloak.conf"))!.contents;
  expect(keycloakConf).toContain('with secret "database/creds/keycloak"');
  expect(keycloakConf).toMatch(/db-url=jdbc:postgresql:\/\/postgresql-0\.postgresql-headless\.identity\.svc:5432,postgresql-1\..*targetServerType=primary.*sslmode=verify-full/);
});

test("backups run under the backup workload identity and write to the platform bucket", () => {
  const backup = FAKE_FOUNDATION.workloadIdentities.backup;
  for (const name of ["postgresql", "cassandra", "elasticsearch"]) {
    const sa = named(doc, "kubernetes_service_account_v1", name);
    expect(sa.metadata.annotations).toEqual(backup.serviceAccountAnnotations);
  }
  for (const name of ["postgresql", "cassandra"]) {
    const uploader = named(doc, "kubernetes_stateful_set_v1", name).spec.template.spec.container.find((c: Json) => c.name === "uploader");
    expect(uploader.command.join(" ")).toContain(`"bucket:$PLATFORM_BUCKET/${name}`);
    expect(uploader.env).toContainEqual({ name: "PLATFORM_BUCKET", value: FAKE_FOUNDATION.objectStore.dataBucket });
    expect(uploader.env).toContainEqual({ name: "RCLONE_CONFIG_BUCKET_ENV_AUTH", value: "true" });
    expect(JSON.stringify(uploader.env)).not.toMatch(/ACCESS_KEY|SECRET/);
  }
  expect(JSON.parse(configMap(doc, "elasticsearch-config")["repository.json"])).toMatchObject({ type: "s3", settings: { bucket: FAKE_FOUNDATION.objectStore.dataBucket } });
  // Services without backups do not get the identity.
  expect(named(doc, "kubernetes_service_account_v1", "redis").metadata.annotations).toEqual({});
});

test("Redis: TLS only, ACL from Vault, bounded LRU memory, no persistence and no volume", () => {
  const conf = configMap(doc, "redis-config")["redis.conf"].split("\n");
  expect(conf).toEqual(expect.arrayContaining(["port 0", "tls-port 6379", "maxmemory-policy allkeys-lru", 'save ""', "appendonly no"]));
  const acl = agentTemplates(doc, "redis").find((t) => t.destination.endsWith("/users.acl"))!.contents;
  expect(acl).toMatch(/^user default off/);
  expect(acl).toContain("sha256Hex");
  expect(named(doc, "kubernetes_deployment_v1", "redis").spec.template.spec.volume.map((v: Json) => Object.keys(v).filter((k) => k !== "name")[0])).not.toContain("persistent_volume_claim");
});

test("Keycloak: realm as code with HTTPS for all, SAML brokering when the config names an IdP", () => {
  const realm = JSON.parse(configMap(doc, "keycloak-config")["platform-realm.json"]);
  expect(realm).toMatchObject({ sslRequired: "all", bruteForceProtected: true, identityProviders: [] });
  const idpMetadata = readFileSync(join(__dirname, "..", "..", "examples", "acme-idp-metadata.xml"), "utf8");
  const withSaml = synth(defaultDeployment({ saml: { idpMetadataUrl: "https://idp.example.com/metadata", idpMetadata } }));
  const brokered = JSON.parse(configMap(withSaml, "keycloak-config")["platform-realm.json"]);
  expect(brokered.identityProviders[0].config).toMatchObject({ metadataDescriptorUrl: "https://idp.example.com/metadata", singleSignOnServiceUrl: "https://idp.acme.example.com/saml/sso" });
});

describe("entry point", () => {
  const svc = named(doc, "kubernetes_service_v1", "entry-point");
  test("is a LoadBalancer on 443 and 80 with the cloud's annotations", () => {
    expect(svc.spec.type).toBe("LoadBalancer");
    expect(svc.metadata.annotations).toEqual(FAKE_FOUNDATION.loadBalancer.serviceAnnotations);
    expect(svc.spec.port.map((p: Json) => [p.port, p.target_port])).toEqual([[443, "https"], [80, "http-redirect"]]);
  });
  test("is open to all only explicitly when no allow-list is configured (never the cloud's silent default)", () => {
    expect(svc.spec.load_balancer_source_ranges).toEqual(["0.0.0.0/0"]);
  });
  test("takes domain.allowedSourceCidrs as loadBalancerSourceRanges", () => {
    const d = synth(defaultDeployment({ domain: { name: "catalog.example.com", allowedSourceCidrs: ["198.51.100.0/24"] } }));
    expect(named(d, "kubernetes_service_v1", "entry-point").spec.load_balancer_source_ranges).toEqual(["198.51.100.0/24"]);
  });
  test("HTTPS only: TLS 1.2+, HTTP redirects, routes to Keycloak and Atlas over verified TLS", () => {
    const conf: string = configMap(doc, "entry-point-config")["nginx.conf"];
    expect(conf).toContain("ssl_protocols TLSv1.2 TLSv1.3;");
    expect(conf).toContain("return 301 https://$host$request_uri;");
    expect(conf).toContain("proxy_pass https://keycloak.identity.svc:8443;");
    expect(conf).toContain("proxy_pass https://atlas.metadata.svc:21443;");
    // Every proxied route verifies its upstream: two Keycloak paths (platform realm, resources) and Atlas.
    expect(conf.match(/proxy_ssl_verify on;/g)).toHaveLength(3);
  });
  test("certificate from Vault's PKI for the domain by default, or from the named Kubernetes secret", () => {
    expect(agentTemplates(doc, "entry-point")[0].contents).toContain('"common_name=catalog.example.com"');
    const d = synth(defaultDeployment({ domain: { name: "catalog.example.com", certificate: { source: "kubernetes-secret", secretName: "catalog-tls" } } }));
    const pod = named(d, "kubernetes_deployment_v1", "entry-point").spec.template.spec;
    expect(pod.volume).toContainEqual(expect.objectContaining({ name: "public-tls", secret: expect.objectContaining({ secret_name: "catalog-tls" }) }));
    expect(configMap(d, "entry-point-config")["nginx.conf"]).toContain("ssl_certificate /etc/entry-point-tls/tls.crt;");
  });
});

describe("certificate renewal (72 h certificates re-issued by Vault Agent into /vault/secrets)", () => {
  const container = (kind: string, name: string, c: string, d: Json = doc) => containersOf(named(d, kind, name)).find((x) => x.name === c)!;
  const watches = (script: string) => /tls_state\(\) \{ cat ([^|]+) 2>\/dev\/null \| sha256sum; \}/.exec(script)?.[1].trim().split(" ");
  const secrets = ["/vault/secrets/tls.crt", "/vault/secrets/tls.key", "/vault/secrets/ca.crt"];

  test("PostgreSQL runs its postmaster under the shared watcher, reloaded by SIGHUP when its TLS files change", () => {
    const start: string = configMap(doc, "postgresql-config")["start.sh"];
    expect(container("kubernetes_stateful_set_v1", "postgresql", "postgresql").command).toEqual(["sh", "/etc/postgresql/start.sh"]);
    expect(start).toMatch(/^postgres -D "\$PGDATA" -c config_file=\S+ -c hba_file=\S+ "\$@" &$/m);
    expect(start).not.toMatch(/^exec postgres/m);
    expect(watches(start)).toEqual(secrets);
    expect(start).toContain('if kill -HUP "$SERVER_PID"; then');
    expect(start).toContain("sleep 60 & nap=$!");
  });

  test("Redis composes its ACL in memory and reloads its TLS files with CONFIG SET, by a user allowed nothing else", () => {
    const data = configMap(doc, "redis-config");
    expect(container("kubernetes_deployment_v1", "redis", "redis").command).toEqual(["sh", "/etc/redis/start.sh"]);
    expect(data["redis.conf"]).toContain("aclfile /run/redis/users.acl\n");
    expect(watches(data["start.sh"])).toEqual(secrets);
    expect(data["start.sh"]).toContain("--user tls-reloader CONFIG SET tls-cert-file /vault/secrets/tls.crt tls-key-file /vault/secrets/tls.key tls-ca-cert-file /vault/secrets/ca.crt");
    expect(data["start.sh"]).toContain('echo "user tls-reloader on #$hash resetkeys resetchannels -@all +config|set"');
    const pod = named(doc, "kubernetes_deployment_v1", "redis").spec.template.spec;
    expect(pod.volume).toContainEqual(expect.objectContaining({ name: "runtime", empty_dir: expect.objectContaining({ medium: "Memory" }) }));
  });

  test("both nginx (entry point, Atlas TLS sidecar) test the new pair, then reload; the entry point watches the public certificate's source", () => {
    for (const [kind, name, c] of [["kubernetes_deployment_v1", "entry-point", "nginx"], ["kubernetes_deployment_v1", "atlas", "tls"]]) {
      const [sh, flag, script] = container(kind, name, c).command;
      expect([sh, flag]).toEqual(["sh", "-c"]);
      expect(script).toContain("nginx -c /etc/nginx-platform/nginx.conf -g 'daemon off;' &");
      expect(script).toContain('if nginx -t -q -c /etc/nginx-platform/nginx.conf && kill -HUP "$SERVER_PID"; then');
      expect(watches(script)).toEqual(secrets);
    }
    const d = synth(defaultDeployment({ domain: { name: "catalog.example.com", certificate: { source: "kubernetes-secret", secretName: "catalog-tls" } } }));
    expect(watches(container("kubernetes_deployment_v1", "entry-point", "nginx", d).command[2])).toEqual(["/etc/entry-point-tls/tls.crt", "/etc/entry-point-tls/tls.key", "/vault/secrets/ca.crt"]);
  });

  test("Cassandra, Elasticsearch and Keycloak reload by themselves: file-based PEM stores, files where the agent writes, Keycloak's reload period on", () => {
    // Cassandra 4.1's PEMBasedSslContextFactory hot-reloads file-based keystore/truststore (checked every 10 min).
    const cassandra = parseYaml(configMap(doc, "cassandra-config")["cassandra.yaml"]);
    for (const o of [cassandra.client_encryption_options, cassandra.server_encryption_options]) {
      expect(o).toMatchObject({ ssl_context_factory: { class_name: "org.apache.cassandra.security.PEMBasedSslContextFactory" }, keystore: "/vault/secrets/tls-bundle.pem", truststore: "/vault/secrets/ca.crt" });
      expect(o.ssl_context_factory.parameters).toEqual({}); // no inline key: inline material is never reloaded
    }
    // The keystore is the certificate template's own file (key + chain); the key is PKCS#8 (vault-agent-templates.test.ts).
    expect(agentTemplates(doc, "cassandra").find((t) => t.destination === "/vault/secrets/tls-bundle.pem")!.contents).toContain('"private_key_format=pkcs8"');
    // Elasticsearch watches its SSL files (every 5 s by default): they are the agent's files, and watching is not turned off.
    const es = parseYaml(configMap(doc, "elasticsearch-config")["elasticsearch.yml"]);
    const esCerts = agentTemplates(doc, "elasticsearch").find((t) => t.destination.endsWith("/tls-bundle.pem"))!.destination.replace(/\/tls-bundle\.pem$/, "");
    for (const layer of ["http", "transport"]) expect(es[`xpack.security.${layer}.ssl.certificate`]).toBe(`${esCerts}/tls.crt`);
    expect(Object.keys(es).filter((k) => k.startsWith("resource.reload"))).toEqual([]);
    // Keycloak re-reads its PEM files on the configured period (never disabled with -1).
    const keycloakConf: string = agentTemplates(doc, "keycloak").find((t) => t.destination.endsWith("/keycloak.conf"))!.contents;
    expect(keycloakConf).toContain("https-certificate-file=/vault/secrets/tls.crt");
    expect(keycloakConf).toContain("https-certificates-reload-period=1h");
  });

  test("the watchers need no extra privilege: no pod shares its process namespace", () => {
    for (const w of workloads(doc)) expect(`${w.metadata.name}: ${w.spec.template.spec.share_process_namespace ?? "unset"}`).toMatch(/: (unset|false)$/);
  });
});

describe("images", () => {
  const images = (d: Json) => workloads(d).flatMap(containersOf).map((c) => c.image as string);
  test("every image is pinned to a version", () => {
    for (const i of images(doc)) expect(i).toMatch(/^[a-z0-9.-]+\/[a-z0-9._/-]+:[0-9a-z][\w.-]*$/);
    for (const i of images(doc)) expect(i).not.toMatch(/:latest$/);
  });
  test("one configured registry serves every image", () => {
    const mirrored = synth(defaultDeployment({ images: { registry: "registry.example.com/mirror" } }));
    for (const i of images(mirrored)) expect(i.startsWith("registry.example.com/mirror/")).toBe(true);
  });
});

test("the whole platform's allow graph is exactly the intended one, evaluated on the real pods", () => {
  const deployment = defaultDeployment();
  const app = Testing.app();
  const vault = JSON.parse(Testing.synth(new VaultStack(app, "demo-vault", { deployment, foundation: FAKE_FOUNDATION })));
  // Namespace references of the vault stack, resolved to names.
  const nsName = (d: Json, v: string) => {
    const ref = /^\$\{kubernetes_namespace_v1\.([^.]+)\.metadata\[0\]\.name\}$/.exec(v);
    return ref ? d.resource.kubernetes_namespace_v1[ref[1]].metadata.name : v;
  };
  // The pods as synthesized (namespace, labels, container ports), not as the catalog says they are.
  const pods = [...workloads(doc).map((w) => [doc, w]), ...workloads(vault).map((w) => [vault, w])].map(([d, w], i): Endpoint => ({
    id: `${nsName(d, w.metadata.namespace)}/${w.spec.template.metadata.labels[APP_LABEL]}`,
    namespace: nsName(d, w.metadata.namespace),
    labels: w.spec.template.metadata.labels,
    ip: `10.96.1.${i + 10}`,
    ports: w.spec.template.spec.container.flatMap((c: Json) => (c.port ?? []).map((p: Json) => `${p.container_port}/TCP`)),
  }));
  const others = catalogEndpoints().filter((e) => e.id === "external" || e.id.endsWith("/dns"));
  const policies = [...networkPoliciesOf(vault), ...networkPoliciesOf(doc)];
  expect(render(allowedFlows(policies, [...pods, ...others]))).toEqual(INTENDED_GRAPH);
});

test("every generated shell script parses (sh -n), and the YAML files parse without aliases", () => {
  const scripts: [string, string][] = [];
  for (const cm of nonEmpty(resources(doc, "kubernetes_config_map_v1"), "ConfigMap")) {
    for (const [file, text] of Object.entries(cm.data as Record<string, string>)) if (file.endsWith(".sh")) scripts.push([`${cm.metadata.name}/${file}`, text]);
  }
  for (const w of workloads(doc)) {
    for (const c of containersOf(w)) if (c.command?.[0] === "sh" && c.command[1] === "-c") scripts.push([`${w.metadata.name}/${c.name}`, c.command[2]]);
  }
  expect(scripts.length).toBeGreaterThanOrEqual(8);
  for (const [name, text] of scripts) {
    const r = spawnSync("sh", ["-n"], { input: text, encoding: "utf8", timeout: 5000 });
    expect(`${name}: ${r.status} ${r.stderr}`).toBe(`${name}: 0 `);
  }
  for (const [cm, file] of [["cassandra-config", "cassandra.yaml"], ["elasticsearch-config", "elasticsearch.yml"]]) {
    const text: string = configMap(doc, cm)[file];
    expect(text).not.toMatch(/[&*]a\d/);
    expect(parseYaml(text)).toBeInstanceOf(Object);
  }
});
