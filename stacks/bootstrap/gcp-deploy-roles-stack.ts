import type { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { ProjectIamCustomRole } from "@cdktf/provider-google/lib/project-iam-custom-role";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import type { GcpDeployment } from "../../config/schema";
import { requirePermissions, synthesizedTypes } from "./deploy-permissions";
import { deploymentStacks } from "./deployment-types";

/** Props of {@link GcpDeployRolesStack}. */
export interface GcpDeployRolesStackProps {
  /** A GCP deployment. */
  readonly deployment: GcpDeployment;
  /** Who plans (e.g. serviceAccount:plan@acme.iam.gserviceaccount.com). @default - the role is created, not granted */
  readonly planMember?: string;
  /** Who applies. @default - the role is created, not granted */
  readonly applyMember?: string;
}

const MEMBER = /^(serviceAccount|user|group|principal|principalSet):[^\s]+$/;

/**
 * IAM Conditions can limit which roles a principal may grant with setIamPolicy: the attribute
 * `iam.googleapis.com/modifiedGrantsByRole` lists the roles a SetIamPolicy call adds or removes, and a request
 * that changes no grant has none. Source: https://cloud.google.com/iam/docs/conditions-attribute-reference#modified-grants-by-role
 */
export const MODIFIED_GRANTS_BY_ROLE = "iam.googleapis.com/modifiedGrantsByRole";

/**
 * The project permission that grants roles. It lives in a role of its own, bound with that condition: a
 * conditional binding only grants on resource types that support IAM Conditions (Resource Manager projects do,
 * for this attribute), so the apply role's other permissions stay in an unconditional binding.
 * Source: https://cloud.google.com/iam/docs/conditions-resource-attributes#resources
 */
export const PROJECT_GRANT_PERMISSIONS = ["resourcemanager.projects.setIamPolicy"] as const;

/**
 * What the Kubernetes stacks need on GKE: GKE authorizes every Kubernetes API call by IAM (container.* permissions
 * on Kubernetes objects) or by in-cluster RBAC, and nothing in the cluster grants the deploy identities RBAC. The
 * predefined roles cover the API objects: container.admin ("full management of Kubernetes clusters and their
 * Kubernetes API objects") for applies, container.viewer (read-only, no secret contents) for plans
 * (https://cloud.google.com/kubernetes-engine/docs/how-to/iam#predefined; .../concepts/access-control).
 */
export const GKE_API_ROLES = { apply: "roles/container.admin", plan: "roles/container.viewer", source: "https://cloud.google.com/kubernetes-engine/docs/how-to/iam#predefined" } as const;

/**
 * `<name>-deploy-roles`: the least-privilege deploy identities of a GCP deployment, in place of Owner. Two project
 * custom roles whose permissions are DERIVED from the resource types the deployment synthesizes (permission-facts.ts),
 * read-only for plans, read and write for applies; the apply binding carries an IAM Condition so its
 * resourcemanager.projects.setIamPolicy can only grant or revoke the roles the deployment's stacks grant
 * themselves. No `*` permission, no Owner or Editor.
 */
export class GcpDeployRolesStack extends TerraformStack {
  readonly planRole: ProjectIamCustomRole;
  readonly applyRole: ProjectIamCustomRole;
  /** setIamPolicy on the project, bound to the apply member only for the deployment's own roles. */
  readonly grantRole: ProjectIamCustomRole;

  constructor(scope: Construct, id: string, props: GcpDeployRolesStackProps) {
    super(scope, id);
    const d = props.deployment;
    for (const m of [props.planMember, props.applyMember]) {
      if (m !== undefined && !MEMBER.test(m)) throw new Error(`${id}: '${m}' is not an IAM member; give e.g. serviceAccount:deploy@${d.gcp.projectId}.iam.gserviceaccount.com`);
    }
    const project = d.gcp.projectId;
    new LocalBackend(this, { path: `../../../../terraform.${id}.tfstate` });
    new GoogleProvider(this, "Google", { project });
    const stacks = deploymentStacks(d);
    const derived = requirePermissions("gcp", synthesizedTypes(stacks));
    const roleId = (suffix: string) => `${d.name.replace(/-/g, "_")}_deploy_${suffix}`;
    this.planRole = new ProjectIamCustomRole(this, "PlanRole", { project, roleId: roleId("plan"), title: `${d.name} plan`, description: "Reads what the deployment's stacks refresh (derived from the synthesized resource types)", permissions: [...derived.read] });
    const grant = new Set<string>(PROJECT_GRANT_PERMISSIONS);
    this.applyRole = new ProjectIamCustomRole(this, "ApplyRole", { project, roleId: roleId("apply"), title: `${d.name} apply`, description: "Creates, updates and deletes what the deployment's stacks hold (derived from the synthesized resource types)", permissions: [...derived.read, ...derived.write].filter((p) => !grant.has(p)) });
    this.grantRole = new ProjectIamCustomRole(this, "GrantRole", { project, roleId: roleId("grants"), title: `${d.name} grants`, description: "Grants the roles the deployment's stacks grant, nothing else (conditional binding)", permissions: [...derived.write.filter((p) => grant.has(p))] });
    const grantable = projectRolesGranted(stacks);
    if (props.applyMember) {
      new ProjectIamMember(this, "ApplyMember", { project, role: this.applyRole.name, member: props.applyMember });
      new ProjectIamMember(this, "GrantMember", {
        project,
        role: this.grantRole.name,
        member: props.applyMember,
        condition: {
          title: "grants-only-the-deployments-roles",
          description: "setIamPolicy may add or remove only the roles the deployment's stacks grant",
          expression: `api.getAttribute('${MODIFIED_GRANTS_BY_ROLE}', []).hasOnly([${grantable.map((r) => `'${r}'`).join(", ")}])`,
        },
      });
    }
    if (props.planMember) new ProjectIamMember(this, "PlanMember", { project, role: this.planRole.name, member: props.planMember });
    // The vault, vault-config and platform stacks talk to the cluster's API (GKE_API_ROLES).
    if (props.applyMember) new ProjectIamMember(this, "ApplyKubernetesMember", { project, role: GKE_API_ROLES.apply, member: props.applyMember });
    if (props.planMember) new ProjectIamMember(this, "PlanKubernetesMember", { project, role: GKE_API_ROLES.plan, member: props.planMember });
    new TerraformOutput(this, "plan_role", { value: this.planRole.name });
    new TerraformOutput(this, "apply_role", { value: this.applyRole.name });
  }
}

/** The project-level roles the deployment's stacks grant (google_project_iam_member roles), sorted. */
export function projectRolesGranted(stacks: readonly TerraformStack[]): string[] {
  const roles = new Set<string>();
  for (const s of stacks) for (const c of s.node.findAll()) if (c instanceof ProjectIamMember) roles.add(c.roleInput as string);
  return [...roles].sort();
}
