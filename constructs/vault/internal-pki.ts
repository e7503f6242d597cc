import { Construct } from "constructs";
import { Mount } from "@cdktf/provider-vault/lib/mount";
import { PkiSecretBackendConfigUrls } from "@cdktf/provider-vault/lib/pki-secret-backend-config-urls";
import { PkiSecretBackendIntermediateCertRequest } from "@cdktf/provider-vault/lib/pki-secret-backend-intermediate-cert-request";
import { PkiSecretBackendIntermediateSetSigned } from "@cdktf/provider-vault/lib/pki-secret-backend-intermediate-set-signed";
import { PkiSecretBackendRole } from "@cdktf/provider-vault/lib/pki-secret-backend-role";
import { PkiSecretBackendRootCert } from "@cdktf/provider-vault/lib/pki-secret-backend-root-cert";
import { PkiSecretBackendRootSignIntermediate } from "@cdktf/provider-vault/lib/pki-secret-backend-root-sign-intermediate";
import { idOf } from "../../lib/construct-id";
import { VAULT_ADDRESS, VAULT_MOUNTS } from "../../platform/service-names";

/** One issuing role: a service and the exact DNS names its certificates may carry. */
export interface PkiRoleSpec {
  readonly name: string;
  /** Exact names and globs over a StatefulSet's own pods (e.g. `x-*.x-headless.ns.svc`); wildcard certificates stay off. */
  readonly dnsNames: readonly string[];
  /** Also issue client certificates (mutual TLS between peers). @default false */
  readonly clientAuth?: boolean;
}

/** Props of InternalPki. */
export interface InternalPkiProps {
  /** Common name prefix of the CAs, e.g. the deployment name. */
  readonly caName: string;
  /** One role per service. */
  readonly roles: readonly PkiRoleSpec[];
  /** Leaf certificate default lifetime. @default "72h" */
  readonly leafTtl?: string;
  /** Leaf certificate maximum lifetime. @default "720h" */
  readonly leafMaxTtl?: string;
  /** @default false - both mounts, the root CA and the intermediate's key request carry prevent_destroy */
  readonly allowDestroy?: boolean;
}

/**
 * The platform's internal CA in Vault: a root (10 years, key generated inside Vault and never
 * exported: type "internal") that signs only an intermediate (5 years, also internal), which issues
 * every in-cluster TLS certificate through one role per service. A role allows exactly that service's
 * DNS names (no wildcard certificates, no IP SANs, no localhost, no other names), EC P-256 keys and
 * short lifetimes; Vault Agent renews them.
 */
export class InternalPki extends Construct {
  readonly rootMount: Mount;
  readonly intermediateMount: Mount;
  readonly root: PkiSecretBackendRootCert;
  readonly roles: Readonly<Record<string, PkiSecretBackendRole>>;

  constructor(scope: Construct, id: string, props: InternalPkiProps) {
    super(scope, id);
    const preventDestroy = !(props.allowDestroy ?? false);
    this.rootMount = new Mount(this, "RootMount", {
      path: VAULT_MOUNTS.pkiRoot,
      type: "pki",
      description: "Root CA (signs the intermediate only)",
      maxLeaseTtlSeconds: 10 * 365 * 24 * 3600,
      lifecycle: { preventDestroy },
    });
    this.root = new PkiSecretBackendRootCert(this, "RootCa", {
      backend: this.rootMount.path,
      type: "internal",
      commonName: `${props.caName} root CA`,
      issuerName: "root",
      ttl: "87600h",
      keyType: "ec",
      keyBits: 384,
      maxPathLength: 1,
      excludeCnFromSans: true,
      lifecycle: { preventDestroy },
    });

    this.intermediateMount = new Mount(this, "IntermediateMount", {
      path: VAULT_MOUNTS.pki,
      type: "pki",
      description: "Intermediate CA: issues the platform's TLS certificates",
      maxLeaseTtlSeconds: 5 * 365 * 24 * 3600,
      lifecycle: { preventDestroy },
    });
    const csr = new PkiSecretBackendIntermediateCertRequest(this, "IntermediateCsr", {
      backend: this.intermediateMount.path,
      type: "internal",
      commonName: `${props.caName} intermediate CA`,
      keyType: "ec",
      keyBits: 256,
      excludeCnFromSans: true,
      // Its delete does nothing, but every argument forces a replacement, which generates a new intermediate key.
      lifecycle: { preventDestroy },
    });
    const signed = new PkiSecretBackendRootSignIntermediate(this, "IntermediateSigned", {
      backend: this.rootMount.path,
      csr: csr.csr,
      commonName: `${props.caName} intermediate CA`,
      ttl: "43800h",
      maxPathLength: 0,
      excludeCnFromSans: true,
      issuerRef: this.root.issuerId,
    });
    const setSigned = new PkiSecretBackendIntermediateSetSigned(this, "IntermediateSetSigned", {
      backend: this.intermediateMount.path,
      // The bundle (intermediate + root): Vault then serves the whole chain at cert/ca_chain and in
      // every issue response, so OpenSSL-based clients (libpq, redis, nginx, curl) can verify to the root.
      certificate: signed.certificateBundle,
    });
    for (const [cid, mount] of [["RootUrls", this.rootMount], ["IntermediateUrls", this.intermediateMount]] as const) {
      new PkiSecretBackendConfigUrls(this, cid, {
        backend: mount.path,
        issuingCertificates: [`${VAULT_ADDRESS}/v1/${mount.path}/ca`],
        crlDistributionPoints: [`${VAULT_ADDRESS}/v1/${mount.path}/crl`],
      });
    }

    const roles: Record<string, PkiSecretBackendRole> = {};
    for (const r of props.roles) {
      if (r.dnsNames.length === 0) throw new Error(`InternalPki: role '${r.name}' needs at least one DNS name`);
      if (r.dnsNames.some((n) => n === "*" || n.startsWith("*.") && n.split(".").length < 3)) {
        throw new Error(`InternalPki: role '${r.name}' allows a too-broad name; give the service's own names`);
      }
      roles[r.name] = new PkiSecretBackendRole(this, `Role${idOf(r.name)}`, {
        backend: this.intermediateMount.path,
        name: r.name,
        allowedDomains: [...r.dnsNames],
        allowBareDomains: true,
        allowSubdomains: false,
        allowGlobDomains: r.dnsNames.some((n) => n.includes("*")),
        allowWildcardCertificates: false,
        allowAnyName: false,
        allowLocalhost: false,
        allowIpSans: false,
        enforceHostnames: true,
        serverFlag: true,
        clientFlag: r.clientAuth ?? false,
        keyType: "ec",
        keyBits: 256,
        ttl: props.leafTtl ?? "72h",
        maxTtl: props.leafMaxTtl ?? "720h",
        requireCn: false,
        generateLease: false,
        dependsOn: [setSigned],
      });
    }
    this.roles = roles;
  }
}
