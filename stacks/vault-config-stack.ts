import { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import { VaultProvider } from "@cdktf/provider-vault/lib/provider";
import type { Deployment } from "../config/schema";
import { FileAudit, StdoutAudit } from "../constructs/vault/file-audit";
import { InternalPki } from "../constructs/vault/internal-pki";
import { KubernetesAuth } from "../constructs/vault/kubernetes-auth";
import { KvStore } from "../constructs/vault/kv-store";
import { ServicePasswordPolicy } from "../constructs/vault/password-policy";
import { idOf } from "../lib/construct-id";
import { serviceAllowedDomains, vaultNames } from "../platform/service-names";
import { postgresqlHosts } from "../constructs/kubernetes/postgresql";
import { PostgresSecretsEngine, type DatabaseRoleSpec } from "../constructs/vault/postgres-secrets-engine";
import { ServicePolicy } from "../constructs/vault/service-policy";
import { TransitKeys } from "../constructs/vault/transit-keys";
import { configureBackend } from "./backend";
import type { PlatformFoundation } from "../platform/platform-foundation";
import { SERVICES, type ServiceName } from "../platform/service-catalog";

/** Props of VaultConfigStack. */
export interface VaultConfigStackProps {
  readonly deployment: Deployment;
  readonly foundation: PlatformFoundation;
}

/** Dynamic PostgreSQL roles, and which catalog service may use each. */
export const DATABASE_ROLES: readonly (DatabaseRoleSpec & { readonly grantedTo?: ServiceName })[] = [
  { name: "keycloak", groupRole: "keycloak_app", grantedTo: "keycloak" },
  // The data-quality metrics writer: no catalog service writes them yet; grant it when one does.
  { name: "data-quality-writer", groupRole: "data_quality_writer" },
];

/**
 * Servers that require a client certificate from every client (Redis: `tls-auth-clients yes` in the
 * generated redis.conf). Their own probes and reloaders connect with the server's certificate, and every
 * service that calls them presents its own: both need the clientAuth usage (`client_flag`).
 */
export const SERVERS_REQUIRING_CLIENT_CERTIFICATES: readonly ServiceName[] = ["redis"];

/** Whether a service's certificates carry the clientAuth usage: mutual TLS with peers, or with a server that requires it. */
export function needsClientCertificate(key: ServiceName): boolean {
  const s = SERVICES[key];
  const mtls = (k: ServiceName) => SERVERS_REQUIRING_CLIENT_CERTIFICATES.includes(k);
  return s.peers || mtls(key) || s.calls.some(mtls);
}

/**
 * `<name>-vault-config`: what lives inside Vault, the same for every cloud.
 *
 * KV v2, transit keys (one per service, rotated), the internal PKI (root -> intermediate -> one role
 * per service limited to its DNS names), Kubernetes auth (one role per service account, bound to its
 * namespace), one least-privilege policy per service, dynamic PostgreSQL credentials, and the file
 * audit device. Userpass and every other human login method stay disabled.
 *
 * Applied by an operator through `npm run vault:bootstrap` (never by CI), which then writes the service
 * secrets. The vault provider reads VAULT_ADDR, VAULT_CACERT and VAULT_TOKEN from the environment
 * (docs/vault.md: the initialisation's admin token, or one regenerated with the recovery quorum);
 * nothing of it is in config or state, the provider works through a short-lived child token, and the
 * stack has no input variable.
 */
export class VaultConfigStack extends TerraformStack {
  readonly pki: InternalPki;
  readonly transit: TransitKeys;
  readonly kv: KvStore;
  readonly passwordPolicy: ServicePasswordPolicy;
  readonly auth: KubernetesAuth;
  readonly database: PostgresSecretsEngine;
  readonly policies: Readonly<Partial<Record<ServiceName, ServicePolicy>>>;

  constructor(scope: Construct, id: string, props: VaultConfigStackProps) {
    super(scope, id);
    const { deployment: d, foundation } = props;
    configureBackend(this, id, d.state);
    new VaultProvider(this, "Vault", {
      // No address/token here: VAULT_ADDR and VAULT_TOKEN at deploy time.
      skipChildToken: false,
      maxLeaseTtlSeconds: 1200,
      tokenName: `${d.name}-vault-config`,
      skipTlsVerify: false,
    });
    const allowDestroy = d.dataProtection.allowDestroy;
    const entries = Object.entries(SERVICES) as [ServiceName, (typeof SERVICES)[ServiceName]][];
    // Every service but Vault itself logs in to Vault.
    const clients = entries.filter(([key]) => key !== "vault");

    this.kv = new KvStore(this, "Kv", { allowDestroy });
    this.passwordPolicy = new ServicePasswordPolicy(this, "ServicePasswords");
    this.transit = new TransitKeys(this, "Transit", { keys: clients.map(([, s]) => vaultNames(s).transitKey), allowDestroy });
    this.pki = new InternalPki(this, "Pki", {
      caName: d.name,
      allowDestroy,
      roles: entries.map(([key, s]) => ({
        name: vaultNames(s).pkiRole,
        dnsNames: [...serviceAllowedDomains(s), ...(key === "entryPoint" && d.domain.certificate.source === "vault-pki" ? [d.domain.name] : [])],
        clientAuth: needsClientCertificate(key),
      })),
    });
    this.database = new PostgresSecretsEngine(this, "Database", {
      hosts: postgresqlHosts(),
      caCertificatePem: this.pki.root.certificate,
      roles: DATABASE_ROLES,
      allowDestroy,
    });

    const policies: Partial<Record<ServiceName, ServicePolicy>> = {};
    for (const [key, s] of clients) {
      const names = vaultNames(s);
      policies[key] = new ServicePolicy(this, `Policy${idOf(s.name)}`, {
        name: names.policy,
        kvSecret: names.kvSecret,
        pkiRole: names.pkiRole,
        transitKey: names.transitKey,
        databaseRoles: DATABASE_ROLES.filter((r) => r.grantedTo === key).map((r) => r.name),
      });
    }
    this.policies = policies;

    this.auth = new KubernetesAuth(this, "KubernetesAuth", {
      cluster: foundation.cluster,
      roles: clients.map(([key, s]) => ({
        name: vaultNames(s).role,
        serviceAccount: s.serviceAccount,
        namespace: s.namespace,
        policies: [policies[key]!.name],
      })),
    });

    new FileAudit(this, "Audit", { allowDestroy });
    new StdoutAudit(this, "AuditStdout", { allowDestroy });
  }
}
