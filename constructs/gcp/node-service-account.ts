import { Construct } from "constructs";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";

/** The only project roles GKE nodes need: write logs and metrics, read images. */
export const NODE_ROLES = [
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/monitoring.viewer",
  "roles/stackdriver.resourceMetadata.writer",
  "roles/artifactregistry.reader",
] as const;

/** Props of {@link NodeServiceAccount}. */
export interface NodeServiceAccountProps {
  readonly projectId: string;
  /** 6-30 characters: lowercase letters, digits, '-'. */
  readonly accountId: string;
}

/**
 * A dedicated, least-privilege identity for the GKE nodes, never the Compute Engine default service
 * account (which holds Editor on the project). Workloads get their own identities by workload
 * identity; the node identity is only for the node's agents.
 */
export class NodeServiceAccount extends Construct {
  readonly resource: ServiceAccount;
  /** Project role grants, one per NODE_ROLES entry. */
  readonly grants: readonly ProjectIamMember[];

  constructor(scope: Construct, id: string, props: NodeServiceAccountProps) {
    super(scope, id);
    this.resource = new ServiceAccount(this, "Resource", {
      project: props.projectId,
      accountId: props.accountId,
      displayName: "GKE nodes (least privilege)",
      description: "Node identity of the metadata platform's GKE cluster: logs, metrics, image pulls only",
      // The deploy-roles bootstrap creates the account first, to grant the apply identity on it alone; this stack
      // then takes it over (stacks/bootstrap/gcp-deploy-roles-stack.ts, ADOPT_EXISTING_SERVICE_ACCOUNT).
      createIgnoreAlreadyExists: true,
    });
    this.grants = NODE_ROLES.map(
      (role) =>
        new ProjectIamMember(this, role.replace("roles/", ""), {
          project: props.projectId,
          role,
          member: this.resource.member,
        }),
    );
  }
}
