import { Construct } from "constructs";
import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { selectorLabels, workloadLabels } from "../../lib/labels";
import { CONFIG_CHECKSUM_ANNOTATION, configChecksum } from "./config-checksum";
import { podSettings, renderPodSpec, rolloutTimeoutMinutes, type WorkloadCommonProps } from "./pod-spec";

/** Props of StatelessWorkload. */
export interface StatelessWorkloadProps extends WorkloadCommonProps {
  /** Type of the client Service; "LoadBalancer" only for the entry point. @default "ClusterIP" */
  readonly serviceType?: "ClusterIP" | "LoadBalancer";
  /** Annotations of the client Service (e.g. `foundation.loadBalancer.serviceAnnotations`). @default {} */
  readonly serviceAnnotations?: Readonly<Record<string, string>>;
  /** Source ranges a LoadBalancer Service accepts. @default - none set (ClusterIP) */
  readonly loadBalancerSourceRanges?: readonly string[];
}

/**
 * A deployment with the same secure defaults as StatefulWorkload (restricted security context on
 * every container, no service account token unless asked, requests/limits, three probes, zone spread,
 * one replica per node, PodDisruptionBudget) and a client Service `<name>`.
 */
export class StatelessWorkload extends Construct {
  readonly resource: DeploymentV1;
  readonly serviceAccount: ServiceAccountV1;
  /** Client Service `<name>`. */
  readonly service: ServiceV1;
  readonly podDisruptionBudget: PodDisruptionBudgetV1;
  /** `<name>`. */
  readonly serviceName: string;

  constructor(scope: Construct, id: string, props: StatelessWorkloadProps) {
    super(scope, id);
    const pod = podSettings("StatelessWorkload", props);
    const serviceType = props.serviceType ?? "ClusterIP";
    if (props.loadBalancerSourceRanges && serviceType !== "LoadBalancer") {
      throw new Error(`StatelessWorkload '${props.name}': loadBalancerSourceRanges needs serviceType LoadBalancer`);
    }
    const labels = workloadLabels(props.name);
    const selector = selectorLabels(props.name);
    const maxUnavailable = props.maxUnavailable ?? 1;
    this.serviceName = props.name;

    this.serviceAccount = new ServiceAccountV1(this, "ServiceAccount", {
      metadata: { name: pod.serviceAccountName, namespace: props.namespace, labels, annotations: { ...props.serviceAccountAnnotations } },
      automountServiceAccountToken: false,
    });

    this.service = new ServiceV1(this, "Service", {
      metadata: { name: this.serviceName, namespace: props.namespace, labels, annotations: { ...props.serviceAnnotations } },
      spec: {
        type: serviceType,
        selector,
        port: (props.ports ?? []).map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: "TCP", ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })),
        ...(serviceType === "LoadBalancer" ? { externalTrafficPolicy: "Local" } : {}),
        ...(props.loadBalancerSourceRanges ? { loadBalancerSourceRanges: [...props.loadBalancerSourceRanges] } : {}),
      },
    });

    this.resource = new DeploymentV1(this, "Resource", {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: {
        replicas: String(props.replicas ?? 3),
        selector: { matchLabels: selector },
        // One pod at a time, never more than the PodDisruptionBudget lets go; no surge pod, which the
        // one-replica-per-node anti-affinity might leave unschedulable.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: String(maxUnavailable), maxSurge: "0" } },
        template: {
          // A changed mounted ConfigMap changes the template, so the pods roll (config-checksum.ts).
          metadata: { labels: { ...pod.podLabels, ...labels }, annotations: { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(this, props.namespace, pod.volumes) } },
          spec: { ...renderPodSpec(pod), serviceAccountName: this.serviceAccount.metadata.name },
        },
      },
      waitForRollout: props.waitForRollout ?? true,
      timeouts: { create: `${rolloutTimeoutMinutes(props)}m`, update: `${rolloutTimeoutMinutes(props)}m` },
    });

    this.podDisruptionBudget = new PodDisruptionBudgetV1(this, "DisruptionBudget", {
      metadata: { name: props.name, namespace: props.namespace, labels },
      spec: { maxUnavailable: String(maxUnavailable), selector: { matchLabels: selector } },
    });
  }
}
