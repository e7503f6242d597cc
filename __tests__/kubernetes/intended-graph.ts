/**
 * The intended allow graph of the default service catalog, written out by hand (not derived from the
 * catalog), as "from -> to port". The flow tests compare what the synthesized NetworkPolicies allow
 * with this, exactly: an extra edge is as much a failure as a missing one.
 */
const pods = ["vault/vault", "ingress/entry-point", "identity/keycloak", "identity/postgresql", "metadata/atlas", "metadata/cassandra", "metadata/elasticsearch", "cache/redis"];

export const INTENDED_GRAPH: readonly string[] = [
  // every service reaches Vault's API (not its cluster port)
  ...pods.filter((p) => p !== "vault/vault").map((p) => `${p} -> vault/vault 8200/TCP`),
  // and cluster DNS
  ...pods.flatMap((p) => [`${p} -> kube-system/dns 53/TCP`, `${p} -> kube-system/dns 53/UDP`]),
  // peers: every port of their own service
  "vault/vault -> vault/vault 8200/TCP",
  "vault/vault -> vault/vault 8201/TCP",
  "identity/keycloak -> identity/keycloak 8443/TCP",
  "identity/keycloak -> identity/keycloak 7800/TCP",
  // Keycloak 26's JGroups failure detection (FD_SOCK2)
  "identity/keycloak -> identity/keycloak 57800/TCP",
  "identity/postgresql -> identity/postgresql 5432/TCP",
  "metadata/cassandra -> metadata/cassandra 9142/TCP",
  "metadata/cassandra -> metadata/cassandra 7001/TCP",
  "metadata/elasticsearch -> metadata/elasticsearch 9200/TCP",
  "metadata/elasticsearch -> metadata/elasticsearch 9300/TCP",
  // calls: the callee's client ports only
  "ingress/entry-point -> identity/keycloak 8443/TCP",
  "ingress/entry-point -> metadata/atlas 21443/TCP",
  "identity/keycloak -> identity/postgresql 5432/TCP",
  "metadata/atlas -> metadata/cassandra 9142/TCP",
  "metadata/atlas -> metadata/elasticsearch 9200/TCP",
  "metadata/atlas -> identity/keycloak 8443/TCP",
  "metadata/atlas -> cache/redis 6379/TCP",
  // Vault's database secrets engine creates and revokes PostgreSQL users
  "vault/vault -> identity/postgresql 5432/TCP",
  // outside the cluster: KMS, object storage, SAML IdP on 443
  "vault/vault -> external 443/TCP",
  "identity/keycloak -> external 443/TCP",
  "identity/postgresql -> external 443/TCP",
  "metadata/cassandra -> external 443/TCP",
  "metadata/elasticsearch -> external 443/TCP",
  // users reach the entry point only
  "external -> ingress/entry-point 8443/TCP",
  "external -> ingress/entry-point 8080/TCP",
].sort();
