/**
 * Turns the deployment's tags into GCP labels, deterministically.
 *
 * GCP label keys and values allow only lowercase letters, digits, `_` and `-`, at most 63 characters,
 * and keys start with a lowercase letter. Tags are portable across the three clouds, so they may hold
 * capitals and `.:/=+@`: those are lowercased and every other character becomes `_`.
 * Two tags that map to the same label key are refused (one would silently overwrite the other).
 */
export function toGcpLabels(tags: Readonly<Record<string, string>>): Record<string, string> {
  const labels: Record<string, string> = {};
  const origin: Record<string, string> = {};
  for (const key of Object.keys(tags).sort()) {
    const labelKey = sanitize(key).replace(/^[^a-z]+/, "") || "tag";
    if (origin[labelKey] !== undefined) {
      throw new Error(`tags '${origin[labelKey]}' and '${key}' both become the GCP label '${labelKey}'; rename one of them in 'tags'`);
    }
    origin[labelKey] = key;
    labels[labelKey] = sanitize(tags[key]);
  }
  return labels;
}

function sanitize(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 63);
}
