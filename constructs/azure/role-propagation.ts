import type { Construct } from "constructs";
import { TerraformProvider, TerraformResource, TerraformStack, type ITerraformDependable } from "cdktf";
import type { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";

/**
 * A role assignment is created at once but honoured only after Azure has propagated it: a service that uses the
 * grant in the same apply (a disk encryption set or a storage account reading its customer-managed key, AKS reading
 * the disk encryption set) can be refused (403, KeyVaultAuthenticationFailure) on the first apply, and succeed when
 * it is run again.
 */
export const AZURE_RBAC_PROPAGATION = {
  value: { wait: "5m" },
  source:
    "https://learn.microsoft.com/azure/role-based-access-control/troubleshooting (role assignment changes can take up to 10 minutes to take effect); " +
    "Azure/bicep#16601 (storage account with a customer-managed key in an RBAC vault fails on the first deployment, succeeds on retry); " +
    "hashicorp/terraform-provider-azurerm#32855 (a delay after the role assignment; hashicorp/time time_sleep)",
} as const;

/** hashicorp/time, pinned: its time_sleep waits on create only (later applies do not wait). */
export const TIME_PROVIDER = { source: "hashicorp/time", version: "0.13.1" } as const;

/** The hashicorp/time provider (no settings), once per stack. */
class TimeProvider extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      terraformResourceType: "time",
      terraformGeneratorMetadata: { providerName: "time", providerVersion: TIME_PROVIDER.version, providerVersionConstraint: TIME_PROVIDER.version },
      terraformProviderSource: TIME_PROVIDER.source,
    });
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {};
  }
}

function timeProvider(scope: Construct): TimeProvider {
  const stack = TerraformStack.of(scope);
  return (stack.node.tryFindChild("Time") as TimeProvider | undefined) ?? new TimeProvider(stack, "Time");
}

/**
 * What waits for `assignments` to take effect: one `time_sleep` of AZURE_RBAC_PROPAGATION after they are created (only
 * then: a changed assignment, a new id, waits again). Depend on this instead of on the assignments.
 */
export function propagated(scope: Construct, id: string, ...assignments: RoleAssignment[]): ITerraformDependable {
  if (assignments.length === 0) throw new Error(`propagated ${id}: name the role assignments to wait for`);
  const sleep = new TerraformResource(scope, id, {
    terraformResourceType: "time_sleep",
    terraformGeneratorMetadata: { providerName: "time" },
    provider: timeProvider(scope),
    dependsOn: assignments,
  });
  sleep.addOverride("create_duration", AZURE_RBAC_PROPAGATION.value.wait);
  sleep.addOverride("triggers", assignments.length === 1 ? { role_assignment_id: assignments[0].id } : Object.fromEntries(assignments.map((a) => [`${a.node.id}_id`, a.id])));
  return sleep;
}
