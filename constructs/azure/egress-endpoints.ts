import type { CloudEgress } from "../../platform/platform-foundation";

/**
 * Where pods on AKS reach the Azure APIs the platform calls, and how their policies name them.
 *
 * AKS with Azure CNI powered by Cilium and Advanced Container Networking Services security (aks-cluster.ts
 * `advancedNetworking.securityEnabled`) enforces CiliumNetworkPolicy `toFQDNs`
 * (learn.microsoft.com/azure/aks/container-network-security-fqdn-filtering-concepts). The key vault and the
 * storage account are reached through private endpoints: their names resolve (privatelink CNAME) to
 * addresses in the VNet, and toFQDNs allows what the pod's lookup answered. Cilium gives the API server's
 * addresses the `kube-apiserver` identity, which only that entity selects (docs.cilium.io, "Entities").
 */
export function azureCloudEgress(keyVaultName: string, storageAccountName: string): CloudEgress {
  return {
    fqdnPolicy: "cilium",
    cloudKms: {
      hosts: [`${keyVaultName}.vault.azure.net`],
      cidrs: [],
      source: "learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates (https://<vault-name>.vault.azure.net)",
    },
    objectStorage: {
      hosts: [`${storageAccountName}.blob.core.windows.net`],
      cidrs: [],
      source: "learn.microsoft.com/azure/storage/common/storage-account-overview#standard-endpoints (https://<account>.blob.core.windows.net)",
    },
    workloadIdentity: {
      // The workload identity webhook sets AZURE_AUTHORITY_HOST; the token exchange goes to Entra ID.
      hosts: ["login.microsoftonline.com"],
      cidrs: [],
      source: "Azure/azure-workload-identity pkg/webhook (AZURE_AUTHORITY_HOST=https://login.microsoftonline.com/)",
    },
    kubernetesApi: { hosts: [], cidrs: [], entities: ["kube-apiserver"], source: "docs.cilium.io/en/stable/security/policy/language/#entities-based (kube-apiserver)" },
  };
}
