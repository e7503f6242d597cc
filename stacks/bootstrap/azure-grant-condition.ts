import { Token, type TerraformStack } from "cdktf";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { AzureSettings } from "../../config/schema";
import { builtInRoleId } from "../../constructs/azure/deployment-roles";

const DOCS = "https://learn.microsoft.com/azure/role-based-access-control";

/**
 * How Azure ABAC constrains role assignment management (delegation conditions): facts, with their sources, that the
 * apply identity's grant role assignment relies on.
 */
export const AZURE_DELEGATION_FACTS = {
  /** The two actions a delegation condition targets, and which attribute sources each one has. */
  actions: {
    value: {
      "Microsoft.Authorization/roleAssignments/write": { request: ["RoleDefinitionId", "PrincipalId", "PrincipalType"], resource: [] },
      "Microsoft.Authorization/roleAssignments/delete": { request: [], resource: ["RoleDefinitionId", "PrincipalId", "PrincipalType"] },
    },
    source:
      `${DOCS}/conditions-authorization-actions-attributes ('Create or update role assignments': Request attributes Role definition ID, Principal ID, ` +
      "Principal type, no Resource attributes; 'Delete a role assignment': Resource attributes only); " +
      `${DOCS}/delegate-role-assignments-examples ('you must add two conditions because the attribute source is different for each action')`,
  },
  /** The attributes (namespace `Microsoft.Authorization/roleAssignments:`), their types and the operators used here. */
  attributes: {
    value: {
      RoleDefinitionId: { type: "GUID", operators: ["ForAnyOfAnyValues:GuidEquals", "ForAnyOfAllValues:GuidNotEquals"] },
      PrincipalId: { type: "GUID", operators: ["ForAnyOfAnyValues:GuidEquals", "ForAnyOfAllValues:GuidNotEquals"] },
      PrincipalType: { type: "STRING", values: ["User", "ServicePrincipal", "Group"], operators: ["ForAnyOfAnyValues:StringEqualsIgnoreCase"] },
    },
    source:
      `${DOCS}/conditions-authorization-actions-attributes (attribute types, PrincipalType values User, ServicePrincipal, Group); ` +
      `${DOCS}/delegate-role-assignments-portal (common operators: ForAnyOfAnyValues:GuidEquals, ForAnyOfAllValues:GuidNotEquals); ` +
      `${DOCS}/conditions-format (cross-product operators; ForAnyOfAllValues: one left value against every right value; grouping: three or more expressions need parentheses)`,
  },
  /** Any role holding roleAssignments/write or delete may carry the condition, a custom role included. */
  customRoleMayCarryCondition: {
    value: true,
    source:
      `${DOCS}/delegate-role-assignments-portal, Step 2: 'You can select any role that includes the Microsoft.Authorization/roleAssignments/write ` +
      "or Microsoft.Authorization/roleAssignments/delete actions, such as User Access Administrator, but Role Based Access Control Administrator has fewer permissions'; " +
      `${DOCS}/conditions-faq ('Can you add conditions to custom role assignments? Yes, as long as the custom role includes actions that support conditions')`,
  },
  /** The longest condition Azure accepts. */
  maxConditionBytes: { value: 8 * 1024, source: `${DOCS}/conditions-faq ('What are the limits for a condition? A condition can be up to 8 KB long')` },
  /** Conditions are version 2.0 (azurerm_role_assignment condition_version). */
  conditionVersion: { value: "2.0", source: "https://learn.microsoft.com/rest/api/authorization/role-assignments/create (properties.conditionVersion: 'Currently the only accepted value is 2.0')" },
} as const;

/** The actions the grant role holds, split out of the apply role: only they carry the condition. */
export const ROLE_ASSIGNMENT_WRITES = ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete"] as const;

/** Who receives a role assignment the deployment's stacks make. */
export type Grantee = "apply" | "plan" | "created";

/** One role assignment of the deployment's stacks: the role's GUID and who receives it. */
export interface RoleGrant {
  readonly roleGuid: string;
  readonly grantee: Grantee;
  /** The construct path, for messages. */
  readonly path: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every role assignment of the given stacks: the role by GUID (a built-in role's name through AZURE_BUILT_IN_ROLES,
 * a custom role by its literal resource id) and the grantee: the config's apply or plan identity, or an identity the
 * stacks create (an unresolved reference), which must be a service principal (`principal_type`), as the condition
 * admits only those. Anything else throws: the condition could not admit it.
 */
export function roleGrants(stacks: readonly TerraformStack[], az: AzureSettings): RoleGrant[] {
  const grants: RoleGrant[] = [];
  for (const stack of stacks) {
    for (const c of stack.node.findAll()) {
      if (!(c instanceof RoleAssignment)) continue;
      const path = c.node.path;
      const byName = c.roleDefinitionNameInput;
      const byId = c.roleDefinitionIdInput;
      let roleGuid: string;
      if (byName !== undefined && !Token.isUnresolved(byName)) roleGuid = builtInRoleId(byName);
      else if (byId !== undefined && !Token.isUnresolved(byId) && GUID.test(byId.split("/").pop() ?? "")) roleGuid = byId.split("/").pop()!.toLowerCase();
      else throw new Error(`${path}: a role assignment's role must be a built-in role's name or a literal role definition id, so the apply identity's delegation condition can name it`);
      const principal = c.principalIdInput!;
      let grantee: Grantee;
      if (principal === az.deployerObjectId) grantee = "apply";
      else if (az.planObjectId !== undefined && principal === az.planObjectId) grantee = "plan";
      else if (Token.isUnresolved(principal)) {
        if (c.principalTypeInput !== "ServicePrincipal") throw new Error(`${path}: an assignment to an identity the stack creates must set principalType "ServicePrincipal" (the delegation condition admits only service principals there)`);
        grantee = "created";
      } else throw new Error(`${path}: principal ${principal} is neither azure.deployerObjectId, azure.planObjectId nor an identity the stack creates`);
      grants.push({ roleGuid, grantee, path });
    }
  }
  return grants;
}

const ATTR = (source: "Request" | "Resource", name: keyof typeof AZURE_DELEGATION_FACTS.attributes.value) => `@${source}[Microsoft.Authorization/roleAssignments:${name}]`;
const set = (values: readonly string[]) => `{${values.join(", ")}}`;

/**
 * The ABAC condition (version 2.0) of the apply identity's grant role assignment: it may create (write, @Request
 * attributes) and delete (@Resource attributes) only assignments the deployment's stacks make: each role only to
 * the grantees the stacks give it. The apply and plan identities' roles go to exactly those identities; the roles of
 * identities the stacks create go only to service principals other than the apply and plan identities, so the apply
 * identity cannot give itself (or the plan identity) a role meant for a managed identity. Every other role (Owner,
 * User Access Administrator, Contributor, Role Based Access Control Administrator, any custom role) is refused.
 */
export function delegationCondition(grants: readonly RoleGrant[], az: AzureSettings): string {
  const rolesOf = (g: Grantee) => [...new Set(grants.filter((x) => x.grantee === g).map((x) => x.roleGuid))].sort();
  const deploymentIdentities = [az.deployerObjectId, ...(az.planObjectId ? [az.planObjectId] : [])];
  const branch = (source: "Request" | "Resource") => {
    const parts: string[] = [];
    const apply = rolesOf("apply");
    if (apply.length) parts.push(`(${ATTR(source, "RoleDefinitionId")} ForAnyOfAnyValues:GuidEquals ${set(apply)} AND ${ATTR(source, "PrincipalId")} ForAnyOfAnyValues:GuidEquals ${set([az.deployerObjectId])})`);
    const plan = rolesOf("plan");
    if (plan.length && az.planObjectId) parts.push(`(${ATTR(source, "RoleDefinitionId")} ForAnyOfAnyValues:GuidEquals ${set(plan)} AND ${ATTR(source, "PrincipalId")} ForAnyOfAnyValues:GuidEquals ${set([az.planObjectId])})`);
    const created = rolesOf("created");
    if (created.length) {
      parts.push(
        `(${ATTR(source, "RoleDefinitionId")} ForAnyOfAnyValues:GuidEquals ${set(created)} AND ${ATTR(source, "PrincipalType")} ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'} AND ` +
          `${ATTR(source, "PrincipalId")} ForAnyOfAllValues:GuidNotEquals ${set(deploymentIdentities)})`,
      );
    }
    if (!parts.length) throw new Error("the deployment's stacks make no role assignment: the grant role would be unused");
    return parts.join(" OR ");
  };
  const [write, del] = ROLE_ASSIGNMENT_WRITES;
  const condition = `((!(ActionMatches{'${write}'})) OR (${branch("Request")})) AND ((!(ActionMatches{'${del}'})) OR (${branch("Resource")}))`;
  const max = AZURE_DELEGATION_FACTS.maxConditionBytes.value;
  if (Buffer.byteLength(condition) > max) throw new Error(`the grant role's delegation condition is ${Buffer.byteLength(condition)} bytes; Azure accepts at most ${max} (${AZURE_DELEGATION_FACTS.maxConditionBytes.source})`);
  return condition;
}
