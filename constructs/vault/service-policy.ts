import { Construct } from "constructs";
import { Policy } from "@cdktf/provider-vault/lib/policy";
import { VAULT_MOUNTS } from "../../platform/service-names";

/** What one service may do in Vault: each entry is optional, nothing else is granted. */
export interface ServiceGrants {
  /** Policy name (the service's name). */
  readonly name: string;
  /** Its KV v2 secret (one secret, many fields), e.g. services/identity/keycloak. */
  readonly kvSecret?: string;
  /** Its PKI role on the intermediate. */
  readonly pkiRole?: string;
  /** Its transit key (encrypt/decrypt only: no key read, rotate, export or delete). */
  readonly transitKey?: string;
  /** Database roles it may take dynamic credentials from. */
  readonly databaseRoles?: readonly string[];
}

interface Rule {
  readonly path: string;
  readonly capabilities: readonly string[];
}

/** The rules of a service's policy, in a fixed order. */
export function serviceRules(g: ServiceGrants): Rule[] {
  const rules: Rule[] = [];
  if (g.kvSecret) {
    rules.push({ path: `${VAULT_MOUNTS.kv}/data/${g.kvSecret}`, capabilities: ["read"] });
    rules.push({ path: `${VAULT_MOUNTS.kv}/metadata/${g.kvSecret}`, capabilities: ["read"] });
  }
  if (g.pkiRole) {
    rules.push({ path: `${VAULT_MOUNTS.pki}/issue/${g.pkiRole}`, capabilities: ["create", "update"] });
    // The CA chain (intermediate + root) that peers' certificates are verified against.
    rules.push({ path: `${VAULT_MOUNTS.pki}/cert/ca_chain`, capabilities: ["read"] });
  }
  if (g.transitKey) {
    rules.push({ path: `${VAULT_MOUNTS.transit}/encrypt/${g.transitKey}`, capabilities: ["update"] });
    rules.push({ path: `${VAULT_MOUNTS.transit}/decrypt/${g.transitKey}`, capabilities: ["update"] });
  }
  for (const role of g.databaseRoles ?? []) rules.push({ path: `${VAULT_MOUNTS.database}/creds/${role}`, capabilities: ["read"] });
  return rules;
}

/** A service's policy as HCL, deterministic. Refuses `*`/`+` globs and privileged capabilities. */
export function renderServicePolicy(g: ServiceGrants): string {
  const rules = serviceRules(g);
  for (const r of rules) {
    if (/[*+]/.test(r.path)) throw new Error(`policy '${g.name}': path '${r.path}' has a glob; grant exact paths`);
    if (r.capabilities.some((c) => c === "sudo" || c === "root")) throw new Error(`policy '${g.name}': no sudo/root`);
  }
  const body = rules.map((r) => `path "${r.path}" {\n  capabilities = [${r.capabilities.map((c) => `"${c}"`).join(", ")}]\n}\n`);
  return [`# ${g.name}: least privilege, managed by the vault-config stack\n`, ...body].join("\n");
}

/**
 * One service's Vault policy: read its own KV secret, issue from its own PKI role, encrypt/decrypt
 * with its own transit key, read its own database credentials. No globs, no sudo, nothing shared.
 */
export class ServicePolicy extends Construct {
  readonly resource: Policy;
  readonly name: string;

  constructor(scope: Construct, id: string, grants: ServiceGrants) {
    super(scope, id);
    this.resource = new Policy(this, "Resource", { name: grants.name, policy: renderServicePolicy(grants) });
    this.name = this.resource.name;
  }
}
