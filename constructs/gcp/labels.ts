import { gcpLabelKey, gcpLabelValue } from "../../config/gcp-labels";

/**
 * Turns the deployment's tags into GCP labels, deterministically (rules in config/gcp-labels.ts).
 * Config validation already refused tags that map to the same label key; this re-checks, so a caller
 * that bypasses validation still cannot silently overwrite one label with another.
 */
export function toGcpLabels(tags: Readonly<Record<string, string>>): Record<string, string> {
  const labels: Record<string, string> = {};
  const origin: Record<string, string> = {};
  for (const key of Object.keys(tags).sort()) {
    const labelKey = gcpLabelKey(key);
    if (origin[labelKey] !== undefined) {
      throw new Error(`tags '${origin[labelKey]}' and '${key}' both become the GCP label '${labelKey}'; rename one of them in 'tags'`);
    }
    origin[labelKey] = key;
    labels[labelKey] = gcpLabelValue(tags[key]);
  }
  return labels;
}
