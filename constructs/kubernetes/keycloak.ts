import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { SERVICES } from "../../platform/service-catalog";
import { VAULT_MOUNTS, vaultNames } from "../../platform/service-names";
import { PLATFORM_REALM, keycloakRealm, type SamlBrokering } from "./server-config/keycloak-realm";
import { realmSyncFiles, realmSyncScript, versionedFlows } from "./server-config/keycloak-realm-sync";
import { tlsFilesIn } from "./server-config/paths";
import { serveWithTlsReload } from "./server-config/tls-reload";
import { IMAGES, imageRef, secretsServerImage, type ImageSettings } from "./images";
import { selectorLabels, workloadLabels } from "../../lib/labels";
import { TMP_VOLUME, kvField, serviceCertificate } from "./platform-pod";
import { primaryAwareJdbcUrl } from "./postgresql";
import type { ContainerSpec, InitContainerSpec } from "./pod-spec";
import { StatelessWorkload } from "./stateless-workload";
import { VaultAgent } from "./vault-agent";
import { WORKLOAD_IDS } from "./workload-ids";

/** Props of Keycloak. */
export interface KeycloakProps {
  /** Namespace (a SecureNamespace reference); the catalog's `identity`. */
  readonly namespace: string;
  readonly zones: readonly string[];
  readonly images: ImageSettings;
  /** The public hostname users reach (deployment.domain.name); Keycloak is served under /auth. */
  readonly publicHostname: string;
  /** SAML 2.0 brokering to the customer's IdP (deployment.saml). @default - none */
  readonly saml?: SamlBrokering;
  /** @default 2 - in two zones; sessions are replicated between them (Infinispan over mTLS) */
  readonly replicas?: number;
  /** PostgreSQL pods the JDBC URL lists (the primary is chosen at connect time). @default 2 */
  readonly postgresqlReplicas?: number;
}

const HOME = "/opt/keycloak";
const UID = WORKLOAD_IDS.keycloak; // any UID (image-contracts.ts)
const REALM_SYNC_DIR = "/opt/keycloak-realm-sync";
const SYNC_WORK_DIR = "/tmp/realm-sync";
/** Client id of the master realm's bootstrap admin service account (its secret: KV `admin_client_secret`). */
export const BOOTSTRAP_ADMIN_CLIENT_ID = "platform-bootstrap";
/** The Vault database-engine role whose short-lived users own the `keycloak` database. */
export const KEYCLOAK_DATABASE_ROLE = "keycloak";

/**
 * Keycloak, the identity provider: 2+ replicas across zones on PostgreSQL over TLS (verify-full).
 *
 * - The realm is code (`keycloakRealm`): password policy with PBKDF2-SHA512 and length >= 12,
 *   brute-force detection, OTP for everyone and forced for admins, HTTPS required for all requests
 *   (Secure cookies), optional SAML 2.0 brokering; imported at start.
 * - HTTPS only: the HTTP listener is disabled; TLS 1.2+ with the certificate from Vault's PKI,
 *   reloaded hourly so renewals apply without restart. Cluster traffic (JGroups) uses mutual TLS.
 * - Database credentials are short-lived users from Vault's database engine, rendered into the
 *   configuration file by Vault Agent; the bootstrap admin password comes from Vault KV.
 * - The server runs from an optimized build made by an init container into a writable copy, so the
 *   container's root filesystem stays read-only.
 */
export class Keycloak extends Construct {
  readonly workload: StatelessWorkload;
  readonly config: ConfigMapV1;
  /** The realm, split into the documents the realm-sync container applies to the running Keycloak. */
  readonly realmSync: ConfigMapV1;
  /** Headless Service the replicas find each other through (DNS_PING). */
  readonly discovery: ServiceV1;

  constructor(scope: Construct, id: string, props: KeycloakProps) {
    super(scope, id);
    const spec = SERVICES.keycloak;
    const names = keycloakNames(spec.name, spec.namespace, spec.ports[0].port);

    // Flow aliases carry a version stamp, so a changed flow reaches a running realm as a new flow.
    const realm = versionedFlows(keycloakRealm({ publicHostname: props.publicHostname, saml: props.saml }));
    this.config = new ConfigMapV1(this, "Config", {
      metadata: { name: `${spec.name}-config`, namespace: props.namespace },
      data: {
        "platform-realm.json": JSON.stringify(realm, null, 2),
      },
    });
    // What the realm-sync container applies to the running realm (see keycloak-realm-sync.ts).
    this.realmSync = new ConfigMapV1(this, "RealmSync", {
      metadata: { name: `${spec.name}-realm-sync`, namespace: props.namespace },
      data: realmSyncFiles(realm),
    });
    this.discovery = discoveryService(this, props.namespace, names.discovery);
    const agent = keycloakAgent(this, props, names);
    const image = imageRef(IMAGES.keycloak, props.images);

    this.workload = new StatelessWorkload(this, "Resource", {
      name: spec.name,
      namespace: props.namespace,
      zones: props.zones,
      replicas: props.replicas ?? 2,
      serviceAccountName: spec.serviceAccount,
      runAsUser: UID,
      ports: [spec.ports[0]],
      vaultAgent: agent,
      volumes: [
        { name: "realm", configMap: { name: this.config.metadata.name } },
        { name: "realm-sync", configMap: { name: this.realmSync.metadata.name } },
        { name: "home", emptyDir: { sizeLimit: "1Gi" } },
        TMP_VOLUME,
      ],
      initContainers: [buildContainer(image)],
      containers: [serverContainer(image, names), realmSyncContainer(image, names)],
    });
  }
}

/** The names Keycloak's parts share: its discovery Service, and the in-cluster URL (admin console, realm-sync). */
interface KeycloakNames {
  readonly discovery: string;
  readonly internalUrl: string;
}

function keycloakNames(name: string, namespace: string, httpsPort: number): KeycloakNames {
  return { discovery: `${name}-headless`, internalUrl: `https://${name}.${namespace}.svc:${httpsPort}/auth` };
}

/** The headless Service the replicas find each other through (JGroups DNS_PING). */
function discoveryService(scope: Construct, namespace: string, name: string): ServiceV1 {
  const spec = SERVICES.keycloak;
  return new ServiceV1(scope, "Discovery", {
    metadata: { name, namespace, labels: workloadLabels(spec.name) },
    spec: {
      type: "ClusterIP",
      clusterIp: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(spec.name),
      port: [{ name: "jgroups", port: spec.ports[1].port, targetPort: "jgroups", protocol: "TCP" }],
    },
  });
}

/** Keycloak's settings (keycloak.conf without its secrets): HTTPS only, behind the entry point, clustered over mTLS, on PostgreSQL. */
function keycloakSettings(props: KeycloakProps, names: KeycloakNames): string[] {
  return [
    `hostname=https://${props.publicHostname}/auth`,
    "hostname-backchannel-dynamic=true",
    "http-relative-path=/auth",
    "http-enabled=false",
    `https-port=${SERVICES.keycloak.ports[0].port}`,
    "https-certificate-file=/vault/secrets/tls.crt",
    "https-certificate-key-file=/vault/secrets/tls.key",
    "https-protocols=TLSv1.3,TLSv1.2",
    "https-certificates-reload-period=1h",
    "proxy-headers=xforwarded",
    "health-enabled=true",
    "cache=ispn",
    "cache-stack=kubernetes",
    "cache-embedded-mtls-enabled=true",
    "db=postgres",
    `db-url=${primaryAwareJdbcUrl("keycloak", props.postgresqlReplicas ?? 2)}`,
    // The admin console is served only at the in-cluster address (the entry point refuses /auth/admin/
    // and the master realm); administrators reach it through a port-forward (docs/platform.md).
    `hostname-admin=${names.internalUrl}`,
    // No password admin: the master realm's only admin is a service account (client credentials,
    // secret in Vault), used in-cluster by realm-sync. Created when the master realm is created.
    `bootstrap-admin-client-id=${BOOTSTRAP_ADMIN_CLIENT_ID}`,
  ];
}

/** The Vault Agent: the service certificate, and keycloak.conf with the admin client secret and a database login. */
function keycloakAgent(scope: Construct, props: KeycloakProps, names: KeycloakNames): VaultAgent {
  const spec = SERVICES.keycloak;
  return new VaultAgent(scope, "VaultAgent", {
    name: spec.name,
    namespace: props.namespace,
    role: vaultNames(spec).role,
    image: secretsServerImage(props.images),
    templates: [
      serviceCertificate(spec),
      {
        fileName: "keycloak.conf",
        // One lease per pod, the sidecar's (it renews it); Keycloak waits for this file (keycloakServe).
        sidecarOnly: true,
        contents: [
          ...keycloakSettings(props, names),
          `bootstrap-admin-client-secret=${kvField(vaultNames(spec).kvSecret, "admin_client_secret")}`,
          `{{ with secret "${VAULT_MOUNTS.database}/creds/${KEYCLOAK_DATABASE_ROLE}" }}`,
          "db-username={{ .Data.username }}",
          "db-password={{ .Data.password }}",
          "{{ end }}",
          "",
        ].join("\n"),
        perms: "0400",
      },
    ],
  });
}

/** The init container: an optimized build into a writable copy of Keycloak's home (the root filesystem stays read-only). */
function buildContainer(image: string): InitContainerSpec {
  const build = ["--db=postgres", "--health-enabled=true", "--cache=ispn", "--cache-stack=kubernetes", "--http-relative-path=/auth"];
  return {
    name: "build",
    image,
    command: ["sh", "-c", `cp -R ${HOME}/. /home-copy/ && /home-copy/bin/kc.sh build ${build.join(" ")}`],
    resources: { cpuRequest: "500m", memoryRequest: "1Gi" },
    volumeMounts: [
      { name: "home", mountPath: "/home-copy", readOnly: false },
      { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false },
    ],
  };
}

/** The server: the optimized build, started once its configuration file exists, restarted when it changes (keycloakServe). */
function serverContainer(image: string, names: KeycloakNames): ContainerSpec {
  const spec = SERVICES.keycloak;
  const health = (path: string) => ({ httpGet: { path: `/auth/health/${path}`, port: "management", scheme: "HTTPS" as const } });
  return {
    name: "keycloak",
    image,
    command: ["/bin/sh", "-c", keycloakServe(KEYCLOAK_CONF, `${HOME}/bin/kc.sh --config-file=${KEYCLOAK_CONF} start --optimized --import-realm`)],
    env: [{ name: "JAVA_OPTS_APPEND", value: `-Djgroups.dns.query=${names.discovery}.${spec.namespace}.svc.cluster.local` }],
    ports: [...spec.ports, { name: "management", port: 9000 }],
    resources: { cpuRequest: "500m", memoryRequest: "1536Mi" },
    volumeMounts: [
      { name: "home", mountPath: HOME, readOnly: false },
      { name: "realm", mountPath: `${HOME}/data/import`, readOnly: true },
      { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false },
    ],
    probes: {
      startup: { check: health("started"), failureThreshold: 60 },
      readiness: { check: health("ready") },
      liveness: { check: health("live"), failureThreshold: 6 },
    },
  };
}

/** Applies the realm as code to the running Keycloak (--import-realm skips an existing realm). */
function realmSyncContainer(image: string, names: KeycloakNames): ContainerSpec {
  return {
    name: "realm-sync",
    image,
    command: [
      "/bin/bash",
      "-c",
      realmSyncScript(PLATFORM_REALM, {
        serverUrl: names.internalUrl,
        clientId: BOOTSTRAP_ADMIN_CLIENT_ID,
        secretsFile: KEYCLOAK_CONF,
        caFile: tlsFilesIn().caFile,
        filesDir: REALM_SYNC_DIR,
        importFile: `${HOME}/data/import/platform-realm.json`,
        workDir: SYNC_WORK_DIR,
      }),
    ],
    resources: { cpuRequest: "50m", memoryRequest: "256Mi" },
    volumeMounts: [
      { name: "realm", mountPath: `${HOME}/data/import`, readOnly: true },
      { name: "realm-sync", mountPath: REALM_SYNC_DIR, readOnly: true },
      { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false },
    ],
    probes: {
      // Running is enough to be Ready (the sync reaches Keycloak through its Service, which needs
      // Ready pods); 30 minutes of failed applies restart it, and the restarts show.
      startup: { check: { exec: { command: ["/bin/bash", "-c", `test -d ${SYNC_WORK_DIR}`] } } },
      readiness: { check: { exec: { command: ["/bin/bash", "-c", `test -d ${SYNC_WORK_DIR}`] } }, periodSeconds: 30 },
      liveness: {
        check: { exec: { command: ["/bin/bash", "-c", `test ! -e ${SYNC_WORK_DIR}/failing-since || [ $(( $(date +%s) - $(cat ${SYNC_WORK_DIR}/failing-since) )) -lt 1800 ]`] } },
        periodSeconds: 60,
      },
    },
  };
}

/** Keycloak's configuration file, rendered by the Vault Agent sidecar: settings, admin client secret, database login. */
const KEYCLOAK_CONF = "/vault/secrets/keycloak.conf";

/**
 * Keycloak's container script. Keycloak reads its configuration, the database login included, once at
 * start, and its dynamic database login (one lease per pod, the Vault Agent sidecar's) cannot outlive
 * the role's max TTL: when the lease cannot be extended any more, the sidecar leases a new login and
 * rewrites the file while the old one still has its grace period left (Vault API LifetimeWatcher ends
 * with 10-20% of the lease remaining, `calculateGrace`; consul-template v0.39.1 dependency/vault_read.go
 * Fetch then reads the secret anew). So: wait for the file, serve, and when the file changes stop
 * Keycloak (SIGTERM: graceful) so that the kubelet restarts the container on the new login, long before
 * the old one is revoked. The pod, its sidecar and its lease stay; the other replica serves meanwhile.
 */
export function keycloakServe(conf: string, server: string): string {
  return [
    "set -eu",
    // The sidecar renders it once logged in to Vault (seconds); the startup probe allows minutes.
    `until [ -s ${conf} ]; do sleep 1; done`,
    serveWithTlsReload(server, { watchFiles: [conf], reload: 'kill -TERM "$SERVER_PID"' }),
  ].join("\n");
}
