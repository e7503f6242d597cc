import type { TerraformStack } from "cdktf";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";

/** What the aws provider's KMS key calls depend on: one key's settings as the stack writes them. */
interface KeySettings {
  readonly enabled: unknown;
  readonly rotation: unknown;
  readonly policy: boolean;
  /** Not under lifecycle prevent_destroy. */
  readonly allowDestroy: boolean;
}

/**
 * The KMS key writes the aws provider makes only for some setting of a key, and that setting
 * (hashicorp/terraform-provider-aws v5, internal/service/kms/key.go): resourceKeyCreate sends the policy and the
 * tags in CreateKey, then calls EnableKeyRotation when enable_key_rotation is true and DisableKey when is_enabled is
 * false; resourceKeyUpdate calls EnableKey, EnableKeyRotation or DisableKeyRotation, UpdateKeyDescription,
 * PutKeyPolicy and DisableKey only when that attribute changed (policy is Optional and Computed: a key whose
 * config has no policy never changes it); resourceKeyDelete calls ScheduleKeyDeletion, which terraform never
 * plans for a key under lifecycle prevent_destroy.
 */
export const CONDITIONAL_KEY_WRITES: Readonly<Record<string, { readonly when: string; readonly needed: (k: KeySettings) => boolean }>> = {
  "kms:DisableKey": { when: "a key with is_enabled false", needed: (k) => k.enabled !== true },
  "kms:DisableKeyRotation": { when: "a key with enable_key_rotation false", needed: (k) => k.rotation !== true },
  "kms:PutKeyPolicy": { when: "a key whose config sets its policy (a change of it)", needed: (k) => k.policy },
  "kms:ScheduleKeyDeletion": { when: "a key without lifecycle prevent_destroy (dataProtection.allowDestroy)", needed: (k) => k.allowDestroy },
};

/**
 * The KMS writes of CONDITIONAL_KEY_WRITES that none of the deployment's keys needs, so the apply role is not
 * granted them. They are the writes that matter on a key that is not the deployment's (a key policy that hands
 * the key over, a deletion, a disable): the fewer the apply role holds, the less a key tagged into the deployment
 * by mistake or on purpose exposes (the tag-scoped grants, aws-deploy-policy.ts).
 */
export function unneededKeyWrites(stacks: readonly TerraformStack[]): string[] {
  const keys: KeySettings[] = stacks
    .flatMap((s) => s.node.findAll())
    .filter((c): c is KmsKey => c instanceof KmsKey)
    .map((k) => ({ enabled: k.isEnabledInput ?? true, rotation: k.enableKeyRotationInput, policy: k.policyInput !== undefined, allowDestroy: k.lifecycle?.preventDestroy !== true }));
  return Object.entries(CONDITIONAL_KEY_WRITES)
    .filter(([, fact]) => !keys.some((k) => fact.needed(k)))
    .map(([action]) => action);
}
