import type { Construct } from "constructs";
import { Policy } from "../../policy";
import { SecureStorageAccount } from "./storage-account";
import { VnetFlowLog, type TrafficAnalyticsTarget } from "./vnet-flow-log";

/** Props of {@link flowLogStore}. */
export interface FlowLogStoreProps {
  /** The storage account's globally unique name. */
  readonly accountName: string;
  /** The flow log's name. */
  readonly flowLogName: string;
  readonly location: string;
  /** The account's resource group (the deployment's data group). */
  readonly resourceGroupName: string;
  /**
   * The VNet whose flows are recorded.
   * @default - no flow log: an existing VNet's flow log is its owner's (Azure takes one flow log per VNet)
   */
  readonly virtualNetworkId?: string;
  /** The workspace traffic analytics writes to. */
  readonly trafficAnalytics: TrafficAnalyticsTarget;
  /** Let `terraform destroy` remove the account. @default false - protected */
  readonly allowDestroy?: boolean;
  readonly tags?: Readonly<Record<string, string>>;
}

/** The flow-log account and, for a VNet the deployment created, its flow log. */
export interface FlowLogStore {
  readonly account: SecureStorageAccount;
  readonly flowLog?: VnetFlowLog;
}

/**
 * Where the VNet's flow logs go: a storage account of their own (`FlowLogStorage` in `scope`) and the VNet flow log
 * (`FlowLog` in `scope`), both in the caller's scope so that their addresses stay those written out by hand.
 *
 * Flow logs need the trusted-services exception on the account's public endpoint (Network Watcher cannot write
 * through a private endpoint) and the account key (Network Watcher writes with it; Microsoft documents that
 * rotating the keys breaks flow logs: FLOW_LOG_KEY_FACTS). So they get an account of their own, holding nothing
 * but flow logs; the data account stays fully private and Entra-only.
 */
export function flowLogStore(scope: Construct, props: FlowLogStoreProps): FlowLogStore {
  const account = new SecureStorageAccount(scope, "FlowLogStorage", {
    name: props.accountName,
    location: props.location,
    resourceGroupName: props.resourceGroupName,
    allowTrustedAzureServices: true,
    sharedAccessKeyEnabled: true,
    allowDestroy: props.allowDestroy,
    ...(props.tags ? { tags: props.tags } : {}),
  });
  Policy.suppress(account.resource, [
    {
      id: "AZ-5",
      reason:
        "Network Watcher writes VNet flow logs with the storage account key: azurerm 4.x has no identity argument on " +
        "azurerm_network_watcher_flow_log (hashicorp/terraform-provider-azurerm#30219), the only way to use Azure's " +
        "managed-identity flow logs. This account holds only flow logs, refuses public network access except to " +
        "trusted Azure services, and no principal of the platform reads or lists its keys.",
    },
  ]);
  if (props.virtualNetworkId === undefined) return { account };
  const flowLog = new VnetFlowLog(scope, "FlowLog", {
    name: props.flowLogName,
    location: props.location,
    virtualNetworkId: props.virtualNetworkId,
    storageAccountId: account.resource.id,
    trafficAnalytics: props.trafficAnalytics,
    ...(props.tags ? { tags: props.tags } : {}),
  });
  return { account, flowLog };
}
