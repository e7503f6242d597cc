/**
 * The promises rules protect, citing the security pages the platform is built to (shared reference
 * folder): `overview` = atlan-security-overview.txt, `keys` = atlan-encryption-and-keys.txt, with line numbers.
 */
export const PROMISES = {
  s3Encrypted: "keys:47, overview:73 — the S3 bucket is encrypted with SSE-S3 (AES-256)",
  blobEncrypted: "keys:48 — Azure Blob Storage is encrypted with Microsoft-managed keys",
  gcsEncrypted: "keys:49 — Google Cloud Storage is encrypted with Google-managed keys",
  volumesEncrypted: "keys:21,54-57, overview:75 — every volume is encrypted, provisioned through an encrypted StorageClass",
  dataInVpc: "overview:7,17 — data and metadata stay inside the customer's VPC, encrypted",
  controlPlane: "overview:46 — the Kubernetes control plane is not public; ACLs restrict it to the admins' IP addresses",
  nodesAcl: "overview:50 — nodes accept connections only from the control plane and for NodePort/LoadBalancer services",
  clusterSecurity: "overview:52-66 — security measures at cluster, node, pod, container and network level, and secret management",
  podSecurity: "overview:56-60 — pod and container security",
  networkSecurity: "overview:62 — network security inside the cluster",
  inTransit: "overview:39,71, keys:35,62 — data in transit is encrypted with HTTPS/TLS",
  vaultKeys: "keys:26-29 — HashiCorp Vault manages keys, secrets, tokens and credentials",
  noSecretsManager: "overview:7 — no credentials are stored in AWS Secrets Manager (keys:26-28: Vault holds them)",
  credentialsInVpc: "overview:7 — no credentials are transferred outside the customer's VPC",
  dataSafety: "keys:8 (HA/DR) and DESIGN.md — stateful resources (buckets, keys, volumes, clusters) are protected from destruction",
} as const;
