import { Construct } from "constructs";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { NAMESPACE_NAME_LABEL } from "../../lib/labels";

/** Where cluster DNS runs, for the explicit DNS egress rule. */
export interface DnsEndpoint {
  /** Namespace of the DNS pods. */
  readonly namespace: string;
  /** Labels of the DNS pods. */
  readonly podLabels: Readonly<Record<string, string>>;
}

/** CoreDNS / kube-dns as EKS, AKS and GKE (kube-dns mode) label it. */
export const KUBE_DNS: DnsEndpoint = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } };

/** Props of SecureNamespace. */
export interface SecureNamespaceProps {
  /** Namespace name (a DNS label). */
  readonly name: string;
  /** Extra labels on the namespace. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Where cluster DNS is; every pod of the namespace may reach it on 53/UDP and 53/TCP. @default KUBE_DNS */
  readonly dns?: DnsEndpoint;
  /**
   * Let a plan delete the namespace. Deleting a namespace deletes every object in it (StatefulSets,
   * volume claims, Secrets), and its name forces a replacement, so a rename is a delete too.
   * @default false - lifecycle prevent_destroy
   */
  readonly allowDestroy?: boolean;
}

/**
 * A namespace every pod of the platform runs in: Pod Security Admission "restricted" (enforce, audit
 * and warn, pinned to `latest`), a default-deny NetworkPolicy for ingress AND egress on every pod,
 * and an explicit allow of DNS egress. Everything else is opened edge by edge (NetworkAllowGraph).
 * Protected from destroy unless `allowDestroy`: it holds the data stores' claims.
 */
export class SecureNamespace extends Construct {
  /** The namespace. */
  readonly resource: NamespaceV1;
  /** The namespace name, as a reference (depending on it orders creation after the namespace). */
  readonly name: string;

  constructor(scope: Construct, id: string, props: SecureNamespaceProps) {
    super(scope, id);
    const dns = props.dns ?? KUBE_DNS;
    this.resource = new NamespaceV1(this, "Resource", {
      metadata: {
        name: props.name,
        labels: {
          ...props.labels,
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/audit-version": "latest",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/warn-version": "latest",
        },
      },
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
    this.name = this.resource.metadata.name;

    // No rule at all: every pod in the namespace is isolated for ingress and egress.
    new NetworkPolicyV1(this, "DefaultDeny", {
      metadata: { name: "default-deny", namespace: this.name },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    });

    new NetworkPolicyV1(this, "AllowDns", {
      metadata: { name: "allow-dns-egress", namespace: this.name },
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: dns.namespace } }, podSelector: { matchLabels: { ...dns.podLabels } } }],
            ports: [
              { port: "53", protocol: "UDP" },
              { port: "53", protocol: "TCP" },
            ],
          },
        ],
      },
    });
  }
}
