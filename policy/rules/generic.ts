import { PROMISES } from "../promises";
import type { Element, Rule } from "../types";
import { bool, fail, isObj, isUnresolved, list, PASS, verdict } from "../values";

/**
 * Rule pack GEN: secrets anywhere in the configuration (resources, data sources, locals, providers,
 * backends, variables, outputs) and the promise that no cloud secret manager is used.
 */

/** Attribute or variable names that hold a credential. */
const SECRET_NAME = /(^|[_-])(password|passwd|passphrase|secret|token|jwt|private_key|client_secret|client_key|api_key|apikey|access_key|secret_key|account_key|sas|credentials?)$/i;

/** Values that are credentials whatever the attribute is called. */
const SECRET_VALUES: readonly { what: string; re: RegExp }[] = [
  { what: "a PEM private key", re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { what: "an AWS access key id", re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { what: "a Vault token", re: /\bhv[sbr]\.[A-Za-z0-9_-]{20,}/ },
  { what: "a GitHub token", re: /\bgh[pousr]_[A-Za-z0-9]{30,}/ },
  { what: "a Slack token", re: /\bxox[abpr]-[A-Za-z0-9-]{10,}/ },
  // A user:password part made only of {{...}} placeholders (Vault's database engine fills them) is no credential.
  { what: "credentials in a URL", re: /[a-z][a-z0-9+.-]*:\/\/(?!\{\{[a-z_]+\}\}:\{\{[a-z_]+\}\}@)[^\s:/@]+:[^\s@/$]+@/i },
  { what: "an Azure storage connection string with a key", re: /AccountKey=[A-Za-z0-9+/=]{20,}/ },
];

/** Attributes named like secrets whose values are not secrets. */
const NOT_SECRET_VALUE = /^(true|false|\d+|none|null|)$/i;

/** Where in `value` a literal credential sits, e.g. ["provider.token", "user.password"]. */
export function secretLiterals(value: unknown, path = ""): string[] {
  const found: string[] = [];
  const visit = (v: unknown, at: string, key: string): void => {
    if (typeof v === "string") {
      const hit = SECRET_VALUES.find((s) => s.re.test(v));
      if (hit) found.push(`${at || "value"} holds ${hit.what}`);
      else if (SECRET_NAME.test(key) && !isUnresolved(v) && !NOT_SECRET_VALUE.test(v.trim())) found.push(`${at} is a literal`);
      return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${at}[${i}]`, key));
    else if (isObj(v)) for (const [k, x] of Object.entries(v)) visit(x, at ? `${at}.${k}` : k, k);
  };
  visit(value, path, path);
  return found;
}

/** Referenced attributes that are credentials or grant access (outputs of them must be sensitive). */
const SECRET_REFERENCE = /\.(password|secret|token|private_key|private_key_pem|client_key|client_secret|kube_config|kube_admin_config|kube_config_raw|kube_admin_config_raw|primary_access_key|secondary_access_key|primary_connection_string|secret_access_key|master_auth|access_token|id_token|key_material)\b/;

const SECRET_MANAGER_TYPES = [
  "aws_secretsmanager_secret",
  "aws_secretsmanager_secret_version",
  "aws_secretsmanager_secret_rotation",
  "aws_secretsmanager_secret_policy",
  "azurerm_key_vault_secret",
  "google_secret_manager_secret",
  "google_secret_manager_secret_version",
  "google_secret_manager_secret_iam_member",
  "google_secret_manager_secret_iam_binding",
  "google_secret_manager_regional_secret",
  "google_secret_manager_regional_secret_version",
];

function isSensitive(e: Element): boolean {
  return bool(e.block.sensitive) === true;
}

/** The generic secrets pack (ids GEN-<n>). */
export const GENERIC_RULES: readonly Rule[] = [
  {
    id: "GEN-1",
    family: "secrets",
    appliesTo: ["resource.*", "data.*", "local.*"],
    message: "a credential is written literally into the configuration",
    fix: "never put a password/key/token in the program: generate it where it lives (Vault, the database) or read it at deploy time",
    promise: PROMISES.vaultKeys,
    check: (e) => {
      // Kubernetes secrets' data is judged by K8S-21 (every key there is a secret, whatever its name).
      const scan = e.type.startsWith("kubernetes_secret")
        ? Object.fromEntries(Object.entries(e.block).filter(([k]) => k !== "data" && k !== "binary_data"))
        : e.block;
      return verdict(secretLiterals(scan));
    },
  },
  {
    id: "GEN-2",
    family: "secrets",
    appliesTo: ["provider.*", "backend.*"],
    message: "a provider or backend block holds a literal credential",
    fix: "authenticate with the environment (workload identity, SSO, exec-based kube auth); never a token/password/key argument",
    promise: PROMISES.credentialsInVpc,
    check: (e) => verdict(secretLiterals(e.block)),
  },
  {
    id: "GEN-3",
    family: "secrets",
    appliesTo: ["variable.*"],
    message: "a variable's default is a credential",
    fix: "remove the default; pass the value at deploy time (TF_VAR_...) and mark the variable sensitive",
    promise: PROMISES.vaultKeys,
    check: (e) => {
      const def = e.block.default;
      if (def === undefined || def === null) return PASS;
      const problems = secretLiterals(def, "default");
      if (SECRET_NAME.test(e.name) && typeof def === "string" && def !== "") problems.push(`default of ${e.name} is a literal`);
      return verdict(problems);
    },
  },
  {
    id: "GEN-4",
    family: "secrets",
    appliesTo: ["variable.*"],
    message: "a variable named like a credential is not marked sensitive",
    fix: "set sensitive = true on the variable",
    promise: PROMISES.vaultKeys,
    check: (e) => (SECRET_NAME.test(e.name) && !isSensitive(e) ? fail(`variable ${e.name} is not sensitive`) : PASS),
  },
  {
    id: "GEN-5",
    family: "secrets",
    appliesTo: ["output.*"],
    message: "an output's value is a literal credential",
    fix: "never output a credential; output a reference to where it lives (a Vault path) instead",
    promise: PROMISES.credentialsInVpc,
    check: (e) => verdict(secretLiterals(e.block.value, "value")),
  },
  {
    id: "GEN-6",
    family: "secrets",
    appliesTo: ["output.*"],
    message: "an output exposes a credential without sensitive = true",
    fix: "set sensitive = true on the output (better: do not output it)",
    promise: PROMISES.credentialsInVpc,
    check: (e) => {
      if (isSensitive(e)) return PASS;
      const refs = list(e.block.value).concat(isObj(e.block.value) ? Object.values(e.block.value) : []);
      const secretRef = refs.some((v) => typeof v === "string" && isUnresolved(v) && SECRET_REFERENCE.test(v));
      return secretRef || SECRET_NAME.test(e.name) ? fail(`output ${e.name} is not sensitive`) : PASS;
    },
  },
  {
    id: "GEN-7",
    family: "secrets",
    appliesTo: [...SECRET_MANAGER_TYPES, ...SECRET_MANAGER_TYPES.map((t) => `data.${t}`)],
    message: "a cloud secret manager is used (the platform keeps every secret in Vault)",
    fix: "store the secret in Vault (KV v2) and read it there",
    promise: PROMISES.noSecretsManager,
    check: (e) => fail(`${e.kind === "data" ? "data source" : "resource"} ${e.type}`),
  },
  {
    id: "GEN-8",
    family: "encryption-at-rest",
    appliesTo: ["backend.s3"],
    message: "Terraform state (which holds every sensitive output) is stored unencrypted",
    fix: "set encrypt = true on the S3 backend (azurerm and gcs backends encrypt at rest always)",
    promise: PROMISES.credentialsInVpc,
    check: (e) => (bool(e.block.encrypt) === true ? PASS : fail(`encrypt is ${JSON.stringify(e.block.encrypt ?? "not set")}`)),
  },
  {
    id: "GEN-9",
    family: "encryption-at-rest",
    appliesTo: ["backend.s3"],
    message: "Terraform state is encrypted with S3-managed keys: anyone the account's IAM lets read the bucket reads the state, and no key policy narrows it",
    fix: "set state.kmsKeyId to the state bucket's KMS key (the bootstrap's alias/<name>-state); terraform then writes state and lock files with it",
    promise: PROMISES.credentialsInVpc,
    check: (e) => {
      const id = e.block.kms_key_id;
      if (typeof id !== "string" || id === "") return fail("kms_key_id is not set (terraform writes SSE-S3, overriding the bucket's default key)");
      return /^(arn:aws[a-z-]*:kms:|alias\/)/.test(id) ? PASS : fail(`kms_key_id is ${JSON.stringify(id)}`);
    },
  },
];
