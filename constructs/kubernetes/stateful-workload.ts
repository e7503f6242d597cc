import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { StatefulSetV1 } from "@cdktf/provider-kubernetes/lib/stateful-set-v1";
import { ENCRYPTED_STORAGE_CLASS_NAME } from "./encrypted-storage-class";
import { selectorLabels, workloadLabels } from "../../lib/labels";
import { CONFIG_CHECKSUM_ANNOTATION, configChecksum } from "./config-checksum";
import { podSettings, renderPodSpec, rolloutTimeoutMinutes, type WorkloadCommonProps } from "./pod-spec";

/** A persistent volume per replica, from the encrypted StorageClass. */
export interface VolumeClaim {
  /** Volume name, as containers' volumeMounts refer to it. */
  readonly name: string;
  readonly sizeGiB: number;
  /** @default ENCRYPTED_STORAGE_CLASS_NAME - never the cluster's default class */
  readonly storageClassName?: string;
}

/** Props of StatefulWorkload. */
export interface StatefulWorkloadProps extends WorkloadCommonProps {
  /** One volume per replica for each entry. */
  readonly volumeClaims: readonly VolumeClaim[];
  /** @default "OrderedReady" */
  readonly podManagementPolicy?: "OrderedReady" | "Parallel";
  /**
   * Let `cdktf destroy` remove the StatefulSet. Volumes are kept either way (claim retention Retain).
   * @default false - lifecycle.prevent_destroy
   */
  readonly allowDestroy?: boolean;
  /** What must exist before the pods start (e.g. a certificate Job). @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A stateful set with secure defaults (cdk8s-plus spirit): a headless Service `<name>-headless` for
 * stable peer names (publishes not-ready addresses so members can find each other while forming a
 * cluster), a client Service `<name>`, a PodDisruptionBudget, its own service account without a
 * mounted token, the restricted security context on every container, requests and limits, the three
 * probes, a zone spread and one replica per node, and volumes claimed from the encrypted StorageClass
 * that are retained when the set is deleted or scaled down.
 */
export class StatefulWorkload extends Construct {
  readonly resource: StatefulSetV1;
  readonly serviceAccount: ServiceAccountV1;
  /** Client Service `<name>`. */
  readonly service: ServiceV1;
  /** Headless Service `<name>-headless` (governing service of the set). */
  readonly headlessService: ServiceV1;
  readonly podDisruptionBudget: PodDisruptionBudgetV1;
  /** `<name>`. */
  readonly serviceName: string;
  /** `<name>-headless`. */
  readonly headlessServiceName: string;

  constructor(scope: Construct, id: string, props: StatefulWorkloadProps) {
    super(scope, id);
    const pod = podSettings("StatefulWorkload", props);
    if (props.volumeClaims.length === 0) throw new Error(`StatefulWorkload '${props.name}': give at least one volume claim (or use StatelessWorkload)`);
    for (const v of props.volumeClaims) {
      if (!Number.isInteger(v.sizeGiB) || v.sizeGiB < 1) throw new Error(`StatefulWorkload '${props.name}': volume '${v.name}' sizeGiB must be a positive integer`);
    }
    const labels = workloadLabels(props.name);
    const selector = selectorLabels(props.name);
    const ports = (props.ports ?? []).map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP" }));
    this.serviceName = props.name;
    this.headlessServiceName = `${props.name}-headless`;

    this.serviceAccount = new ServiceAccountV1(this, "ServiceAccount", {
      metadata: { name: pod.serviceAccountName, namespace: props.namespace, labels, annotations: { ...props.serviceAccountAnnotations } },
      automountServiceAccountToken: false,
    });

    this.headlessService = new ServiceV1(this, "HeadlessService", {
      metadata: { name: this.headlessServiceName, namespace: props.namespace, labels },
      spec: { type: "ClusterIP", clusterIp: "None", publishNotReadyAddresses: true, selector, port: ports },
    });
    this.service = new ServiceV1(this, "Service", {
      metadata: { name: this.serviceName, namespace: props.namespace, labels },
      spec: { type: "ClusterIP", selector, port: ports },
    });

    this.resource = new StatefulSetV1(this, "Resource", {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        serviceName: this.headlessService.metadata.name,
        replicas: String(props.replicas ?? 3),
        podManagementPolicy: props.podManagementPolicy ?? "OrderedReady",
        selector: { matchLabels: selector },
        // Every pod is updated, one at a time from the highest ordinal, each Ready before the next
        // (kubernetes.io/docs/concepts/workloads/controllers/statefulset/#rolling-updates): never more
        // than one unavailable, within the PodDisruptionBudget (maxUnavailable >= 1).
        updateStrategy: [{ type: "RollingUpdate", rollingUpdate: [{ partition: 0 }] }],
        persistentVolumeClaimRetentionPolicy: [{ whenDeleted: "Retain", whenScaled: "Retain" }],
        template: {
          // A changed mounted ConfigMap changes the template, so the pods roll (config-checksum.ts).
          metadata: { labels: { ...pod.podLabels, ...labels }, annotations: { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(this, props.namespace, pod.volumes) } },
          spec: { ...renderPodSpec(pod), serviceAccountName: this.serviceAccount.metadata.name },
        },
        volumeClaimTemplate: props.volumeClaims.map((v) => ({
          metadata: { name: v.name, labels },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: v.storageClassName ?? ENCRYPTED_STORAGE_CLASS_NAME,
            resources: { requests: { storage: `${v.sizeGiB}Gi` } },
          },
        })),
      },
      waitForRollout: props.waitForRollout ?? true,
      timeouts: { create: `${rolloutTimeoutMinutes(props)}m`, update: `${rolloutTimeoutMinutes(props)}m` },
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
      ...(props.dependsOn?.length ? { dependsOn: [...props.dependsOn] } : {}),
    });

    this.podDisruptionBudget = new PodDisruptionBudgetV1(this, "DisruptionBudget", {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: { maxUnavailable: String(props.maxUnavailable ?? 1), selector: { matchLabels: selector } },
    });
  }
}
