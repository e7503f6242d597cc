import { Testing } from "cdktf";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { Cloud, DeploymentInput } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { buildBootstrap } from "../../scripts/bootstrap";
import { AzureDeployRolesStack } from "../../stacks/bootstrap/azure-deploy-roles-stack";
import { GKE_API_ROLES, GcpDeployRolesStack, MODIFIED_GRANTS_BY_ROLE } from "../../stacks/bootstrap/gcp-deploy-roles-stack";
import { derivePermissions } from "../../stacks/bootstrap/deploy-permissions";
import { synthesizedStacks } from "../support/deployments";

type Json = { resource: Record<string, Record<string, Record<string, unknown>>> };
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

  test("custom plan and apply roles with exactly the derived actions, none a wildcard, no Owner or Contributor", () => {
    expect(new Set(actions("PlanRole"))).toEqual(new Set(derived.read));
    expect(new Set(actions("ApplyRole"))).toEqual(new Set([...derived.read, ...derived.write]));
    expect(derived.write).toEqual(expect.arrayContaining(["Microsoft.ContainerService/managedClusters/write", "Microsoft.Authorization/roleAssignments/write"]));
    for (const a of [...actions("PlanRole"), ...actions("ApplyRole")]) expect(a).not.toContain("*");
    expect(actions("PlanRole").filter((a) => /\/(write|delete)$/.test(a))).toEqual([]);
    expect(JSON.stringify(tf)).not.toMatch(/"Owner"|"Contributor"|8e3af657-a8ff-443c-a75c-2fe8c4bcb635|b24988ac-6180-42a0-ab88-20f7382dd24c/);
  });

  test("assigned at the subscription to the config's apply and plan identities", () => {
    const assignments = Object.values(tf.resource.azurerm_role_assignment);
    expect(assignments.map((a) => [a.principal_id, a.scope])).toEqual([
      [d.azure!.deployerObjectId, `/subscriptions/${d.azure!.subscriptionId}`],
      [d.azure!.planObjectId, `/subscriptions/${d.azure!.subscriptionId}`],
    ]);
  });

  test("scripts/bootstrap.ts builds it from an Azure config", () => {
    expect(buildBootstrap(Testing.app(), ["--config", "examples/azure.yaml"], {}).node.id).toBe("contoso-prod-deploy-roles");
  });
});

describe("GCP: <name>-deploy-roles", () => {
  const d = load("examples/gcp.yaml");
  const member = "serviceAccount:deploy@acme-catalog-prod.iam.gserviceaccount.com";
  const tf = JSON.parse(Testing.synth(new GcpDeployRolesStack(Testing.app(), "globex-prod-deploy-roles", { deployment: deploymentOn("gcp", d), applyMember: member, planMember: "serviceAccount:plan@acme-catalog-prod.iam.gserviceaccount.com" }))) as Json;
  const roles = Object.fromEntries(Object.values(tf.resource.google_project_iam_custom_role).map((r) => [String(r.role_id), r.permissions as string[]]));
  const derived = fromShipped("examples-gcp", "gcp");

  test("custom plan, apply and grant roles with exactly the derived permissions, none a wildcard, no Owner or Editor", () => {
    expect(new Set(roles.globex_prod_deploy_plan)).toEqual(new Set(derived.read));
    expect(new Set([...roles.globex_prod_deploy_apply, ...roles.globex_prod_deploy_grants])).toEqual(new Set([...derived.read, ...derived.write]));
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
