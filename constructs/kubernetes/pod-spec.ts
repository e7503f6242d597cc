import type { StatefulSetV1SpecTemplateSpec } from "@cdktf/provider-kubernetes/lib/stateful-set-v1";
import { selectorLabels } from "../../lib/labels";

/**
 * Cloud- and workload-neutral description of a pod's containers, shared by StatefulWorkload,
 * StatelessWorkload and VaultAgent, and its rendering into the kubernetes provider's pod spec with the
 * restricted security context on every container (Pod Security Standard "restricted").
 */

/** CPU and memory for one container: requests and limits are always set. */
export interface ContainerResources {
  /** e.g. "250m". */
  readonly cpuRequest: string;
  /** e.g. "512Mi". */
  readonly memoryRequest: string;
  /** @default - no CPU limit (throttling hurts latency; memory is the limit that protects the node) */
  readonly cpuLimit?: string;
  /** e.g. "1Gi". Defaults to the request: a guaranteed memory footprint. @default memoryRequest */
  readonly memoryLimit?: string;
}

/** How a probe checks a container. */
export type ProbeCheck =
  | { readonly httpGet: { readonly path: string; readonly port: string | number; readonly scheme?: "HTTP" | "HTTPS" } }
  | { readonly tcpSocket: { readonly port: string | number } }
  | { readonly exec: { readonly command: readonly string[] } };

/** One probe: the check plus its timing. */
export interface Probe {
  readonly check: ProbeCheck;
  /** @default 10 */
  readonly periodSeconds?: number;
  /** @default 5 */
  readonly timeoutSeconds?: number;
  /** @default 3 (startup: 30, i.e. up to 5 minutes to start) */
  readonly failureThreshold?: number;
}

/** The three probes every long-running container of the platform has. */
export interface Probes {
  readonly startup: Probe;
  readonly readiness: Probe;
  readonly liveness: Probe;
}

/** A volume mounted into a container. */
export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  /** @default true - containers write only where a writable volume is mounted on purpose */
  readonly readOnly?: boolean;
  readonly subPath?: string;
}

/** An environment variable: a literal (never a secret) or a pod field (metadata.name, status.podIP, ...). */
export type EnvVar = { readonly name: string; readonly value: string } | { readonly name: string; readonly fieldPath: string };

/** A container without probes: init containers and short-lived helpers. */
export interface InitContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  /** Plain configuration only; credentials come from Vault (VaultAgent), never from env literals. */
  readonly env?: readonly EnvVar[];
  readonly resources: ContainerResources;
  readonly volumeMounts?: readonly VolumeMount[];
  /** Numeric uid the image runs as. @default - the pod's runAsUser */
  readonly runAsUser?: number;
}

/** A long-running container: ports and the three probes. */
export interface ContainerSpec extends InitContainerSpec {
  readonly ports?: readonly { readonly name: string; readonly port: number }[];
  /** Required on a workload's main containers; optional only for sidecars (e.g. Vault Agent). */
  readonly probes?: Probes;
}

/** A pod volume. Only the types Pod Security "restricted" allows, and no hostPath. */
export type VolumeSpec =
  | { readonly name: string; readonly configMap: { readonly name: string; readonly defaultMode?: string } }
  | { readonly name: string; readonly emptyDir: { readonly medium?: "Memory"; readonly sizeLimit: string } }
  | { readonly name: string; readonly secret: { readonly secretName: string; readonly defaultMode?: string } }
  | {
      readonly name: string;
      /** A projected service account token for one audience (e.g. Vault), refreshed by the kubelet. */
      readonly serviceAccountToken: { readonly audience: string; readonly expirationSeconds: number; readonly path: string };
    }
  | {
      readonly name: string;
      /**
       * What the automount would give a pod (a token for the API server's own audience, the cluster CA from
       * the `kube-root-ca.crt` ConfigMap, the namespace), as a volume mounted only into the container that
       * calls the Kubernetes API, at KUBERNETES_API_ACCESS_PATH (where in-cluster clients look).
       */
      readonly kubernetesApiAccess: { readonly expirationSeconds: number };
    }
  | {
      readonly name: string;
      /** A CSI volume (Pod Security "restricted" admits csi), e.g. the Secrets Store CSI driver's, read-only. */
      readonly csi: { readonly driver: string; readonly readOnly: boolean; readonly volumeAttributes: Readonly<Record<string, string>> };
    };

/**
 * Where in-cluster Kubernetes clients read the pod's API credentials (`token`, `ca.crt`, `namespace`):
 * client-go rest.InClusterConfig (kubernetes/client-go rest/config.go, tokenFile/rootCAFile), and the
 * files the kubelet's automount projects (kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/,
 * "Bound service account token volume mechanism").
 */
export const KUBERNETES_API_ACCESS_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Pod-level settings shared by both workload kinds. */
export interface PodSettings {
  readonly name: string;
  readonly serviceAccountName: string;
  readonly automountServiceAccountToken: boolean;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly containers: readonly ContainerSpec[];
  readonly initContainers: readonly InitContainerSpec[];
  readonly volumes: readonly VolumeSpec[];
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly fsGroup: number;
  readonly zones: readonly string[];
  readonly terminationGracePeriodSeconds: number;
}

/** The restricted container security context, rendered explicitly on every container (init ones included). */
export function restrictedContainerSecurityContext(runAsUser?: number) {
  return {
    runAsNonRoot: true,
    ...(runAsUser !== undefined ? { runAsUser: String(runAsUser) } : {}),
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

function renderResources(r: ContainerResources) {
  return {
    requests: { cpu: r.cpuRequest, memory: r.memoryRequest },
    limits: { memory: r.memoryLimit ?? r.memoryRequest, ...(r.cpuLimit ? { cpu: r.cpuLimit } : {}) },
  };
}

function renderProbe(p: Probe, defaultFailureThreshold: number) {
  const timing = {
    periodSeconds: p.periodSeconds ?? 10,
    timeoutSeconds: p.timeoutSeconds ?? 5,
    failureThreshold: p.failureThreshold ?? defaultFailureThreshold,
  };
  const c = p.check;
  if ("httpGet" in c) return { ...timing, httpGet: { path: c.httpGet.path, port: String(c.httpGet.port), scheme: c.httpGet.scheme ?? "HTTPS" } };
  if ("tcpSocket" in c) return { ...timing, tcpSocket: [{ port: String(c.tcpSocket.port) }] };
  return { ...timing, exec: { command: [...c.exec.command] } };
}

function renderEnv(env: readonly EnvVar[] | undefined) {
  return (env ?? []).map((e) => ("value" in e ? { name: e.name, value: e.value } : { name: e.name, valueFrom: { fieldRef: { fieldPath: e.fieldPath } } }));
}

function renderMounts(mounts: readonly VolumeMount[] | undefined) {
  return (mounts ?? []).map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly ?? true, ...(m.subPath ? { subPath: m.subPath } : {}) }));
}

function renderInitContainer(c: InitContainerSpec) {
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: "IfNotPresent",
    ...(c.command ? { command: [...c.command] } : {}),
    ...(c.args ? { args: [...c.args] } : {}),
    env: renderEnv(c.env),
    resources: renderResources(c.resources),
    securityContext: restrictedContainerSecurityContext(c.runAsUser),
    volumeMount: renderMounts(c.volumeMounts),
  };
}

function renderContainer(c: ContainerSpec) {
  return {
    ...renderInitContainer(c),
    port: (c.ports ?? []).map((p) => ({ name: p.name, containerPort: p.port, protocol: "TCP" })),
    ...(c.probes
      ? {
          startupProbe: renderProbe(c.probes.startup, 30),
          readinessProbe: renderProbe(c.probes.readiness, 3),
          livenessProbe: renderProbe(c.probes.liveness, 3),
        }
      : {}),
  };
}

/** One pod volume in the kubernetes provider's shape. */
export function renderVolume(v: VolumeSpec) {
  if ("configMap" in v) return { name: v.name, configMap: { name: v.configMap.name, defaultMode: v.configMap.defaultMode ?? "0444" } };
  if ("secret" in v) return { name: v.name, secret: { secretName: v.secret.secretName, defaultMode: v.secret.defaultMode ?? "0400" } };
  if ("csi" in v) return { name: v.name, csi: { driver: v.csi.driver, readOnly: v.csi.readOnly, volumeAttributes: { ...v.csi.volumeAttributes } } };
  if ("emptyDir" in v) return { name: v.name, emptyDir: { ...(v.emptyDir.medium ? { medium: v.emptyDir.medium } : {}), sizeLimit: v.emptyDir.sizeLimit } };
  if ("kubernetesApiAccess" in v) {
    // The three sources of the kubelet's own kube-api-access-* volume; no audience: the API server's.
    return {
      name: v.name,
      projected: [
        {
          defaultMode: "0444",
          sources: [
            { serviceAccountToken: { expirationSeconds: v.kubernetesApiAccess.expirationSeconds, path: "token" } },
            { configMap: [{ name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] }] },
            { downwardApi: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
          ],
        },
      ],
    };
  }
  return {
    name: v.name,
    projected: [{ defaultMode: "0444", sources: [{ serviceAccountToken: { ...v.serviceAccountToken } }] }],
  };
}

/** Throws when a workload's main container has no startup/readiness/liveness probes. */
export function requireProbes(kind: string, name: string, containers: readonly ContainerSpec[]): void {
  if (containers.length === 0) throw new Error(`${kind} '${name}': give at least one container`);
  for (const c of containers) {
    if (!c.probes) throw new Error(`${kind} '${name}': container '${c.name}' needs startup, readiness and liveness probes`);
  }
}

/**
 * Renders the pod template spec: restricted pod and container security contexts, no service account
 * token unless asked, spread across zones (DoNotSchedule, skew 1) and one replica per node (required
 * anti-affinity on the hostname).
 */
export function renderPodSpec(s: PodSettings): StatefulSetV1SpecTemplateSpec {
  const selector = selectorLabels(s.name);
  return {
    serviceAccountName: s.serviceAccountName,
    automountServiceAccountToken: s.automountServiceAccountToken,
    enableServiceLinks: false,
    hostNetwork: false,
    hostPid: false,
    hostIpc: false,
    terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: String(s.runAsUser),
      runAsGroup: String(s.runAsGroup),
      fsGroup: String(s.fsGroup),
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
    },
    initContainer: s.initContainers.map(renderInitContainer),
    container: s.containers.map(renderContainer),
    volume: s.volumes.map(renderVolume),
    topologySpreadConstraint: [
      {
        topologyKey: "topology.kubernetes.io/zone",
        maxSkew: 1,
        whenUnsatisfiable: "DoNotSchedule",
        ...(s.zones.length > 1 ? { minDomains: s.zones.length } : {}),
        labelSelector: [{ matchLabels: selector }],
      },
    ],
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { topologyKey: "kubernetes.io/hostname", labelSelector: [{ matchLabels: selector }] },
        ],
      },
    },
  };
}

/** Props both workload kinds share. */
export interface WorkloadCommonProps {
  /** DNS-label name of the workload, its Services, service account and selector. */
  readonly name: string;
  /** Namespace (a SecureNamespace). */
  readonly namespace: string;
  /** Zones to spread across (`foundation.zones`). */
  readonly zones: readonly string[];
  /** The application containers; each needs startup, readiness and liveness probes. */
  readonly containers: readonly ContainerSpec[];
  /** Init containers, run in order before the application. @default [] */
  readonly initContainers?: readonly InitContainerSpec[];
  /** Ports of the client Service (target port by name), with the Service port's appProtocol where one is set. @default [] - no Service ports */
  readonly ports?: readonly { readonly name: string; readonly port: number; readonly appProtocol?: string }[];
  /** @default 3 */
  readonly replicas?: number;
  /** @default - the workload's name */
  readonly serviceAccountName?: string;
  /** e.g. a cloud workload identity (`foundation.workloadIdentities.x.serviceAccountAnnotations`). @default {} */
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
  /** Extra pod labels (e.g. `azure.workload.identity/use`). @default {} */
  readonly podLabels?: Readonly<Record<string, string>>;
  /**
   * Mount the Kubernetes API token into the pod. Only for workloads that call the API themselves.
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;
  /** Secrets and certificates from Vault: containers, volumes and the read-only mount are wired in. @default - none */
  readonly vaultAgent?: {
    readonly initContainer: InitContainerSpec;
    readonly sidecar: ContainerSpec;
    readonly volumes: readonly VolumeSpec[];
    readonly secretsMount: VolumeMount;
  };
  /** Extra pod volumes (restricted-compatible kinds only). @default [] */
  readonly volumes?: readonly VolumeSpec[];
  /** @default 65532 */
  readonly runAsUser?: number;
  /** @default - runAsUser */
  readonly runAsGroup?: number;
  /** @default - runAsGroup */
  readonly fsGroup?: number;
  /** @default 30 */
  readonly terminationGracePeriodSeconds?: number;
  /** Pods the PodDisruptionBudget lets go at once; a rolling update never takes more. @default 1 */
  readonly maxUnavailable?: number;
  /**
   * `terraform apply` waits until a rollout completes (every pod updated and Ready) and fails when it
   * does not within the timeout, so a configuration that breaks pods stops the pipeline. Turn it off only
   * for a workload that cannot be Ready at its first apply (Vault: sealed until initialised by hand).
   * @default true
   */
  readonly waitForRollout?: boolean;
}

/**
 * How long `terraform apply` waits for a rollout, in minutes: pods are replaced one at a time, each within
 * its startup probes' budget (failureThreshold x period) plus two minutes to turn Ready, so the wait is
 * replicas x that, and never below 10 minutes.
 */
export function rolloutTimeoutMinutes(p: Pick<WorkloadCommonProps, "containers" | "replicas">): number {
  const startupSeconds = Math.max(...p.containers.map((c) => (c.probes ? (c.probes.startup.failureThreshold ?? 30) * (c.probes.startup.periodSeconds ?? 10) : 0)));
  return Math.max(10, (p.replicas ?? 3) * Math.ceil(startupSeconds / 60 + 2));
}

/** The pod settings of a workload, with the Vault Agent wired in. Validates containers and replicas. */
export function podSettings(kind: string, p: WorkloadCommonProps): PodSettings {
  requireProbes(kind, p.name, p.containers);
  const replicas = p.replicas ?? 3;
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`${kind} '${p.name}': replicas must be a positive integer, got ${replicas}`);
  const agent = p.vaultAgent;
  const containers = p.containers.map((c) => (agent ? { ...c, volumeMounts: [...(c.volumeMounts ?? []), agent.secretsMount] } : c));
  const runAsUser = p.runAsUser ?? 65532;
  const runAsGroup = p.runAsGroup ?? runAsUser;
  return {
    name: p.name,
    serviceAccountName: p.serviceAccountName ?? p.name,
    automountServiceAccountToken: p.automountServiceAccountToken ?? false,
    podLabels: p.podLabels ?? {},
    initContainers: [...(agent ? [agent.initContainer] : []), ...(p.initContainers ?? [])],
    containers: [...containers, ...(agent ? [agent.sidecar] : [])],
    volumes: [...(agent?.volumes ?? []), ...(p.volumes ?? [])],
    runAsUser,
    runAsGroup,
    fsGroup: p.fsGroup ?? runAsGroup,
    zones: p.zones,
    terminationGracePeriodSeconds: p.terminationGracePeriodSeconds ?? 30,
  };
}
