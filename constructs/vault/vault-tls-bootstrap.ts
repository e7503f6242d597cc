import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { CronJobV1 } from "@cdktf/provider-kubernetes/lib/cron-job-v1";
import { JobV1 } from "@cdktf/provider-kubernetes/lib/job-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { RoleBindingV1 } from "@cdktf/provider-kubernetes/lib/role-binding-v1";
import { RoleV1 } from "@cdktf/provider-kubernetes/lib/role-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { selectorLabels, workloadLabels } from "../../lib/labels";
import { KUBERNETES_API_ACCESS_PATH, renderVolume, restrictedContainerSecurityContext } from "../kubernetes/pod-spec";
import { WORKLOAD_IDS } from "../kubernetes/workload-ids";
import { ExternalEgress } from "../kubernetes/external-egress";
import type { EgressTarget, FqdnPolicyEngine } from "../../platform/platform-foundation";
import { VAULT_CA_CONFIG_MAP } from "../../platform/service-names";

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
  /** Listener certificate lifetime. @default "8760h" (one year) */
  readonly certificateExpiry?: string;
  /** A certificate with fewer days left is renewed (daily check). @default 90 */
  readonly renewBeforeDays?: number;
  /** The bootstrap CA's lifetime. @default "87600h" (ten years) */
  readonly caExpiry?: string;
  /** Fewer days left on the CA fail the daily run (a failed Job is what alerting sees). @default 365 */
  readonly caWarnDays?: number;
  /** When the daily renewal check runs (cron, UTC). @default "23 3 * * *" */
  readonly renewSchedule?: string;
  /** Where its pod reaches the Kubernetes API server (PlatformFoundation.egress.kubernetesApi). */
  readonly kubernetesApi: EgressTarget;
  /** How the cluster admits egress by name or entity (PlatformFoundation.egress.fqdnPolicy). */
  readonly fqdnPolicy: FqdnPolicyEngine;
  /** The cluster's pod and service ranges. */
  readonly clusterCidrs: readonly string[];
}

const NAME = "vault-tls-bootstrap";
/** The app label of the bootstrap Job's pod (a caller of the Kubernetes API). */
export const VAULT_TLS_BOOTSTRAP_APP = NAME;

/**
 * Issues and RENEWS Vault's listener certificate inside the cluster: no key material in the repo, in
 * synthesized JSON, or in Terraform state.
 *
 * One script, run by a Job at deploy time (Terraform waits for it) and by a daily CronJob:
 * - the CA (EC P-256, ten years) is made once in an in-memory volume and kept in the Secret
 *   `vault-tls-ca`, which only this service account may read: renewals are signed by the same CA, so
 *   no client's trust (the `vault-ca` ConfigMaps every Vault Agent reads) ever changes;
 * - the listener key and certificate are written to the Secret `vault-tls` when missing, and again when
 *   fewer than `renewBeforeDays` remain; Vault's pods see the Secret update in their volume and reload
 *   it on SIGHUP (VaultServer's serve script), with no restart;
 * - the CA certificate (public) is published as ConfigMap `vault-ca` in every namespace that talks to Vault;
 * - when the CA itself has fewer than `caWarnDays` left, the run fails, every day, naming the fix
 *   (docs/vault.md, "Vault's listener certificate").
 * Its service account may create Secrets and read/update only `vault-tls` and `vault-tls-ca` in Vault's
 * namespace, and write only `vault-ca` ConfigMaps; its pod may only reach the API server (443).
 *
 * Trade-offs weighed (docs/vault.md): a Terraform-generated key (tls provider) lands in state; the
 * Kubernetes CSR API has no cloud-neutral signer for serving certificates (EKS, AKS and GKE differ);
 * a per-pod self-signed certificate gives clients nothing to verify; deleting the CA key after one
 * issue (the previous design) made every renewal a change of every client's trust.
 */
export class VaultTlsBootstrap extends Construct {
  /** The Job; the Vault StatefulSet depends on it. */
  readonly job: JobV1;
  /** The daily renewal check. */
  readonly renewal: CronJobV1;
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
        // create cannot be limited by name (the object does not exist yet); reading and renewing are limited to ours.
        { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
        { apiGroups: [""], resources: ["secrets"], resourceNames: [this.secretName, `${this.secretName}-ca`], verbs: ["get", "update"] },
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
        "bootstrap.sh": bootstrapScript(this.secretName, props.renewBeforeDays ?? 90, props.caWarnDays ?? 365),
        "ca-csr.json": JSON.stringify({ CN: `${props.deploymentName} Vault bootstrap CA`, key: { algo: "ecdsa", size: 256 }, ca: { expiry: props.caExpiry ?? "87600h" } }),
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
    const egress = new NetworkPolicyV1(this, "NetworkPolicy", {
      metadata: { name: `${NAME}-allow`, namespace: props.namespace, labels },
      spec: {
        podSelector: { matchLabels: selectorLabels(NAME) },
        policyTypes: ["Ingress", "Egress"],
        egress: [...apiServer.networkPolicyRules],
      },
    });

    const podTemplate = {
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
          // Key material exists only here, in memory, for the run's lifetime (and in the two Secrets).
          { name: "work", emptyDir: { medium: "Memory", sizeLimit: "8Mi" } },
          // The shortest lifetime the API accepts (600 s), no longer than a run may take (activeDeadlineSeconds).
          renderVolume({ name: "kube-api", kubernetesApiAccess: { expirationSeconds: 600 } }),
        ],
      },
    };
    this.job = new JobV1(this, "Resource", {
      metadata: { name: NAME, namespace: props.namespace, labels },
      spec: { backoffLimit: 4, activeDeadlineSeconds: 600, template: podTemplate },
      waitForCompletion: true,
      timeouts: { create: "10m", update: "10m" },
      // Its pod's egress exists before it starts (the namespace denies egress by default); terraform
      // orders nothing else: the Job would start in parallel and wait out its backoff.
      dependsOn: [...bindings, egress, ...(apiServer.fqdnPolicy ? [apiServer.fqdnPolicy] : [])],
    });
    this.renewal = new CronJobV1(this, "Renewal", {
      metadata: { name: `${NAME.replace(/-bootstrap$/, "")}-renewal`, namespace: props.namespace, labels },
      spec: {
        schedule: props.renewSchedule ?? "23 3 * * *",
        concurrencyPolicy: "Forbid",
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: { metadata: { labels }, spec: { backoffLimit: 2, activeDeadlineSeconds: 600, template: podTemplate } },
      },
      dependsOn: [this.job],
    });
  }
}

/**
 * The script (POSIX sh; the cfssl image: cfssl, cfssljson, curl, base64 and GNU date). Talks to the API
 * with the pod's token and verifies the API's CA. `cfssl certinfo` prints a certificate's `not_after`
 * as RFC 3339 (cloudflare/cfssl certinfo/certinfo.go, Certificate.NotAfter).
 */
function bootstrapScript(secretName: string, renewBeforeDays: number, caWarnDays: number): string {
  const caSecret = `${secretName}-ca`;
  // String.raw: the shell's backslashes stay as written; its own `${...}` expansions are written `$\{...}`.
  return String.raw`#!/bin/sh
# Vault listener TLS: issued and renewed in the cluster; keys never leave this pod except into the Secrets.
set -eu
API=https://kubernetes.default.svc
SA=${KUBERNETES_API_ACCESS_PATH}
NS=$(cat "$SA/namespace")
TOKEN=$(cat "$SA/token")
SECRETS="$API/api/v1/namespaces/$NS/secrets"
api() { curl -sS --cacert "$SA/ca.crt" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" "$@"; }
# One data field of a Secret as the API returns it (pretty-printed JSON: one field per line).
field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p"; }
days_left() {
  not_after=$(cfssl certinfo -cert "$1" | sed -n 's/.*"not_after": *"\([^"]*\)".*/\1/p')
  echo $(( ($(date -d "$not_after" +%s) - $(date +%s)) / 86400 ))
}
# A Secret body: its name, its type, then key=file pairs.
secret_body() {
  name=$1; type=$2; shift 2; data=""
  for kv in "$@"; do data="$data$\{data:+,}\"$\{kv%%=*}\":\"$(base64 -w0 "$\{kv#*=}")\""; done
  printf '{"apiVersion":"v1","kind":"Secret","type":"%s","metadata":{"name":"%s"},"data":{%s}}' "$type" "$name" "$data"
}

# 1. The CA: made once, kept in ${caSecret} (nobody else may read it), so renewals keep every client's trust.
code=$(api -o ca.json -w '%{http_code}' "$SECRETS/${caSecret}")
if [ "$code" = 200 ]; then
  field ca.crt < ca.json | base64 -d > ca.pem
  field ca.key < ca.json | base64 -d > ca-key.pem
elif [ "$code" = 404 ]; then
  if [ "$(api -o /dev/null -w '%{http_code}' "$SECRETS/${secretName}")" = 200 ]; then
    echo "${secretName} exists but ${caSecret} does not (an earlier version deleted the CA key): rotate the CA as docs/vault.md describes" >&2
    exit 1
  fi
  cfssl gencert -initca /bootstrap/ca-csr.json | cfssljson -bare ca
  secret_body ${caSecret} Opaque ca.crt=ca.pem ca.key=ca-key.pem > ca-secret.json
  api --fail-with-body -o /dev/null -X POST "$SECRETS" --data-binary @ca-secret.json
  echo "CA created in ${caSecret}"
else
  echo "cannot read ${caSecret}: HTTP $code" >&2; exit 1
fi
rm -f ca.json ca-secret.json ca.csr

# 2. The listener certificate: issued when missing, renewed when fewer than ${String(renewBeforeDays)} days are left.
code=$(api -o tls.json -w '%{http_code}' "$SECRETS/${secretName}")
method=
if [ "$code" = 200 ]; then
  field tls.crt < tls.json | base64 -d > current.pem
  left=$(days_left current.pem)
  if [ "$left" -lt ${String(renewBeforeDays)} ]; then method=PUT; url="$SECRETS/${secretName}"; else echo "${secretName}: valid for $left more days"; fi
elif [ "$code" = 404 ]; then
  method=POST; url="$SECRETS"
else
  echo "cannot read ${secretName}: HTTP $code" >&2; exit 1
fi
if [ -n "$method" ]; then
  cfssl gencert -ca ca.pem -ca-key ca-key.pem -config /bootstrap/signing.json -profile server /bootstrap/server-csr.json | cfssljson -bare server
  secret_body ${secretName} kubernetes.io/tls tls.crt=server.pem tls.key=server-key.pem ca.crt=ca.pem > secret.json
  api --fail-with-body -o /dev/null -X "$method" "$url" --data-binary @secret.json
  echo "${secretName}: $([ "$method" = POST ] && echo created || echo renewed), valid for $(days_left server.pem) days"
fi
rm -f ca-key.pem server-key.pem server.csr secret.json tls.json current.pem

# 3. The CA certificate (public) where Vault's clients read it.
ca=$(awk '{printf "%s\\n", $0}' ca.pem)
for ns in $(cat /bootstrap/namespaces); do
  body='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${VAULT_CA_CONFIG_MAP}"},"data":{"ca.crt":"'"$ca"'"}}'
  code=$(api -o /dev/null -w '%{http_code}' -X POST "$API/api/v1/namespaces/$ns/configmaps" -d "$body")
  if [ "$code" = 409 ]; then code=$(api -o /dev/null -w '%{http_code}' -X PUT "$API/api/v1/namespaces/$ns/configmaps/${VAULT_CA_CONFIG_MAP}" -d "$body"); fi
  case "$code" in 200|201) echo "ca published to $ns" ;; *) echo "publishing the CA to $ns failed: HTTP $code" >&2; exit 1 ;; esac
done

# 4. Warn long before the CA itself expires: the run fails every day from ${String(caWarnDays)} days before.
ca_left=$(days_left ca.pem)
if [ "$ca_left" -lt ${String(caWarnDays)} ]; then
  echo "WARNING: Vault's listener CA expires in $ca_left days: rotate it (docs/vault.md)" >&2
  exit 1
fi
`.replaceAll("$\\{", "${");
}
