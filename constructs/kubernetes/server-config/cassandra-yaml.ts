import { tlsFilesIn, VAULT_SECRETS_DIR, type TlsFiles } from "./paths";

/** Options of the generated cassandra.yaml fragment. Every default is the secure one. */
export interface CassandraConfigOptions {
  /** Cluster name. @default "metadata" */
  readonly clusterName?: string;
  /** Seed nodes (stable DNS names of the first pods). */
  readonly seeds: readonly string[];
  /** Node's certificate, key and CA as PEM (Vault PKI). @default tlsFilesIn("/vault/secrets") */
  readonly tls?: TlsFiles;
  /** PEM with the private key followed by the certificate chain, as the PEM keystore wants it. @default "/vault/secrets/tls-bundle.pem" */
  readonly keystorePemFile?: string;
  /** CQL port; it speaks TLS only. @default 9142 */
  readonly nativeTransportPort?: number;
  /** Internode port; every internode connection is TLS. @default 7001 */
  readonly storagePort?: number;
}

/** Where the node's volume is mounted. */
export const DATA_DIR = "/var/lib/cassandra";

/** TLS versions Cassandra accepts on both client and internode connections. */
const PROTOCOLS = ["TLSv1.3", "TLSv1.2"];

/**
 * cassandra.yaml (Cassandra 4.1+; every key not written here takes Cassandra's built-in default):
 * password authentication and role-based authorization, client-to-node and internode TLS with
 * PEM files from Vault (no keystore passwords to manage), client certificates required between nodes,
 * and incremental backups so snapshots plus backups restore to the last flush.
 */
export function cassandraYaml(options: CassandraConfigOptions): Record<string, unknown> {
  const tls = options.tls ?? tlsFilesIn();
  const keystore = options.keystorePemFile ?? `${VAULT_SECRETS_DIR}/tls-bundle.pem`;
  // PEM-based SSL context factory (4.1+): the key and chain are read from the files Vault Agent renders.
  const pem = {
    class_name: "org.apache.cassandra.security.PEMBasedSslContextFactory",
    parameters: {},
  };
  return {
    cluster_name: options.clusterName ?? "metadata",
    num_tokens: 16,
    allocate_tokens_for_local_replication_factor: 3,
    partitioner: "org.apache.cassandra.dht.Murmur3Partitioner",
    commitlog_sync: "periodic",
    commitlog_sync_period: "10000ms",
    data_file_directories: [`${DATA_DIR}/data`],
    commitlog_directory: `${DATA_DIR}/commitlog`,
    saved_caches_directory: `${DATA_DIR}/saved_caches`,
    hints_directory: `${DATA_DIR}/hints`,
    seed_provider: [{ class_name: "org.apache.cassandra.locator.SimpleSeedProvider", parameters: [{ seeds: options.seeds.join(",") }] }],
    endpoint_snitch: "GossipingPropertyFileSnitch",
    authenticator: "PasswordAuthenticator",
    authorizer: "CassandraAuthorizer",
    role_manager: "CassandraRoleManager",
    network_authorizer: "CassandraNetworkAuthorizer",
    native_transport_port: options.nativeTransportPort ?? 9142,
    storage_port: options.storagePort ?? 7001,
    client_encryption_options: {
      enabled: true,
      optional: false,
      ssl_context_factory: pem,
      keystore,
      truststore: tls.caFile,
      require_client_auth: false,
      accepted_protocols: PROTOCOLS,
    },
    server_encryption_options: {
      internode_encryption: "all",
      optional: false,
      enable_legacy_ssl_storage_port: false,
      ssl_context_factory: pem,
      keystore,
      truststore: tls.caFile,
      require_client_auth: true,
      // Nodes reach each other by IP and pod IPs change: the chain and the client certificate are
      // verified (only the platform CA issues them), the peer's address is not.
      require_endpoint_verification: false,
      accepted_protocols: PROTOCOLS,
    },
    // Backups: a snapshot before TRUNCATE/DROP, and every flushed SSTable hard-linked into backups/
    // so the uploader ships them between the daily snapshots.
    auto_snapshot: true,
    incremental_backups: true,
    snapshot_before_compaction: false,
    // The JMX port is bound to localhost by the image (LOCAL_JMX=yes); nodetool runs only in the pod.
  };
}

/**
 * The files of a node's backups, as rclone filter patterns relative to the data directory
 * (`<data_file_directory>/<keyspace>/<table>-<table id>/`): snapshots in `snapshots/<tag>/`, incremental
 * backups in `backups/` (apache/cassandra cassandra-4.1 src/java/org/apache/cassandra/db/Directories.java:
 * SNAPSHOT_SUBDIR = "snapshots", BACKUPS_SUBDIR = "backups"; getBackupsDirectory creates `backups` on demand).
 */
export const CASSANDRA_BACKUP_FILES = ["/*/*/snapshots/**", "/*/*/backups/**"] as const;

/** When Cassandra is snapshotted and repaired. */
export interface CassandraBackupSchedule {
  /** Cron schedule of the snapshot + upload job. */
  readonly snapshotCron: string;
  /** Cron schedule of the primary-range repair. */
  readonly repairCron: string;
  /** Days snapshots are kept in the bucket (object versioning keeps older versions). */
  readonly retentionDays: number;
  /**
   * `nodetool snapshot --ttl`: when Cassandra removes a snapshot from the node (its files were moved to
   * the bucket within minutes; this clears the directories Cassandra owns). 4.1+ (CASSANDRA-16789).
   */
  readonly snapshotTtl: string;
}

/** Daily snapshots at 02:00 UTC (cleared from the node after 7 days), weekly repairs on Sunday 03:00 UTC (within gc_grace_seconds = 10 days), 30 days kept. */
export const CASSANDRA_BACKUP_SCHEDULE: CassandraBackupSchedule = { snapshotCron: "0 2 * * *", repairCron: "0 3 * * 0", retentionDays: 30, snapshotTtl: "7d" };
