import type { AzureDeployment } from "../config/schema";
import { resourceGroupId } from "../constructs/azure/resource-group";

/** The deployment's three resource groups. */
export type AzureGroupKind = "network" | "cluster" | "data";

/** One of the deployment's resource groups, as both the bootstrap and the cloud stack declare it. */
export interface AzureGroupSpec {
  /** Its construct id: the cloud stack's address (a contract), the bootstrap's too. */
  readonly constructId: string;
  readonly name: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Its resource id: where the bootstrap assigns the deploy roles, and what the cloud stack imports. */
  readonly id: string;
}

/**
 * `<name>-network`, `<name>-cluster`, `<name>-data`. The bootstrap `<name>-deploy-roles` creates them, so that it can
 * assign the deploy roles at their scope before the cloud stack runs; the cloud stack `<name>-azure` adopts them
 * (import blocks) under the addresses it always had. Both declare them from here, with the same name, location and
 * tags, so neither state sees the other's apply as drift.
 */
export function azureResourceGroups(d: AzureDeployment): Readonly<Record<AzureGroupKind, AzureGroupSpec>> {
  const spec = (constructId: string, suffix: AzureGroupKind): AzureGroupSpec => {
    const name = `${d.name}-${suffix}`;
    return { constructId, name, location: d.region, tags: { ...d.tags, deployment: d.name }, id: resourceGroupId(d.azure.subscriptionId, name) };
  };
  return { network: spec("NetworkGroup", "network"), cluster: spec("ClusterGroup", "cluster"), data: spec("DataGroup", "data") };
}
