import { readConfigFile } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { AZURE_PRIVATE_LINK_ZONES } from "../../config/cloud-facts";
import { configProblems } from "../support/config-problems";
import { synthesizedStacks } from "../support/deployments";
import { blocksOf, type StackJson } from "../support/estate";

// Hub and spoke: the estate resolves Private Link names with central zones linked to the hub. A VNet takes one zone
// of a name, so a zone of ours linked to the spoke (or the runner's hub VNet) would be refused, and records in it would
// not be what the estate's DNS answers. With azure.existingNetwork.privateDnsZones the endpoints register in the
// customer's zones (examples/azure-estate.yaml), and the stack creates and links none of those names.
const HUB = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/hub-dns/providers/Microsoft.Network/privateDnsZones";
const cloud = () => (synthesizedStacks("examples-azure-estate") as unknown as Record<string, StackJson>)["contoso-estate-azure"];
const plain = () => (synthesizedStacks("examples-azure") as unknown as Record<string, StackJson>)["contoso-prod-azure"];
const endpoints = (s: StackJson) => Object.entries(blocksOf(s, "azurerm_private_endpoint"));
const zoneIdsOf = (endpoint: Record<string, unknown>) => (endpoint.private_dns_zone_group as { private_dns_zone_ids: string[] }).private_dns_zone_ids;

test("every private endpoint registers in the customer's zone of its service", () => {
  const all = endpoints(cloud());
  expect(all.length).toBeGreaterThanOrEqual(4); // unseal, etcd, certificate vaults; data storage
  for (const [id, e] of all) {
    const service = (e.private_service_connection as { subresource_names: string[] }).subresource_names[0] as keyof typeof AZURE_PRIVATE_LINK_ZONES.value;
    expect([id, zoneIdsOf(e)]).toEqual([id, [`${HUB}/${AZURE_PRIVATE_LINK_ZONES.value[service]}`]]);
  }
});

test("no zone of those names is created, and none is linked to the spoke or the runner's network", () => {
  expect(blocksOf(cloud(), "azurerm_private_dns_zone")).toEqual({});
  const links = Object.values(blocksOf(cloud(), "azurerm_private_dns_zone_virtual_network_link")).map((l) => String(l.private_dns_zone_name));
  for (const zone of Object.values(AZURE_PRIVATE_LINK_ZONES.value)) expect(links.join(" ")).not.toContain(zone);
  // The keys still wait for what lets terraform reach the vaults: their endpoints and the runner's peering.
  const key = Object.values(blocksOf(cloud(), "azurerm_key_vault_key"))[0];
  expect(key.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^azurerm_private_endpoint\./), expect.stringMatching(/^azurerm_virtual_network_peering\./)]));
});

test("without the option the stack keeps its own zones, linked to its VNet and the runner's (created network, examples/azure.yaml)", () => {
  const zones = Object.values(blocksOf(plain(), "azurerm_private_dns_zone")).map((z) => z.name).sort();
  expect(zones).toEqual([AZURE_PRIVATE_LINK_ZONES.value.blob, AZURE_PRIVATE_LINK_ZONES.value.vault]);
  for (const [, e] of endpoints(plain())) expect(zoneIdsOf(e)[0]).toMatch(/^\$\{azurerm_private_dns_zone\./);
  expect(Object.keys(blocksOf(plain(), "azurerm_private_dns_zone_virtual_network_link")).some((id) => id.startsWith("RunnerNetwork_DnsLink"))).toBe(true);
});

test("refused: a zone id of another name, or not a private DNS zone id; the field and the expected name are given", () => {
  const example = readConfigFile("examples/azure-estate.yaml") as DeploymentInput & { azure: { existingNetwork: Record<string, unknown> } };
  expect(configProblems(example)).toEqual([]);
  const withZones = (zones: Record<string, string>) => ({ ...example, azure: { ...example.azure, existingNetwork: { ...example.azure.existingNetwork, privateDnsZones: zones } } });
  expect(configProblems(withZones({ vault: `${HUB}/privatelink.blob.core.windows.net` }))).toEqual([
    expect.stringMatching(/^azure\.existingNetwork\.privateDnsZones\.vault: must be the resource id of your privatelink\.vaultcore\.azure\.net zone: \/subscriptions\/<id>\/resourceGroups\/<group>\/providers\/Microsoft\.Network\/privateDnsZones\/privatelink\.vaultcore\.azure\.net/),
  ]);
  expect(configProblems(withZones({ blob: "privatelink.blob.core.windows.net" }))).toEqual([expect.stringMatching(/^azure\.existingNetwork\.privateDnsZones\.blob: must be the resource id of your privatelink\.blob\.core\.windows\.net zone/)]);
  expect(configProblems(withZones({ table: `${HUB}/privatelink.table.core.windows.net` }))).toEqual([expect.stringMatching(/^azure\.existingNetwork\.privateDnsZones\.table: unknown field/)]);
});
