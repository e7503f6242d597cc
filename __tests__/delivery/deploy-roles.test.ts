import { AZURE_ADMIN_ONLY_ACTIONS } from "../../stacks/bootstrap/azure-admin-only";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { Cloud, Deployment, DeploymentInput } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { AZURE_BUILT_IN_ROLES, builtInRoleId, deploymentRoleGuid } from "../../constructs/azure/deployment-roles";
import { KEY_DELETE_DATA_ACTION, KEY_DEPLOYER_DATA_ACTIONS } from "../../constructs/azure/single-key-vault";
import { buildBootstrap } from "../../scripts/bootstrap";
import { decodeStacks, terraformBinary } from "../../scripts/terraform-decode";
import { AzureDeployRolesStack, CLUSTER_SCOPED_READS, GROUP_DELETES } from "../../stacks/bootstrap/azure-deploy-roles-stack";
import { AZURE_DELEGATION_FACTS, ROLE_ASSIGNMENT_WRITES, roleGrants } from "../../stacks/bootstrap/azure-grant-condition";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";
import { DataGoogleKmsKeyRing } from "@cdktf/provider-google/lib/data-google-kms-key-ring";
import { ComputeFirewall } from "@cdktf/provider-google/lib/compute-firewall";
import { ComputeNetwork } from "@cdktf/provider-google/lib/compute-network";
import { GKE_API_ROLES, GcpDeployRolesStack, MODIFIED_GRANTS_BY_ROLE, deploymentFirewalls, deploymentKeysAndBuckets } from "../../stacks/bootstrap/gcp-deploy-roles-stack";
import { derivePermissions } from "../../stacks/bootstrap/deploy-permissions";
import { STATE_CONTAINER_ROLES } from "../../stacks/bootstrap/azure-state-condition";
import { blobConditionAllows, conditionAllows, parseCondition } from "../support/azure-condition";
import { synthesizedStacks } from "../support/deployments";

type Json = { resource: Record<string, Record<string, Record<string, unknown>>>; import?: { to: string; id: string }[] };
/** The bootstrap's assignments of the grant role (all with the same delegation condition). */
const grantAssignments = (boot: Json) => Object.entries(boot.resource.azurerm_role_assignment).filter(([, a]) => /azurerm_role_definition\.GrantRole\./.test(String(a.role_definition_id)));
const load = (file: string) => validateDeployment(readConfigFile(file) as DeploymentInput, file);

/** The derivation from the deployment's synthesized JSON (jest global setup), independent of the bootstrap's own walk. */
function fromShipped(key: string, cloud: Cloud) {
  const stacks = Object.values(synthesizedStacks(key)) as unknown as { resource?: object; data?: object }[];
  const types = [...new Set(stacks.flatMap((s) => [...Object.keys(s.resource ?? {}), ...Object.keys(s.data ?? {}).map((t) => `data.${t}`)]))];
  return derivePermissions(cloud, types);
}

describe("Azure: <name>-deploy-roles", () => {
  const d = load("examples/azure.yaml");
  const tf = JSON.parse(Testing.synth(new AzureDeployRolesStack(Testing.app(), "contoso-prod-deploy-roles", { deployment: deploymentOn("azure", d) }))) as Json;
  const roles = tf.resource.azurerm_role_definition;
  const actions = (id: string) => ((Object.entries(roles).find(([k]) => k.startsWith(id))![1].permissions as { actions: string[] }[])[0].actions);
  const derived = fromShipped("examples-azure", "azure");

  test("custom plan and apply roles with exactly the derived actions, none a wildcard, no Owner or Contributor; role assignment only in the grant role", () => {
    // Less the reads that hand out a credential (CLUSTER_SCOPED_READS): those are the deployment's groups' only.
    expect(new Set(actions("PlanRole"))).toEqual(new Set(derived.read.filter((a) => !CLUSTER_SCOPED_READS.includes(a))));
    // Less what CI is never given (GROUP_DELETES: lifting a lock, deleting a group).
    const externalRoles = Object.keys(roles).filter((k) => k.startsWith("ExternalRole"));
    expect(externalRoles.length).toBeGreaterThan(0);
    // Less the federated credentials' writes (AZURE_ADMIN_ONLY_ACTIONS: an administrator's apply).
    expect(new Set([...actions("ApplyRole"), ...actions("WriteRole"), ...externalRoles.flatMap(actions), ...actions("GrantRole"), ...actions("IdentityRole"), ...actions("GroupRole"), ...GROUP_DELETES, ...AZURE_ADMIN_ONLY_ACTIONS.value])).toEqual(new Set([...derived.read, ...derived.write]));
    expect(derived.write).toEqual(expect.arrayContaining([...AZURE_ADMIN_ONLY_ACTIONS.value]));
    // Held only by the federation role, which the bootstrap assigns to no one.
    for (const r of Object.keys(roles).filter((k) => k !== "FederationRole")) expect([r, actions(r).filter((a) => (AZURE_ADMIN_ONLY_ACTIONS.value as readonly string[]).includes(a))]).toEqual([r, []]);
    // At the subscription the apply identity only reads: every write is assigned where the stacks write (deploy-write-scopes.test.ts).
    expect(new Set(actions("ApplyRole"))).toEqual(new Set(derived.read.filter((a) => !CLUSTER_SCOPED_READS.includes(a))));
    expect(actions("WriteRole")).toEqual(expect.arrayContaining([...CLUSTER_SCOPED_READS]));
    expect(derived.write).toEqual(expect.arrayContaining(["Microsoft.ContainerService/managedClusters/write", "Microsoft.Authorization/roleAssignments/write"]));
    expect(actions("GrantRole").sort()).toEqual([...ROLE_ASSIGNMENT_WRITES].sort());
    expect(actions("ApplyRole").filter((a) => a.startsWith("Microsoft.Authorization/roleAssignments/") && !a.endsWith("/read"))).toEqual([]);
    for (const a of [...actions("PlanRole"), ...actions("ApplyRole"), ...actions("GrantRole")]) expect(a).not.toContain("*");
    expect(actions("PlanRole").filter((a) => /\/(write|delete)$/.test(a))).toEqual([]);
    expect(JSON.stringify(tf)).not.toMatch(/"Owner"|"Contributor"|8e3af657-a8ff-443c-a75c-2fe8c4bcb635|b24988ac-6180-42a0-ab88-20f7382dd24c/);
  });

  test("the apply identity cannot define roles: no cloud stack defines one, so the derived actions hold no roleDefinitions write or delete (reads stay: azurerm resolves role names)", () => {
    for (const key of AZURE_EXAMPLES) {
      const cloud = cloudStackOf(key);
      expect(cloud.resource.azurerm_role_definition).toBeUndefined();
      const p = fromShipped(key, "azure");
      expect([...p.read, ...p.write].filter((a) => a.startsWith("Microsoft.Authorization/roleDefinitions/"))).toEqual(["Microsoft.Authorization/roleDefinitions/read"]);
    }
  });

  test("apply (reads) and plan roles at the subscription; the writes, grant (on condition, version 2.0), group and identity roles to the apply identity at the deployment's groups; the writes outside them at the runner VNet and the region's network watcher only", () => {
    const assignments = Object.entries(tf.resource.azurerm_role_assignment).filter(([k]) => !k.endsWith("StateAssignment"));
    const sub = `/subscriptions/${d.azure!.subscriptionId}`;
    const group = (id: string) => `\${azurerm_resource_group.${id}.id}`;
    const role = (a: Record<string, unknown>) => /azurerm_role_definition\.(\w+)\./.exec(String(a.role_definition_id))![1];
    expect(assignments.map(([k, a]) => [k, role(a), a.principal_id, a.scope, a.condition === undefined ? "" : a.condition_version])).toEqual([
      ["ApplyAssignment", "ApplyRole", d.azure!.deployerObjectId, sub, ""],
      ["GrantClusterGroup", "GrantRole", d.azure!.deployerObjectId, group("ClusterGroup_A036C85D"), AZURE_DELEGATION_FACTS.conditionVersion.value],
      ["GrantDataGroup", "GrantRole", d.azure!.deployerObjectId, group("DataGroup_FB50DC36"), AZURE_DELEGATION_FACTS.conditionVersion.value],
      ["GrantNetworkGroup", "GrantRole", d.azure!.deployerObjectId, group("NetworkGroup_63999A45"), AZURE_DELEGATION_FACTS.conditionVersion.value],
      ["GroupsClusterGroup", "GroupRole", d.azure!.deployerObjectId, group("ClusterGroup_A036C85D"), ""],
      ["GroupsDataGroup", "GroupRole", d.azure!.deployerObjectId, group("DataGroup_FB50DC36"), ""],
      ["GroupsNetworkGroup", "GroupRole", d.azure!.deployerObjectId, group("NetworkGroup_63999A45"), ""],
      ["IdentityClusterGroup", "IdentityRole", d.azure!.deployerObjectId, group("ClusterGroup_A036C85D"), ""],
      ["PlanAssignment", "PlanRole", d.azure!.planObjectId, sub, ""],
      ["WritesAtResourceGroupsContosoRunnersProvidersMicrosoftNetworkVirtualNetworksContosoRunners", "ExternalRole28dab6f8", d.azure!.deployerObjectId, d.azure!.runnerNetwork!.virtualNetworkId, ""],
      ["WritesAtResourceGroupsNetworkWatcherRGProvidersMicrosoftNetworkNetworkWatchersNetworkWatcherWesteurope", "ExternalRole26ed16af", d.azure!.deployerObjectId, `${sub}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope`, ""],
      ["WritesClusterGroup", "WriteRole", d.azure!.deployerObjectId, group("ClusterGroup_A036C85D"), ""],
      ["WritesDataGroup", "WriteRole", d.azure!.deployerObjectId, group("DataGroup_FB50DC36"), ""],
      ["WritesNetworkGroup", "WriteRole", d.azure!.deployerObjectId, group("NetworkGroup_63999A45"), ""],
    ]);
  });

  test("scripts/bootstrap.ts builds it from an Azure config", () => {
    expect(buildBootstrap(Testing.app(), ["--config", "examples/azure.yaml"], {}).node.id).toBe("contoso-prod-deploy-roles");
  });

  test("the real terraform decodes the bootstrap as scripts/bootstrap.ts builds it: the condition and the fixed role ids reach Azure verbatim", () => {
    const built = JSON.parse(Testing.synth(buildBootstrap(Testing.app(), ["--config", "examples/azure-estate-keys.yaml"], {}))) as Json;
    const decoded = decodeStacks({ boot: built }).boot.blocks as Record<string, Record<string, unknown>>;
    const grants = grantAssignments(built);
    expect(grants.length).toBeGreaterThanOrEqual(3);
    for (const [k, a] of grants) expect([k, decoded[`resource.azurerm_role_assignment.${k}`].condition]).toEqual([k, a.condition]);
    const grant = grants[0][1];
    for (const a of ["ApplyStateAssignment", "PlanStateAssignment"]) {
      expect(decoded[`resource.azurerm_role_assignment.${a}`].condition).toBe(built.resource.azurerm_role_assignment[a].condition);
      expect(decoded[`resource.azurerm_role_assignment.${a}`].scope).toBe(built.resource.azurerm_role_assignment[a].scope);
    }
    expect(String(grant.condition)).toMatch(/^\(\(!\(ActionMatches\{'Microsoft\.Authorization\/roleAssignments\/write'\}\)\)/);
    for (const r of ["KeyDeployerRole", "ClusterReaderRole"]) {
      expect(decoded[`resource.azurerm_role_definition.${r}`].role_definition_id).toBe(built.resource.azurerm_role_definition[r].role_definition_id);
    }
  });
});

const AZURE_EXAMPLES = ["examples-azure", "examples-azure-estate", "examples-azure-estate-keys"] as const;
const EXAMPLE_FILE: Record<(typeof AZURE_EXAMPLES)[number], string> = { "examples-azure": "examples/azure.yaml", "examples-azure-estate": "examples/azure-estate.yaml", "examples-azure-estate-keys": "examples/azure-estate-keys.yaml" };
const cloudStackOf = (key: string) => Object.entries(synthesizedStacks(key)).find(([id]) => id.endsWith("-azure"))![1] as unknown as Json;
const PRIVILEGED = ["Owner", "User Access Administrator", "Contributor", "Role Based Access Control Administrator"].map((n) => AZURE_BUILT_IN_ROLES[n]);

describe.each(AZURE_EXAMPLES)("Azure %s: the grant role's delegation condition (Azure ABAC)", (key) => {
  const d = load(EXAMPLE_FILE[key]);
  const az = d.azure!;
  const boot = JSON.parse(Testing.synth(new AzureDeployRolesStack(Testing.app(), `${d.name}-deploy-roles`, { deployment: deploymentOn("azure", d) }))) as Json;
  const condition = String(grantAssignments(boot)[0][1].condition);
  const tree = parseCondition(condition);
  const cloud = cloudStackOf(key);
  const customRoles = Object.values(boot.resource.azurerm_role_definition).filter((r) => r.role_definition_id !== undefined);
  // Every assignment the cloud stack makes, by its role's GUID (a built-in name through the table, a custom role by id).
  const assignments = Object.entries(cloud.resource.azurerm_role_assignment).map(([id, a]) => {
    const name = a.role_definition_name as string | undefined;
    const roleGuid = name !== undefined ? AZURE_BUILT_IN_ROLES[name] : String(a.role_definition_id).split("/").pop()!;
    const principal = String(a.principal_id);
    // An identity the stack creates is a reference: it stands for a fresh service principal here.
    const created = principal.startsWith("${");
    return { id, name, roleGuid, principal: created ? "99999999-9999-4999-8999-999999999999" : principal, created, principalType: a.principal_type as string | undefined };
  });
  const request = (action: "write" | "delete", r: { roleGuid: string; principal: string; principalType?: string }) =>
    conditionAllows(tree, { action: `Microsoft.Authorization/roleAssignments/${action}`, RoleDefinitionId: r.roleGuid, PrincipalId: r.principal, ...(r.principalType ? { PrincipalType: r.principalType } : {}) });

  test("every built-in role the cloud stack assigns by name has its GUID in AZURE_BUILT_IN_ROLES; every custom one is the bootstrap's, by its fixed id at the subscription", () => {
    expect(assignments.filter((a) => a.name !== undefined && a.roleGuid === undefined).map((a) => a.name)).toEqual([]);
    const byId = assignments.filter((a) => a.name === undefined);
    expect(byId.length).toBeGreaterThan(0);
    for (const a of byId) {
      const role = customRoles.find((r) => r.role_definition_id === a.roleGuid);
      expect(role).toBeDefined();
      expect(role!.scope).toBe(`/subscriptions/${az.subscriptionId}`);
      expect(String(cloud.resource.azurerm_role_assignment[a.id].role_definition_id)).toBe(`/subscriptions/${az.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${a.roleGuid}`);
    }
  });

  test("the condition admits creating and deleting every assignment the cloud stack makes", () => {
    expect(assignments.length).toBeGreaterThan(10);
    for (const a of assignments) {
      expect([a.id, request("write", a), request("delete", a)]).toEqual([a.id, true, true]);
    }
  });

  test("the condition fits Azure's limit", () => {
    expect(Buffer.byteLength(condition)).toBeLessThanOrEqual(AZURE_DELEGATION_FACTS.maxConditionBytes.value);
  });

  test("both actions are constrained: write by @Request attributes, delete by @Resource attributes, each in its own condition", () => {
    expect(condition).toContain("!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})");
    expect(condition).toContain("!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})");
    const [writePart, deletePart] = condition.split(") AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})");
    expect(writePart).not.toContain("@Resource[");
    expect(deletePart).not.toContain("@Request[");
    expect(request("write", { roleGuid: AZURE_BUILT_IN_ROLES.Owner, principal: az.deployerObjectId })).toBe(false);
    expect(request("delete", { roleGuid: AZURE_BUILT_IN_ROLES.Owner, principal: az.deployerObjectId })).toBe(false);
  });

  test("Owner, User Access Administrator, Contributor, RBAC Administrator and any other role are refused, to anyone, the apply identity first", () => {
    const stranger = "77777777-7777-4777-8777-777777777777";
    const otherCustom = "0d0d0d0d-0d0d-4d0d-8d0d-0d0d0d0d0d0d";
    for (const roleGuid of [...PRIVILEGED, otherCustom]) {
      for (const principal of [az.deployerObjectId, az.planObjectId!, stranger]) {
        for (const principalType of [undefined, "User", "ServicePrincipal", "Group"]) {
          expect([roleGuid, request("write", { roleGuid, principal, principalType }), request("delete", { roleGuid, principal, principalType })]).toEqual([roleGuid, false, false]);
        }
      }
    }
  });

  test("a role the stack gives only to identities it creates cannot go to the apply or plan identity, nor to a user or group; the apply and plan roles go only to those identities", () => {
    const to = (who: "apply" | "plan") => new Set(assignments.filter((a) => a.principal === (who === "apply" ? az.deployerObjectId : az.planObjectId)).map((a) => a.roleGuid));
    const createdOnly = [...new Set(assignments.filter((a) => a.created).map((a) => a.roleGuid))];
    expect(createdOnly).toEqual(expect.arrayContaining([AZURE_BUILT_IN_ROLES["Network Contributor"], AZURE_BUILT_IN_ROLES["Key Vault Crypto User"]]));
    for (const roleGuid of createdOnly) {
      for (const who of ["apply", "plan"] as const) {
        if (to(who).has(roleGuid)) continue;
        const principal = who === "apply" ? az.deployerObjectId : az.planObjectId!;
        expect([roleGuid, who, request("write", { roleGuid, principal, principalType: "ServicePrincipal" })]).toEqual([roleGuid, who, false]);
      }
      for (const principalType of ["User", "Group", undefined]) expect(request("write", { roleGuid, principal: "77777777-7777-4777-8777-777777777777", principalType })).toBe(false);
    }
    for (const roleGuid of [...to("apply"), ...to("plan")]) {
      if (createdOnly.includes(roleGuid)) continue;
      expect(request("write", { roleGuid, principal: "77777777-7777-4777-8777-777777777777", principalType: "ServicePrincipal" })).toBe(false);
    }
    expect(to("apply")).toContain(AZURE_BUILT_IN_ROLES["Azure Kubernetes Service RBAC Cluster Admin"]);
    expect(request("write", { roleGuid: AZURE_BUILT_IN_ROLES["Azure Kubernetes Service RBAC Cluster Admin"], principal: az.planObjectId! })).toBe(false);
  });
});

type TfStack = Json & { data?: Record<string, Record<string, Record<string, unknown>>> };
const groupId = (subscriptionId: string, name: string) => `/subscriptions/${subscriptionId}/resourceGroups/${name}`;
/** `scope` is `parent` or lies under it, by whole path segments (Azure compares ids case-insensitively). */
const lies = (scope: string, parent: string) => scope.toLowerCase() === parent.toLowerCase() || scope.toLowerCase().startsWith(`${parent.toLowerCase()}/`);
const IDENTITY_WRITE = /^Microsoft\.ManagedIdentity\/.*\/(write|delete|action)$/;

describe.each(AZURE_EXAMPLES)("Azure %s: the grant and identity roles reach only the deployment's own scopes, never the subscription", (key) => {
  const d = load(EXAMPLE_FILE[key]);
  const az = d.azure!;
  const sub = `/subscriptions/${az.subscriptionId}`;
  const boot = JSON.parse(Testing.synth(new AzureDeployRolesStack(Testing.app(), `${d.name}-deploy-roles`, { deployment: deploymentOn("azure", d) }))) as TfStack;
  const cloud = cloudStackOf(key) as TfStack;
  const cloudGroups = cloud.resource.azurerm_resource_group;
  // The bootstrap's scopes, its references to its own groups read as those groups' ids.
  const bootScope = (scope: string) => {
    const m = /^\$\{azurerm_resource_group\.(\w+)\.id\}$/.exec(scope);
    return m ? groupId(az.subscriptionId, String(boot.resource.azurerm_resource_group[m[1]].name)) : scope;
  };
  const assignedWith = (role: string) =>
    Object.entries(boot.resource.azurerm_role_assignment)
      .filter(([, a]) => String(a.role_definition_id).includes(`azurerm_role_definition.${role}.`))
      .map(([id, a]) => ({ id, scope: bootScope(String(a.scope)), a }));
  // Where a scope of the cloud stack lies, read from its synthesized JSON; the customer's network from the config.
  const where = (scope: string): string => {
    if (!scope.startsWith("${")) return scope;
    const [, data, type, name] = /^\$\{(data\.)?(\w+)\.(\w+)\.\w+\}$/.exec(scope)!;
    if (data) {
      const vnet = az.existingNetwork!.virtualNetworkId;
      if (type === "azurerm_virtual_network") return vnet;
      if (type === "azurerm_subnet") return `${vnet}/subnets/${String(cloud.data![type][name].name)}`;
      throw new Error(`no id known for data.${type}`);
    }
    const body = cloud.resource[type][name];
    if (type === "azurerm_resource_group") return groupId(az.subscriptionId, String(body.name));
    const rg = body.resource_group_name as string | undefined;
    if (rg !== undefined) {
      const group = /^\$\{azurerm_resource_group\.(\w+)\.name\}$/.exec(rg);
      return `${groupId(az.subscriptionId, group ? String(cloudGroups[group[1]].name) : rg)}/providers/${type}/${String(body.name)}`;
    }
    const parent = (body.key_vault_id ?? body.storage_account_id) as string;
    return `${where(parent)}/${type}/${String(body.name)}`;
  };
  const cloudAssignments = Object.entries(cloud.resource.azurerm_role_assignment).map(([id, a]) => ({ id, at: where(String(a.scope)) }));

  test("every role assignment the cloud stack makes lies under a scope where the grant role is assigned, and none of those is the subscription", () => {
    const grants = assignedWith("GrantRole");
    expect(grants.length).toBeGreaterThan(0);
    for (const g of grants) {
      expect([g.id, lies(sub, g.scope)]).toEqual([g.id, false]);
      expect(g.scope.toLowerCase().startsWith(`${sub}/resourceGroups/`.toLowerCase())).toBe(true);
    }
    expect(cloudAssignments.length).toBeGreaterThan(10);
    for (const a of cloudAssignments) expect([a.id, a.at, grants.filter((g) => lies(a.at, g.scope)).length > 0]).toEqual([a.id, a.at, true]);
  });

  test("each grant scope is one of the deployment's groups or a customer's resource the stack assigns on exactly; one condition on all of them", () => {
    const groups = Object.values(cloudGroups).map((g) => groupId(az.subscriptionId, String(g.name)));
    const exact = new Set(cloudAssignments.map((a) => a.at.toLowerCase()));
    const grants = assignedWith("GrantRole");
    for (const g of grants) {
      expect([g.id, groups.includes(g.scope) || exact.has(g.scope.toLowerCase())]).toEqual([g.id, true]);
      expect([g.id, cloudAssignments.some((a) => lies(a.at, g.scope))]).toEqual([g.id, true]);
      expect(g.a).toMatchObject({ principal_id: az.deployerObjectId, condition: grants[0].a.condition, condition_version: AZURE_DELEGATION_FACTS.conditionVersion.value });
    }
    if (az.existingNetwork) expect(grants.map((g) => g.scope)).toContain(az.existingNetwork.virtualNetworkId);
    if (d.domain.certificate.source === "azure-key-vault") expect(grants.some((g) => g.scope.startsWith(`${d.domain.certificate.source === "azure-key-vault" ? d.domain.certificate.keyVaultId : ""}/`))).toBe(true);
  });

  test("the identity actions are a role of their own, assigned only at the groups holding the stack's identities; every identity a resource runs as is the stack's own; AKS makes its kubelet identity", () => {
    const roles = boot.resource.azurerm_role_definition;
    const actionsOf = (r: string) => (roles[r].permissions as { actions: string[] }[])[0].actions;
    const derived = fromShipped(key, "azure");
    const federation = AZURE_ADMIN_ONLY_ACTIONS.value as readonly string[];
    expect(actionsOf("IdentityRole").sort()).toEqual(derived.write.filter((a) => a.startsWith("Microsoft.ManagedIdentity/") && !federation.includes(a)).sort());
    expect(actionsOf("IdentityRole")).toEqual(expect.arrayContaining(["Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", "Microsoft.ManagedIdentity/userAssignedIdentities/write"]));
    expect(actionsOf("IdentityRole").filter((a) => a.includes("federatedIdentityCredentials"))).toEqual([]);
    expect(actionsOf("ApplyRole").filter((a) => IDENTITY_WRITE.test(a))).toEqual([]);
    const identities = cloud.resource.azurerm_user_assigned_identity;
    const holding = [...new Set(Object.values(identities).map((i) => where(String(i.resource_group_name).replace(/\.name\}$/, ".id}"))))].sort();
    expect(assignedWith("IdentityRole").map((a) => a.scope).sort()).toEqual(holding);
    for (const a of assignedWith("IdentityRole")) expect(a.a.principal_id).toBe(az.deployerObjectId);
    // The federated credentials' writes: a role of their own, assigned to no one; the output names the groups of the identities the stacks federate.
    expect(actionsOf("FederationRole").sort()).toEqual([...federation].sort());
    expect(JSON.stringify(boot.resource.azurerm_role_assignment)).not.toContain("azurerm_role_definition.FederationRole");
    const parents = Object.values(cloud.resource.azurerm_federated_identity_credential).map((c) => /^\$\{azurerm_user_assigned_identity\.(\w+)\.id\}$/.exec(String(c.parent_id))![1]);
    const federatedGroups = [...new Set(parents.map((p) => where(String(identities[p].resource_group_name).replace(/\.name\}$/, ".id}"))))].sort();
    const grant = String(((boot as unknown as { output: Record<string, { value: string }> }).output.federation_grant).value);
    expect(grant.split(" && ").map((c) => bootScope(/--scope (\S+)$/.exec(c)![1])).sort()).toEqual(federatedGroups);
    for (const c of grant.split(" && ")) expect(c).toContain(`--assignee-object-id ${az.deployerObjectId} --assignee-principal-type ServicePrincipal --role ${d.name}-deploy-federation`);
    for (const [type, byName] of Object.entries(cloud.resource)) {
      for (const [name, body] of Object.entries(byName)) {
        for (const ref of ((body.identity as { identity_ids?: string[] } | undefined)?.identity_ids ?? [])) {
          const own = /^\$\{azurerm_user_assigned_identity\.(\w+)\.id\}$/.exec(ref)?.[1];
          expect([`${type}.${name}`, ref, own !== undefined && own in identities]).toEqual([`${type}.${name}`, ref, true]);
        }
      }
    }
    for (const c of Object.values(cloud.resource.azurerm_kubernetes_cluster)) expect(c.kubelet_identity ?? null).toBeNull();
  });

  test("no lock lifted and no group deleted from CI: group and lock writes only at the deployment's groups, where every lock the stacks write lies; lock and group deletes nowhere", () => {
    const roles = boot.resource.azurerm_role_definition;
    const actionsOf = (r: string) => (roles[r].permissions as { actions: string[] }[])[0].actions;
    const writes = ["Microsoft.Authorization/locks/write", "Microsoft.Resources/subscriptions/resourceGroups/write"];
    const deletes = ["Microsoft.Authorization/locks/delete", "Microsoft.Resources/subscriptions/resourceGroups/delete"];
    expect(fromShipped(key, "azure").write).toEqual(expect.arrayContaining([...writes, ...deletes]));
    expect(actionsOf("GroupRole").sort()).toEqual([...writes].sort());
    expect(Object.values(roles).filter((r) => r.name !== undefined && String(r.name).includes("-deploy-")).flatMap((r) => (r.permissions as { actions: string[] }[])[0].actions).filter((a) => deletes.includes(a))).toEqual([]);
    expect(actionsOf("ApplyRole").filter((a) => [...writes, ...deletes].includes(a))).toEqual([]);
    const groups = Object.values(cloudGroups).map((g) => groupId(az.subscriptionId, String(g.name))).sort();
    expect(assignedWith("GroupRole").map((a) => a.scope).sort()).toEqual(groups);
    const locks = Object.entries(cloud.resource.azurerm_management_lock ?? {});
    expect(locks.length).toBeGreaterThan(0);
    for (const [id, l] of locks) expect([id, groups.some((g) => lies(where(String(l.scope)), g))]).toEqual([id, true]);
  });

  test("the bootstrap creates the deployment's groups as the cloud stack declares them, kept from destroy, their later tags the cloud stack's; the cloud stack adopts each by an import block with its id; the data lock stays the cloud stack's", () => {
    const strip = (g: Record<string, unknown>) => ({ name: g.name, location: g.location, tags: g.tags });
    const bootGroups = boot.resource.azurerm_resource_group;
    expect(Object.keys(bootGroups).sort()).toEqual(Object.keys(cloudGroups).sort());
    expect(Object.values(cloudGroups).map((g) => g.name).sort()).toEqual(["cluster", "data", "network"].map((k) => `${d.name}-${k}`));
    for (const [k, g] of Object.entries(cloudGroups)) {
      expect([k, strip(bootGroups[k])]).toEqual([k, strip(g)]);
      expect(bootGroups[k].lifecycle).toEqual({ prevent_destroy: true, ignore_changes: ["tags"] });
    }
    const imports = [...(cloud.import ?? [])].sort((a, b) => a.to.localeCompare(b.to));
    expect(imports).toEqual(Object.keys(cloudGroups).sort().map((k) => ({ to: `azurerm_resource_group.${k}`, id: groupId(az.subscriptionId, String(cloudGroups[k].name)) })));
    expect(boot.import).toBeUndefined();
    expect(boot.resource.azurerm_management_lock).toBeUndefined();
    expect(Object.values(cloud.resource.azurerm_management_lock ?? {}).map((l) => l.scope)).toEqual(d.dataProtection.allowDestroy ? [] : ["${azurerm_resource_group.DataGroup_FB50DC36.id}"]);
  });
});

describe("Azure: a certificate vault in another subscription of the tenant", () => {
  test("the grant role is assigned on that certificate's secret only, and is assignable in that subscription", () => {
    const raw = readConfigFile("examples/azure-estate.yaml") as Record<string, Record<string, Record<string, unknown>>>;
    const other = "11111111-2222-4333-8444-555555555555";
    const keyVaultId = `/subscriptions/${other}/resourceGroups/certs/providers/Microsoft.KeyVault/vaults/certs-other`;
    const input = { ...raw, domain: { ...raw.domain, certificate: { ...raw.domain.certificate, keyVaultId } } } as unknown as DeploymentInput;
    const d = validateDeployment(input, "examples/azure-estate.yaml");
    const boot = JSON.parse(Testing.synth(new AzureDeployRolesStack(Testing.app(), `${d.name}-deploy-roles`, { deployment: deploymentOn("azure", d) }))) as Json;
    const onSecret = grantAssignments(boot).filter(([, a]) => String(a.scope).startsWith(`${keyVaultId}/`));
    expect(onSecret.map(([, a]) => a.scope)).toEqual([`${keyVaultId}/secrets/${String(raw.domain.certificate.certificateName)}`]);
    expect(boot.resource.azurerm_role_definition.GrantRole.assignable_scopes).toEqual([`/subscriptions/${d.azure!.subscriptionId}`, `/subscriptions/${other}`]);
  });
});

describe("Azure: adopting the bootstrap's resource groups (terraform import blocks, real terraform 1.11)", () => {
  const cloud = cloudStackOf("examples-azure");
  const imports = cloud.import!;
  // The cloud stack's import blocks, verbatim but for the resource type: terraform's built-in terraform_data
  // imports any id, so the run needs no provider plugin and reaches no cloud.
  const asData = (to: string) => to.replace(/^azurerm_resource_group\./, "terraform_data.");
  const module = (withImports: boolean) => ({
    resource: { terraform_data: Object.fromEntries(imports.map((i) => [asData(i.to).split(".")[1], { input: "group" }])) },
    ...(withImports ? { import: imports.map((i) => ({ ...i, to: asData(i.to) })) } : {}),
  });
  let dir: string;
  const tf = (...args: string[]) => {
    const r = spawnSync(terraformBinary(), args, { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: dir, TF_CLI_CONFIG_FILE: path.join(dir, ".terraformrc"), CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" } });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const write = (withImports: boolean) => writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(module(withImports)));
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "adopt-groups-"));
    writeFileSync(path.join(dir, ".terraformrc"), "");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("a new deployment: the plan imports the three groups (ids as synthesized) and creates none", () => {
    expect(imports).toHaveLength(3);
    write(true);
    expect(tf("init", "-input=false", "-no-color").status).toBe(0);
    const plan = tf("plan", "-input=false", "-no-color");
    expect(plan.status).toBe(0);
    expect(plan.out).toMatch(/Plan: 3 to import, 0 to add/);
    for (const i of imports) expect(plan.out).toContain(`imported from "${i.id}"`);
  });

  test("an existing deployment, its groups already in the cloud stack's state: the import blocks are skipped, no change", () => {
    write(false);
    expect(tf("init", "-input=false", "-no-color").status).toBe(0);
    expect(tf("apply", "-auto-approve", "-input=false", "-no-color").status).toBe(0);
    write(true);
    const plan = tf("plan", "-input=false", "-no-color", "-detailed-exitcode");
    expect([plan.status, plan.out]).toEqual([0, expect.stringContaining("No changes.")]);
    expect(plan.out).not.toContain("import");
  });

  test("scripts/bootstrap.ts --adopt-groups: the bootstrap imports the groups a deployment's cloud stack created before it did, under the same ids; the guide's manual import names those addresses", () => {
    const built = JSON.parse(Testing.synth(buildBootstrap(Testing.app(), ["--config", "examples/azure.yaml", "--adopt-groups"], {}))) as Json;
    expect([...built.import!].sort((a, b) => a.to.localeCompare(b.to))).toEqual([...imports].sort((a, b) => a.to.localeCompare(b.to)));
    const guide = readFileSync(path.join(__dirname, "..", "..", "docs", "deployment-guide.md"), "utf8");
    for (const i of built.import!) expect(guide).toContain(`\`${i.to.split(".")[1]}\``);
    expect(guide).toContain("--adopt-groups");
  });
});

const BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

describe.each(AZURE_EXAMPLES)("Azure %s: the deploy identities reach only the deployment's own state blobs (Azure ABAC on the state container)", (key) => {
  const d = load(EXAMPLE_FILE[key]);
  const az = d.azure!;
  const boot = JSON.parse(Testing.synth(new AzureDeployRolesStack(Testing.app(), `${d.name}-deploy-roles`, { deployment: deploymentOn("azure", d) }))) as Json;
  const assignment = (id: string) => boot.resource.azurerm_role_assignment[id];
  // The backends as the deployment's stacks synthesize them (jest global setup), not recomputed.
  const backends = Object.entries(synthesizedStacks(key)).map(([id, s]) => [id, (s as unknown as { terraform: { backend: { azurerm: Record<string, string> } } }).terraform.backend.azurerm] as const);
  // Parsed in the tests, so that a bootstrap without the assignments fails them one by one.
  type Who = "ApplyStateAssignment" | "PlanStateAssignment";
  const apply: Who = "ApplyStateAssignment";
  const plan: Who = "PlanStateAssignment";
  const tree = (who: Who) => parseCondition(String(assignment(who)?.condition));
  const can = (who: Who, action: string, path: string) => blobConditionAllows(tree(who), { action: `${BLOBS}/${action}`, path });
  const canList = (who: Who, prefix: string | undefined) => blobConditionAllows(tree(who), { action: `${BLOBS}/read`, list: true, ...(prefix === undefined ? {} : { prefix }) });

  test("both assignments are on the state container that every stack's backend names, with the built-in blob roles, condition version 2.0, to the config's identities", () => {
    expect(backends).toHaveLength(4);
    for (const [, b] of backends) {
      expect(assignment("ApplyStateAssignment")).toBeDefined();
      const container = `/subscriptions/${az.subscriptionId}/resourceGroups/${b.resource_group_name}/providers/Microsoft.Storage/storageAccounts/${b.storage_account_name}/blobServices/default/containers/${b.container_name}`;
      expect([assignment("ApplyStateAssignment").scope, assignment("PlanStateAssignment").scope]).toEqual([container, container]);
    }
    const roleId = (name: string) => `/subscriptions/${az.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${AZURE_BUILT_IN_ROLES[name]}`;
    expect(Buffer.byteLength(String(assignment("ApplyStateAssignment").condition))).toBeLessThanOrEqual(AZURE_DELEGATION_FACTS.maxConditionBytes.value);
    expect(assignment("ApplyStateAssignment")).toMatchObject({ principal_id: az.deployerObjectId, role_definition_id: roleId(STATE_CONTAINER_ROLES.apply), condition_version: "2.0" });
    expect(assignment("PlanStateAssignment")).toMatchObject({ principal_id: az.planObjectId, role_definition_id: roleId(STATE_CONTAINER_ROLES.plan), condition_version: "2.0" });
  });

  test("every stack's state blob: the apply identity reads, writes (Put Block Blob, Lease Blob, Set Blob Metadata), creates and deletes it and lists its workspaces; the plan identity reads it and lists them", () => {
    for (const [id, b] of backends) {
      expect([id, ...["read", "write", "add/action", "delete"].map((a) => can(apply, a, b.key)), canList(apply, `${b.key}env:`)]).toEqual([id, true, true, true, true, true]);
      expect([id, can(plan, "read", b.key), canList(plan, `${b.key}env:`)]).toEqual([id, true, true]);
    }
  });

  test("another deployment's state in the same container (a name this one prefixes), other blobs and unfiltered lists are refused", () => {
    for (const [id, b] of backends) {
      const other = b.key.replace(`/${d.name}-`, `/${d.name}-2-`);
      expect(other).not.toBe(b.key);
      const foreign = [other, `${b.key}.backup`, `${b.key}env:other`, b.key.toUpperCase(), `x/${b.key}`, "terraform.tfstate"];
      for (const path of foreign) {
        expect([id, path, ...["read", "write", "add/action", "delete", "move/action"].map((a) => can(apply, a, path)), can(plan, "read", path)]).toEqual([id, path, false, false, false, false, false, false]);
      }
      for (const prefix of [undefined, "", `${other}env:`, b.key.split("/")[0] + "/", `${d.name}`]) {
        expect([id, prefix, canList(apply, prefix), canList(plan, prefix)]).toEqual([id, prefix, false, false]);
      }
    }
  });
});

describe("Azure: the custom roles the cloud stack assigns live in the bootstrap", () => {
  const d = load("examples/azure.yaml");
  const synthRoles = (deployment: Deployment) =>
    JSON.parse(Testing.synth(new AzureDeployRolesStack(Testing.app(), `${deployment.name}-deploy-roles`, { deployment: deploymentOn("azure", deployment) }))) as Json;
  const defs = (tf: Json) => tf.resource.azurerm_role_definition;

  test("key deployer and cluster reader: data actions only, fixed ids from the deployment, new names (never the old `<vault> key deployer` / `<name> cluster reader`)", () => {
    const r = defs(synthRoles(d));
    expect(r.KeyDeployerRole).toMatchObject({ name: "contoso-prod-deploy-keys", role_definition_id: deploymentRoleGuid(d.azure!.subscriptionId, d.name, "keyDeployer"), assignable_scopes: [`/subscriptions/${d.azure!.subscriptionId}`] });
    expect(r.ClusterReaderRole).toMatchObject({ name: "contoso-prod-deploy-cluster-reader", role_definition_id: deploymentRoleGuid(d.azure!.subscriptionId, d.name, "clusterReader") });
    expect(r.KeyDeployerRole.permissions).toEqual([{ actions: [], data_actions: [...KEY_DEPLOYER_DATA_ACTIONS], not_actions: [], not_data_actions: [] }]);
    expect(r.ClusterReaderRole.permissions).toEqual([{ actions: [], data_actions: ["Microsoft.ContainerService/managedClusters/*/read"], not_actions: [], not_data_actions: [] }]);
    for (const role of Object.values(r)) expect(String(role.name)).not.toMatch(/ key deployer$| cluster reader$/);
    expect(new Set(Object.values(r).map((x) => x.name)).size).toBe(Object.keys(r).length);
  });

  test("the ids differ per deployment and subscription and are stable", () => {
    const a = deploymentRoleGuid("00000000-0000-0000-0000-000000000001", "acme", "keyDeployer");
    expect(deploymentRoleGuid("00000000-0000-0000-0000-000000000001", "acme", "keyDeployer")).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set([a, deploymentRoleGuid("00000000-0000-0000-0000-000000000002", "acme", "keyDeployer"), deploymentRoleGuid("00000000-0000-0000-0000-000000000001", "acme2", "keyDeployer"), deploymentRoleGuid("00000000-0000-0000-0000-000000000001", "acme", "clusterReader")]).size).toBe(4);
  });

  test("the key deployer may delete (soft delete, never purge) keys only when dataProtection.allowDestroy", () => {
    const raw = readConfigFile("examples/azure.yaml") as Record<string, unknown>;
    const loose = validateDeployment({ ...raw, dataProtection: { allowDestroy: true } } as DeploymentInput, "examples/azure.yaml");
    expect(defs(synthRoles(d)).KeyDeployerRole.permissions).toEqual([expect.objectContaining({ data_actions: expect.not.arrayContaining([KEY_DELETE_DATA_ACTION]) })]);
    expect(defs(synthRoles(loose)).KeyDeployerRole.permissions).toEqual([expect.objectContaining({ data_actions: [...KEY_DEPLOYER_DATA_ACTIONS, KEY_DELETE_DATA_ACTION] })]);
  });

  test("a built-in role name without a GUID, or an assignment to a principal the config does not name, stops the bootstrap", () => {
    expect(() => builtInRoleId("Storage Blob Data Owner")).toThrow(/no GUID in AZURE_BUILT_IN_ROLES .*built-in-roles/);
    const app = Testing.app();
    const stack = new TerraformStack(app, "x");
    new RoleAssignment(stack, "Odd", { scope: "/subscriptions/s", roleDefinitionName: "Reader", principalId: "12121212-1212-4212-8212-121212121212" });
    expect(() => roleGrants([stack], d.azure!)).toThrow(/neither azure\.deployerObjectId, azure\.planObjectId nor an identity the stack creates/);
  });
});

describe("GCP: <name>-deploy-roles", () => {
  const d = load("examples/gcp.yaml");
  const member = "serviceAccount:deploy@acme-catalog-prod.iam.gserviceaccount.com";
  const tf = JSON.parse(Testing.synth(new GcpDeployRolesStack(Testing.app(), "globex-prod-deploy-roles", { deployment: deploymentOn("gcp", d), applyMember: member, planMember: "serviceAccount:plan@acme-catalog-prod.iam.gserviceaccount.com" }))) as Json;
  const roles = Object.fromEntries(Object.values(tf.resource.google_project_iam_custom_role).map((r) => [String(r.role_id), r.permissions as string[]]));
  const derived = fromShipped("examples-gcp", "gcp");

  test("custom plan, apply, grant, service-account, cluster, key-and-bucket and firewall-rule roles with exactly the derived permissions, none a wildcard, no Owner or Editor", () => {
    expect(new Set(roles.globex_prod_deploy_plan)).toEqual(new Set(derived.read));
    const applies = ["apply", "grants", "service_accounts", "cluster", "keys_and_buckets", "firewalls"].map((r) => roles[`globex_prod_deploy_${r}`]);
    const onKeysAndBuckets = ["cloudkms.cryptoKeys.setIamPolicy", "cloudkms.cryptoKeyVersions.destroy", "cloudkms.cryptoKeys.create", "storage.buckets.setIamPolicy", "storage.buckets.update", "storage.buckets.delete"];
    expect(roles.globex_prod_deploy_keys_and_buckets).toEqual(expect.arrayContaining(onKeysAndBuckets));
    for (const p of onKeysAndBuckets) expect(roles.globex_prod_deploy_apply).not.toContain(p);
    expect(new Set(applies.flat())).toEqual(new Set([...derived.read, ...derived.write]));
    expect(applies.flat()).toHaveLength(new Set(applies.flat()).size);
    expect(roles.globex_prod_deploy_service_accounts).toEqual(expect.arrayContaining(["iam.serviceAccounts.actAs", "iam.serviceAccounts.setIamPolicy"]));
    expect(roles.globex_prod_deploy_cluster).toEqual(["container.clusters.delete", "container.clusters.update"]);
    expect([...roles.globex_prod_deploy_firewalls].sort()).toEqual(["compute.firewalls.create", "compute.firewalls.delete", "compute.firewalls.update"]);
    expect(roles.globex_prod_deploy_grants).toEqual(["resourcemanager.projects.setIamPolicy"]);
    expect(roles.globex_prod_deploy_apply).not.toContain("resourcemanager.projects.setIamPolicy");
    for (const p of Object.values(roles).flat()) expect(p).not.toContain("*");
    expect(JSON.stringify(tf)).not.toMatch(/roles\/(owner|editor)"/);
  });

  test("the grant role is bound on condition: setIamPolicy may change only the roles the deployment's stacks grant", () => {
    const shipped = Object.values(synthesizedStacks("examples-gcp")) as unknown as Json[];
    const granted = [...new Set(shipped.flatMap((s) => Object.values(s.resource?.google_project_iam_member ?? {}).map((m) => String(m.role))))].sort();
    expect(granted.length).toBeGreaterThan(0);
    const bindings = Object.values(tf.resource.google_project_iam_member);
    const conditional = bindings.find((b) => String(b.role).includes("GrantRole"))!;
    expect(conditional.member).toBe(member);
    expect((conditional.condition as { expression: string }).expression).toBe(`api.getAttribute('${MODIFIED_GRANTS_BY_ROLE}', []).hasOnly([${granted.map((r) => `'${r}'`).join(", ")}])`);
    expect(bindings.filter((b) => b.condition === undefined && !String(b.role).startsWith("roles/container.")).map((b) => String(b.role))).toEqual([expect.stringMatching(/ApplyRole/), expect.stringMatching(/PlanRole/)]);
  });

  test("GKE authorizes the Kubernetes stacks by IAM: the apply identity manages cluster objects, the plan identity reads them", () => {
    const bindings = Object.values(tf.resource.google_project_iam_member).map((b) => ({ role: String(b.role), member: String(b.member) }));
    expect(bindings).toContainEqual({ role: GKE_API_ROLES.apply, member });
    expect(bindings.filter((b) => b.role.startsWith("roles/container.")).map((b) => b.role).sort()).toEqual([GKE_API_ROLES.apply, GKE_API_ROLES.plan].sort());
  });

  test("a malformed member is refused with the fix", () => {
    expect(() => new GcpDeployRolesStack(Testing.app(), "x", { deployment: deploymentOn("gcp", d), applyMember: "deploy@x" })).toThrow(/is not an IAM member; give e\.g\. serviceAccount:/);
  });

  test("a key ring, key or bucket the condition cannot name literally is refused with the fix", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const ring = new KmsKeyRing(stack, "Ring", { name: "r", location: "europe-west1" });
    new KmsCryptoKey(stack, "Own", { name: "k", keyRing: ring.id });
    expect(deploymentKeysAndBuckets([stack], "p").cryptoKeys).toEqual(["projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k"]);
    const looked = new DataGoogleKmsKeyRing(stack, "Looked", { name: "x", location: "europe-west1" });
    new KmsCryptoKey(stack, "Foreign", { name: "k2", keyRing: looked.id });
    expect(() => deploymentKeysAndBuckets([stack], "p")).toThrow(/Foreign: the key's key ring \(\$\{data\.google_kms_key_ring\.Looked\.id\}\) is none of the deployment's own; name it literally/);
    const other = new TerraformStack(Testing.app(), "t");
    new KmsKeyRing(other, "Ring", { name: ring.name, location: "europe-west1" });
    expect(() => deploymentKeysAndBuckets([other], "p")).toThrow(/the key ring's name must be literal/);
  });

  test("a firewall rule the condition cannot name literally is refused with the fix; literal ones are named in their project", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const net = new ComputeNetwork(stack, "Net", { name: "n" });
    new ComputeFirewall(stack, "Own", { name: "d-deny-all", network: net.id, deny: [{ protocol: "all" }] });
    new ComputeFirewall(stack, "Host", { name: "d-health", project: "host", network: net.id, allow: [{ protocol: "tcp" }] });
    expect(deploymentFirewalls([stack], "p")).toEqual(["projects/host/global/firewalls/d-health", "projects/p/global/firewalls/d-deny-all"]);
    new ComputeFirewall(stack, "Named", { name: net.name, network: net.id, deny: [{ protocol: "all" }] });
    expect(() => deploymentFirewalls([stack], "p")).toThrow(/Named: the firewall rule's project and name must be literal for the deploy roles to name it/);
  });
});

describe("what the providers call, beyond each resource's own verbs (second fresh-eyes review)", () => {
  test("GCP: a Cloud DNS record is created and read by listing the zone's record sets (resource_dns_record_set.go), so both roles may list them", () => {
    const derived = fromShipped("examples-gcp-estate-gateway", "gcp");
    // The plan role holds the reads; the apply role the reads and the writes.
    expect(derived.read).toContain("dns.resourceRecordSets.list");
  });
  test("Azure: auto-approved private endpoints need the approval action of every target type: key vaults and the storage account; and the endpoint types read", () => {
    const derived = fromShipped("examples-azure", "azure");
    expect(derived.write).toEqual(expect.arrayContaining(["Microsoft.KeyVault/vaults/PrivateEndpointConnectionsApproval/action", "Microsoft.Storage/storageAccounts/PrivateEndpointConnectionsApproval/action"]));
    expect(derived.read).toContain("Microsoft.Network/locations/availablePrivateEndpointTypes/read");
  });
});
