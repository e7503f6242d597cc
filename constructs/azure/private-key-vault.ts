import type { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { privateEndpoint, type PrivateEndpointPlacement, type PrivateLink, type PrivateZone } from "./private-link";
import type { SingleKeyVault, SingleKeyVaultProps } from "./single-key-vault";

/** The private endpoint of a {@link privateKeyVault}. */
export interface KeyVaultEndpointProps {
  /** Name of the endpoint (its connection is `<name>-connection`). */
  readonly name: string;
  readonly placement: PrivateEndpointPlacement;
  /**
   * The VNet's privatelink.vaultcore.azure.net zone, when another vault's endpoint already made it (one zone of a
   * name per VNet).
   * @default - a new zone, linked to the placement's VNet
   */
  readonly dnsZone?: PrivateZone;
}

/** A closed single-key vault and the private endpoint Terraform reaches it through. */
export interface PrivateKeyVault<V extends SingleKeyVault> {
  readonly vault: V;
  readonly endpoint: PrivateLink;
  /**
   * Makes the key wait for its endpoint and for what else lets Terraform reach the vault from where it runs
   * (the runner's peering and DNS link): the key is a data-plane object of a vault without public access.
   */
  keyWaitsFor(...deps: ITerraformDependable[]): void;
}

/**
 * One of the platform's key vaults (a {@link SingleKeyVault} of kind `kind`, `id` in `scope`) with its private
 * endpoint (`<id>Endpoint` in `scope`). Both are created in the caller's scope, so their addresses are those of
 * the vault and endpoint written out by hand: moving them under a construct of their own would replace them.
 */
export function privateKeyVault<V extends SingleKeyVault, P extends SingleKeyVaultProps>(
  scope: Construct,
  id: string,
  kind: new (scope: Construct, id: string, props: P) => V,
  props: P,
  endpointProps: KeyVaultEndpointProps,
): PrivateKeyVault<V> {
  const vault = new kind(scope, id, props);
  const endpoint = privateEndpoint(scope, `${id}Endpoint`, endpointProps.placement, {
    name: endpointProps.name,
    targetResourceId: vault.resource.id,
    service: "vault",
    ...(endpointProps.dnsZone ? { dnsZone: endpointProps.dnsZone } : {}),
  });
  return { vault, endpoint, keyWaitsFor: (...deps) => vault.reachableThrough(endpoint.resource, ...deps) };
}
