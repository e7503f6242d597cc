import { Construct } from "constructs";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";

/** Props of {@link KeyRing}. */
export interface KeyRingProps {
  readonly name: string;
  /** Region (or "global") of the ring; GKE secrets encryption needs the cluster's region. */
  readonly location: string;
  /**
   * Let `terraform destroy` remove the key ring. GCP never deletes a key ring: destroying only forgets it,
   * and the name can never be reused in the project.
   * @default false - lifecycle prevent_destroy
   */
  readonly allowDestroy?: boolean;
}

/** A Cloud KMS key ring, protected from destroy. */
export class KeyRing extends Construct {
  readonly resource: KmsKeyRing;

  constructor(scope: Construct, id: string, props: KeyRingProps) {
    super(scope, id);
    this.resource = new KmsKeyRing(this, "Resource", {
      name: props.name,
      location: props.location,
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
  }
}
