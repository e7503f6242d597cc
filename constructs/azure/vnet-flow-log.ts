import { Construct } from "constructs";
import { NetworkWatcherFlowLog } from "@cdktf/provider-azurerm/lib/network-watcher-flow-log";

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
