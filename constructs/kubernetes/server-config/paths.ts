/**
 * Where Vault Agent renders secrets and certificates inside a pod: an in-memory volume, so no
 * credential ever reaches a disk, an image, a ConfigMap or Terraform state. Generated configuration
 * files only ever reference files under this directory; they never hold a secret themselves.
 */
export const VAULT_SECRETS_DIR = "/vault/secrets";

/** The PEM files Vault Agent renders from the PKI engine for a service's own certificate. */
export interface TlsFiles {
  /** Certificate chain (PEM). */
  readonly certFile: string;
  /** Private key (PEM). */
  readonly keyFile: string;
  /** The platform CA (PEM) that peers' and clients' certificates are verified against. */
  readonly caFile: string;
}

/** The TLS files at their standard place under `dir`. */
export function tlsFilesIn(dir: string = VAULT_SECRETS_DIR): TlsFiles {
  return { certFile: `${dir}/tls.crt`, keyFile: `${dir}/tls.key`, caFile: `${dir}/ca.crt` };
}
