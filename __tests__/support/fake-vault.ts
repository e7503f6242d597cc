import { randomInt } from "node:crypto";
import * as path from "node:path";
import { loadDeployment } from "../../config/load";
import type { Deployment } from "../../config/schema";
import type { CommandResult, CommandRunner } from "../../scripts/command-runner";
import { runVaultBootstrap, type BootstrapInvocation } from "../../scripts/vault-bootstrap";
import { DEPLOYMENTS, outputDir } from "./deployments";
import { one, resources } from "./synthesized";

/**
 * Vault and terraform replaced at the process boundary, for the bootstrap tests: a command runner that
 * answers `vault ...` and `terraform -chdir=<vault-config> ...` the way the real programs would, over
 * a state that starts as a freshly initialised Vault. `terraform apply` of the vault-config stack
 * creates exactly what that stack's synthesized JSON declares (mounts, KV settings, password policies,
 * the database connection). What the fake relies on, with its source:
 * - `vault status` exits 2 when sealed (Vault CLI, command/status.go).
 * - `vault kv get` exits 2 with "No value found at <mount>/data/<path>" when there is none; `vault read`
 *   of a path without a handler fails (command/kv_get.go, command/read.go).
 * - KV v2 check-and-set (hashicorp/vault-plugin-secrets-kv path_data.go): with `cas_required` a write
 *   without `cas` is refused ("check-and-set parameter required for this call"); `cas=0` writes only
 *   when the secret does not exist; otherwise `cas` must equal the current version. `patch` needs an
 *   existing secret and merges the given fields (path_data.go pathDataPatch).
 * - `vault write <path> -` reads the request body as JSON from stdin (go-secure-stdlib/kv-builder).
 * - Database config writes merge into the stored connection details on update
 *   (builtin/logical/database/path_config_connection.go); `verify_connection` defaults to true, and
 *   `rotate-root` must log in with the stored password before it sets a new one
 *   (path_rotate_credentials.go).
 */

/** One recorded call. */
export interface FakeCall {
  readonly command: string;
  readonly args: readonly string[];
  readonly input?: string;
}

interface KvSecret {
  versions: Record<string, string>[];
  customMetadata: Record<string, string>;
}

/** The fake's state, open to the tests. */
export interface FakeVaultState {
  initialized: boolean;
  sealed: boolean;
  /** "kv/" -> { type, options } */
  mounts: Record<string, { type: string; options?: Record<string, string> }>;
  kvCasRequired: Record<string, boolean>;
  kv: Record<string, KvSecret>;
  passwordPolicies: Record<string, string>;
  databaseConnections: Record<string, { pluginName: string; details: Record<string, unknown> }>;
  /** PostgreSQL, once the platform stack runs it: vault_admin's password as its bootstrap set it. */
  postgresql?: { vaultAdminPassword: string };
  appliedStacks: string[];
}

/** A fake vault + terraform for one shipped deployment. */
export class FakeVault {
  readonly calls: FakeCall[] = [];
  readonly state: FakeVaultState = {
    initialized: true,
    sealed: false,
    mounts: { "sys/": { type: "system" }, "identity/": { type: "identity" }, "cubbyhole/": { type: "cubbyhole" } },
    kvCasRequired: {},
    kv: {},
    passwordPolicies: {},
    databaseConnections: {},
    appliedStacks: [],
  };

  constructor(readonly key: string) {}

  /** The runner the bootstrap gets (both capture and interactive). */
  readonly runner: CommandRunner = (command, args, options) => {
    this.calls.push({ command, args: [...args], ...(options?.input !== undefined ? { input: options.input } : {}) });
    if (command === "vault") return this.vault([...args], options?.input);
    if (command === "terraform") return this.terraform([...args]);
    return { code: 127, stdout: "", stderr: `${command}: not found` };
  };

  /** The platform stack brought PostgreSQL up: its bootstrap made vault_admin with the KV value of the time. */
  startPostgresql(): void {
    const secret = this.state.kv["kv/services/identity/postgresql"];
    const latest = secret?.versions[secret.versions.length - 1];
    if (!latest?.vault_admin_password) throw new Error("PostgreSQL's bootstrap cannot run: no vault_admin_password in KV");
    this.state.postgresql = { vaultAdminPassword: latest.vault_admin_password };
  }

  /** The latest version of every KV secret, by logical path `<mount>/<path>`. */
  kvContents(): Record<string, Record<string, string>> {
    return Object.fromEntries(Object.entries(this.state.kv).map(([p, s]) => [p, { ...s.versions[s.versions.length - 1] }]));
  }

  private ok(stdout: unknown = ""): CommandResult {
    return { code: 0, stdout: typeof stdout === "string" ? stdout : JSON.stringify(stdout), stderr: "" };
  }

  private err(code: number, stderr: string): CommandResult {
    return { code, stdout: "", stderr };
  }

  private terraform(args: string[]): CommandResult {
    const chdir = args.find((a) => a.startsWith("-chdir="))?.slice("-chdir=".length);
    const rest = args.filter((a) => !a.startsWith("-chdir="));
    if (!chdir || !/-vault-config$/.test(path.basename(chdir))) return this.err(1, `this fake applies only the vault-config stack, got ${chdir}`);
    if (rest[0] === "init") return this.ok("Terraform has been successfully initialized!");
    if (rest[0] !== "apply") return this.err(1, `terraform ${rest[0]} is not modeled`);
    if (!rest.includes("-input=false")) return this.err(1, "terraform would prompt: -input=false missing");
    this.applyVaultConfig();
    this.state.appliedStacks.push(path.basename(chdir));
    return this.ok("Apply complete!");
  }

  /** What applying the vault-config stack creates in Vault, from its synthesized JSON. */
  private applyVaultConfig(): void {
    for (const m of resources(this.key, "vault-config", "vault_mount")) {
      this.state.mounts[`${m.body.path}/`] = { type: String(m.body.type), options: (m.body.options ?? undefined) as Record<string, string> | undefined };
    }
    for (const kv of resources(this.key, "vault-config", "vault_kv_secret_backend_v2")) {
      const mount = resources(this.key, "vault-config", "vault_mount").find((m) => kv.raw.mount === `\${vault_mount.${m.name}.path}`);
      if (!mount) throw new Error("vault_kv_secret_backend_v2 without its mount");
      this.state.kvCasRequired[String(mount.body.path)] = kv.body.cas_required === true;
    }
    for (const p of resources(this.key, "vault-config", "vault_password_policy")) this.state.passwordPolicies[String(p.body.name)] = String(p.body.policy);
    for (const c of resources(this.key, "vault-config", "vault_database_secret_backend_connection")) {
      const pg = one(c.body.postgresql);
      const existing = this.state.databaseConnections[String(c.body.name)];
      const details: Record<string, unknown> = { ...(existing?.details ?? {}), connection_url: pg.connection_url, username: pg.username };
      // The provider sends a password only from `password`/`password_wo` (terraform-provider-vault v5.6.0).
      if (typeof pg.password === "string") details.password = pg.password;
      this.state.databaseConnections[String(c.body.name)] = { pluginName: "postgresql-database-plugin", details };
    }
  }

  private generate(policyName: string): CommandResult {
    const hcl = this.state.passwordPolicies[policyName];
    if (!hcl) return this.err(2, `Error reading sys/policies/password/${policyName}/generate: Code: 400. Errors: * no password policy found`);
    const length = Number(/length\s*=\s*(\d+)/.exec(hcl)?.[1] ?? 20);
    const charsets = [...hcl.matchAll(/charset\s*=\s*"([^"]+)"/g)].map((m) => m[1]);
    const all = charsets.join("");
    for (;;) {
      const value = Array.from({ length }, () => all[randomInt(all.length)]).join("");
      if (charsets.every((c) => [...value].some((ch) => c.includes(ch)))) return this.ok({ data: { password: value } });
    }
  }

  private flags(args: string[]): { flags: Record<string, string>; positional: string[] } {
    const flags: Record<string, string> = {};
    const positional: string[] = [];
    for (const a of args) {
      const m = /^-([a-z-]+)(?:=(.*))?$/.exec(a);
      if (m && a !== "-") flags[m[1]] = m[2] ?? "true";
      else positional.push(a);
    }
    return { flags, positional };
  }

  private body(positional: string[], input: string | undefined): Record<string, unknown> | CommandResult {
    if (positional.includes("-")) {
      try {
        return JSON.parse(input ?? "") as Record<string, unknown>;
      } catch {
        return this.err(1, "Failed to parse K=V data: invalid JSON on stdin");
      }
    }
    const out: Record<string, unknown> = {};
    for (const kv of positional.slice(1)) {
      const i = kv.indexOf("=");
      if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return out;
  }

  private vault(args: string[], input?: string): CommandResult {
    const s = this.state;
    const [cmd, ...rest] = args;
    if (!s.initialized && cmd !== "status") return this.err(2, "Error: Vault is not initialized");
    if (cmd === "status") return { code: s.sealed ? 2 : 0, stdout: JSON.stringify({ initialized: s.initialized, sealed: s.sealed, type: "awskms" }), stderr: "" };
    if (s.sealed) return this.err(2, "Error: Vault is sealed");
    if (cmd === "secrets" && rest[0] === "list") return this.ok(s.mounts);
    if (cmd === "read") {
      const { positional } = this.flags(rest);
      const p = positional[0];
      const gen = /^sys\/policies\/password\/([^/]+)\/generate$/.exec(p);
      if (gen) return this.generate(gen[1]);
      const cfg = /^([^/]+)\/config$/.exec(p);
      if (cfg && s.mounts[`${cfg[1]}/`]?.type === "kv") return this.ok({ data: { cas_required: s.kvCasRequired[cfg[1]] ?? false, max_versions: 10, delete_version_after: "0s" } });
      return this.err(2, `Error reading ${p}: Error making API request. Code: 404. Errors: * no handler for route "${p}"`);
    }
    if (cmd === "kv") return this.kvCommand(rest, input);
    if (cmd === "write") {
      const { positional } = this.flags(rest);
      const p = positional[0];
      const rotate = /^([^/]+)\/rotate-root\/([^/]+)$/.exec(p);
      if (rotate) {
        const conn = s.databaseConnections[rotate[2]];
        if (!conn) return this.err(2, `Error writing data to ${p}: Code: 400. Errors: * unable to find config`);
        if (!s.postgresql) return this.err(2, `Error writing data to ${p}: Code: 500. Errors: * failed to update user: unable to get connection: dial tcp: lookup postgresql-0.postgresql-headless.identity.svc: no such host`);
        if (conn.details.password !== s.postgresql.vaultAdminPassword) return this.err(2, `Error writing data to ${p}: Code: 500. Errors: * failed to update user: pq: password authentication failed for user "vault_admin"`);
        const next = `rotated-${randomInt(1e9)}`;
        conn.details.password = next;
        s.postgresql.vaultAdminPassword = next;
        return this.ok("Success! Data written to: " + p);
      }
      const cfgConn = /^([^/]+)\/config\/([^/]+)$/.exec(p);
      if (cfgConn) {
        if (s.mounts[`${cfgConn[1]}/`]?.type !== "database") return this.err(2, `Error writing data to ${p}: Code: 404. Errors: * no handler for route "${p}"`);
        const body = this.body(positional, input);
        if ("code" in body) return body as CommandResult;
        const existing = s.databaseConnections[cfgConn[2]];
        const plugin = (body.plugin_name as string | undefined) ?? existing?.pluginName;
        if (!plugin) return this.err(2, `Error writing data to ${p}: Code: 400. Errors: * empty plugin name`);
        const verify = body.verify_connection ?? true;
        if (verify !== false && !s.postgresql) return this.err(2, `Error writing data to ${p}: Code: 400. Errors: * error creating database object: error verifying connection: no such host`);
        const details = { ...(existing?.details ?? {}) };
        for (const [k, v] of Object.entries(body)) if (!["plugin_name", "verify_connection", "allowed_roles", "root_rotation_statements"].includes(k)) details[k] = v;
        s.databaseConnections[cfgConn[2]] = { pluginName: plugin, details };
        return this.ok("Success! Data written to: " + p);
      }
      return this.err(2, `Error writing data to ${p}: this fake does not model it`);
    }
    return this.err(1, `vault ${cmd}: not modeled`);
  }

  private kvCommand(args: string[], input?: string): CommandResult {
    const s = this.state;
    const sub = args[0] === "metadata" ? `metadata ${args[1]}` : args[0];
    const { flags, positional } = this.flags(args.slice(args[0] === "metadata" ? 2 : 1));
    const mount = flags.mount;
    if (!mount) return this.err(1, "this fake expects -mount=<mount>");
    const logical = `${mount}/${positional[0]}`;
    if (s.mounts[`${mount}/`]?.type !== "kv") return this.err(2, `Error making API request. Code: 403/404. Errors: * no handler for route "${mount}/data/${positional[0]}". route entry not found.`);
    const secret = s.kv[logical];
    const version = secret?.versions.length ?? 0;
    if (sub === "get") {
      if (!secret) return this.err(2, `No value found at ${mount}/data/${positional[0]}`);
      return this.ok({ data: { data: secret.versions[version - 1], metadata: { version, custom_metadata: Object.keys(secret.customMetadata).length ? secret.customMetadata : null } } });
    }
    if (sub === "metadata patch") {
      if (!secret) return this.err(2, `Error: no secret at ${logical}`);
      const m = /^([^=]+)=(.*)$/.exec(flags["custom-metadata"] ?? "");
      if (m) secret.customMetadata[m[1]] = m[2];
      return this.ok("Success! Data written to: " + `${mount}/metadata/${positional[0]}`);
    }
    if (sub !== "put" && sub !== "patch") return this.err(1, `vault kv ${sub}: not modeled`);
    const body = this.body(positional, input);
    if ("code" in body) return body as CommandResult;
    const cas = flags.cas;
    if (s.kvCasRequired[mount] && cas === undefined) return this.err(2, `Error writing data to ${mount}/data/${positional[0]}: Code: 400. Errors: * check-and-set parameter required for this call`);
    if (cas !== undefined && Number(cas) !== version) return this.err(2, `Error writing data to ${mount}/data/${positional[0]}: Code: 400. Errors: * check-and-set parameter did not match the current version`);
    const fields = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)]));
    if (sub === "patch") {
      if (!secret) return this.err(2, `Error writing data to ${mount}/data/${positional[0]}: Code: 404.`);
      secret.versions.push({ ...secret.versions[version - 1], ...fields });
    } else {
      s.kv[logical] = secret ?? { versions: [], customMetadata: {} };
      s.kv[logical].versions.push(fields);
    }
    return this.ok({ data: { version: version + 1 } });
  }
}

/** The environment an operator runs the bootstrap with (no real token: the fake takes any). */
export const OPERATOR_ENV: NodeJS.ProcessEnv = { VAULT_ADDR: "https://127.0.0.1:8200", VAULT_CACERT: "/dev/shm/vault-ca.crt", VAULT_TOKEN: "hvs.test-only-not-a-token", PATH: process.env.PATH };

/** The deployment file of a shipped deployment key. */
export function deploymentOf(key: string): { deployment: Deployment; configPath: string } {
  const d = DEPLOYMENTS.find((x) => x.key === key);
  if (!d) throw new Error(`no shipped deployment ${key}`);
  const configPath = d.args[1] ?? "embedded-default";
  return { deployment: loadDeployment([...d.args], {}), configPath };
}

/** Runs the real bootstrap script against a fake Vault for a shipped deployment. */
export function runBootstrap(fake: FakeVault, extra: Partial<BootstrapInvocation> = {}, env: NodeJS.ProcessEnv = OPERATOR_ENV) {
  const { deployment, configPath } = deploymentOf(fake.key);
  const out: string[] = [];
  const err: string[] = [];
  const code = runVaultBootstrap(
    { configPath, outDir: outputDir(fake.key), autoApprove: true, rotateDatabaseRoot: false, ...extra },
    deployment,
    env,
    { capture: fake.runner, interactive: fake.runner },
    { log: (l) => out.push(l), error: (l) => err.push(l) },
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const kvCache = new Map<string, Record<string, Record<string, string>>>();

/** The KV contents the bootstrap writes for a shipped deployment (one run per key and test file). */
export function bootstrapKv(key: string): Record<string, Record<string, string>> {
  const cached = kvCache.get(key);
  if (cached) return cached;
  const fake = new FakeVault(key);
  const r = runBootstrap(fake);
  if (r.code !== 0) throw new Error(`the bootstrap failed for ${key}:\n${r.err}`);
  const kv = fake.kvContents();
  kvCache.set(key, kv);
  return kv;
}
