/**
 * Held by no CI identity: writing or deleting a managed identity's federated credentials. A federated credential is a
 * trust: Entra ID exchanges a token from `issuer` with `subject` for the identity's own token, so whoever may write one
 * can federate any identity of the group to an issuer it controls (its own OIDC provider, a GitHub repository) and act
 * as that identity from anywhere, for as long as the credential stays, outside the cluster. That reaches what no pod
 * reaches: the cluster's control-plane identity (Network Contributor on the network and an existing VNet), the disk
 * encryption set's and the storage accounts' key identities. Azure RBAC cannot condition the write on its issuer:
 * ABAC conditions exist only for the actions of the storage, Key Vault data and role-assignment attribute sources.
 * So the credentials change in an administrator's apply, as a role's trust does on AWS: the deployment's first apply
 * (a new cluster's issuer), a replaced cluster, a renamed service account. The plan job's trust guard names them
 * (scripts/trust-guard.ts, `federated-credential`) before the apply job meets AuthorizationFailed.
 */
export const AZURE_ADMIN_ONLY_ACTIONS = {
  value: ["Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write", "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete"],
  source:
    "https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust-user-assigned-managed-identity ('The federated identity " +
    "credential creates a trust relationship between a user-assigned managed identity and an external identity provider'); " +
    "https://learn.microsoft.com/rest/api/managedidentity/federated-identity-credentials/create-or-update (PUT .../userAssignedIdentities/{name}/federatedIdentityCredentials/{name}, " +
    "properties.issuer, subject, audiences); https://learn.microsoft.com/azure/role-based-access-control/conditions-format (conditions apply to the " +
    "actions of the attribute sources listed in conditions-authorization-actions-attributes and storage/key vault data actions; Microsoft.ManagedIdentity has none)",
} as const;
