import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { SERVICES } from "../../stacks/service-catalog";
import { vaultNames } from "../vault/paths";
import { ATLAS_CONF_DIR, ATLAS_TRUSTSTORE, atlasKeycloakJson, atlasProperties, toProperties } from "./config/atlas-properties";
import { ATLAS_CLIENT_ID } from "./config/keycloak-realm";
import { nginxServeScript, tlsSidecarNginxConf } from "./config/nginx-conf";
import { tlsFilesIn } from "./config/paths";
import { IMAGES, imageRef, secretsServerImage, type ImageSettings } from "./images";
import { TMP_VOLUME, kvField, serviceCertificate } from "./platform-pod";
import { StatelessWorkload } from "./stateless-workload";
import { VaultAgent } from "./vault-agent";

/** Props of Atlas. */
export interface AtlasProps {
  /** Namespace (a SecureNamespace reference); the catalog's `metadata`. */
  readonly namespace: string;
  readonly zones: readonly string[];
  readonly images: ImageSettings;
  /** The public hostname; Keycloak is reached at https://<it>/auth. */
  readonly publicHostname: string;
  /** Cassandra nodes listed as contact points. @default 3 */
  readonly cassandraReplicas?: number;
}

const ATLAS_HOME = "/apache-atlas";
const LOOPBACK_PORT = 21000;
const UID = 1000;

/**
 * Apache Atlas, the graph of assets and lineage.
 *
 * - Graph storage on Cassandra (JanusGraph over CQL/TLS with hostname verification and its own role),
 *   index on Elasticsearch (HTTPS, its own user); both credentials from Vault KV, rendered by Vault Agent
 *   into the properties file in memory. A truststore of the platform CA is built at start.
 * - Users authenticate through Keycloak (OIDC public client with PKCE); file, LDAP and Kerberos logins off.
 * - Atlas listens on loopback only; the pod's one listener is an nginx TLS sidecar (TLS 1.2+, certificate
 *   from Vault's PKI) on the catalog's port.
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
    const cassandraHosts = Array.from({ length: props.cassandraReplicas ?? 3 }, (_, i) => `${cassandra.name}-${i}.${cassandra.name}-headless.${cassandra.namespace}.svc`);

    this.config = new ConfigMapV1(this, "Config", {
      metadata: { name: `${spec.name}-config`, namespace: props.namespace },
      data: {
        "keycloak.json": JSON.stringify(atlasKeycloakJson({ keycloakUrl: `https://${props.publicHostname}/auth`, keycloakClientId: ATLAS_CLIENT_ID }), null, 2),
        "nginx.conf": tlsSidecarNginxConf({ httpsPort: https, upstreamPort: LOOPBACK_PORT }),
      },
    });

    const properties = atlasProperties({
      cassandraHosts,
      cassandraPort: cassandra.ports[0].port,
      elasticsearchHosts: [`${es.name}.${es.namespace}.svc:${es.ports[0].port}`],
      keycloakUrl: `https://${props.publicHostname}/auth`,
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
        { fileName: "truststore-password", contents: kvField(kv, "truststore_password"), perms: "0400" },
        // The ACL user `atlas` of the preview cache (Redis keeps only its SHA-256).
        { fileName: "redis-password", contents: kvField(kv, "redis_password"), perms: "0400" },
      ],
    });

    const image = imageRef(IMAGES.atlas, props.images);
    const conf = { name: "atlas-conf", mountPath: ATLAS_CONF_DIR, readOnly: false };
    const stores = { name: "stores", mountPath: "/opt/atlas-stores", readOnly: false };
    const secrets = agent.secretsMount;
    const tmp = { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false };
    const tls = { tcpSocket: { port: https } };
    const local = { httpGet: { path: "/api/atlas/admin/status", port: LOOPBACK_PORT, scheme: "HTTP" as const } };

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
        { name: "atlas-data", emptyDir: { sizeLimit: "2Gi" } },
        TMP_VOLUME,
      ],
      initContainers: [
        {
          // Image defaults (log4j, env) + our properties (rendered from Vault) + keycloak.json, and a
          // PKCS#12 truststore holding only the platform CA.
          name: "assemble",
          image,
          command: [
            "sh",
            "-c",
            [
              `cp -R ${ATLAS_HOME}/conf/. ${ATLAS_CONF_DIR}/`,
              `cp /vault/secrets/atlas-application.properties /platform/keycloak.json ${ATLAS_CONF_DIR}/`,
              `keytool -importcert -noprompt -alias platform-ca -file /vault/secrets/ca.crt -keystore ${ATLAS_TRUSTSTORE} -storetype PKCS12 -storepass:file /vault/secrets/truststore-password`,
            ].join(" && "),
          ],
          resources: { cpuRequest: "50m", memoryRequest: "256Mi" },
          volumeMounts: [conf, stores, secrets, { name: "config", mountPath: "/platform", readOnly: true }, tmp],
        },
      ],
      containers: [
        {
          name: "atlas",
          image,
          command: [`${ATLAS_HOME}/bin/atlas_start.py`],
          env: [
            { name: "ATLAS_CONF", value: ATLAS_CONF_DIR },
            { name: "ATLAS_LOG_DIR", value: "/opt/atlas-data/logs" },
            { name: "ATLAS_DATA", value: "/opt/atlas-data" },
            { name: "ATLAS_OPTS", value: `-Djavax.net.ssl.trustStore=${ATLAS_TRUSTSTORE} -Djavax.net.ssl.trustStoreType=PKCS12` },
          ],
          resources: { cpuRequest: "1", memoryRequest: "4Gi" },
          volumeMounts: [conf, stores, { name: "atlas-data", mountPath: "/opt/atlas-data", readOnly: false }, tmp],
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
