import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { JobV1 } from "@cdktf/provider-kubernetes/lib/job-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { selectorLabels, workloadLabels } from "../kubernetes/labels";
import { KUBERNETES_API_ACCESS_PATH, renderVolume, restrictedContainerSecurityContext } from "../kubernetes/pod-spec";
import { WORKLOAD_IDS } from "../kubernetes/workload-ids";
import { ExternalEgress } from "../kubernetes/external-egress";
import type { EgressTarget, FqdnPolicyEngine } from "../../stacks/platform-foundation";
import { VAULT_CA_CONFIG_MAP } from "./paths";

/** Props of VaultTlsBootstrap. */
export interface VaultTlsBootstrapProps {
  /** Vault's namespace (reference). */
  readonly namespace: string;
  /** Namespaces (references) that get the `vault-ca` ConfigMap (Vault's CA certificate, public). */
  readonly caNamespaces: readonly string[];
  /** DNS names (and IPs) the listener certificate carries. */
  readonly dnsNames: readonly string[];
  /** Image with cfssl, cfssljson, curl, base64 and a POSIX shell (IMAGES.tlsBootstrap). */
  readonly image: string;
  /** @default "vault-tls" */
  readonly secretName?: string;
  /** Deployment name, in the CA's subject. */
  readonly deploymentName: string;
  /** Listener certificate lifetime. @default "8760h" (one year; see docs/vault.md for rotation) */
  readonly certificateExpiry?: string;
  /** Where its pod reaches the Kubernetes API server (PlatformFoundation.egress.kubernetesApi). */
  readonly kubernetesApi: EgressTarget;
  /** How the cluster admits egress by name or entity (PlatformFoundation.egress.fqdnPolicy). */
  readonly fqdnPolicy: FqdnPolicyEngine;
  /** The cluster's pod and service ranges. */
  readonly clusterCidrs: readonly string[];
}

const NAME = "vault-tls-bootstrap";

/**
 * Issues Vault's listener certificate INSIDE the cluster, at deploy time: no key material in the repo,
 * in synthesized JSON, or in Terraform state.
 *
 * A one-shot Job (waited for by Terraform) generates a throwaway CA and the listener key/certificate
 * in an in-memory volume, writes them to the Secret `vault-tls` through the Kubernetes API, publishes
 * the CA certificate (public) as ConfigMap `vault-ca` in every namespace that talks to Vault, and
 * deletes the CA key: nothing can ever be signed by it again. It is idempotent: an existing Secret is
 * kept. Its service account may only create Secrets and read `vault-tls` in Vault's namespace, and
 * write `vault-ca` ConfigMaps; its pod may only reach the API server (443).
 *
 * Trade-offs weighed (docs/vault.md): a Terraform-generated key (tls provider) lands in state; the
 * Kubernetes CSR API has no cloud-neutral signer for serving certificates (EKS, AKS and GKE differ);
 * a per-pod self-signed certificate gives clients nothing to verify. Once the vault-config stack's
 * PKI exists, it can take over issuance (the Secret is then replaced, not edited by Terraform).
 */
export class VaultTlsBootstrap extends Construct {
  /** The Job; the Vault StatefulSet depends on it. */
  readonly job: JobV1;
  /** Secret holding tls.crt, tls.key, ca.crt (created by the Job, never by Terraform). */
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: VaultTlsBootstrapProps) {
    super(scope, id);
    this.secretName = props.secretName ?? "vault-tls";
    const labels = workloadLabels(NAME);

    const account = new ServiceAccountV1(this, "ServiceAccount", {
      metadata: { name: NAME, namespace: props.namespace, labels },
      automountServiceAccountToken: false,
    });
    const subject = [{ kind: "ServiceAccount", name: account.metadata.name, namespace: props.namespace }];

    const secretRole = new RoleV1(this, "SecretRole", {
      metadata: { name: NAME, namespace: props.namespace, labels },
      rule: [
        // create cannot be limited by name (the object does not exist yet); reading is limited to ours.
        { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
        { apiGroups: [""], resources: ["secrets"], resourceNames: [this.secretName], verbs: ["get"] },
      ],
    });
    const bindings: RoleBindingV1[] = [
      new RoleBindingV1(this, "SecretRoleBinding", {
        metadata: { name: NAME, namespace: props.namespace, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: secretRole.metadata.name },
        subject,
      }),
    ];
    props.caNamespaces.forEach((ns, i) => {
      const role = new RoleV1(this, `CaRole${i}`, {
        metadata: { name: `${NAME}-ca`, namespace: ns, labels },
        rule: [
          { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] },
          { apiGroups: [""], resources: ["configmaps"], resourceNames: [VAULT_CA_CONFIG_MAP], verbs: ["get", "update"] },
        ],
      });
      bindings.push(
        new RoleBindingV1(this, `CaRoleBinding${i}`, {
          metadata: { name: `${NAME}-ca`, namespace: ns, labels },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
          subject,
        }),
      );
    });

    const script = new ConfigMapV1(this, "Script", {
      metadata: { name: NAME, namespace: props.namespace, labels },
      data: {
        "bootstrap.sh": bootstrapScript(this.secretName),
        "ca-csr.json": JSON.stringify({ CN: `${props.deploymentName} Vault bootstrap CA`, key: { algo: "ecdsa", size: 256 }, ca: { expiry: "17520h" } }),
        "server-csr.json": JSON.stringify({ CN: props.dnsNames[0], hosts: [...props.dnsNames], key: { algo: "ecdsa", size: 256 } }),
        "signing.json": JSON.stringify({
          signing: { profiles: { server: { usages: ["signing", "key encipherment", "server auth", "client auth"], expiry: props.certificateExpiry ?? "8760h" } } },
        }),
        namespaces: props.caNamespaces.join("\n"),
      },
    });

    // Its pod reaches the API server (443, where the cloud says it is) and DNS (SecureNamespace), nothing else.
    const apiServer = new ExternalEgress(this, "ApiServerEgress", {
      name: NAME,
      namespace: props.namespace,
      podLabels: selectorLabels(NAME),
      destinations: [{ kind: "kubernetes-api", target: props.kubernetesApi }],
      fqdnPolicy: props.fqdnPolicy,
      clusterCidrs: props.clusterCidrs,
    });
    new NetworkPolicyV1(this, "NetworkPolicy", {
      metadata: { name: `${NAME}-allow`, namespace: props.namespace, labels },
      spec: {
        podSelector: { matchLabels: selectorLabels(NAME) },
        policyTypes: ["Ingress", "Egress"],
        egress: [...apiServer.networkPolicyRules],
      },
    });

    this.job = new JobV1(this, "Resource", {
      metadata: { name: NAME, namespace: props.namespace, labels },
      spec: {
        backoffLimit: 4,
        activeDeadlineSeconds: 600,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: account.metadata.name,
            // It calls the Kubernetes API, with a short-lived token mounted into its one container (below),
            // never the automounted one.
            automountServiceAccountToken: false,
            restartPolicy: "Never",
            enableServiceLinks: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: String(WORKLOAD_IDS.vaultTlsBootstrap),
              runAsGroup: String(WORKLOAD_IDS.vaultTlsBootstrap),
              fsGroup: String(WORKLOAD_IDS.vaultTlsBootstrap),
              seccompProfile: { type: "RuntimeDefault" },
            },
            container: [
              {
                name: "bootstrap",
                image: props.image,
                imagePullPolicy: "IfNotPresent",
                command: ["/bin/sh", "/bootstrap/bootstrap.sh"],
                workingDir: "/work",
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                securityContext: restrictedContainerSecurityContext(),
                volumeMount: [
                  { name: "script", mountPath: "/bootstrap", readOnly: true },
                  { name: "work", mountPath: "/work", readOnly: false },
                  { name: "kube-api", mountPath: KUBERNETES_API_ACCESS_PATH, readOnly: true },
                ],
              },
            ],
            volume: [
              { name: "script", configMap: { name: script.metadata.name, defaultMode: "0444" } },
              // Key material exists only here, in memory, for the Job's lifetime.
              { name: "work", emptyDir: { medium: "Memory", sizeLimit: "8Mi" } },
              // The shortest lifetime the API accepts (600 s), no longer than the Job may run (activeDeadlineSeconds).
              renderVolume({ name: "kube-api", kubernetesApiAccess: { expirationSeconds: 600 } }),
            ],
          },
        },
      },
      waitForCompletion: true,
      timeouts: { create: "10m", update: "10m" },
      dependsOn: bindings,
    });
  }
}

/** The Job's script (POSIX sh). Talks to the API with the pod's token; verifies the API's CA. */
function bootstrapScript(secretName: string): string {
  return `#!/bin/sh
# Vault listener TLS bootstrap: runs in the cluster, keys never leave this pod except into the Secret.
set -eu
API=https://kubernetes.default.svc
SA=${KUBERNETES_API_ACCESS_PATH}
NS=$(cat "$SA/namespace")
TOKEN=$(cat "$SA/token")
api() { curl -sS --cacert "$SA/ca.crt" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" "$@"; }

code=$(api -o /dev/null -w '%{http_code}' "$API/api/v1/namespaces/$NS/secrets/${secretName}")
if [ "$code" = 200 ]; then
  echo "secret ${secretName} exists: keeping it"
  api "$API/api/v1/namespaces/$NS/secrets/${secretName}" | sed -n 's/.*"ca.crt": *"\\([^"]*\\)".*/\\1/p' | base64 -d > ca.pem
elif [ "$code" = 404 ]; then
  cfssl gencert -initca /bootstrap/ca-csr.json | cfssljson -bare ca
  cfssl gencert -ca ca.pem -ca-key ca-key.pem -config /bootstrap/signing.json -profile server /bootstrap/server-csr.json | cfssljson -bare server
  rm -f ca-key.pem ca.csr server.csr  # the CA signs this one certificate and nothing else, ever
  printf '{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls","metadata":{"name":"${secretName}"},"data":{"tls.crt":"%s","tls.key":"%s","ca.crt":"%s"}}' \\
    "$(base64 -w0 server.pem)" "$(base64 -w0 server-key.pem)" "$(base64 -w0 ca.pem)" > secret.json
  api --fail-with-body -o /dev/null -X POST "$API/api/v1/namespaces/$NS/secrets" --data-binary @secret.json
  rm -f server-key.pem secret.json
  echo "secret ${secretName} created"
else
  echo "cannot read secret ${secretName}: HTTP $code" >&2; exit 1
fi

ca=$(awk '{printf "%s\\\\n", $0}' ca.pem)
for ns in $(cat /bootstrap/namespaces); do
  body='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${VAULT_CA_CONFIG_MAP}"},"data":{"ca.crt":"'"$ca"'"}}'
  code=$(api -o /dev/null -w '%{http_code}' -X POST "$API/api/v1/namespaces/$ns/configmaps" -d "$body")
  if [ "$code" = 409 ]; then code=$(api -o /dev/null -w '%{http_code}' -X PUT "$API/api/v1/namespaces/$ns/configmaps/${VAULT_CA_CONFIG_MAP}" -d "$body"); fi
  case "$code" in 200|201) echo "ca published to $ns" ;; *) echo "publishing the CA to $ns failed: HTTP $code" >&2; exit 1 ;; esac
done
`;
}
