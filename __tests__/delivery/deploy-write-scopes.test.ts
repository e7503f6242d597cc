import { Testing, TerraformStack } from "cdktf";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { PublicIp } from "@cdktf/provider-azurerm/lib/public-ip";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { vaultGroups } from "../../stacks/bootstrap/azure-grant-scopes";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { readConfigFile, validateDeployment } from "../../config/load";
import { deploymentOn, type DeploymentInput } from "../../config/schema";
import { AzureDeployRolesStack, GROUP_DELETES, VAULT_RBAC_ONLY_POLICY } from "../../stacks/bootstrap/azure-deploy-roles-stack";
import { AZURE_LINKED_ACTIONS, writeScopes } from "../../stacks/bootstrap/azure-write-scopes";
import { AZURE_ADMIN_ONLY_ACTIONS } from "../../stacks/bootstrap/azure-admin-only";
import { AZURE_PERMISSIONS } from "../../stacks/bootstrap/permission-facts";
import { derivePermissions } from "../../stacks/bootstrap/deploy-permissions";
import { azureResourceGroups } from "../../stacks/azure-resource-groups";
import { synthesizedStacks } from "../support/deployments";
import { AKS_FACTS } from "../../constructs/azure/azure-facts";

/**
 * CI's Azure writes reach only where the deployment's stacks write. Evaluated as Azure RBAC evaluates an action on a
 * resource (an assignment at a scope reaches that scope and what lies under it; the role must hold the action), over
 * the bootstrap's synthesized roles and assignments. The requests are built from the shipped deployments' synthesized
 * JSON and their configs, here, independently of the bootstrap's own placement (stacks/bootstrap/azure-placement.ts):
 * each resource's writes on its own id, and each linked action (AZURE_LINKED_ACTIONS, the facts) on the resource named.
 */

type Body = Record<string, unknown>;
type Tf = { resource?: Record<string, Record<string, Body>>; data?: Record<string, Record<string, Body>> };

const EXAMPLES = [
  ["examples-azure", "examples/azure.yaml"],
  ["examples-azure-estate", "examples/azure-estate.yaml"],
  ["examples-azure-estate-keys", "examples/azure-estate-keys.yaml"],
] as const;
const lies = (id: string, scope: string) => id.toLowerCase() === scope.toLowerCase() || id.toLowerCase().startsWith(`${scope.toLowerCase()}/`);
const load = (file: string) => deploymentOn("azure", validateDeployment(readConfigFile(file) as DeploymentInput, file));

/** Child resource ids, by type, under their parent (the ids ARM writes them at). */
const CHILD: Record<string, (b: Body, name: (v: unknown) => string) => string> = {
  azurerm_virtual_network_peering: (b, n) => `providers/Microsoft.Network/virtualNetworks/${n(b.virtual_network_name)}/virtualNetworkPeerings/${n(b.name)}`,
  azurerm_dns_a_record: (b, n) => `providers/Microsoft.Network/dnsZones/${n(b.zone_name)}/A/${n(b.name)}`,
  azurerm_private_dns_a_record: (b, n) => `providers/Microsoft.Network/privateDnsZones/${n(b.zone_name)}/A/${n(b.name)}`,
  azurerm_private_dns_zone_virtual_network_link: (b, n) => `providers/Microsoft.Network/privateDnsZones/${n(b.private_dns_zone_name)}/virtualNetworkLinks/${n(b.name)}`,
  azurerm_network_watcher_flow_log: (b, n) => `providers/Microsoft.Network/networkWatchers/${n(b.network_watcher_name)}/flowLogs/${n(b.name)}`,
  azurerm_subnet: (b, n) => `providers/Microsoft.Network/virtualNetworks/${n(b.virtual_network_name)}/subnets/${n(b.name)}`,
  azurerm_network_security_rule: (b, n) => `providers/Microsoft.Network/networkSecurityGroups/${n(b.network_security_group_name)}/securityRules/${n(b.name)}`,
};
const PARENTS = ["key_vault_id", "storage_account_id", "kubernetes_cluster_id", "nat_gateway_id", "subnet_id", "parent_id", "target_resource_id", "scope"];

describe.each(EXAMPLES)("Azure %s: CI writes only where the stacks write", (key, file) => {
  const d = load(file);
  const az = d.azure;
  const sub = `/subscriptions/${az.subscriptionId}`;
  const group = (name: string) => `${sub}/resourceGroups/${name}`;
  const boot = JSON.parse(Testing.synth(new AzureDeployRolesStack(Testing.app(), `${d.name}-deploy-roles`, { deployment: d }))) as Required<Tf>;
  const roles = boot.resource.azurerm_role_definition;
  const bootGroups = boot.resource.azurerm_resource_group;
  const scopeOf = (s: string) => {
    const m = /^\$\{azurerm_resource_group\.(\w+)\.id\}$/.exec(s);
    return m ? group(String(bootGroups[m[1]].name)) : s;
  };
  /** The apply identity's assignments: where, and which actions (the grant role's condition is tested in deploy-roles.test.ts). */
  const held = Object.values(boot.resource.azurerm_role_assignment)
    .filter((a) => a.principal_id === az.deployerObjectId && /azurerm_role_definition\.(\w+)\./.test(String(a.role_definition_id)))
    .map((a) => ({ scope: scopeOf(String(a.scope)), actions: (roles[/azurerm_role_definition\.(\w+)\./.exec(String(a.role_definition_id))![1]].permissions as { actions: string[] }[])[0].actions }));
  const cloudGroups = (Object.values(synthesizedStacks(key)) as unknown as Tf[]).flatMap((s) => Object.entries(s.resource?.azurerm_resource_group ?? {}));
  const nameOfGroup = (rg: string) => {
    const m = /^\$\{azurerm_resource_group\.(\w+)\.name\}$/.exec(rg);
    return m ? String(cloudGroups.find(([id]) => id === m[1])![1].name) : rg;
  };
  const allowed = (action: string, id: string) => held.some((h) => lies(id, h.scope) && h.actions.includes(action));
  const writesHeld = () => [...new Set(held.flatMap((h) => h.actions))].filter((a) => !reads.has(a));

  const stacks = Object.values(synthesizedStacks(key)) as unknown as Tf[];
  const reads = new Set(derivePermissions("azure", [...new Set(stacks.flatMap((s) => [...Object.keys(s.resource ?? {}), ...Object.keys(s.data ?? {}).map((t) => `data.${t}`)]))]).read);

  /** A resource's id as ARM sees it (resources in the deployment's groups by a stand-in name under their group), from the JSON and the config. */
  function idIn(tf: Tf, expression: string): string {
    if (!expression.startsWith("${")) return expression;
    const [, data, type, name, , rest] = /^\$\{(data\.)?(\w+)\.(\w+)\.(\w+)\}(.*)$/.exec(expression)!;
    if (data) {
      const vnet = az.existingNetwork!.virtualNetworkId;
      if (type === "azurerm_virtual_network") return vnet;
      if (type === "azurerm_subnet") return `${vnet}/subnets/${String(tf.data![type][name].name)}`;
      throw new Error(`no id for data.${type}`);
    }
    return `${resourceId(tf, type, name)}${rest}`;
  }
  function nameIn(tf: Tf, v: unknown): string {
    const s = String(v);
    const m = /^\$\{(data\.)?(\w+)\.(\w+)\.(name|resource_group_name)\}$/.exec(s);
    if (!m) return s;
    const body = (m[1] ? tf.data : tf.resource)![m[2]][m[3]];
    return nameIn(tf, body[m[4]]);
  }
  function resourceId(tf: Tf, type: string, name: string): string {
    const b = tf.resource![type][name];
    if (type === "azurerm_resource_group") return group(String(b.name));
    if (b.resource_group_name !== undefined) {
      const child = CHILD[type];
      return `${group(nameIn(tf, b.resource_group_name))}/${child ? child(b, (v) => nameIn(tf, v)) : `providers/${type}/${String(b.name)}`}`;
    }
    const parent = PARENTS.map((p) => b[p]).find((v) => typeof v === "string");
    return `${idIn(tf, String(parent))}/${type}/${name}`;
  }
  const at = (body: unknown, path: string[]): string[] =>
    path.length === 0 ? (Array.isArray(body) ? body.map(String) : typeof body === "string" ? [body] : []) : Array.isArray(body) ? body.flatMap((b) => at(b, path)) : body && typeof body === "object" ? at((body as Body)[path[0]], path.slice(1)) : [];

  /** Every write request the stacks make, and where ARM checks it. */
  const requests: { what: string; action: string; id: string }[] = [];
  for (const tf of stacks) {
    for (const [type, byName] of Object.entries(tf.resource ?? {})) {
      if (!type.startsWith("azurerm_")) continue;
      const linked = AZURE_LINKED_ACTIONS[type]?.refs ?? {};
      const linkedActions = new Set(Object.values(linked).flatMap((l) => (typeof l === "function" ? [] : l)));
      for (const [name, body] of Object.entries(byName)) {
        const own = resourceId(tf, type, name);
        for (const action of AZURE_PERMISSIONS[type].write) {
          if (reads.has(action) || (GROUP_DELETES as readonly string[]).includes(action) || linkedActions.has(action) || action.endsWith("/PrivateEndpointConnectionsApproval/action")) continue;
          requests.push({ what: `${type}.${name}`, action, id: own });
        }
        for (const [path, actions] of Object.entries(linked)) {
          for (const ref of at(body, path.split("."))) {
            const target = idIn(tf, ref);
            const targetType = /\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$|azurerm_key_vault\/[^/]+$/i.test(target) ? "Microsoft.KeyVault/vaults" : "Microsoft.Storage/storageAccounts";
            for (const action of typeof actions === "function" ? actions(targetType) : actions) {
              if (!reads.has(action)) requests.push({ what: `${type}.${name}.${path}`, action, id: target });
            }
          }
        }
      }
    }
  }

  test("every write of the stacks is allowed where ARM checks it: on the resource written, and each linked action on the resource named; except the federated credentials, an administrator's", () => {
    expect(requests.length).toBeGreaterThan(100);
    const adminOnly = (r: { action: string }) => (AZURE_ADMIN_ONLY_ACTIONS.value as readonly string[]).includes(r.action);
    const refused = requests.filter((r) => !allowed(r.action, r.id));
    expect(refused.filter((r) => !adminOnly(r))).toEqual([]);
    // Each workload identity's credentials (Vault's, the backups', a certificate reader's) are requested and refused.
    const credentials = requests.filter((r) => r.what.startsWith("azurerm_federated_identity_credential."));
    expect(credentials.length).toBeGreaterThanOrEqual(2);
    expect(refused.filter(adminOnly)).toEqual(credentials.filter(adminOnly));
  });

  test("no role federates an identity: a federated credential is refused on every identity of the deployment's groups, the control plane's and the key identities' included", () => {
    const identities = stacks.flatMap((tf) => Object.keys(tf.resource?.azurerm_user_assigned_identity ?? {}).map((name) => resourceId(tf, "azurerm_user_assigned_identity", name)));
    expect(identities.length).toBeGreaterThanOrEqual(3);
    for (const id of identities) {
      for (const action of AZURE_ADMIN_ONLY_ACTIONS.value) expect([id, action, allowed(action, `${id}/federatedIdentityCredentials/attacker`)]).toEqual([id, action, false]);
    }
  });

  test("the writes outside the deployment's groups are the customer's resources the config names, and Azure's network watcher", () => {
    const outside = [...new Set(requests.filter((r) => !["network", "cluster", "data"].some((k) => lies(r.id, group(`${d.name}-${k}`)))).map((r) => `${r.action} ${r.id}`))].sort();
    const runner = az.runnerNetwork.virtualNetworkId;
    expect(outside).toEqual(expect.arrayContaining([`Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write ${runner}/virtualNetworkPeerings/${d.name}-platform`, `Microsoft.Network/virtualNetworks/peer/action ${runner}`]));
    if (az.existingNetwork) {
      const e = az.existingNetwork;
      for (const s of [e.nodeSubnet.name, e.apiServerSubnet.name, e.privateEndpointSubnet.name]) expect(outside).toContain(`Microsoft.Network/virtualNetworks/subnets/join/action ${e.virtualNetworkId}/subnets/${s}`);
      for (const z of Object.values(e.privateDnsZones ?? {})) expect(outside).toContain(`Microsoft.Network/privateDnsZones/join/action ${z}`);
    } else {
      expect(outside).toContain(`Microsoft.Network/networkWatchers/flowLogs/write ${sub}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_${d.region}/flowLogs/${d.name}-vnet-flow-log`);
    }
    if (d.domain.certificate.source === "azure-key-vault") expect(outside).toContain(`Microsoft.KeyVault/vaults/PrivateEndpointConnectionsApproval/action ${d.domain.certificate.keyVaultId}`);
    const zone = d.domain.dnsZone;
    if (zone && "resourceGroupName" in zone) expect(outside.some((o) => o.includes(`/resourceGroups/${zone.resourceGroupName}/providers/Microsoft.Network/`) && o.includes(`Zones/${zone.zoneName}/A/`))).toBe(true);
  });

  test("nothing of another team's: every write any deploy role holds is refused on a resource in another group of the subscription", () => {
    expect(writesHeld().length).toBeGreaterThan(40);
    for (const other of [`${sub}/resourceGroups/other-team/providers/Microsoft.Storage/storageAccounts/theirs`, `${sub}/resourceGroups/other-team/providers/Microsoft.Network/virtualNetworks/theirs`, `${sub}/resourceGroups/other-team`]) {
      expect(writesHeld().filter((a) => allowed(a, other))).toEqual([]);
    }
  });

  test("at the customer's resources, only what the stacks do there: their VNets, subnets, zones, vault and watcher are never rewritten or deleted", () => {
    const runner = az.runnerNetwork.virtualNetworkId;
    const deny: [string, string][] = [
      ["Microsoft.Network/virtualNetworks/write", runner],
      ["Microsoft.Network/virtualNetworks/delete", runner],
      ["Microsoft.Network/virtualNetworks/subnets/write", `${runner}/subnets/runners`],
      ["Microsoft.Network/virtualNetworks/subnets/delete", `${runner}/subnets/runners`],
      ["Microsoft.Network/virtualNetworks/subnets/join/action", `${runner}/subnets/runners`],
      ["Microsoft.Network/networkWatchers/flowLogs/write", `${sub}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_northeurope/flowLogs/theirs`],
      ["Microsoft.Network/networkWatchers/flowLogs/delete", `${sub}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_northeurope/flowLogs/theirs`],
    ];
    const e = az.existingNetwork;
    if (e) {
      deny.push(
        ["Microsoft.Network/virtualNetworks/write", e.virtualNetworkId],
        ["Microsoft.Network/virtualNetworks/delete", e.virtualNetworkId],
        ["Microsoft.Network/virtualNetworks/subnets/write", `${e.virtualNetworkId}/subnets/${e.nodeSubnet.name}`],
        ["Microsoft.Network/virtualNetworks/subnets/delete", `${e.virtualNetworkId}/subnets/${e.nodeSubnet.name}`],
        ["Microsoft.Network/virtualNetworks/subnets/join/action", `${e.virtualNetworkId}/subnets/another-teams-subnet`],
      );
      for (const z of Object.values(e.privateDnsZones ?? {})) deny.push(["Microsoft.Network/privateDnsZones/delete", z], ["Microsoft.Network/privateDnsZones/A/write", `${z}/A/theirs`]);
    }
    const zone = d.domain.dnsZone;
    if (zone && "resourceGroupName" in zone) {
      const kind = zone.provider === "azure-dns" ? "dnsZones" : "privateDnsZones";
      const z = `${group(zone.resourceGroupName)}/providers/Microsoft.Network/${kind}/${zone.zoneName}`;
      deny.push([`Microsoft.Network/${kind}/delete`, z], [`Microsoft.Network/${kind}/write`, z], [`Microsoft.Network/${kind}/A/write`, `${group(zone.resourceGroupName)}/providers/Microsoft.Network/${kind}/other.example.com/A/www`]);
    }
    if (d.domain.certificate.source === "azure-key-vault") deny.push(["Microsoft.KeyVault/vaults/write", d.domain.certificate.keyVaultId], ["Microsoft.KeyVault/vaults/delete", d.domain.certificate.keyVaultId]);
    expect(deny.filter(([a, id]) => allowed(a, id))).toEqual([]);
  });

  test("at the subscription the apply identity only reads, and no read that hands out a credential: a cluster's user credentials only in the deployment's groups", () => {
    const atSubscription = held.filter((h) => h.scope.toLowerCase() === sub.toLowerCase()).flatMap((h) => h.actions);
    expect(atSubscription.length).toBeGreaterThan(20);
    expect(atSubscription.filter((a) => !reads.has(a))).toEqual([]);
    const list = AKS_FACTS.readListsUserCredential.value;
    expect(reads.has(list)).toBe(true);
    expect(allowed(list, `${group(`${d.name}-cluster`)}/providers/Microsoft.ContainerService/managedClusters/${d.name}`)).toBe(true);
    expect(allowed(list, `${sub}/resourceGroups/other-team/providers/Microsoft.ContainerService/managedClusters/theirs`)).toBe(false);
    // The plan identity reads its kubeconfig through the Cluster User role the cloud stack gives it on the cluster.
    expect((roles.PlanRole.permissions as { actions: string[] }[])[0].actions).not.toContain(list);
    const cloud = stacks.find((s) => s.resource?.azurerm_kubernetes_cluster)!;
    expect(Object.values(cloud.resource!.azurerm_role_assignment).some((a) => a.principal_id === az.planObjectId && a.role_definition_name === AKS_FACTS.clusterUserRole.value.name && String(a.scope).startsWith("${azurerm_kubernetes_cluster."))).toBe(true);
  });

  test("no vault turns to access policies from CI: the built-in RBAC-model policy denies it where every vault lies, every vault of the stacks complies, and no deploy role may touch a policy assignment", () => {
    const vaults = stacks.flatMap((s) => Object.values(s.resource?.azurerm_key_vault ?? {}));
    expect(vaults.length).toBeGreaterThan(1);
    // The policy's rule (VAULT_RBAC_ONLY_POLICY.source): enableRbacAuthorization absent or false is denied.
    for (const v of vaults) expect(v.rbac_authorization_enabled).toBe(true);
    const assignments = Object.values((boot.resource as Record<string, Record<string, Body>>).azurerm_resource_group_policy_assignment ?? {}).filter((a) => a.policy_definition_id === VAULT_RBAC_ONLY_POLICY.definitionId);
    const at = assignments.map((a) => scopeOf(String(a.resource_group_id)));
    const vaultGroupsSeen = [...new Set(vaults.map((v) => group(nameOfGroup(String(v.resource_group_name)))))];
    expect(at.sort()).toEqual(vaultGroupsSeen.sort());
    for (const a of assignments) {
      expect(JSON.parse(String(a.parameters))).toEqual({ effect: { value: "Deny" } });
    }
    expect(Object.values(roles).flatMap((r) => (r.permissions as { actions: string[] }[])[0].actions).filter((x) => /^Microsoft\.Authorization\/policy/i.test(x))).toEqual([]);
  });

  test("azurerm starts for both identities: each reads the subscription's resource providers (the provider lists them at start) and registers none; the bootstrap registers the namespaces the stacks use", () => {
    for (const r of ["PlanRole", "ApplyRole"]) expect((roles[r].permissions as { actions: string[] }[])[0].actions).toContain("Microsoft.Resources/subscriptions/providers/read");
    const cloud = stacks.find((s) => s.resource?.azurerm_kubernetes_cluster) as Tf & { provider: { azurerm: Body[] } };
    for (const p of cloud.provider.azurerm) expect(p.resource_provider_registrations).toBe("none");
    const bootProvider = (boot as unknown as { provider: { azurerm: Body[] } }).provider.azurerm[0];
    expect(bootProvider.resource_provider_registrations).toBe("none");
    const used = [...new Set(Object.values(roles).flatMap((r) => (r.permissions as { actions: string[] }[])[0].actions).map((a) => a.split("/")[0]))];
    expect([...(bootProvider.resource_providers_to_register as string[])].sort()).toEqual([...new Set([...used, "Microsoft.Compute"])].filter((n) => !["Microsoft.Authorization", "Microsoft.Resources"].includes(n)).sort());
    expect(bootProvider.resource_providers_to_register).toEqual(expect.arrayContaining(["Microsoft.ContainerService", "Microsoft.KeyVault", "Microsoft.Network", "Microsoft.Storage"]));
  });
});

describe("Azure: what the bootstrap cannot place stops it, naming the fact to add", () => {
  const d = load("examples/azure.yaml");
  const groups = azureResourceGroups(d);
  const stackWith = (add: (s: TerraformStack) => void) => {
    const s = new TerraformStack(Testing.app(), "probe");
    new AzurermProvider(s, "Azurerm", { features: [{}] });
    add(s);
    return s;
  };
  const none = () => false;

  test("a resource written into another team's group", () => {
    const s = stackWith((s) => new StorageAccount(s, "Theirs", { name: "theirs", resourceGroupName: "other-team", location: "westeurope", accountTier: "Standard", accountReplicationType: "LRS" }));
    expect(() => writeScopes([s], d.azure, groups, new Set(), none)).toThrow(/azurerm_storage_account lies in group 'other-team', outside the deployment, and no fact says where to grant its writes \(FOREIGN_PARENT_IDS\)/);
  });

  test("a key vault without Azure RBAC (the bootstrap's policy would refuse the deployment's own apply)", () => {
    const s = stackWith((s) => new KeyVault(s, "Vault", { name: "v", resourceGroupName: groups.data.name, location: "westeurope", tenantId: d.azure.tenantId, skuName: "standard" }));
    expect(() => vaultGroups([s], d.azure, groups)).toThrow(/probe\/azurerm_key_vault\.Vault: a key vault without rbac_authorization_enabled, which the bootstrap's policy denies/);
  });

  test("a customer's resource named where no linked-access fact says what it needs", () => {
    const s = stackWith((s) => new PublicIp(s, "Ip", { name: "ip", resourceGroupName: groups.network.name, location: "westeurope", allocationMethod: "Static", publicIpPrefixId: `${groups.network.id.replace(/-network$/, "-elsewhere")}/providers/Microsoft.Network/publicIPPrefixes/theirs` }));
    expect(() => writeScopes([s], d.azure, groups, new Set(), none)).toThrow(/public_ip_prefix_id: names .*publicIPPrefixes\/theirs, outside the deployment's groups, and no fact says what azurerm_public_ip needs on it \(AZURE_LINKED_ACTIONS\)/);
  });
});

describe("Azure: a runner VNet in another subscription of the tenant", () => {
  const base = load("examples/azure.yaml");
  const runnerSub = "99999999-9999-4999-8999-999999999999";
  const runnerVnet = `/subscriptions/${runnerSub}/resourceGroups/contoso-runners/providers/Microsoft.Network/virtualNetworks/contoso-runners`;
  const d = { ...base, azure: { ...base.azure, runnerNetwork: { ...base.azure.runnerNetwork, virtualNetworkId: runnerVnet } } };
  const boot = JSON.parse(Testing.synth(new AzureDeployRolesStack(Testing.app(), `${d.name}-deploy-roles`, { deployment: d }))) as Required<Tf>;
  const atRunner = Object.values(boot.resource.azurerm_role_assignment).filter((a) => a.scope === runnerVnet && a.principal_id === d.azure.deployerObjectId);
  const planAtRunner = Object.values(boot.resource.azurerm_role_assignment).filter((a) => a.scope === runnerVnet && a.principal_id === d.azure.planObjectId);
  const actionsOf = (a: Body) => (boot.resource.azurerm_role_definition[/azurerm_role_definition\.(\w+)\./.exec(String(a.role_definition_id))![1]].permissions as { actions: string[] }[])[0].actions;

  test("the runner's half of the peering (written through the runner subscription's provider) is granted on the runner VNet there, never on a same-named VNet in the deployment's subscription", () => {
    expect(atRunner).toHaveLength(1);
    const role = /azurerm_role_definition\.(\w+)\./.exec(String(atRunner[0].role_definition_id))![1];
    expect((boot.resource.azurerm_role_definition[role].permissions as { actions: string[] }[])[0].actions).toEqual(expect.arrayContaining(["Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write", "Microsoft.Network/virtualNetworks/peer/action"]));
    expect(boot.resource.azurerm_role_definition[role].assignable_scopes).toContain(`/subscriptions/${runnerSub}`);
    expect(Object.values(boot.resource.azurerm_role_assignment).filter((a) => String(a.scope).includes("/resourceGroups/contoso-runners/") && !String(a.scope).includes(runnerSub))).toEqual([]);
  });

  test("there, where the subscription's reads do not reach, both identities read the peering they refresh (azurerm gets it before creating it and at every plan); the plan identity nothing more", () => {
    const read = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings/read";
    expect(actionsOf(atRunner[0])).toContain(read);
    expect(planAtRunner).toHaveLength(1);
    expect(actionsOf(planAtRunner[0])).toEqual([read]);
    expect(String(planAtRunner[0].role_definition_id)).toContain(`/subscriptions/${runnerSub}/`);
  });

  test("an assignment in another subscription names its role under that subscription, as Azure answers it (else azurerm would replace it on every apply)", () => {
    expect(String(atRunner[0].role_definition_id)).toMatch(new RegExp(`^/subscriptions/${runnerSub}/providers/Microsoft\\.Authorization/roleDefinitions/\\$\\{azurerm_role_definition\\.\\w+\\.role_definition_id\\}$`));
    for (const a of Object.values(boot.resource.azurerm_role_assignment)) {
      if (String(a.scope).startsWith(`/subscriptions/${d.azure.subscriptionId}`) || String(a.scope).startsWith("${")) expect(String(a.role_definition_id)).not.toContain(runnerSub);
    }
  });
});
