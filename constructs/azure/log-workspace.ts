import { Construct } from "constructs";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";

/** Props of {@link LogWorkspace}. */
export interface LogWorkspaceProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /** Days logs are kept. @default 90 */
  readonly retentionDays?: number;
  /** Let `terraform destroy` remove the workspace (and the audit trail in it). @default false - lifecycle prevent_destroy */
  readonly allowDestroy?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The Log Analytics workspace that receives the cluster's control-plane logs (API server, audit, Entra
 * guard), the Key Vault's audit events and the storage account's access logs. Local (shared key)
 * authentication is off: readers and writers authenticate with Entra ID.
 */
export class LogWorkspace extends Construct {
  readonly resource: LogAnalyticsWorkspace;

  constructor(scope: Construct, id: string, props: LogWorkspaceProps) {
    super(scope, id);
    this.resource = new LogAnalyticsWorkspace(this, "Resource", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      sku: "PerGB2018",
      retentionInDays: props.retentionDays ?? 90,
      localAuthenticationEnabled: false,
      tags: { ...props.tags },
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
  }
}
