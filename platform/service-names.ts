import type { ServiceSpec } from "./service-catalog";

/**
 * Where things live inside Vault: mount paths and the per-service paths that the vault-config stack
 * creates (engines, roles, policies) and that workloads read through Vault Agent templates. One
 * place, so a policy and the template that relies on it can never disagree.
 */
export const VAULT_MOUNTS = {
  /** KV version 2, static secrets. */
  kv: "kv",
  /** Transit, encryption as a service. */
  transit: "transit",
  /** Root CA (signs the intermediate only). */
  pkiRoot: "pki",
  /** Intermediate CA: issues every in-cluster TLS certificate. */
  pki: "pki-int",
  /** Dynamic database credentials. */
  database: "database",
  /** Kubernetes auth method. */
  kubernetesAuth: "kubernetes",
} as const;

/** In-cluster address of Vault (its client Service; TLS on 8200). */
export const VAULT_ADDRESS = "https://vault.vault.svc:8200";

/** The audience of the service account tokens pods present to Vault's Kubernetes auth. */
export const VAULT_TOKEN_AUDIENCE = "vault";

/** ConfigMap (in every namespace that uses Vault) holding `ca.crt`, the CA of Vault's listener. */
export const VAULT_CA_CONFIG_MAP = "vault-ca";

/** The Vault names of one service: its role, policy, KV prefix, PKI role and transit key. */
export function vaultNames(service: Pick<ServiceSpec, "name" | "namespace">) {
  return {
    /** Kubernetes-auth role and policy name. */
    role: service.name,
    policy: service.name,
    /** Its one KV v2 secret (logical path, without /data/); fields hold the values. */
    kvSecret: `services/${service.namespace}/${service.name}`,
    /** PKI role on the intermediate mount. */
    pkiRole: service.name,
    /** Transit key. */
    transitKey: service.name,
  };
}

/**
 * The names a service's certificate requests: its Service's forms and, for peers, the headless Service.
 * Each replica of peers also requests its own names (`podDnsDomains`), filled in at render time.
 */
export function serviceDnsNames(service: Pick<ServiceSpec, "name" | "namespace" | "peers">): string[] {
  const { name, namespace } = service;
  const names = [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
  if (service.peers) names.push(`${name}-headless.${namespace}.svc`);
  return names;
}

/**
 * For peers: the domains under which each replica has its own DNS name, `<pod>.<domain>` (the headless
 * Service of a StatefulSet). A replica's certificate carries its own names, never a wildcard.
 */
export function podDnsDomains(service: Pick<ServiceSpec, "name" | "namespace" | "peers">): string[] {
  const { name, namespace } = service;
  return service.peers ? [`${name}-headless.${namespace}.svc`, `${name}-headless.${namespace}.svc.cluster.local`] : [];
}

/**
 * What the service's PKI role admits (`allowed_domains`): the names it requests, and for peers one glob
 * per pod domain over its own pods' names, `<name>-*.<domain>` (Vault matches globs with ryanuber/go-glob,
 * where `*` spans dots; the prefix keeps another workload's pod names out). Wildcard certificates stay off.
 */
export function serviceAllowedDomains(service: Pick<ServiceSpec, "name" | "namespace" | "peers">): string[] {
  return [...serviceDnsNames(service), ...podDnsDomains(service).map((d) => `${service.name}-*.${d}`)];
}
