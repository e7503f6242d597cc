import { Construct } from "constructs";
import type { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { stringify } from "yaml";
import { SERVICES } from "../../platform/service-catalog";
import { vaultNames } from "../../platform/service-names";
import { backedUpStore, serverProbes, type BackedUpStoreProps } from "./backed-up-store";
import { cassandraBootstrapAdminCql, cassandraBootstrapCql, cassandraMaintenanceRound, cqlshrc } from "./server-config/cassandra-scripts";
import { CASSANDRA_BACKUP_FILES, CASSANDRA_BACKUP_SCHEDULE, DATA_DIR, cassandraYaml } from "./server-config/cassandra-yaml";
import { IMAGES, imageRef } from "./images";
import { HEARTBEAT_DIR, TMP_VOLUME, dailyAt, heartbeatMount, scheduledProbes, kvField, scheduledLoop, serviceCertificate } from "./platform-pod";
import type { StatefulWorkload } from "./stateful-workload";
import { WORKLOAD_IDS } from "./workload-ids";

/** Props of Cassandra. */
export interface CassandraProps extends BackedUpStoreProps {
  /** Nodes, one per zone. @default 3 */
  readonly replicas?: number;
  /** Data volume per node. @default 100 */
  readonly storageGiB?: number;
}

const CONF = "/etc/cassandra-platform";
const SECRETS = "/vault/secrets";
const UID = WORKLOAD_IDS.cassandra; // any UID (image-contracts.ts)

/**
 * Cassandra, the persistence behind Atlas's graph: 3 nodes across zones on encrypted volumes.
 *
 * - PasswordAuthenticator + CassandraAuthorizer. The well-known default superuser is replaced on first
 *   start: pod 0 creates `admin` (password from Vault KV), then disables `cassandra`'s login and
 *   superuser flag, raises system_auth to RF 3, and creates Atlas's role and keyspaces.
 * - TLS on CQL (9142, mandatory) and internode (7001, `internode_encryption: all`, client certificates)
 *   with PEM files from Vault's PKI, hot-reloaded by Cassandra when Vault Agent renews them.
 * - Backups: a daily snapshot (02:00 UTC) and incremental backups, moved to the platform bucket by
 *   rclone under the backup identity; a weekly primary-range repair keeps replicas consistent.
 */
export class Cassandra extends Construct {
  readonly workload: StatefulWorkload;
  readonly config: ConfigMapV1;

  constructor(scope: Construct, id: string, props: CassandraProps) {
    super(scope, id);
    const spec = SERVICES.cassandra;
    const kv = vaultNames(spec).kvSecret;
    const replicas = props.replicas ?? 3;
    const headless = `${spec.name}-headless`;
    const peer = (i: number) => `${spec.name}-${i}.${headless}.${spec.namespace}.svc`;
    const seeds = Array.from({ length: Math.min(replicas, 2) }, (_, i) => peer(i));
    const schedule = CASSANDRA_BACKUP_SCHEDULE;
    const snapshotHour = Number(schedule.snapshotCron.split(" ")[1]);
    const repairHour = Number(schedule.repairCron.split(" ")[1]);
    const maintenance = scheduledLoop(
      cassandraMaintenanceRound({
        headless,
        port: spec.ports[0].port,
        secretsDir: SECRETS,
        heartbeatDir: HEARTBEAT_DIR,
        snapshotDue: dailyAt(snapshotHour, "snapshot"),
        repairDue: dailyAt(repairHour, "repair"),
        snapshotTtl: schedule.snapshotTtl,
      }),
      60,
    );

    // The PEM keystore wants the key (PKCS#8 only: Cassandra's PEMReader builds a PKCS8EncodedKeySpec,
    // apache/cassandra 4.1 security/PEMReader.java) and the chain in one file: the certificate's own bundle.
    const certWithBundle = serviceCertificate(spec, { pkcs8: true });
    const q = (field: string) => kvField(kv, field, { quote: "sql-literal" });
    const image = imageRef(IMAGES.cassandra, props.images);
    const data = { name: "data", mountPath: DATA_DIR, readOnly: false };
    const config = { name: "config", mountPath: CONF, readOnly: true };
    const logs = { name: "logs", mountPath: "/opt/cassandra/logs", readOnly: false };
    const tmp = { name: TMP_VOLUME.name, mountPath: "/tmp", readOnly: false };
    const env = [
      { name: "NAMESPACE", fieldPath: "metadata.namespace" },
      { name: "CASSANDRA_LOG_DIR", value: "/opt/cassandra/logs" },
    ];

    const store = backedUpStore(this, spec, props, {
      replicas,
      storageGiB: props.storageGiB ?? 100,
      configFiles: {
        "cassandra.yaml": stringify(cassandraYaml({ seeds, nativeTransportPort: spec.ports[0].port, storagePort: spec.ports[1].port }), { aliasDuplicateObjects: false }),
        "maintenance.sh": maintenance,
        cqlshrc: cqlshrc(`${SECRETS}/ca.crt`),
      },
      templates: [
        certWithBundle,
        { fileName: "admin-password", contents: kvField(kv, "admin_password"), perms: "0400" },
        { fileName: "bootstrap-admin.cql", contents: cassandraBootstrapAdminCql(q("admin_password")), perms: "0400" },
        { fileName: "bootstrap.cql", contents: cassandraBootstrapCql(q("atlas_password")), perms: "0400" },
      ],
      runAsUser: UID,
      terminationGracePeriodSeconds: 120,
      // All nodes start together: the seeds gossip from the first second, and no pod waits on another's readiness.
      podManagementPolicy: "Parallel",
      volumes: [{ name: "logs", emptyDir: { sizeLimit: "1Gi" } }, TMP_VOLUME],
      containers: [
        {
          name: "cassandra",
          image,
          command: ["cassandra", "-f", `-Dcassandra.config=file://${CONF}/cassandra.yaml`],
          env: [...env, { name: "MAX_HEAP_SIZE", value: "2G" }, { name: "HEAP_NEWSIZE", value: "400M" }],
          ports: spec.ports,
          resources: { cpuRequest: "1", memoryRequest: "4Gi" },
          volumeMounts: [config, data, logs, tmp],
          probes: serverProbes({ tcpSocket: { port: spec.ports[0].port } }, 60),
        },
        {
          name: "maintenance",
          image,
          command: ["bash", `${CONF}/maintenance.sh`],
          env: [...env, { name: "CQLSH_HOME", value: "/tmp" }, { name: "HOME", value: "/tmp" }],
          resources: { cpuRequest: "50m", memoryRequest: "256Mi", memoryLimit: "512Mi" },
          volumeMounts: [config, data, tmp, { name: "config", mountPath: "/tmp/.cassandra/cqlshrc", subPath: "cqlshrc", readOnly: true }, heartbeatMount("maintenance")],
          probes: scheduledProbes(15),
        },
      ],
      uploader: {
        // Snapshots and incremental backups are hard links: moving them frees nothing live. Only their
        // files move; every directory (keyspace, table, snapshots/<tag>, backups) stays Cassandra's.
        sourceDir: `${DATA_DIR}/data`,
        include: CASSANDRA_BACKUP_FILES,
        // Cassandra gives no signal that a snapshot's manifest.json and schema.cql are complete.
        minAge: "1m",
        prefix: "cassandra/$HOSTNAME",
        volumeMounts: [data],
        runAsUser: UID,
      },
    });
    this.config = store.config;
    this.workload = store.workload;
  }
}
