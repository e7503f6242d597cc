import { AzurermBackend, GcsBackend, LocalBackend, S3Backend, TerraformStack } from "cdktf";
import type { Deployment } from "../config/schema";

/**
 * Gives a stack its explicit backend, chosen by the deployment's `state` section.
 *
 * Every stack has one (never cdktf's implicit local backend, which writes the machine's absolute
 * path into the output). Remote backends encrypt state and lock it; cross-stack references read
 * the producer's state through the same backend.
 */
export function configureBackend(stack: TerraformStack, stackId: string, state: Deployment["state"]): void {
  switch (state.backend) {
    case "local":
      // Relative to the stack's working directory (<outdir>/stacks/<id>/): the project root, so state
      // survives re-synthesis and every stack's directory resolves it the same way.
      new LocalBackend(stack, { path: `../../../terraform.${stackId}.tfstate` });
      return;
    case "s3": {
      const backend = new S3Backend(stack, {
        bucket: state.bucket,
        key: stateLocation(state, stackId),
        region: state.region,
        encrypt: true,
        // Without it terraform sends SSE-S3 (AES256) on every write, overriding the bucket's KMS default
        // (terraform v1.11.4 internal/backend/remote-state/s3/client.go, Put).
        ...(state.kmsKeyId ? { kmsKeyId: state.kmsKeyId } : {}),
      });
      // S3-native locking (Terraform >= 1.10); cdktf 0.21's typed props predate it.
      backend.addOverride("use_lockfile", true);
      return;
    }
    case "azurerm":
      new AzurermBackend(stack, {
        resourceGroupName: state.resourceGroupName,
        storageAccountName: state.storageAccountName,
        containerName: state.containerName,
        key: stateLocation(state, stackId),
        // Entra ID auth to the state account: no storage account key in the environment.
        useAzureadAuth: true,
      });
      return;
    case "gcs":
      new GcsBackend(stack, { bucket: state.bucket, prefix: stateLocation(state, stackId) });
      return;
  }
}

/**
 * Where a stack's state is in its remote backend: the object key `<keyPrefix>/<stack id>.tfstate` (s3, azurerm), or
 * the object prefix `<prefix>/<stack id>` under which the gcs backend writes `default.tfstate` and its lock. The
 * bootstraps grant the deploy identities exactly these.
 */
export function stateLocation(state: Exclude<Deployment["state"], { backend: "local" }>, stackId: string): string {
  return state.backend === "gcs" ? `${state.prefix}/${stackId}` : `${state.keyPrefix}/${stackId}.tfstate`;
}
