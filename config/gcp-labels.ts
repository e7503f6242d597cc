/**
 * GCP label rules, shared by config validation (collisions are a config error) and the GCP stack.
 * Keys and values allow only lowercase letters, digits, `_` and `-`, at most 63 characters, and keys
 * start with a lowercase letter. Tags are portable across the three clouds, so they may hold capitals
 * and `.:/=+@`: those are lowercased and every other character becomes `_`.
 */
export function gcpLabelKey(tagKey: string): string {
  return gcpLabelValue(tagKey).replace(/^[^a-z]+/, "") || "tag";
}

/** A tag value as a GCP label value. */
export function gcpLabelValue(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 63);
}

/** Label keys the GCP stack adds itself; a tag mapping to one of them is refused. */
export const RESERVED_GCP_LABEL_KEYS = ["deployment"] as const;
