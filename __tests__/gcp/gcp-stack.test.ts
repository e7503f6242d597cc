import { DefaultTokenResolver, StringConcat, TerraformStack, Testing, Tokenization } from "cdktf";
import { loadDeployment } from "../../config/load";
import type { Deployment } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { buildDeployment } from "../../stacks/deployment";
import { GcpStack } from "../../stacks/gcp-stack";
import { resourcesOf, onlyResource, type TfJson } from "../support/helpers";
import { nonEmpty } from "../support/non-empty";
import { GKE_METADATA_SERVER_EGRESS, GKE_SERVICE_AGENT_FACTS } from "../../constructs/gcp/gke-facts";

/** A contract value as it renders inside the cloud stack. */
function resolveIn(stack: TerraformStack, value: unknown): unknown {
  return Tokenization.resolve(value, { scope: stack, resolver: new DefaultTokenResolver(new StringConcat()), preparing: false });
}

const example: Deployment = loadDeployment(["--config", "examples/gcp.yaml"], {});
const privateOnly: Deployment = { ...example, controlPlane: { ...example.controlPlane, publicEndpoint: false } };

function build(d: Deployment = example): { stack: GcpStack; json: TfJson; text: string } {
  const stack = new GcpStack(Testing.app(), `${d.name}-gcp`, { deployment: deploymentOn("gcp", d) });
  const text = Testing.synth(stack);
  return { stack, json: JSON.parse(text) as TfJson, text };
}

const exampleStack = build();
const { json } = exampleStack;

describe("GcpStack from examples/gcp.yaml", () => {
  test("the provider targets the project and region, with the tags as sanitized default labels", () => {
    expect(json.provider?.google).toEqual([
      {
        project: "acme-catalog-prod",
        region: "europe-west1",
        default_labels: { deployment: "globex-prod", environment: "production", project: "metadata-platform" },
      },
    ]);
  });

  test("state lives in the configured GCS backend under the stack's id", () => {
    expect(JSON.parse(exampleStack.text).terraform.backend).toEqual({ gcs: { bucket: "acme-terraform-state", prefix: "metadata-platform/globex-prod-gcp" } });
  });

  test("the cluster is private with authorized networks exactly the admin CIDRs", () => {
    const cluster = onlyResource(json, "google_container_cluster");
    expect(cluster.private_cluster_config).toMatchObject({ enable_private_nodes: true, enable_private_endpoint: false });
    expect(cluster.master_authorized_networks_config).toMatchObject({
      cidr_blocks: [{ cidr_block: "203.0.113.0/24", display_name: "admin-1" }],
      gcp_public_cidrs_access_enabled: false,
    });
  });

  test("the control plane's /28 overlaps none of the config's ranges", () => {
    const cluster = onlyResource(json, "google_container_cluster");
    expect((cluster.private_cluster_config as Record<string, unknown>).master_ipv4_cidr_block).toBe("172.16.0.0/28");
    const clash = build({ ...example, network: { ...example.network, serviceCidr: "172.16.0.0/16" } }).json;
    const moved = (onlyResource(clash, "google_container_cluster").private_cluster_config as Record<string, unknown>).master_ipv4_cidr_block;
    expect(moved).toBe("172.17.0.0/28");
    const fw = resourcesOf(clash, "google_compute_firewall").find((r) => String(r.name).endsWith("control-plane-to-nodes"));
    expect(fw?.source_ranges).toEqual(["172.17.0.0/28"]);
  });

  test("one node pool per config pool, spread over three zones, with enough nodes per zone for the count", () => {
    const pools = resourcesOf(json, "google_container_node_pool");
    expect(pools).toHaveLength(1);
    expect(pools[0]).toMatchObject({ name: "general", node_count: 1, node_config: expect.objectContaining({ machine_type: "e2-standard-8", disk_size_gb: 100 }) });
    // The zones as the first apply stored them, never re-derived from the live list; fixed for the pool's life.
    const pin = Object.entries(json.resource?.terraform_data ?? {}).find(([k]) => k.startsWith("PinnedZones"))!;
    expect(pin[1]).toMatchObject({
      input: { names: "${slice(sort(data.google_compute_zones.Zones.names), 0, min(3, length(sort(data.google_compute_zones.Zones.names))))}" },
      lifecycle: expect.objectContaining({ ignore_changes: ["input"] }),
    });
    expect(pools[0].node_locations).toEqual([0, 1, 2].map((i) => `\${terraform_data.${pin[0]}.output.names.${i}}`));
    expect(pools[0].lifecycle).toEqual({ ignore_changes: ["node_locations"] });
    expect(JSON.stringify(json.resource)).not.toContain("element(");
    const seven = build({ ...example, nodePools: [{ name: "big", count: 7, machineType: "e2-standard-8", diskSizeGiB: 200 }] }).json;
    expect(onlyResource(seven, "google_container_node_pool")).toMatchObject({ name: "big", node_count: 3 });
  });

  test("cluster secrets are encrypted with a Cloud KMS key the GKE service agent may use", () => {
    const cluster = onlyResource(json, "google_container_cluster");
    expect(cluster.database_encryption).toEqual({ state: "ENCRYPTED", key_name: expect.stringMatching(/^\$\{google_kms_crypto_key\.SecretsKey_[0-9A-F]+\.id\}$/) });
    const grant = resourcesOf(json, "google_kms_crypto_key_iam_member").find((m) => String(m.member).includes("container-engine-robot"));
    expect(grant).toMatchObject({
      role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      member: "serviceAccount:service-${data.google_project.Project.number}@container-engine-robot.iam.gserviceaccount.com",
      crypto_key_id: cluster.database_encryption && (cluster.database_encryption as Record<string, string>).key_name,
    });
    expect(cluster.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^google_kms_crypto_key_iam_member\.SecretsKey_GkeServiceAgent_/)]));
  });

  test("the GKE service agent is created (the documented command) before it is granted the key, so the grant cannot race its creation", () => {
    expect(GKE_SERVICE_AGENT_FACTS.createdAsynchronously.value).toBe(true);
    const [id, agent] = Object.entries(json.resource?.terraform_data ?? {}).find(([k]) => k.startsWith("GkeServiceAgent"))!;
    expect(agent).toMatchObject({
      triggers_replace: { project: "${data.google_project.Project.number}" },
      provisioner: [{ "local-exec": { command: [...GKE_SERVICE_AGENT_FACTS.createCommand.value, "--project=acme-catalog-prod"].join(" ") } }],
    });
    const grant = Object.entries(json.resource?.google_kms_crypto_key_iam_member ?? {}).find(([k]) => k.startsWith("SecretsKey_GkeServiceAgent"))![1];
    expect(grant.depends_on).toEqual(expect.arrayContaining([`terraform_data.${id}`]));
    expect(grant.member).toBe(`serviceAccount:${GKE_SERVICE_AGENT_FACTS.email.value("${data.google_project.Project.number}")}`);
  });

  test("Vault's identity is bound to vault/vault and may only encrypt/decrypt (and read) the unseal key", () => {
    const vaultBinding = resourcesOf(json, "google_service_account_iam_member").filter((m) => String(m.service_account_id).includes("VaultIdentity"));
    expect(vaultBinding).toHaveLength(1);
    expect(vaultBinding[0]).toMatchObject({
      role: "roles/iam.workloadIdentityUser",
      member: expect.stringMatching(/^serviceAccount:\$\{google_container_cluster\.Cluster_[0-9A-F]+\.workload_identity_config\[0\]\.workload_pool\}\[vault\/vault\]$/),
    });
    const vaultGrants = resourcesOf(json, "google_kms_crypto_key_iam_member").filter((m) => String(m.member).includes("VaultIdentity"));
    expect(vaultGrants.map((g) => g.role).sort()).toEqual(["roles/cloudkms.cryptoKeyEncrypterDecrypter", "roles/cloudkms.viewer"]);
    for (const g of vaultGrants) expect(g.crypto_key_id).toMatch(/^\$\{google_kms_crypto_key\.VaultUnsealKey_[0-9A-F]+\.id\}$/);
  });

  test("the backup identity serves exactly the backup subjects and may only use the data bucket", () => {
    const members = resourcesOf(json, "google_service_account_iam_member")
      .filter((m) => String(m.service_account_id).includes("BackupIdentity"))
      .map((m) => String(m.member).replace(/^.*\[/, "["));
    expect(members.sort()).toEqual(["[identity/postgresql]", "[metadata/cassandra]", "[metadata/elasticsearch]"]);
    const bucketGrants = resourcesOf(json, "google_storage_bucket_iam_member").filter((m) => String(m.member).includes("BackupIdentity"));
    expect(bucketGrants).toHaveLength(1);
    expect(bucketGrants[0]).toMatchObject({ role: "roles/storage.objectAdmin", bucket: expect.stringMatching(/^\$\{google_storage_bucket\.Data_[0-9A-F]+\.name\}$/) });
  });

  test("only the node service account holds project-wide roles", () => {
    for (const m of nonEmpty(resourcesOf(json, "google_project_iam_member"), "project IAM member")) expect(m.member).toMatch(/google_service_account\.NodeServiceAccount_/);
  });

  test("no bucket is granted to allUsers or allAuthenticatedUsers", () => {
    for (const m of nonEmpty(resourcesOf(json, "google_storage_bucket_iam_member"), "bucket IAM member")) expect(m.member).not.toMatch(/^all(Authenticated)?Users$/);
  });

  test("no Secret Manager resource exists", () => {
    expect(Object.keys(json.resource ?? {}).filter((t) => t.includes("secret_manager"))).toEqual([]);
  });

  test("data and log buckets are in the region; the data bucket logs to the log bucket", () => {
    const buckets = resourcesOf(json, "google_storage_bucket");
    expect(buckets.map((b) => b.name).sort()).toEqual(["acme-catalog-prod-globex-prod-data", "acme-catalog-prod-globex-prod-logs"]);
    const data = buckets.find((b) => String(b.name).endsWith("-data"));
    expect(data?.logging).toMatchObject({ log_bucket: expect.stringMatching(/^\$\{google_storage_bucket\.Logs_[0-9A-F]+\.name\}$/) });
    for (const b of buckets) expect(b).toMatchObject({ location: "europe-west1", uniform_bucket_level_access: true, public_access_prevention: "enforced", force_destroy: false });
  });

  test("every resource and data source waits for the project's APIs", () => {
    const apis = Object.keys(json.resource?.google_project_service ?? {}).map((id) => `google_project_service.${id}`);
    expect(apis.length).toBeGreaterThan(5);
    for (const [type, byId] of Object.entries({ ...json.resource, ...json.data })) {
      if (type === "google_project_service") continue;
      for (const r of Object.values(byId)) expect(r.depends_on).toEqual(expect.arrayContaining(apis));
    }
  });

  test("synthesis is deterministic", () => {
    expect(build().text).toBe(exampleStack.text);
  });

  test("snapshot", () => {
    expect(json).toMatchSnapshot();
  });
});

describe("data protection", () => {
  const protectedTypes = ["google_container_cluster", "google_storage_bucket", "google_kms_crypto_key", "google_kms_key_ring"];

  test("by default the cluster, buckets, keys and key ring refuse destroy", () => {
    for (const type of protectedTypes) {
      const all = resourcesOf(json, type);
      expect(all.length).toBeGreaterThan(0);
      for (const r of all) expect(r.lifecycle).toMatchObject({ prevent_destroy: true });
    }
    expect(onlyResource(json, "google_container_cluster").deletion_protection).toBe(true);
  });

  test("allowDestroy lifts prevent_destroy and deletion protection, but buckets are never force-destroyed", () => {
    const lifted = build({ ...example, dataProtection: { allowDestroy: true } }).json;
    for (const type of protectedTypes) for (const r of nonEmpty(resourcesOf(lifted, type), type)) expect(r.lifecycle).toMatchObject({ prevent_destroy: false });
    expect(onlyResource(lifted, "google_container_cluster").deletion_protection).toBe(false);
    for (const b of nonEmpty(resourcesOf(lifted, "google_storage_bucket"), "bucket")) expect(b.force_destroy).toBe(false);
  });
});

describe("control-plane endpoint", () => {
  test("private only: no public endpoint; the contract's host is the private endpoint", () => {
    const { stack, json: priv } = build(privateOnly);
    const cluster = onlyResource(priv, "google_container_cluster");
    expect(cluster.private_cluster_config).toMatchObject({ enable_private_endpoint: true, enable_private_nodes: true });
    expect(cluster.master_authorized_networks_config).toMatchObject({ cidr_blocks: [{ cidr_block: "203.0.113.0/24", display_name: "admin-1" }] });
    expect(resolveIn(stack, stack.foundation.cluster.host)).toMatch(/^https:\/\/\$\{google_container_cluster\.Cluster_[0-9A-F]+\.private_cluster_config\[0\]\.private_endpoint\}$/);
  });

  test("public: the contract's host is the public endpoint, still limited to the admin CIDRs", () => {
    const { stack } = exampleStack;
    expect(resolveIn(stack, stack.foundation.cluster.host)).toMatch(/^https:\/\/\$\{google_container_cluster\.Cluster_[0-9A-F]+\.endpoint\}$/);
  });
});

describe("firewall", () => {
  const ADMIN_PORTS = [22, 3389, 6443, 10250, 2379];
  const covers = (ports: unknown, port: number) =>
    ports === undefined ||
    (ports as string[]).some((p) => {
      const [lo, hi = lo] = p.split("-").map(Number);
      return port >= lo && port <= hi;
    });

  test("no allow rule open to 0.0.0.0/0 on an admin port, whatever the endpoint choice", () => {
    for (const d of [example, privateOnly]) {
      const rules = resourcesOf(build(d).json, "google_compute_firewall");
      for (const rule of nonEmpty(rules.filter((r) => r.allow), "allowing firewall rule")) {
        const sources = (rule.source_ranges as string[]) ?? ["0.0.0.0/0"];
        if (!sources.includes("0.0.0.0/0")) continue;
        for (const allow of rule.allow as { ports?: string[] }[]) for (const port of ADMIN_PORTS) expect(covers(allow.ports, port)).toBe(false);
      }
      // Stronger: no allow rule admits 0.0.0.0/0 at all.
      expect(rules.filter((r) => r.allow && (r.source_ranges as string[]).includes("0.0.0.0/0"))).toEqual([]);
    }
  });
});

describe("contract", () => {
  const { stack } = exampleStack;
  const f = stack.foundation;

  test("cluster access: exec through gke-gcloud-auth-plugin, decoded CA, issuer URL", () => {
    expect(f.cloud).toBe("gcp");
    expect(f.cluster.exec).toEqual({ apiVersion: "client.authentication.k8s.io/v1beta1", command: "gke-gcloud-auth-plugin", args: [] });
    expect(resolveIn(stack, f.cluster.caCertificatePem)).toMatch(/^\$\{base64decode\(google_container_cluster\.Cluster_[0-9A-F]+\.master_auth\[0\]\.cluster_ca_certificate\)\}$/);
    expect(f.cluster.serviceAccountIssuer).toBe("https://container.googleapis.com/v1/projects/acme-catalog-prod/locations/europe-west1/clusters/globex-prod");
  });

  test("encrypted volumes: PD CSI with pd-balanced", () => {
    expect(f.encryptedStorage).toEqual({ provisioner: "pd.csi.storage.gke.io", parameters: { type: "pd-balanced" } });
  });

  test("object store, seal stanza, workload identity annotations and load-balancer annotations", () => {
    expect(resolveIn(stack, f.objectStore)).toEqual({ kind: "gcs", dataBucket: expect.stringMatching(/google_storage_bucket\.Data_/), region: "europe-west1" });
    expect(resolveIn(stack, f.vaultSeal)).toEqual({
      type: "gcpckms",
      config: {
        project: "acme-catalog-prod",
        region: "europe-west1",
        key_ring: expect.stringMatching(/google_kms_key_ring\.KeyRing_/),
        crypto_key: expect.stringMatching(/google_kms_crypto_key\.VaultUnsealKey_/),
      },
    });
    for (const name of ["vault", "backup"] as const) {
      const binding = f.workloadIdentities[name];
      expect(Object.keys(binding.serviceAccountAnnotations)).toEqual(["iam.gke.io/gcp-service-account"]);
      expect(binding.podLabels).toEqual({});
    }
    expect(resolveIn(stack, f.workloadIdentities.vault.serviceAccountAnnotations["iam.gke.io/gcp-service-account"])).toMatch(/google_service_account\.VaultIdentity_[0-9A-F]+\.email/);
    expect(f.loadBalancer).toEqual({ serviceAnnotations: { "cloud.google.com/l4-rbs": "enabled" } });
  });

  test("zones come from the region's zone list, three of them", () => {
    expect(f.zones).toHaveLength(3);
    const pin = Object.keys(json.resource?.terraform_data ?? {}).find((k) => k.startsWith("PinnedZones"))!;
    expect(resolveIn(stack, f.zones)).toEqual([0, 1, 2].map((i) => `\${terraform_data.${pin}.output.names.${i}}`));
  });

  test("pod network: pod and service ranges excluded from 'anywhere'; identity-bound pods reach the GKE metadata server", () => {
    expect(f.podNetwork).toEqual({
      clusterCidrs: [example.network.podCidr, example.network.serviceCidr],
      workloadIdentityEgress: GKE_METADATA_SERVER_EGRESS,
    });
    expect(GKE_METADATA_SERVER_EGRESS.map((e) => `${e.cidr}:${e.port}`)).toEqual(["169.254.169.254/32:80", "169.254.169.252/32:988"]);
  });

  test("the deployment builder creates <name>-gcp for a gcp deployment", () => {
    const { cloud } = buildDeployment(Testing.app(), example);
    expect(cloud).toBeInstanceOf(GcpStack);
    expect(cloud.node.id).toBe("globex-prod-gcp");
  });
});
