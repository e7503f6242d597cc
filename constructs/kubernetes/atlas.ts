import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { SERVICES } from "../../platform/service-catalog";
import { VAULT_MOUNTS, vaultNames } from "../../platform/service-names";
import { ATLAS_CONF_DIR, ATLAS_HTTP_PORT, ATLAS_TRUSTSTORE, atlasKeycloakJson, atlasProperties, toProperties } from "./server-config/atlas-properties";
import { ATLAS_CLIENT_ID } from "./server-config/keycloak-realm";
import { nginxServeScript, tlsSidecarNginxConf } from "./server-config/nginx-conf";
import { tlsFilesIn } from "./server-config/paths";
import { ATLAS_DEFAULT_JVM_OPTS } from "./image-contracts";
import { IMAGES, imageRef, secretsServerImage, type ImageSettings } from "./images";
import { TMP_VOLUME, kvField, serviceCertificate } from "./platform-pod";
import { StatelessWorkload } from "./stateless-workload";
import { VaultAgent } from "./vault-agent";
import { WORKLOAD_IDS } from "./workload-ids";

/** Props of Atlas. */
export interface AtlasProps {
  /** Namespace (a SecureNamespace reference); the catalog's `metadata`. */
  readonly namespace: string;
  readonly zones: readonly string[];
  readonly images: ImageSettings;
  /** Cassandra nodes, each listed as a contact point. @default 3 */
  readonly cassandraReplicas?: number;
  /** JVM heap of the Atlas server; the container's memory is this plus 1.5 GiB (metaspace, threads, direct buffers). @default 2048 */
  readonly heapMiB?: number;
}

/** Where the image built from images/atlas keeps the Atlas distribution (read-only). */
const ATLAS_HOME = "/opt/apache-atlas";
const WEBAPP = `${ATLAS_HOME}/server/webapp/atlas`;
const LOG_DIR = "/opt/atlas-logs";
const UID = WORKLOAD_IDS.atlas; // the atlas user of images/atlas

/**
 * The JVM atlas_start.py would fork (distro/src/bin/atlas_start.py, release-2.5.0: log and home
 * properties, heap, DEFAULT_JVM_OPTS, the classpath conf + WEB-INF + libext, main class
 * org.apache.atlas.Atlas -app <webapp>), run directly so it stays the container's main process.
 */
export function atlasServerCommand(o: { readonly confDir: string; readonly logDir: string; readonly heapMiB: number }): string[] {
  const classpath = [o.confDir, `${WEBAPP}/WEB-INF/classes`, `${WEBAPP}/WEB-INF/lib/*`, `${ATLAS_HOME}/libext/*`].join(":");
  return [
    "java",
    `-Datlas.log.dir=${o.logDir}`,
    "-Datlas.log.file=application.log",
    `-Datlas.home=${ATLAS_HOME}`,
    `-Datlas.conf=${o.confDir}`,
    `-Xms${o.heapMiB}m`,
    `-Xmx${o.heapMiB}m`,
    ...ATLAS_DEFAULT_JVM_OPTS.options,
    "-Djava.io.tmpdir=/tmp",
    "-classpath",
    classpath,
    "org.apache.atlas.Atlas",
    "-app",
    WEBAPP,
  ];
}

/**
 * Apache Atlas, the graph of assets and lineage.
 *
 * - Graph storage on Cassandra (JanusGraph over CQL/TLS with hostname verification and its own role),
 *   index on Elasticsearch (HTTPS, its own user); both credentials from Vault KV, rendered by Vault Agent
 *   into the properties file in memory. A truststore of the platform CA is built at start.
 * - Users authenticate through Keycloak (OIDC public client with PKCE); file, LDAP and Kerberos logins off.
 *   Atlas reaches Keycloak inside the cluster (the allow graph's atlas -> keycloak edge), trusting only
 *   the platform CA.
 * - Atlas listens on loopback only; the pod's one listener is an nginx TLS sidecar (TLS 1.2+, certificate
 *   from Vault's PKI) on the catalog's port. Its probes call the loopback address inside the pod.
 * - The JVM runs in the foreground as the container's main process (no start script), on a read-only
 *   root filesystem: logs and temporary files go to their own volumes. No Kafka: notifications are off
 *   (atlas-properties.ts).
 * - One replica: Atlas's own active/passive HA needs ZooKeeper, which this platform does not run; the
 *   pod restarts in another zone on failure and all state is in Cassandra and Elasticsearch.
 */
export class Atlas extends Construct {
  readonly workload: StatelessWorkload;
  readonly config: ConfigMapV1;

  constructor(scope: Construct, id: string, props: AtlasProps) {
    super(scope, id);
    const spec = SERVICES.atlas;
    const kv = vaultNames(spec).kvSecret;
    const https = spec.ports[0].port;
    const cassandra = SERVICES.cassandra;
    const es = SERVICES.elasticsearch;
    const keycloak = SERVICES.keycloak;
    const heapMiB = props.heapMiB ?? 2048;
    const cassandraHosts = Array.from({ length: props.cassandraReplicas ?? 3 }, (_, i) => `${cassandra.name}-${i}.${cassandra.name}-headless.${cassandra.namespace}.svc`);
    // Keycloak through the in-cluster edge (its certificate names keycloak.identity.svc), not the public hostname.
    const keycloakUrl = `https://${keycloak.name}.${keycloak.namespace}.svc:${keycloak.ports[0].port}/auth`;

    this.config = new ConfigMapV1(this, "Config", {
      metadata: { name: `${spec.name}-config`, namespace: props.namespace },
      data: {
        "nginx.conf": tlsSidecarNginxConf({ httpsPort: https, upstreamPort: ATLAS_HTTP_PORT }),
      },
    });

    // keycloak.json carries the truststore password: rendered by Vault Agent, the password as a JSON string.
    const passwordMark = "@@truststore-password@@";
    const keycloakJson = JSON.stringify(atlasKeycloakJson({ keycloakUrl, keycloakClientId: ATLAS_CLIENT_ID, truststorePassword: passwordMark }), null, 2).replace(
      JSON.stringify(passwordMark),
      `{{ with secret "${VAULT_MOUNTS.kv}/data/${kv}" }}{{ .Data.data.truststore_password | toJSON }}{{ end }}`,
    );

    const properties = atlasProperties({
      cassandraHosts,
      cassandraPort: cassandra.ports[0].port,
      elasticsearchHosts: [`${es.name}.${es.namespace}.svc:${es.ports[0].port}`],
      keycloakUrl,
      credentials: {
        cassandraUsername: "atlas",
        cassandraPassword: kvField(kv, "cassandra_password"),
        elasticsearchUsername: "atlas",
        elasticsearchPassword: kvField(kv, "elasticsearch_password"),
        storePassword: kvField(kv, "truststore_password"),
      },
    });
    const agent = new VaultAgent(this, "VaultAgent", {
      name: spec.name,
      namespace: props.namespace,
      role: vaultNames(spec).role,
      image: secretsServerImage(props.images),
      templates: [
        serviceCertificate(spec),
        { fileName: "atlas-application.properties", contents: toProperties(properties), perms: "0400" },
        { fileName: "keycloak.json", contents: `${keycloakJson}\n`, perms: "0400" },
        { fileName: "truststore-password", contents: kvField(kv, "truststore_password"), perms: "0400" },
        // The ACL user `atlas` of the preview cache (Redis keeps only its SHA-256).
        { fileName: "redis-password", contents: kvField(kv, "redis_password"), perms: "0400" },
      ],
    });

    const image = imageRef(IMAGES.atlas, props.images);
    const confOut = { name: "atlas-conf", mountPath: ATLAS_CONF_DIR, readOnly: false };
    const storesOut = { name: "stores", mountPath: "/opt/atlas-stores", readOnly: false };
    const tmp = { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false };
    const tls = { tcpSocket: { port: https } };
    // Atlas listens on loopback: the probe runs inside the pod (curl is in images/atlas); admin/status needs no login (AtlasSecurityConfig).
    const local = { exec: { command: ["curl", "-fsS", "-o", "/dev/null", "--max-time", "4", `http://127.0.0.1:${ATLAS_HTTP_PORT}/api/atlas/admin/status`] } };

    this.workload = new StatelessWorkload(this, "Resource", {
      name: spec.name,
      namespace: props.namespace,
      zones: props.zones,
      replicas: 1,
      serviceAccountName: spec.serviceAccount,
      runAsUser: UID,
      ports: spec.ports,
      vaultAgent: agent,
      volumes: [
        { name: "config", configMap: { name: this.config.metadata.name } },
        { name: "atlas-conf", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
        { name: "stores", emptyDir: { medium: "Memory", sizeLimit: "4Mi" } },
        { name: "logs", emptyDir: { sizeLimit: "2Gi" } },
        TMP_VOLUME,
      ],
      initContainers: [
        {
          // Image defaults (logback, env) + our properties and keycloak.json (rendered from Vault), and a
          // PKCS#12 truststore holding only the platform CA. Idempotent: a re-run (new pod sandbox) finds
          // the emptyDirs of the first run, with read-only copies (-f: unlink and copy again) and a
          // truststore that already holds the alias (keytool refuses it: rebuilt from scratch).
          name: "assemble",
          image,
          command: [
            "sh",
            "-c",
            [
              `cp -Rf ${ATLAS_HOME}/conf/. ${ATLAS_CONF_DIR}/`,
              `cp -f /vault/secrets/atlas-application.properties /vault/secrets/keycloak.json ${ATLAS_CONF_DIR}/`,
              `rm -f ${ATLAS_TRUSTSTORE}`,
              `keytool -importcert -noprompt -alias platform-ca -file /vault/secrets/ca.crt -keystore ${ATLAS_TRUSTSTORE} -storetype PKCS12 -storepass:file /vault/secrets/truststore-password`,
            ].join(" && "),
          ],
          resources: { cpuRequest: "50m", memoryRequest: "256Mi" },
          volumeMounts: [confOut, storesOut, agent.secretsMount, tmp],
        },
      ],
      containers: [
        {
          name: "atlas",
          image,
          command: atlasServerCommand({ confDir: ATLAS_CONF_DIR, logDir: LOG_DIR, heapMiB }),
          resources: { cpuRequest: "1", memoryRequest: `${heapMiB + 1536}Mi` },
          volumeMounts: [
            { ...confOut, readOnly: true },
            { ...storesOut, readOnly: true },
            { name: "logs", mountPath: LOG_DIR, readOnly: false },
            tmp,
          ],
          probes: {
            startup: { check: local, failureThreshold: 90 },
            readiness: { check: local },
            liveness: { check: local, failureThreshold: 6 },
          },
        },
        {
          name: "tls",
          image: imageRef(IMAGES.entryPoint, props.images),
          // Reloaded (no restart) when Vault Agent renews the certificate.
          command: ["sh", "-c", nginxServeScript({ confFile: "/etc/nginx-platform/nginx.conf", watchFiles: Object.values(tlsFilesIn()) })],
          ports: spec.ports,
          resources: { cpuRequest: "50m", memoryRequest: "64Mi", memoryLimit: "128Mi" },
          volumeMounts: [{ name: "config", mountPath: "/etc/nginx-platform", readOnly: true }, tmp],
          probes: { startup: { check: tls, failureThreshold: 30 }, readiness: { check: tls }, liveness: { check: tls } },
        },
      ],
    });
  }
}
