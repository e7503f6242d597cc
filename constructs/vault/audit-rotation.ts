/**
 * What the audit trail relies on, as data with its sources:
 * - Vault answers a request only when at least one enabled audit device has written it ("If there are any
 *   audit devices enabled, Vault requires that at least one be able to persist the log before completing a
 *   Vault request": developer.hashicorp.com/vault/docs/audit, "Blocked audit devices"). With a second device
 *   that writes to stdout, a full or broken audit volume no longer stops Vault.
 * - The file device's `file_path = "stdout"` streams the entries to the server's standard output
 *   (developer.hashicorp.com/vault/docs/audit/file, "special keywords"), which the node's log agent sends to the
 *   cloud's log service with the container's other output.
 * - The file device reopens its file on SIGHUP (developer.hashicorp.com/vault/docs/audit/file, "Log file
 *   rotation"): the server's serve script moves a full file aside and signals it (vault-server.ts).
 * - The device does not rotate files itself ("The device does not currently assist with any log rotation",
 *   developer.hashicorp.com/vault/docs/audit/file).
 */
export const AUDIT_FACTS = {
  oneDeviceMustWrite: "developer.hashicorp.com/vault/docs/audit#blocked-audit-devices",
  stdoutKeyword: "stdout",
  reopenOnSighup: "developer.hashicorp.com/vault/docs/audit/file#log-file-rotation",
} as const;
