import { readConfigFile, validateDeployment } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { AKS_FACTS } from "../../constructs/azure/azure-facts";
import { synthesizedStacks } from "../support/deployments";

// examples/azure-estate-keys.yaml: a private cluster (controlPlane.publicEndpoint: false). Its API name lives in the
// deployment's own zone (AKS_FACTS.privateClusterCustomZone), never in AKS's `System` zone, which AKS creates in the node
// resource group: a group that does not exist before the cluster, so the bootstrap could assign nothing on it, and the
// runner link's writes there could not be placed (the bootstrap stopped on it).

type Block = Record<string, unknown>;
type Stack = { resource: Record<string, Record<string, Block>> };

const d = validateDeployment(readConfigFile("examples/azure-estate-keys.yaml") as DeploymentInput, "examples/azure-estate-keys.yaml");
const cloud = synthesizedStacks("examples-azure-estate-keys")[`${d.name}-azure`] as unknown as Stack;
const only = (type: string) => {
  const all = Object.entries(cloud.resource[type] ?? {});
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
};
const ref = (type: string, id: string, attr: string) => `\${${type}.${id}.${attr}}`;

test("the example is a private cluster, with no public FQDN", () => {
  expect(d.controlPlane.publicEndpoint).toBe(false);
  const [, cluster] = only("azurerm_kubernetes_cluster");
  expect(cluster).toMatchObject({ private_cluster_enabled: true, private_cluster_public_fqdn_enabled: false });
});

test("its API zone is the deployment's own `<name>.privatelink.<region>.azmk8s.io`, in the network group, where the control-plane identity's Network Contributor (granted before the cluster) reaches it", () => {
  const [, cluster] = only("azurerm_kubernetes_cluster");
  const zones = cloud.resource.azurerm_private_dns_zone;
  const zoneId = Object.keys(zones).find((id) => ref("azurerm_private_dns_zone", id, "id") === cluster.private_dns_zone_id);
  expect(zoneId).toBeDefined();
  const zone = zones[zoneId!];
  const suffix = AKS_FACTS.privateClusterCustomZone.value.suffix(d.region);
  expect(zone.name).toBe(`${d.name}.${suffix}`);
  // The documented forms: privatelink.<region>.azmk8s.io or one subzone label before it.
  expect(String(zone.name)).toMatch(new RegExp(`^[a-z0-9-]+\\.${suffix.replace(/\./g, "\\.")}$`));
  const group = /^\$\{azurerm_resource_group\.(\w+)\.name\}$/.exec(String(zone.resource_group_name))![1];
  expect(cloud.resource.azurerm_resource_group[group].name).toBe(`${d.name}-network`);
  const grants = Object.entries(cloud.resource.azurerm_role_assignment).filter(([, a]) => a.scope === ref("azurerm_resource_group", group, "id") && a.role_definition_name === "Network Contributor");
  expect(grants.map(([id]) => id)).toEqual([expect.stringMatching(/^Cluster_IdentityNetworkContributor_/)]);
  expect(grants[0][1].principal_id).toMatch(/^\$\{azurerm_user_assigned_identity\.Cluster_Identity_\w+\.principal_id\}$/);
  const waits = Object.entries(cloud.resource.time_sleep).find(([id]) => id.startsWith("Cluster_IdentityGrantsPropagated_"))!;
  expect(waits[1].depends_on).toContain(`azurerm_role_assignment.${grants[0][0]}`);
  expect(cluster.depends_on).toContain(`time_sleep.${waits[0]}`);
  expect(JSON.stringify(cloud)).not.toContain('"System"');
});

test("the runner network resolves the API name: the same zone is linked to azure.runnerNetwork, in the zone's group", () => {
  const links = Object.entries(cloud.resource.azurerm_private_dns_zone_virtual_network_link).filter(([id]) => id.startsWith("RunnerNetwork_ClusterDnsLink_"));
  expect(links).toHaveLength(1);
  const [, link] = links[0];
  expect(link).toMatchObject({
    private_dns_zone_name: ref("azurerm_private_dns_zone", "ClusterDnsZone", "name"),
    resource_group_name: ref("azurerm_private_dns_zone", "ClusterDnsZone", "resource_group_name"),
    virtual_network_id: d.azure!.runnerNetwork.virtualNetworkId,
    registration_enabled: false,
  });
});
