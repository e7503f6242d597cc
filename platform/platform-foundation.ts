import type { Construct } from "constructs";
import type { Cloud } from "../config/schema";

/**
 * The cloud-neutral contract between a cloud stack (aws, azure, gcp) and the Kubernetes/Vault stacks.
 *
 * A cloud stack builds the network, cluster, buckets, keys and identities, and exposes them through
 * this interface; the `<name>-vault`, `<name>-vault-config` and `<name>-platform` stacks consume only
 * this, never a cloud provider's resources. Adding a cloud means writing one stack that fulfils it.
 * Values may be cdktf tokens from the cloud stack: cdktf turns them into cross-stack references
 * (an output in the producer, a remote-state read in the consumer).
 */
export interface PlatformFoundation {
  /** Which cloud fulfils the contract (for documentation and policy, never for branching in shared stacks). */
  readonly cloud: Cloud;
  /** Zones the node pools span; workloads spread across them (topology.kubernetes.io/zone). */
  readonly zones: readonly string[];
  /** How to reach the Kubernetes API. */
  readonly cluster: ClusterAccess;
  /** The StorageClass that gives encrypted volumes; every stateful workload uses it by name. */
  readonly encryptedStorage: EncryptedStorageClassSpec;
  /** The platform's object storage (backups, exports, query results). */
  readonly objectStore: ObjectStore;
  /** Cloud identities bound to the Kubernetes service accounts named in WORKLOAD_IDENTITIES. */
  readonly workloadIdentities: Readonly<Record<WorkloadIdentityName, WorkloadIdentityBinding>>;
  /** Vault's auto-unseal stanza, backed by the cloud's KMS and reached through `workloadIdentities.vault`. */
  readonly vaultSeal: VaultSeal;
  /** What the user-facing entry point's LoadBalancer Service needs from the cloud. */
  readonly loadBalancer: LoadBalancerSpec;
  /** The cloud endpoints pods call, and how the cluster's network policies can name them. */
  readonly egress: CloudEgress;
  /** The cloud's addressing facts the NetworkPolicies depend on. */
  readonly podNetwork: PodNetwork;
  /**
   * The entry point's public certificate when the cloud mounts it from the customer's certificate store
   * (domain.certificate azure-key-vault). @default - none (Vault PKI, a Kubernetes secret, or served by the load balancer)
   */
  readonly publicCertificate?: MountedCertificate;
}

/**
 * A certificate a CSI driver mounts into the entry point's pods from the customer's store: the key never
 * passes through Terraform (the driver fetches it on the node with the pod's service account token).
 */
export interface MountedCertificate {
  /** The object the volume names (e.g. a SecretProviderClass), created in the entry point's namespace. */
  readonly providerClass: { readonly apiVersion: string; readonly kind: string; readonly name: string; readonly spec: Readonly<Record<string, unknown>> };
  /** The pod's CSI volume source. */
  readonly csi: { readonly driver: string; readonly readOnly: boolean; readonly volumeAttributes: Readonly<Record<string, string>> };
  /** Files in the volume with the PEM certificate chain and the PEM private key (may be the same file). */
  readonly certificateFile: string;
  readonly keyFile: string;
  /** Annotations of the entry point's service account (its cloud identity). */
  readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
}

/**
 * Where pod traffic comes from and goes to, as far as a NetworkPolicy must know it. The shared stacks
 * turn these into ipBlocks and peers; a cloud states them, with the source of each fact next to the value.
 */
export interface PodNetwork {
  /**
   * Every range a pod or a Service can have its address in. An "anywhere" ipBlock excludes all of them,
   * since an ipBlock also matches pods: the pod and service ranges, and on EKS (pods take VPC addresses)
   * the VPC range.
   */
  readonly clusterCidrs: readonly string[];
  /**
   * Egress a pod bound to a cloud identity (WORKLOAD_IDENTITIES) needs to obtain its credentials, beyond
   * HTTPS (GKE: the metadata server, which Dataplane V2 reaches at 169.254.169.252:988). Only those pods get it.
   */
  readonly workloadIdentityEgress: readonly PodEgress[];
}

/** One egress allowance by address. */
export interface PodEgress {
  readonly cidr: string;
  readonly port: number;
  readonly protocol: "TCP" | "UDP";
  /** Where the fact comes from (upstream documentation or code). */
  readonly source: string;
}

/**
 * How a Kubernetes/Helm/Vault provider authenticates to the cluster: exec-based, short-lived
 * credentials from the operator's cloud login. Never a static token (it would land in state).
 */
export interface ClusterAccess {
  /** Cluster name as the cloud knows it. */
  readonly name: string;
  /** API server URL (https://...). */
  readonly host: string;
  /** PEM-encoded cluster CA certificate (decoded, not base64). */
  readonly caCertificatePem: string;
  /** Credential plugin run by the provider: client.authentication.k8s.io exec config. */
  readonly exec: ExecCredential;
  /** The service account token issuer (OIDC issuer URL), for Vault's Kubernetes auth. */
  readonly serviceAccountIssuer: string;
}

/** A kubeconfig-style exec credential plugin. */
export interface ExecCredential {
  readonly apiVersion: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** Provisioner and parameters of a StorageClass whose volumes are encrypted at rest. */
export interface EncryptedStorageClassSpec {
  /** CSI driver, e.g. ebs.csi.aws.com, disk.csi.azure.com, pd.csi.storage.gke.io. */
  readonly provisioner: string;
  /** Driver parameters; they must make encryption explicit where the driver allows it. */
  readonly parameters: Readonly<Record<string, string>>;
}

/** Object storage the in-cluster services write backups and exports to. */
export interface ObjectStore {
  readonly kind: "s3" | "azure-blob" | "gcs";
  /** Bucket (S3/GCS) or container (Azure) for platform data: backups, exports, query results. */
  readonly dataBucket: string;
  /** Region (S3/GCS) or location (Azure). */
  readonly region: string;
  /** Azure only: the storage account holding `dataBucket`. */
  readonly accountName?: string;
}

/** The service accounts that get a cloud identity, and what the identity may do. */
export const WORKLOAD_IDENTITIES = {
  /** Vault's server: encrypt/decrypt with the unseal key only. */
  vault: { subjects: [{ namespace: "vault", serviceAccount: "vault" }] },
  /** Backup writers: read/write the data bucket only. */
  backup: {
    subjects: [
      { namespace: "identity", serviceAccount: "postgresql" },
      { namespace: "metadata", serviceAccount: "cassandra" },
      { namespace: "metadata", serviceAccount: "elasticsearch" },
    ],
  },
} as const;

/** The names of the cloud identities a foundation provides. */
export type WorkloadIdentityName = keyof typeof WORKLOAD_IDENTITIES;

/** What binds a Kubernetes service account to its cloud identity. */
export interface WorkloadIdentityBinding {
  /** e.g. eks.amazonaws.com/role-arn, azure.workload.identity/client-id, iam.gke.io/gcp-service-account. */
  readonly serviceAccountAnnotations: Readonly<Record<string, string>>;
  /** e.g. azure.workload.identity/use: "true"; empty where the cloud needs none. */
  readonly podLabels: Readonly<Record<string, string>>;
}

/** A Vault `seal` stanza: Vault auto-unseals through the cloud's KMS, so no unseal keys exist to handle. */
export interface VaultSeal {
  readonly type: "awskms" | "azurekeyvault" | "gcpckms";
  /** Stanza attributes (no credentials: Vault authenticates by workload identity). */
  readonly config: Readonly<Record<string, string>>;
}

/** Cloud specifics of the entry point's `type: LoadBalancer` Service. */
export interface LoadBalancerSpec {
  readonly serviceAnnotations: Readonly<Record<string, string>>;
  /**
   * The user-facing DNS record, when it can only point at what the cluster's controller made for the
   * Service (its load balancer's name or address, in the Service's status): built by the platform stack's
   * call, in the platform stack, so it exists in the same run as the load balancer.
   * @default - no record in the platform stack (none, or the cloud stack's own)
   */
  readonly addressRecord?: (scope: Construct, ingress: LoadBalancerIngress) => void;
  /**
   * Kubernetes objects the cloud needs beside the Service (GKE: a ServiceAttachment for Private Service Connect),
   * created with it in its namespace.
   * @default [] - none
   */
  readonly serviceCompanions?: readonly ServiceCompanion[];
  /**
   * The Service is the backend of a cloud application load balancer rather than a load balancer (GKE: a Gateway serving a
   * Certificate Manager certificate): a ClusterIP Service of the HTTPS port only, with this appProtocol; the load
   * balancer's proxies and health checkers (clientCidrs), not the users, connect to the pods; the users' address, reserved
   * by the cloud stack.
   * @default - the Service is `type: LoadBalancer`
   */
  readonly proxied?: { readonly appProtocol: string; readonly clientCidrs: readonly string[]; readonly address: string };
  /**
   * Ranges the load balancer itself connects to the entry point from, admitted beside the users' (AWS PrivateLink: the
   * NLB's own subnets, where no pod takes an address). Each is a strict subset of the cluster's ranges that the
   * entry point's NetworkPolicy would otherwise exclude.
   * @default [] - the load balancer passes the users' addresses through
   */
  readonly ownSourceCidrs?: readonly string[];
}

/** The load balancer the controller made for the entry point Service, as its status reports it (tokens). */
export interface LoadBalancerIngress {
  /** Its DNS name (AWS NLBs). */
  readonly hostname: string;
  /** Its address (Azure and GCP load balancers). */
  readonly ip: string;
}

/** A Kubernetes object that belongs to the entry point's LoadBalancer Service and names it. */
export interface ServiceCompanion {
  /** Construct id of the object (a PascalCase role, e.g. "ServiceAttachment"). */
  readonly id: string;
  /** The object's manifest for the Service of this name in this namespace. */
  readonly manifest: (service: { readonly name: string; readonly namespace: string }) => Readonly<Record<string, unknown>>;
}

/**
 * A destination outside the pods' network, reached on HTTPS (443): by host name where the cluster's policy
 * engine matches names, by address where it is private or the engine matches addresses only, or (Cilium) by
 * an entity that neither selects. Each value names its source.
 */
export interface EgressTarget {
  /** Host names, matched against the DNS answers the pod receives (FQDN policies). */
  readonly hosts: readonly string[];
  /** Address ranges the destination answers in (interface endpoints, the API server's private range). */
  readonly cidrs: readonly string[];
  /** Cilium entities, e.g. `kube-apiserver` (only a CiliumNetworkPolicy selects them). @default [] */
  readonly entities?: readonly string[];
  /** Where the names and addresses come from (documentation URL or code). */
  readonly source: string;
}

/** How a cluster's network policies admit egress by host name. */
export type FqdnPolicyEngine =
  /** CiliumNetworkPolicy `toFQDNs` (AKS: Azure CNI powered by Cilium with Advanced Container Networking Services security). */
  | "cilium"
  /** `FQDNNetworkPolicy` (networking.gke.io/v1alpha1; GKE Dataplane V2 with FQDN network policy enabled). */
  | "gke"
  /** None: NetworkPolicy ipBlocks only (EKS with the VPC CNI's network policy agent). */
  | "none";

/** The cloud endpoints the platform's pods call, per need, and how the cluster names them in policies. */
export interface CloudEgress {
  readonly fqdnPolicy: FqdnPolicyEngine;
  /** Vault's auto-unseal key (the KMS API). */
  readonly cloudKms: EgressTarget;
  /** The platform bucket's API (backups). */
  readonly objectStorage: EgressTarget;
  /** Where a workload identity's token is exchanged for cloud credentials; empty where the node serves it. */
  readonly workloadIdentity: EgressTarget;
  /** The Kubernetes API server as pods reach it (Vault's TokenReviews, the TLS bootstrap Job). */
  readonly kubernetesApi: EgressTarget;
}
