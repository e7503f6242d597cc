import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { atlasKeycloakJson, atlasProperties, toProperties } from "../../constructs/kubernetes/server-config/atlas-properties";
import { cassandraYaml } from "../../constructs/kubernetes/server-config/cassandra-yaml";
import { elasticsearchSnapshotRepository, elasticsearchYml } from "../../constructs/kubernetes/server-config/elasticsearch-yml";
import { BROWSER_FLOW, keycloakRealm } from "../../constructs/kubernetes/server-config/keycloak-realm";
import { pgHbaConf, pgServiceFile, postgresqlConf } from "../../constructs/kubernetes/server-config/postgresql-conf";
import { redisAclFile, redisConf } from "../../constructs/kubernetes/server-config/redis-conf";

// Behaviour and parse checks of every generated configuration file. The PostgreSQL and Redis files
// are also run for real (postgresql-server.test.ts, redis-server.test.ts).

/** A minimal java.util.Properties reader: enough to prove the file round-trips. */
function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line.trim() || /^\s*[#!]/.test(line)) continue;
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:]\s*(.*)$/.exec(line);
    if (!m) throw new Error(`not a properties line: ${line}`);
    const unescape = (s: string) => s.replace(/\\n/g, "\n").replace(/\\(.)/g, "$1");
    out.set(unescape(m[1]), unescape(m[2]));
  }
  return out;
}

describe("pg_hba.conf", () => {
  const hba = pgHbaConf();
  const rules = hba.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/));
  test("has only hostssl rules with scram-sha-256, and rejects every non-TLS connection first", () => {
    expect(rules.slice(0, 2).map((r) => [r[0], r[4]])).toEqual([["hostnossl", "reject"], ["hostnossl", "reject"]]);
    for (const r of rules.slice(2)) expect([r[0], r[4]]).toEqual(["hostssl", "scram-sha-256"]);
  });
  test("never uses host, local, trust, password or md5", () => {
    expect(hba).not.toMatch(/^(host|local)\s/m);
    expect(hba).not.toMatch(/\b(trust|md5|password|ident|peer)\b/);
  });
});

describe("postgresql.conf", () => {
  test("TLS 1.2+, SCRAM, no Unix socket, WAL archiving on", () => {
    const conf = postgresqlConf();
    for (const line of ["ssl = on", "ssl_min_protocol_version = 'TLSv1.2'", "password_encryption = 'scram-sha-256'", "unix_socket_directories = ''", "archive_mode = on", "wal_level = 'replica'"]) {
      expect(conf.split("\n")).toContain(line);
    }
    expect(conf).toContain("ssl_cert_file = '/vault/secrets/tls.crt'");
  });
  test("peers are reached through the service file: TLS verified (full for peers, the chain on loopback), a password file", () => {
    const file = pgServiceFile(
      [
        { name: "local", host: "127.0.0.1", sslmode: "verify-ca" },
        { name: "postgresql-0", host: "postgresql-0.postgresql-headless.identity.svc", sslmode: "verify-full" },
      ],
      { user: "replicator", passfile: "/vault/secrets/replication.pgpass", sslrootcert: "/vault/secrets/ca.crt" },
    );
    expect(file).toContain(
      "[postgresql-0]\nhost=postgresql-0.postgresql-headless.identity.svc\nport=5432\nuser=replicator\ndbname=postgres\npassfile=/vault/secrets/replication.pgpass\nsslmode=verify-full\n",
    );
    expect(file).toContain("[local]\nhost=127.0.0.1");
    expect(file).not.toMatch(/sslmode=(disable|allow|prefer|require)/);
  });
});

describe("redis.conf and ACL file", () => {
  test("plaintext port closed, mutual TLS, LRU, no persistence", () => {
    const lines = redisConf().split("\n");
    for (const l of ["port 0", "tls-port 6379", "tls-auth-clients yes", "tls-replication yes", "maxmemory-policy allkeys-lru", 'save ""', "appendonly no", "aclfile /vault/secrets/users.acl"]) {
      expect(lines).toContain(l);
    }
  });
  test("the default user is off; application users are confined and denied dangerous commands", () => {
    const acl = redisAclFile([{ name: "atlas", passwordSha256: "{{ .Data.data.password | sha256Hex }}" }]).split("\n");
    expect(acl[0]).toBe("user default off resetkeys resetchannels -@all");
    expect(acl[1]).toMatch(/^user atlas on #\{\{.*\}\} resetchannels ~preview:\* \+@all -@dangerous -@admin -@scripting -@pubsub$/);
  });
  test("an ACL user named default is refused", () => {
    expect(() => redisAclFile([{ name: "default", passwordSha256: "x" }])).toThrow(/other than 'default'/);
    // The certificate watcher's CONFIG-SET-only user is composed at start (redisServeScript), never given by Vault.
    expect(() => redisAclFile([{ name: "tls-reloader", passwordSha256: "x" }])).toThrow(/and 'tls-reloader'/);
  });
});

describe("cassandra.yaml", () => {
  const y = parseYaml(stringify(cassandraYaml({ seeds: ["cassandra-0.cassandra"] })));
  test("parses as YAML with authentication and authorization on", () => {
    expect(y.authenticator).toBe("PasswordAuthenticator");
    expect(y.authorizer).toBe("CassandraAuthorizer");
  });
  test("client-to-node TLS is mandatory and internode TLS covers all traffic with client certificates", () => {
    expect(y.client_encryption_options).toMatchObject({ enabled: true, optional: false });
    expect(y.server_encryption_options).toMatchObject({ internode_encryption: "all", optional: false, require_client_auth: true });
    expect(y.server_encryption_options.accepted_protocols).not.toContain("TLSv1.1");
  });
  test("incremental backups are on", () => {
    expect(y.incremental_backups).toBe(true);
  });
});

describe("elasticsearch.yml", () => {
  const y = parseYaml(stringify(elasticsearchYml({ seedHosts: ["es-0"] })));
  test("parses as YAML with security and TLS on HTTP and transport", () => {
    expect(y["xpack.security.enabled"]).toBe(true);
    expect(y["xpack.security.http.ssl.enabled"]).toBe(true);
    expect(y["xpack.security.transport.ssl.enabled"]).toBe(true);
    expect(y["xpack.security.transport.ssl.verification_mode"]).toBe("certificate");
    expect(y["xpack.security.transport.ssl.client_authentication"]).toBe("required");
    expect(y["xpack.security.authc.anonymous.roles"]).toEqual([]);
  });
  test.each([
    ["s3", { type: "s3", settings: expect.objectContaining({ bucket: "b", server_side_encryption: true }) }],
    ["gcs", { type: "gcs", settings: expect.objectContaining({ bucket: "b" }) }],
    ["azure-blob", { type: "azure", settings: expect.objectContaining({ container: "b" }) }],
  ] as const)("the snapshot repository is the platform bucket on %s", (kind, expected) => {
    const repo = elasticsearchSnapshotRepository({ kind, dataBucket: "b", region: "r" });
    expect(JSON.parse(JSON.stringify(repo))).toEqual(expected);
  });
});

describe("Keycloak realm", () => {
  const realm = JSON.parse(JSON.stringify(keycloakRealm({ publicHostname: "catalog.example.com" })));
  test("is JSON with HTTPS required for all and brute-force protection", () => {
    expect(realm.sslRequired).toBe("all");
    expect(realm.bruteForceProtected).toBe(true);
  });
  test("the password policy needs 12+ characters and a strong hash", () => {
    expect(realm.passwordPolicy).toMatch(/length\(12\)/);
    expect(realm.passwordPolicy).toMatch(/hashAlgorithm\(pbkdf2-sha512\)/);
    expect(realm.passwordPolicy).toMatch(/hashIterations\(210000\)/);
  });
  test("a minimum length below 12 is refused", () => {
    expect(() => keycloakRealm({ publicHostname: "x.example.com", minPasswordLength: 8 })).toThrow(/at least 12/);
  });
  test("every password login asks for OTP (enrolment forced for users without one)", () => {
    expect(realm.requiredActions).toContainEqual(expect.objectContaining({ alias: "CONFIGURE_TOTP", enabled: true }));
    expect(realm.browserFlow).toBe(BROWSER_FLOW);
    const forms = realm.authenticationFlows.find((f: { alias: string }) => f.alias === `${BROWSER_FLOW}-forms`);
    expect(forms.authenticationExecutions.map((e: { authenticator: string; requirement: string }) => [e.authenticator, e.requirement])).toEqual([
      ["auth-username-password-form", "REQUIRED"],
      ["auth-otp-form", "REQUIRED"],
    ]);
    expect(realm.authenticatorConfig).toBeUndefined();
  });
  test("no SAML IdP without one in the config; signed SAML 2.0 brokering with one", () => {
    expect(realm.identityProviders).toEqual([]);
    const idpMetadata = readFileSync(join(__dirname, "..", "..", "examples", "acme-idp-metadata.xml"), "utf8");
    const saml = keycloakRealm({ publicHostname: "c.example.com", saml: { idpMetadataUrl: "https://idp.example.com/metadata", idpMetadata, displayName: "SSO" } });
    expect(saml.identityProviders).toEqual([
      expect.objectContaining({ providerId: "saml", config: expect.objectContaining({ metadataDescriptorUrl: "https://idp.example.com/metadata", singleSignOnServiceUrl: "https://idp.acme.example.com/saml/sso", wantAssertionsSigned: "true", validateSignature: "true" }) }),
    ]);
  });
  test("the Atlas client is public with PKCE S256 and exact HTTPS redirect URIs", () => {
    expect(realm.clients[0]).toMatchObject({ clientId: "atlas", publicClient: true, redirectUris: ["https://catalog.example.com/*"], attributes: { "pkce.code.challenge.method": "S256" } });
    expect(JSON.stringify(realm)).not.toMatch(/"secret"/);
  });
});

describe("atlas-application.properties", () => {
  const props = parseProperties(
    toProperties(
      atlasProperties({
        cassandraHosts: ["cassandra-0.cassandra.metadata.svc", "cassandra-1.cassandra.metadata.svc"],
        elasticsearchHosts: ["elasticsearch.metadata.svc:9200"],
        keycloakUrl: "https://keycloak.identity.svc:8443",
        credentials: { cassandraUsername: "{{ u }}", cassandraPassword: "{{ p }}", elasticsearchUsername: "{{ eu }}", elasticsearchPassword: "{{ ep }}", storePassword: "{{ sp }}" },
      }),
    ),
  );
  test("parses as properties: JanusGraph on CQL over TLS and Elasticsearch over TLS", () => {
    expect(props.get("atlas.graph.storage.backend")).toBe("cql");
    expect(props.get("atlas.graph.storage.cql.ssl.enabled")).toBe("true");
    expect(props.get("atlas.graph.storage.port")).toBe("9142");
    expect(props.get("atlas.graph.index.search.backend")).toBe("elasticsearch");
    expect(props.get("atlas.graph.index.search.elasticsearch.ssl.enabled")).toBe("true");
    expect(props.get("atlas.graph.index.search.hostname")).toBe("elasticsearch.metadata.svc:9200");
  });
  test("credentials are only what the caller passes (Vault template expressions in the cluster)", () => {
    expect(props.get("atlas.graph.storage.password")).toBe("{{ p }}");
    expect(props.get("atlas.graph.index.search.elasticsearch.http.auth.basic.password")).toBe("{{ ep }}");
  });
  test("Atlas listens on loopback only (its pod's TLS sidecar is the one listener) and authenticates through Keycloak only", () => {
    expect(props.get("atlas.server.bind.address")).toBe("127.0.0.1");
    expect(props.get("atlas.authentication.method.keycloak")).toBe("true");
    expect(props.get("atlas.authentication.method.file")).toBe("false");
  });
  test("keycloak.json requires TLS for all and is a public client", () => {
    expect(atlasKeycloakJson({ keycloakUrl: "https://k", truststorePassword: "{{ t }}" })).toMatchObject({ "ssl-required": "all", "public-client": true, "truststore-password": "{{ t }}" });
  });
  test("property keys and values with separators round-trip", () => {
    expect(parseProperties(toProperties([["a b", "x=y:z\\w"]])).get("a b")).toBe("x=y:z\\w");
  });
});
