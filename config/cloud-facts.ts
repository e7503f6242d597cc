// Facts of the clouds that the config checks before anything is planned. The config sits below the constructs
// in the import order, so these live here; constructs/<cloud>/*-facts.ts hold the rest and refer to them.

/** The rule EKS applies to a custom service range (checked in config/schema.ts before anything is planned). */
export const EKS_SERVICE_CIDR_RULE = {
  value: { privateBlocks: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], shortestPrefix: 12, longestPrefix: 24, disjointFromVpc: true },
  source:
    "EKS API KubernetesNetworkConfigRequest.serviceIpv4Cidr: within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, " +
    "no overlap with the VPC, between /24 and /12, fixed at creation (https://docs.aws.amazon.com/eks/latest/APIReference/API_KubernetesNetworkConfigRequest.html)",
} as const;

/** A Private Service Connect consumer is a project, by id or by number. */
export const GKE_PSC_CONSUMER = {
  value: /^([a-z][a-z0-9-]{4,28}[a-z0-9]|[1-9][0-9]{0,18})$/,
  source: "kubernetes/ingress-gce pkg/apis/serviceattachment/v1/types.go (ConsumerProject.Project: 'the project id or number'); https://cloud.google.com/resource-manager/docs/creating-managing-projects (project id: 6-30 lowercase letters, digits, hyphens; starts with a letter)",
} as const;

/** AKS encrypts data disks (the StorageClass's volumes) with a customer-managed key from this Kubernetes minor on. */
export const AKS_CMK_MIN_KUBERNETES_MINOR = {
  value: 24,
  source:
    "Microsoft Learn, 'Bring your own keys (BYOK) with Azure managed disks in AKS', Prerequisites: 'Data disk encryption and customer-managed keys are supported on Kubernetes versions 1.24 and higher' " +
    "(https://learn.microsoft.com/azure/aks/azure-disk-customer-managed-keys; MicrosoftDocs/azure-aks-docs articles/aks/azure-disk-customer-managed-keys.md)",
} as const;

/** The private DNS zones of the Private Link sub-resources the Azure stack reaches privately (Azure public cloud). */
export const AZURE_PRIVATE_LINK_ZONES = {
  value: { blob: "privatelink.blob.core.windows.net", vault: "privatelink.vaultcore.azure.net" },
  source: "https://learn.microsoft.com/azure/private-link/private-endpoint-dns (Storage blob: privatelink.blob.core.windows.net; Key Vault vault: privatelink.vaultcore.azure.net)",
} as const;
