import { Construct } from "constructs";
import { ResourceGroup as AzResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { ManagementLock } from "@cdktf/provider-azurerm/lib/management-lock";

/** Props of {@link ResourceGroup}. */
export interface ResourceGroupProps {
  readonly name: string;
  readonly location: string;
  /** Tags on the group (the deployment's tags plus its name). @default - none */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Leave out the CanNotDelete management lock, which otherwise keeps anything in the group from being deleted
   * (by Terraform or anyone) until the lock is removed. Groups that hold no data set it.
   * @default false - the group carries the lock
   */
  readonly allowDestroy?: boolean;
  /**
   * The group's resource id, when someone else creates it (the bootstrap `<name>-deploy-roles` does, to assign the
   * deploy roles on it before this stack runs): a Terraform `import` block adopts it under this construct's address.
   * A group already in this stack's state skips the import (AZURE_RESOURCE_GROUP_FACTS.importInStateIsNoOp).
   * @default - created here
   */
  readonly adoptFrom?: string;
}

/** What adopting a resource group by an import block relies on, with sources. */
export const AZURE_RESOURCE_GROUP_FACTS = {
  /** A resource group's id, which is also its import id. */
  id: {
    value: "/subscriptions/{subscriptionId}/resourceGroups/{name}",
    source:
      "https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/resource_group#import " +
      "(`terraform import azurerm_resource_group.example /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/group1`); " +
      "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules",
  },
  /** An import block whose target is already in state is skipped: no provider call, no change (terraform >= 1.5). */
  importInStateIsNoOp: {
    value: true,
    source:
      "hashicorp/terraform internal/terraform/node_resource_plan.go, expandResourceImports ('filter out any known import which already " +
      "exist in state': 'skipping import address %s already in state'); measured with terraform 1.11 in __tests__/delivery/deploy-roles.test.ts; " +
      "https://developer.hashicorp.com/terraform/language/import (import blocks may stay in the configuration after the import)",
  },
} as const;

/** A resource group's id (AZURE_RESOURCE_GROUP_FACTS.id). */
export function resourceGroupId(subscriptionId: string, name: string): string {
  return AZURE_RESOURCE_GROUP_FACTS.id.value.replace("{subscriptionId}", subscriptionId).replace("{name}", name);
}

/**
 * A resource group, locked against deletion by default. The lock is Azure's own guard: it holds even
 * against a `terraform destroy` run outside this program or a click in the portal.
 */
export class ResourceGroup extends Construct {
  readonly resource: AzResourceGroup;
  /** The CanNotDelete lock, unless `allowDestroy`. */
  readonly lock?: ManagementLock;

  constructor(scope: Construct, id: string, props: ResourceGroupProps) {
    super(scope, id);
    this.resource = new AzResourceGroup(this, "Resource", {
      name: props.name,
      location: props.location,
      tags: { ...props.tags },
    });
    if (props.adoptFrom !== undefined) this.resource.importFrom(props.adoptFrom);
    if (!(props.allowDestroy ?? false)) {
      this.lock = new ManagementLock(this, "DeleteLock", {
        name: `${props.name}-cannot-delete`,
        scope: this.resource.id,
        lockLevel: "CanNotDelete",
        notes: "Holds platform data. Set dataProtection.allowDestroy to remove this lock before destroying.",
      });
    }
  }

  get name(): string {
    return this.resource.name;
  }

  get id(): string {
    return this.resource.id;
  }
}
