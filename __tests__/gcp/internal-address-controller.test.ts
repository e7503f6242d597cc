import { GKE_ILB_SUBSETTING, GKE_LOAD_BALANCER_ANNOTATIONS } from "../../constructs/gcp/gke-facts";
import { GKE_STATIC_ADDRESS } from "../../stacks/gcp-stack";
import { DEPLOYMENTS, synthesizedStacks } from "../support/deployments";

// An internal passthrough load balancer takes the reserved address named by annotation only when GKE subsetting
// hands it to ingress-gce's L4 controller; the legacy controller reads spec.loadBalancerIP alone and would give it
// an ephemeral address, leaving the DNS record pointing at nothing (GKE_ILB_SUBSETTING, with sources). Checked on
// every shipped GCP deployment, from the synthesized stacks.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const gcp = DEPLOYMENTS.map((d) => d.key).filter((key) => Object.keys(synthesizedStacks(key)).some((id) => id.endsWith("-gcp")));
const internalType = Object.entries(GKE_LOAD_BALANCER_ANNOTATIONS.value.internal)[0];

test("the shipped GCP deployments include one whose internal load balancer takes a reserved address", () => {
  const named = gcp.filter((key) => entryServices(key).some((s) => namesAddress(s) && isInternal(s)));
  expect(named).toContain("examples-gcp-estate");
});

test.each(gcp)("%s: a Service naming a reserved internal address runs on a cluster with GKE subsetting (or sets spec.loadBalancerIP)", (key) => {
  const cluster = Object.values((stackOf(key, "-gcp").resource ?? {}).google_container_cluster ?? {})[0] as Json;
  for (const service of entryServices(key)) {
    if (!(namesAddress(service) && isInternal(service))) continue;
    expect(GKE_ILB_SUBSETTING.annotationHonouredWithSubsetting.value).toBe(true);
    const legacyWouldSee = service.spec?.[0]?.load_balancer_ip ?? service.spec?.load_balancer_ip;
    expect({ subsetting: cluster.enable_l4_ilb_subsetting === true || legacyWouldSee !== undefined }).toEqual({ subsetting: true });
  }
});

test("a public entry point's cluster keeps GKE's default (no subsetting turned on it does not need)", () => {
  const cluster = Object.values(stackOf("examples-gcp", "-gcp").resource.google_container_cluster)[0] as Json;
  expect(cluster.enable_l4_ilb_subsetting).toBeUndefined();
});

function stackOf(key: string, suffix: string): Json {
  const stacks = synthesizedStacks(key) as Record<string, Json>;
  return stacks[Object.keys(stacks).find((id) => id.endsWith(suffix))!];
}
function entryServices(key: string): Json[] {
  const services = (stackOf(key, "-platform").resource ?? {}).kubernetes_service_v1 ?? {};
  return Object.values(services as Record<string, Json>).filter((s) => [s.spec].flat()[0]?.type === "LoadBalancer");
}
function annotations(s: Json): Record<string, string> {
  return [s.metadata].flat()[0]?.annotations ?? {};
}
function namesAddress(s: Json): boolean {
  return annotations(s)[GKE_STATIC_ADDRESS.annotation] !== undefined;
}
function isInternal(s: Json): boolean {
  return annotations(s)[internalType[0]] === internalType[1];
}
