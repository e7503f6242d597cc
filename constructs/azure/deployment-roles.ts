import { createHash } from "node:crypto";
import { KEY_DELETE_DATA_ACTION, KEY_DEPLOYER_DATA_ACTIONS } from "./single-key-vault";

/**
 * Azure built-in roles by name -> role definition GUID, for every built-in role the deployment's stacks assign
 * (`role_definition_name`), and for the privileged roles the apply identity must never be able to assign.
 * Built-in role GUIDs are the same in every tenant and subscription. Facts, from Microsoft's list of built-in roles
 * (the ID column), https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
 * (MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles.md); Role Based Access Control
 * Administrator from the same list and from "Examples to delegate Azure role assignment management with conditions"
 * (https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples, its PowerShell
 * assigns `$roleDefinitionId = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"`). A role name the stacks assign that is missing
 * here stops the bootstrap (and fails __tests__/delivery/deploy-roles.test.ts): add it with its GUID from that page.
 */
export const AZURE_BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  // Assigned by the cloud stack.
  "Azure Kubernetes Service Cluster User Role": "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
  "Azure Kubernetes Service RBAC Cluster Admin": "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
  "Key Vault Contributor": "f25e0fa2-a7c8-4377-a976-54943a77a395",
  "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
  "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
  "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
  "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
  "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
  Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  // Assigned by the bootstrap on the state container (the apply identity has Storage Blob Data Contributor).
  "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
  // Never assignable by the apply identity (they grant role assignment or everything).
  Owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
  "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
};

/** The GUID of a built-in role by name; throws, naming the table to extend, for a name it does not hold. */
export function builtInRoleId(name: string): string {
  const id = AZURE_BUILT_IN_ROLES[name];
  if (!id) throw new Error(`built-in role '${name}' has no GUID in AZURE_BUILT_IN_ROLES (constructs/azure/deployment-roles.ts): add it from https://learn.microsoft.com/azure/role-based-access-control/built-in-roles`);
  return id;
}

/** The custom roles the bootstrap (`<name>-deploy-roles`) defines for the cloud stack to assign. */
export type DeploymentRoleKind = "keyDeployer" | "clusterReader";

/** What a deployment custom role holds: data actions only, no control-plane action. */
export interface DeploymentRoleSpec {
  /**
   * Role name, unique in the tenant ("This display name must be unique at the scope of the Microsoft Entra tenant",
   * https://learn.microsoft.com/azure/role-based-access-control/custom-roles#custom-role-properties). Never
   * `<vault> key deployer` or `<name> cluster reader`: the roles these replace, which exist until the next cloud apply.
   */
  readonly name: string;
  readonly description: string;
  readonly dataActions: readonly string[];
}

/**
 * The deployment's custom roles. They used to be defined by the cloud stack (`<vault> key deployer` in each vault's
 * resource group, `<name> cluster reader`), which gave the apply identity roleDefinitions/write; the bootstrap now
 * defines them, at the subscription, under new names (role names are unique per tenant, and an existing deployment
 * holds the old ones until its next cloud apply deletes them).
 */
export function deploymentRoleSpecs(deploymentName: string, keysDeletable: boolean): Readonly<Record<DeploymentRoleKind, DeploymentRoleSpec>> {
  return {
    keyDeployer: {
      name: `${deploymentName}-deploy-keys`,
      description: `Terraform creates, reads and sets the rotation policy of the keys of ${deploymentName}'s key vaults (assigned per vault); it can neither use nor purge them.`,
      dataActions: [...KEY_DEPLOYER_DATA_ACTIONS, ...(keysDeletable ? [KEY_DELETE_DATA_ACTION] : [])],
    },
    clusterReader: {
      name: `${deploymentName}-deploy-cluster-reader`,
      description: `Reads every Kubernetes object of ${deploymentName}'s AKS cluster (Secrets included; assigned on the cluster) and writes nothing: what a plan refreshes.`,
      dataActions: ["Microsoft.ContainerService/managedClusters/*/read"],
    },
  };
}

/**
 * The fixed GUID of one of the deployment's custom roles: derived from the subscription, the deployment's name and
 * the role, so the bootstrap creates the role under it (`role_definition_id`) and the cloud stack assigns it by the same
 * id with no cross-stack reference, and the bootstrap's delegation condition can name it before it exists.
 * A name-based (SHA-256) UUID in RFC 9562 version-8 layout.
 */
export function deploymentRoleGuid(subscriptionId: string, deploymentName: string, kind: DeploymentRoleKind): string {
  const b = createHash("sha256").update(`metadata-platform/deploy-roles/${subscriptionId.toLowerCase()}/${deploymentName}/${kind}`).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x80;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The role definition resource id the cloud stack assigns: the role lives at the subscription. */
export function deploymentRoleDefinitionId(subscriptionId: string, deploymentName: string, kind: DeploymentRoleKind): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${deploymentRoleGuid(subscriptionId, deploymentName, kind)}`;
}
