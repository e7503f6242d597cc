import { VAULT_SECRETS_DIR } from "./paths";

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
    /** Password of the PKCS#12 truststore/keystore Atlas builds at start from the PEM files. */
    readonly storePassword: string;
  };
  /** PKCS#12 truststore built at start from the Vault CA (no secret in it). @default "/vault/secrets/truststore.p12" */
  readonly truststoreFile?: string;
}

/**
 * atlas-application.properties: JanusGraph on Cassandra (CQL over TLS, hostname verification,
 * password auth) and Elasticsearch (HTTPS, basic auth), Atlas behind Keycloak (OIDC), the Atlas server
 * itself on HTTPS only. Returned as ordered key/value pairs; `toProperties` writes the file.
 */
export function atlasProperties(o: AtlasPropertiesOptions): [string, string][] {
  const truststore = o.truststoreFile ?? `${VAULT_SECRETS_DIR}/truststore.p12`;
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
    // The Atlas server: HTTPS only, with the certificate Vault's PKI issued (converted to PKCS#12 at start).
    ["atlas.enableTLS", "true"],
    ["atlas.server.http.port", "21000"],
    ["atlas.server.https.port", "21443"],
    ["keystore.file", `${VAULT_SECRETS_DIR}/keystore.p12`],
    ["keystore.password", c.storePassword],
    ["truststore.file", truststore],
    ["truststore.password", c.storePassword],
    ["client.auth.enabled", "false"],
    ["atlas.ssl.exclude.protocols", "SSLv2Hello,SSLv3,TLSv1,TLSv1.1"],
    // Authentication through Keycloak only: no file users, no Kerberos, no LDAP.
    ["atlas.authentication.method.keycloak", "true"],
    ["atlas.authentication.method.keycloak.file", `${VAULT_SECRETS_DIR}/keycloak.json`],
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

/** Writes key/value pairs as a Java .properties file (escaping `\`, `=`, `:` and leading spaces). */
export function toProperties(pairs: readonly [string, string][]): string {
  const esc = (s: string, key: boolean) =>
    s.replace(/\\/g, "\\\\").replace(key ? /([=: ])/g : /([=:])/g, "\\$1").replace(/^ /, "\\ ").replace(/\n/g, "\\n");
  return `${pairs.map(([k, v]) => `${esc(k, true)}=${esc(v, false)}`).join("\n")}\n`;
}
