import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { Testing } from "cdktf";
import { StatelessWorkload, type StatelessWorkloadProps } from "../../constructs/kubernetes/stateless-workload";
import { allContainers, resourcesOf, synthJson } from "../support/helpers";
import { nonEmpty } from "../support/non-empty";
import { APP, ZONES } from "./workload-fixtures";

const base: StatelessWorkloadProps = { name: "web", namespace: "ingress", zones: ZONES, containers: [{ ...APP, volumeMounts: [] }], ports: [{ name: "https", port: 8443 }] };
const deployment = (props: Partial<StatelessWorkloadProps> = {}) =>
  resourcesOf(synthJson((s) => new StatelessWorkload(s, "Web", { ...base, ...props })), "kubernetes_deployment_v1")[0];

test("every container runs with the restricted security context and no token is mounted", () => {
  const d = deployment();
  expect(d.spec.template.spec.automount_service_account_token).toBe(false);
  for (const c of nonEmpty(allContainers(d), "container")) {
    expect(c.security_context).toEqual(expect.objectContaining({ run_as_non_root: true, allow_privilege_escalation: false, read_only_root_filesystem: true, capabilities: { drop: ["ALL"] } }));
  }
  expect(Testing.synthScope((s) => new StatelessWorkload(s, "Web", base))).toHaveResourceWithProperties(ServiceAccountV1, { automount_service_account_token: false });
});

test("3 replicas spread across zones, one per node, rolled without surge", () => {
  const d = deployment();
  expect(d.spec.replicas).toBe("3");
  expect(d.spec.strategy).toEqual({ type: "RollingUpdate", rolling_update: { max_unavailable: "1", max_surge: "0" } });
  expect(d.spec.template.spec.topology_spread_constraint[0]).toEqual(expect.objectContaining({ topology_key: "topology.kubernetes.io/zone", when_unsatisfiable: "DoNotSchedule" }));
  expect(d.spec.template.spec.affinity.pod_anti_affinity.required_during_scheduling_ignored_during_execution[0].topology_key).toBe("kubernetes.io/hostname");
});

test("client service is ClusterIP by default; a PDB guards the replicas", () => {
  const out = Testing.synthScope((s) => new StatelessWorkload(s, "Web", base));
  expect(out).toHaveResourceWithProperties(ServiceV1, { spec: expect.objectContaining({ type: "ClusterIP" }) });
  expect(out).toHaveResourceWithProperties(PodDisruptionBudgetV1, { spec: expect.objectContaining({ max_unavailable: "1" }) });
  expect(out).toHaveResource(DeploymentV1);
});

test("a LoadBalancer service keeps client source addresses and its source ranges", () => {
  const out = Testing.synthScope(
    (s) => new StatelessWorkload(s, "Web", { ...base, serviceType: "LoadBalancer", loadBalancerSourceRanges: ["203.0.113.0/24"], serviceAnnotations: { a: "b" } }),
  );
  expect(out).toHaveResourceWithProperties(ServiceV1, {
    metadata: expect.objectContaining({ annotations: { a: "b" } }),
    spec: expect.objectContaining({ type: "LoadBalancer", external_traffic_policy: "Local", load_balancer_source_ranges: ["203.0.113.0/24"] }),
  });
});

test("source ranges without a LoadBalancer and containers without probes are refused", () => {
  expect(() => deployment({ loadBalancerSourceRanges: ["203.0.113.0/24"] })).toThrow(/needs serviceType LoadBalancer/);
  expect(() => deployment({ containers: [{ ...APP, probes: undefined }] })).toThrow(/probes/);
});
