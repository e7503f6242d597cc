import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { RoleDefinition, type RoleDefinitionPermissions } from "@cdktf/provider-azurerm/lib/role-definition";
import { findingsOf, newStack } from "./fixtures/harness";

// AZ-26 on a role assignment whose role is a custom role defined in the same stack: it judges the role's
// permissions (a token it can resolve), instead of failing on an id it cannot see.

function az26(permissions: RoleDefinitionPermissions, referenceBy: "role_definition_resource_id" | "external" = "role_definition_resource_id") {
  const { app, stack } = newStack();
  new AzurermProvider(stack, "Azure", { features: [{}], subscriptionId: "00000000-0000-0000-0000-000000000002" });
  const role = new RoleDefinition(stack, "Role", { name: "custom", scope: "/subscriptions/x/resourceGroups/rg", assignableScopes: ["/subscriptions/x/resourceGroups/rg"], permissions: [permissions] });
  new RoleAssignment(stack, "Grant", {
    scope: "/subscriptions/x/resourceGroups/rg",
    principalId: "p",
    roleDefinitionId: referenceBy === "external" ? "${var.role_id}" : role.roleDefinitionResourceId,
  });
  return findingsOf(app).filter((f) => f.ruleId === "AZ-26");
}

test("an explicit list of key data actions passes", () => {
  const [f] = az26({ actions: [], dataActions: ["Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/create/action"] });
  expect(f.status).toBe("pass");
});
test("read-only wildcards pass", () => {
  expect(az26({ actions: ["Microsoft.Authorization/*/read"], dataActions: [] })[0].status).toBe("pass");
});
test.each<[RoleDefinitionPermissions, RegExp]>([
  [{ actions: ["*"] }, /wildcard \*/],
  [{ dataActions: ["Microsoft.KeyVault/vaults/keys/*"] }, /wildcard Microsoft\.KeyVault\/vaults\/keys\/\*/],
  [{ actions: ["Microsoft.Authorization/roleAssignments/write"] }, /administers access/],
])("%j is administrative: fail", (permissions, problem) => {
  const [f] = az26(permissions);
  expect(f.status).toBe("fail");
  expect(f.problems.join(" ")).toMatch(problem);
});
test("a role id from outside the stack is still not known at synth: fail", () => {
  const [f] = az26({ dataActions: ["Microsoft.KeyVault/vaults/keys/read"] }, "external");
  expect(f.status).toBe("fail");
  expect(f.problems.join(" ")).toMatch(/not known at synth/);
});
