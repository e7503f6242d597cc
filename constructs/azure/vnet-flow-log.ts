import { Construct } from "constructs";
import { NetworkWatcherFlowLog } from "@cdktf/provider-azurerm/lib/network-watcher-flow-log";

/** One fact the flow-log account's key exception rests on, with where it is written. */
export interface FlowLogKeyFact {
  readonly fact: string;
  readonly source: string;
}

/**
 * Why the storage account that receives flow logs keeps usable account keys (a documented exception to
 * "no shared keys", policy rule AZ-5 suppressed on that account only), and what bounds them. Tests hold
 * the synthesized account and the pinned provider binding against these facts; when the provider gains
 * the flow log's identity argument, a test fails and the exit applies: a user-assigned identity with
 * Storage Blob Data Contributor on the account, shared keys off, the suppression gone.
 */
export const FLOW_LOG_KEY_FACTS = {
  noIdentityArgument: {
    fact: "azurerm_network_watcher_flow_log has no identity argument, so Network Watcher writes the flow logs with the account key; turning shared-key access off stops them",
    source:
      "hashicorp/terraform-provider-azurerm v4.55.0 internal/services/network/network_watcher_flow_log_resource.go (schema without identity), open request hashicorp/terraform-provider-azurerm#30219; the REST resource's identity (learn.microsoft.com network-watcher/vnet-flow-logs-managed-identity) is out of reach",
  },
  keysInState: {
    fact: "the provider's read of azurerm_storage_account lists the account keys and stores primary_access_key, secondary_access_key and the connection strings in state (sensitive attributes) whenever the identity running terraform may list them: the keys are in state on every cloud stack apply",
    source:
      "hashicorp/terraform-provider-azurerm v4.55.0 internal/services/storage/storage_account_resource.go resourceStorageAccountRead (client.ListKeys; a 401/403 or a ReadOnly lock's 409 leaves them empty), primary_access_key: Sensitive",
  },
  firewallBoundsTheKeys: {
    fact: "with network_rules default_action Deny, no ip_rules and no virtual_network_subnet_ids, a request carrying the key from the internet or any network is refused; only the trusted-services exception (bypass AzureServices) admits requests, from resources of those services in the subscription (a docs issue reports the same tenant too)",
    source: "learn.microsoft.com/azure/storage/common/storage-network-security (Trusted access for resources registered in your subscription); MicrosoftDocs/azure-docs#120541",
  },
  stateStaysInTheAccount: {
    fact: "the state holding the keys is read only by the deploying identities, on the self-hosted runner in the customer's network; no workflow uploads state or a plan file",
    source: "docs/deployment-guide.md section 8 (Plans and state never leave the customer's network); __tests__/delivery/ci-secrets.test.ts",
  },
} as const satisfies Readonly<Record<string, FlowLogKeyFact>>;

/** Which Network Watcher records the flow logs. */
export interface NetworkWatcherRef {
  readonly name: string;
  readonly resourceGroupName: string;
}

/** The Log Analytics workspace traffic analytics writes to. */
export interface TrafficAnalyticsTarget {
  /** The workspace's GUID (`workspace_id`), not its resource id. */
  readonly workspaceId: string;
  readonly workspaceResourceId: string;
  readonly location: string;
}

/** Props of {@link VnetFlowLog}. */
export interface VnetFlowLogProps {
  readonly name: string;
  readonly location: string;
  /** The VNet whose flows are recorded (VNet flow logs: every subnet and NIC in it). */
  readonly virtualNetworkId: string;
  /** Standard storage account in the same region that receives the logs. */
  readonly storageAccountId: string;
  /**
   * The region's Network Watcher. Azure allows one per region and subscription and creates it itself,
   * as `NetworkWatcher_<location>` in `NetworkWatcherRG`, when the first VNet of the region is created.
   * @default - { name: `NetworkWatcher_<location>`, resourceGroupName: "NetworkWatcherRG" }
   */
  readonly networkWatcher?: NetworkWatcherRef;
  /** Days the raw logs are kept in the storage account. @default 90 */
  readonly retentionDays?: number;
  /** Also feed traffic analytics (every 10 minutes) into this workspace. @default - raw logs only */
  readonly trafficAnalytics?: TrafficAnalyticsTarget;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * VNet flow logs (version 2) to a storage account with a retention policy. VNet flow logs replace NSG flow
 * logs (no new NSG flow logs since mid-2025) and cover every subnet at once.
 */
export class VnetFlowLog extends Construct {
  readonly resource: NetworkWatcherFlowLog;

  constructor(scope: Construct, id: string, props: VnetFlowLogProps) {
    super(scope, id);
    const watcher = props.networkWatcher ?? { name: `NetworkWatcher_${props.location}`, resourceGroupName: "NetworkWatcherRG" };
    const ta = props.trafficAnalytics;
    this.resource = new NetworkWatcherFlowLog(this, "Resource", {
      name: props.name,
      location: props.location,
      networkWatcherName: watcher.name,
      resourceGroupName: watcher.resourceGroupName,
      targetResourceId: props.virtualNetworkId,
      storageAccountId: props.storageAccountId,
      enabled: true,
      version: 2,
      retentionPolicy: { enabled: true, days: props.retentionDays ?? 90 },
      trafficAnalytics: ta
        ? { enabled: true, intervalInMinutes: 10, workspaceId: ta.workspaceId, workspaceRegion: ta.location, workspaceResourceId: ta.workspaceResourceId }
        : undefined,
      tags: { ...props.tags },
    });
  }
}
