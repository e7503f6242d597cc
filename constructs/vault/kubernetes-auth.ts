import { Construct } from "constructs";
import { AuthBackend } from "@cdktf/provider-vault/lib/auth-backend";
import { KubernetesAuthBackendConfig } from "@cdktf/provider-vault/lib/kubernetes-auth-backend-config";
import { KubernetesAuthBackendRole } from "@cdktf/provider-vault/lib/kubernetes-auth-backend-role";
import type { ClusterAccess } from "../../stacks/platform-foundation";
import { VAULT_MOUNTS, VAULT_TOKEN_AUDIENCE, idOf } from "./paths";

/** One login role: a service account in a namespace, and the policies its token gets. */
export interface KubernetesAuthRoleSpec {
  readonly name: string;
  readonly serviceAccount: string;
  readonly namespace: string;
  readonly policies: readonly string[];
}

/** Props of KubernetesAuth. */
export interface KubernetesAuthProps {
  /** API host, CA and service account issuer, from the contract (`foundation.cluster`). */
  readonly cluster: Pick<ClusterAccess, "host" | "caCertificatePem" | "serviceAccountIssuer">;
  readonly roles: readonly KubernetesAuthRoleSpec[];
  /** Token lifetime (seconds). @default 3600 */
  readonly tokenTtlSeconds?: number;
  /** Maximum token lifetime with renewals (seconds). @default 14400 */
  readonly tokenMaxTtlSeconds?: number;
}

/**
 * Kubernetes auth: a pod logs in with its own service account token (audience `vault`), reviewed by
 * the API server, and gets a short-lived token with its service's policy only. One role per service
 * account, bound to that exact name AND namespace; the issuer is checked.
 */
export class KubernetesAuth extends Construct {
  readonly backend: AuthBackend;
  readonly roles: Readonly<Record<string, KubernetesAuthBackendRole>>;

  constructor(scope: Construct, id: string, props: KubernetesAuthProps) {
    super(scope, id);
    this.backend = new AuthBackend(this, "Resource", { type: "kubernetes", path: VAULT_MOUNTS.kubernetesAuth, description: "Pods log in with their service account" });
    const config = new KubernetesAuthBackendConfig(this, "Config", {
      backend: this.backend.path,
      kubernetesHost: props.cluster.host,
      kubernetesCaCert: props.cluster.caCertificatePem,
      issuer: props.cluster.serviceAccountIssuer,
      disableIssValidation: false,
      // Vault reviews tokens with its own, automatically rotated service account token.
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
