import type { Construct } from "constructs";
import { DefaultTokenResolver, LocalBackend, StringConcat, TerraformOutput, TerraformStack, Token, Tokenization } from "cdktf";
import { GoogleProvider } from "@cdktf/provider-google/lib/provider";
import { ProjectIamCustomRole } from "@cdktf/provider-google/lib/project-iam-custom-role";
import { ProjectIamMember } from "@cdktf/provider-google/lib/project-iam-member";
import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { ServiceAccountIamMember } from "@cdktf/provider-google/lib/service-account-iam-member";
import { ComputeFirewall } from "@cdktf/provider-google/lib/compute-firewall";
import { ContainerCluster } from "@cdktf/provider-google/lib/container-cluster";
import { KmsKeyRing } from "@cdktf/provider-google/lib/kms-key-ring";
import { KmsCryptoKey } from "@cdktf/provider-google/lib/kms-crypto-key";
import { KmsCryptoKeyIamMember } from "@cdktf/provider-google/lib/kms-crypto-key-iam-member";
import { StorageBucket } from "@cdktf/provider-google/lib/storage-bucket";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import type { GcpDeployment } from "../../config/schema";
import { requirePermissions, synthesizedTypes } from "./deploy-permissions";
import { deploymentStacks } from "./deployment-types";
import { stateLocation } from "../backend";
import { stackIds } from "../stack-ids";

/** Props of {@link GcpDeployRolesStack}. */
export interface GcpDeployRolesStackProps {
  /** A GCP deployment. */
  readonly deployment: GcpDeployment;
  /** Who plans (e.g. serviceAccount:plan@acme.iam.gserviceaccount.com). @default - the role is created, not granted */
  readonly planMember?: string;
  /** Who applies. @default - the role is created, not granted */
  readonly applyMember?: string;
}

const MEMBER = /^(serviceAccount|user|group|principal|principalSet):[^\s]+$/;

/**
 * IAM Conditions can limit which roles a principal may grant with setIamPolicy: the attribute
 * `iam.googleapis.com/modifiedGrantsByRole` lists the roles a SetIamPolicy call adds or removes, and a request
 * that changes no grant has none. Source: https://cloud.google.com/iam/docs/conditions-attribute-reference#modified-grants-by-role
 */
export const MODIFIED_GRANTS_BY_ROLE = "iam.googleapis.com/modifiedGrantsByRole";

/**
 * The project permission that grants roles. It lives in a role of its own, bound with that condition: a
 * conditional binding only grants on resource types that support IAM Conditions (Resource Manager projects do,
 * for this attribute), so the apply role's other permissions stay in an unconditional binding.
 * Source: https://cloud.google.com/iam/docs/conditions-resource-attributes#resources
 */
export const PROJECT_GRANT_PERMISSIONS = ["resourcemanager.projects.setIamPolicy"] as const;

/**
 * What the Kubernetes stacks need on GKE: GKE authorizes every Kubernetes API call by IAM (container.* permissions
 * on Kubernetes objects) or by in-cluster RBAC, and nothing in the cluster grants the deploy identities RBAC. The
 * predefined roles cover the API objects: container.admin ("full management of Kubernetes clusters and their
 * Kubernetes API objects") for applies, container.viewer (read-only, no secret contents) for plans
 * (https://cloud.google.com/kubernetes-engine/docs/how-to/iam#predefined; .../concepts/access-control).
 */
export const GKE_API_ROLES = { apply: "roles/container.admin", plan: "roles/container.viewer", source: "https://cloud.google.com/kubernetes-engine/docs/how-to/iam#predefined" } as const;

/**
 * Why the service-account permissions cannot be limited by an IAM Condition on the project: a condition's
 * resource attributes are provided only by the services listed for them, and IAM is not among them. "If part of a
 * condition uses an attribute that isn't available for a resource, then that part of the condition is never
 * interpreted as granting access. For example, the condition `resource.name.endsWith == devResource` never grants
 * access to any IAM resource because IAM resources don't provide the resource name"
 * (https://cloud.google.com/iam/docs/conditions-attribute-reference#inherited-support; the resource name attribute's
 * supported services, same page, and https://cloud.google.com/iam/docs/conditions-resource-attributes, which lists
 * no iam.googleapis.com service, type or name format). And `iam.googleapis.com/modifiedGrantsByRole` is accepted
 * only in the allow policies of "Projects, Folders, Organizations" (same page, #api-attributes-iam): it could limit
 * the roles a project-level `iam.serviceAccounts.setIamPolicy` grants, not on which account, and a pod of the
 * deployment's cluster can use a Workload Identity grant on any account. So these permissions are granted on the
 * deployment's own service accounts, in their allow policies, and nowhere else.
 */
export const SERVICE_ACCOUNT_CONDITIONS = {
  resourceNameProvidedByIam: { value: false, source: "https://cloud.google.com/iam/docs/conditions-attribute-reference#inherited-support" },
  modifiedGrantsByRoleAcceptedOn: { value: ["Projects", "Folders", "Organizations"], source: "https://cloud.google.com/iam/docs/conditions-attribute-reference#api-attributes-iam" },
} as const;

/**
 * The iam.serviceAccounts.* permissions that need no particular account (create one in the project, read one, list,
 * read a policy): everything else acts on an existing account (actAs, setIamPolicy, update, delete, and any
 * token-minting permission) and is granted only on the deployment's own accounts. GKE checks `actAs` "on the
 * specified service account" (https://cloud.google.com/kubernetes-engine/docs/reference/api-permissions:
 * projects.locations.clusters.create); setIamPolicy "sets the IAM policy that is attached to a ServiceAccount"
 * (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/setIamPolicy).
 */
export const ACCOUNT_FREE_SERVICE_ACCOUNT_PERMISSIONS = ["iam.serviceAccounts.create", "iam.serviceAccounts.get", "iam.serviceAccounts.list", "iam.serviceAccounts.getIamPolicy"] as const;

/** Whether a permission acts on an existing service account (see ACCOUNT_FREE_SERVICE_ACCOUNT_PERMISSIONS). */
export function actsOnServiceAccount(permission: string): boolean {
  return permission.startsWith("iam.serviceAccounts.") && !(ACCOUNT_FREE_SERVICE_ACCOUNT_PERMISSIONS as readonly string[]).includes(permission);
}

/**
 * The bootstrap creates the deployment's service accounts (to grant on them before the cloud stack runs), and the
 * cloud stack then takes them over: google_service_account `create_ignore_already_exists` "skip[s] service account
 * creation if a service account with the same email already exists" (hashicorp/google 6.50.0 schema,
 * @cdktf/provider-google ServiceAccountConfig.createIgnoreAlreadyExists); its Create reads the existing account on
 * a 409 (hashicorp/terraform-provider-google google/services/resourcemanager/resource_google_service_account.go,
 * resourceGoogleServiceAccountCreate).
 */
export const ADOPT_EXISTING_SERVICE_ACCOUNT = {
  attribute: "create_ignore_already_exists",
  /** Optional and not ForceNew in the provider's schema: an existing deployment's accounts take it in place, not replaced. */
  forcesReplacement: false,
  source: "hashicorp/google 6.50.0 google_service_account create_ignore_already_exists (schema: TypeBool, Optional); resource_google_service_account.go resourceGoogleServiceAccountCreate",
} as const;

/**
 * How a condition names a GKE cluster: resource type `container.googleapis.com/Clusters` (plural, as the page lists it;
 * a condition on `container.googleapis.com/Cluster` names no type GKE presents, so `resource.type != <that>` held for
 * every cluster and the condition limited none), and a regional cluster's resource name
 * `projects/project-id/locations/location/clusters/cluster-id`
 * (https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-type and #resource-name, last updated
 * 2026-04-08, read 2026-11-27; Google
 * Kubernetes Engine is listed for the resource type and resource name attributes,
 * https://cloud.google.com/iam/docs/conditions-attribute-reference). The condition is written as Google advises,
 * `resource.type != <type> || resource.name == <name>`: it limits requests on a cluster to the deployment's
 * cluster and leaves requests on other resource types (`container.clusters.create` is checked "on the containing
 * Cloud project", https://cloud.google.com/kubernetes-engine/docs/reference/api-permissions) as the role grants them.
 * Not stated anywhere found: which resource GKE names when it checks a Kubernetes API permission (container.pods.*,
 * container.secrets.*) for GKE_API_ROLES. The cluster: limited to the deployment's. The project: unchanged from an
 * unconditioned binding. No resource type: not granted ("that part of the condition is never interpreted as granting
 * access", conditions-attribute-reference#inherited-support), so an apply would fail rather than reach further.
 */
export const GKE_CLUSTER_CONDITION = {
  type: { value: "container.googleapis.com/Clusters", source: "https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-type (the row `container.googleapis.com/Clusters`)" },
  regionalName: { value: (project: string, location: string, cluster: string) => `projects/${project}/locations/${location}/clusters/${cluster}`, source: "https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-name" },
  /** The GKE API methods checked on the requested cluster (update, delete; node pools through clusters.update). */
  clusterPermissions: { value: ["container.clusters.update", "container.clusters.delete"], source: "https://cloud.google.com/kubernetes-engine/docs/reference/api-permissions" },
} as const;

/** The condition that limits a binding's requests on a GKE cluster to the named one (GKE_CLUSTER_CONDITION). */
export function clusterCondition(resourceName: string): string {
  // The cluster, or a resource under it (`<name>/...`): no page says which name GKE presents when it checks a Kubernetes
  // API permission, and the one public example bounds it by prefix (jetstack's GKE workload-identity sample:
  // `resource.type=="container.googleapis.com/Clusters" && resource.name.startsWith("projects/.../clusters/example")`).
  // The `/` keeps a cluster whose name extends this one's out.
  return `resource.type != '${GKE_CLUSTER_CONDITION.type.value}' || resource.name == '${resourceName}' || resource.name.startsWith('${resourceName}/')`;
}

/**
 * How a condition names Cloud KMS key rings, keys and key versions and Cloud Storage buckets: Cloud KMS and Cloud
 * Storage provide the resource type and name attributes (https://cloud.google.com/iam/docs/conditions-resource-attributes,
 * #resource-type: `cloudkms.googleapis.com/KeyRing`, `.../CryptoKey`, `.../CryptoKeyVersion`, `storage.googleapis.com/Bucket`;
 * "Cloud Key Management Service uses [cloud.googleapis.com/Location] as the parent of key ring resources"). Names are
 * the resources' relative names: a key ring `projects/P/locations/L/keyRings/R` (https://cloud.google.com/kms/docs/object-hierarchy,
 * "Key ring resource ID"), its keys `.../cryptoKeys/K` and their versions `.../cryptoKeys/K/cryptoKeyVersions/V`
 * (Cloud KMS API resource name patterns, https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys.cryptoKeyVersions),
 * a bucket `projects/_/buckets/B` (conditions-resource-attributes #resource-name; its full name
 * `//storage.googleapis.com/projects/_/buckets/BUCKET_ID`, https://cloud.google.com/iam/docs/full-resource-names).
 * Where each create is checked: a key ring "on the specified resource parent", the location
 * (https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings/create), a key on its key ring
 * (.../projects.locations.keyRings.cryptoKeys/create, `parent=projects/∗/locations/∗/keyRings/∗`), a bucket on the project
 * (https://cloud.google.com/storage/docs/json_api/v1/buckets/insert, `storage.buckets.create` "on the project").
 */
export const KEY_AND_BUCKET_CONDITION = {
  types: {
    value: { keyRing: "cloudkms.googleapis.com/KeyRing", cryptoKey: "cloudkms.googleapis.com/CryptoKey", cryptoKeyVersion: "cloudkms.googleapis.com/CryptoKeyVersion", bucket: "storage.googleapis.com/Bucket" },
    source: "https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-type",
  },
  names: {
    value: {
      keyRing: (project: string, location: string, ring: string) => `projects/${project}/locations/${location}/keyRings/${ring}`,
      cryptoKey: (keyRing: string, key: string) => `${keyRing}/cryptoKeys/${key}`,
      cryptoKeyVersion: (cryptoKey: string, version: string) => `${cryptoKey}/cryptoKeyVersions/${version}`,
      bucket: (bucket: string) => `projects/_/buckets/${bucket}`,
    },
    source: "https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-name; https://cloud.google.com/kms/docs/object-hierarchy",
  },
  /** Checked on the parent location (key rings) or the project (buckets), never on an existing key ring, key or bucket. */
  parentPermissions: { value: ["cloudkms.keyRings.create", "storage.buckets.create"], source: "https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings/create; https://cloud.google.com/storage/docs/json_api/v1/buckets/insert" },
} as const;

const KEY_OR_BUCKET_PREFIXES = ["cloudkms.keyRings.", "cloudkms.cryptoKeys.", "cloudkms.cryptoKeyVersions.", "storage.buckets."];

/** Whether a permission acts on an existing key ring, key, key version or bucket (KEY_AND_BUCKET_CONDITION). */
export function actsOnKeyOrBucket(permission: string): boolean {
  return KEY_OR_BUCKET_PREFIXES.some((p) => permission.startsWith(p)) && !(KEY_AND_BUCKET_CONDITION.parentPermissions.value as readonly string[]).includes(permission);
}

/** The condition resource names of the deployment's key rings, keys and buckets (deploymentKeysAndBuckets). */
export interface DeploymentKeysAndBuckets {
  readonly keyRings: readonly string[];
  readonly cryptoKeys: readonly string[];
  readonly buckets: readonly string[];
}

/**
 * The condition that limits a binding's requests on key rings, keys, key versions and buckets to the deployment's
 * (KEY_AND_BUCKET_CONDITION), in the cluster condition's form: requests on other resource types (the location a key
 * ring is created in, the project a bucket is created in) pass as the role grants them.
 */
export function keyAndBucketCondition(own: DeploymentKeysAndBuckets): string {
  const { types } = KEY_AND_BUCKET_CONDITION;
  const oneOf = (type: string, names: readonly string[], versions = false) =>
    `(resource.type != '${type}'${names.map((n) => (versions ? ` || resource.name.startsWith('${KEY_AND_BUCKET_CONDITION.names.value.cryptoKeyVersion(n, "")}')` : ` || resource.name == '${n}'`)).join("")})`;
  return [
    oneOf(types.value.keyRing, own.keyRings),
    oneOf(types.value.cryptoKey, own.cryptoKeys),
    oneOf(types.value.cryptoKeyVersion, own.cryptoKeys, true),
    oneOf(types.value.bucket, own.buckets),
  ].join(" && ");
}

/**
 * What IAM Conditions can say about Compute Engine resources, and so which Compute Engine writes leave the unconditioned
 * apply binding on the project. A condition `resource.type != T || resource.name == N` scopes a request only where
 * Compute Engine gives it a resource type and a name in the form N is written in; where it does not, the binding grants
 * nothing ("that part of the condition is never interpreted as granting access",
 * https://cloud.google.com/iam/docs/conditions-attribute-reference#inherited-support), so a guessed form would break the
 * deployment's own applies instead of scoping them. Read on 2026-11-27 from the stored copies of the pages (the
 * conditions-resource-attributes page "Last updated 2026-04-08 UTC", configuring-resource-based-access "Last updated
 * 2026-04-10 UTC"):
 * - `resourceTypes`: every Compute Engine value of the resource type attribute. Firewall is one; no Network,
 *   Subnetwork, Router, Route or Address value is listed.
 * - `firewallName`: the resource name of a firewall rule (the page's "Compute Engine firewalls" row). The table has no
 *   row for networks, subnetworks, routers, routes or addresses, and the resource name attribute exists only for the
 *   types the page lists ("Other services and resource types do not recognize resource attributes"). The full resource
 *   names of networks and subnetworks (https://cloud.google.com/iam/docs/full-resource-names) are Policy
 *   Troubleshooter's, and that page says IAM Conditions accept resource names only as the attribute reference lists them.
 * - `createChecksTheNewResource`: Google's own example of Compute Engine creates under a name condition: a custom role
 *   that "only allows the user to create VM instances ... with a resource name that starts with the name prefix
 *   staging" by a condition on the instance and disk types and names. It is stated for instances and disks; for
 *   firewalls the condition form leaves `compute.firewalls.create` as before if Compute checks it on the project, and
 *   limits it to the deployment's names if Compute checks it on the new rule: either way the deployment's own creates pass.
 * - `parentOnlyLists`: list permissions are checked on the parent (`cloudresourcemanager.googleapis.com/Project` for
 *   Compute Engine lists), which the condition form passes as the role grants it.
 * - `checkedOn`: the firewall patch and delete methods need `compute.networks.updatePolicy` beside the firewall
 *   permission (permission-facts.ts COMPUTE_METHOD_PERMISSIONS); on which resource it is checked is stated on none of
 *   the pages found. A condition on the firewall type leaves it as granted wherever it is checked (a network has no
 *   documented type), so it stays on the project (COMPUTE_UNSCOPED), as do `compute.subnetworks.use` (the cluster's
 *   create needs it, GCP_PERMISSIONS) and every network, subnetwork, router and address write.
 * So the firewall rules' create, update and delete (`FirewallsRole`) are bound on condition: on a firewall rule, only
 * the deployment's own, by exact name (a name prefix would also admit the rules of a deployment whose name extends
 * this one's). Shared VPC: the rules live in the host project (gcp.existingNetwork), where the customer grants them;
 * this bootstrap's bindings are on the deployment's project and reach nothing there.
 */
export const COMPUTE_CONDITION_FACTS = {
  resourceTypes: {
    value: [
      "compute.googleapis.com/BackendService",
      "compute.googleapis.com/Disk",
      "compute.googleapis.com/Firewall",
      "compute.googleapis.com/ForwardingRule",
      "compute.googleapis.com/GlobalForwardingRule",
      "compute.googleapis.com/Image",
      "compute.googleapis.com/Instance",
      "compute.googleapis.com/InstanceTemplate",
      "compute.googleapis.com/Snapshot",
      "compute.googleapis.com/TargetHttpProxy",
      "compute.googleapis.com/TargetHttpsProxy",
      "compute.googleapis.com/TargetSslProxy",
      "compute.googleapis.com/TargetTcpProxy",
    ],
    source: "https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-type (last updated 2026-04-08)",
  },
  firewallType: { value: "compute.googleapis.com/Firewall", source: "https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-type" },
  firewallName: {
    value: (project: string, firewall: string) => `projects/${project}/global/firewalls/${firewall}`,
    source: "https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-name (Compute Engine firewalls: projects/project-id/global/firewalls/firewall-id)",
  },
  notNameable: {
    value: ["networks", "subnetworks", "routers", "routes", "addresses"],
    source: "https://cloud.google.com/iam/docs/conditions-resource-attributes (#resource-type and #resource-name: no such row, read 2026-11-27); https://cloud.google.com/iam/docs/full-resource-names (Policy Troubleshooter names, not condition names)",
  },
  createChecksTheNewResource: { value: ["compute.googleapis.com/Instance", "compute.googleapis.com/Disk"], source: "https://cloud.google.com/iam/docs/configuring-resource-based-access#custom-roles" },
  parentOnlyLists: { value: "cloudresourcemanager.googleapis.com/Project", source: "https://cloud.google.com/iam/docs/configuring-resource-based-access#parent-only-permissions" },
  ownPolicyConditionalTypes: {
    value: ["backend services", "firewalls", "images", "instance templates", "instances", "persistent disks", "snapshots"],
    source: "https://cloud.google.com/iam/help/conditions/resource-policies (Compute Engine)",
  },
  checkedOn: { value: undefined, source: "https://cloud.google.com/compute/docs/reference/rest/v1/firewalls/patch and .../firewalls/delete (IAM Permissions: the permissions, not the resource each is checked on)" },
} as const;

/** The firewall-rule permissions bound on condition to the deployment's own rules (COMPUTE_CONDITION_FACTS). */
export const FIREWALL_PERMISSIONS = ["compute.firewalls.create", "compute.firewalls.update", "compute.firewalls.delete"] as const;

/** The condition that limits a binding's requests on firewall rules to the named ones, in the cluster condition's form. */
export function firewallCondition(names: readonly string[]): string {
  return `resource.type != '${COMPUTE_CONDITION_FACTS.firewallType.value}'${names.map((n) => ` || resource.name == '${n}'`).join("")}`;
}

/** The condition resource names of the firewall rules the deployment's stacks create (COMPUTE_CONDITION_FACTS.firewallName), sorted. */
export function deploymentFirewalls(stacks: readonly TerraformStack[], defaultProject: string): string[] {
  const names = new Set<string>();
  for (const s of stacks) {
    for (const c of s.node.findAll()) {
      if (!(c instanceof ComputeFirewall)) continue;
      const parts = [c.projectInput ?? defaultProject, c.nameInput];
      if (parts.some((p) => p === undefined || Token.isUnresolved(p))) throw new Error(`${c.node.path}: the firewall rule's project and name must be literal for the deploy roles to name it`);
      names.add(COMPUTE_CONDITION_FACTS.firewallName.value(...(parts as [string, string])));
    }
  }
  return [...names].sort();
}

/**
 * The Compute Engine permissions of the apply role that act on an existing resource and stay granted on the whole
 * project (COMPUTE_CONDITION_FACTS: no condition can name a network, subnetwork, router or address), each with what it
 * reaches beyond the deployment. With gcp.existingNetwork in a Shared VPC the firewall rules are created in the host
 * project, where the customer grants them (docs/deployment-guide.md, Existing network); this bootstrap grants nothing there.
 */
export const COMPUTE_UNSCOPED: Readonly<Record<string, string>> = {
  "compute.networks.updatePolicy": "adding and removing firewall rules on every network of the project (the rules themselves: only the deployment's, FirewallsRole)",
  "compute.networks.update": "every VPC network of the project (routing mode, MTU)",
  "compute.networks.delete": "every VPC network of the project",
  "compute.subnetworks.update": "every subnetwork of the project (flow logs, secondary ranges)",
  "compute.subnetworks.delete": "every subnetwork of the project",
  "compute.subnetworks.setPrivateIpGoogleAccess": "Private Google Access of every subnetwork of the project",
  "compute.subnetworks.expandIpCidrRange": "widening the primary range of every subnetwork of the project",
  "compute.subnetworks.use": "reserving addresses and placing resources in every subnetwork of the project",
  "compute.routers.update": "every Cloud Router of the project and its NAT configurations",
  "compute.routers.delete": "every Cloud Router of the project, with its NAT",
  "compute.addresses.delete": "every regional external address of the project",
  "compute.addresses.deleteInternal": "every regional internal address of the project",
  "compute.addresses.setLabels": "the labels of every regional address of the project",
};

/** Whether a Compute Engine permission acts on an existing resource (anything but a create, a read or a list). */
export function actsOnExistingComputeResource(permission: string): boolean {
  return permission.startsWith("compute.") && !/\.(create|createInternal|get|list)$/.test(permission);
}

/**
 * `<name>-deploy-roles`: the least-privilege deploy identities of a GCP deployment, in place of Owner. Project custom
 * roles whose permissions are DERIVED from the resource types the deployment synthesizes (permission-facts.ts),
 * read-only for plans, read and write for applies, bound so that nothing reaches beyond the deployment where GCP can
 * say so:
 * - resourcemanager.projects.setIamPolicy (`GrantRole`) on condition: only the roles the deployment's stacks grant;
 * - the permissions that act on an existing service account (`ServiceAccountsRole`: actAs, setIamPolicy, update,
 *   delete) on the deployment's own service accounts only, in their allow policies (IAM Conditions cannot name an
 *   account: SERVICE_ACCOUNT_CONDITIONS); the bootstrap creates those accounts, the cloud stack takes them over
 *   (ADOPT_EXISTING_SERVICE_ACCOUNT);
 * - cluster updates and deletes (`ClusterRole`) and the Kubernetes API roles (GKE_API_ROLES) on condition: on a
 *   cluster, only the deployment's (GKE_CLUSTER_CONDITION);
 * - what acts on an existing key ring, key, key version or bucket (`KeysAndBucketsRole`: cryptoKeys.create,
 *   update, setIamPolicy, key version destroy, bucket update, setIamPolicy, delete, and their reads) on condition:
 *   on those types, only the deployment's own (KEY_AND_BUCKET_CONDITION).
 * - firewall rule creates, updates and deletes (`FirewallsRole`) on condition: on a firewall rule, only the
 *   deployment's own, by name (COMPUTE_CONDITION_FACTS).
 * The other Compute Engine writes stay in the apply role, on the whole project: no documented IAM Condition can name a
 * network, subnetwork, router or address (COMPUTE_CONDITION_FACTS; what each reaches: COMPUTE_UNSCOPED).
 * No `*` permission, no Owner or Editor.
 */
export class GcpDeployRolesStack extends TerraformStack {
  readonly planRole: ProjectIamCustomRole;
  readonly applyRole: ProjectIamCustomRole;
  /** setIamPolicy on the project, bound to the apply member only for the deployment's own roles. */
  readonly grantRole: ProjectIamCustomRole;
  /** What acts on an existing service account, bound to the apply member on the deployment's own accounts only. */
  readonly serviceAccountsRole: ProjectIamCustomRole;
  /** Cluster updates and deletes, bound to the apply member on the deployment's cluster only. */
  readonly clusterRole: ProjectIamCustomRole;
  /** What acts on existing key rings, keys and buckets, bound to the apply member on the deployment's own only. */
  readonly keysAndBucketsRole: ProjectIamCustomRole;
  /** Firewall rule creates, updates and deletes, bound to the apply member on the deployment's own rules only. */
  readonly firewallsRole: ProjectIamCustomRole;

  constructor(scope: Construct, id: string, props: GcpDeployRolesStackProps) {
    super(scope, id);
    const d = props.deployment;
    for (const m of [props.planMember, props.applyMember]) {
      if (m !== undefined && !MEMBER.test(m)) throw new Error(`${id}: '${m}' is not an IAM member; give e.g. serviceAccount:deploy@${d.gcp.projectId}.iam.gserviceaccount.com`);
    }
    const project = d.gcp.projectId;
    new LocalBackend(this, { path: `../../../../terraform.${id}.tfstate` });
    new GoogleProvider(this, "Google", { project });
    const stacks = deploymentStacks(d);
    const derived = requirePermissions("gcp", synthesizedTypes(stacks));
    const roleId = (suffix: string) => `${d.name.replace(/-/g, "_")}_deploy_${suffix}`;
    const applyPermissions = [...derived.read, ...derived.write];
    const grant = new Set<string>(PROJECT_GRANT_PERMISSIONS);
    const onCluster = new Set<string>(GKE_CLUSTER_CONDITION.clusterPermissions.value);
    const onFirewall = new Set<string>(FIREWALL_PERMISSIONS);
    const elsewhere = (p: string) => grant.has(p) || actsOnServiceAccount(p) || onCluster.has(p) || actsOnKeyOrBucket(p) || onFirewall.has(p);
    this.planRole = new ProjectIamCustomRole(this, "PlanRole", { project, roleId: roleId("plan"), title: `${d.name} plan`, description: "Reads what the deployment's stacks refresh (derived from the synthesized resource types)", permissions: [...derived.read] });
    this.applyRole = new ProjectIamCustomRole(this, "ApplyRole", { project, roleId: roleId("apply"), title: `${d.name} apply`, description: "Creates, updates and deletes what the deployment's stacks hold (derived from the synthesized resource types)", permissions: applyPermissions.filter((p) => !elsewhere(p)) });
    this.grantRole = new ProjectIamCustomRole(this, "GrantRole", { project, roleId: roleId("grants"), title: `${d.name} grants`, description: "Grants the roles the deployment's stacks grant, nothing else (conditional binding)", permissions: [...derived.write.filter((p) => grant.has(p))] });
    this.serviceAccountsRole = new ProjectIamCustomRole(this, "ServiceAccountsRole", {
      project,
      roleId: roleId("service_accounts"),
      title: `${d.name} service accounts`,
      description: "Uses and manages the deployment's own service accounts (granted on each of them, never on the project)",
      permissions: applyPermissions.filter(actsOnServiceAccount),
    });
    this.clusterRole = new ProjectIamCustomRole(this, "ClusterRole", { project, roleId: roleId("cluster"), title: `${d.name} cluster`, description: "Updates and deletes the deployment's GKE cluster, no other (conditional binding)", permissions: applyPermissions.filter((p) => onCluster.has(p)) });
    this.keysAndBucketsRole = new ProjectIamCustomRole(this, "KeysAndBucketsRole", {
      project,
      roleId: roleId("keys_and_buckets"),
      title: `${d.name} keys and buckets`,
      description: "Manages the deployment's own key rings, keys and buckets, no other (conditional binding)",
      permissions: [...new Set(applyPermissions.filter(actsOnKeyOrBucket))],
    });
    this.firewallsRole = new ProjectIamCustomRole(this, "FirewallsRole", {
      project,
      roleId: roleId("firewalls"),
      title: `${d.name} firewall rules`,
      description: "Creates, updates and deletes the deployment's own firewall rules, no other (conditional binding)",
      permissions: [...new Set(applyPermissions.filter((p) => onFirewall.has(p)))],
    });
    const grantable = projectRolesGranted(stacks);
    const cluster = deploymentCluster(stacks, project);
    const onlyTheCluster = { title: "only-the-deployments-cluster", description: `On a GKE cluster, only ${cluster}`, expression: clusterCondition(cluster) };
    if (props.applyMember) {
      // Unconditioned: with the network, subnetwork, router and address writes, which no documented condition can
      // scope (COMPUTE_CONDITION_FACTS, the residual in COMPUTE_UNSCOPED).
      new ProjectIamMember(this, "ApplyMember", { project, role: this.applyRole.name, member: props.applyMember });
      new ProjectIamMember(this, "GrantMember", {
        project,
        role: this.grantRole.name,
        member: props.applyMember,
        condition: {
          title: "grants-only-the-deployments-roles",
          description: "setIamPolicy may add or remove only the roles the deployment's stacks grant",
          expression: `api.getAttribute('${MODIFIED_GRANTS_BY_ROLE}', []).hasOnly([${grantable.map((r) => `'${r}'`).join(", ")}])`,
        },
      });
      new ProjectIamMember(this, "ClusterMember", { project, role: this.clusterRole.name, member: props.applyMember, condition: onlyTheCluster });
      const own = deploymentKeysAndBuckets(stacks, project);
      new ProjectIamMember(this, "KeysAndBucketsMember", {
        project,
        role: this.keysAndBucketsRole.name,
        member: props.applyMember,
        condition: { title: "only-the-deployments-keys-and-buckets", description: `On key rings, keys and buckets, only ${[...own.keyRings, ...own.buckets].join(", ")}`, expression: keyAndBucketCondition(own) },
      });
      const firewalls = deploymentFirewalls(stacks, project);
      new ProjectIamMember(this, "FirewallsMember", {
        project,
        role: this.firewallsRole.name,
        member: props.applyMember,
        condition: { title: "only-the-deployments-firewall-rules", description: `On firewall rules, only the ${firewalls.length} rules of ${d.name}`, expression: firewallCondition(firewalls) },
      });
      for (const account of deploymentServiceAccounts(stacks, project)) {
        // The same account id, project, name and description as the cloud stack's, so neither stack sees a change.
        const created = new ServiceAccount(this, account.id, { ...account.config, createIgnoreAlreadyExists: true, lifecycle: { preventDestroy: true } });
        new ServiceAccountIamMember(this, `${account.id}ApplyMember`, { serviceAccountId: created.name, role: this.serviceAccountsRole.name, member: props.applyMember });
      }
    }
    if (props.planMember) new ProjectIamMember(this, "PlanMember", { project, role: this.planRole.name, member: props.planMember });
    // Terraform's own state: each stack's objects in the gcs backend's bucket, nothing else in it.
    const state = d.state;
    if (state.backend === "gcs") {
      const condition = stateObjectsCondition(state.bucket, Object.values(stackIds(d)).map((id) => `${stateLocation(state, id)}/`));
      const grant = (id: string, role: string, member: string) =>
        new StorageBucketIamMember(this, id, { bucket: state.bucket, role, member, condition: { title: "only-the-deployments-state", description: `The state objects of ${d.name}'s stacks`, expression: condition } });
      if (props.applyMember) grant("ApplyStateMember", GCS_STATE_ROLES.apply, props.applyMember);
      if (props.planMember) grant("PlanStateMember", GCS_STATE_ROLES.plan, props.planMember);
    }
    // The vault, vault-config and platform stacks talk to the cluster's API (GKE_API_ROLES), on the deployment's cluster.
    if (props.applyMember) new ProjectIamMember(this, "ApplyKubernetesMember", { project, role: GKE_API_ROLES.apply, member: props.applyMember, condition: onlyTheCluster });
    if (props.planMember) new ProjectIamMember(this, "PlanKubernetesMember", { project, role: GKE_API_ROLES.plan, member: props.planMember, condition: onlyTheCluster });
    new TerraformOutput(this, "plan_role", { value: this.planRole.name });
    new TerraformOutput(this, "apply_role", { value: this.applyRole.name });
  }
}

/**
 * What terraform's gcs backend does with a stack's state (prefix `<state.prefix>/<stack id>`): lists the prefix for its
 * workspaces, reads and writes `<prefix>/default.tfstate`, and creates and deletes `<prefix>/default.tflock` as its
 * lock (hashicorp/terraform internal/backend/remote-state/gcs: backend_state.go Workspaces (Objects with Prefix),
 * client.go Get/Put/Lock/Unlock). The apply identity needs the object reads and writes, the plan identity the reads
 * (its plans run with -lock=false). Predefined roles: roles/storage.objectUser (objects, no IAM) and
 * roles/storage.objectViewer (https://cloud.google.com/storage/docs/access-control/iam-roles).
 */
export const GCS_STATE_ROLES = { apply: "roles/storage.objectUser", plan: "roles/storage.objectViewer", source: "https://cloud.google.com/storage/docs/access-control/iam-roles" } as const;

/**
 * How a condition names a state object and a list request: an object is `projects/_/buckets/<bucket>/objects/<name>`
 * of type storage.googleapis.com/Object; a list is a request on the bucket (storage.googleapis.com/Bucket) whose
 * prefix is the API attribute `storage.googleapis.com/objectListPrefix` (read with api.getAttribute(name, '')).
 * Sources: https://cloud.google.com/iam/docs/conditions-resource-attributes (resource types and names),
 * https://cloud.google.com/iam/docs/conditions-attribute-reference#object-list-prefix and
 * https://cloud.google.com/storage/docs/access-control/using-iam-permissions#conditions (the object-prefix pattern).
 * Conditions on a bucket need uniform bucket-level access, which the guide's state bucket has.
 */
export const STATE_OBJECT_CONDITION = {
  objectType: "storage.googleapis.com/Object",
  bucketType: "storage.googleapis.com/Bucket",
  objectName: (bucket: string, name: string) => `projects/_/buckets/${bucket}/objects/${name}`,
  listPrefixAttribute: "storage.googleapis.com/objectListPrefix",
  source: "https://cloud.google.com/iam/docs/conditions-attribute-reference#object-list-prefix; https://cloud.google.com/iam/docs/conditions-resource-attributes",
} as const;

/** Objects under the given prefixes of `bucket`, and lists of those prefixes (STATE_OBJECT_CONDITION). */
export function stateObjectsCondition(bucket: string, prefixes: readonly string[]): string {
  const c = STATE_OBJECT_CONDITION;
  const objects = prefixes.map((p) => `resource.name.startsWith('${c.objectName(bucket, p)}')`).join(" || ");
  const lists = prefixes.map((p) => `api.getAttribute('${c.listPrefixAttribute}', '').startsWith('${p}')`).join(" || ");
  return `(resource.type == '${c.objectType}' && (${objects})) || (resource.type == '${c.bucketType}' && (${lists}))`;
}

/** A service account the deployment's stacks create: its construct id there, and its settings. */
export interface DeploymentServiceAccount {
  /** The id of the construct that holds it in the cloud stack (NodeServiceAccount, VaultIdentity, BackupIdentity). */
  readonly id: string;
  readonly config: { readonly project: string; readonly accountId: string; readonly displayName?: string; readonly description?: string };
}

/** The google_service_account resources of the deployment's stacks, as their settings (literal at synth). */
export function deploymentServiceAccounts(stacks: readonly TerraformStack[], defaultProject: string): DeploymentServiceAccount[] {
  const accounts: DeploymentServiceAccount[] = [];
  for (const s of stacks) {
    for (const c of s.node.findAll()) {
      if (!(c instanceof ServiceAccount)) continue;
      const config = { project: c.projectInput ?? defaultProject, accountId: c.accountIdInput as string, displayName: c.displayNameInput, description: c.descriptionInput };
      for (const v of Object.values(config)) if (v !== undefined && Token.isUnresolved(v)) throw new Error(`${c.node.path}: a service account's settings must be literal for the bootstrap to create it (got ${v})`);
      accounts.push({ id: c.node.scope!.node.id, config });
    }
  }
  return accounts;
}

/** The condition resource name of the deployment's GKE cluster (GKE_CLUSTER_CONDITION.regionalName). */
export function deploymentCluster(stacks: readonly TerraformStack[], defaultProject: string): string {
  const clusters = stacks.flatMap((s) => s.node.findAll().filter((c): c is ContainerCluster => c instanceof ContainerCluster));
  if (clusters.length !== 1) throw new Error(`the deployment's stacks hold ${clusters.length} GKE clusters; the deploy roles name exactly one`);
  const c = clusters[0];
  const parts = [c.projectInput ?? defaultProject, c.locationInput, c.nameInput];
  if (parts.some((p) => p === undefined || Token.isUnresolved(p))) throw new Error(`${c.node.path}: the cluster's project, location and name must be literal for the deploy roles to name it`);
  return GKE_CLUSTER_CONDITION.regionalName.value(...(parts as [string, string, string]));
}

/** The project-level roles the deployment's stacks grant (google_project_iam_member roles), sorted. */
export function projectRolesGranted(stacks: readonly TerraformStack[]): string[] {
  const roles = new Set<string>();
  for (const s of stacks) for (const c of s.node.findAll()) if (c instanceof ProjectIamMember) roles.add(c.roleInput as string);
  return [...roles].sort();
}

/** A value as its stack writes it (a reference becomes `${type.id.attribute}`). */
function resolveIn(stack: TerraformStack, value: string): unknown {
  return Tokenization.resolve(value, { scope: stack, resolver: new DefaultTokenResolver(new StringConcat()) });
}

/**
 * The key rings, keys and buckets the deployment's stacks create or grant on, as condition resource names
 * (KEY_AND_BUCKET_CONDITION.names). A key's key ring and a grant's key or bucket are references to the stacks' own
 * or literal names (a key ring or key of the customer's); anything else is refused, as are non-literal names.
 */
export function deploymentKeysAndBuckets(stacks: readonly TerraformStack[], defaultProject: string): DeploymentKeysAndBuckets {
  const { names } = KEY_AND_BUCKET_CONDITION;
  const literal = (c: { node: { path: string } }, what: string, v: string | undefined): string => {
    if (v === undefined || Token.isUnresolved(v)) throw new Error(`${c.node.path}: the ${what} must be literal for the deploy roles to name it (got ${v})`);
    return v;
  };
  const keyRings = new Map<string, string>();
  const cryptoKeys = new Map<string, string>();
  const buckets = new Map<string, string>();
  const all = stacks.flatMap((s) => s.node.findAll().map((c) => ({ s, c })));
  // A reference (${google_kms_key_ring.X.id}) to one of the stacks' resources, or a literal name as it stands.
  const named = (s: TerraformStack, c: { node: { path: string } }, what: string, v: string | undefined, own: Map<string, string>, format: RegExp): string => {
    if (v !== undefined && Token.isUnresolved(v)) {
      const ref = String(resolveIn(s, v));
      const name = own.get(ref);
      if (name === undefined) throw new Error(`${c.node.path}: the ${what} (${ref}) is none of the deployment's own; name it literally or create it in the stacks`);
      return name;
    }
    const name = literal(c, what, v);
    if (!format.test(name)) throw new Error(`${c.node.path}: the ${what} '${name}' is not of the form ${format.source}`);
    return name;
  };
  for (const { s, c } of all) {
    if (!(c instanceof KmsKeyRing)) continue;
    const name = names.value.keyRing(literal(c, "key ring's project", c.projectInput ?? defaultProject), literal(c, "key ring's location", c.locationInput), literal(c, "key ring's name", c.nameInput));
    keyRings.set(String(resolveIn(s, c.id)), name);
  }
  for (const { s, c } of all) {
    if (!(c instanceof KmsCryptoKey)) continue;
    const ring = named(s, c, "key's key ring", c.keyRingInput, keyRings, /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+$/);
    keyRings.set(ring, ring);
    const name = names.value.cryptoKey(ring, literal(c, "key's name", c.nameInput));
    cryptoKeys.set(String(resolveIn(s, c.id)), name);
  }
  for (const { s, c } of all) {
    if (!(c instanceof StorageBucket)) continue;
    const name = literal(c, "bucket's name", c.nameInput);
    buckets.set(String(resolveIn(s, c.name)), names.value.bucket(name));
  }
  const granted = { keys: new Set<string>(), buckets: new Set<string>() };
  for (const { s, c } of all) {
    if (c instanceof KmsCryptoKeyIamMember) granted.keys.add(named(s, c, "granted key", c.cryptoKeyIdInput, cryptoKeys, /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/));
    if (c instanceof StorageBucketIamMember) {
      const b = named(s, c, "granted bucket", c.bucketInput, buckets, /^(projects\/_\/buckets\/)?[a-z0-9][a-z0-9._-]+$/);
      granted.buckets.add(b.startsWith("projects/_/buckets/") ? b : names.value.bucket(b));
    }
  }
  // A key granted on in the customer's key ring: its key ring stays reachable too (reads, and what acts on it).
  for (const k of granted.keys) keyRings.set(k.replace(/\/cryptoKeys\/[^/]+$/, ""), k.replace(/\/cryptoKeys\/[^/]+$/, ""));
  const sorted = (...sets: Iterable<string>[]) => [...new Set(sets.flatMap((x) => [...x]))].sort();
  return { keyRings: sorted(keyRings.values()), cryptoKeys: sorted(cryptoKeys.values(), granted.keys), buckets: sorted(buckets.values(), granted.buckets) };
}
