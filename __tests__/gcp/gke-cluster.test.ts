import { Testing } from "cdktf";
import { ContainerCluster } from "@cdktf/provider-google/lib/container-cluster";
import { ContainerNodePool } from "@cdktf/provider-google/lib/container-node-pool";
import { ControlPlaneAccess } from "../../platform/control-plane-access";
import { CLUSTER_LOG_COMPONENTS, GkeCluster, GkeClusterProps, pickControlPlaneCidr } from "../../constructs/gcp/gke-cluster";
import { NodePool } from "../../constructs/gcp/node-pool";
import { NODE_ROLES, NodeServiceAccount } from "../../constructs/gcp/node-service-account";
import { onlyResource, resourcesOf, synthJson } from "../support/helpers";
import { nonEmpty } from "../support/non-empty";

const base: GkeClusterProps = {
  name: "acme",
  location: "europe-west1",
  network: "vpc-id",
  subnetwork: "subnet-id",
  podsRangeName: "pods",
  servicesRangeName: "services",
  access: ControlPlaneAccess.privateFrom(["203.0.113.0/24"]),
  controlPlaneCidr: "172.16.0.0/28",
  reservedRanges: ["10.60.0.0/20"],
  secretsEncryptionKeyId: "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k",
  workloadPool: "acme-prod.svc.id.goog",
  nodeServiceAccountEmail: "nodes@acme-prod.iam.gserviceaccount.com",
};
const cluster = (props: Partial<GkeClusterProps> = {}) =>
  Testing.synthScope((s) => { new GkeCluster(s, "Cluster", { ...base, ...props }); });

describe("GkeCluster", () => {
  const out = cluster();

  test("is private: private nodes, private endpoint only, control plane in the given /28", () => {
    expect(out).toHaveResourceWithProperties(ContainerCluster, {
      private_cluster_config: expect.objectContaining({
        enable_private_nodes: true,
        enable_private_endpoint: true,
        master_ipv4_cidr_block: "172.16.0.0/28",
        master_global_access_config: { enabled: false },
      }),
    });
  });

  test("master authorized networks are exactly the admin CIDRs, enforced on the private endpoint, Google Cloud IPs excluded", () => {
    expect(out).toHaveResourceWithProperties(ContainerCluster, {
      master_authorized_networks_config: {
        cidr_blocks: [{ cidr_block: "203.0.113.0/24", display_name: "admin-1" }],
        gcp_public_cidrs_access_enabled: false,
        private_endpoint_enforcement_enabled: true,
      },
      control_plane_endpoints_config: { dns_endpoint_config: { allow_external_traffic: false } },
    });
  });

  test("a public endpoint, when asked for, still accepts only the admin CIDRs", () => {
    const pub = cluster({ access: ControlPlaneAccess.publicFrom(["203.0.113.0/24", "198.51.100.7/32"]) });
    expect(pub).toHaveResourceWithProperties(ContainerCluster, {
      private_cluster_config: expect.objectContaining({ enable_private_nodes: true, enable_private_endpoint: false }),
      master_authorized_networks_config: expect.objectContaining({
        cidr_blocks: [
          { cidr_block: "203.0.113.0/24", display_name: "admin-1" },
          { cidr_block: "198.51.100.7/32", display_name: "admin-2" },
        ],
        gcp_public_cidrs_access_enabled: false,
      }),
    });
  });

  test("Dataplane V2 enforces NetworkPolicy; the cluster is VPC-native on the subnet's secondary ranges", () => {
    expect(out).toHaveResourceWithProperties(ContainerCluster, {
      datapath_provider: "ADVANCED_DATAPATH",
      networking_mode: "VPC_NATIVE",
      ip_allocation_policy: expect.objectContaining({ cluster_secondary_range_name: "pods", services_secondary_range_name: "services" }),
      enable_intranode_visibility: true,
    });
  });

  test("workload identity, shielded nodes, no legacy ABAC, no client certificate, limited anonymous access", () => {
    expect(out).toHaveResourceWithProperties(ContainerCluster, {
      workload_identity_config: { workload_pool: "acme-prod.svc.id.goog" },
      enable_shielded_nodes: true,
      enable_legacy_abac: false,
      master_auth: { client_certificate_config: { issue_client_certificate: false } },
      anonymous_authentication_config: { mode: "LIMITED" },
      rbac_binding_config: { enable_insecure_binding_system_authenticated: false, enable_insecure_binding_system_unauthenticated: false },
      service_external_ips_config: { enabled: false },
      node_pool_defaults: { node_config_defaults: { insecure_kubelet_readonly_port_enabled: "FALSE" } },
    });
  });

  test("Kubernetes Secrets are encrypted in etcd with the Cloud KMS key", () => {
    expect(out).toHaveResourceWithProperties(ContainerCluster, {
      database_encryption: { state: "ENCRYPTED", key_name: base.secretsEncryptionKeyId },
    });
  });

  test("release channel REGULAR, Binary Authorization enforced, no Secret Manager add-on", () => {
    expect(out).toHaveResourceWithProperties(ContainerCluster, {
      release_channel: { channel: "REGULAR" },
      binary_authorization: { evaluation_mode: "PROJECT_SINGLETON_POLICY_ENFORCE" },
      secret_manager_config: { enabled: false },
    });
    expect(onlyResource(JSON.parse(out), "google_container_cluster").min_master_version).toBeUndefined();
    expect(cluster({ kubernetesVersion: "1.33" })).toHaveResourceWithProperties(ContainerCluster, { min_master_version: "1.33" });
  });

  test("control-plane and workload logs and metrics go to Cloud Logging and Monitoring", () => {
    expect(out).toHaveResourceWithProperties(ContainerCluster, {
      logging_config: { enable_components: [...CLUSTER_LOG_COMPONENTS] },
      monitoring_config: expect.objectContaining({
        enable_components: expect.arrayContaining(["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER"]),
        managed_prometheus: { enabled: true },
      }),
    });
    expect(CLUSTER_LOG_COMPONENTS).toEqual(expect.arrayContaining(["APISERVER", "WORKLOADS", "SYSTEM_COMPONENTS"]));
  });

  test("the default node pool is removed, and even it runs hardened as the dedicated node account", () => {
    expect(out).toHaveResourceWithProperties(ContainerCluster, {
      remove_default_node_pool: true,
      node_pool: [
        expect.objectContaining({
          name: "default-pool",
          node_config: expect.objectContaining({
            service_account: "nodes@acme-prod.iam.gserviceaccount.com",
            workload_metadata_config: { mode: "GKE_METADATA" },
            shielded_instance_config: { enable_secure_boot: true, enable_integrity_monitoring: true },
            metadata: { "disable-legacy-endpoints": "true" },
          }),
        }),
      ],
    });
    const cluster = onlyResource(JSON.parse(out), "google_container_cluster");
    expect(cluster.lifecycle).toMatchObject({ ignore_changes: ["node_pool", "initial_node_count"] });
    expect(cluster.initial_node_count).toBeUndefined();
  });

  test("the PD CSI driver is on", () => {
    expect(out).toHaveResourceWithProperties(ContainerCluster, {
      addons_config: expect.objectContaining({ gce_persistent_disk_csi_driver_config: { enabled: true } }),
    });
  });

  test("deletion protection and prevent_destroy by default; both lifted together only on request", () => {
    expect(out).toHaveResourceWithProperties(ContainerCluster, { deletion_protection: true, lifecycle: expect.objectContaining({ prevent_destroy: true }) });
    expect(cluster({ allowDestroy: true })).toHaveResourceWithProperties(ContainerCluster, {
      deletion_protection: false,
      lifecycle: expect.objectContaining({ prevent_destroy: false }),
    });
  });

  test("a control-plane range that overlaps a reserved range is refused, naming both", () => {
    expect(() => cluster({ controlPlaneCidr: "10.60.0.0/28" })).toThrow(/controlPlaneCidr 10.60.0.0\/28 overlaps 10.60.0.0\/20/);
    expect(() => cluster({ controlPlaneCidr: "172.16.0.0/24" })).toThrow(/must be an IPv4 \/28/);
  });
});

describe("ControlPlaneAccess on GKE", () => {
  test("master authorized networks refuse an empty admin list (validation of the ranges: __tests__/platform/control-plane-access.test.ts)", () => {
    expect(() => cluster({ access: ControlPlaneAccess.privateFrom([]) })).toThrow(/GKE's master authorized networks need at least one admin CIDR/);
    expect(() => cluster({ access: ControlPlaneAccess.PRIVATE })).toThrow(/at least one admin CIDR/);
  });
});

describe("pickControlPlaneCidr", () => {
  test("takes 172.16.0.0/28 when free, and the next free /28 otherwise", () => {
    expect(pickControlPlaneCidr(["10.40.0.0/16"])).toBe("172.16.0.0/28");
    expect(pickControlPlaneCidr(["172.16.0.0/27"])).toBe("172.16.0.32/28");
  });

  test("moves to 192.168.0.0/16 when 172.16.0.0/12 is taken", () => {
    expect(pickControlPlaneCidr(["172.16.0.0/12"])).toBe("192.168.0.0/28");
  });
});

describe("NodePool", () => {
  const props = {
    clusterId: "cluster-id", name: "general", machineType: "e2-standard-4", zones: ["europe-west1-b", "europe-west1-c", "europe-west1-d"],
    nodeCountPerZone: 1, serviceAccountEmail: "nodes@p.iam.gserviceaccount.com", networkTags: ["acme-gke-node"],
  };
  const out = Testing.synthScope((s) => { new NodePool(s, "Pool", props); });

  test("nodes are shielded, use the GKE metadata server, no legacy metadata endpoints, and the dedicated account", () => {
    expect(out).toHaveResourceWithProperties(ContainerNodePool, {
      node_config: expect.objectContaining({
        image_type: "COS_CONTAINERD",
        service_account: "nodes@p.iam.gserviceaccount.com",
        oauth_scopes: ["https://www.googleapis.com/auth/cloud-platform"],
        shielded_instance_config: { enable_secure_boot: true, enable_integrity_monitoring: true },
        workload_metadata_config: { mode: "GKE_METADATA" },
        metadata: { "disable-legacy-endpoints": "true" },
        kubelet_config: { insecure_kubelet_readonly_port_enabled: "FALSE" },
        tags: ["acme-gke-node"],
      }),
    });
  });

  test("boot disks are pd-balanced of the configured size; pools auto-repair and auto-upgrade", () => {
    expect(out).toHaveResourceWithProperties(ContainerNodePool, {
      node_config: expect.objectContaining({ disk_type: "pd-balanced", disk_size_gb: 100 }),
      management: { auto_repair: true, auto_upgrade: true },
      upgrade_settings: expect.objectContaining({ max_unavailable: 0 }),
      node_locations: props.zones,
      node_count: 1,
    });
    const big = Testing.synthScope((s) => { new NodePool(s, "Pool", { ...props, diskSizeGiB: 250 }); });
    expect(big).toHaveResourceWithProperties(ContainerNodePool, { node_config: expect.objectContaining({ disk_size_gb: 250 }) });
  });

  test("a pool needs at least one node per zone", () => {
    expect(() => Testing.synthScope((s) => { new NodePool(s, "Pool", { ...props, nodeCountPerZone: 0 }); })).toThrow(/nodeCountPerZone/);
  });
});

describe("NodeServiceAccount", () => {
  test("holds exactly the least-privilege node roles, nothing broader", () => {
    const json = synthJson((s) => { new NodeServiceAccount(s, "Nodes", { projectId: "acme-prod", accountId: "acme-nodes" }); });
    const roles = resourcesOf(json, "google_project_iam_member").map((m) => m.role).sort();
    expect(roles).toEqual([...NODE_ROLES].sort());
    expect(roles).toEqual([
      "roles/artifactregistry.reader", "roles/logging.logWriter", "roles/monitoring.metricWriter",
      "roles/monitoring.viewer", "roles/stackdriver.resourceMetadata.writer",
    ]);
    // Granted to the dedicated account the construct creates, in the given project only.
    for (const m of nonEmpty(resourcesOf(json, "google_project_iam_member"), "project IAM member")) {
      expect(m).toMatchObject({ project: "acme-prod", member: expect.stringMatching(/^\$\{google_service_account\.Nodes_[0-9A-F]+\.member\}$/) });
    }
  });
});
