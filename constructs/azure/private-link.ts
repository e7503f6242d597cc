import { Construct } from "constructs";
import { PrivateDnsZone } from "@cdktf/provider-azurerm/lib/private-dns-zone";
import { PrivateDnsZoneVirtualNetworkLink } from "@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link";
import { PrivateEndpoint } from "@cdktf/provider-azurerm/lib/private-endpoint";
import { AZURE_PRIVATE_LINK_ZONES } from "../../config/cloud-facts";

/** The Private Link sub-resources this project reaches privately, and their public-cloud DNS zones. */
export const PRIVATE_LINK_ZONES = AZURE_PRIVATE_LINK_ZONES.value;

/**
 * A private DNS zone endpoints register in: one this stack created (`own`: linked to the VNet here, and to the
 * runner's network where Terraform must resolve it), or the customer's (a hub's central zone: their DNS answers it,
 * nothing of ours links it).
 */
export interface PrivateZone {
  readonly id: string;
  readonly name: string;
  readonly resourceGroupName: string;
  readonly own: boolean;
}

/** A customer's private DNS zone, by resource id (azure.existingNetwork.privateDnsZones). */
export function customerPrivateZone(id: string): PrivateZone {
  const parts = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/privateDnsZones\/([^/]+)$/i.exec(id);
  if (!parts) throw new Error(`'${id}' is not a private DNS zone resource id`);
  return { id, resourceGroupName: parts[1], name: parts[2].toLowerCase(), own: false };
}

/** A Private Link sub-resource (storage blob, Key Vault). */
export type PrivateLinkService = keyof typeof PRIVATE_LINK_ZONES;

/** Props of {@link PrivateLink}. */
export interface PrivateLinkProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /** The resource reached privately (storage account, Key Vault). */
  readonly targetResourceId: string;
  readonly service: PrivateLinkService;
  /** Subnet the endpoint's private IP lives in. */
  readonly subnetId: string;
  /** VNet whose resolver answers the service's name with the private IP. */
  readonly virtualNetworkId: string;
  /**
   * The private DNS zone of another endpoint of the same service (one zone per service and VNet: a second
   * zone of the same name would clash), or the customer's.
   * @default - a new zone for the service, linked to `virtualNetworkId`
   */
  readonly dnsZone?: PrivateZone;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A private endpoint with its private DNS zone, linked to the VNet: inside the network the service's usual
 * hostname resolves to a private address, so traffic never leaves the VNet and the service can refuse
 * public network access.
 */
export class PrivateLink extends Construct {
  readonly resource: PrivateEndpoint;
  readonly zone: PrivateZone;

  constructor(scope: Construct, id: string, props: PrivateLinkProps) {
    super(scope, id);
    const tags = { ...props.tags };
    if (props.dnsZone) {
      if (!props.dnsZone.own && props.dnsZone.name !== PRIVATE_LINK_ZONES[props.service]) throw new Error(`PrivateLink ${this.node.path}: a ${props.service} endpoint registers in ${PRIVATE_LINK_ZONES[props.service]}, not ${props.dnsZone.name}`);
      this.zone = props.dnsZone;
    } else {
      const zone = new PrivateDnsZone(this, "Zone", {
        name: PRIVATE_LINK_ZONES[props.service],
        resourceGroupName: props.resourceGroupName,
        tags,
      });
      new PrivateDnsZoneVirtualNetworkLink(this, "ZoneLink", {
        name: `${props.name}-link`,
        resourceGroupName: props.resourceGroupName,
        privateDnsZoneName: zone.name,
        virtualNetworkId: props.virtualNetworkId,
        registrationEnabled: false,
        tags,
      });
      this.zone = { id: zone.id, name: zone.name, resourceGroupName: zone.resourceGroupName, own: true };
    }
    this.resource = new PrivateEndpoint(this, "Resource", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      subnetId: props.subnetId,
      privateServiceConnection: {
        name: `${props.name}-connection`,
        privateConnectionResourceId: props.targetResourceId,
        subresourceNames: [props.service],
        isManualConnection: false,
      },
      privateDnsZoneGroup: { name: "default", privateDnsZoneIds: [this.zone.id] },
      tags,
    });
  }
}

/** Where a network's private endpoints live: every endpoint of the deployment shares these. */
export interface PrivateEndpointPlacement {
  readonly location: string;
  /** The group the endpoints (and the DNS zones they create) go in. */
  readonly resourceGroupName: string;
  /** Subnet the endpoints' private IPs live in. */
  readonly subnetId: string;
  /** VNet whose resolver answers the services' names with the private IPs. */
  readonly virtualNetworkId: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** What one private endpoint reaches: the parts of {@link PrivateLinkProps} that differ per endpoint. */
export type PrivateEndpointTarget = Pick<PrivateLinkProps, "name" | "targetResourceId" | "service" | "dnsZone">;

/**
 * The one way the platform places a private endpoint: a {@link PrivateLink} named `id` in `scope` (its address
 * stays that of a `PrivateLink` written there by hand), at the shared `placement`.
 */
export function privateEndpoint(scope: Construct, id: string, placement: PrivateEndpointPlacement, target: PrivateEndpointTarget): PrivateLink {
  return new PrivateLink(scope, id, { ...placement, ...target });
}
