import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { StatefulSetV1 } from "@cdktf/provider-kubernetes/lib/stateful-set-v1";
import { Testing } from "cdktf";
import { StatefulWorkload, type StatefulWorkloadProps } from "../../constructs/kubernetes/stateful-workload";
import { allContainers, resourcesOf, synthJson } from "../support/helpers";
import { nonEmpty } from "../support/non-empty";
import { APP, ZONES } from "./workload-fixtures";

const base: StatefulWorkloadProps = {
  name: "db",
  namespace: "identity",
  zones: ZONES,
  containers: [APP],
  initContainers: [{ name: "prepare", image: "registry.example/app:1.0.0", resources: { cpuRequest: "10m", memoryRequest: "16Mi" } }],
  ports: [{ name: "https", port: 8443 }],
  volumeClaims: [{ name: "data", sizeGiB: 20 }],
};
const doc = (props: Partial<StatefulWorkloadProps> = {}) => synthJson((s) => new StatefulWorkload(s, "Db", { ...base, ...props }));
const set = (props: Partial<StatefulWorkloadProps> = {}) => resourcesOf(doc(props), "kubernetes_stateful_set_v1")[0];

test("every container, init containers included, runs with the restricted security context", () => {
  const containers = allContainers(set());
  expect(containers.map((c) => c.name)).toEqual(["prepare", "app"]);
  for (const c of nonEmpty(containers, "container")) {
    expect(c.security_context).toEqual({
      run_as_non_root: true,
      allow_privilege_escalation: false,
      privileged: false,
      read_only_root_filesystem: true,
      capabilities: { drop: ["ALL"] },
      seccomp_profile: { type: "RuntimeDefault" },
    });
  }
});

test("the pod runs as a non-root uid with the RuntimeDefault seccomp profile and no host namespaces", () => {
  const spec = set().spec.template.spec;
  expect(spec.security_context).toEqual(
    expect.objectContaining({ run_as_non_root: true, run_as_user: "65532", fs_group: "65532", seccomp_profile: { type: "RuntimeDefault" } }),
  );
  expect(spec).toEqual(expect.objectContaining({ host_network: false, host_pid: false, host_ipc: false }));
});

test("no service account token is mounted unless asked, on the account and on the pod", () => {
  const out = Testing.synthScope((s) => new StatefulWorkload(s, "Db", base));
  expect(out).toHaveResourceWithProperties(ServiceAccountV1, { automount_service_account_token: false });
  expect(set().spec.template.spec.automount_service_account_token).toBe(false);
  expect(set({ automountServiceAccountToken: true }).spec.template.spec.automount_service_account_token).toBe(true);
});

test("every container has requests and a memory limit", () => {
  for (const c of nonEmpty(allContainers(set()), "container")) {
    expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources.limits.memory).toEqual(expect.any(String));
  }
});

test("application containers have startup, readiness and liveness probes", () => {
  const app = set().spec.template.spec.container[0];
  expect(app.startup_probe).toEqual(expect.objectContaining({ failure_threshold: 30, tcp_socket: [{ port: "https" }] }));
  expect(app.readiness_probe).toEqual(expect.objectContaining({ http_get: { path: "/ready", port: "https", scheme: "HTTPS" } }));
  expect(app.liveness_probe).toEqual(expect.objectContaining({ exec: { command: ["/bin/true"] } }));
});

test("a container without probes is refused", () => {
  expect(() => doc({ containers: [{ ...APP, probes: undefined }] })).toThrow(/needs startup, readiness and liveness probes/);
});

test("replicas spread across zones and never share a node", () => {
  const spec = set().spec.template.spec;
  expect(spec.topology_spread_constraint).toEqual([
    {
      topology_key: "topology.kubernetes.io/zone",
      max_skew: 1,
      when_unsatisfiable: "DoNotSchedule",
      min_domains: 3,
      label_selector: [{ match_labels: { "app.kubernetes.io/name": "db" } }],
    },
  ]);
  expect(spec.affinity.pod_anti_affinity.required_during_scheduling_ignored_during_execution).toEqual([
    { topology_key: "kubernetes.io/hostname", label_selector: [{ match_labels: { "app.kubernetes.io/name": "db" } }] },
  ]);
});

test("volumes are claimed from the encrypted class and retained when the set is deleted or scaled", () => {
  const s = set();
  expect(s.spec.volume_claim_template).toEqual([
    expect.objectContaining({
      spec: { access_modes: ["ReadWriteOnce"], storage_class_name: "encrypted", resources: { requests: { storage: "20Gi" } } },
    }),
  ]);
  expect(s.spec.persistent_volume_claim_retention_policy).toEqual([{ when_deleted: "Retain", when_scaled: "Retain" }]);
});

test("the set is protected from destroy unless allowDestroy", () => {
  expect(set().lifecycle).toEqual({ prevent_destroy: true });
  expect(set({ allowDestroy: true }).lifecycle).toEqual({ prevent_destroy: false });
});

test("ordered pod management, 30 s grace, group and fsGroup default to the uid", () => {
  const s = set();
  expect(s.spec.pod_management_policy).toBe("OrderedReady");
  expect(s.spec.template.spec.termination_grace_period_seconds).toBe(30);
  expect(s.spec.template.spec.security_context).toEqual(expect.objectContaining({ run_as_group: "65532", fs_group: "65532", fs_group_change_policy: "OnRootMismatch" }));
  expect(s.spec.template.spec.enable_service_links).toBe(false);
});

test("3 replicas by default, governed by a headless service that publishes not-ready peers", () => {
  const out = Testing.synthScope((s) => new StatefulWorkload(s, "Db", base));
  expect(set().spec.replicas).toBe("3");
  expect(out).toHaveResourceWithProperties(ServiceV1, {
    metadata: expect.objectContaining({ name: "db-headless" }),
    spec: expect.objectContaining({ cluster_ip: "None", publish_not_ready_addresses: true }),
  });
  expect(out).toHaveResourceWithProperties(ServiceV1, {
    metadata: expect.objectContaining({ name: "db" }),
    spec: expect.objectContaining({ type: "ClusterIP", port: [{ name: "https", port: 8443, target_port: "https", protocol: "TCP" }] }),
  });
  expect(out).toHaveResourceWithProperties(StatefulSetV1, { spec: expect.objectContaining({ service_name: expect.stringMatching(/^\$\{kubernetes_service_v1\.Db_HeadlessService_[0-9A-F]+\.metadata\[0\]\.name\}$/) }) });
});

test("a disruption budget lets at most one replica go at a time", () => {
  const out = Testing.synthScope((s) => new StatefulWorkload(s, "Db", base));
  expect(out).toHaveResourceWithProperties(PodDisruptionBudgetV1, {
    spec: expect.objectContaining({ max_unavailable: "1", selector: { match_labels: { "app.kubernetes.io/name": "db" } } }),
  });
});

test("a set without volume claims or with a bad size is refused", () => {
  expect(() => doc({ volumeClaims: [] })).toThrow(/at least one volume claim/);
  expect(() => doc({ volumeClaims: [{ name: "data", sizeGiB: 0 }] })).toThrow(/sizeGiB/);
  expect(() => doc({ replicas: 0 })).toThrow(/replicas/);
});
