
/** Options of the generated atlas-application.properties. */
export interface AtlasPropertiesOptions {
  /**
   * Cassandra nodes by their stable names, one contact point each (CQL over TLS). Every node must be
   * listed: the CQL driver keeps a contact point's host name for TLS hostname validation, while a node
   * it discovers is reached by IP (cassandra-java-driver 4.17.0 InitialNodeListRefresh.compute,
   * DefaultSslEngineFactory.newSslEngine).
   */
  readonly cassandraHosts: readonly string[];
  /** Cassandra's datacenter (GossipingPropertyFileSnitch, cassandra-rackdc.properties). @default "dc1" */
  readonly cassandraDatacenter?: string;
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
  const dc = o.cassandraDatacenter ?? "dc1";
  return [
    // JanusGraph on Cassandra. The keyspaces are created by Cassandra's bootstrap (NetworkTopologyStrategy, RF 3).
    ["atlas.graph.storage.backend", "cql"],
    ["atlas.graph.storage.hostname", o.cassandraHosts.join(",")],
    ["atlas.graph.storage.port", String(o.cassandraPort ?? 9142)],
    ["atlas.graph.storage.cql.keyspace", "atlas"],
    // The driver only uses nodes of its local datacenter; JanusGraph's default is "datacenter1" (CQLConfigOptions.LOCAL_DATACENTER).
    ["atlas.graph.storage.cql.local-datacenter", dc],
    ["atlas.graph.storage.cql.replication-strategy-class", "NetworkTopologyStrategy"],
    ["atlas.graph.storage.cql.replication-strategy-options", `${dc},3`],
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
    ["atlas.server.http.port", String(ATLAS_HTTP_PORT)],
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
    // Entity audit in Cassandra: TLS, every node a contact point, table created in the pre-created keyspace
    // (the image's patched CassandraBasedAuditRepository reads the graph's atlas.graph.storage.* settings).
    ["atlas.EntityAuditRepository.impl", "org.apache.atlas.repository.audit.CassandraBasedAuditRepository"],
    ["atlas.EntityAuditRepository.keyspace", "atlas_audit"],
    ["atlas.EntityAuditRepository.replicationFactor", "3"],
    // No Kafka in this platform: no embedded broker, no hook consumer, and entity notifications are sent
    // after commit, where a failed send is logged and never fails the write (EntityNotificationSender).
    ["atlas.notification.embedded", "false"],
    ["atlas.notification.consumer.disabled", "true"],
    ["atlas.notification.send.postcommit", "true"],
    ["atlas.hook.spool.enabled", "false"],
  ];
}

/**
 * The keycloak.json Atlas's adapter reads: a public client, HTTPS required, tokens verified against the
 * realm. `auth-server-url` is Keycloak inside the cluster: the adapter takes the browser's login URL and
 * the token issuer from the realm's discovery document (KeycloakDeployment.resolveUrls), which Keycloak
 * writes with its public hostname, and calls the token and key endpoints on the in-cluster address
 * (hostname-backchannel-dynamic). Its HTTP client trusts only `truststore` (the platform CA).
 */
export function atlasKeycloakJson(
  o: Pick<AtlasPropertiesOptions, "keycloakUrl" | "keycloakRealm" | "keycloakClientId" | "truststoreFile"> & { readonly truststorePassword: string },
): Record<string, unknown> {
  return {
    realm: o.keycloakRealm ?? "platform",
    "auth-server-url": o.keycloakUrl,
    "ssl-required": "all",
    resource: o.keycloakClientId ?? "atlas",
    "public-client": true,
    "principal-attribute": "preferred_username",
    "enable-pkce": true,
    truststore: o.truststoreFile ?? ATLAS_TRUSTSTORE,
    "truststore-password": o.truststorePassword,
  };
}

/** The loopback port the Atlas server listens on behind its TLS sidecar. */
export const ATLAS_HTTP_PORT = 21000;

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
