import { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { Deployment } from "../config/schema";
import { EncryptedStorageClass } from "../constructs/kubernetes/encrypted-storage-class";
import { IMAGES, imageRef, secretsServerImage } from "../constructs/kubernetes/images";
import { NetworkAllowGraph } from "../constructs/kubernetes/network-allow-graph";
import { SecureNamespace } from "../constructs/kubernetes/secure-namespace";
import { VaultServer, vaultListenerNames } from "../constructs/vault/vault-server";
import { VaultTlsBootstrap } from "../constructs/vault/vault-tls-bootstrap";
import { configureBackend } from "./backend";
import { WORKLOAD_IDENTITIES, type EgressTarget, type PlatformFoundation } from "../platform/platform-foundation";
import { NAMESPACES, SERVICES, type ExternalDestination, type NamespaceName } from "../platform/service-catalog";
import { idOf } from "../lib/construct-id";

/** Props of VaultStack. */
export interface VaultStackProps {
  readonly deployment: Deployment;
  /** The cloud stack's contract: the only input besides the deployment. */
  readonly foundation: PlatformFoundation;
}

/**
 * The Kubernetes provider of a shared stack, from the contract: API host, its CA, and an exec
 * credential plugin (short-lived tokens from the operator's cloud login). Never a static token, so
 * no cluster credential is in configuration or state.
 */
export function kubernetesProvider(scope: Construct, foundation: PlatformFoundation): KubernetesProvider {
  const c = foundation.cluster;
  return new KubernetesProvider(scope, "Kubernetes", {
    host: c.host,
    clusterCaCertificate: c.caCertificatePem,
    exec: [{ apiVersion: c.exec.apiVersion, command: c.exec.command, args: [...c.exec.args], ...(c.exec.env ? { env: { ...c.exec.env } } : {}) }],
  });
}

/**
 * `<name>-vault`: the secured ground every service stands on, the same for every cloud.
 *
 * Namespaces per concern (Pod Security "restricted", default-deny ingress and egress, DNS allowed),
 * the catalog's allow graph as NetworkPolicies, the encrypted StorageClass, Vault's listener
 * certificate issued in the cluster, and the Vault server (3-voter raft, KMS auto-unseal, TLS, audit
 * volume). Fed only by the PlatformFoundation contract and the service catalog.
 */
export class VaultStack extends TerraformStack {
  /** The namespaces, by name; the platform stack deploys into them. */
  readonly namespaces: Readonly<Record<NamespaceName, SecureNamespace>>;
  readonly storageClass: EncryptedStorageClass;
  readonly allowGraph: NetworkAllowGraph;
  readonly tlsBootstrap: VaultTlsBootstrap;
  readonly server: VaultServer;

  constructor(scope: Construct, id: string, props: VaultStackProps) {
    super(scope, id);
    const { deployment: d, foundation } = props;
    configureBackend(this, id, d.state);
    kubernetesProvider(this, foundation);
    const allowDestroy = d.dataProtection.allowDestroy;

    const namespaces = {} as Record<NamespaceName, SecureNamespace>;
    for (const [key, name] of Object.entries(NAMESPACES)) {
      namespaces[name] = new SecureNamespace(this, `Namespace${idOf(key)}`, { name, allowDestroy });
    }
    this.namespaces = namespaces;
    const refs = Object.fromEntries(Object.entries(namespaces).map(([n, ns]) => [n, ns.name]));

    this.storageClass = new EncryptedStorageClass(this, "EncryptedStorage", {
      spec: foundation.encryptedStorage,
      reclaimPolicy: allowDestroy ? "Delete" : "Retain",
    });

    this.allowGraph = new NetworkAllowGraph(this, "AllowGraph", {
      namespaceRefs: refs,
      // Users reach the entry point only (from the configured ranges, or anywhere: it is the HTTPS front door); behind
      // a cloud application load balancer, its proxies and health checkers do, not the users.
      // Where the load balancer connects from itself (AWS PrivateLink: its own subnets), beside them.
      externalIngress: {
        entryPoint: [...(foundation.loadBalancer.proxied?.clientCidrs ?? d.domain.allowedSourceCidrs ?? ["0.0.0.0/0"]), ...(foundation.loadBalancer.ownSourceCidrs ?? [])],
      },
      // The proxies connect to the HTTPS port only (the entry point's ClusterIP Service has no other; the firewall
      // admits only it); users of a passthrough load balancer reach the redirect port too.
      ...(foundation.loadBalancer.proxied ? { externalIngressPorts: { entryPoint: [SERVICES.entryPoint.ports[0].name] } } : {}),
      // The cloud says which ranges pods and Services live in (on EKS: the VPC), and what identity-bound pods need.
      clusterCidrs: foundation.podNetwork.clusterCidrs,
      identityEgress: { services: identityBoundServices(), rules: foundation.podNetwork.workloadIdentityEgress },
      // Egress outside the cluster goes exactly where each service's destinations are (the cloud's endpoints,
      // and the SAML IdP's metadata host when SAML is configured), as the cluster's policy engine can name them.
      fqdnPolicy: foundation.egress.fqdnPolicy,
      externalTargets: externalTargets(foundation, d),
    });

    const vaultNs = namespaces[NAMESPACES.vault].name;
    this.tlsBootstrap = new VaultTlsBootstrap(this, "VaultTls", {
      namespace: vaultNs,
      caNamespaces: Object.values(namespaces).map((ns) => ns.name),
      dnsNames: vaultListenerNames(NAMESPACES.vault),
      image: imageRef(IMAGES.tlsBootstrap, d.images),
      deploymentName: d.name,
      kubernetesApi: foundation.egress.kubernetesApi,
      fqdnPolicy: foundation.egress.fqdnPolicy,
      clusterCidrs: foundation.podNetwork.clusterCidrs,
    });

    this.server = new VaultServer(this, "Vault", {
      namespace: vaultNs,
      foundation,
      image: secretsServerImage(d.images),
      tlsSecretName: this.tlsBootstrap.secretName,
      clusterName: `${d.name}-vault`,
      dataSizeGiB: d.volumes.vault.dataGiB,
      auditSizeGiB: d.volumes.vault.auditGiB,
      allowDestroy,
      dependsOn: [this.tlsBootstrap.job, this.storageClass.resource],
    });
  }
}

/** Catalog keys of the services whose service account is bound to a cloud identity (WORKLOAD_IDENTITIES). */
export function identityBoundServices(): string[] {
  const subjects: readonly { namespace: string; serviceAccount: string }[] = Object.values(WORKLOAD_IDENTITIES).flatMap((w) => [...w.subjects]);
  return Object.entries(SERVICES)
    .filter(([, s]) => subjects.some((sub) => sub.namespace === s.namespace && sub.serviceAccount === s.serviceAccount))
    .map(([key]) => key);
}

/** Where each external destination of the service catalog is, for this deployment. */
export function externalTargets(foundation: PlatformFoundation, d: Deployment): Partial<Record<ExternalDestination, EgressTarget>> {
  const e = foundation.egress;
  return {
    "cloud-kms": e.cloudKms,
    "object-storage": e.objectStorage,
    "workload-identity": e.workloadIdentity,
    "kubernetes-api": e.kubernetesApi,
    // Keycloak refreshes the IdP's signing keys from its metadata URL; without SAML it reaches nothing outside.
    ...(d.saml ? { "saml-idp": { hosts: [new URL(d.saml.idpMetadataUrl).hostname], cidrs: [], source: "saml.idpMetadataUrl of the deployment" } } : {}),
  };
}
