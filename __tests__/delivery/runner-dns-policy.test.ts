import { Testing } from "cdktf";
import { readConfigFile, validateDeployment } from "../../config/load";
import { deploymentOn, type DeploymentInput } from "../../config/schema";
import { AzureDeployRolesStack } from "../../stacks/bootstrap/azure-deploy-roles-stack";
import { RUNNER_DNS_POLICY_FACTS } from "../../stacks/bootstrap/azure-runner-dns-policy";
import { synthesizedStacks } from "../support/deployments";

/**
 * The runner-DNS policy (stacks/bootstrap/azure-runner-dns-policy.ts), evaluated as Azure Policy evaluates a rule on a
 * create request (RUNNER_DNS_POLICY_FACTS: `allOf`, `field` with `equals` / `notIn` compared case-insensitively, a
 * child's `fullName` is `<parent>/<child>`), over the bootstrap's synthesized definition. The requests are the zone links
 * of each example's synthesized cloud stack, their names resolved here from its JSON, and links the stacks never make.
 */

type Body = Record<string, unknown>;
type Tf = { resource: Record<string, Record<string, Body>> };
type Condition = { allOf?: Condition[]; anyOf?: Condition[]; not?: Condition; field?: string; equals?: string; notIn?: string[]; in?: string[] };
type Request = { type: string; fullName: string; properties: Record<string, string> };

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
function matches(c: Condition, r: Request): boolean {
  if (c.allOf) return c.allOf.every((x) => matches(x, r));
  if (c.anyOf) return c.anyOf.some((x) => matches(x, r));
  if (c.not) return !matches(c.not, r);
  const value = c.field === "type" ? r.type : c.field === RUNNER_DNS_POLICY_FACTS.fullName.value ? r.fullName : r.properties[c.field ?? ""];
  if (value === undefined) throw new Error(`no value for field ${String(c.field)} in this evaluator`);
  if (c.equals !== undefined) return same(value, c.equals);
  if (c.in) return c.in.some((x) => same(value, x));
  if (c.notIn) return !c.notIn.some((x) => same(value, x));
  throw new Error(`operator of ${JSON.stringify(c)} not in this evaluator`);
}

const EXAMPLES = [
  ["examples-azure", "examples/azure.yaml"],
  ["examples-azure-estate", "examples/azure-estate.yaml"],
  ["examples-azure-estate-keys", "examples/azure-estate-keys.yaml"],
] as const;

describe.each(EXAMPLES)("Azure %s: no zone linked to the runner's VNet but the stacks' own", (key, file) => {
  const d = deploymentOn("azure", validateDeployment(readConfigFile(file) as DeploymentInput, file));
  const runner = d.azure.runnerNetwork.virtualNetworkId;
  const boot = JSON.parse(Testing.synth(new AzureDeployRolesStack(Testing.app(), `${d.name}-deploy-roles`, { deployment: d }))) as Tf;
  const cloud = synthesizedStacks(key)[`${d.name}-azure`] as unknown as Tf;
  const definition = Object.values(boot.resource.azurerm_policy_definition ?? {})[0];
  const rule = definition ? (JSON.parse(String(definition.policy_rule)) as { if: Condition; then: { effect: string } }) : undefined;
  const denied = (r: Request) => rule !== undefined && matches(rule.if, r) && rule.then.effect.toLowerCase() === "deny";
  const link = (zone: string, name: string, vnet: string): Request => ({ type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks", fullName: `${zone}/${name}`, properties: { [RUNNER_DNS_POLICY_FACTS.virtualNetworkAlias.value]: vnet } });
  // Every zone link of the cloud stack, its zone's name read through the reference to the zone.
  const links = Object.values(cloud.resource.azurerm_private_dns_zone_virtual_network_link ?? {}).map((l) => {
    const ref = /^\$\{azurerm_private_dns_zone\.(\w+)\.name\}$/.exec(String(l.private_dns_zone_name));
    const zone = ref ? String(cloud.resource.azurerm_private_dns_zone[ref[1]].name) : String(l.private_dns_zone_name);
    return link(zone, String(l.name), String(l.virtual_network_id));
  });
  const toRunner = links.filter((l) => same(l.properties[RUNNER_DNS_POLICY_FACTS.virtualNetworkAlias.value], runner));

  // The estate example links no zone of its own to the runner (the hub's zones answer there): then CI may join nothing
  // to the runner's VNet, and no policy is needed.
  const linksRunner = key !== "examples-azure-estate";
  test("the stacks link their own zones to the runner's VNet exactly when CI may join zones to it", () => {
    expect(toRunner.length > 0).toBe(linksRunner);
    expect(definition !== undefined).toBe(linksRunner);
    const atRunner = Object.values(boot.resource.azurerm_role_assignment).filter((a) => same(String(a.scope), runner));
    const held = atRunner.flatMap((a) => (boot.resource.azurerm_role_definition[/azurerm_role_definition\.(\w+)\./.exec(String(a.role_definition_id))![1]].permissions as { actions: string[] }[])[0].actions);
    expect(held.includes("Microsoft.Network/virtualNetworks/join/action")).toBe(linksRunner);
  });

  test("every link the stacks make is allowed, the runner's included", () => {
    expect(links.filter(denied)).toEqual([]);
  });

  test("any other zone linked to the runner's VNet is denied, whatever its name or casing; links to other VNets are not this policy's", () => {
    if (!linksRunner) {
      // Nothing to link: CI cannot join the runner's VNet at all (above), so no link of any zone reaches it.
      expect(rule).toBeUndefined();
      return;
    }
    for (const zone of ["github.com", "login.microsoftonline.com", "privatelink.blob.core.windows.net", "registry.npmjs.org"]) {
      expect([zone, denied(link(zone, `${d.name}-runner`, runner))]).toEqual([zone, true]);
      expect([zone, denied(link(zone, "x", runner.toUpperCase()))]).toEqual([zone, true]);
    }
    // The stacks' own zone under another link name is another link.
    expect(denied(link(toRunner[0].fullName.split("/")[0], "second", runner))).toBe(true);
    expect(denied(link("github.com", "x", `${runner}-other`))).toBe(false);
  });

  test("assigned at every group where CI writes zones and links, and nowhere else; no deploy role holds a policy action", () => {
    const writeGroups = Object.values(boot.resource.azurerm_role_assignment).filter((a) => String(a.role_definition_id).includes("azurerm_role_definition.WriteRole.")).map((a) => String(a.scope)).sort();
    const assigned = Object.values(boot.resource.azurerm_resource_group_policy_assignment).filter((a) => String(a.policy_definition_id).includes("azurerm_policy_definition.")).map((a) => String(a.resource_group_id)).sort();
    expect(writeGroups.length).toBeGreaterThanOrEqual(3);
    expect(assigned).toEqual(linksRunner ? writeGroups : []);
    for (const r of Object.values(boot.resource.azurerm_role_definition)) {
      expect((r.permissions as { actions: string[] }[])[0].actions.filter((a) => a.startsWith("Microsoft.Authorization/policy"))).toEqual([]);
    }
  });
});
