import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import type { LoadBalancerSpec, MountedCertificate } from "../../platform/platform-foundation";
import { SERVICES } from "../../platform/service-catalog";
import { serviceDnsNames, vaultNames } from "../../platform/service-names";
import { PLATFORM_REALM } from "./server-config/keycloak-realm";
import { entryPointNginxConf, nginxServeScript } from "./server-config/nginx-conf";
import { tlsFilesIn } from "./server-config/paths";
import { IMAGES, imageRef, secretsServerImage, type ImageSettings } from "./images";
import type { VolumeSpec } from "./pod-spec";
import { TMP_VOLUME, serviceCertificate } from "./platform-pod";
import { StatelessWorkload } from "./stateless-workload";
import { VaultAgent, pkiCertificateTemplate } from "./vault-agent";
import { WORKLOAD_IDS } from "./workload-ids";

/** Props of EntryPoint. */
export interface EntryPointProps {
  /** Namespace (a SecureNamespace reference); the catalog's `ingress`. */
  readonly namespace: string;
  readonly zones: readonly string[];
  readonly images: ImageSettings;
  /** The name users reach the platform by (deployment.domain.name). */
  readonly hostname: string;
  /** Where the certificate users see comes from (deployment.domain.certificate). */
  readonly publicCertificate: PublicCertificate;
  /** Ranges allowed to reach the load balancer (deployment.domain.allowedSourceCidrs). @default - everyone (0.0.0.0/0, written out) */
  readonly allowedSourceCidrs?: readonly string[];
  /** The cloud's annotations for the LoadBalancer Service (foundation.loadBalancer). */
  readonly loadBalancer: LoadBalancerSpec;
  /** @default 2 - in two zones */
  readonly replicas?: number;
}

/**
 * Where the entry point's public certificate comes from: Vault's PKI issues it for the hostname; a Kubernetes TLS
 * secret made out of band; files a cloud store's CSI driver mounts; or the cloud's load balancer serves it (ACM,
 * Certificate Manager), and the entry point serves its service certificate on the hop behind.
 */
export type PublicCertificate =
  | { readonly source: "vault-pki" }
  | { readonly source: "kubernetes-secret"; readonly secretName: string }
  | { readonly source: "mounted"; readonly mounted: MountedCertificate }
  | { readonly source: "load-balancer" };

const UID = WORKLOAD_IDS.entryPoint; // any UID (image-contracts.ts)

/** The only Keycloak paths users reach through the entry point (the platform realm and theme resources). */
export const KEYCLOAK_PUBLIC_PATHS = [`/auth/realms/${PLATFORM_REALM}/`, "/auth/resources/"] as const;
const PUBLIC_TLS_DIR = "/etc/entry-point-tls";
/** The path nginx answers health checks on (its probes, and a cloud load balancer's health check). */
export const ENTRY_POINT_HEALTH_PATH = "/healthz";

/**
 * The one thing users reach: an nginx behind a `type: LoadBalancer` Service.
 *
 * - HTTPS only on 443 (TLS 1.2+, HSTS); port 80 answers every request with a 301 to HTTPS.
 * - Certificate per `domain.certificate`: issued by Vault's PKI for the hostname, or a Kubernetes TLS
 *   secret created out of band (the key never passes through Terraform).
 * - `domain.allowedSourceCidrs` becomes the Service's loadBalancerSourceRanges (and the allow graph's
 *   external ingress), explicitly 0.0.0.0/0 when not set; source addresses are preserved
 *   (externalTrafficPolicy Local).
 * - Routes: Keycloak's platform realm and theme resources (never its admin console, admin API or master
 *   realm: the rest of /auth/ is a 404), everything else to Atlas, each over TLS verified against the platform CA.
 */
export class EntryPoint extends Construct {
  readonly workload: StatelessWorkload;
  readonly config: ConfigMapV1;

  constructor(scope: Construct, id: string, props: EntryPointProps) {
    super(scope, id);
    const spec = SERVICES.entryPoint;
    const [httpsPort, httpPort] = [spec.ports[0], spec.ports[1]];
    const keycloak = SERVICES.keycloak;
    const atlas = SERVICES.atlas;
    const internal = (s: typeof keycloak) => `${s.name}.${s.namespace}.svc`;
    const fromSecret = props.publicCertificate.source === "kubernetes-secret" ? props.publicCertificate.secretName : undefined;
    // A cloud-store certificate (azure-key-vault) is mounted where a secret's would be, in the files its driver writes.
    const mounted = props.publicCertificate.source === "mounted" ? props.publicCertificate.mounted : undefined;
    const certDir = fromSecret || mounted ? PUBLIC_TLS_DIR : "/vault/secrets";
    const certFiles = mounted
      ? { certFile: `${certDir}/${mounted.certificateFile}`, keyFile: `${certDir}/${mounted.keyFile}` }
      : { certFile: `${certDir}/tls.crt`, keyFile: `${certDir}/tls.key` };

    this.config = new ConfigMapV1(this, "Config", {
      metadata: { name: `${spec.name}-config`, namespace: props.namespace },
      data: {
        "nginx.conf": entryPointNginxConf({
          serverName: props.hostname,
          httpsPort: httpsPort.port,
          httpPort: httpPort.port,
          certificate: certFiles,
          routes: [
            // Keycloak: only the platform realm's endpoints (login, OIDC, SAML broker, account console) and
            // the theme resources. The admin console and REST API (/auth/admin/), the master realm and
            // everything else under /auth/ stay off the public path (Keycloak's "Exposed path
            // recommendations", keycloak.org/server/reverseproxy); administrators reach them inside the
            // cluster (docs/platform.md, "Keycloak administration").
            ...KEYCLOAK_PUBLIC_PATHS.map((path) => ({ path, upstream: `https://${internal(keycloak)}:${keycloak.ports[0].port}`, upstreamName: internal(keycloak) })),
            { path: "/auth/", closed: true as const },
            { path: "/", upstream: `https://${internal(atlas)}:${atlas.ports[0].port}`, upstreamName: internal(atlas) },
          ],
        }),
      },
    });

    // Vault always supplies the platform CA (to verify upstreams); with `vault-pki` also the public certificate.
    // With a cloud certificate (aws-acm) the load balancer serves the public one and the entry point serves its
    // service certificate on the hop behind it (Vault's PKI role admits domain.name only for vault-pki).
    const certificate = props.publicCertificate.source === "vault-pki"
      ? pkiCertificateTemplate({ role: vaultNames(spec).pkiRole, commonName: props.hostname, altNames: serviceDnsNames(spec), ttl: "720h" })
      : serviceCertificate(spec);
    const agent = new VaultAgent(this, "VaultAgent", {
      name: spec.name,
      namespace: props.namespace,
      role: vaultNames(spec).role,
      image: secretsServerImage(props.images),
      templates: [certificate],
    });

    const volumes: VolumeSpec[] = [{ name: "config", configMap: { name: this.config.metadata.name } }, TMP_VOLUME];
    if (fromSecret) volumes.push({ name: "public-tls", secret: { secretName: fromSecret } });
    if (mounted) {
      new Manifest(this, "CertificateProviderClass", {
        manifest: {
          apiVersion: mounted.providerClass.apiVersion,
          kind: mounted.providerClass.kind,
          metadata: { name: mounted.providerClass.name, namespace: props.namespace },
          spec: mounted.providerClass.spec,
        },
      });
      volumes.push({ name: "public-tls", csi: mounted.csi });
    }
    const healthz = { httpGet: { path: ENTRY_POINT_HEALTH_PATH, port: "https", scheme: "HTTPS" as const } };
    // Behind a cloud application load balancer (GKE Gateway): a ClusterIP Service of the HTTPS port only (the load
    // balancer listens on HTTPS only), re-encrypted to by the proxies; no source ranges (the proxies connect).
    const proxied = props.loadBalancer.proxied;

    this.workload = new StatelessWorkload(this, "Resource", {
      name: spec.name,
      namespace: props.namespace,
      zones: props.zones,
      replicas: props.replicas ?? 2,
      serviceAccountName: spec.serviceAccount,
      ...(mounted ? { serviceAccountAnnotations: mounted.serviceAccountAnnotations } : {}),
      runAsUser: UID,
      // Users connect to 443 and 80; the pods listen unprivileged on the catalog's ports.
      ports: proxied
        ? [{ name: httpsPort.name, port: 443, appProtocol: proxied.appProtocol }]
        : [
            { name: httpsPort.name, port: 443 },
            { name: httpPort.name, port: 80 },
          ],
      serviceType: proxied ? "ClusterIP" : "LoadBalancer",
      serviceAnnotations: props.loadBalancer.serviceAnnotations,
      // Written out even when open to all: users reach the HTTPS entry point from anywhere unless the
      // deployment narrows it, and only ports 443 and 80 (a redirect) are on this load balancer.
      ...(proxied ? {} : { loadBalancerSourceRanges: [...(props.allowedSourceCidrs ?? ["0.0.0.0/0"])] }),
      vaultAgent: agent,
      volumes,
      containers: [
        {
          name: "nginx",
          image: imageRef(IMAGES.entryPoint, props.images),
          // Reloaded (no restart) when the public certificate or the platform CA is renewed.
          command: ["sh", "-c", nginxServeScript({ confFile: "/etc/nginx-platform/nginx.conf", watchFiles: [...new Set([certFiles.certFile, certFiles.keyFile]), tlsFilesIn().caFile] })],
          ports: spec.ports,
          resources: { cpuRequest: "100m", memoryRequest: "128Mi" },
          volumeMounts: [
            { name: "config", mountPath: "/etc/nginx-platform", readOnly: true },
            { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false },
            ...(fromSecret || mounted ? [{ name: "public-tls", mountPath: PUBLIC_TLS_DIR, readOnly: true }] : []),
          ],
          probes: { startup: { check: healthz, failureThreshold: 30 }, readiness: { check: healthz }, liveness: { check: healthz } },
        },
      ],
    });

    // What the cloud needs beside the Service (GKE: the Private Service Connect ServiceAttachment, or the Gateway,
    // its HTTPRoute and HealthCheckPolicy).
    for (const companion of props.loadBalancer.serviceCompanions ?? []) {
      // After the Service (whose forwarding rule it attaches to), and removed before it.
      new Manifest(this, companion.id, { manifest: { ...companion.manifest({ name: this.workload.serviceName, namespace: props.namespace }) }, dependsOn: [this.workload.service] });
    }
  }
}
