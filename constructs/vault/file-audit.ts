import { Construct } from "constructs";
import { Audit } from "@cdktf/provider-vault/lib/audit";
import { AUDIT_FACTS } from "./audit-rotation";
import { VAULT_AUDIT_FILE } from "./vault-server";

/** Props of FileAudit. */
export interface FileAuditProps {
  /** @default "/vault/audit/audit.log" - on the server's encrypted audit volume, rotated in the pod */
  readonly filePath?: string;
  /**
   * Let a plan disable the device. Every argument of vault_audit forces a replacement, so any change is a
   * disable first: Vault writes no audit trail until the new device exists.
   * @default false - lifecycle prevent_destroy
   */
  readonly allowDestroy?: boolean;
}

/**
 * A file audit device: every request and response, secrets HMAC'd (never raw), written as JSON to the
 * encrypted audit volume of each Vault server, rotated there (audit-rotation.ts). StdoutAudit sends the same
 * entries off the box; Vault refuses a request only when no device could write it.
 */
export class FileAudit extends Construct {
  readonly resource: Audit;

  constructor(scope: Construct, id: string, props: FileAuditProps = {}) {
    super(scope, id);
    this.resource = new Audit(this, "Resource", {
      type: "file",
      path: "file",
      description: "File audit log on the encrypted audit volume",
      options: { file_path: props.filePath ?? VAULT_AUDIT_FILE, log_raw: "false", hmac_accessor: "true", format: "json", mode: "0600" },
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
  }
}

/**
 * The second audit device: the same entries (secrets HMAC'd) on the server's standard output, which the node's
 * log agent ships to the cloud's log service (CloudWatch Logs, Azure Monitor Logs, Cloud Logging). The trail
 * leaves the pod and its volume, and a full audit volume no longer blocks Vault: a request is answered when at
 * least one device wrote it (AUDIT_FACTS.oneDeviceMustWrite).
 */
export class StdoutAudit extends Construct {
  readonly resource: Audit;

  constructor(scope: Construct, id: string, props: { readonly allowDestroy?: boolean } = {}) {
    super(scope, id);
    this.resource = new Audit(this, "Resource", {
      type: "file",
      path: "stdout",
      description: "Audit log on the server's standard output, shipped to the cloud's log service",
      options: { file_path: AUDIT_FACTS.stdoutKeyword, log_raw: "false", hmac_accessor: "true", format: "json" },
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
  }
}
