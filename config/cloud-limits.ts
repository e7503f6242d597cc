/**
 * Limits the clouds put on what a deployment asks for, as data with their sources. The config schema
 * refuses input beyond them (a clear message at synth instead of a failed apply half-way), and the JSON
 * Schema for editors carries the same numbers. Each number is the provider's documented limit; where
 * the platform itself uses part of it (tags it sets on every resource, its own node pool), that part is
 * reserved and named.
 */

import type { Cloud } from "./schema";

/** One documented limit. */
export interface CloudLimit {
  /** The provider's limit. */
  readonly limit: number;
  /** How many of them the platform uses itself (not available to the user). */
  readonly reserved: number;
  /** What the platform uses them for. */
  readonly reservedFor: string;
  /** Where the limit is documented. */
  readonly source: string;
}

/** Tags (labels on GCP) per resource. */
export const TAG_LIMITS: Record<Cloud, CloudLimit> = {
  aws: {
    limit: 50,
    // default_tags `deployment`, plus `Name` and `kubernetes.io/cluster/<name>` on the node security group.
    reserved: 3,
    reservedFor: "deployment, Name and kubernetes.io/cluster/<name>",
    source: "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html (Tag naming limits: maximum 50 tags per resource)",
  },
  azure: {
    limit: 50,
    reserved: 1,
    reservedFor: "deployment",
    source: "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations (each resource can have a maximum of 50 tag name-value pairs)",
  },
  gcp: {
    limit: 64,
    // default_labels `deployment`, and `goog-terraform-provisioned`, which the google provider >= 6.0 adds to
    // every labelled resource (add_terraform_attribution_label defaults to true).
    reserved: 2,
    reservedFor: "deployment and goog-terraform-provisioned",
    source: "https://cloud.google.com/compute/docs/labeling-resources#requirements (each resource can have up to 64 labels)",
  },
};

/**
 * Node pools per cluster. A deployment's pools must fit the smallest of these (EKS's 30) on every cloud,
 * like `controlPlane.adminCidrs` fits the smallest allow-list: a config moves between clouds unchanged.
 */
export const NODE_POOL_LIMITS: Record<Cloud, CloudLimit> = {
  aws: {
    limit: 30,
    reserved: 0,
    reservedFor: "",
    source: "https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html (Managed node groups per cluster: 30)",
  },
  azure: {
    limit: 100,
    reserved: 1,
    reservedFor: "the AKS system pool",
    source: "https://learn.microsoft.com/azure/aks/quotas-skus-regions#service-quotas-and-limits (maximum node pools per cluster: 100)",
  },
  gcp: {
    limit: 200,
    reserved: 0,
    reservedFor: "",
    source: "https://cloud.google.com/kubernetes-engine/docs/how-to/node-auto-provisioning (Limitations: clusters with more than 200 node pools see increased autoscaling latency)",
  },
};

/** The node pools a deployment may list, on any cloud: the smallest cloud's limit. */
export const MAX_NODE_POOLS = Math.min(...Object.values(NODE_POOL_LIMITS).map((l) => l.limit - l.reserved));

/** The user tags a deployment may set on `cloud`. */
export function maxUserTags(cloud: Cloud): number {
  return TAG_LIMITS[cloud].limit - TAG_LIMITS[cloud].reserved;
}
