import { scheduledLoop } from "../kubernetes/platform-pod";

/**
 * What the audit trail relies on, as data with its sources:
 * - Vault answers a request only when at least one enabled audit device has written it ("If there are any
 *   audit devices enabled, Vault requires that at least one be able to persist the log before completing a
 *   Vault request": developer.hashicorp.com/vault/docs/audit, "Blocked audit devices"). With a second device
 *   that writes to stdout, a full or broken audit volume no longer stops Vault.
 * - The file device's `file_path = "stdout"` streams the entries to the server's standard output
 *   (developer.hashicorp.com/vault/docs/audit/file, "special keywords"), which the node's log agent sends to the
 *   cloud's log service with the container's other output.
 * - The file device opens its file with O_APPEND|O_WRONLY|O_CREATE and keeps it open (hashicorp/vault v1.18.3
 *   internal/observability/event/sink_file.go `open`): after the file is truncated, every write lands at its new
 *   end, so copy-then-truncate rotation needs no signal to Vault and leaves no hole. Entries written between the
 *   copy and the truncation miss the rotated copy; the stdout device has them.
 * - The device does not rotate files itself ("The device does not currently assist with any log rotation",
 *   developer.hashicorp.com/vault/docs/audit/file).
 */
export const AUDIT_FACTS = {
  oneDeviceMustWrite: "developer.hashicorp.com/vault/docs/audit#blocked-audit-devices",
  stdoutKeyword: "stdout",
  appendOnlyFile: "hashicorp/vault v1.18.3 internal/observability/event/sink_file.go (os.O_APPEND|os.O_WRONLY|os.O_CREATE)",
} as const;

/** How the audit file on the volume is rotated. */
export interface AuditRotationOptions {
  /** The audit log file. */
  readonly file: string;
  /** Rotate once the file is this large. @default 104857600 (100 MiB) */
  readonly maxBytes?: number;
  /** Compressed generations kept beside it (`<file>.1.gz` newest). @default 4 */
  readonly keep?: number;
  /** How often the size is checked. @default 60 */
  readonly intervalSeconds?: number;
}

/** The defaults, for documentation and tests: at most 100 MiB live plus 4 compressed generations on the volume. */
export const AUDIT_ROTATION_DEFAULTS = { maxBytes: 100 * 1024 * 1024, keep: 4, intervalSeconds: 60 } as const;

/**
 * A POSIX sh loop (BusyBox in the Vault image) that rotates the audit file by copy-then-truncate: when it has
 * grown past `maxBytes`, older generations shift (`.1.gz` -> `.2.gz`, the oldest dropped), the file is
 * compressed to `.1.gz` (written aside, then renamed), and the file is truncated in place, where Vault keeps
 * appending (AUDIT_FACTS.appendOnlyFile). So the volume holds at most one live file and `keep` compressed ones.
 */
export function auditRotationScript(o: AuditRotationOptions): string {
  const max = o.maxBytes ?? AUDIT_ROTATION_DEFAULTS.maxBytes;
  const keep = o.keep ?? AUDIT_ROTATION_DEFAULTS.keep;
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`audit rotation: keep must be a whole number >= 1, got ${keep}`);
  const f = o.file;
  const round = [
    `  [ -f ${f} ] || return 0`,
    `  [ "$(wc -c < ${f})" -ge ${max} ] || return 0`,
    `  rm -f ${f}.${keep}.gz`,
    `  for i in $(seq ${keep - 1} -1 1); do [ ! -f ${f}.$i.gz ] || mv ${f}.$i.gz ${f}.$((i + 1)).gz; done`,
    `  gzip -c ${f} > ${f}.1.gz.tmp && mv ${f}.1.gz.tmp ${f}.1.gz && : > ${f}`,
  ].join("\n");
  return scheduledLoop(round, o.intervalSeconds ?? AUDIT_ROTATION_DEFAULTS.intervalSeconds);
}
