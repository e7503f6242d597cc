import { Construct } from "constructs";
import { Mount } from "@cdktf/provider-vault/lib/mount";
import { TransitSecretBackendKey } from "@cdktf/provider-vault/lib/transit-secret-backend-key";
import { idOf } from "../../lib/construct-id";
import { VAULT_MOUNTS } from "../../platform/service-names";

/** Props of TransitKeys. */
export interface TransitKeysProps {
  /** Key names (one per service: vaultNames(service).transitKey). */
  readonly keys: readonly string[];
  /** @default VAULT_MOUNTS.transit ("transit") */
  readonly path?: string;
  /** Automatic rotation period. @default 2592000 (30 days) */
  readonly autoRotatePeriodSeconds?: number;
  /** @default false - the mount (and every key version in it) carries prevent_destroy */
  readonly allowDestroy?: boolean;
}

/**
 * The transit engine with the platform's encryption keys (encryption as a service: the keys never
 * leave Vault). AES-256-GCM, rotated automatically, never exportable, no plaintext backup, and not
 * deletable (deletion_allowed false), so data encrypted under them always stays decryptable.
 */
export class TransitKeys extends Construct {
  readonly mount: Mount;
  readonly keys: Readonly<Record<string, TransitSecretBackendKey>>;

  constructor(scope: Construct, id: string, props: TransitKeysProps) {
    super(scope, id);
    const period = props.autoRotatePeriodSeconds ?? 30 * 24 * 3600;
    if (period < 3600) throw new Error(`TransitKeys: autoRotatePeriodSeconds must be at least 3600 (Vault's minimum), got ${period}`);
    this.mount = new Mount(this, "Resource", {
      path: props.path ?? VAULT_MOUNTS.transit,
      type: "transit",
      description: "Encryption keys of the platform's services",
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
    const keys: Record<string, TransitSecretBackendKey> = {};
    for (const name of props.keys) {
      keys[name] = new TransitSecretBackendKey(this, `Key${idOf(name)}`, {
        backend: this.mount.path,
        name,
        type: "aes256-gcm96",
        autoRotatePeriod: period,
        deletionAllowed: false,
        exportable: false,
        allowPlaintextBackup: false,
      });
    }
    this.keys = keys;
  }
}
