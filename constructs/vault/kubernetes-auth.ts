import { Construct } from "constructs";
import { AuthBackend } from "@cdktf/provider-vault/lib/auth-backend";
import { KubernetesAuthBackendConfig } from "@cdktf/provider-vault/lib/kubernetes-auth-backend-config";
import { KubernetesAuthBackendRole } from "@cdktf/provider-vault/lib/kubernetes-auth-backend-role";
import type { ClusterAccess } from "../../platform/platform-foundation";
import { idOf } from "../../lib/construct-id";
import { VAULT_MOUNTS, VAULT_TOKEN_AUDIENCE } from "../../platform/service-names";

/** One login role: a service account in a namespace, and the policies its token gets. */
export interface KubernetesAuthRoleSpec {
  readonly name: string;
  readonly serviceAccount: string;
  readonly namespace: string;
  readonly policies: readonly string[];
}

/**
 * How Vault reaches the Kubernetes API to review a login: from inside the cluster, never through the
 * cluster's public endpoint (which only administrators' ranges may reach, and which Vault's egress would
 * leave the network through NAT to get to).
 *
 * Facts relied on (hashicorp/vault-plugin-auth-kubernetes v0.20.0, the plugin Vault 1.18 ships):
 * - backend.go `loadConfig`: unless `disable_local_ca_jwt`, an empty `kubernetes_ca_cert` is read from
 *   `/var/run/secrets/kubernetes.io/serviceaccount/ca.crt` and an empty `token_reviewer_jwt` from
 *   `/var/run/secrets/kubernetes.io/serviceaccount/token` of Vault's own pod, re-read periodically
 *   (`newCachingFileReader`), so the rotated projected token is always the one used.
 * - Kubernetes publishes the API server to every pod as the Service `kubernetes` in `default`
 *   (kubernetes.default.svc, port 443), and the kubelet-mounted CA certificate verifies it.
 */
export const IN_CLUSTER_KUBERNETES_API = "https://kubernetes.default.svc";

/** Props of KubernetesAuth. */
export interface KubernetesAuthProps {
  /** The service account issuer, from the contract (`foundation.cluster`). */
  readonly cluster: Pick<ClusterAccess, "serviceAccountIssuer">;
  readonly roles: readonly KubernetesAuthRoleSpec[];
  /** Token lifetime (seconds). @default 3600 */
  readonly tokenTtlSeconds?: number;
  /** Maximum token lifetime with renewals (seconds). @default 14400 */
  readonly tokenMaxTtlSeconds?: number;
}

/**
 * Kubernetes auth: a pod logs in with its own service account token (audience `vault`), reviewed by
 * the API server through the in-cluster address with Vault's own service-account token and CA
 * (IN_CLUSTER_KUBERNETES_API), and gets a short-lived token with its service's policy only. One role
 * per service account, bound to that exact name AND namespace; the issuer is checked. The same on
 * every cloud: nothing of the cluster's public endpoint is used.
 */
export class KubernetesAuth extends Construct {
  readonly backend: AuthBackend;
  readonly roles: Readonly<Record<string, KubernetesAuthBackendRole>>;

  constructor(scope: Construct, id: string, props: KubernetesAuthProps) {
    super(scope, id);
    this.backend = new AuthBackend(this, "Resource", { type: "kubernetes", path: VAULT_MOUNTS.kubernetesAuth, description: "Pods log in with their service account" });
    const config = new KubernetesAuthBackendConfig(this, "Config", {
      backend: this.backend.path,
      kubernetesHost: IN_CLUSTER_KUBERNETES_API,
      issuer: props.cluster.serviceAccountIssuer,
      disableIssValidation: false,
      // No CA and no reviewer token here: Vault reads its pod's own, automatically rotated ones.
      disableLocalCaJwt: false,
    });
    const roles: Record<string, KubernetesAuthBackendRole> = {};
    for (const r of props.roles) {
      roles[r.name] = new KubernetesAuthBackendRole(this, `Role${idOf(r.name)}`, {
        backend: this.backend.path,
        roleName: r.name,
        boundServiceAccountNames: [r.serviceAccount],
        boundServiceAccountNamespaces: [r.namespace],
        audience: VAULT_TOKEN_AUDIENCE,
        tokenPolicies: [...r.policies],
        tokenNoDefaultPolicy: false,
        tokenTtl: props.tokenTtlSeconds ?? 3600,
        tokenMaxTtl: props.tokenMaxTtlSeconds ?? 14400,
        tokenType: "service",
        dependsOn: [config],
      });
    }
    this.roles = roles;
  }
}
