import { Construct } from "constructs";
import { MonitorDataCollectionRule } from "@cdktf/provider-azurerm/lib/monitor-data-collection-rule";
import { MonitorDataCollectionRuleAssociation } from "@cdktf/provider-azurerm/lib/monitor-data-collection-rule-association";

/**
 * Container Insights with managed-identity authentication: the cluster's monitoring add-on (oms_agent with
 * msi_auth_for_monitoring_enabled) sends what a data collection rule (DCR) associated with the cluster asks
 * for. As Microsoft's Terraform sample builds it (learn.microsoft.com/azure/azure-monitor/containers/
 * kubernetes-monitoring-enable, "Terraform"; Azure/prometheus-collector AddonTerraformTemplate): a DCR with the
 * `ContainerInsights` extension and its streams, flowing to the workspace, and an association named
 * `ContainerInsightsExtension`. ContainerLogV2 carries every container's stdout/stderr (Vault's audit device
 * on stdout among them) into the workspace, kept for its retention.
 */
export const CONTAINER_INSIGHTS = {
  extensionName: "ContainerInsights",
  associationName: "ContainerInsightsExtension",
  streams: ["Microsoft-ContainerLogV2", "Microsoft-KubeEvents", "Microsoft-KubePodInventory"],
  source: "learn.microsoft.com/azure/azure-monitor/containers/kubernetes-monitoring-enable (Terraform: azurerm_monitor_data_collection_rule + _association)",
} as const;

/** Props of {@link ContainerInsights}. */
export interface ContainerInsightsProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /** The cluster (its resource id). */
  readonly clusterId: string;
  /** The Log Analytics workspace (resource id). */
  readonly workspaceId: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** The data collection rule of Container Insights and its association with the cluster. */
export class ContainerInsights extends Construct {
  readonly rule: MonitorDataCollectionRule;

  constructor(scope: Construct, id: string, props: ContainerInsightsProps) {
    super(scope, id);
    const destination = "workspace";
    this.rule = new MonitorDataCollectionRule(this, "Rule", {
      name: `MSCI-${props.name}`,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      description: "Container Insights: container logs (v2), events and pod inventory of the cluster",
      destinations: { logAnalytics: [{ name: destination, workspaceResourceId: props.workspaceId }] },
      dataFlow: [{ streams: [...CONTAINER_INSIGHTS.streams], destinations: [destination] }],
      dataSources: {
        extension: [
          {
            name: CONTAINER_INSIGHTS.associationName,
            extensionName: CONTAINER_INSIGHTS.extensionName,
            streams: [...CONTAINER_INSIGHTS.streams],
            extensionJson: JSON.stringify({ dataCollectionSettings: { interval: "1m", namespaceFilteringMode: "Off", enableContainerLogV2: true } }),
          },
        ],
      },
      tags: { ...props.tags },
    });
    new MonitorDataCollectionRuleAssociation(this, "Association", {
      name: CONTAINER_INSIGHTS.associationName,
      targetResourceId: props.clusterId,
      dataCollectionRuleId: this.rule.id,
      description: "Container Insights of the cluster",
    });
  }
}
