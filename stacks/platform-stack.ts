import type { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import type { Deployment } from "../config/schema";
import { Atlas } from "../constructs/kubernetes/atlas";
import { Cassandra } from "../constructs/kubernetes/cassandra";
import { Elasticsearch } from "../constructs/kubernetes/elasticsearch";
import { EntryPoint, type PublicCertificate } from "../constructs/kubernetes/entry-point";
import { Keycloak } from "../constructs/kubernetes/keycloak";
import { Postgresql } from "../constructs/kubernetes/postgresql";
import { Redis } from "../constructs/kubernetes/redis";
import { configureBackend } from "./backend";
import type { PlatformFoundation } from "../platform/platform-foundation";
import { SERVICES } from "../platform/service-catalog";
import { kubernetesProvider } from "./vault-stack";

/** Props of PlatformStack. */
export interface PlatformStackProps {
  readonly deployment: Deployment;
  /** The cloud stack's contract: zones, object store, backup identity, load-balancer annotations. */
  readonly foundation: PlatformFoundation;
}

/**
 * `<name>-platform`: the metadata services on the secured ground of `<name>-vault`, the same code on
 * every cloud. Cassandra, Elasticsearch and PostgreSQL on encrypted volumes with backups to the platform
 * bucket; Redis as a bounded, unpersisted cache; Keycloak with the realm as code; Atlas on Cassandra and
 * Elasticsearch; and the HTTPS entry point. Every connection is TLS with certificates from Vault's PKI,
 * every credential comes from Vault through Vault Agent, and the namespaces, default-deny and the allow
 * graph come from the vault stack (deploy it, and vault-config, first).
 */
export class PlatformStack extends TerraformStack {
  readonly postgresql: Postgresql;
  readonly redis: Redis;
  readonly cassandra: Cassandra;
  readonly elasticsearch: Elasticsearch;
  readonly keycloak: Keycloak;
  readonly atlas: Atlas;
  readonly entryPoint: EntryPoint;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const { deployment: d, foundation: f } = props;
    configureBackend(this, id, d.state);
    kubernetesProvider(this, f);
    const allowDestroy = d.dataProtection.allowDestroy;
    const common = { zones: f.zones, images: d.images };
    const backup = { objectStore: f.objectStore, backupIdentity: f.workloadIdentities.backup };

    this.postgresql = new Postgresql(this, "Postgresql", {
      ...common,
      ...backup,
      namespace: SERVICES.postgresql.namespace,
      // Pods take addresses from the pod range (overlay) or from the node network (VPC CNI).
      clientCidrs: [d.network.podCidr, d.network.cidr],
      storageGiB: d.volumes.postgresql.dataGiB,
      allowDestroy,
    });
    this.redis = new Redis(this, "Redis", { ...common, namespace: SERVICES.redis.namespace });
    this.cassandra = new Cassandra(this, "Cassandra", { ...common, ...backup, namespace: SERVICES.cassandra.namespace, storageGiB: d.volumes.cassandra.dataGiB, allowDestroy });
    this.elasticsearch = new Elasticsearch(this, "Elasticsearch", {
      ...common,
      ...backup,
      namespace: SERVICES.elasticsearch.namespace,
      storageGiB: d.volumes.elasticsearch.dataGiB,
      allowDestroy,
    });
    this.keycloak = new Keycloak(this, "Keycloak", {
      ...common,
      namespace: SERVICES.keycloak.namespace,
      publicHostname: d.domain.name,
      ...(d.saml ? { saml: d.saml } : {}),
    });
    this.atlas = new Atlas(this, "Atlas", { ...common, namespace: SERVICES.atlas.namespace });
    this.entryPoint = new EntryPoint(this, "EntryPoint", {
      ...common,
      namespace: SERVICES.entryPoint.namespace,
      hostname: d.domain.name,
      publicCertificate: publicCertificate(d, f),
      ...(d.domain.allowedSourceCidrs ? { allowedSourceCidrs: d.domain.allowedSourceCidrs } : {}),
      loadBalancer: f.loadBalancer,
    });
    if (f.loadBalancer.addressRecord) {
      const ingress = this.entryPoint.workload.service.status.get(0).loadBalancer.get(0).ingress.get(0);
      f.loadBalancer.addressRecord(this, { hostname: ingress.hostname, ip: ingress.ip });
    }
  }
}

/** The entry point's certificate source, from domain.certificate and what the cloud stack mounts or serves. */
function publicCertificate(d: Deployment, f: PlatformFoundation): PublicCertificate {
  const c = d.domain.certificate;
  switch (c.source) {
    case "vault-pki":
      return { source: "vault-pki" };
    case "kubernetes-secret":
      return { source: "kubernetes-secret", secretName: c.secretName };
    case "azure-key-vault":
      if (!f.publicCertificate) throw new Error("domain.certificate azure-key-vault needs the cloud stack's foundation.publicCertificate (the Azure stack provides it)");
      return { source: "mounted", mounted: f.publicCertificate };
    case "aws-acm":
    case "gcp-certificate-manager":
      return { source: "load-balancer" };
  }
}
