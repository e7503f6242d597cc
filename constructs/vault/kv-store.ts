import { Construct } from "constructs";
import { KvSecretBackendV2 } from "@cdktf/provider-vault/lib/kv-secret-backend-v2";
import { Mount } from "@cdktf/provider-vault/lib/mount";
import { VAULT_MOUNTS } from "../../platform/service-names";

/** Props of KvStore. */
export interface KvStoreProps {
  /** @default VAULT_MOUNTS.kv ("kv") */
  readonly path?: string;
  /** Versions kept per secret. @default 10 */
  readonly maxVersions?: number;
  /** @default false - the mount (every secret in it) carries prevent_destroy */
  readonly allowDestroy?: boolean;
}

/**
 * KV version 2 for static secrets (API keys, tokens): versioned, check-and-set required on every
 * write (no blind overwrite). Terraform creates the engine only; values are written by operators or
 * services, never by Terraform, so none reaches state.
 */
export class KvStore extends Construct {
  readonly mount: Mount;
  /** The mount path. */
  readonly path: string;

  constructor(scope: Construct, id: string, props: KvStoreProps = {}) {
    super(scope, id);
    this.mount = new Mount(this, "Resource", {
      path: props.path ?? VAULT_MOUNTS.kv,
      type: "kv",
      options: { version: "2" },
      description: "Static secrets of the platform's services (KV v2)",
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
    this.path = this.mount.path;
    new KvSecretBackendV2(this, "Config", { mount: this.mount.path, maxVersions: props.maxVersions ?? 10, casRequired: true, deleteVersionAfter: 0 });
  }
}
