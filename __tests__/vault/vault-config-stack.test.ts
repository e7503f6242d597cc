import { Audit } from "@cdktf/provider-vault/lib/audit";
import { KubernetesAuthBackendConfig } from "@cdktf/provider-vault/lib/kubernetes-auth-backend-config";
import { KvSecretBackendV2 } from "@cdktf/provider-vault/lib/kv-secret-backend-v2";
import { Mount } from "@cdktf/provider-vault/lib/mount";
import { PkiSecretBackendRootCert } from "@cdktf/provider-vault/lib/pki-secret-backend-root-cert";
import { VaultProvider } from "@cdktf/provider-vault/lib/provider";
import { Testing } from "cdktf";
import { idOf } from "../../lib/construct-id";
import { renderServicePolicy } from "../../constructs/vault/service-policy";
import { AwsStack } from "../../stacks/aws-stack";
import type { PlatformFoundation } from "../../platform/platform-foundation";
import { SERVICES } from "../../platform/service-catalog";
import { VaultConfigStack } from "../../stacks/vault-config-stack";
import { FAKE_FOUNDATION, defaultDeployment } from "../fixtures/fake-foundation";
import { resourcesOf } from "../support/helpers";
import { deploymentOn } from "../../config/schema";
import { nonEmpty } from "../support/non-empty";

function synth(foundation: PlatformFoundation = FAKE_FOUNDATION, overrides: Record<string, unknown> = {}) {
  return Testing.synth(new VaultConfigStack(Testing.app(), "demo-vault-config", { deployment: defaultDeployment(overrides), foundation }));
}
const doc = () => JSON.parse(synth());
const clients = Object.values(SERVICES).filter((s) => s.name !== "vault");

test("snapshot of the vault-config stack against the fake contract (review aid)", () => {
  expect(synth()).toMatchSnapshot();
});

test("the vault provider has no address or token (environment at deploy time) and works through a child token", () => {
  const out = synth();
  expect(out).toHaveProviderWithProperties(VaultProvider, { skip_child_token: false, skip_tls_verify: false, max_lease_ttl_seconds: 1200 });
  const provider = JSON.parse(out).provider.vault[0];
  expect(provider.address).toBeUndefined();
  expect(provider.token).toBeUndefined();
});

test("KV v2 requires check-and-set and keeps versions; mounts are protected from destroy", () => {
  const out = synth();
  expect(out).toHaveResourceWithProperties(Mount, { path: "kv", type: "kv", options: { version: "2" }, lifecycle: { prevent_destroy: true } });
  expect(out).toHaveResourceWithProperties(KvSecretBackendV2, { cas_required: true, max_versions: 10 });
});

test("one transit key per service: rotated every 30 days, never deletable or exportable", () => {
  const keys = resourcesOf(doc(), "vault_transit_secret_backend_key");
  expect(keys.map((k) => k.name).sort()).toEqual(clients.map((s) => s.name).sort());
  for (const k of keys) {
    expect(k).toEqual(expect.objectContaining({ type: "aes256-gcm96", auto_rotate_period: 2592000, deletion_allowed: false, exportable: false, allow_plaintext_backup: false }));
  }
});

test("the root CA key is generated inside Vault (internal) with a long lifetime; the intermediate is signed by it", () => {
  const out = synth();
  expect(out).toHaveResourceWithProperties(PkiSecretBackendRootCert, { type: "internal", ttl: "87600h", backend: expect.stringContaining("vault_mount.") });
  const inter = resourcesOf(JSON.parse(out), "vault_pki_secret_backend_intermediate_cert_request")[0];
  expect(inter.type).toBe("internal");
});

test("one PKI role per service, limited to its own DNS names: no wildcard certs, IPs, localhost or other names", () => {
  const roles = resourcesOf(doc(), "vault_pki_secret_backend_role");
  expect(roles.map((r) => r.name).sort()).toEqual(Object.values(SERVICES).map((s) => s.name).sort());
  const cassandra = roles.find((r) => r.name === "cassandra")!;
  expect(cassandra.allowed_domains).toEqual([
    "cassandra",
    "cassandra.metadata",
    "cassandra.metadata.svc",
    "cassandra.metadata.svc.cluster.local",
    "cassandra-headless.metadata.svc",
    "cassandra-*.cassandra-headless.metadata.svc",
    "cassandra-*.cassandra-headless.metadata.svc.cluster.local",
  ]);
  for (const r of roles) {
    expect(r).toEqual(expect.objectContaining({ allow_any_name: false, allow_subdomains: false, allow_wildcard_certificates: false, allow_ip_sans: false, allow_localhost: false, enforce_hostnames: true, ttl: "72h", max_ttl: "720h", key_type: "ec", key_bits: 256 }));
  }
  expect(roles.find((r) => r.name === "redis")!.allow_glob_domains).toBe(false);
  expect(roles.find((r) => r.name === "entry-point")!.allowed_domains).toContain("catalog.example.com");
});

test("client certificates (clientAuth) for peers, for Redis (it requires them from every client, its own probe included) and for Redis's callers", () => {
  const roles = resourcesOf(doc(), "vault_pki_secret_backend_role");
  const withClientAuth = roles.filter((r) => r.client_flag).map((r) => r.name).sort();
  expect(withClientAuth).toEqual(["atlas", "cassandra", "elasticsearch", "keycloak", "postgresql", "redis", "vault"]);
  expect(roles.find((r) => r.name === "entry-point")!.client_flag).toBe(false);
});

test("Kubernetes auth reviews tokens through the in-cluster API with Vault's own token and CA, and checks the issuer", () => {
  expect(synth()).toHaveResourceWithProperties(KubernetesAuthBackendConfig, {
    kubernetes_host: "https://kubernetes.default.svc",
    issuer: "https://issuer.fake.internal/fake-cluster",
    disable_iss_validation: false,
    disable_local_ca_jwt: false,
  });
  const config = resourcesOf(doc(), "vault_kubernetes_auth_backend_config")[0];
  expect(config.kubernetes_ca_cert).toBeUndefined();
  expect(config.token_reviewer_jwt).toBeUndefined();
});

test("one auth role per service account, bound to its name, namespace and the vault audience, with only its policy", () => {
  const roles = resourcesOf(doc(), "vault_kubernetes_auth_backend_role");
  expect(roles).toHaveLength(clients.length);
  for (const s of clients) {
    expect(roles.find((r) => r.role_name === s.name)).toEqual(
      expect.objectContaining({ bound_service_account_names: [s.serviceAccount], bound_service_account_namespaces: [s.namespace], audience: "vault", token_ttl: 3600, token_max_ttl: 14400, token_policies: [expect.stringMatching(new RegExp(`^\\$\\{vault_policy\\.Policy${idOf(s.name)}_[0-9A-F]+\\.name\\}$`))] }),
    );
  }
});

test("policies: one per service, exact paths only (no globs), no sudo, only its own KV, PKI role, transit key and DB creds", () => {
  const policies = resourcesOf(doc(), "vault_policy");
  expect(policies.map((p) => p.name).sort()).toEqual(clients.map((s) => s.name).sort());
  for (const p of nonEmpty(policies, "policy")) {
    expect(p.policy).not.toMatch(/[*+]/);
    expect(p.policy).not.toMatch(/sudo|root/);
    const paths = [...p.policy.matchAll(/path "([^"]+)"/g)].map((m) => m[1]);
    // Every path is the service's own, except the shared, read-only CA chain its peers are verified against.
    for (const path of paths.filter((x) => x !== "pki-int/cert/ca_chain")) expect(path).toContain(p.name);
    expect(p.policy).toMatch(/path "pki-int\/cert\/ca_chain" \{\n  capabilities = \["read"\]\n\}/);
  }
  const keycloak = policies.find((p) => p.name === "keycloak")!.policy;
  expect(keycloak).toContain('path "database/creds/keycloak"');
  expect(policies.filter((p) => p.policy.includes("database/creds"))).toHaveLength(1);
});

test("a policy with a glob path is refused", () => {
  expect(() => renderServicePolicy({ name: "x", kvSecret: "services/*" })).toThrow(/glob/);
});

test("PostgreSQL: TLS verify-full; no admin password passes through Terraform (no variable, no password attribute)", () => {
  const d = doc();
  const conn = resourcesOf(d, "vault_database_secret_backend_connection")[0];
  // Every pod listed; Vault picks the writable one, so it never writes to a standby.
  expect(conn.postgresql.connection_url).toBe(
    "postgresql://{{username}}:{{password}}@postgresql-0.postgresql-headless.identity.svc:5432,postgresql-1.postgresql-headless.identity.svc:5432/postgres?sslmode=verify-full&target_session_attrs=read-write",
  );
  expect(conn.postgresql.password).toBeUndefined();
  expect(conn.postgresql.password_wo).toBeUndefined();
  expect(conn.postgresql.username).toBe("vault_admin");
  expect(conn.verify_connection).toBe(false);
  expect(conn.postgresql.tls_ca).toMatch(/^\$\{vault_pki_secret_backend_root_cert\./);
  expect(d.variable).toBeUndefined();
});

test("service secrets are generated by a Vault password policy: 32 alphanumerics, every class present", () => {
  const [policy] = resourcesOf(doc(), "vault_password_policy");
  expect(policy.name).toBe("platform-service");
  expect(policy.policy).toMatch(/^length = 32\n/);
  expect([...policy.policy.matchAll(/charset\s+= "([^"]+)"\n  min-chars = 1/g)].map((m) => m[1])).toEqual(["abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"]);
});

test("PostgreSQL: short-lived dynamic roles for Keycloak and the data-quality writer", () => {
  const roles = resourcesOf(doc(), "vault_database_secret_backend_role");
  expect(roles.map((r) => r.name).sort()).toEqual(["data-quality-writer", "keycloak"]);
  for (const r of roles) {
    expect(r.default_ttl).toBe(3600);
    expect(r.max_ttl).toBe(86400);
    expect(r.creation_statements[0]).toContain("VALID UNTIL '{{expiration}}'");
    // The admin is made a member of each login it creates, so REASSIGN/DROP OWNED can act on it at revocation.
    expect(r.creation_statements).toContain('GRANT "{{name}}" TO CURRENT_USER;');
    expect(r.renew_statements).toEqual([`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`]);
  }
});

test("a file audit device writes HMAC'd JSON to the encrypted audit volume", () => {
  expect(synth()).toHaveResourceWithProperties(Audit, {
    type: "file",
    options: { file_path: "/vault/audit/audit.log", log_raw: "false", hmac_accessor: "true", format: "json", mode: "0600" },
  });
});

test("no human login method (userpass, ...) is enabled: Kubernetes auth only", () => {
  const backends = resourcesOf(doc(), "vault_auth_backend");
  expect(backends.map((b) => b.type)).toEqual(["kubernetes"]);
});

test("the same stack synthesizes against the AWS stack's contract", () => {
  const app = Testing.app();
  const cloud = new AwsStack(app, "demo-aws", { deployment: deploymentOn("aws", defaultDeployment()) });
  const out = Testing.synth(new VaultConfigStack(app, "demo-vault-config", { deployment: defaultDeployment(), foundation: cloud.foundation }));
  expect(out).toHaveResource(KubernetesAuthBackendConfig);
});

test("synthesis is deterministic and holds no credential value", () => {
  const out = synth();
  expect(out).toBe(synth());
  expect(out).not.toMatch(/PRIVATE KEY/);
  const conn = JSON.parse(out).resource.vault_database_secret_backend_connection;
  expect(JSON.stringify(conn)).not.toMatch(/"password"\s*:/);
});
