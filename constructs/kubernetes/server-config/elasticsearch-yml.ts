import type { ObjectStore } from "../../../platform/platform-foundation";
import { tlsFilesIn, type TlsFiles } from "./paths";

/** Options of the generated elasticsearch.yml. Every default is the secure one. */
export interface ElasticsearchConfigOptions {
  /** Cluster name. @default "metadata" */
  readonly clusterName?: string;
  /** Stable DNS names of the master-eligible nodes (discovery seeds). */
  readonly seedHosts: readonly string[];
  /** Node certificate, key and CA as PEM (Vault PKI). @default tlsFilesIn("/vault/secrets") */
  readonly tls?: TlsFiles;
}

const PROTOCOLS = ["TLSv1.3", "TLSv1.2"];

/**
 * elasticsearch.yml: security on (authentication, role-based access), TLS on HTTP and transport with
 * PEM files from Vault, client certificates between nodes, anonymous
 * access off. No secret is written to the file. `cluster.initial_master_nodes` is not here: it is for
 * the first formation of a cluster only (`elasticsearchBootstrapYml`).
 */
export function elasticsearchYml(options: ElasticsearchConfigOptions): Record<string, unknown> {
  const tls = options.tls ?? tlsFilesIn();
  return {
    "cluster.name": options.clusterName ?? "metadata",
    "node.name": "${HOSTNAME}",
    "network.host": "0.0.0.0",
    "discovery.seed_hosts": [...options.seedHosts],
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

/**
 * Facts about Elasticsearch 8.17 (the pinned image) that the platform's pods rely on, each with its source.
 * Tests hold the synthesized pods and scripts against them.
 */
export const ELASTICSEARCH_FACTS = {
  /**
   * `cluster.initial_master_nodes` is for bootstrapping a new cluster only: "After the cluster forms
   * successfully for the first time, remove the cluster.initial_master_nodes setting from each node's
   * configuration ... Do not configure this setting on nodes joining an existing cluster ... or on nodes
   * which are restarting." (https://www.elastic.co/guide/en/elasticsearch/reference/8.17/important-settings.html#initial_master_nodes)
   */
  bootstrapSetting: "cluster.initial_master_nodes",
  /**
   * Directory, under the data path, where a node keeps the cluster state it has joined
   * (server/src/main/java/org/elasticsearch/gateway/PersistedClusterStateService.java: METADATA_DIRECTORY_NAME
   * = MetadataStateFormat.STATE_DIR_NAME = "_state"). Absent on a node that never joined a cluster.
   */
  clusterStateDirectory: "_state",
  /**
   * The S3 repository reads a web-identity token only through this link inside the config directory, and
   * only when AWS_WEB_IDENTITY_TOKEN_FILE is set (modules/repository-s3 S3Service.CustomWebIdentityTokenCredentialsProvider:
   * WEB_IDENTITY_TOKEN_FILE_LOCATION; https://www.elastic.co/guide/en/elasticsearch/reference/8.17/repository-s3.html#iam-kubernetes-service-accounts:
   * `ln -s $AWS_WEB_IDENTITY_TOKEN_FILE "${ES_PATH_CONF}/repository-s3/aws-web-identity-token-file"`).
   */
  s3WebIdentityTokenLink: "repository-s3/aws-web-identity-token-file",
  /**
   * The Azure repository (8.16+) authenticates with Azure Workload Identity when no key or SAS token is
   * set; the token file must be inside the config directory and AZURE_FEDERATED_TOKEN_FILE must name it
   * (https://www.elastic.co/guide/en/elasticsearch/reference/8.17/repository-azure.html#repository-azure-default-credentials;
   * elastic/cloud-on-k8s docs "Use Azure Workload Identity": the mount "needs to be in a sub-directory of
   * the Elasticsearch config directory. The corresponding environment variable needs to be adjusted").
   */
  azureTokenInConfig: "azure-identity/azure-identity-token",
  /**
   * The Azure client's `account` is a secure setting: the keystore, never elasticsearch.yml
   * (https://www.elastic.co/guide/en/elasticsearch/reference/8.17/repository-azure.html: "The only
   * mandatory setting for an Azure repository client is account, which is a secure setting").
   */
  azureAccountSetting: "azure.client.default.account",
  /**
   * The image's entrypoint writes ELASTIC_PASSWORD(_FILE) as `bootstrap.password` into
   * `config/elasticsearch.keystore` (distribution/docker/src/docker/bin/docker-entrypoint.sh:
   * `elasticsearch-keystore add -x 'bootstrap.password'`): the config directory holds a secret.
   */
  keystoreFile: "elasticsearch.keystore",
  /**
   * The GCS repository with no `credentials_file` uses the application default credentials: on GKE the
   * metadata server, which serves the Workload Identity of the pod's service account
   * (https://www.elastic.co/guide/en/elasticsearch/reference/8.17/repository-gcs.html; elastic/cloud-on-k8s
   * docs "Use GKE Workload Identity": no credentials in Elasticsearch).
   */
  gcsCredentials: "application default credentials",
} as const;

/** `cluster.initial_master_nodes` for the first formation of a cluster: appended by the config init container only then. */
export function elasticsearchBootstrapYml(initialMasterNodes: readonly string[]): Record<string, unknown> {
  return { [ELASTICSEARCH_FACTS.bootstrapSetting]: [...initialMasterNodes] };
}

/** The name of the snapshot repository every Elasticsearch backup goes to. */
export const ELASTICSEARCH_REPOSITORY = "platform-bucket";

/**
 * The body of `PUT _snapshot/platform-bucket`: the platform bucket under `elasticsearch/`, reached by
 * the `backup` workload identity (no access key anywhere), server-side encrypted. The credentials come
 * from the pod (ELASTICSEARCH_FACTS): S3 through the web-identity token linked into the config
 * directory, Azure through the storage account in the keystore and the workload identity token, GCS
 * through the metadata server.
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
