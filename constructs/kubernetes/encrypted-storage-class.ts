import { Construct } from "constructs";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import type { EncryptedStorageClassSpec } from "../../platform/platform-foundation";

/** The StorageClass name every stateful workload of the platform claims volumes from. */
export const ENCRYPTED_STORAGE_CLASS_NAME = "encrypted";

/** Props of EncryptedStorageClass. */
export interface EncryptedStorageClassProps {
  /** Provisioner and encryption parameters, from the foundation (`foundation.encryptedStorage`). */
  readonly spec: EncryptedStorageClassSpec;
  /** @default ENCRYPTED_STORAGE_CLASS_NAME ("encrypted") */
  readonly name?: string;
  /**
   * What happens to a volume when its claim is deleted. "Delete" only for throwaway deployments.
   * @default "Retain" - data outlives its claim
   */
  readonly reclaimPolicy?: "Retain" | "Delete";
}

/**
 * The StorageClass of encrypted volumes (EBS / managed disk / persistent disk encryption from the
 * cloud's contract). Binds on first consumer (the volume lands in the pod's zone), can grow, retains
 * data by default, and is explicitly NOT the cluster default: workloads name it, nothing falls back to
 * a class whose encryption nobody checked.
 */
export class EncryptedStorageClass extends Construct {
  /** The StorageClass. */
  readonly resource: StorageClassV1;
  /** Its name, as a reference. */
  readonly name: string;

  constructor(scope: Construct, id: string, props: EncryptedStorageClassProps) {
    super(scope, id);
    if (Object.keys(props.spec.parameters).length === 0) {
      throw new Error(`encrypted storage class: the foundation gave '${props.spec.provisioner}' no parameters; they must make encryption explicit`);
    }
    this.resource = new StorageClassV1(this, "Resource", {
      metadata: {
        name: props.name ?? ENCRYPTED_STORAGE_CLASS_NAME,
        annotations: { "storageclass.kubernetes.io/is-default-class": "false" },
      },
      storageProvisioner: props.spec.provisioner,
      parameters: { ...props.spec.parameters },
      reclaimPolicy: props.reclaimPolicy ?? "Retain",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    });
    this.name = this.resource.metadata.name;
  }
}
