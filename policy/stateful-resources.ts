/**
 * Which Terraform resource types hold something an apply cannot bring back, and what a destroy (or a
 * replacement, which is a destroy and a create) loses. The destroy-guarding rules (AWS-7, AZ-25, GCP-6,
 * K8S-24, VAULT-12) apply to exactly these types: every resource of them carries `prevent_destroy`, lifted
 * only by `dataProtection.allowDestroy` (Policy.allowDestroy). Each entry names the upstream code or
 * document that does the losing.
 *
 * The other resource types the stacks synthesize are listed in RECREATABLE_RESOURCES with the reason an
 * apply re-creates them whole. A test holds every type of every shipped deployment against the two lists,
 * so a new type is classified (and, if stateful, protected) before it ships.
 */

/** One stateful resource type. */
export interface StatefulResourceType {
  readonly type: string;
  /** What is lost when Terraform destroys it. */
  readonly loses: string;
  /** Where that happens: upstream repository, release, file and function, or the API documentation. */
  readonly source: string;
}

const K8S_PROVIDER = "hashicorp/terraform-provider-kubernetes v2.38.0";
const VAULT_PROVIDER = "hashicorp/terraform-provider-vault v5.6.0";
const AZURERM = "hashicorp/terraform-provider-azurerm v4.55.0";

/** By rule id: the types each destroy-guarding rule applies to. */
export const STATEFUL_RESOURCES = {
  "AWS-7": [
    { type: "aws_s3_bucket", loses: "every object and version (the provider refuses a non-empty bucket unless force_destroy)", source: "AWS S3 API DeleteBucket; DESIGN.md (stateful resources)" },
    { type: "aws_kms_key", loses: "everything encrypted under the key (Vault's seal, EKS secrets) after the deletion window", source: "AWS KMS API ScheduleKeyDeletion" },
    { type: "aws_eks_cluster", loses: "the cluster and every Kubernetes object, volume claim and Vault's raft data in it", source: "AWS EKS API DeleteCluster" },
    { type: "aws_ebs_volume", loses: "the volume's data", source: "AWS EC2 API DeleteVolume" },
    {
      type: "aws_cloudwatch_log_group",
      loses: "every log event kept in it (VPC flow logs, the EKS control-plane and audit logs, 365 days)",
      source: "AWS CloudWatch Logs API DeleteLogGroup: 'permanently deletes all the archived log events associated with the log group' (docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DeleteLogGroup.html)",
    },
  ],
  "AZ-25": [
    { type: "azurerm_storage_account", loses: "every blob, version and container in the account", source: "Azure REST API Storage Accounts - Delete" },
    { type: "azurerm_storage_container", loses: "every blob in the container", source: `${AZURERM} internal/services/storage/storage_container_resource.go resourceStorageContainerDelete` },
    { type: "azurerm_key_vault", loses: "every key in the vault (soft-deleted, purge-protected for 90 days)", source: "Azure REST API Vaults - Delete" },
    { type: "azurerm_key_vault_key", loses: "everything encrypted under the key (Vault's seal, AKS etcd)", source: "Azure REST API Keys - Delete Key" },
    { type: "azurerm_kubernetes_cluster", loses: "the cluster and every Kubernetes object, volume claim and Vault's raft data in it", source: "Azure REST API Managed Clusters - Delete" },
    { type: "azurerm_managed_disk", loses: "the disk's data", source: "Azure REST API Disks - Delete" },
    {
      type: "azurerm_disk_encryption_set",
      loses: "the key binding of every disk it encrypts (AKS OS disks and the StorageClass's volumes): those disks cannot be attached while the set is gone",
      source: "Azure REST API Disk Encryption Sets - Delete; Microsoft Learn 'Server-side encryption of Azure Disk Storage', customer-managed keys",
    },
    {
      type: "azurerm_log_analytics_workspace",
      loses: "every log in it (AKS audit and diagnostics, traffic analytics, blob access logs): soft-deleted for 14 days, or at once with features.log_analytics_workspace.permanently_delete_on_destroy",
      source: `${AZURERM} internal/services/loganalytics/log_analytics_workspace_resource.go resourceLogAnalyticsWorkspaceDelete (Force: PermanentlyDeleteOnDestroy)`,
    },
  ],
  "GCP-6": [
    { type: "google_storage_bucket", loses: "every object and generation (refused while not empty unless force_destroy)", source: "GCS JSON API buckets.delete" },
    { type: "google_kms_crypto_key", loses: "everything encrypted under the key once its versions are destroyed (GCP-7: 120 days scheduled)", source: "Cloud KMS API cryptoKeyVersions.destroy" },
    { type: "google_kms_key_ring", loses: "nothing Google deletes (key rings cannot be deleted), but Terraform drops the ring and its keys from state", source: "Cloud KMS docs: 'Key rings and keys cannot be deleted'" },
    { type: "google_container_cluster", loses: "the cluster and every Kubernetes object, volume claim and Vault's raft data in it", source: "GKE API projects.locations.clusters.delete" },
    { type: "google_compute_disk", loses: "the disk's data", source: "Compute Engine API disks.delete" },
  ],
  "K8S-24": [
    ...["kubernetes_namespace_v1", "kubernetes_namespace"].map((type) => ({
      type,
      loses:
        "every object in the namespace: StatefulSets and their pods, volume claims (and with them the volumes of a class that reclaims with Delete), Secrets such as Vault's TLS key. A rename is a replacement: metadata.name forces a new namespace",
      source: `${K8S_PROVIDER} kubernetes/resource_kubernetes_namespace_v1.go resourceKubernetesNamespaceV1Delete (Namespaces().Delete), kubernetes/schema_metadata.go (name: ForceNew); kubernetes.io/docs/tasks/administer-cluster/namespaces/ ('This deletes everything under the namespace!')`,
    })),
    ...["kubernetes_stateful_set_v1", "kubernetes_stateful_set"].map((type) => ({
      type,
      loses: "every pod at once (the delete cascades in the background): the service is down until a new set is ready. Claims stay (retention policy Retain)",
      source: `${K8S_PROVIDER} kubernetes/resource_kubernetes_stateful_set_v1.go resourceKubernetesStatefulSetV1Delete (StatefulSets().Delete with default DeleteOptions)`,
    })),
    ...["kubernetes_persistent_volume_claim_v1", "kubernetes_persistent_volume_claim", "kubernetes_persistent_volume_v1", "kubernetes_persistent_volume"].map((type) => ({
      type,
      loses: "the claim's binding to its volume, and with a Delete reclaim policy the volume and its data",
      source: "kubernetes.io/docs/concepts/storage/persistent-volumes/#reclaiming",
    })),
  ],
  "VAULT-12": [
    {
      type: "vault_mount",
      loses:
        "all the engine's data: KV secrets, transit keys, PKI CA keys, the database connection (after rotate-root the only copy of PostgreSQL's vault_admin password); its leases are revoked",
      source: `${VAULT_PROVIDER} vault/resource_mount.go mountDelete (Sys().Unmount); developer.hashicorp.com/vault/docs/commands/secrets/disable ('All secrets created by this engine are revoked and its Vault data is removed')`,
    },
    {
      type: "vault_database_secret_backend_connection",
      loses: "the connection and the admin password Vault holds for it (after rotate-root, the only copy)",
      source: `${VAULT_PROVIDER} vault/resource_database_secret_backend_connection.go databaseSecretBackendConnectionDelete (DELETE <backend>/config/<name>); backend: ForceNew`,
    },
    {
      type: "vault_audit",
      loses: "the audit device: Vault stops writing its audit trail. Every argument (path, type, description, local, options) forces a replacement",
      source: `${VAULT_PROVIDER} vault/resource_audit.go auditDelete (Sys().DisableAudit), schema: every argument ForceNew`,
    },
    {
      type: "vault_pki_secret_backend_root_cert",
      loses: "the root CA's key and issuer, which every service's trust chain ends at",
      source: `${VAULT_PROVIDER} vault/resource_pki_secret_backend_root_cert.go pkiSecretBackendRootCertDelete (DELETE <backend>/root)`,
    },
    {
      type: "vault_pki_secret_backend_intermediate_cert_request",
      loses:
        "on destroy nothing (the provider's delete is a no-op and the key stays in the protected mount), but every argument forces a replacement, which generates a new intermediate key: the CA that signs every service certificate changes",
      source: `${VAULT_PROVIDER} vault/resource_pki_secret_backend_intermediate_cert_request.go pkiSecretBackendIntermediateCertRequestDelete (returns nil), schema: every argument ForceNew`,
    },
  ],
} as const satisfies Readonly<Record<string, readonly StatefulResourceType[]>>;

/** The rule ids that guard destroy by `prevent_destroy`, with their types. */
export type DestroyGuardRuleId = keyof typeof STATEFUL_RESOURCES;

/** The stateful types one rule applies to. */
export function statefulTypes(ruleId: DestroyGuardRuleId): string[] {
  return STATEFUL_RESOURCES[ruleId].map((t) => t.type);
}

/**
 * Resource types an apply re-creates whole from the configuration, by the reason. Their destroy loses no
 * data (it may interrupt traffic or logins until the apply finishes, which the replacement guard shows).
 */
export const RECREATABLE_RESOURCES: Readonly<Record<string, readonly string[]>> = {
  "network: addresses, routes and filters, all from the config": [
    "aws_vpc", "aws_subnet", "aws_internet_gateway", "aws_nat_gateway", "aws_eip", "aws_route_table", "aws_route", "aws_route_table_association",
    "aws_network_acl", "aws_security_group", "aws_default_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule",
    "aws_vpc_endpoint", "aws_flow_log", "aws_vpc_endpoint_service",
    "azurerm_virtual_network", "azurerm_subnet", "azurerm_network_security_group", "azurerm_network_security_rule", "azurerm_subnet_network_security_group_association",
    "azurerm_nat_gateway", "azurerm_public_ip", "azurerm_nat_gateway_public_ip_association", "azurerm_subnet_nat_gateway_association", "azurerm_private_endpoint",
    "azurerm_private_dns_zone", "azurerm_private_dns_zone_virtual_network_link", "azurerm_network_watcher_flow_log",
    "google_compute_network", "google_compute_subnetwork", "google_compute_router", "google_compute_router_nat", "google_compute_firewall",
    "azurerm_virtual_network_peering",
    // The entry point's reserved address and its DNS record (domain.dnsZone): a new address gets a new record in the same apply.
    "google_compute_address", "aws_route53_record", "azurerm_dns_a_record", "azurerm_private_dns_a_record", "google_dns_record_set",
  ],
  "the zone pin (constructs/common/pinned-zones.ts): its input is ignored after the first apply; it is re-created only when removed from the stack, and the subnets it feeds would then be replaced, which the protected cluster refuses": [
    "terraform_data",
  ],
  "identities and grants: names and policies from the config (a replaced identity gets a new id; its grants are re-created in the same apply)": [
    "aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_policy", "aws_iam_openid_connect_provider", "aws_eks_access_entry", "aws_eks_access_policy_association",
    "aws_kms_alias",
    "azurerm_user_assigned_identity", "azurerm_federated_identity_credential", "azurerm_role_assignment", "azurerm_role_definition",
    "google_service_account", "google_project_iam_member", "google_service_account_iam_member", "google_kms_crypto_key_iam_member", "google_storage_bucket_iam_member",
    "kubernetes_service_account_v1", "kubernetes_role_v1", "kubernetes_role_binding_v1", "kubernetes_cluster_role_binding_v1",
    "vault_policy", "vault_auth_backend", "vault_kubernetes_auth_backend_config", "vault_kubernetes_auth_backend_role",
  ],
  "settings of a protected resource (bucket, account, cluster, mount): re-applied from the config": [
    "aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_public_access_block", "aws_s3_bucket_policy",
    "aws_s3_bucket_ownership_controls", "aws_s3_bucket_lifecycle_configuration", "aws_s3_bucket_logging", "aws_ebs_encryption_by_default", "aws_eks_addon",
    "aws_athena_workgroup",
    "azurerm_monitor_diagnostic_setting", "azurerm_management_lock", "azurerm_monitor_data_collection_rule", "azurerm_monitor_data_collection_rule_association",
    "google_project_service",
    "vault_kv_secret_backend_v2", "vault_password_policy", "vault_pki_secret_backend_config_urls", "vault_pki_secret_backend_role", "vault_pki_secret_backend_root_sign_intermediate",
    "vault_pki_secret_backend_intermediate_set_signed", "vault_database_secret_backend_role",
    "kubernetes_storage_class_v1",
  ],
  "waits (constructs/azure/role-propagation.ts): nothing but a timestamp; re-created, it waits again": ["time_sleep"],
  "containers of protected resources: the group holds nothing itself, and its protected members (and the CanNotDelete lock on the data group) stop its destroy": ["azurerm_resource_group"],
  "node pools: nodes are replaceable; their pods move (PodDisruptionBudgets)": [
    "aws_eks_node_group", "aws_launch_template", "azurerm_kubernetes_cluster_node_pool", "google_container_node_pool",
  ],
  "workloads and their configuration without state of their own: the pods' data is on protected claims": [
    "kubernetes_deployment_v1", "kubernetes_config_map_v1", "kubernetes_service_v1", "kubernetes_network_policy_v1", "kubernetes_pod_disruption_budget_v1", "kubernetes_job_v1",
    "kubernetes_cron_job_v1", "kubernetes_manifest",
  ],
};
