import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { SERVICES } from "../../platform/service-catalog";
import { VAULT_MOUNTS, vaultNames } from "../../platform/service-names";
import { REDIS_RUNTIME_DIR, redisAclFile, redisConf, redisServeScript } from "./server-config/redis-conf";
import { IMAGES, imageRef, secretsServerImage, type ImageSettings } from "./images";
import { TMP_VOLUME, serviceCertificate } from "./platform-pod";
import { StatelessWorkload } from "./stateless-workload";
import { VaultAgent } from "./vault-agent";
import { WORKLOAD_IDS } from "./workload-ids";

/** Props of Redis. */
export interface RedisProps {
  /** Namespace (a SecureNamespace reference); the catalog's `cache`. */
  readonly namespace: string;
  readonly zones: readonly string[];
  readonly images: ImageSettings;
  /** Memory bound of the cache; the container's limit is this plus headroom. @default 512 */
  readonly maxMemoryMiB?: number;
  /** ACL users besides the default (which is always off). @default ["atlas"] */
  readonly users?: readonly string[];
}

const UID = WORKLOAD_IDS.redis; // any UID (image-contracts.ts)

/**
 * Redis, the cache of 100-row data previews (PREVIEW_TTL_SECONDS per entry).
 *
 * Plaintext port closed; TLS 1.2+ with client certificates from Vault's PKI on every connection; ACL
 * users whose passwords live only in Vault (the ACL file holds their SHA-256, rendered by Vault Agent),
 * the default user off; memory bounded with allkeys-lru; persistence off (no RDB, no AOF, no volume).
 * One replica by design: losing the cache costs a re-query of the source, never data; a zone outage
 * reschedules it in another zone within seconds, and it never blocks a node drain.
 */
export class Redis extends Construct {
  readonly workload: StatelessWorkload;
  readonly config: ConfigMapV1;

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const spec = SERVICES.redis;
    const kv = vaultNames(spec).kvSecret;
    const maxMemoryMiB = props.maxMemoryMiB ?? 512;
    const port = spec.ports[0].port;

    this.config = new ConfigMapV1(this, "Config", {
      metadata: { name: `${spec.name}-config`, namespace: props.namespace },
      data: {
        "redis.conf": redisConf({ tlsPort: port, maxMemoryMiB, aclFile: `${REDIS_RUNTIME_DIR}/users.acl` }),
        // Composes the ACL file (Vault's users + the CONFIG-SET-only reloader) and serves with certificate renewal.
        "start.sh": redisServeScript({ confFile: "/etc/redis/redis.conf", tlsPort: port }),
      },
    });

    // The ACL file is a template: each user's password hash is computed from Vault at render time
    // (field `<user>_password` of Redis's KV secret); the password itself never reaches the pod.
    const users = (props.users ?? ["atlas"]).map((name) => ({
      name,
      passwordSha256: `{{ with secret "${VAULT_MOUNTS.kv}/data/${kv}" }}{{ .Data.data.${name}_password | sha256Hex }}{{ end }}`,
    }));
    const agent = new VaultAgent(this, "VaultAgent", {
      name: spec.name,
      namespace: props.namespace,
      role: vaultNames(spec).role,
      image: secretsServerImage(props.images),
      templates: [serviceCertificate(spec), { fileName: "users.acl", contents: redisAclFile(users), perms: "0400" }],
    });

    // The probe authenticates with nothing: NOAUTH proves the TLS listener answers (and refuses anonymous use).
    const tlsPing = [
      "sh",
      "-c",
      `redis-cli --tls --cacert /vault/secrets/ca.crt --cert /vault/secrets/tls.crt --key /vault/secrets/tls.key -h 127.0.0.1 -p ${port} PING | grep -q NOAUTH`,
    ];
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
        { name: "data", emptyDir: { sizeLimit: "64Mi" } },
        TMP_VOLUME,
        // The composed ACL file (password hashes) and the reloader's password: memory only.
        { name: "runtime", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
      ],
      containers: [
        {
          name: "redis",
          image: imageRef(IMAGES.redis, props.images),
          command: ["sh", "/etc/redis/start.sh"],
          ports: spec.ports,
          resources: { cpuRequest: "100m", memoryRequest: `${maxMemoryMiB + 128}Mi` },
          volumeMounts: [
            { name: "config", mountPath: "/etc/redis", readOnly: true },
            { name: "data", mountPath: "/data", readOnly: false },
            { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false },
            { name: "runtime", mountPath: REDIS_RUNTIME_DIR, readOnly: false },
          ],
          probes: {
            startup: { check: { exec: { command: tlsPing } } },
            readiness: { check: { exec: { command: tlsPing } } },
            liveness: { check: { exec: { command: tlsPing } } },
          },
        },
      ],
    });
  }
}
