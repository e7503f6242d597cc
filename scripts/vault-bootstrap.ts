import { existsSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, configPathFrom, loadDeployment } from "../config/load";
import type { Deployment } from "../config/schema";
import { VAULT_MOUNTS } from "../platform/service-names";
import {
  SERVICE_PASSWORD_POLICY,
  SERVICE_SECRETS,
  VAULT_ADMIN_PASSWORD,
  VAULT_ADMIN_ROTATED_MARKER,
  serviceSecretPath,
  type ServiceSecretField,
} from "../constructs/vault/service-secrets";
import type { ServiceName } from "../platform/service-catalog";
import { type CommandRunner, captureCommand, interactiveCommand, NOT_FOUND } from "./command-runner";
import { stackIdOf, UsageError } from "./stack-order";

/**
 * `npm run vault:bootstrap -- --config <deployment.yaml>`: takes an initialised Vault to the point where
 * every pod of the platform can start, and again after PostgreSQL runs, hands vault_admin's password to
 * Vault alone. Run by an operator inside the customer's network, with the admin token of the one-time
 * initialisation (or one regenerated with the recovery quorum), after `<name>-vault` and before
 * `<name>-platform` (docs/vault.md):
 *
 *   1. checks Vault is initialised and unsealed (`vault status`);
 *   2. applies `<name>-vault-config` with that token (terraform, from the synthesized stack): the mounts,
 *      roles, policies and the password policy exist before anything is written to them;
 *   3. checks the mounts it writes to exist, and whether KV requires check-and-set;
 *   4. writes every missing field of every service's KV secret (SERVICE_SECRETS), each value generated
 *      by Vault's password policy inside the cluster, passed to `vault` on stdin only, never printed,
 *      never an argument; values two services share are written to both; existing values are kept;
 *      every write carries `-cas` (0 for a new secret, the current version for a patch);
 *   5. gives the database connection the same initial vault_admin password PostgreSQL's bootstrap will
 *      create the login with (until Vault has rotated it);
 *   with `--rotate-database-root` (after `<name>-platform` is up): `vault write -f
 *   database/rotate-root/postgresql`, and marks the secret so step 5 never runs again.
 *
 * Idempotent: a second run changes nothing (it reads, finds every field, and applies no changes).
 * External programs are reached only through the injected runners (tests replace them at that boundary).
 */

/** A parsed command line. */
export interface BootstrapInvocation {
  readonly configPath: string | undefined;
  /** cdktf's output directory holding the synthesized stacks. @default "cdktf.out" */
  readonly outDir: string;
  readonly autoApprove: boolean;
  readonly rotateDatabaseRoot: boolean;
}

const USAGE = "usage: npm run vault:bootstrap -- --config <deployment.yaml> [--out cdktf.out] [--auto-approve] [--rotate-database-root]";

/** Parses argv (after the script name); unknown flags are errors. */
export function parseBootstrapArgs(argv: readonly string[], env: NodeJS.ProcessEnv): BootstrapInvocation {
  let outDir = "cdktf.out";
  let autoApprove = false;
  let rotateDatabaseRoot = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--config") i++;
    else if (a.startsWith("--config=")) continue;
    else if (a === "--out") {
      const v = argv[++i];
      if (!v || v.startsWith("--")) throw new UsageError(`--out needs a directory\n${USAGE}`);
      outDir = v;
    } else if (a === "--auto-approve") autoApprove = true;
    else if (a === "--rotate-database-root") rotateDatabaseRoot = true;
    else throw new UsageError(`unknown argument '${a}'\n${USAGE}`);
  }
  let configPath: string | undefined;
  try {
    configPath = configPathFrom(argv, env);
  } catch (e) {
    throw new UsageError(e instanceof ConfigError ? e.problems.join("; ") : String(e));
  }
  if (configPath === undefined) throw new UsageError(`the bootstrap needs a deployment file: --config <file>\n${USAGE}`);
  return { configPath, outDir, autoApprove, rotateDatabaseRoot };
}

/** Where output goes: the terminal, or a buffer in tests. */
export interface Io {
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
}

/** The programs the bootstrap runs: `capture` keeps output (vault), `interactive` shows it (terraform apply). */
export interface BootstrapRunners {
  readonly capture: CommandRunner;
  readonly interactive: CommandRunner;
}

class BootstrapError extends Error {}

interface KvState {
  readonly version: number;
  readonly data: Record<string, string>;
  readonly customMetadata: Record<string, string>;
}

/** Runs the bootstrap; returns the process exit code. */
export function runVaultBootstrap(inv: BootstrapInvocation, deployment: Deployment, env: NodeJS.ProcessEnv, runners: BootstrapRunners, io: Io): number {
  try {
    bootstrap(inv, deployment, env, runners, io);
    return 0;
  } catch (e) {
    if (e instanceof BootstrapError) {
      io.error(e.message);
      return 1;
    }
    throw e;
  }
}

function bootstrap(inv: BootstrapInvocation, deployment: Deployment, env: NodeJS.ProcessEnv, runners: BootstrapRunners, io: Io): void {
  const vaultConfigId = stackIdOf(deployment, "vault-config");
  const stackDir = path.join(inv.outDir, "stacks", vaultConfigId);
  if (!existsSync(path.join(stackDir, "cdk.tf.json"))) {
    throw new BootstrapError(`${stackDir}/cdk.tf.json not found: synthesize first (npm run synth -- --config ${inv.configPath}), or pass --out <dir>`);
  }
  const addr = env.VAULT_ADDR?.trim();
  if (!addr || !addr.startsWith("https://")) throw new BootstrapError("VAULT_ADDR must be the https:// address of Vault (docs/vault.md: port-forward and VAULT_TLS_SERVER_NAME)");
  if (!env.VAULT_TOKEN?.trim()) throw new BootstrapError("VAULT_TOKEN is not set: use the token from Vault's initialisation, or one generated with the recovery quorum (vault operator generate-root)");

  const vault = (args: readonly string[], input?: string) => {
    const r = runners.capture("vault", args, { env, input });
    if (r.code === NOT_FOUND) throw new BootstrapError("vault is not on the PATH: install the Vault CLI (the same version as the server)");
    return r;
  };
  const vaultJson = (args: readonly string[], what: string): Record<string, unknown> => {
    const r = vault(args);
    if (r.code !== 0) throw new BootstrapError(`${what} failed: ${firstLine(r.stderr)}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  // 1. Vault is up, initialised and unsealed (auto-unseal by the cloud KMS).
  const status = vault(["status", "-format=json"]);
  if (status.code !== 0 && status.code !== 2) throw new BootstrapError(`cannot reach Vault at ${addr}: ${firstLine(status.stderr)}`);
  const s = JSON.parse(status.stdout || "{}") as { initialized?: boolean; sealed?: boolean };
  if (!s.initialized) throw new BootstrapError("Vault is not initialised: run the one-time `vault operator init` first (docs/vault.md)");
  if (s.sealed) throw new BootstrapError("Vault is sealed: auto-unseal has not happened; check the Vault pods' access to the KMS key");
  io.log(`vault: ${addr} initialised and unsealed`);

  // 2. The vault-config stack, with this token: mounts, roles, policies, the password policy.
  const tf = (args: readonly string[], interactive: boolean) => {
    const runner = interactive ? runners.interactive : runners.capture;
    const r = runner("terraform", [`-chdir=${stackDir}`, ...args], { env: { ...env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" } });
    if (r.code === NOT_FOUND) throw new BootstrapError("terraform is not on the PATH: install Terraform 1.11");
    if (r.code !== 0) throw new BootstrapError(`terraform ${args[0]} of ${vaultConfigId} failed${r.stderr ? `: ${firstLine(r.stderr)}` : " (see its output above)"}`);
  };
  io.log(`terraform: applying ${vaultConfigId}`);
  tf(["init", "-input=false", "-no-color"], false);
  tf(["apply", "-input=false", ...(inv.autoApprove ? ["-auto-approve"] : [])], true);

  // 3. What the writes need is there.
  const mounts = vaultJson(["secrets", "list", "-format=json"], "listing the secrets engines");
  for (const [mount, type] of [[VAULT_MOUNTS.kv, "kv"], [VAULT_MOUNTS.database, "database"]] as const) {
    const m = mounts[`${mount}/`] as { type?: string } | undefined;
    if (m?.type !== type) throw new BootstrapError(`the ${type} engine is not mounted at ${mount}/ although ${vaultConfigId} was applied: check that VAULT_ADDR is this deployment's Vault`);
  }
  const kvConfig = (vaultJson(["read", "-format=json", `${VAULT_MOUNTS.kv}/config`], `reading ${VAULT_MOUNTS.kv}/config`).data ?? {}) as { cas_required?: boolean };
  io.log(`kv: mounted at ${VAULT_MOUNTS.kv}/, check-and-set ${kvConfig.cas_required ? "required" : "not required"} (every write carries -cas)`);

  const generate = (): string => {
    const out = vaultJson(["read", "-format=json", `sys/policies/password/${SERVICE_PASSWORD_POLICY}/generate`], `generating a value with the password policy ${SERVICE_PASSWORD_POLICY}`);
    const password = (out.data as { password?: string } | undefined)?.password;
    if (!password) throw new BootstrapError(`the password policy ${SERVICE_PASSWORD_POLICY} returned no value`);
    return password;
  };

  // 4. Every service's secret, complete.
  const services = Object.keys(SERVICE_SECRETS).sort() as ServiceName[];
  const current = new Map<ServiceName, KvState | undefined>();
  for (const service of services) current.set(service, readKv(vault, service));
  const value = (service: ServiceName, field: string): string | undefined => current.get(service)?.data[field];
  const planned = new Map<ServiceName, Record<string, string>>();
  const plan = (service: ServiceName, field: string, v: string) => planned.set(service, { ...(planned.get(service) ?? {}), [field]: v });
  for (const service of services) {
    for (const [field, spec] of Object.entries(SERVICE_SECRETS[service] ?? {}) as [string, ServiceSecretField][]) {
      const peer = spec.sameAs;
      const mine = value(service, field) ?? planned.get(service)?.[field];
      const theirs = peer ? (value(peer.service, peer.field) ?? planned.get(peer.service)?.[peer.field]) : undefined;
      if (mine !== undefined && theirs !== undefined && mine !== theirs) {
        throw new BootstrapError(`${service}.${field} and ${peer!.service}.${peer!.field} must hold the same value and do not; set one to the other (vault kv patch -cas=<version>), then run again`);
      }
      if (mine !== undefined) {
        if (peer && theirs === undefined) plan(peer.service, peer.field, mine);
        continue;
      }
      const v = theirs ?? generate();
      plan(service, field, v);
      if (peer && theirs === undefined) plan(peer.service, peer.field, v);
    }
  }
  for (const service of services) {
    const fields = planned.get(service);
    const { mount, path: secretPath } = serviceSecretPath(service);
    const state = current.get(service);
    if (!fields) {
      io.log(`kv: ${mount}/${secretPath}: complete (${Object.keys(state?.data ?? {}).length} fields kept)`);
      continue;
    }
    const names = Object.keys(fields).sort().join(", ");
    if (!state) {
      const r = vault(["kv", "put", `-mount=${mount}`, "-cas=0", secretPath, "-"], JSON.stringify(fields));
      if (r.code !== 0) throw new BootstrapError(`writing ${mount}/${secretPath} failed: ${firstLine(r.stderr)}`);
      io.log(`kv: ${mount}/${secretPath}: created with ${names}`);
    } else {
      const r = vault(["kv", "patch", `-mount=${mount}`, `-cas=${state.version}`, secretPath, "-"], JSON.stringify(fields));
      if (r.code !== 0) throw new BootstrapError(`adding ${names} to ${mount}/${secretPath} failed: ${firstLine(r.stderr)}`);
      io.log(`kv: ${mount}/${secretPath}: added ${names}, kept ${Object.keys(state.data).sort().join(", ") || "nothing"}`);
    }
    current.set(service, { version: (state?.version ?? 0) + 1, data: { ...(state?.data ?? {}), ...fields }, customMetadata: state?.customMetadata ?? {} });
  }

  // 5. The database connection's initial admin password: the one PostgreSQL's bootstrap creates vault_admin with.
  const admin = current.get(VAULT_ADMIN_PASSWORD.service)!;
  const { mount: adminMount, path: adminPath } = serviceSecretPath(VAULT_ADMIN_PASSWORD.service);
  const connection = `${VAULT_MOUNTS.database}/config/postgresql`;
  if (admin.customMetadata[VAULT_ADMIN_ROTATED_MARKER] === "true") {
    io.log(`database: ${connection}: vault_admin's password was rotated by Vault; only Vault knows it`);
  } else {
    const r = vault(["write", connection, "-"], JSON.stringify({ password: admin.data[VAULT_ADMIN_PASSWORD.field], verify_connection: false }));
    if (r.code !== 0) throw new BootstrapError(`setting the initial password of ${connection} failed: ${firstLine(r.stderr)}`);
    io.log(`database: ${connection}: initial vault_admin password set (the one PostgreSQL's bootstrap uses)`);
  }

  if (inv.rotateDatabaseRoot && admin.customMetadata[VAULT_ADMIN_ROTATED_MARKER] !== "true") {
    const r = vault(["write", "-f", `${VAULT_MOUNTS.database}/rotate-root/postgresql`]);
    if (r.code !== 0) {
      throw new BootstrapError(`rotating vault_admin's password failed (${firstLine(r.stderr)}): PostgreSQL must be running (apply ${stackIdOf(deployment, "platform")} first) and vault_admin must still have its initial password`);
    }
    const m = vault(["kv", "metadata", "patch", `-mount=${adminMount}`, `-custom-metadata=${VAULT_ADMIN_ROTATED_MARKER}=true`, adminPath]);
    if (m.code !== 0) throw new BootstrapError(`recording the rotation on ${adminMount}/${adminPath} failed: ${firstLine(m.stderr)}; run again with --rotate-database-root is NOT safe now, mark it by hand: vault kv metadata patch -mount=${adminMount} -custom-metadata=${VAULT_ADMIN_ROTATED_MARKER}=true ${adminPath}`);
    io.log("database: vault_admin's password rotated; only Vault knows it now");
  }

  io.log(
    inv.rotateDatabaseRoot
      ? "done: revoke the admin token now (vault token revoke -self)"
      : `done: every service secret is in Vault. Next: deploy ${stackIdOf(deployment, "platform")}, then run this again with --rotate-database-root, then revoke the admin token (vault token revoke -self)`,
  );
}

function readKv(vault: (args: readonly string[]) => { code: number; stdout: string; stderr: string }, service: ServiceName): KvState | undefined {
  const { mount, path: secretPath } = serviceSecretPath(service);
  const r = vault(["kv", "get", "-format=json", `-mount=${mount}`, secretPath]);
  // `vault kv get` exits 2 when there is no secret at the path.
  if (r.code === 2) return undefined;
  if (r.code !== 0) throw new BootstrapError(`reading ${mount}/${secretPath} failed: ${firstLine(r.stderr)}`);
  const body = JSON.parse(r.stdout) as { data?: { data?: Record<string, string> | null; metadata?: { version?: number; custom_metadata?: Record<string, string> | null } } };
  return { version: Number(body.data?.metadata?.version ?? 0), data: body.data?.data ?? {}, customMetadata: body.data?.metadata?.custom_metadata ?? {} };
}

function firstLine(s: string): string {
  return s.trim().split("\n")[0] ?? "";
}

if (require.main === module) {
  const io: Io = { log: (l) => console.log(l), error: (l) => console.error(l) };
  try {
    const inv = parseBootstrapArgs(process.argv.slice(2), process.env);
    const deployment = loadDeployment(["--config", inv.configPath!], {});
    process.exitCode = runVaultBootstrap(inv, deployment, process.env, { capture: captureCommand, interactive: interactiveCommand }, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      io.error(e.message);
      process.exitCode = 2;
    } else throw e;
  }
}
