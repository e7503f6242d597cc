/**
 * What the kubernetes Terraform provider does with a changed attribute, as its schema says: an attribute
 * marked ForceNew cannot be updated, so terraform plans a replacement (destroy, then create) of the whole
 * resource; any other change is an update in place. The provider cannot run here (no plugin in the
 * mirror), so these are its schema facts, from the source of the pinned release, and tests decide
 * replacements with them (`plannedAction`).
 */

/** The provider release the facts are read from (@cdktf/provider-kubernetes 12.1.1 generates from it). */
export const KUBERNETES_PROVIDER = { address: "registry.terraform.io/hashicorp/kubernetes", version: "2.38.0", repository: "hashicorp/terraform-provider-kubernetes", tag: "v2.38.0" } as const;

/** One resource type: the attribute paths (snake_case, nested blocks without indexes) that force a replacement. */
export interface ReplacementFacts {
  readonly forcesReplacement: readonly string[];
  /** Attributes we rely on being updated in place. */
  readonly updatesInPlace: readonly string[];
  /** Files and lines of the release that say so. */
  readonly source: string;
}

/** The resource types the platform's data depends on. */
export const KUBERNETES_SCHEMA_FACTS: Readonly<Record<string, ReplacementFacts>> = {
  kubernetes_stateful_set_v1: {
    forcesReplacement: [
      "metadata.name",
      "metadata.namespace",
      "spec.pod_management_policy",
      "spec.revision_history_limit",
      "spec.selector",
      "spec.service_name",
      "spec.volume_claim_template",
    ],
    updatesInPlace: ["spec.replicas", "spec.template", "spec.update_strategy"],
    source:
      "kubernetes/schema_stateful_set_spec.go statefulSetSpecFields: pod_management_policy, revision_history_limit, selector, service_name and volume_claim_template (line 98-101: Type List, Optional, ForceNew: true) are ForceNew; kubernetes/schema_metadata.go namespacedMetadataSchemaIsTemplate: name and namespace ForceNew; resource_kubernetes_stateful_set_v1.go resourceKubernetesStatefulSetV1Update patches spec (template, replicas, update strategy)",
  },
  kubernetes_namespace_v1: {
    forcesReplacement: ["metadata.name"],
    updatesInPlace: ["metadata.labels", "metadata.annotations"],
    source: "kubernetes/resource_kubernetes_namespace_v1.go: metadata is metadataSchema(\"namespace\", true); kubernetes/schema_metadata.go metadataFields: name ForceNew ('Cannot be updated'); resourceKubernetesNamespaceV1Update patches metadata only",
  },
  kubernetes_storage_class_v1: {
    forcesReplacement: ["metadata.name", "parameters", "storage_provisioner", "volume_binding_mode", "mount_options", "allowed_topologies"],
    updatesInPlace: ["allow_volume_expansion"],
    source: "kubernetes/resource_kubernetes_storage_class_v1.go: parameters, storage_provisioner, volume_binding_mode, mount_options, allowed_topologies ForceNew; allow_volume_expansion (Default true) is patched in place by resourceKubernetesStorageClassV1Update (/allowVolumeExpansion)",
  },
  kubernetes_persistent_volume_claim_v1: {
    forcesReplacement: ["metadata.name", "metadata.namespace", "spec.access_modes", "spec.resources.limits", "spec.selector", "spec.volume_name", "spec.storage_class_name", "spec.volume_mode"],
    updatesInPlace: ["spec.resources.requests"],
    source: "kubernetes/schema_persistent_volume_claim.go persistentVolumeClaimSpecFields: requests is 'the only field the API will allow modifying in-place, so ForceNew is not used'; every other spec field ForceNew",
  },
};

/** What terraform plans for a resource whose synthesized attributes changed at `changedPaths`. */
export type PlannedAction = "no-op" | "update" | "replace";

/**
 * The action the provider's schema implies: replace when a changed path lies at or under a ForceNew
 * attribute, update otherwise. Paths are dotted snake_case with list indexes dropped (`spec.volume_claim_template.spec.resources.requests.storage`).
 */
export function plannedAction(type: string, changedPaths: readonly string[]): PlannedAction {
  const facts = KUBERNETES_SCHEMA_FACTS[type];
  if (!facts) throw new Error(`no schema facts for ${type}; add them with their source to KUBERNETES_SCHEMA_FACTS`);
  if (changedPaths.length === 0) return "no-op";
  const under = (p: string, attr: string) => p === attr || p.startsWith(`${attr}.`);
  return changedPaths.some((p) => facts.forcesReplacement.some((a) => under(p, a))) ? "replace" : "update";
}

/** The dotted paths (list indexes dropped) at which two synthesized blocks differ. */
export function changedPaths(before: unknown, after: unknown, prefix = ""): string[] {
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return [...new Set(before.flatMap((b, i) => changedPaths(b, after[i], prefix)))];
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return [...new Set(keys.flatMap((k) => changedPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k)))];
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix];
}
