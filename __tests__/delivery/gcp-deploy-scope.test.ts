import { Testing } from "cdktf";
import { buildBootstrap } from "../../scripts/bootstrap";
import { decodeStacks } from "../../scripts/terraform-decode";
import {
  COMPUTE_CONDITION_FACTS,
  COMPUTE_UNSCOPED,
  FIREWALL_PERMISSIONS,
  GCS_STATE_ROLES,
  GKE_API_ROLES,
  GKE_CLUSTER_CONDITION,
  KEY_AND_BUCKET_CONDITION,
  MODIFIED_GRANTS_BY_ROLE,
  STATE_OBJECT_CONDITION,
  actsOnExistingComputeResource,
  actsOnKeyOrBucket,
  actsOnServiceAccount,
} from "../../stacks/bootstrap/gcp-deploy-roles-stack";
import { COMPUTE_METHOD_PERMISSIONS, GCP_PERMISSIONS } from "../../stacks/bootstrap/permission-facts";
import { synthesizedStacks } from "../support/deployments";
import { type ConditionRequest, evaluateCondition } from "../support/iam-condition";

/**
 * What the GCP deploy identities may do, read from the bootstrap's synthesized JSON (its conditions as the real
 * terraform decodes them) and held against what each shipped GCP example's synthesized cloud stack needs: every
 * service account it creates and every grant it makes on one, its cluster; and against what it must not reach: the
 * project's other service accounts (the Compute Engine default one holds Editor) and clusters, in particular a
 * deployment whose name prefixes this one.
 */

type Block = Record<string, unknown>;
type Json = { resource: Record<string, Record<string, Block>>; provider?: { google?: { project?: string }[] } };

const APPLY = "serviceAccount:deploy@acme-catalog-prod.iam.gserviceaccount.com";
const PLAN = "serviceAccount:plan@acme-catalog-prod.iam.gserviceaccount.com";
const EXAMPLES = ["gcp", "gcp-estate", "gcp-estate-keys", "gcp-estate-gateway"];

/**
 * A user-managed service account's email: `<account_id>@<project>.iam.gserviceaccount.com` (the google provider's
 * resourceGoogleServiceAccountCreate builds it so for an account it adopts,
 * google/services/resourcemanager/resource_google_service_account.go), and the Compute Engine default account's
 * `<project-number>-compute@developer.gserviceaccount.com` (https://cloud.google.com/compute/docs/access/service-accounts#default_service_account).
 */
const emailOf = (accountId: string, project: string) => `${accountId}@${project}.iam.gserviceaccount.com`;
const COMPUTE_DEFAULT = "123456789012-compute@developer.gserviceaccount.com";

/** A resource-level or project-level grant of one member, its role's permissions when the role is a custom one. */
interface Grant {
  readonly role: string;
  /** undefined for a predefined role: its permissions are not written down here, so it counts as holding any. */
  readonly permissions: readonly string[] | undefined;
  readonly condition: string | undefined;
  /** The service account (email) whose own allow policy holds the grant; undefined: the project's. */
  readonly onAccount: string | undefined;
}

/** The bootstrap of `example`, synthesized, its condition expressions decoded by the real terraform. */
function bootstrapOf(example: string): { json: Json; decoded: Record<string, unknown>; project: string } {
  const stack = buildBootstrap(Testing.app(), ["--config", `examples/${example}.yaml`, "--apply-member", APPLY, "--plan-member", PLAN], {});
  const json = JSON.parse(Testing.synth(stack)) as Json;
  return { json, decoded: decodeStacks({ boot: json }).boot.blocks, project: json.provider!.google![0].project! };
}

/** Every grant `member` holds in the bootstrap: project bindings and bindings on the bootstrap's service accounts. */
function grantsOf(boot: { json: Json; decoded: Record<string, unknown>; project: string }, member: string): Grant[] {
  const r = boot.json.resource;
  const custom = (role: string) => {
    const m = /^\$\{google_project_iam_custom_role\.([^.]+)\.name\}$/.exec(role);
    return m ? (r.google_project_iam_custom_role[m[1]].permissions as string[]) : undefined;
  };
  const decodedCondition = (type: string, id: string) => {
    const block = boot.decoded[`resource.${type}.${id}`] as { condition?: { expression: string } | { expression: string }[] } | undefined;
    const c = block?.condition;
    return Array.isArray(c) ? c[0]?.expression : c?.expression;
  };
  const grants: Grant[] = [];
  for (const [id, b] of Object.entries(r.google_project_iam_member ?? {})) {
    if (b.member !== member) continue;
    // As the real terraform decodes it (it reads every string as a template): what reaches IAM.
    grants.push({ role: String(b.role), permissions: custom(String(b.role)), condition: decodedCondition("google_project_iam_member", id), onAccount: undefined });
  }
  for (const b of Object.values(r.google_service_account_iam_member ?? {})) {
    if (b.member !== member) continue;
    const m = /^\$\{google_service_account\.([^.]+)\.name\}$/.exec(String(b.service_account_id));
    const sa = m ? r.google_service_account[m[1]] : undefined;
    expect(sa).toBeDefined();
    grants.push({ role: String(b.role), permissions: custom(String(b.role)), condition: undefined, onAccount: emailOf(String(sa!.account_id), String(sa!.project ?? boot.project)) });
  }
  return grants;
}

/** Whether one of `grants` allows `permission` on a service account (an IAM resource: no resource attributes). */
function mayOnAccount(grants: readonly Grant[], permission: string, email: string, grantedRole?: string): boolean {
  const request: ConditionRequest = grantedRole ? { api: { [MODIFIED_GRANTS_BY_ROLE]: [grantedRole] } } : {};
  return grants.some(
    (g) =>
      (g.permissions === undefined || g.permissions.includes(permission)) &&
      (g.onAccount === undefined || g.onAccount === email) &&
      (g.condition === undefined || evaluateCondition(g.condition, request)),
  );
}

/** Whether one of `grants` allows `permission` on a request with these resource attributes. */
function mayOn(grants: readonly Grant[], permission: string, resource: { type: string; name: string }): boolean {
  return grants.some((g) => g.onAccount === undefined && (g.permissions === undefined || g.permissions.includes(permission)) && (g.condition === undefined || evaluateCondition(g.condition, { resource })));
}

/** The example's synthesized cloud stack (`<name>-gcp`) and its provider's project. */
function cloudOf(example: string): { json: Json; project: string; name: string } {
  const stacks = synthesizedStacks(`examples-${example}`);
  const id = Object.keys(stacks).find((s) => s.endsWith("-gcp"))!;
  const json = stacks[id] as unknown as Json;
  return { json, project: json.provider!.google![0].project!, name: id.replace(/-gcp$/, "") };
}

/** `${google_service_account.<id>.(email|name)}` references anywhere under `value`, as the account's email. */
function accountReferences(value: unknown, accounts: Record<string, Block>, project: string): string[] {
  const text = JSON.stringify(value);
  return [...text.matchAll(/\$\{google_service_account\.([^.}]+)\.(email|name|member)\}/g)].map(([, id]) => emailOf(String(accounts[id].account_id), String(accounts[id].project ?? project)));
}

describe.each(EXAMPLES)("GCP deploy identities of examples/%s.yaml: only the deployment's service accounts and cluster", (example) => {
  const boot = bootstrapOf(example);
  const cloud = cloudOf(example);
  const apply = grantsOf(boot, APPLY);
  const plan = grantsOf(boot, PLAN);
  const accounts = cloud.json.resource.google_service_account;

  test("every condition reaches IAM as written: terraform decodes each expression to the synthesized text", () => {
    const conditional = Object.entries(boot.json.resource.google_project_iam_member).filter(([, b]) => b.condition !== undefined);
    expect(conditional.length).toBeGreaterThanOrEqual(3);
    for (const [id, b] of conditional) {
      const decoded = boot.decoded[`resource.google_project_iam_member.${id}`] as { condition: { expression: string } | { expression: string }[] };
      const c = Array.isArray(decoded.condition) ? decoded.condition[0] : decoded.condition;
      expect(c.expression).toBe((b.condition as { expression: string }).expression);
    }
  });

  test("each service account the cloud stack creates is created alike by the bootstrap (granted there), and the cloud stack takes it over", () => {
    expect(Object.keys(accounts).length).toBeGreaterThan(0);
    const bootAccounts = Object.values(boot.json.resource.google_service_account ?? {});
    for (const a of Object.values(accounts)) {
      expect(a.create_ignore_already_exists).toBe(true);
      const twin = bootAccounts.filter((b) => b.account_id === a.account_id);
      expect(twin).toHaveLength(1);
      for (const k of ["display_name", "description"]) expect(twin[0][k]).toBe(a[k]);
      expect(twin[0].project ?? boot.project).toBe(a.project ?? cloud.project);
      expect(twin[0].create_ignore_already_exists).toBe(true);
      // Destroying the bootstrap must not delete the accounts the running platform uses.
      expect(twin[0].lifecycle).toEqual({ prevent_destroy: true });
    }
    expect(bootAccounts).toHaveLength(Object.keys(accounts).length);
  });

  test("the apply identity may act as every account the cluster's nodes run as and grant on each account what the cloud stack grants there; on no other account: not the Compute Engine default one, not those of a deployment whose name prefixes this one", () => {
    const r = cloud.json.resource;
    const runAs = [...Object.values(r.google_container_cluster), ...Object.values(r.google_container_node_pool ?? {})].flatMap((c) => accountReferences({ node_config: c.node_config, node_pool: c.node_pool }, accounts, cloud.project));
    expect(runAs.length).toBeGreaterThan(0);
    for (const email of runAs) expect(mayOnAccount(apply, "iam.serviceAccounts.actAs", email)).toBe(true);
    const grantsOnAccounts = Object.values(r.google_service_account_iam_member ?? {});
    expect(grantsOnAccounts.length).toBeGreaterThan(0);
    for (const g of grantsOnAccounts) {
      const [email] = accountReferences(g.service_account_id, accounts, cloud.project);
      expect(mayOnAccount(apply, "iam.serviceAccounts.setIamPolicy", email, String(g.role))).toBe(true);
    }
    // Update and delete (display name, destroy) on each of its own accounts.
    for (const a of Object.values(accounts)) {
      for (const p of ["iam.serviceAccounts.update", "iam.serviceAccounts.delete"]) expect(mayOnAccount(apply, p, emailOf(String(a.account_id), String(a.project ?? cloud.project)))).toBe(true);
    }
    const foreign = [COMPUTE_DEFAULT, ...Object.values(accounts).map((a) => emailOf(String(a.account_id).replace(cloud.name, `${cloud.name}-2`), String(a.project ?? cloud.project)))];
    for (const email of foreign) {
      for (const p of ["iam.serviceAccounts.actAs", "iam.serviceAccounts.update", "iam.serviceAccounts.delete"]) expect(mayOnAccount(apply, p, email)).toBe(false);
      for (const role of ["roles/iam.serviceAccountTokenCreator", "roles/iam.workloadIdentityUser", "roles/iam.serviceAccountUser"]) expect(mayOnAccount(apply, "iam.serviceAccounts.setIamPolicy", email, role)).toBe(false);
      for (const p of ["iam.serviceAccounts.actAs", "iam.serviceAccounts.setIamPolicy"]) expect(mayOnAccount(plan, p, email)).toBe(false);
    }
  });

  test("no project-level binding holds a permission that acts on an existing service account, and no predefined role is bound without the cluster condition", () => {
    for (const g of [...apply, ...plan].filter((x) => x.onAccount === undefined)) {
      if (g.permissions) expect(g.permissions.filter(actsOnServiceAccount)).toEqual([]);
      else expect({ role: g.role, condition: g.condition }).toEqual({ role: expect.stringMatching(/^roles\/container\.(admin|viewer)$/), condition: expect.any(String) });
    }
    expect(apply.filter((g) => g.onAccount === undefined && g.permissions === undefined).map((g) => g.role)).toEqual([GKE_API_ROLES.apply]);
    expect(plan.filter((g) => g.permissions === undefined).map((g) => g.role)).toEqual([GKE_API_ROLES.plan]);
  });

  test("on a cluster, the cluster and Kubernetes API grants reach only the deployment's; requests on the project still pass (clusters.create)", () => {
    const [c] = Object.values(cloud.json.resource.google_container_cluster);
    const ours = GKE_CLUSTER_CONDITION.regionalName.value(String(c.project ?? cloud.project), String(c.location), String(c.name));
    const cluster = (name: string) => ({ type: GKE_CLUSTER_CONDITION.type.value, name });
    const others = [
      GKE_CLUSTER_CONDITION.regionalName.value(String(c.project ?? cloud.project), String(c.location), `${String(c.name)}-2`),
      GKE_CLUSTER_CONDITION.regionalName.value(String(c.project ?? cloud.project), "us-central1", String(c.name)),
      `projects/${String(c.project ?? cloud.project)}/zones/${String(c.location)}-b/clusters/${String(c.name)}`,
    ];
    for (const p of GKE_CLUSTER_CONDITION.clusterPermissions.value) {
      expect(mayOn(apply, p, cluster(ours))).toBe(true);
      for (const other of others) expect(mayOn(apply, p, cluster(other))).toBe(false);
    }
    // A Kubernetes API permission of the predefined roles, on the deployment's cluster (or named under it) and no other.
    for (const [grants, p] of [[apply, "container.secrets.update"], [plan, "container.pods.list"]] as const) {
      expect(mayOn(grants, p, cluster(ours))).toBe(true);
      expect(mayOn(grants, p, cluster(`${ours}/namespaces/vault`))).toBe(true);
      for (const other of others) {
        expect(mayOn(grants, p, cluster(other))).toBe(false);
        expect(mayOn(grants, p, cluster(`${other}/namespaces/vault`))).toBe(false);
      }
    }
    expect(mayOn(apply, "container.clusters.create", { type: "cloudresourcemanager.googleapis.com/Project", name: `projects/${cloud.project}` })).toBe(true);
  });

  test("the cluster condition names the type GKE presents: a foreign cluster typed as the attribute reference lists GKE clusters is refused", () => {
    // The resource type row of https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-type for
    // Google Kubernetes Engine (page last updated 2026-04-08): `container.googleapis.com/Clusters`.
    const documented = "container.googleapis.com/Clusters";
    const [c] = Object.values(cloud.json.resource.google_container_cluster);
    const name = (cluster: string) => `projects/${String(c.project ?? cloud.project)}/locations/${String(c.location)}/clusters/${cluster}`;
    for (const p of ["container.clusters.update", "container.clusters.delete"]) {
      expect(mayOn(apply, p, { type: documented, name: name(String(c.name)) })).toBe(true);
      expect(mayOn(apply, p, { type: documented, name: name("other-team") })).toBe(false);
    }
    expect(mayOn(plan, "container.pods.list", { type: documented, name: name("other-team") })).toBe(false);
  });
});

/**
 * On which resource Cloud KMS and Cloud Storage check each permission the key and bucket resources need
 * (GCP_PERMISSIONS): a key ring's reads, and a key's create, on the key ring ("on the specified resource parent",
 * https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys/create); a key version's
 * list on its key (.../cryptoKeyVersions/list, parent), its destroy on the version (.../cryptoKeyVersions/destroy); a
 * key ring's create on its location (.../projects.locations.keyRings/create); a bucket's create on the project
 * (https://cloud.google.com/storage/docs/json_api/v1/buckets/insert), anything else on the bucket.
 */
type KeyOrBucketTarget = "location" | "project" | "keyRing" | "cryptoKey" | "cryptoKeyVersion" | "bucket";
function targetOf(permission: string): KeyOrBucketTarget {
  if (permission === "cloudkms.keyRings.create") return "location";
  if (permission === "storage.buckets.create") return "project";
  if (permission.startsWith("cloudkms.keyRings.") || permission === "cloudkms.cryptoKeys.create") return "keyRing";
  if (permission === "cloudkms.cryptoKeyVersions.destroy") return "cryptoKeyVersion";
  if (permission.startsWith("cloudkms.cryptoKeys.") || permission === "cloudkms.cryptoKeyVersions.list") return "cryptoKey";
  if (permission.startsWith("storage.buckets.")) return "bucket";
  throw new Error(`no target known for ${permission}`);
}

const KEY_AND_BUCKET_TYPES = ["google_kms_key_ring", "google_kms_crypto_key", "google_kms_crypto_key_iam_member", "google_storage_bucket", "google_storage_bucket_iam_member"];

describe.each(EXAMPLES)("GCP deploy identities of examples/%s.yaml: only the deployment's key rings, keys and buckets", (example) => {
  const boot = bootstrapOf(example);
  const cloud = cloudOf(example);
  // The custom roles' grants: the predefined GKE roles (GKE_API_ROLES) hold container.* permissions only, no Cloud KMS or
  // Cloud Storage one (https://cloud.google.com/iam/docs/roles-permissions/container), and the other test block holds
  // them to the cluster condition.
  const apply = grantsOf(boot, APPLY).filter((g) => g.permissions !== undefined);
  const r = cloud.json.resource;
  const { names, types } = KEY_AND_BUCKET_CONDITION;
  const ringName = (b: Block) => names.value.keyRing(String(b.project ?? cloud.project), String(b.location), String(b.name));
  // `${google_kms_key_ring.X.id}` / `${google_kms_crypto_key.X.id}` / `${google_storage_bucket.X.name}`, or a literal name.
  const referenced = (value: unknown, type: string, nameOf: (b: Block) => string) => {
    const m = new RegExp(`^\\$\\{${type}\\.([^.]+)\\.(id|name)\\}$`).exec(String(value));
    return m ? nameOf(r[type][m[1]]) : String(value);
  };
  const keyName = (b: Block) => names.value.cryptoKey(referenced(b.key_ring, "google_kms_key_ring", ringName), String(b.name));
  const keyRings = Object.values(r.google_kms_key_ring ?? {}).map(ringName);
  const keys = [...Object.values(r.google_kms_crypto_key ?? {}).map(keyName), ...Object.values(r.google_kms_crypto_key_iam_member ?? {}).map((g) => referenced(g.crypto_key_id, "google_kms_crypto_key", keyName))];
  const buckets = [...Object.values(r.google_storage_bucket ?? {}).map((b) => String(b.name)), ...Object.values(r.google_storage_bucket_iam_member ?? {}).map((g) => referenced(g.bucket, "google_storage_bucket", (b) => String(b.name)))];
  // What the cloud stack's key and bucket resources need (permission-facts.ts), all of it on the apply side.
  const needed = [...new Set(KEY_AND_BUCKET_TYPES.flatMap((t) => [...GCP_PERMISSIONS[t].read, ...GCP_PERMISSIONS[t].write]))];
  const requestsOn = (permission: string, ring: string, key: string, bucket: string, project = cloud.project): { type: string; name: string } => {
    switch (targetOf(permission)) {
      case "location":
        return { type: "cloud.googleapis.com/Location", name: ring.replace(/\/keyRings\/[^/]+$/, "") };
      case "project":
        return { type: "cloudresourcemanager.googleapis.com/Project", name: `projects/${project}` };
      case "keyRing":
        return { type: types.value.keyRing, name: ring };
      case "cryptoKey":
        return { type: types.value.cryptoKey, name: key };
      case "cryptoKeyVersion":
        return { type: types.value.cryptoKeyVersion, name: names.value.cryptoKeyVersion(key, "1") };
      case "bucket":
        return { type: types.value.bucket, name: names.value.bucket(bucket) };
    }
  };

  test("every key ring, key and bucket the cloud stack creates or grants on is reachable with every permission it needs; a foreign one and a prefix deployment's are not", () => {
    expect(keyRings.length).toBeGreaterThan(0);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(buckets.length).toBeGreaterThanOrEqual(2);
    expect(needed).toEqual(expect.arrayContaining(["cloudkms.cryptoKeys.setIamPolicy", "storage.buckets.setIamPolicy", "storage.buckets.update", "cloudkms.cryptoKeyVersions.destroy"]));
    for (const p of needed) {
      for (const key of keys) expect({ p, key, ok: mayOn(apply, p, requestsOn(p, key.replace(/\/cryptoKeys\/[^/]+$/, ""), key, buckets[0])) }).toEqual({ p, key, ok: true });
      if (["keyRing", "location"].includes(targetOf(p))) for (const ring of keyRings) expect({ p, ring, ok: mayOn(apply, p, requestsOn(p, ring, keys[0], buckets[0])) }).toEqual({ p, ring, ok: true });
      for (const bucket of buckets) expect({ p, bucket, ok: mayOn(apply, p, requestsOn(p, keyRings[0], keys[0], bucket)) }).toEqual({ p, bucket, ok: true });
    }
    // Another key ring and bucket of the project (the state bucket among them), and a deployment named `<name>-2`.
    const prefixed = (n: string) => n.replace(`-${cloud.name}-`, `-${cloud.name}-2-`).replace(`/keyRings/${cloud.name}-`, `/keyRings/${cloud.name}-2-`);
    const foreignRings = [names.value.keyRing(cloud.project, "europe-west1", "customer-keys"), ...keyRings.map(prefixed)];
    const foreignBuckets = ["acme-terraform-state", `${cloud.project}-billing-exports`, ...buckets.map(prefixed)];
    expect(foreignRings.filter((n) => keyRings.includes(n))).toEqual([]);
    expect(foreignBuckets.filter((n) => buckets.includes(n))).toEqual([]);
    for (const p of needed.filter(actsOnKeyOrBucket)) {
      for (const ring of foreignRings) {
        for (const key of [names.value.cryptoKey(ring, "vault-unseal"), names.value.cryptoKey(ring, "data")]) expect({ p, key, ok: mayOn(apply, p, requestsOn(p, ring, key, "unused")) }).toEqual({ p, key, ok: false });
      }
      // A key of the deployment's name in another key ring, and a key ring of another location.
      for (const key of keys) {
        for (const other of [key.replace("/keyRings/", "/keyRings/x-"), key.replace(/\/locations\/[^/]+\//, "/locations/us-central1/")]) expect({ p, other, ok: mayOn(apply, p, requestsOn(p, other.replace(/\/cryptoKeys\/[^/]+$/, ""), other, "unused")) }).toEqual({ p, other, ok: false });
      }
      if (targetOf(p) === "bucket") for (const bucket of foreignBuckets) expect({ p, bucket, ok: mayOn(apply, p, requestsOn(p, keyRings[0], keys[0], bucket)) }).toEqual({ p, bucket, ok: false });
    }
  });

  test("no unconditioned binding holds a permission that acts on an existing key ring, key, key version or bucket; the creates checked on the location and the project stay unconditioned", () => {
    const unconditioned = apply.filter((g) => g.onAccount === undefined && g.condition === undefined);
    expect(unconditioned.length).toBeGreaterThan(0);
    for (const g of unconditioned) {
      expect(g.permissions).toBeDefined();
      expect(g.permissions!.filter(actsOnKeyOrBucket)).toEqual([]);
      for (const p of ["cloudkms.cryptoKeys.setIamPolicy", "storage.buckets.setIamPolicy", "storage.buckets.update", "cloudkms.cryptoKeyVersions.destroy", "cloudkms.cryptoKeys.update", "storage.buckets.delete"]) expect(g.permissions).not.toContain(p);
    }
    expect(unconditioned.flatMap((g) => g.permissions!.filter((p) => /^(cloudkms|storage)\./.test(p))).sort()).toEqual(["cloudkms.keyRings.create", "storage.buckets.create"]);
  });
});

/**
 * The Compute Engine resources of each example's cloud stack against the apply identity: what their creates, updates
 * and deletes need (GCP_PERMISSIONS, and the REST methods the provider calls: COMPUTE_METHOD_PERMISSIONS) is granted; the
 * firewall rules' writes only on the deployment's own rules (the attribute reference documents a firewall's type and
 * name), and what stays granted on the whole project is exactly the recorded residual (COMPUTE_UNSCOPED), since no
 * documented IAM Condition can name a network, subnetwork, router or address (COMPUTE_CONDITION_FACTS).
 */
describe.each(EXAMPLES)("GCP deploy identities of examples/%s.yaml: Compute Engine writes", (example) => {
  const boot = bootstrapOf(example);
  const cloud = cloudOf(example);
  const apply = grantsOf(boot, APPLY);
  // The unconditioned project bindings of custom roles: what the apply identity may do on any resource of the project.
  const onProject = new Set(apply.filter((g) => g.onAccount === undefined && g.condition === undefined).flatMap((g) => g.permissions ?? []));
  // The custom roles' grants: the predefined GKE roles (GKE_API_ROLES) hold no Compute Engine firewall permission
  // (https://cloud.google.com/iam/docs/roles-permissions/container), and the cluster block holds them to their condition.
  const custom = apply.filter((g) => g.permissions !== undefined);
  const rule = (project: string, name: string) => ({ type: COMPUTE_CONDITION_FACTS.firewallType.value, name: COMPUTE_CONDITION_FACTS.firewallName.value(project, name) });
  const computeResources = Object.entries(cloud.json.resource)
    .filter(([type]) => type.startsWith("google_compute_"))
    .flatMap(([type, blocks]) => Object.entries(blocks).map(([id, b]) => ({ type, id, name: String(b.name), project: String(b.project ?? cloud.project) })));

  test("every compute resource of the cloud stack: each permission of its create, update and delete, and of each REST method the provider calls for it, is granted", () => {
    expect(computeResources.length).toBeGreaterThan(0);
    for (const r of computeResources) {
      expect(GCP_PERMISSIONS[r.type]).toBeDefined();
      const needed = [...GCP_PERMISSIONS[r.type].read, ...GCP_PERMISSIONS[r.type].write, ...Object.values(COMPUTE_METHOD_PERMISSIONS[r.type] ?? {}).flat()];
      // A firewall rule's own writes on the rule (by its name); everything else on the project, unconditioned.
      const granted = (p: string) => onProject.has(p) || (r.type === "google_compute_firewall" && (FIREWALL_PERMISSIONS as readonly string[]).includes(p) && mayOn(custom, p, rule(r.project, r.name)));
      for (const p of needed) expect({ resource: `${r.type}.${r.id}`, p, granted: granted(p) }).toEqual({ resource: `${r.type}.${r.id}`, p, granted: true });
    }
  });

  test("each compute permission that acts on an existing resource and is granted on the whole project has its recorded residual; the only conditioned ones are the firewall rules'", () => {
    const acting = [...onProject].filter(actsOnExistingComputeResource).sort();
    expect(acting.length).toBeGreaterThan(0);
    expect(acting.filter((p) => !(p in COMPUTE_UNSCOPED))).toEqual([]);
    for (const p of FIREWALL_PERMISSIONS) expect(onProject.has(p)).toBe(false);
    const conditioned = apply.filter((g) => g.condition !== undefined).flatMap((g) => (g.permissions ?? []).filter((p) => p.startsWith("compute.")));
    expect(conditioned.sort()).toEqual([...FIREWALL_PERMISSIONS].sort());
  });

  test("every firewall rule of the cloud stack (names from its synthesized JSON): its create, patch and delete are allowed on it; on another rule of the project, or one of a deployment whose name extends this one's, they are refused", () => {
    const firewalls = Object.values(cloud.json.resource.google_compute_firewall ?? {});
    expect(firewalls.length).toBeGreaterThan(0);
    const methods = COMPUTE_METHOD_PERMISSIONS.google_compute_firewall;
    for (const f of firewalls) {
      const project = String(f.project ?? cloud.project);
      // Every permission of the methods the provider calls for the rule, as if Compute Engine checks each on the rule.
      for (const p of Object.values(methods).flat()) expect({ rule: f.name, p, ok: mayOn(custom, p, rule(project, String(f.name))) }).toEqual({ rule: f.name, p, ok: true });
      const prefixed = String(f.name).replace(`${cloud.name}-`, `${cloud.name}-2-`);
      expect(prefixed).not.toBe(String(f.name));
      for (const other of [rule(project, "other-team-allow-ssh"), rule(project, prefixed), rule("another-project", String(f.name))]) {
        for (const p of FIREWALL_PERMISSIONS) expect({ other: other.name, p, ok: mayOn(custom, p, other) }).toEqual({ other: other.name, p, ok: false });
      }
    }
    // Checked on the project (a create, if Compute checks it there, as it checks the parent-only lists): as the role grants them.
    const theProject = { type: COMPUTE_CONDITION_FACTS.parentOnlyLists.value, name: `projects/${cloud.project}` };
    for (const p of FIREWALL_PERMISSIONS) expect({ p, ok: mayOn(custom, p, theProject) }).toEqual({ p, ok: true });
  });

  test("the residual as granted: a network and subnetwork of the project that are not the deployment's are reached by the same writes (no condition can name them)", () => {
    // The REST paths of resources the deployment does not hold; an unconditioned binding does not read them.
    const foreign = [
      { type: "compute.googleapis.com/Network", name: `projects/${cloud.project}/global/networks/other-team-vpc`, permissions: ["compute.networks.updatePolicy", "compute.networks.delete"] },
      { type: "compute.googleapis.com/Subnetwork", name: `projects/${cloud.project}/regions/europe-west1/subnetworks/other-team`, permissions: ["compute.subnetworks.use", "compute.subnetworks.delete"] },
    ];
    for (const f of foreign) for (const p of f.permissions) expect({ p, f: f.name, ok: mayOn(apply, p, f) }).toEqual({ p, f: f.name, ok: true });
  });
});

test("the recorded Compute Engine residual (COMPUTE_UNSCOPED) holds no permission that no shipped GCP example grants", () => {
  const granted = new Set(
    EXAMPLES.flatMap((example) =>
      grantsOf(bootstrapOf(example), APPLY)
        .filter((g) => g.onAccount === undefined && g.condition === undefined)
        .flatMap((g) => (g.permissions ?? []).filter(actsOnExistingComputeResource)),
    ),
  );
  expect(Object.keys(COMPUTE_UNSCOPED).filter((p) => !granted.has(p))).toEqual([]);
});

describe.each(EXAMPLES)("GCP deploy identities of examples/%s.yaml: Terraform's state, only the deployment's", (example) => {
  const boot = bootstrapOf(example);
  const backends = Object.values(synthesizedStacks(`examples-${example}`)).map((st) => (st as { terraform: { backend: { gcs: { bucket: string; prefix: string } } } }).terraform.backend.gcs);
  const stateGrants = (member: string) =>
    Object.entries(boot.json.resource.google_storage_bucket_iam_member ?? {})
      .filter(([, b]) => b.member === member)
      .map(([id, b]) => {
        const c = (boot.decoded[`resource.google_storage_bucket_iam_member.${id}`] as { condition?: { expression: string } | { expression: string }[] }).condition;
        return { role: String(b.role), bucket: String(b.bucket), condition: (Array.isArray(c) ? c[0] : c)!.expression };
      });
  // What the gcs backend asks for a stack whose prefix is `prefix` (GCS_STATE_ROLES): its workspace list, its state and lock objects.
  const object = (bucket: string, name: string): ConditionRequest => ({ resource: { type: STATE_OBJECT_CONDITION.objectType, name: STATE_OBJECT_CONDITION.objectName(bucket, name) } });
  const list = (bucket: string, prefix: string): ConditionRequest => ({ resource: { type: STATE_OBJECT_CONDITION.bucketType, name: `projects/_/buckets/${bucket}` }, api: { [STATE_OBJECT_CONDITION.listPrefixAttribute]: prefix } });
  const reaches = (member: string, bucket: string, request: ConditionRequest) => stateGrants(member).some((g) => g.bucket === bucket && evaluateCondition(g.condition, request));

  test("every stack's state and lock object and its workspace list: the apply identity reads and writes them, the plan identity reads them", () => {
    expect(backends.length).toBe(4);
    expect(stateGrants(APPLY).map((g) => g.role)).toEqual([GCS_STATE_ROLES.apply]);
    expect(stateGrants(PLAN).map((g) => g.role)).toEqual([GCS_STATE_ROLES.plan]);
    for (const b of backends) {
      for (const member of [APPLY, PLAN]) {
        for (const req of [object(b.bucket, `${b.prefix}/default.tfstate`), object(b.bucket, `${b.prefix}/default.tflock`), list(b.bucket, `${b.prefix}/`)]) expect({ member, req, ok: reaches(member, b.bucket, req) }).toEqual({ member, req, ok: true });
      }
    }
  });

  test("no other object of the bucket and no wider list: not another deployment's state (a name that prefixes this one), not the whole prefix", () => {
    const [b] = backends;
    const name = String(boot.json.resource.google_project_iam_custom_role.ApplyRole.role_id).replace(/_deploy_apply$/, "").replace(/_/g, "-");
    const other = b.prefix.replace(`/${name}-`, `/${name}-2-`);
    expect(other).not.toBe(b.prefix);
    for (const member of [APPLY, PLAN]) {
      for (const req of [object(b.bucket, `${other}/default.tfstate`), object(b.bucket, "other-team/default.tfstate"), list(b.bucket, `${other}/`), list(b.bucket, ""), list(b.bucket, `${b.prefix.split("/")[0]}/`), object("another-bucket", `${b.prefix}/default.tfstate`)]) {
        const bucket = req.resource!.name!.split("/")[3];
        expect({ member, req, ok: reaches(member, bucket, req) }).toEqual({ member, req, ok: false });
      }
    }
  });
});

describe("the condition evaluator (support/iam-condition.ts) on the forms the stack emits", () => {
  test("a resource attribute the request lacks grants nothing, with == and != alike; an absent API attribute is []", () => {
    expect(evaluateCondition("resource.type != 'a' || resource.name == 'b'", {})).toBe(false);
    expect(evaluateCondition("resource.type != 'a' || resource.name == 'b'", { resource: { type: "x", name: "y" } })).toBe(true);
    expect(evaluateCondition("resource.type != 'a' || resource.name == 'b'", { resource: { type: "a", name: "y" } })).toBe(false);
    expect(evaluateCondition("api.getAttribute('k', []).hasOnly(['r1', 'r2'])", {})).toBe(true);
    expect(evaluateCondition("api.getAttribute('k', []).hasOnly(['r1', 'r2'])", { api: { k: ["r1", "r3"] } })).toBe(false);
    expect(evaluateCondition("resource.type != 'a' || resource.name.startsWith('p/')", { resource: { type: "a", name: "p/x" } })).toBe(true);
    expect(evaluateCondition("resource.type != 'a' || resource.name.startsWith('p/')", { resource: { type: "a", name: "p-2/x" } })).toBe(false);
    expect(evaluateCondition("resource.name.startsWith('p/')", {})).toBe(false);
    expect(() => evaluateCondition("resource.name.endsWith('x')", {})).toThrow(/unsupported/);
    // A string API attribute: absent is '' (the default), so a prefix test on it is false unless the prefix is ''.
    expect(evaluateCondition("api.getAttribute('k', '').startsWith('p/')", { api: { k: "p/x/" } })).toBe(true);
    expect(evaluateCondition("api.getAttribute('k', '').startsWith('p/')", {})).toBe(false);
  });
});
