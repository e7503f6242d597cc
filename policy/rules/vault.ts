import { PROMISES } from "../promises";
import { statefulTypes } from "../stateful-resources";
import { preventDestroyProblem } from "./common";
import type { Element, Rule, RuleContext } from "../types";
import { blocks, bool, fail, get, isObj, isUnresolved, list, NA, PASS, show, verdict } from "../values";

// Rule pack VAULT: the Vault server's configuration as the vault provider (4.x/5.x) synthesizes it.

/** Paths and capabilities of a Vault policy, from HCL text or a vault_policy_document data source. */
function policyRules(value: unknown, ctx: RuleContext): { path: string; capabilities: string[] }[] | "unresolved" {
  if (typeof value !== "string") return "unresolved";
  const ref = /^\$\{(data\.vault_policy_document\.[A-Za-z0-9_-]+)\.hcl\}$/.exec(value.trim());
  if (ref) {
    const doc = ctx.byAddress(ref[1]);
    return doc ? documentRules(doc) : "unresolved";
  }
  const out: { path: string; capabilities: string[] }[] = [];
  const re = /path\s+"([^"]*)"\s*\{([^}]*)\}/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const caps = /capabilities\s*=\s*\[([^\]]*)\]/.exec(m[2])?.[1] ?? "";
    out.push({ path: m[1], capabilities: [...caps.matchAll(/"([^"]+)"/g)].map((c) => c[1]) });
  }
  // A whole document behind an expression (file(), templatefile()) cannot be judged.
  return !out.length && isUnresolved(value) ? "unresolved" : out;
}

function documentRules(doc: Element): { path: string; capabilities: string[] }[] {
  return blocks(doc.block.rule).map((r) => ({ path: String(r.path), capabilities: list(r.capabilities).map(String) }));
}

function policyProblems(rules: { path: string; capabilities: string[] }[]): string[] {
  const problems: string[] = [];
  for (const r of rules) {
    if (r.path === "*" || r.path === "+/*" || /^\*/.test(r.path)) problems.push(`path ${show(r.path)} matches everything`);
    if (r.capabilities.includes("sudo")) problems.push(`path ${show(r.path)} grants sudo`);
  }
  return problems;
}

const SECRET_WRITES = ["vault_generic_secret", "vault_kv_secret", "vault_kv_secret_v2"];

/** The Vault rule pack (ids VAULT-<n>). */
export const VAULT_RULES: readonly Rule[] = [
  {
    id: "VAULT-1",
    family: "logging",
    appliesTo: ["provider.vault"],
    message: "Vault is configured without an audit device",
    fix: "add a vault_audit (type \"file\", path \"stdout\" or a file on the audit volume) in the stack that configures Vault",
    promise: PROMISES.vaultKeys,
    check: (_e, ctx) => (ctx.resources("vault_audit").length ? PASS : fail("no vault_audit in this stack")),
  },
  {
    id: "VAULT-2",
    family: "in-transit",
    appliesTo: ["provider.vault"],
    message: "Vault is reached over plain HTTP or without verifying its certificate",
    fix: "use an https:// address with ca_cert_file (or ca_cert_dir) and never skip_tls_verify",
    promise: PROMISES.inTransit,
    check: (e) => {
      const addr = e.block.address;
      return verdict([
        typeof addr === "string" && !isUnresolved(addr) && !addr.startsWith("https://") ? `address ${show(addr)} is not https` : undefined,
        bool(e.block.skip_tls_verify) === true ? "skip_tls_verify is true" : undefined,
      ]);
    },
  },
  {
    id: "VAULT-3",
    family: "identity",
    appliesTo: ["vault_policy", "data.vault_policy_document"],
    message: "Vault policy grants every path or sudo",
    fix: "list the exact paths the role needs (e.g. \"kv/data/atlas/*\") with the least capabilities; never path \"*\" or sudo",
    promise: PROMISES.vaultKeys,
    check: (e, ctx) => {
      const rules = e.kind === "data" ? documentRules(e) : policyRules(e.block.policy, ctx);
      if (rules === "unresolved") return fail(`the policy document is not readable at synth (${show(e.block.policy)})`);
      return verdict(policyProblems(rules));
    },
  },
  {
    id: "VAULT-4",
    family: "encryption-at-rest",
    appliesTo: ["vault_transit_secret_backend_key"],
    message: "transit key is never rotated automatically",
    fix: "set auto_rotate_period to 90 days or less (7776000 seconds)",
    promise: PROMISES.vaultKeys,
    check: (e) => {
      const p = e.block.auto_rotate_period;
      if (p === undefined || Number(p) === 0) return fail("auto_rotate_period is not set");
      if (isUnresolved(p)) return fail(`auto_rotate_period is not known at synth (${show(p)})`);
      return Number(p) <= 7_776_000 ? PASS : fail(`auto_rotate_period is ${p} seconds`);
    },
  },
  {
    id: "VAULT-5",
    family: "data-safety",
    appliesTo: ["vault_transit_secret_backend_key"],
    message: "transit key may be deleted (everything it encrypted becomes unreadable)",
    fix: "set deletion_allowed = false",
    promise: PROMISES.dataSafety,
    guardsDestroy: true,
    check: (e) => (bool(e.block.deletion_allowed) === true ? fail("deletion_allowed is true") : PASS),
  },
  {
    id: "VAULT-6",
    family: "secrets",
    appliesTo: ["vault_transit_secret_backend_key"],
    message: "transit key material can leave Vault",
    fix: "set exportable = false and allow_plaintext_backup = false",
    promise: PROMISES.credentialsInVpc,
    check: (e) =>
      verdict([
        bool(e.block.exportable) === true ? "exportable is true" : undefined,
        bool(e.block.allow_plaintext_backup) === true ? "allow_plaintext_backup is true" : undefined,
      ]),
  },
  {
    id: "VAULT-7",
    family: "data-safety",
    appliesTo: ["vault_mount"],
    message: "KV secrets engine is version 1 (no versions: an overwrite loses the secret)",
    fix: "set type = \"kv\" with options = { version = \"2\" } (or type \"kv-v2\")",
    promise: PROMISES.vaultKeys,
    check: (e) => {
      if (e.block.type === "kv-v2") return PASS;
      if (e.block.type !== "kv") return NA;
      const version = get(e.block, "options.version");
      return String(version) === "2" ? PASS : fail(`options.version is ${show(version ?? "not set")}`);
    },
  },
  {
    id: "VAULT-8",
    family: "identity",
    appliesTo: ["vault_kubernetes_auth_backend_role"],
    message: "Kubernetes auth role accepts any service account or namespace, or issues long-lived tokens",
    fix: "bind exact bound_service_account_names and bound_service_account_namespaces (no \"*\") and set token_ttl to 1 hour or less",
    promise: PROMISES.credentialsInVpc,
    check: (e) => {
      const problems: string[] = [];
      for (const f of ["bound_service_account_names", "bound_service_account_namespaces"]) {
        const v = list(e.block[f]);
        if (!v.length) problems.push(`${f} is empty`);
        if (v.some((x) => String(x).includes("*"))) problems.push(`${f} contains a wildcard`);
        if (v.some(isUnresolved)) problems.push(`${f} is not known at synth`);
      }
      const ttl = e.block.token_ttl;
      if (ttl === undefined) problems.push("token_ttl is not set (tokens default to the mount's 32 days)");
      else if (isUnresolved(ttl) || Number(ttl) > 3600) problems.push(`token_ttl is ${show(ttl)}`);
      return verdict(problems);
    },
  },
  {
    id: "VAULT-9",
    family: "in-transit",
    appliesTo: ["vault_pki_secret_backend_role"],
    message: "PKI role issues certificates for any name or with weak keys",
    fix: "set allowed_domains with allow_subdomains, allow_any_name = false, enforce_hostnames = true, key_bits >= 2048 (RSA) or 256 (EC)",
    promise: PROMISES.inTransit,
    check: (e) => {
      const type = e.block.key_type ?? "rsa";
      const bits = e.block.key_bits;
      const min = type === "ec" ? 256 : 2048;
      return verdict([
        bool(e.block.allow_any_name) === true ? "allow_any_name is true" : undefined,
        bool(e.block.enforce_hostnames) === false ? "enforce_hostnames is false" : undefined,
        bits !== undefined && Number(bits) < min ? `key_bits is ${show(bits)} (at least ${min})` : undefined,
        !list(e.block.allowed_domains).length && bool(e.block.allow_any_name) !== true ? "allowed_domains is empty" : undefined,
      ]);
    },
  },
  {
    id: "VAULT-10",
    family: "secrets",
    appliesTo: SECRET_WRITES,
    message: "a secret value is written into Vault from the Terraform configuration",
    fix: "generate the secret where it lives (Vault password policy, database secrets engine) or write it out of band; never a literal in the program",
    promise: PROMISES.vaultKeys,
    check: (e) => {
      const json = e.block.data_json;
      if (json === undefined) return PASS;
      try {
        const parsed: unknown = typeof json === "string" ? JSON.parse(json) : json;
        const literals = isObj(parsed) ? Object.entries(parsed).filter(([, v]) => typeof v === "string" && v !== "" && !v.includes("${")) : [];
        return literals.length ? fail(`data_json holds literal values for ${literals.map(([k]) => k).join(", ")}`) : PASS;
      } catch {
        return fail(`data_json is not readable at synth (${show(json)}); build it with JSON.stringify of references`);
      }
    },
  },
  {
    id: "VAULT-11",
    family: "identity",
    appliesTo: ["vault_token", "vault_approle_auth_backend_role_secret_id"],
    message: "a long-lived Vault credential is created by Terraform (and kept in its state)",
    fix: "let workloads log in with the Kubernetes auth method; no tokens or secret ids in Terraform state",
    promise: PROMISES.credentialsInVpc,
    check: (e) => fail(`${e.type} stores a credential in Terraform state`),
  },
  {
    id: "VAULT-12",
    family: "data-safety",
    appliesTo: statefulTypes("VAULT-12"),
    message: "a Vault mount, audit device, CA key or database connection can be destroyed by a plan (its data, or the admin password only Vault holds, is lost)",
    fix: "set lifecycle.preventDestroy (the allowDestroy prop of the construct), or Policy.allowDestroy(scope) when dataProtection.allowDestroy is true",
    promise: PROMISES.dataSafety,
    guardsDestroy: true,
    check: (e) => verdict([preventDestroyProblem(e)]),
  },
];
