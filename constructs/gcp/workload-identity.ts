import { Construct } from "constructs";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import type { WorkloadIdentityBinding } from "../../platform/platform-foundation";

/** A Kubernetes service account, by namespace and name. */
export interface KubernetesSubject {
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** Props of {@link WorkloadIdentity}. */
export interface WorkloadIdentityProps {
  readonly projectId: string;
  /** 6-30 characters: lowercase letters, digits, '-'. */
  readonly accountId: string;
  readonly displayName: string;
  /**
   * The cluster's workload identity pool (`<project>.svc.id.goog`). Pass the cluster's attribute so the
   * bindings wait for the cluster: the pool exists only once a cluster uses it.
   */
  readonly workloadPool: string;
  /** The Kubernetes service accounts allowed to act as this identity; no one else is. */
  readonly subjects: readonly KubernetesSubject[];
}

/**
 * A Google service account that only the named Kubernetes service accounts can impersonate, through
 * GKE workload identity (no key file exists). It holds no role by itself: callers grant it exactly
 * the resources it needs.
 */
export class WorkloadIdentity extends Construct {
  readonly resource: ServiceAccount;
  /** What the Kubernetes service accounts carry to become this identity. */
  readonly binding: WorkloadIdentityBinding;

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    if (props.subjects.length === 0) throw new Error(`workload identity ${props.accountId}: give at least one Kubernetes service account`);
    this.resource = new ServiceAccount(this, "Resource", {
      project: props.projectId,
      accountId: props.accountId,
      displayName: props.displayName,
      description: `Workload identity of ${props.subjects.map((s) => `${s.namespace}/${s.serviceAccount}`).join(", ")}`,
      // Created first by the deploy-roles bootstrap, taken over here (stacks/bootstrap/gcp-deploy-roles-stack.ts, ADOPT_EXISTING_SERVICE_ACCOUNT).
      createIgnoreAlreadyExists: true,
    });
    for (const s of props.subjects) {
      new ServiceAccountIamMember(this, `${s.namespace}-${s.serviceAccount}`, {
        serviceAccountId: this.resource.name,
        role: "roles/iam.workloadIdentityUser",
        member: `serviceAccount:${props.workloadPool}[${s.namespace}/${s.serviceAccount}]`,
      });
    }
    this.binding = {
      serviceAccountAnnotations: { "iam.gke.io/gcp-service-account": this.resource.email },
      podLabels: {},
    };
  }
}
