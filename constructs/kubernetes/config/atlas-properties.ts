
/** Options of the generated atlas-application.properties. */
export interface AtlasPropertiesOptions {
  /** Cassandra contact points (CQL over TLS). */
  readonly cassandraHosts: readonly string[];
  /** CQL TLS port. @default 9142 */
  readonly cassandraPort?: number;
  /** Elasticsearch nodes, host:port (HTTPS). */
  readonly elasticsearchHosts: readonly string[];
  /** Keycloak's base URL as Atlas reaches it inside the cluster (https). */
  readonly keycloakUrl: string;
  /** Keycloak realm. @default "platform" */
  readonly keycloakRealm?: string;
  /** Keycloak client id. @default "atlas" */
  readonly keycloakClientId?: string;
  /**
   * Credentials as Vault Agent template expressions (the file is itself a template Vault Agent renders
   * into the in-memory volume), or literal values in tests. Never stored in the cluster otherwise.
   */
  readonly credentials: {
    readonly cassandraUsername: string;
    readonly cassandraPassword: string;
    readonly elasticsearchUsername: string;
    readonly elasticsearchPassword: string;
    /** Password of the PKCS#12 truststore Atlas builds at start from the platform CA. */
    readonly storePassword: string;
  };
  /** PKCS#12 truststore built at start from the platform CA. @default "/opt/atlas-stores/truststore.p12" */
  readonly truststoreFile?: string;
}

/**
 * atlas-application.properties: JanusGraph on Cassandra (CQL over TLS, hostname verification,
 * password auth) and Elasticsearch (HTTPS, basic auth), Atlas behind Keycloak (OIDC), the Atlas server
 * on loopback only behind the pod's TLS sidecar. Returned as ordered key/value pairs; `toProperties` writes the file.
 */
export function atlasProperties(o: AtlasPropertiesOptions): [string, string][] {
  const truststore = o.truststoreFile ?? ATLAS_TRUSTSTORE;
  const c = o.credentials;
  return [
    ["atlas.graph.storage.backend", "cql"],
    ["atlas.graph.storage.hostname", o.cassandraHosts.join(",")],
    ["atlas.graph.storage.port", String(o.cassandraPort ?? 9142)],
    ["atlas.graph.storage.cql.keyspace", "atlas"],
    ["atlas.graph.storage.cql.replication-factor", "3"],
    ["atlas.graph.storage.cql.read-consistency-level", "LOCAL_QUORUM"],
    ["atlas.graph.storage.cql.write-consistency-level", "LOCAL_QUORUM"],
    ["atlas.graph.storage.username", c.cassandraUsername],
    ["atlas.graph.storage.password", c.cassandraPassword],
    ["atlas.graph.storage.cql.ssl.enabled", "true"],
    ["atlas.graph.storage.cql.ssl.hostname_validation", "true"],
    ["atlas.graph.storage.cql.ssl.truststore.location", truststore],
    ["atlas.graph.storage.cql.ssl.truststore.password", c.storePassword],
    ["atlas.graph.index.search.backend", "elasticsearch"],
    ["atlas.graph.index.search.hostname", o.elasticsearchHosts.join(",")],
    ["atlas.graph.index.search.elasticsearch.http.auth.type", "basic"],
    ["atlas.graph.index.search.elasticsearch.http.auth.basic.username", c.elasticsearchUsername],
    ["atlas.graph.index.search.elasticsearch.http.auth.basic.password", c.elasticsearchPassword],
    ["atlas.graph.index.search.elasticsearch.ssl.enabled", "true"],
    ["atlas.graph.index.search.elasticsearch.ssl.truststore.location", truststore],
    ["atlas.graph.index.search.elasticsearch.ssl.truststore.password", c.storePassword],
    ["atlas.graph.index.search.elasticsearch.ssl.disable-hostname-verification", "false"],
    // The Atlas server listens on loopback only; the pod's one listener is the TLS sidecar (21443).
    ["atlas.enableTLS", "false"],
    ["atlas.server.bind.address", "127.0.0.1"],
    ["atlas.server.http.port", "21000"],
    // Authentication through Keycloak only: no file users, no Kerberos, no LDAP.
    ["atlas.authentication.method.keycloak", "true"],
    ["atlas.authentication.method.keycloak.file", `${ATLAS_CONF_DIR}/keycloak.json`],
    ["atlas.authentication.method.keycloak.ugi-groups", "false"],
    ["atlas.authentication.method.keycloak.groups_claim", "groups"],
    ["atlas.authentication.method.file", "false"],
    ["atlas.authentication.method.kerberos", "false"],
    ["atlas.authentication.method.ldap", "false"],
    ["atlas.rest-csrf.enabled", "true"],
    ["atlas.server.ha.enabled", "false"],
    ["atlas.audit.hbase.tablename", "ATLAS_ENTITY_AUDIT_EVENTS"],
    ["atlas.EntityAuditRepository.impl", "org.apache.atlas.repository.audit.CassandraBasedAuditRepository"],
    ["atlas.EntityAuditRepository.keyspace", "atlas_audit"],
    ["atlas.notification.embedded", "false"],
  ];
}

/** The keycloak.json Atlas's adapter reads: a public client, HTTPS required, tokens verified against the realm. */
export function atlasKeycloakJson(o: Pick<AtlasPropertiesOptions, "keycloakUrl" | "keycloakRealm" | "keycloakClientId">): Record<string, unknown> {
  return {
    realm: o.keycloakRealm ?? "platform",
    "auth-server-url": o.keycloakUrl,
    "ssl-required": "all",
    resource: o.keycloakClientId ?? "atlas",
    "public-client": true,
    "principal-attribute": "preferred_username",
    "enable-pkce": true,
  };
}

/** Atlas's configuration directory (ATLAS_CONF), assembled at start in an in-memory volume. */
export const ATLAS_CONF_DIR = "/opt/atlas-conf";

/** Where the init container writes the truststore (an in-memory volume). */
export const ATLAS_TRUSTSTORE = "/opt/atlas-stores/truststore.p12";

/** Writes key/value pairs as a Java .properties file (escaping `\`, `=`, `:` and leading spaces). */
export function toProperties(pairs: readonly [string, string][]): string {
  const esc = (s: string, key: boolean) =>
    s.replace(/\\/g, "\\\\").replace(key ? /([=: ])/g : /([=:])/g, "\\$1").replace(/^ /, "\\ ").replace(/\n/g, "\\n");
  return `${pairs.map(([k, v]) => `${esc(k, true)}=${esc(v, false)}`).join("\n")}\n`;
}
