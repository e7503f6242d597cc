import type { Cloud } from "./schema";

/**
 * What a node of a node pool offers the platform's pods, as data with its sources: the machine
 * types' capacity, each cloud's kubelet reservation formula (kube-reserved + eviction threshold), and
 * what the provider's own pods take on every worker node. __tests__/platform/scheduling.test.ts places
 * every pod of every shipped deployment on its node pools with these numbers.
 */

/** Where a number comes from. */
export interface CapacitySource {
  readonly doc: string;
  readonly note?: string;
}

/** A machine type's capacity. */
export interface MachineType {
  readonly cloud: Cloud;
  readonly vcpus: number;
  readonly memoryGiB: number;
  /** Pods the kubelet admits (EKS: ENI limit of the VPC CNI; AKS and GKE: the cluster's max pods). */
  readonly maxPods: number;
  readonly source: CapacitySource;
}

const ec2 = (family: string): CapacitySource => ({
  doc: `https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html (${family}); max pods: github.com/awslabs/amazon-eks-ami templates/shared/runtime/eni-max-pods.txt`,
});
const azure: CapacitySource = { doc: "https://learn.microsoft.com/azure/virtual-machines/sizes/general-purpose/dsv5-series; max pods: https://learn.microsoft.com/azure/aks/azure-cni-overlay (default 250)" };
const gce: CapacitySource = { doc: "https://cloud.google.com/compute/docs/general-purpose-machines#e2-standard; max pods: https://cloud.google.com/kubernetes-engine/docs/how-to/flexible-pod-cidr (default 110)" };

/** Machine types the shipped configurations use, and their neighbours. */
export const MACHINE_TYPES: Readonly<Record<string, MachineType>> = {
  "m6i.xlarge": { cloud: "aws", vcpus: 4, memoryGiB: 16, maxPods: 58, source: ec2("m6i") },
  "m6i.2xlarge": { cloud: "aws", vcpus: 8, memoryGiB: 32, maxPods: 58, source: ec2("m6i") },
  "r6i.xlarge": { cloud: "aws", vcpus: 4, memoryGiB: 32, maxPods: 58, source: { doc: "https://docs.aws.amazon.com/ec2/latest/instancetypes/mo.html (r6i); max pods: eni-max-pods.txt" } },
  Standard_D4s_v5: { cloud: "azure", vcpus: 4, memoryGiB: 16, maxPods: 250, source: azure },
  Standard_D8s_v5: { cloud: "azure", vcpus: 8, memoryGiB: 32, maxPods: 250, source: azure },
  "e2-standard-4": { cloud: "gcp", vcpus: 4, memoryGiB: 16, maxPods: 110, source: gce },
  "e2-standard-8": { cloud: "gcp", vcpus: 8, memoryGiB: 32, maxPods: 110, source: gce },
};

/** Tiered percentages: [size of the tier, share of it reserved]; the last tier covers the rest. */
function tiered(total: number, tiers: readonly [number, number][]): number {
  let left = total;
  let reserved = 0;
  for (const [size, share] of tiers) {
    const part = Math.min(left, size);
    reserved += part * share;
    left -= part;
    if (left <= 0) break;
  }
  return reserved;
}

/** CPU reserved by EKS and GKE alike: 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% above four. */
const cpuTiersMillis = (vcpus: number) => tiered(vcpus * 1000, [[1000, 0.06], [1000, 0.01], [2000, 0.005], [Infinity, 0.0025]]);

/** How each cloud's kubelet reserves resources on a node, and what its own pods take there. */
export interface CloudReservation {
  readonly cpuMillis: (m: MachineType) => number;
  readonly memoryMiB: (m: MachineType) => number;
  /** Requests of the provider's pods on every worker node (DaemonSets, and add-on Deployments spread per node). */
  readonly systemPodsPerNode: { readonly cpuMillis: number; readonly memoryMiB: number; readonly source: CapacitySource };
  readonly source: CapacitySource;
}

const EVICTION_HARD_MIB = 100;

/** Per cloud: kube-reserved + eviction threshold, with the providers' published formulas. */
export const RESERVATIONS: Readonly<Record<Cloud, CloudReservation>> = {
  aws: {
    cpuMillis: (m) => cpuTiersMillis(m.vcpus),
    // kube-reserved memory = 11 MiB per pod the node admits + 255 MiB; eviction-hard memory.available 100Mi.
    memoryMiB: (m) => 11 * m.maxPods + 255 + EVICTION_HARD_MIB,
    systemPodsPerNode: {
      // aws-node 25m; kube-proxy 100m; ebs-csi-node 10m/40Mi; plus, spread over the nodes, CoreDNS 2 x 100m/70Mi and
      // ebs-csi-controller 2 x 10m/40Mi (counted once per node: the worst case of one of each per node).
      cpuMillis: 25 + 100 + 10 + 100 + 10,
      memoryMiB: 40 + 70 + 40,
      source: {
        doc: "github.com/aws/amazon-vpc-cni-k8s charts/aws-vpc-cni/values.yaml (resources.requests.cpu 25m); github.com/kubernetes-sigs/aws-ebs-csi-driver charts/aws-ebs-csi-driver/values.yaml (node and controller requests 10m/40Mi); https://docs.aws.amazon.com/eks/latest/userguide/managing-kube-proxy.html and managing-coredns.html (kube-proxy 100m; CoreDNS 100m/70Mi)",
      },
    },
    source: { doc: "github.com/awslabs/amazon-eks-ami nodeadm internal/kubelet/config.go (getCPUMillicoresToReserve, getMemoryMebibytesToReserve: 11*maxPods+255); evictionHard memory.available 100Mi" },
  },
  azure: {
    // AKS 1.29+: 60m for 1 core, 100m for 2, 140m for 4, 180m for 8, 260m for 16, 420m for 32, 740m for 64.
    cpuMillis: (m) => ({ 1: 60, 2: 100, 4: 140, 8: 180, 16: 260, 32: 420, 64: 740 } as Record<number, number>)[m.vcpus] ?? 740,
    // AKS 1.29+: kube-reserved memory = min(20 MB x max pods + 50 MB, 25% of the node); eviction 100Mi.
    memoryMiB: (m) => Math.min(20 * m.maxPods + 50, 0.25 * m.memoryGiB * 1024) + EVICTION_HARD_MIB,
    systemPodsPerNode: {
      cpuMillis: 400,
      memoryMiB: 800,
      source: {
        doc: "planning budget, not a published figure: AKS runs its add-on Deployments on the platform's tainted system pool, and on each user node the DaemonSets of Azure CNI overlay with Cilium, the disk and file CSI drivers, the cloud node manager and the IP masquerade agent; confirm on a live cluster with `kubectl describe node` (Non-terminated Pods)",
      },
    },
    source: { doc: "https://learn.microsoft.com/azure/aks/node-resource-reservations (Kubernetes 1.29 and later)" },
  },
  gcp: {
    cpuMillis: (m) => cpuTiersMillis(m.vcpus),
    // 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the next 112, 2% above; eviction 100Mi.
    memoryMiB: (m) => tiered(m.memoryGiB * 1024, [[4096, 0.25], [4096, 0.2], [8192, 0.1], [114688, 0.06], [Infinity, 0.02]]) + EVICTION_HARD_MIB,
    systemPodsPerNode: {
      cpuMillis: 500,
      memoryMiB: 1000,
      source: {
        doc: "planning budget, not a published figure: on GKE Standard the DaemonSets (Dataplane V2 anetd, the GKE metadata server, the logging and metrics agents, the persistent-disk CSI node) and the add-on Deployments (kube-dns, konnectivity, metrics-server) share the worker nodes; confirm on a live cluster with `kubectl describe node`",
      },
    },
    source: { doc: "https://cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes#memory_cpu (allocatable formulas)" },
  },
};

/** What one node of this machine type offers the platform's pods. */
export function allocatableForPlatform(cloud: Cloud, machineType: string): { cpuMillis: number; memoryMiB: number } | undefined {
  const m = MACHINE_TYPES[machineType];
  if (!m || m.cloud !== cloud) return undefined;
  const r = RESERVATIONS[cloud];
  return {
    cpuMillis: m.vcpus * 1000 - r.cpuMillis(m) - r.systemPodsPerNode.cpuMillis,
    memoryMiB: m.memoryGiB * 1024 - r.memoryMiB(m) - r.systemPodsPerNode.memoryMiB,
  };
}
