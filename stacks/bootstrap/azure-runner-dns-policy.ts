import type { TerraformStack } from "cdktf";
import type { AzureSettings } from "../../config/schema";
import { REF, type TfJson } from "./azure-placement";

/**
 * Azure Policy facts the runner-DNS policy relies on, with their sources.
 *
 * The apply identity links the deployment's private DNS zones to the runner's VNet, so it holds
 * `virtualNetworks/join/action` there and writes zones and links in its groups. Azure RBAC cannot say which zone: with
 * those two, a pipeline could create any zone (`github.com`, `login.microsoftonline.com`, another service's privatelink
 * zone) in its groups and link it to the runner's VNet, answering those names for every job that runs there, other
 * teams' included. Azure Policy can see the link: a Deny at the deployment's groups refuses any link to the runner's VNet
 * but the ones the stacks make, by their full names (`<zone>/<link>`). CI holds no policy action, so it cannot lift it.
 */
export const RUNNER_DNS_POLICY_FACTS = {
  /** The alias of a zone link's VNet. */
  virtualNetworkAlias: {
    value: "Microsoft.Network/privateDnsZones/virtualNetworkLinks/virtualNetwork.id",
    source:
      "Azure Policy alias list for Microsoft.Network (az provider show --namespace Microsoft.Network --expand resourceTypes/aliases); used by the Azure Landing Zones " +
      "policy 'Deploy-Private-DNS-Generic' and Azure/Enterprise-Scale policies (field 'Microsoft.Network/privateDnsZones/virtualNetworkLinks/virtualNetwork.id')",
  },
  /** `fullName`: a child resource's name with its parents', `<zone>/<link>`. */
  fullName: {
    value: "fullName",
    source:
      "https://learn.microsoft.com/azure/governance/policy/concepts/definition-structure-policy-rule#fields ('fullName: Returns the full name of the resource. " +
      "The full name of a resource is the resource name prepended by any parent resource names (for example \"myServer/myDatabase\")')",
  },
  /** Conditions compare strings case-insensitively; `deny` refuses the create or update request. */
  semantics: {
    value: { caseInsensitive: true, effect: "deny" },
    source:
      "https://learn.microsoft.com/azure/governance/policy/concepts/definition-structure-policy-rule#conditions ('When using the equals ... in and notIn conditions, " +
      "... the comparison is case-insensitive'); https://learn.microsoft.com/azure/governance/policy/concepts/effect-deny ('deny is used to prevent a resource request')",
  },
} as const;

/** The policy rule: no zone link to `runnerVnetId` but the `allowed` full names (`<zone>/<link>`). */
export function runnerDnsPolicyRule(runnerVnetId: string, allowed: readonly string[]): Record<string, unknown> {
  return {
    if: {
      allOf: [
        { field: "type", equals: "Microsoft.Network/privateDnsZones/virtualNetworkLinks" },
        { field: RUNNER_DNS_POLICY_FACTS.virtualNetworkAlias.value, equals: runnerVnetId },
        { field: RUNNER_DNS_POLICY_FACTS.fullName.value, notIn: [...allowed] },
      ],
    },
    then: { effect: RUNNER_DNS_POLICY_FACTS.semantics.value.effect },
  };
}

/**
 * The full names (`<zone>/<link>`) of every private DNS zone link the deployment's stacks make to the runner's VNet,
 * read from their synthesized JSON: the zone's name and the link's must be literal (the policy names them before they
 * exist), or the bootstrap stops.
 */
export function runnerLinkNames(stacks: readonly TerraformStack[], az: AzureSettings): string[] {
  const runner = az.runnerNetwork.virtualNetworkId.toLowerCase();
  const names = new Set<string>();
  for (const stack of stacks) {
    const json = stack.toTerraform() as TfJson;
    for (const [id, link] of Object.entries(json.resource?.azurerm_private_dns_zone_virtual_network_link ?? {})) {
      if (String(link.virtual_network_id).toLowerCase() !== runner) continue;
      const where = `${stack.node.id}/azurerm_private_dns_zone_virtual_network_link.${id}`;
      const zoneName = String(link.private_dns_zone_name);
      const m = REF.exec(zoneName);
      const zone = m ? (m[1] || m[2] !== "azurerm_private_dns_zone" || m[4] !== "name" || m[5] ? undefined : json.resource?.azurerm_private_dns_zone?.[m[3]]?.name) : zoneName;
      if (typeof zone !== "string" || zone.includes("${") || typeof link.name !== "string" || link.name.includes("${")) {
        throw new Error(`${where}: a link to the runner's VNet whose zone or name is not literal (${zoneName}, ${String(link.name)}); the runner-DNS policy must name it before it exists`);
      }
      names.add(`${zone}/${link.name}`);
    }
  }
  return [...names].sort();
}
