/**
 * The labels every workload of the platform carries. `app.kubernetes.io/name` is the selector that
 * Services, PodDisruptionBudgets, anti-affinity and NetworkPolicies (the allow graph) use.
 */
export const APP_LABEL = "app.kubernetes.io/name";

/** The label Kubernetes sets on every namespace (>= 1.22); NetworkPolicies select namespaces by it. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Selector labels of one workload: stable, never add to them (selectors are immutable). */
export function selectorLabels(name: string): Record<string, string> {
  return { [APP_LABEL]: name };
}

/** Labels for every object of a workload. */
export function workloadLabels(name: string): Record<string, string> {
  return { ...selectorLabels(name), "app.kubernetes.io/part-of": "metadata-platform", "app.kubernetes.io/managed-by": "cdktf" };
}
