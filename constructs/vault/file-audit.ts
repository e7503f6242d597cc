import { Construct } from "constructs";
import { Audit } from "@cdktf/provider-vault/lib/audit";
import { VAULT_SERVER_PATHS } from "./vault-server";

/** Props of FileAudit. */
export interface FileAuditProps {
  /** @default "/vault/audit/audit.log" - on the server's encrypted audit volume */
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
 * encrypted audit volume of each Vault server. Vault refuses requests it cannot audit.
 */
export class FileAudit extends Construct {
  readonly resource: Audit;

  constructor(scope: Construct, id: string, props: FileAuditProps = {}) {
    super(scope, id);
    this.resource = new Audit(this, "Resource", {
      type: "file",
      path: "file",
      description: "File audit log on the encrypted audit volume",
      options: { file_path: props.filePath ?? `${VAULT_SERVER_PATHS.audit}/audit.log`, log_raw: "false", hmac_accessor: "true", format: "json", mode: "0600" },
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
  }
}
