/**
 * The platform's services as one table: namespace, service account, ports, and whom each may call.
 *
 * The single source for the Kubernetes stacks: namespaces and NetworkPolicies (the allow graph),
 * Vault's Kubernetes-auth roles, policies and PKI roles (one per service), and the workloads themselves.
 * Every service may also reach Vault and cluster DNS; nothing else is allowed unless listed here.
 */

/** Namespaces, one per concern. Each is Pod Security "restricted" with default-deny NetworkPolicies. */
export const NAMESPACES = {
  vault: "vault",
  identity: "identity",
  metadata: "metadata",
  cache: "cache",
  ingress: "ingress",
} as const;
export type NamespaceName = (typeof NAMESPACES)[keyof typeof NAMESPACES];

/** Keys of SERVICES. */
export type ServiceName = "vault" | "entryPoint" | "keycloak" | "postgresql" | "atlas" | "cassandra" | "elasticsearch" | "redis";

/**
 * Destinations outside the pods' network a service may need, always on 443: the cloud's KMS and object
 * storage APIs, the token exchange of its workload identity, the Kubernetes API server, and the SAML IdP's
 * metadata host (only when SAML is configured). Where each is, per cloud: PlatformFoundation.egress.
 */
export type ExternalDestination = "cloud-kms" | "object-storage" | "workload-identity" | "kubernetes-api" | "saml-idp";

/** A TCP port a service listens on. */
export interface ServicePort {
  readonly name: string;
  readonly port: number;
  /** Only replicas of the same service connect here (cluster membership, replication). @default false */
  readonly peerOnly?: boolean;
}

/** One service of the platform. */
export interface ServiceSpec {
  /** DNS-label name: workload, Service, Vault role and policy. */
  readonly name: string;
  readonly namespace: NamespaceName;
  readonly serviceAccount: string;
  /** Ports other services (or peers) connect to. All speak TLS. */
  readonly ports: readonly ServicePort[];
  /** Services this one opens connections to (besides Vault and DNS, which every service may reach). */
  readonly calls: readonly ServiceName[];
  /** Replicas of the same service talk to each other (cluster membership, replication). */
  readonly peers: boolean;
  /** Destinations outside the cluster this service needs. */
  readonly external: readonly ExternalDestination[];
}

/** Every service and the edges of the allow graph. */
export const SERVICES: Readonly<Record<ServiceName, ServiceSpec>> = {
  vault: {
    name: "vault", namespace: NAMESPACES.vault, serviceAccount: "vault",
    ports: [{ name: "https", port: 8200 }, { name: "cluster", port: 8201, peerOnly: true }],
    // The database secrets engine logs in to PostgreSQL to create and revoke short-lived users.
    // Auto-unseal (KMS, by its workload identity) and Kubernetes auth's TokenReviews (the API server).
    calls: ["postgresql"], peers: true, external: ["cloud-kms", "workload-identity", "kubernetes-api"],
  },
  entryPoint: {
    name: "entry-point", namespace: NAMESPACES.ingress, serviceAccount: "entry-point",
    ports: [{ name: "https", port: 8443 }, { name: "http-redirect", port: 8080 }],
    calls: ["keycloak", "atlas"], peers: false, external: [],
  },
  keycloak: {
    name: "keycloak", namespace: NAMESPACES.identity, serviceAccount: "keycloak",
    // Keycloak 26 clusters over JGroups on 7800 and detects failed members on 57800 (FD_SOCK2: 7800 +
    // port_offset 50000), both between replicas only (keycloak.org/server/caching, "Network ports").
    ports: [{ name: "https", port: 8443 }, { name: "jgroups", port: 7800, peerOnly: true }, { name: "jgroups-fd", port: 57800, peerOnly: true }],
    // The IdP's signing keys are refreshed from its metadata URL (keycloak-realm.ts useMetadataDescriptorUrl).
    calls: ["postgresql"], peers: true, external: ["saml-idp"],
  },
  postgresql: {
    name: "postgresql", namespace: NAMESPACES.identity, serviceAccount: "postgresql",
    ports: [{ name: "postgresql", port: 5432 }],
    calls: [], peers: true, external: ["object-storage", "workload-identity"],
  },
  atlas: {
    name: "atlas", namespace: NAMESPACES.metadata, serviceAccount: "atlas",
    ports: [{ name: "https", port: 21443 }],
    calls: ["cassandra", "elasticsearch", "keycloak", "redis"], peers: false, external: [],
  },
  cassandra: {
    name: "cassandra", namespace: NAMESPACES.metadata, serviceAccount: "cassandra",
    ports: [{ name: "cql-tls", port: 9142 }, { name: "internode-tls", port: 7001, peerOnly: true }],
    calls: [], peers: true, external: ["object-storage", "workload-identity"],
  },
  elasticsearch: {
    name: "elasticsearch", namespace: NAMESPACES.metadata, serviceAccount: "elasticsearch",
    ports: [{ name: "https", port: 9200 }, { name: "transport", port: 9300, peerOnly: true }],
    calls: [], peers: true, external: ["object-storage", "workload-identity"],
  },
  redis: {
    name: "redis", namespace: NAMESPACES.cache, serviceAccount: "redis",
    ports: [{ name: "redis-tls", port: 6379 }],
    calls: [], peers: false, external: [],
  },
};
