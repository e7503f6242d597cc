import { PROMISES } from "../promises";
import { statefulTypes } from "../stateful-resources";
import type { Element, Rule, RuleContext } from "../types";
import {
  adminPortsIn,
  block,
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
import { preventDestroyProblem } from "./common";

// Rule pack AZ: storage, AKS, network, Key Vault as the azurerm provider (4.x) synthesizes them.

/** Built-in roles that administer a subscription, access or keys (by name, and by GUID). */
const BROAD_ROLE_IDS = new Map([
  ["Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"],
  ["Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"],
  ["User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"],
  ["Key Vault Administrator", "00482a5a-887f-4fb3-b363-3b7fe8e74483"],
  ["Key Vault Crypto Officer", "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"],
]);
const BROAD_ROLES = new Set(BROAD_ROLE_IDS.keys());

/**
 * Why a custom role defined in the same stack is administrative: a wildcard action or data action (`<star>`,
 * `Microsoft.KeyVault/<star>`, `.../keys/<star>`; read-only wildcards ending in `/read` excepted),
 * or any write, delete or action under Microsoft.Authorization (roles, locks, policies). Empty when every
 * permission is listed explicitly and none administers access.
 */
function customRoleProblems(role: Element): string[] {
  const problems: string[] = [];
  const permissions = blocks(role.block.permissions);
  if (!permissions.length) problems.push(`custom role ${show(role.block.name)} has no permissions block to judge`);
  for (const p of permissions) {
    for (const [kind, values] of [["actions", p.actions], ["data_actions", p.data_actions]] as const) {
      if (isUnresolved(values)) {
        problems.push(`custom role ${show(role.block.name)} ${kind} are not known at synth`);
        continue;
      }
      for (const a of list(values)) {
        if (typeof a !== "string" || isUnresolved(a)) problems.push(`custom role ${show(role.block.name)} has a ${kind} entry not known at synth`);
        else if (a.includes("*") && !/\/read$/i.test(a)) problems.push(`custom role ${show(role.block.name)} grants the wildcard ${a}`);
        else if (/^microsoft\.authorization\/.*\/(write|delete|action)$/i.test(a)) problems.push(`custom role ${show(role.block.name)} administers access (${a})`);
      }
    }
  }
  return problems;
}

/** The azurerm_role_definition of this stack that a role_definition_id like `${azurerm_role_definition.X.role_definition_resource_id}` names. */
function referencedRoleDefinition(id: unknown, ctx: RuleContext): Element | undefined {
  if (typeof id !== "string") return undefined;
  const m = /^\$\{(azurerm_role_definition\.[A-Za-z0-9_-]+)\.(role_definition_resource_id|id)\}$/.exec(id);
  return m ? ctx.byAddress(m[1]) : undefined;
}

/** True when public network access is off, or the firewall denies by default. */
function publicAccessProblem(b: Obj, aclBlock: string): string | undefined {
  const pub = bool(b.public_network_access_enabled);
  if (pub === false) return undefined;
  const deny = get(b, `${aclBlock}.default_action`);
  if (deny === "Deny") return undefined;
  if (pub === "unresolved") return "public_network_access_enabled is not known at synth";
  return `public_network_access_enabled is ${pub === undefined ? "not set (defaults to true)" : pub} and ${aclBlock}.default_action is ${show(deny ?? "not set")}`;
}

/** Node pools of a cluster (default_node_pool) or a separate node pool resource. */
function nodePools(e: Element): Obj[] {
  return e.type === "azurerm_kubernetes_cluster" ? blocks(e.block.default_node_pool) : [e.block];
}

/** Inbound allow rules of an NSG or an NSG rule resource. */
function inboundRules(e: Element): Obj[] {
  const rules = e.type === "azurerm_network_security_group" ? blocks(e.block.security_rule) : [e.block];
  return rules.filter((r) => String(r.direction) === "Inbound" && String(r.access) === "Allow");
}

/** Disk encryption set types whose key is the customer's (azurerm disk_encryption_set encryption_type). */
const CUSTOMER_KEY_ENCRYPTION_TYPES = ["EncryptionAtRestWithCustomerKey", "EncryptionAtRestWithPlatformAndCustomerKeys"];

/** Whether `value` is a reference to an element of `type` in this stack (`${type.X.id}`). */
function referencesType(value: unknown, type: string, ctx: RuleContext): boolean {
  if (typeof value !== "string") return false;
  const m = new RegExp(`^\\$\\{(${type}\\.[A-Za-z0-9_-]+)\\.id\\}$`).exec(value);
  return m !== null && ctx.byAddress(m[1]) !== undefined;
}

/** The Azure rule pack (ids AZ-<n>). */
export const AZURE_RULES: readonly Rule[] = [
  {
    id: "AZ-1",
    family: "in-transit",
    appliesTo: ["azurerm_storage_account"],
    message: "storage account accepts TLS older than 1.2",
    fix: "set min_tls_version = \"TLS1_2\"",
    promise: PROMISES.inTransit,
    check: (e) => verdict([expectOneOf(e.block, "min_tls_version", ["TLS1_2", "TLS1_3"])]),
  },
  {
    id: "AZ-2",
    family: "in-transit",
    appliesTo: ["azurerm_storage_account"],
    message: "storage account accepts plain HTTP",
    fix: "set https_traffic_only_enabled = true",
    promise: PROMISES.inTransit,
    check: (e) => verdict([expectBool(e.block, "https_traffic_only_enabled", true)]),
  },
  {
    id: "AZ-3",
    family: "public-exposure",
    appliesTo: ["azurerm_storage_account"],
    message: "storage account is reachable from any network",
    fix: "set public_network_access_enabled = false (private endpoint), or network_rules { default_action = \"Deny\" } with the cluster's subnets",
    promise: PROMISES.dataInVpc,
    check: (e) => verdict([publicAccessProblem(e.block, "network_rules")]),
  },
  {
    id: "AZ-4",
    family: "public-exposure",
    appliesTo: ["azurerm_storage_account"],
    message: "storage account lets containers or blobs be made public",
    fix: "set allow_nested_items_to_be_public = false",
    promise: PROMISES.dataInVpc,
    check: (e) => verdict([expectBool(e.block, "allow_nested_items_to_be_public", false)]),
  },
  {
    id: "AZ-5",
    family: "identity",
    appliesTo: ["azurerm_storage_account"],
    message: "storage account accepts shared keys (static credentials)",
    fix: "set shared_access_key_enabled = false and use Entra ID (workload identity) for access",
    promise: PROMISES.credentialsInVpc,
    check: (e) => verdict([expectBool(e.block, "shared_access_key_enabled", false)]),
  },
  {
    id: "AZ-6",
    family: "data-safety",
    appliesTo: ["azurerm_storage_account"],
    message: "blobs are not versioned or deleted blobs are not retained",
    fix: "set blob_properties { versioning_enabled = true, delete_retention_policy { days = 30 } }",
    promise: PROMISES.dataSafety,
    check: (e) => {
      const props = block(e.block.blob_properties);
      if (!props) return fail("blob_properties is not set");
      const days = get(props, "delete_retention_policy.days");
      return verdict([
        expectBool(props, "versioning_enabled", true),
        days === undefined ? "blob_properties.delete_retention_policy is not set" : isUnresolved(days) || Number(days) < 7 ? `delete_retention_policy.days is ${show(days)} (at least 7)` : undefined,
      ]);
    },
  },
  {
    id: "AZ-7",
    family: "public-exposure",
    appliesTo: ["azurerm_storage_container"],
    message: "storage container allows anonymous read access",
    fix: "set container_access_type = \"private\"",
    promise: PROMISES.dataInVpc,
    check: (e) => verdict([expectOneOf(e.block, "container_access_type", ["private"])]),
  },
  {
    id: "AZ-8",
    family: "public-exposure",
    appliesTo: ["azurerm_kubernetes_cluster"],
    message: "AKS API server is reachable from the internet beyond the admin CIDRs",
    fix: "set private_cluster_enabled = true, or api_server_access_profile { authorized_ip_ranges = [admin CIDRs] } (never 0.0.0.0/0)",
    promise: PROMISES.controlPlane,
    check: (e) => {
      const ranges = get(e.block, "api_server_access_profile.authorized_ip_ranges");
      const problems = cidrProblems("api_server_access_profile.authorized_ip_ranges", ranges);
      const priv = bool(e.block.private_cluster_enabled);
      if (priv !== true && !list(ranges).length) problems.push("private_cluster_enabled is not true and no authorized_ip_ranges are set");
      return verdict(problems);
    },
  },
  {
    id: "AZ-9",
    family: "identity",
    appliesTo: ["azurerm_kubernetes_cluster"],
    message: "AKS local accounts (static cluster-admin credentials) are enabled",
    fix: "set local_account_disabled = true",
    promise: PROMISES.credentialsInVpc,
    check: (e) => verdict([expectBool(e.block, "local_account_disabled", true)]),
  },
  {
    id: "AZ-10",
    family: "identity",
    appliesTo: ["azurerm_kubernetes_cluster"],
    message: "AKS does not authorize users with Entra ID and Azure RBAC",
    fix: "set azure_active_directory_role_based_access_control { azure_rbac_enabled = true, admin_group_object_ids = [...] }",
    promise: PROMISES.clusterSecurity,
    check: (e) => verdict([expectBool(e.block, "azure_active_directory_role_based_access_control.azure_rbac_enabled", true)]),
  },
  {
    id: "AZ-11",
    family: "identity",
    appliesTo: ["azurerm_kubernetes_cluster"],
    message: "AKS workload identity is off",
    fix: "set oidc_issuer_enabled = true and workload_identity_enabled = true",
    promise: PROMISES.credentialsInVpc,
    check: (e) => verdict([expectBool(e.block, "oidc_issuer_enabled", true), expectBool(e.block, "workload_identity_enabled", true)]),
  },
  {
    id: "AZ-12",
    family: "public-exposure",
    appliesTo: ["azurerm_kubernetes_cluster", "azurerm_kubernetes_cluster_node_pool"],
    message: "AKS nodes get public IP addresses",
    fix: "set node_public_ip_enabled = false (default_node_pool and every node pool)",
    promise: PROMISES.nodesAcl,
    check: (e) =>
      verdict(nodePools(e).map((p) => (bool(p.node_public_ip_enabled) === false || p.node_public_ip_enabled === undefined ? undefined : `node_public_ip_enabled is ${show(p.node_public_ip_enabled)}`))),
  },
  {
    id: "AZ-13",
    family: "nodes",
    appliesTo: ["azurerm_kubernetes_cluster"],
    message: "AKS nodes accept an SSH key",
    fix: "remove linux_profile (no SSH key on nodes); use `kubectl debug node/...` if node access is ever needed",
    promise: PROMISES.nodesAcl,
    check: (e) => (blocks(e.block.linux_profile).length ? fail("linux_profile sets an SSH key") : PASS),
  },
  {
    id: "AZ-14",
    family: "nodes",
    appliesTo: ["azurerm_kubernetes_cluster", "azurerm_kubernetes_cluster_node_pool"],
    message: "AKS node temp disks and disk caches are not encrypted at the host",
    fix: "set host_encryption_enabled = true on the default_node_pool and every node pool",
    promise: PROMISES.volumesEncrypted,
    check: (e) => verdict(nodePools(e).map((p) => expectBool(p, "host_encryption_enabled", true))),
  },
  {
    id: "AZ-15",
    family: "encryption-at-rest",
    appliesTo: ["azurerm_kubernetes_cluster"],
    message: "AKS does not encrypt Kubernetes secrets in etcd with a Key Vault key (KMS)",
    fix: "set key_management_service { key_vault_key_id = <Key Vault key id> }",
    promise: PROMISES.clusterSecurity,
    check: (e) => (get(e.block, "key_management_service.key_vault_key_id") ? PASS : fail("key_management_service.key_vault_key_id is not set")),
  },
  {
    id: "AZ-16",
    family: "logging",
    appliesTo: ["azurerm_kubernetes_cluster"],
    message: "AKS control-plane audit logs are not collected",
    fix: "add an azurerm_monitor_diagnostic_setting with target_resource_id = the cluster id and enabled_log { category = \"kube-audit-admin\" } (or category_group \"audit\")",
    promise: PROMISES.clusterSecurity,
    check: (e, ctx) => {
      const settings = ctx.referencing("azurerm_monitor_diagnostic_setting", e, "target_resource_id");
      const audits = settings.some((s) =>
        blocks(s.block.enabled_log).some((l) => ["kube-audit", "kube-audit-admin"].includes(String(l.category)) || ["audit", "allLogs"].includes(String(l.category_group))),
      );
      return audits ? PASS : fail(settings.length ? "the diagnostic setting does not enable kube-audit logs" : "no azurerm_monitor_diagnostic_setting targets this cluster");
    },
  },
  {
    id: "AZ-17",
    family: "identity",
    appliesTo: ["azurerm_kubernetes_cluster"],
    message: "AKS run command (a way around the private API and its ACL) is enabled",
    fix: "set run_command_enabled = false",
    promise: PROMISES.controlPlane,
    check: (e) => verdict([expectBool(e.block, "run_command_enabled", false)]),
  },
  {
    id: "AZ-18",
    family: "namespaces",
    appliesTo: ["azurerm_kubernetes_cluster"],
    message: "AKS does not enforce Kubernetes NetworkPolicies",
    fix: "set network_profile { network_policy = \"azure\" } (or \"calico\" / \"cilium\")",
    promise: PROMISES.networkSecurity,
    check: (e) => verdict([expectOneOf(e.block, "network_profile.network_policy", ["azure", "calico", "cilium"])]),
  },
  {
    id: "AZ-19",
    family: "public-exposure",
    appliesTo: ["azurerm_network_security_group", "azurerm_network_security_rule"],
    message: "network security rule opens an administrative or data port to the internet",
    fix: "restrict source_address_prefix(es) to the admin CIDRs or a service tag other than Internet/*",
    promise: PROMISES.nodesAcl,
    check: (e) => {
      const problems: string[] = [];
      for (const r of inboundRules(e)) {
        const sources = [r.source_address_prefix, ...list(r.source_address_prefixes)].filter((s) => s !== undefined);
        if (sources.some(isUnresolved)) problems.push(`rule ${show(r.name)} has a source not known at synth`);
        if (!sources.some(isWorld)) continue;
        for (const p of [r.destination_port_range, ...list(r.destination_port_ranges)].filter((x) => x !== undefined)) {
          const range = parsePortRange(p);
          if (!range) problems.push(`rule ${show(r.name)} port ${show(p)} is not known at synth`);
          else if (adminPortsIn(range).length) problems.push(`rule ${show(r.name)} allows ${adminPortsIn(range).join(", ")} from ${show(sources.find(isWorld))}`);
        }
      }
      return verdict(problems);
    },
  },
  {
    id: "AZ-20",
    family: "logging",
    appliesTo: ["azurerm_virtual_network"],
    message: "virtual network has no flow log",
    fix: "add an azurerm_network_watcher_flow_log with target_resource_id = the VNet id",
    promise: PROMISES.networkSecurity,
    check: (e, ctx) =>
      ctx.referencing("azurerm_network_watcher_flow_log", e, "target_resource_id").length ? PASS : fail("no azurerm_network_watcher_flow_log targets this VNet"),
  },
  {
    id: "AZ-21",
    family: "data-safety",
    appliesTo: ["azurerm_key_vault"],
    message: "Key Vault can be purged before its 90-day soft-delete retention ends",
    fix: "set purge_protection_enabled = true and soft_delete_retention_days = 90",
    promise: PROMISES.dataSafety,
    guardsDestroy: true,
    check: (e) => {
      const days = e.block.soft_delete_retention_days;
      return verdict([
        expectBool(e.block, "purge_protection_enabled", true),
        days === undefined || Number(days) >= 90 ? undefined : `soft_delete_retention_days is ${show(days)}`,
      ]);
    },
  },
  {
    id: "AZ-22",
    family: "public-exposure",
    appliesTo: ["azurerm_key_vault"],
    message: "Key Vault is reachable from any network",
    fix: "set public_network_access_enabled = false (private endpoint), or network_acls { default_action = \"Deny\" }",
    promise: PROMISES.dataInVpc,
    check: (e) => verdict([publicAccessProblem(e.block, "network_acls")]),
  },
  {
    id: "AZ-23",
    family: "identity",
    appliesTo: ["azurerm_key_vault"],
    message: "Key Vault uses access policies instead of Azure RBAC",
    fix: "set rbac_authorization_enabled = true and grant roles (e.g. Key Vault Crypto User) to the workload identity",
    promise: PROMISES.vaultKeys,
    check: (e) => {
      const on = bool(e.block.rbac_authorization_enabled) === true || bool(e.block.enable_rbac_authorization) === true;
      return on ? PASS : fail("neither rbac_authorization_enabled nor enable_rbac_authorization is true");
    },
  },
  {
    id: "AZ-24",
    family: "encryption-at-rest",
    appliesTo: ["azurerm_key_vault_key"],
    message: "Key Vault key is never rotated",
    fix: "set rotation_policy { automatic { time_before_expiry = \"P30D\" }, expire_after = \"P90D\" }",
    promise: PROMISES.vaultKeys,
    check: (e) => (blocks(get(e.block, "rotation_policy.automatic")).length ? PASS : fail("rotation_policy.automatic is not set")),
  },
  {
    id: "AZ-25",
    family: "data-safety",
    appliesTo: statefulTypes("AZ-25"),
    message: "stateful Azure resource can be destroyed by a plan",
    fix: "set lifecycle.preventDestroy, or Policy.allowDestroy(scope) when dataProtection.allowDestroy is true",
    promise: PROMISES.dataSafety,
    guardsDestroy: true,
    check: (e) => verdict([preventDestroyProblem(e)]),
  },
  {
    id: "AZ-26",
    family: "identity",
    appliesTo: ["azurerm_role_assignment"],
    message: "role assignment grants an administrative role (not least privilege)",
    fix: "grant the narrowest built-in role on the narrowest scope, e.g. \"Key Vault Crypto User\" on the unseal key for Vault, or a custom role (azurerm_role_definition in the same stack) listing exactly the actions needed, no wildcards",
    promise: PROMISES.vaultKeys,
    check: (e, ctx) => {
      const name = e.block.role_definition_name;
      const id = e.block.role_definition_id;
      // A custom role defined in this stack: judge what it grants.
      const custom = name === undefined ? referencedRoleDefinition(id, ctx) : undefined;
      if (custom) return verdict(customRoleProblems(custom));
      if (isUnresolved(name)) return fail(`role_definition_name is not known at synth (${show(name)})`);
      if (typeof name === "string") return BROAD_ROLES.has(name) ? fail(`role ${name}`) : PASS;
      if (typeof id === "string" && !isUnresolved(id)) {
        const broad = [...BROAD_ROLE_IDS].find(([, guid]) => id.toLowerCase().endsWith(guid));
        return broad ? fail(`role ${broad[0]}`) : PASS;
      }
      return fail(`the role is not known at synth (${show(id)})`);
    },
  },
  {
    id: "AZ-27",
    family: "logging",
    appliesTo: ["azurerm_kubernetes_cluster"],
    message: "AKS runs without Container Insights or without the Azure Policy add-on",
    fix: "set oms_agent { log_analytics_workspace_id = <workspace id>, msi_auth_for_monitoring_enabled = true } (with its data collection rule) and azure_policy_enabled = true",
    promise: PROMISES.clusterSecurity,
    check: (e) => {
      const workspace = get(e.block, "oms_agent.log_analytics_workspace_id");
      return verdict([
        workspace ? undefined : "oms_agent.log_analytics_workspace_id is not set (no Container Insights)",
        bool(e.block.azure_policy_enabled) === true ? undefined : `azure_policy_enabled is ${show(e.block.azure_policy_enabled ?? "not set")}`,
      ]);
    },
  },
  {
    id: "AZ-28",
    family: "encryption-at-rest",
    appliesTo: ["azurerm_disk_encryption_set"],
    message: "disk encryption set does not encrypt with a customer-managed key that it follows to each new version",
    fix: "set encryption_type = \"EncryptionAtRestWithCustomerKey\", key_vault_key_id = <key>.versionless_id, auto_key_rotation_enabled = true and a user-assigned identity granted Key Vault Crypto Service Encryption User on that key",
    promise: PROMISES.volumesEncrypted,
    check: (e) => {
      const key = e.block.key_vault_key_id;
      return verdict([
        expectOneOf(e.block, "encryption_type", CUSTOMER_KEY_ENCRYPTION_TYPES),
        typeof key === "string" && key !== "" ? undefined : "key_vault_key_id is not set",
        expectBool(e.block, "auto_key_rotation_enabled", true),
        list(get(e.block, "identity.identity_ids")).length ? undefined : "identity.identity_ids is not set (the set reads the key as that identity)",
      ]);
    },
  },
  {
    id: "AZ-29",
    family: "encryption-at-rest",
    appliesTo: ["azurerm_kubernetes_cluster", "azurerm_storage_account"],
    message: "customer-managed keys are on (the stack holds a disk encryption set) but this cluster's disks or storage account use Microsoft-managed keys",
    fix: "set disk_encryption_set_id to the stack's disk encryption set on the cluster, and customer_managed_key { key_vault_key_id, user_assigned_identity_id } with that identity in identity.identity_ids on every storage account",
    promise: PROMISES.volumesEncrypted,
    check: (e, ctx) => {
      // Provider-managed keys (no disk encryption set in the stack) are the promise's default: nothing to hold.
      if (ctx.resources("azurerm_disk_encryption_set").length === 0) return NA;
      if (e.type === "azurerm_kubernetes_cluster") {
        return referencesType(e.block.disk_encryption_set_id, "azurerm_disk_encryption_set", ctx)
          ? PASS
          : fail(`disk_encryption_set_id is ${show(e.block.disk_encryption_set_id ?? "not set")} (OS disks on platform-managed keys)`);
      }
      const cmk = block(e.block.customer_managed_key);
      if (!cmk) return fail("customer_managed_key is not set (Microsoft-managed keys)");
      const identity = cmk.user_assigned_identity_id;
      return verdict([
        typeof cmk.key_vault_key_id === "string" && cmk.key_vault_key_id !== "" ? undefined : "customer_managed_key.key_vault_key_id is not set",
        typeof identity === "string" && list(get(e.block, "identity.identity_ids")).includes(identity)
          ? undefined
          : `customer_managed_key.user_assigned_identity_id ${show(identity ?? "is not set")} is not among identity.identity_ids`,
      ]);
    },
  },
];
