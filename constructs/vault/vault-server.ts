import { Construct } from "constructs";
import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import type { ITerraformDependable } from "cdktf";
import type { PlatformFoundation } from "../../platform/platform-foundation";
import type { SecretsServerImage } from "../kubernetes/images";
import type { Probe } from "../kubernetes/pod-spec";
import { SIGHUP_RELOAD, serveWithTlsReload } from "../kubernetes/server-config/tls-reload";
import { StatefulWorkload } from "../kubernetes/stateful-workload";
import { WORKLOAD_IDS } from "../kubernetes/workload-ids";
import { NAMESPACES } from "../../platform/service-catalog";

/** Props of VaultServer. */
export interface VaultServerProps {
  /** Vault's namespace (reference). */
  readonly namespace: string;
  /** Zones, seal stanza and Vault's workload identity, from the contract. */
  readonly foundation: Pick<PlatformFoundation, "zones" | "vaultSeal" | "workloadIdentities">;
  /** Vault or OpenBao (secretsServerImage(deployment.images)). */
  readonly image: SecretsServerImage;
  /** Secret with tls.crt, tls.key, ca.crt for the listener (VaultTlsBootstrap). */
  readonly tlsSecretName: string;
  /** Raft cluster name, e.g. "<deployment>-vault". */
  readonly clusterName: string;
  /** Raft voters: an odd number, at least 3. @default 3 */
  readonly replicas?: number;
  /** Serve the web UI. @default false */
  readonly ui?: boolean;
  /** Raft data volume per replica. @default 10 */
  readonly dataSizeGiB?: number;
  /** Audit log volume per replica. @default 10 */
  readonly auditSizeGiB?: number;
  /** @default false - the StatefulSet carries prevent_destroy */
  readonly allowDestroy?: boolean;
  /** What must exist before the pods start (the TLS bootstrap Job). @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * Where Vault's Kubernetes auth method finds the credentials it reviews logins with, and how they stay fresh.
 * hashicorp/vault-plugin-auth-kubernetes (v0.20.0, the plugin Vault 1.18 ships; OpenBao 2.1 keeps the code):
 * path_config.go `localCACertPath` = /var/run/secrets/kubernetes.io/serviceaccount/ca.crt and `localJWTPath` =
 * .../token, read when `disable_local_ca_jwt` is false and no reviewer JWT is configured; backend.go reads them
 * through `fileutil.NewCachingFileReader(localJWTPath, jwtReloadPeriod)`, re-read periodically, so the kubelet's rotation of the
 * projected token (at 80% of its lifetime) is picked up. The kubelet's own automounted token lives 3607 s
 * (kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/); one hour is the same order.
 */
export const KUBERNETES_AUTH_LOCAL_CREDENTIALS = {
  path: "/var/run/secrets/kubernetes.io/serviceaccount",
  tokenExpirationSeconds: 3600,
} as const;

/** Where the server's files live in its pods. */
export const VAULT_SERVER_PATHS = {
  config: "/vault/config",
  tls: "/vault/tls",
  data: "/vault/data",
  /** The file audit device (vault-config stack) writes here, on its own encrypted volume. */
  audit: "/vault/audit",
} as const;

/** The file audit device's log, rotated in the pod (audit-rotation.ts). */
export const VAULT_AUDIT_FILE = `${VAULT_SERVER_PATHS.audit}/audit.log`;

const NAME = "vault";
const API_PORT = 8200;
const CLUSTER_PORT = 8201;

/**
 * Facts about integrated storage (raft) the server configuration relies on, with their source.
 * `performance_multiplier`: "An integer multiplier used by servers to scale key Raft timing parameters
 * ... Setting this to a value of 1 will configure Raft to its highest-performance mode ... and is
 * recommended for production Vault servers"; 0 (unset) selects the default multiplier 5, tuned for
 * minimal resources (https://developer.hashicorp.com/vault/docs/configuration/storage/raft#performance_multiplier;
 * OpenBao 2.1.0 keeps it: physical/raft/raft.go applyConfigSettings multiplies the election, heartbeat and
 * leader-lease timeouts by it, 5 when unset; website/content/docs/configuration/storage/raft.mdx).
 */
export const RAFT_FACTS = {
  performanceMultiplier: { production: 1, unsetMeans: 5 },
} as const;

/**
 * What auto-unseal by Azure Key Vault needs from the pod, checked on the pinned OpenBao release (2.1.0,
 * IMAGES.openbao): OpenBao's `azurekeyvault` seal (openbao/go-kms-wrapping wrappers/azurekeyvault v2.1.0,
 * pinned by openbao v2.1.0 go.mod; azurekeyvault.go `getKeyVaultClient`) uses a client secret only when
 * tenant, client id AND secret are all set, and otherwise `azidentity.NewDefaultAzureCredential`
 * (azidentity v1.6.0 in openbao's go.mod), whose chain includes `WorkloadIdentityCredential`
 * (sdk/azidentity default_azure_credential.go) reading AZURE_CLIENT_ID, AZURE_TENANT_ID and
 * AZURE_FEDERATED_TOKEN_FILE. The AKS workload identity webhook sets those three in every container of
 * a pod labelled `azure.workload.identity/use: "true"` whose service account carries
 * `azure.workload.identity/client-id` (Azure/azure-workload-identity pkg/webhook/webhook.go
 * `mutateContainers`). So: no `client_secret` in the stanza, the label on the pod, the annotation on the
 * service account.
 */
export const AZURE_SEAL_WORKLOAD_IDENTITY = {
  checkedOnOpenBao: "2.1.0",
  forbiddenStanzaKeys: ["client_secret"],
  podLabel: ["azure.workload.identity/use", "true"],
  serviceAccountAnnotation: "azure.workload.identity/client-id",
} as const;

/** Input of renderVaultServerConfig. */
export interface VaultServerConfigInput {
  readonly namespace: string;
  readonly replicas: number;
  readonly ui: boolean;
  readonly clusterName: string;
  readonly seal: PlatformFoundation["vaultSeal"];
}

/**
 * Vault's server configuration as JSON (Vault and OpenBao read JSON configs), deterministic: TLS
 * listener (TLS 1.2 minimum), integrated storage (raft, production timing) joining its peers over TLS, the contract's
 * KMS seal stanza (auto-unseal; no unseal keys exist), UI off unless asked, mlock off (raft's
 * recommendation; IPC_LOCK is not allowed under Pod Security "restricted").
 */
export function renderVaultServerConfig(c: VaultServerConfigInput): string {
  const peer = (i: number) => `${NAME}-${i}.${NAME}-headless.${c.namespace}.svc`;
  const config = {
    ui: c.ui,
    disable_mlock: true,
    cluster_name: c.clusterName,
    log_format: "json",
    log_level: "info",
    listener: {
      tcp: {
        address: `[::]:${API_PORT}`,
        cluster_address: `[::]:${CLUSTER_PORT}`,
        tls_disable: false,
        tls_cert_file: `${VAULT_SERVER_PATHS.tls}/tls.crt`,
        tls_key_file: `${VAULT_SERVER_PATHS.tls}/tls.key`,
        tls_min_version: "tls12",
        telemetry: { unauthenticated_metrics_access: false },
      },
    },
    storage: {
      raft: {
        path: VAULT_SERVER_PATHS.data,
        // Raft's production timing (RAFT_FACTS.performanceMultiplier): the default 0 means the slow, dev-friendly 5.
        performance_multiplier: RAFT_FACTS.performanceMultiplier.production,
        retry_join: Array.from({ length: c.replicas }, (_, i) => ({
          leader_api_addr: `https://${peer(i)}:${API_PORT}`,
          leader_ca_cert_file: `${VAULT_SERVER_PATHS.tls}/ca.crt`,
          leader_tls_servername: peer(i),
        })),
      },
    },
    seal: { [c.seal.type]: { ...c.seal.config } },
  };
  return JSON.stringify(config, null, 2) + "\n";
}

/** The DNS names and addresses Vault's listener certificate must carry. */
export function vaultListenerNames(namespace: string): string[] {
  return [
    `${NAME}.${namespace}.svc`,
    NAME,
    `${NAME}.${namespace}`,
    `${NAME}.${namespace}.svc.cluster.local`,
    `*.${NAME}-headless.${namespace}.svc`,
    `*.${NAME}-headless.${namespace}.svc.cluster.local`,
    "localhost",
    "127.0.0.1",
  ];
}

/** Options of vaultServeScript. */
export interface VaultServeOptions {
  /** `vault` or `bao`. */
  readonly bin: string;
  /** Size of the audit volume; rotated files are kept within half of it. */
  readonly auditVolumeGiB: number;
  /** The live audit file is rotated at this size. @default 100 */
  readonly rotateAtMiB?: number;
  /** @default 60 */
  readonly intervalSeconds?: number;
}

/**
 * Vault's container script (POSIX sh; busybox in the image). Vault re-reads its configuration, its
 * listener certificate and reopens its file audit device's file on SIGHUP (developer.hashicorp.com
 * vault/docs/audit/file "Log file rotation"; Vault server signal handling). So, in the same container:
 * - the listener certificate: the Secret `vault-tls` renewed by VaultTlsBootstrap reaches the pod's volume,
 *   and the shared watcher (serveWithTlsReload) sends SIGHUP once the new pair is complete;
 * - the audit log: every round, a live file above `rotateAtMiB` is moved aside, Vault is sent SIGHUP to
 *   reopen a fresh one, the moved file is compressed, and only as many rotated files are kept as fit in
 *   half the volume uncompressed, so the device never fills (a full audit device stops Vault serving).
 * The server writes its own pid (the shell `exec`s into it) for the rotation to signal.
 */
export function vaultServeScript(o: VaultServeOptions): string {
  const interval = o.intervalSeconds ?? 60;
  const rotateAtMiB = o.rotateAtMiB ?? 100;
  const keep = Math.max(1, Math.floor((o.auditVolumeGiB * 1024) / 2 / rotateAtMiB));
  const dir = VAULT_SERVER_PATHS.audit;
  const log = `${dir}/audit.log`;
  const pidFile = "/tmp/vault.pid";
  return [
    "set -eu",
    "audit_rotation() {",
    "  while :; do",
    `    sleep ${interval}`,
    `    pid=$(cat ${pidFile} 2>/dev/null) || continue`,
    '    kill -0 "$pid" 2>/dev/null || exit 0',
    `    size=$(wc -c < ${log} 2>/dev/null || echo 0)`,
    `    [ "$size" -ge ${rotateAtMiB * 1024 * 1024} ] || continue`,
    '    stamp=$(date -u +%Y%m%dT%H%M%SZ)',
    `    mv ${log} ${dir}/audit-$stamp.log`,
    '    kill -HUP "$pid"',
    // Vault finishes the lines it was writing to the moved file, then writes the new one.
    "    sleep 5",
    `    gzip ${dir}/audit-$stamp.log`,
    `    ls -1t ${dir}/audit-*.log.gz | tail -n +${keep + 1} | xargs -r rm -f`,
    '    echo "audit: rotated $size bytes to audit-$stamp.log.gz" >&2',
    "  done",
    "}",
    "audit_rotation &",
    serveWithTlsReload(`/bin/sh -c 'echo $$ > ${pidFile}; exec ${o.bin} server -config=${VAULT_SERVER_PATHS.config}/vault.json'`, {
      watchFiles: [`${VAULT_SERVER_PATHS.tls}/tls.crt`, `${VAULT_SERVER_PATHS.tls}/tls.key`],
      reload: SIGHUP_RELOAD,
      intervalSeconds: interval,
    }),
  ].join("\n");
}

const health = (query: string, failureThreshold?: number): Probe => ({
  check: { httpGet: { path: `/v1/sys/health?${query}`, port: API_PORT, scheme: "HTTPS" } },
  ...(failureThreshold ? { failureThreshold } : {}),
});

/**
 * The Vault (or OpenBao) server: a 3-voter raft cluster on encrypted volumes (data and audit), spread
 * across zones with one voter per node and a PodDisruptionBudget keeping quorum, auto-unsealed by the
 * cloud's KMS through its workload identity, TLS-only, UI off. Its service account may review tokens
 * (system:auth-delegator) for Kubernetes auth: the only extra right it holds, used with a short-lived token
 * for the API server mounted into the server container only (no automounted token in the pod).
 */
export class VaultServer extends Construct {
  readonly workload: StatefulWorkload;
  readonly config: ConfigMapV1;

  constructor(scope: Construct, id: string, props: VaultServerProps) {
    super(scope, id);
    const replicas = props.replicas ?? 3;
    if (!Number.isInteger(replicas) || replicas < 3 || replicas % 2 === 0) {
      throw new Error(`VaultServer: replicas must be an odd number >= 3 (raft quorum survives one loss), got ${replicas}`);
    }
    const identity = props.foundation.workloadIdentities.vault;
    const bin = props.image.binary;
    // OpenBao reads BAO_* variables, Vault VAULT_* ones.
    const env = bin === "bao" ? "BAO" : "VAULT";

    this.config = new ConfigMapV1(this, "Config", {
      metadata: { name: "vault-config", namespace: props.namespace },
      data: {
        "vault.json": renderVaultServerConfig({
          namespace: NAMESPACES.vault,
          replicas,
          ui: props.ui ?? false,
          clusterName: props.clusterName,
          seal: props.foundation.vaultSeal,
        }),
      },
    });

    this.workload = new StatefulWorkload(this, "Workload", {
      name: NAME,
      namespace: props.namespace,
      zones: props.foundation.zones,
      replicas,
      podManagementPolicy: "Parallel",
      // Vault is not Ready until initialised, a manual step after this stack's first apply: waiting
      // would fail that apply (and taint the set). Later config changes still roll (config checksum).
      waitForRollout: false,
      serviceAccountAnnotations: identity.serviceAccountAnnotations,
      podLabels: identity.podLabels,
      // No automounted token in any container: Vault's own API credentials are a volume mounted into the
      // server container only (below).
      // Any UID (the server writes only its mounted volumes; image-contracts.ts), not the image's vault user (100).
      runAsUser: WORKLOAD_IDS.vault,
      terminationGracePeriodSeconds: 30,
      ports: [
        { name: "https", port: API_PORT },
        { name: "cluster", port: CLUSTER_PORT },
      ],
      containers: [
        {
          name: "vault",
          image: props.image.image,
          command: ["/bin/sh", "-c", vaultServeScript({ bin, auditVolumeGiB: props.auditSizeGiB ?? 10 })],
          env: [
            { name: "POD_NAME", fieldPath: "metadata.name" },
            { name: `${env}_API_ADDR`, value: `https://$(POD_NAME).${NAME}-headless.${NAMESPACES.vault}.svc:${API_PORT}` },
            { name: `${env}_CLUSTER_ADDR`, value: `https://$(POD_NAME).${NAME}-headless.${NAMESPACES.vault}.svc:${CLUSTER_PORT}` },
            { name: `${env}_RAFT_NODE_ID`, value: "$(POD_NAME)" },
            // The CLI inside the pod (operator init, raft list-peers) verifies the listener too.
            { name: `${env}_ADDR`, value: `https://127.0.0.1:${API_PORT}` },
            { name: `${env}_CACERT`, value: `${VAULT_SERVER_PATHS.tls}/ca.crt` },
            { name: "HOME", value: "/tmp" },
          ],
          ports: [
            { name: "https", port: API_PORT },
            { name: "cluster", port: CLUSTER_PORT },
          ],
          resources: { cpuRequest: "250m", memoryRequest: "256Mi", memoryLimit: "512Mi" },
          probes: {
            // Alive while sealed or uninitialised (the operator must reach it to initialise).
            startup: health("standbyok=true&sealedcode=204&uninitcode=204", 30),
            liveness: health("standbyok=true&sealedcode=204&uninitcode=204"),
            // Ready only when unsealed and initialised (active or standby).
            readiness: health("standbyok=true&perfstandbyok=true"),
          },
          volumeMounts: [
            { name: "config", mountPath: VAULT_SERVER_PATHS.config, readOnly: true },
            { name: "tls", mountPath: VAULT_SERVER_PATHS.tls, readOnly: true },
            { name: "data", mountPath: VAULT_SERVER_PATHS.data, readOnly: false },
            { name: "audit", mountPath: VAULT_SERVER_PATHS.audit, readOnly: false },
            { name: "tmp", mountPath: "/tmp", readOnly: false },
            // Kubernetes auth reviews every login (TokenReview) with this token: the plugin reads token and
            // CA from this path unless disable_local_ca_jwt (KUBERNETES_AUTH_LOCAL_CREDENTIALS).
            { name: "kube-api", mountPath: KUBERNETES_AUTH_LOCAL_CREDENTIALS.path, readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: "kube-api", kubernetesApiAccess: { expirationSeconds: KUBERNETES_AUTH_LOCAL_CREDENTIALS.tokenExpirationSeconds } },
        { name: "config", configMap: { name: this.config.metadata.name } },
        { name: "tls", secret: { secretName: props.tlsSecretName, defaultMode: "0440" } },
        { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
      ],
      volumeClaims: [
        { name: "data", sizeGiB: props.dataSizeGiB ?? 10 },
        { name: "audit", sizeGiB: props.auditSizeGiB ?? 10 },
      ],
      allowDestroy: props.allowDestroy,
      dependsOn: props.dependsOn,
    });
    new ClusterRoleBindingV1(this, "TokenReviewer", {
      metadata: { name: "vault-token-reviewer" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:auth-delegator" },
      subject: [{ kind: "ServiceAccount", name: this.workload.serviceAccount.metadata.name, namespace: props.namespace }],
    });
  }
}
