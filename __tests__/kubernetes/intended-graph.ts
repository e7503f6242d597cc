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
  // nobody reaches an arbitrary address outside the cluster (egress to the cloud's endpoints: INTENDED_EGRESS)
  // users reach the entry point only
  "external -> ingress/entry-point 8443/TCP",
  "external -> ingress/entry-point 8080/TCP",
].sort();

/**
 * The intended egress outside the cluster, per destination, written out by hand: who may open 443 to the
 * cloud's KMS, its object storage, the token exchange of its workload identity, the Kubernetes API server,
 * the SAML IdP (deployments with SAML), and an arbitrary address on the internet (nobody).
 */
export const INTENDED_EGRESS = {
  /** What every cloud allows (where the destination exists there). */
  common: [
    // Vault: auto-unseal through the KMS, by its workload identity; TokenReviews at the API server.
    "vault/vault -> cloud-kms 443/TCP",
    "vault/vault -> workload-identity 443/TCP",
    "vault/vault -> kubernetes-api 443/TCP",
    // The stores' backups: the bucket, by the backup identity.
    "identity/postgresql -> object-storage 443/TCP",
    "identity/postgresql -> workload-identity 443/TCP",
    "metadata/cassandra -> object-storage 443/TCP",
    "metadata/cassandra -> workload-identity 443/TCP",
    "metadata/elasticsearch -> object-storage 443/TCP",
    "metadata/elasticsearch -> workload-identity 443/TCP",
  ],
  /** Keycloak refreshes the IdP's signing keys from its metadata host. */
  saml: ["identity/keycloak -> saml-idp 443/TCP"],
  /**
   * EKS: addresses only. Every AWS API is an interface endpoint in the same private subnets, so a pod allowed
   * one reaches the others' addresses (IAM decides what it may do there), and Keycloak's SAML rule is the one
   * reasoned "anywhere outside the cluster" (K8S-27 suppression): the internet, never the VPC (pods take VPC
   * addresses on EKS, so the cluster's ranges it excepts are the VPC's), hence none of the endpoints.
   */
  awsSharedEndpoints: [
    "vault/vault -> object-storage 443/TCP",
    ...["identity/postgresql", "metadata/cassandra", "metadata/elasticsearch"].flatMap((p) => [`${p} -> cloud-kms 443/TCP`, `${p} -> kubernetes-api 443/TCP`]),
  ],
  /**
   * The Azure example's SAML IdP is Entra ID, whose host is also Azure's workload-identity token service: a
   * rule by name cannot tell the two apart, so each side reaches the other's name.
   */
  azureEntraIdp: [
    "identity/keycloak -> workload-identity 443/TCP",
    "vault/vault -> saml-idp 443/TCP",
    "identity/postgresql -> saml-idp 443/TCP",
    "metadata/cassandra -> saml-idp 443/TCP",
    "metadata/elasticsearch -> saml-idp 443/TCP",
  ],
  awsSamlAnywhere: ["identity/keycloak -> internet 443/TCP"],
} as const;
