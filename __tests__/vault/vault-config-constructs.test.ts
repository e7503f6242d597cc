import { Testing } from "cdktf";
import { FileAudit } from "../../constructs/vault/file-audit";
import { InternalPki } from "../../constructs/vault/internal-pki";
import { KvStore } from "../../constructs/vault/kv-store";
import { PostgresSecretsEngine } from "../../constructs/vault/postgres-secrets-engine";
import { podDnsDomains, serviceAllowedDomains, serviceDnsNames, vaultNames } from "../../platform/service-names";
import { serviceRules } from "../../constructs/vault/service-policy";
import { TransitKeys } from "../../constructs/vault/transit-keys";
import { SERVICES } from "../../platform/service-catalog";
import { resourcesOf, synthJson } from "../support/helpers";

test("mounts holding keys or secrets are protected unless allowDestroy", () => {
  const kv = (allowDestroy?: boolean) => resourcesOf(synthJson((s) => new KvStore(s, "Kv", { allowDestroy })), "vault_mount")[0].lifecycle;
  expect(kv()).toEqual({ prevent_destroy: true });
  expect(kv(true)).toEqual({ prevent_destroy: false });
  const pki = resourcesOf(synthJson((s) => new InternalPki(s, "Pki", { caName: "x", roles: [] })), "vault_mount");
  for (const m of pki) expect(m.lifecycle).toEqual({ prevent_destroy: true });
});

test("the database mount and connection, the audit device and the intermediate's key request are protected unless allowDestroy", () => {
  const lifecycles = (allowDestroy?: boolean) => {
    const doc = synthJson((s) => {
      new PostgresSecretsEngine(s, "Db", { hosts: ["postgresql.identity.svc:5432"], caCertificatePem: "ca", roles: [], allowDestroy });
      new FileAudit(s, "Audit", { allowDestroy });
      new InternalPki(s, "Pki", { caName: "x", roles: [], allowDestroy });
    });
    return ["vault_mount", "vault_database_secret_backend_connection", "vault_audit", "vault_pki_secret_backend_intermediate_cert_request"].flatMap((t) =>
      resourcesOf(doc, t).map((r) => r.lifecycle),
    );
  };
  expect(lifecycles()).toHaveLength(6);
  for (const l of lifecycles()) expect(l).toEqual({ prevent_destroy: true });
  for (const l of lifecycles(true)) expect(l).toEqual({ prevent_destroy: false });
});

test("a transit rotation period under Vault's one-hour minimum is refused", () => {
  expect(() => Testing.synthScope((s) => new TransitKeys(s, "T", { keys: ["a"], autoRotatePeriodSeconds: 60 }))).toThrow(/at least 3600/);
});

test("a PKI role allowing any name, or a bare wildcard, is refused", () => {
  expect(() => Testing.synthScope((s) => new InternalPki(s, "P", { caName: "x", roles: [{ name: "r", dnsNames: ["*"] }] }))).toThrow(/too-broad/);
  expect(() => Testing.synthScope((s) => new InternalPki(s, "P", { caName: "x", roles: [{ name: "r", dnsNames: ["*.svc"] }] }))).toThrow(/too-broad/);
  expect(() => Testing.synthScope((s) => new InternalPki(s, "P", { caName: "x", roles: [{ name: "r", dnsNames: [] }] }))).toThrow(/at least one DNS name/);
});

test("the intermediate CA can sign no further CA; the root only one level", () => {
  const doc = synthJson((s) => new InternalPki(s, "P", { caName: "x", roles: [] }));
  expect(resourcesOf(doc, "vault_pki_secret_backend_root_cert")[0].max_path_length).toBe(1);
  expect(resourcesOf(doc, "vault_pki_secret_backend_root_sign_intermediate")[0].max_path_length).toBe(0);
});

test("a non-peer service's certificate names are its Service names only; peers add the headless Service and, per replica, their own pod names", () => {
  expect(serviceDnsNames(SERVICES.redis)).toEqual(["redis", "redis.cache", "redis.cache.svc", "redis.cache.svc.cluster.local"]);
  expect(podDnsDomains(SERVICES.redis)).toEqual([]);
  expect(serviceDnsNames(SERVICES.vault)).toContain("vault-headless.vault.svc");
  expect(serviceDnsNames(SERVICES.vault).filter((n) => n.includes("*"))).toEqual([]);
  expect(podDnsDomains(SERVICES.vault)).toEqual(["vault-headless.vault.svc", "vault-headless.vault.svc.cluster.local"]);
  // The role admits the replicas' names by a glob over its own pods only.
  expect(serviceAllowedDomains(SERVICES.vault)).toEqual([...serviceDnsNames(SERVICES.vault), "vault-*.vault-headless.vault.svc", "vault-*.vault-headless.vault.svc.cluster.local"]);
});

test("a policy grants nothing that was not asked for", () => {
  expect(serviceRules({ name: "x" })).toEqual([]);
  expect(serviceRules({ name: "redis", kvSecret: vaultNames(SERVICES.redis).kvSecret })).toEqual([
    { path: "kv/data/services/cache/redis", capabilities: ["read"] },
    { path: "kv/metadata/services/cache/redis", capabilities: ["read"] },
  ]);
});

test("the intermediate is set with its full bundle, so Vault serves a chain that ends at the root", () => {
  const [setSigned] = resourcesOf(synthJson((s) => new InternalPki(s, "Pki", { caName: "x", roles: [] })), "vault_pki_secret_backend_intermediate_set_signed");
  expect(setSigned.certificate).toMatch(/^\$\{vault_pki_secret_backend_root_sign_intermediate\.[^.]+\.certificate_bundle\}$/);
});

test("the PostgreSQL connection refuses anything but host:port entries", () => {
  const engine = (hosts: string[]) => () =>
    Testing.synthScope((s) => new PostgresSecretsEngine(s, "Db", { hosts, caCertificatePem: "ca", roles: [] }));
  expect(engine([])).toThrow(/hosts must be host:port entries/);
  expect(engine(["postgresql.identity.svc"])).toThrow(/hosts must be host:port entries/);
  expect(engine(["postgresql-0.postgresql-headless.identity.svc:5432"])).not.toThrow();
});
