import type { ObjectStore } from "../../../stacks/platform-foundation";
import { tlsFilesIn, type TlsFiles } from "./paths";

/** Options of the generated elasticsearch.yml. Every default is the secure one. */
export interface ElasticsearchConfigOptions {
  /** Cluster name. @default "metadata" */
  readonly clusterName?: string;
  /** Stable DNS names of the master-eligible nodes (discovery seeds). */
  readonly seedHosts: readonly string[];
  /** Node names that bootstrap the first cluster. */
  readonly initialMasterNodes: readonly string[];
  /** Node certificate, key and CA as PEM (Vault PKI). @default tlsFilesIn("/vault/secrets") */
  readonly tls?: TlsFiles;
}

const PROTOCOLS = ["TLSv1.3", "TLSv1.2"];

/**
 * elasticsearch.yml: security on (authentication, role-based access), TLS on HTTP and transport with
 * PEM files from Vault, client certificates between nodes, anonymous
 * access off. Keystore-free: no secret is written to the file.
 */
export function elasticsearchYml(options: ElasticsearchConfigOptions): Record<string, unknown> {
  const tls = options.tls ?? tlsFilesIn();
  return {
    "cluster.name": options.clusterName ?? "metadata",
    "node.name": "${HOSTNAME}",
    "network.host": "0.0.0.0",
    "discovery.seed_hosts": [...options.seedHosts],
    "cluster.initial_master_nodes": [...options.initialMasterNodes],
    // No mmap: the restricted Pod Security profile forbids the privileged sysctl (vm.max_map_count) it needs.
    "node.store.allow_mmap": false,
    "xpack.security.enabled": true,
    "xpack.security.authc.anonymous.roles": [],
    "xpack.security.http.ssl.enabled": true,
    "xpack.security.http.ssl.certificate": tls.certFile,
    "xpack.security.http.ssl.key": tls.keyFile,
    "xpack.security.http.ssl.certificate_authorities": [tls.caFile],
    "xpack.security.http.ssl.supported_protocols": PROTOCOLS,
    "xpack.security.transport.ssl.enabled": true,
    // Nodes connect to each other's published IPs: the chain is verified and a client certificate
    // from the platform CA is required; the IP is not in the certificate.
    "xpack.security.transport.ssl.verification_mode": "certificate",
    "xpack.security.transport.ssl.client_authentication": "required",
    "xpack.security.transport.ssl.certificate": tls.certFile,
    "xpack.security.transport.ssl.key": tls.keyFile,
    "xpack.security.transport.ssl.certificate_authorities": [tls.caFile],
    "xpack.security.transport.ssl.supported_protocols": PROTOCOLS,
    "xpack.ml.enabled": false,
    "action.destructive_requires_name": true,
  };
}

/** The name of the snapshot repository every Elasticsearch backup goes to. */
export const ELASTICSEARCH_REPOSITORY = "platform-bucket";

/**
 * The body of `PUT _snapshot/platform-bucket`: the platform bucket under `elasticsearch/`, reached by
 * the `backup` workload identity (no access key anywhere), server-side encrypted.
 */
export function elasticsearchSnapshotRepository(store: ObjectStore): Record<string, unknown> {
  const base = { base_path: "elasticsearch", compress: true };
  switch (store.kind) {
    case "s3":
      return { type: "s3", settings: { bucket: store.dataBucket, ...base, server_side_encryption: true } };
    case "gcs":
      return { type: "gcs", settings: { bucket: store.dataBucket, ...base } };
    case "azure-blob":
      return { type: "azure", settings: { container: store.dataBucket, ...base } };
  }
}
