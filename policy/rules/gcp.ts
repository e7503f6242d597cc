import { PROMISES } from "../promises";
import { statefulTypes } from "../stateful-resources";
import type { Element, Rule } from "../types";
import {
  adminPortsIn,
  blocks,
  bool,
  cidrProblems,
  expectBool,
  expectOneOf,
  fail,
  get,
  isUnresolved,
  isWorld,
  list,
  NA,
  parsePortRange,
  PASS,
  show,
  verdict,
  type Obj,
} from "../values";
import { DAY_S, forceDestroyProblem, preventDestroyProblem, seconds } from "./common";

// Rule pack GCP: GCS, Cloud KMS, GKE, VPC and IAM as the google provider (6.x) synthesizes them.

/** The node_config blocks a rule should judge: a node pool's, or a cluster's default pool unless it is removed. */
function nodeConfigs(e: Element): Obj[] | undefined {
  if (e.type === "google_container_node_pool") return blocks(e.block.node_config).length ? blocks(e.block.node_config) : [{}];
  if (bool(e.block.remove_default_node_pool) === true) return undefined;
  return blocks(e.block.node_config).length ? blocks(e.block.node_config) : [{}];
}

/** Log buckets: targets of another bucket's logging. */
function isLogBucket(e: Element, all: readonly Element[]): boolean {
  const name = e.block.name;
  return all.some((b) => b !== e && (get(b.block, "logging.log_bucket") === name || String(get(b.block, "logging.log_bucket") ?? "").includes(`${e.address}.`)));
}

const PUBLIC_MEMBERS = ["allUsers", "allAuthenticatedUsers"];

/** The Google Cloud rule pack (ids GCP-<n>). */
export const GCP_RULES: readonly Rule[] = [
  {
    id: "GCP-1",
    family: "public-exposure",
    appliesTo: ["google_storage_bucket"],
    message: "bucket allows per-object ACLs (uniform bucket-level access is off)",
    fix: "set uniform_bucket_level_access = true",
    promise: PROMISES.dataInVpc,
    check: (e) => verdict([expectBool(e.block, "uniform_bucket_level_access", true)]),
  },
  {
    id: "GCP-2",
    family: "public-exposure",
    appliesTo: ["google_storage_bucket"],
    message: "bucket does not enforce public access prevention",
    fix: "set public_access_prevention = \"enforced\"",
    promise: PROMISES.dataInVpc,
    check: (e) => verdict([expectOneOf(e.block, "public_access_prevention", ["enforced"])]),
  },
  {
    id: "GCP-3",
    family: "data-safety",
    appliesTo: ["google_storage_bucket"],
    message: "bucket is not versioned (an overwrite or delete loses data)",
    fix: "set versioning { enabled = true }",
    promise: PROMISES.dataSafety,
    check: (e) => verdict([expectBool(e.block, "versioning.enabled", true)]),
  },
  {
    id: "GCP-4",
    family: "logging",
    appliesTo: ["google_storage_bucket"],
    message: "bucket has no access logging to another bucket",
    fix: "set logging { log_bucket = <dedicated log bucket> }; for the log bucket itself, a separate sink or a suppression with the reason (never itself)",
    promise: PROMISES.clusterSecurity,
    check: (e, ctx) => {
      const target = get(e.block, "logging.log_bucket");
      if (target !== undefined && (target === e.block.name || String(target).includes(`${e.address}.`))) return fail("the bucket logs its usage to itself");
      if (target) return PASS;
      return fail(isLogBucket(e, ctx.resources("google_storage_bucket")) ? "the log bucket's own usage is logged nowhere (give it a separate sink, or suppress with the reason)" : "logging.log_bucket is not set");
    },
  },
  {
    id: "GCP-5",
    family: "public-exposure",
    appliesTo: ["google_storage_bucket_iam_member", "google_storage_bucket_iam_binding", "google_storage_bucket_access_control", "google_storage_bucket_acl"],
    message: "bucket is shared with allUsers or allAuthenticatedUsers",
    fix: "grant roles to specific service accounts or groups only",
    promise: PROMISES.dataInVpc,
    check: (e) => {
      const members = [e.block.member, ...list(e.block.members), e.block.entity, ...list(e.block.role_entity)].filter((m) => m !== undefined).map(String);
      // A member whose principal type is literal (serviceAccount:${...email}) cannot be a public one.
      const typed = (m: string) => /^(serviceAccount|group|user):[^$]*\$\{/.test(m);
      if (members.some((m) => isUnresolved(m) && !typed(m))) return fail("a member is not known at synth");
      const pub = members.filter((m) => PUBLIC_MEMBERS.some((p) => m.includes(p)));
      return pub.length ? fail(`grants to ${pub.join(", ")}`) : PASS;
    },
  },
  {
    id: "GCP-6",
    family: "data-safety",
    appliesTo: statefulTypes("GCP-6"),
    message: "stateful GCP resource can be destroyed by a plan",
    fix: "set lifecycle.preventDestroy (deletion_protection = true on clusters; no force_destroy on buckets), or Policy.allowDestroy(scope) when dataProtection.allowDestroy is true",
    promise: PROMISES.dataSafety,
    guardsDestroy: true,
    check: (e) => {
      if (e.type === "google_container_cluster") return verdict([expectBool(e.block, "deletion_protection", true)]);
      return verdict([preventDestroyProblem(e), e.type === "google_storage_bucket" ? forceDestroyProblem(e) : undefined]);
    },
  },
  {
    id: "GCP-7",
    family: "data-safety",
    appliesTo: ["google_kms_crypto_key"],
    message: "KMS key versions are destroyed sooner than the 120-day maximum after scheduling",
    fix: "set destroy_scheduled_duration = \"10368000s\" (120 days)",
    promise: PROMISES.dataSafety,
    guardsDestroy: true,
    check: (e) => {
      const s = seconds(e.block.destroy_scheduled_duration);
      if (s === undefined) return fail(`destroy_scheduled_duration is ${show(e.block.destroy_scheduled_duration ?? "not set (defaults to 30 days)")}`);
      return s >= 120 * DAY_S ? PASS : fail(`destroy_scheduled_duration is ${s / DAY_S} days`);
    },
  },
  {
    id: "GCP-8",
    family: "encryption-at-rest",
    appliesTo: ["google_kms_crypto_key"],
    message: "KMS key is not rotated at least every 90 days",
    fix: "set rotation_period = \"7776000s\" (90 days) or shorter",
    promise: PROMISES.vaultKeys,
    check: (e) => {
      if (e.block.purpose !== undefined && e.block.purpose !== "ENCRYPT_DECRYPT") return NA;
      const s = seconds(e.block.rotation_period);
      if (s === undefined) return fail(`rotation_period is ${show(e.block.rotation_period ?? "not set")}`);
      return s <= 90 * DAY_S ? PASS : fail(`rotation_period is ${s / DAY_S} days`);
    },
  },
  {
    id: "GCP-9",
    family: "public-exposure",
    appliesTo: ["google_container_cluster"],
    message: "GKE nodes get public IP addresses",
    fix: "set private_cluster_config { enable_private_nodes = true }",
    promise: PROMISES.nodesAcl,
    check: (e) => verdict([expectBool(e.block, "private_cluster_config.enable_private_nodes", true)]),
  },
  {
    id: "GCP-10",
    family: "public-exposure",
    appliesTo: ["google_container_cluster"],
    message: "GKE control plane is reachable beyond the admin CIDRs",
    fix: "set master_authorized_networks_config { cidr_blocks { cidr_block = <admin CIDR> } } (never 0.0.0.0/0) and gcp_public_cidrs_access_enabled = false",
    promise: PROMISES.controlPlane,
    check: (e) => {
      const cfg = blocks(e.block.master_authorized_networks_config)[0];
      if (!cfg) return fail("master_authorized_networks_config is not set (any IP may reach the public endpoint)");
      const cidrs = blocks(cfg.cidr_blocks).map((c) => c.cidr_block);
      return verdict([
        ...cidrProblems("master_authorized_networks_config.cidr_blocks", cidrs),
        bool(cfg.gcp_public_cidrs_access_enabled) === true ? "gcp_public_cidrs_access_enabled is true (every Google Cloud IP)" : undefined,
      ]);
    },
  },
  {
    id: "GCP-11",
    family: "encryption-at-rest",
    appliesTo: ["google_container_cluster"],
    message: "GKE does not encrypt Kubernetes secrets in etcd with a Cloud KMS key",
    fix: "set database_encryption { state = \"ENCRYPTED\", key_name = <crypto key id> }",
    promise: PROMISES.clusterSecurity,
    check: (e) =>
      verdict([
        expectOneOf(e.block, "database_encryption.state", ["ENCRYPTED"]),
        get(e.block, "database_encryption.key_name") ? undefined : "database_encryption.key_name is not set",
      ]),
  },
  {
    id: "GCP-12",
    family: "identity",
    appliesTo: ["google_container_cluster"],
    message: "GKE Workload Identity is off",
    fix: "set workload_identity_config { workload_pool = \"<project>.svc.id.goog\" }",
    promise: PROMISES.credentialsInVpc,
    check: (e) => (get(e.block, "workload_identity_config.workload_pool") ? PASS : fail("workload_identity_config.workload_pool is not set")),
  },
  {
    id: "GCP-13",
    family: "identity",
    appliesTo: ["google_container_cluster"],
    message: "GKE issues static client certificates or uses legacy ABAC",
    fix: "set master_auth { client_certificate_config { issue_client_certificate = false } } and enable_legacy_abac = false",
    promise: PROMISES.credentialsInVpc,
    check: (e) =>
      verdict([
        bool(get(e.block, "master_auth.client_certificate_config.issue_client_certificate")) === true ? "issue_client_certificate is true" : undefined,
        bool(e.block.enable_legacy_abac) === true ? "enable_legacy_abac is true" : undefined,
      ]),
  },
  {
    id: "GCP-14",
    family: "nodes",
    appliesTo: ["google_container_cluster", "google_container_node_pool"],
    message: "GKE nodes are not Shielded VMs with secure boot",
    fix: "set enable_shielded_nodes = true on the cluster and node_config { shielded_instance_config { enable_secure_boot = true, enable_integrity_monitoring = true } }",
    promise: PROMISES.clusterSecurity,
    check: (e) => {
      const problems = e.type === "google_container_cluster" ? [expectBool(e.block, "enable_shielded_nodes", true)] : [];
      for (const cfg of nodeConfigs(e) ?? []) {
        problems.push(expectBool(cfg, "shielded_instance_config.enable_secure_boot", true));
        problems.push(expectBool(cfg, "shielded_instance_config.enable_integrity_monitoring", true));
      }
      return verdict(problems);
    },
  },
  {
    id: "GCP-15",
    family: "nodes",
    appliesTo: ["google_container_cluster", "google_container_node_pool"],
    message: "GKE node metadata (and the node's credentials) is not concealed from pods",
    fix: "set node_config { workload_metadata_config { mode = \"GKE_METADATA\" } }",
    promise: PROMISES.clusterSecurity,
    check: (e) => {
      const cfgs = nodeConfigs(e);
      if (!cfgs) return NA;
      return verdict(cfgs.map((c) => expectOneOf(c, "workload_metadata_config.mode", ["GKE_METADATA"])));
    },
  },
  {
    id: "GCP-16",
    family: "nodes",
    appliesTo: ["google_container_cluster", "google_container_node_pool", "google_compute_instance", "google_compute_instance_template"],
    message: "nodes accept SSH keys from metadata",
    fix: "remove ssh-keys from metadata and set metadata \"block-project-ssh-keys\" = \"true\" on instances",
    promise: PROMISES.nodesAcl,
    check: (e) => {
      const metas = e.type.startsWith("google_compute_") ? [e.block.metadata] : (nodeConfigs(e) ?? []).map((c) => c.metadata);
      const problems: string[] = [];
      for (const m of metas) {
        const md = (m && typeof m === "object" ? m : {}) as Obj;
        for (const key of ["ssh-keys", "sshKeys"]) if (md[key] !== undefined) problems.push(`metadata sets ${key}`);
        if (e.type.startsWith("google_compute_") && md["block-project-ssh-keys"] !== "true" && md["block-project-ssh-keys"] !== true) problems.push("metadata block-project-ssh-keys is not \"true\"");
      }
      return verdict(problems);
    },
  },
  {
    id: "GCP-17",
    family: "logging",
    appliesTo: ["google_container_cluster"],
    message: "GKE control-plane (API server) logs are not collected",
    fix: "set logging_config { enable_components = [\"SYSTEM_COMPONENTS\", \"APISERVER\", \"CONTROLLER_MANAGER\", \"SCHEDULER\", \"WORKLOADS\"] }",
    promise: PROMISES.clusterSecurity,
    check: (e) => {
      if (e.block.logging_service === "none") return fail("logging_service is \"none\"");
      const comps = list(get(e.block, "logging_config.enable_components"));
      return comps.includes("APISERVER") ? PASS : fail("logging_config.enable_components does not include APISERVER");
    },
  },
  {
    id: "GCP-18",
    family: "namespaces",
    appliesTo: ["google_container_cluster"],
    message: "GKE does not enforce Kubernetes NetworkPolicies",
    fix: "set datapath_provider = \"ADVANCED_DATAPATH\" (Dataplane V2), or network_policy { enabled = true }",
    promise: PROMISES.networkSecurity,
    check: (e) =>
      e.block.datapath_provider === "ADVANCED_DATAPATH" || bool(get(e.block, "network_policy.enabled")) === true
        ? PASS
        : fail(`datapath_provider is ${show(e.block.datapath_provider ?? "not set")} and network_policy is not enabled`),
  },
  {
    id: "GCP-19",
    family: "logging",
    appliesTo: ["google_compute_subnetwork"],
    message: "subnet has no VPC flow logs",
    fix: "set log_config { aggregation_interval = \"INTERVAL_5_SEC\", flow_sampling = 0.5, metadata = \"INCLUDE_ALL_METADATA\" }",
    promise: PROMISES.networkSecurity,
    check: (e) => {
      const purpose = e.block.purpose;
      if (purpose !== undefined && purpose !== "PRIVATE") return NA;
      return blocks(e.block.log_config).length ? PASS : fail("log_config is not set");
    },
  },
  {
    id: "GCP-20",
    family: "public-exposure",
    appliesTo: ["google_compute_firewall"],
    message: "firewall rule opens an administrative or data port to the internet",
    fix: "restrict source_ranges to the admin CIDRs (or use IAP ranges / service accounts)",
    promise: PROMISES.nodesAcl,
    check: (e) => {
      if ((e.block.direction ?? "INGRESS") !== "INGRESS" || bool(e.block.disabled) === true) return NA;
      const sources = list(e.block.source_ranges);
      if (sources.some(isUnresolved)) return fail("a source range is not known at synth");
      if (!sources.some(isWorld)) return PASS;
      const problems: string[] = [];
      for (const a of blocks(e.block.allow)) {
        const ports = list(a.ports);
        if (!ports.length) {
          problems.push(`protocol ${show(a.protocol)} on every port is open to the internet`);
          continue;
        }
        for (const p of ports) {
          const range = parsePortRange(p);
          if (!range) problems.push(`port ${show(p)} is not known at synth`);
          else if (adminPortsIn(range).length) problems.push(`${adminPortsIn(range).join(", ")} open to the internet`);
        }
      }
      return verdict(problems);
    },
  },
  {
    id: "GCP-21",
    family: "in-transit",
    appliesTo: ["google_compute_ssl_policy"],
    message: "SSL policy accepts TLS older than 1.2",
    fix: "set min_tls_version = \"TLS_1_2\" and profile = \"MODERN\" or \"RESTRICTED\"",
    promise: PROMISES.inTransit,
    check: (e) => verdict([expectOneOf(e.block, "min_tls_version", ["TLS_1_2", "TLS_1_3"]), e.block.profile === "COMPATIBLE" ? "profile is COMPATIBLE" : undefined]),
  },
  {
    id: "GCP-22",
    family: "in-transit",
    appliesTo: ["google_compute_target_https_proxy"],
    message: "HTTPS proxy uses Google's default SSL policy (TLS 1.0 allowed)",
    fix: "set ssl_policy to a google_compute_ssl_policy with min_tls_version TLS_1_2",
    promise: PROMISES.inTransit,
    check: (e) => (e.block.ssl_policy ? PASS : fail("ssl_policy is not set")),
  },
  {
    id: "GCP-23",
    family: "identity",
    appliesTo: ["google_project_iam_member", "google_project_iam_binding"],
    message: "project-wide KMS or owner/editor role granted (not least privilege)",
    fix: "grant roles/cloudkms.cryptoKeyEncrypterDecrypter on the one crypto key (google_kms_crypto_key_iam_member) instead",
    promise: PROMISES.vaultKeys,
    check: (e) => {
      const role = e.block.role;
      if (isUnresolved(role)) return fail(`role is not known at synth (${show(role)})`);
      return typeof role === "string" && (/^roles\/cloudkms\./.test(role) || role === "roles/owner" || role === "roles/editor") ? fail(`role ${role} at project level`) : PASS;
    },
  },
  {
    id: "GCP-24",
    family: "public-exposure",
    appliesTo: ["google_compute_instance", "google_compute_instance_template"],
    message: "instance gets an external IP address",
    fix: "remove access_config from network_interface; use Cloud NAT for egress",
    promise: PROMISES.nodesAcl,
    check: (e) => verdict(blocks(e.block.network_interface).map((n, i) => (blocks(n.access_config).length ? `network_interface ${i} has an access_config` : undefined))),
  },
];
