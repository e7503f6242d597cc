import { Construct } from "constructs";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import type { PodNetwork } from "../../stacks/platform-foundation";
import { APP_LABEL, workloadLabels } from "./labels";

/** Props of {@link ApiServerEgress}. */
export interface ApiServerEgressProps {
  /** How the cluster's CNI lets a pod reach the API server (PlatformFoundation.podNetwork.apiServerEgress). */
  readonly mode: PodNetwork["apiServerEgress"];
  /** Namespace of the pods. */
  readonly namespace: string;
  /** Values of the app label of the pods that call the Kubernetes API. */
  readonly apps: readonly string[];
  /** Name of the policy. */
  readonly name: string;
}

/** The API server's port as pods reach it (the `kubernetes` Service and the managed endpoints alike). */
export const API_SERVER_PORT = 443;

/**
 * Egress to the Kubernetes API server for the pods that call it (Vault's TokenReviews, the Vault TLS
 * bootstrap Job), where an ipBlock cannot express it. On Cilium the API server's addresses carry the
 * `kube-apiserver` identity, which no NetworkPolicy ipBlock selects (AKS_FACTS.ciliumApiServerIdentity), so
 * a CiliumNetworkPolicy allows exactly that entity on 443 for exactly these pods. Where the API server is an
 * address like any other (`ipBlock`), the pods' NetworkPolicies already allow it and nothing is created.
 */
export class ApiServerEgress extends Construct {
  /** The CiliumNetworkPolicy, where one is needed. */
  readonly policy?: Manifest;

  constructor(scope: Construct, id: string, props: ApiServerEgressProps) {
    super(scope, id);
    if (props.mode !== "cilium-entity") return;
    this.policy = new Manifest(this, "Resource", {
      manifest: {
        apiVersion: "cilium.io/v2",
        kind: "CiliumNetworkPolicy",
        metadata: { name: props.name, namespace: props.namespace, labels: workloadLabels(props.name) },
        spec: {
          endpointSelector: { matchExpressions: [{ key: APP_LABEL, operator: "In", values: [...props.apps] }] },
          egress: [{ toEntities: ["kube-apiserver"], toPorts: [{ ports: [{ port: String(API_SERVER_PORT), protocol: "TCP" }] }] }],
        },
      },
    });
  }
}
