import { Construct } from "constructs";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { FederatedIdentityCredential } from "@cdktf/provider-azurerm/lib/federated-identity-credential";
import type { WorkloadIdentityBinding } from "../../platform/platform-foundation";
import { idOf } from "../../lib/construct-id";

/** A Kubernetes service account. */
export interface ServiceAccountRef {
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** Props of {@link WorkloadIdentity}. */
export interface WorkloadIdentityProps {
  readonly name: string;
  readonly location: string;
  readonly resourceGroupName: string;
  /** The cluster's OIDC issuer URL: only tokens it signs are exchanged. */
  readonly issuerUrl: string;
  /** The service accounts that may act as this identity (one federated credential each). */
  readonly subjects: readonly ServiceAccountRef[];
  readonly tags?: Readonly<Record<string, string>>;
}

/** The token audience Entra ID expects from Kubernetes workload identity. */
export const WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange";

/**
 * A user-assigned managed identity that named Kubernetes service accounts of one cluster can act as
 * (Entra workload identity federation): no client secret exists anywhere. It has no permissions until
 * granted, narrowly, by role assignments.
 */
export class WorkloadIdentity extends Construct {
  readonly resource: UserAssignedIdentity;

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    this.resource = new UserAssignedIdentity(this, "Resource", {
      name: props.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      tags: { ...props.tags },
    });
    for (const s of props.subjects) {
      new FederatedIdentityCredential(this, `${idOf(s.namespace)}${idOf(s.serviceAccount)}`, {
        name: `${s.namespace}-${s.serviceAccount}`,
        resourceGroupName: props.resourceGroupName,
        parentId: this.resource.id,
        issuer: props.issuerUrl,
        subject: `system:serviceaccount:${s.namespace}:${s.serviceAccount}`,
        audience: [WORKLOAD_IDENTITY_AUDIENCE],
      });
    }
  }

  get principalId(): string {
    return this.resource.principalId;
  }

  /** What binds a service account to this identity (Azure workload identity webhook). */
  get binding(): WorkloadIdentityBinding {
    return {
      serviceAccountAnnotations: { "azure.workload.identity/client-id": this.resource.clientId },
      podLabels: { "azure.workload.identity/use": "true" },
    };
  }
}
