/**
 * The UID (and GID: the same number) each workload's pods run as: all at least 10000 (policy K8S-26), so
 * none is a user or group of the node (Linux login.defs starts regular users at 1000, system ones below)
 * or an image's own system user, and each distinct, so no two services share file ownership or an
 * identity in audit logs. Where an image runs only as its own user, its runtime contract says why
 * (image-contracts.ts) and the workload carries a K8S-26 suppression with that reason; today none does.
 */
export const WORKLOAD_IDS = {
  vault: 10100,
  postgresql: 10110,
  redis: 10120,
  keycloak: 10130,
  elasticsearch: 10140,
  cassandra: 10150,
  entryPoint: 10160,
  /** The image's own user (images/atlas/Dockerfile: useradd --uid 10001), already above 10000. */
  atlas: 10001,
  /** The Vault TLS bootstrap Job (cfssl image, any UID). */
  vaultTlsBootstrap: 65532,
} as const;
