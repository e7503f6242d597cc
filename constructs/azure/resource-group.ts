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
