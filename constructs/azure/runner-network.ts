import { Construct } from "constructs";
import { VirtualNetworkPeering } from "@cdktf/provider-azurerm/lib/virtual-network-peering";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import type { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import type { PrivateZone } from "./private-link";

const VNET_ID = /^\/subscriptions\/([0-9a-f-]{36})\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)$/i;

/** The parts of a VNet's resource id. */
export interface VirtualNetworkRef {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly name: string;
}

/** Splits `/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>`; undefined when it is not one. */
export function parseVirtualNetworkId(id: string): VirtualNetworkRef | undefined {
  const m = VNET_ID.exec(id);
  return m ? { id, subscriptionId: m[1].toLowerCase(), resourceGroupName: m[2], name: m[3] } : undefined;
}

/** Props of {@link RunnerNetwork}. */
export interface RunnerNetworkProps {
  /** Prefix of names (the deployment name). */
  readonly name: string;
  /** The existing VNet Terraform runs from (config `azure.runnerNetwork.virtualNetworkId`). */
  readonly runner: VirtualNetworkRef;
  /** The platform's VNet and its resource group. */
  readonly platform: { readonly id: string; readonly name: string };
  readonly platformResourceGroupName: string;
  /** Private DNS zones the runner must resolve (the Key Vault privatelink zone). */
  readonly dnsZones: readonly PrivateZone[];
  /**
   * The provider for the runner's subscription, when it is not the deployment's.
   * @default - the stack's provider
   */
  readonly runnerProvider?: AzurermProvider;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The network path from where Terraform runs to what it must reach privately. The key vaults have no public
 * access (the only vault setting AKS KMS supports besides "open to all networks"), so creating and refreshing
 * their keys, and a private cluster's API, need a runner inside a network of the customer's: a self-hosted CI
 * runner, or the network an administrator's VPN lands in. This peers that VNet with the platform's (no
 * forwarded traffic, no gateway transit) and links the private DNS zones to it, so the vaults' usual names
 * resolve there to their private endpoints (KEY_VAULT_FACTS, AKS_FACTS.privateClusterPeeredDns).
 *
 * The identity that applies needs Network Contributor on the runner's VNet (the peering has two halves).
 * A runner VNet that already links its own `privatelink.vaultcore.azure.net` zone (a hub with central DNS)
 * cannot take a second zone of that name: add the vaults' records to the hub's zone instead (docs/azure.md).
 */
export class RunnerNetwork extends Construct {
  readonly toRunner: VirtualNetworkPeering;
  readonly fromRunner: VirtualNetworkPeering;
  readonly dnsLinks: readonly PrivateDnsZoneVirtualNetworkLink[];
  private readonly props: RunnerNetworkProps;

  constructor(scope: Construct, id: string, props: RunnerNetworkProps) {
    super(scope, id);
    this.props = props;
    const peering = { allowVirtualNetworkAccess: true, allowForwardedTraffic: false, allowGatewayTransit: false, useRemoteGateways: false };
    this.toRunner = new VirtualNetworkPeering(this, "ToRunner", {
      name: `${props.name}-to-runner`,
      resourceGroupName: props.platformResourceGroupName,
      virtualNetworkName: props.platform.name,
      remoteVirtualNetworkId: props.runner.id,
      ...peering,
    });
    this.fromRunner = new VirtualNetworkPeering(this, "FromRunner", {
      name: `${props.name}-platform`,
      resourceGroupName: props.runner.resourceGroupName,
      virtualNetworkName: props.runner.name,
      remoteVirtualNetworkId: props.platform.id,
      provider: props.runnerProvider,
      ...peering,
    });
    // Only the zones this stack made: a customer's central zone is answered by their DNS (and a second link of
    // the runner's VNet to it would be refused).
    this.dnsLinks = props.dnsZones.filter((zone) => zone.own).map(
      (zone, i) =>
        new PrivateDnsZoneVirtualNetworkLink(this, i === 0 ? "DnsLink" : `DnsLink${i + 1}`, {
          name: `${props.name}-runner`,
          resourceGroupName: zone.resourceGroupName,
          privateDnsZoneName: zone.name,
          virtualNetworkId: props.runner.id,
          registrationEnabled: false,
          tags: { ...props.tags },
        }),
    );
  }

  /** Everything the runner's traffic to a private endpoint waits for. */
  get ready(): (VirtualNetworkPeering | PrivateDnsZoneVirtualNetworkLink)[] {
    return [this.toRunner, this.fromRunner, ...this.dnsLinks];
  }

  /**
   * Links a private cluster's API zone (the deployment's own `<name>.privatelink.<region>.azmk8s.io`, in its network
   * group: AKS_FACTS.privateClusterCustomZone) to the runner's VNet, so the runner resolves the API server's private name.
   */
  linkPrivateCluster(zone: PrivateZone): PrivateDnsZoneVirtualNetworkLink {
    return new PrivateDnsZoneVirtualNetworkLink(this, "ClusterDnsLink", {
      name: `${this.props.name}-runner`,
      resourceGroupName: zone.resourceGroupName,
      privateDnsZoneName: zone.name,
      virtualNetworkId: this.props.runner.id,
      registrationEnabled: false,
      tags: { ...this.props.tags },
    });
  }
}
