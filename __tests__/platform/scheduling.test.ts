import { loadDeployment } from "../../config/load";
import { MACHINE_TYPES, RESERVATIONS, allocatableForPlatform } from "../../config/node-capacity";
import type { Deployment } from "../../config/schema";
import { podTemplates, type PodTemplate } from "../kubernetes/pod-inventory";
import { DEPLOYMENTS, synthesizedStacks } from "../support/deployments";

/**
 * Every pod every shipped deployment runs (the synthesized Vault and platform stacks: replicas x the
 * effective request of the pod, i.e. the larger of its containers' sum and its largest init container)
 * placed on the node pools of the deployment's own configuration, after each cloud's kubelet
 * reservation and the provider's pods per node (config/node-capacity.ts, with sources), honouring what
 * the pods ask of the scheduler: one replica per node (required hostname anti-affinity) and zones
 * spread with skew 1. The test fails when a pod cannot be placed, and when the platform leaves less
 * than HEADROOM of the pools free (rolling restarts, a JVM's off-heap growth, one more tenant pod).
 */

const HEADROOM = 0.2;
const ZONES = 3;

interface Node {
  readonly id: string;
  readonly zone: number;
  cpu: number;
  mem: number;
  readonly apps: Set<string>;
}

interface Pod {
  readonly app: string;
  readonly cpu: number;
  readonly mem: number;
  readonly onePerNode: boolean;
}

function podsOf(templates: PodTemplate[]): Pod[] {
  return templates.flatMap((t) => {
    const main = t.containers.filter((c) => !c.init);
    const init = t.containers.filter((c) => c.init);
    const cpu = Math.max(main.reduce((s, c) => s + c.cpuMillis, 0), ...init.map((c) => c.cpuMillis));
    const mem = Math.max(main.reduce((s, c) => s + c.memoryMiB, 0), ...init.map((c) => c.memoryMiB));
    return Array.from({ length: t.replicas }, () => ({ app: `${t.namespace}/${t.name}`, cpu, mem, onePerNode: t.onePerNode }));
  });
}

function nodesOf(d: Deployment): Node[] {
  return d.nodePools.flatMap((p) => {
    const a = allocatableForPlatform(d.cloud, p.machineType);
    if (!a) throw new Error(`nodePools ${p.name}: no capacity data for ${d.cloud} machine type ${p.machineType} in config/node-capacity.ts`);
    return Array.from({ length: p.count }, (_, i) => ({ id: `${p.name}-${i}`, zone: i % ZONES, cpu: a.cpuMillis, mem: a.memoryMiB, apps: new Set<string>() }));
  });
}

/** First-fit-decreasing with the pods' own constraints; returns the pods that found no node. */
function place(pods: Pod[], nodes: Node[]): string[] {
  const unplaced: string[] = [];
  const perZone = new Map<string, number[]>();
  for (const pod of [...pods].sort((a, b) => b.mem - a.mem || b.cpu - a.cpu)) {
    const counts = perZone.get(pod.app) ?? Array.from({ length: ZONES }, () => 0);
    const min = Math.min(...counts);
    const fits = nodes
      .filter((n) => n.cpu >= pod.cpu && n.mem >= pod.mem)
      .filter((n) => !(pod.onePerNode && n.apps.has(pod.app)))
      .filter((n) => counts[n.zone] + 1 - Math.min(min, ...counts.map((c, z) => (z === n.zone ? c + 1 : c))) <= 1)
      .sort((a, b) => b.mem - a.mem);
    const node = fits[0];
    if (!node) {
      unplaced.push(`${pod.app} (${pod.cpu}m, ${Math.round(pod.mem)}Mi); free: ${nodes.map((n) => `${n.id}@z${n.zone} ${Math.round(n.cpu)}m/${Math.round(n.mem)}Mi`).join(", ")}`);
      continue;
    }
    node.cpu -= pod.cpu;
    node.mem -= pod.mem;
    node.apps.add(pod.app);
    counts[node.zone] += 1;
    perZone.set(pod.app, counts);
  }
  return unplaced;
}

function deploymentOf(args: readonly string[]): Deployment {
  return loadDeployment([...args], {});
}

describe.each(DEPLOYMENTS.map((d) => [d.key, d.args] as const))("%s", (key, args) => {
  const d = deploymentOf(args);
  const templates = Object.entries(synthesizedStacks(key))
    .filter(([id]) => /-(vault|platform)$/.test(id))
    .flatMap(([id, s]) => podTemplates(id, s));
  const pods = podsOf(templates);

  test("every pod of the platform finds a node (anti-affinity, zone spread, reservations, provider pods)", () => {
    expect(pods.length).toBeGreaterThan(15);
    expect(place(pods, nodesOf(d))).toEqual([]);
  });

  test(`the platform requests at most ${100 * (1 - HEADROOM)}% of what the pools offer it`, () => {
    const nodes = nodesOf(d);
    const offer = { cpu: nodes.reduce((s, n) => s + n.cpu, 0), mem: nodes.reduce((s, n) => s + n.mem, 0) };
    const asked = { cpu: pods.reduce((s, p) => s + p.cpu, 0), mem: pods.reduce((s, p) => s + p.mem, 0) };
    const use = { cpu: asked.cpu / offer.cpu, mem: asked.mem / offer.mem };
    expect({ key, cpu: use.cpu <= 1 - HEADROOM, mem: use.mem <= 1 - HEADROOM, use, asked, offer }).toEqual(expect.objectContaining({ cpu: true, mem: true }));
  });
});

test("the reservation formulas give the providers' published examples", () => {
  // GKE: a 4 vCPU / 16 GiB node reserves 80m CPU (6% + 1% + 2 x 0.5%) and 2.6 GiB memory + 100 MiB eviction.
  expect(RESERVATIONS.gcp.cpuMillis(MACHINE_TYPES["e2-standard-4"])).toBeCloseTo(80);
  expect(RESERVATIONS.gcp.memoryMiB(MACHINE_TYPES["e2-standard-4"])).toBeCloseTo(1024 + 819.2 + 819.2 + 100);
  // EKS: 58 pods -> 11 x 58 + 255 = 893 MiB + 100 MiB eviction.
  expect(RESERVATIONS.aws.memoryMiB(MACHINE_TYPES["m6i.xlarge"])).toBe(993);
  // AKS 1.29+: 250 pods -> min(20 x 250 + 50, 25% of 16 GiB) = 4096 MiB + 100 MiB eviction; 4 cores -> 140m.
  expect(RESERVATIONS.azure.memoryMiB(MACHINE_TYPES.Standard_D4s_v5)).toBe(4196);
  expect(RESERVATIONS.azure.cpuMillis(MACHINE_TYPES.Standard_D4s_v5)).toBe(140);
});

test("an undersized pool is caught: the default deployment's pods on three nodes of ~2 vCPU / 6 GiB allocatable do not fit", () => {
  const pods = podsOf(Object.entries(synthesizedStacks("default")).filter(([id]) => /-(vault|platform)$/.test(id)).flatMap(([id, s]) => podTemplates(id, s)));
  const small: Node[] = Array.from({ length: 3 }, (_, i) => ({ id: `small-${i}`, zone: i, cpu: 1900, mem: 6000, apps: new Set<string>() }));
  expect(place(pods, small).length).toBeGreaterThan(0);
});
