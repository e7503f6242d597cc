import type { CloudEgress } from "../../platform/platform-foundation";

/**
 * Where pods on GKE reach the Google APIs the platform calls, and how their policies name them.
 *
 * GKE Dataplane V2 with FQDN network policy on (gke-cluster.ts `enableFqdnNetworkPolicy`) admits egress by
 * host name through FQDNNetworkPolicy (networking.gke.io/v1alpha1); Google's API addresses are shared
 * and change, so names are the only precise rule. The API server answers pods at its private endpoint in
 * the control plane's /28 (private cluster: master_ipv4_cidr_block), named by an ipBlock. A workload
 * identity's tokens come from the GKE metadata server on the node (no Google endpoint to allow here).
 */
export function gcpCloudEgress(controlPlaneCidr: string): CloudEgress {
  return {
    fqdnPolicy: "gke",
    cloudKms: { hosts: ["cloudkms.googleapis.com"], cidrs: [], source: "cloud.google.com/kms/docs/reference/rest (service endpoint cloudkms.googleapis.com)" },
    objectStorage: {
      hosts: ["storage.googleapis.com"],
      cidrs: [],
      source: "cloud.google.com/storage/docs/request-endpoints (storage.googleapis.com: the JSON API rclone and Elasticsearch's repository-gcs call)",
    },
    workloadIdentity: {
      hosts: [],
      cidrs: [],
      source: "cloud.google.com/kubernetes-engine/docs/concepts/workload-identity (tokens from the GKE metadata server on each node)",
    },
    kubernetesApi: {
      hosts: [],
      cidrs: [controlPlaneCidr],
      source: "cloud.google.com/kubernetes-engine/docs/concepts/private-cluster-concept (the control plane's private endpoint in master_ipv4_cidr_block)",
    },
  };
}
