import type { IConstruct } from "constructs";
import { Token } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";

/**
 * The permissions boundary of one of a deployment's IAM roles: a customer managed policy `<role name>-boundary`
 * that the bootstrap creates (stacks/bootstrap/aws-state-stack.ts) from what the role's own policies grant
 * (stacks/bootstrap/aws-role-boundary.ts), and that the apply role can neither change nor remove. The apply role
 * may create a role, and change its policies, only with the role's own boundary (iam:PermissionsBoundary): no role
 * it writes, whatever policy it gives it, ever holds more than that role holds by design.
 */
export function roleBoundaryName(roleName: string): string {
  return `${roleName}-boundary`;
}

/** A role's boundary's ARN in an account. */
export function roleBoundaryArn(partition: string, account: string, roleName: string): string {
  return `arn:${partition}:iam::${account}:policy/${roleBoundaryName(roleName)}`;
}

/**
 * Puts every IAM role under `scope` under its boundary (an in-place change of an existing role: the aws provider's
 * resourceRoleUpdate calls PutRolePermissionsBoundary, internal/service/iam/role.go). Called once, after the
 * stack's constructs exist, so no role is missed. Each role's name must be literal (its boundary is named after it).
 */
export function boundRoles(scope: IConstruct, partition: string, account: string): void {
  for (const role of scope.node.findAll().filter((c): c is IamRole => c instanceof IamRole)) {
    const name = role.nameInput;
    if (!name || Token.isUnresolved(name)) throw new Error(`IAM role ${role.node.path} has no literal name, so it has no boundary to name (constructs/aws/role-boundary.ts)`);
    role.permissionsBoundary = roleBoundaryArn(partition, account, name);
  }
}
