import { PROMISES } from "../promises";
import { statefulTypes } from "../stateful-resources";
import { preventDestroyProblem } from "./common";
import type { Element, Rule, Verdict } from "../types";
import { blocks, bool, expectOneOf, fail, get, isObj, isUnresolved, isWorld, list, NA, PASS, references, show, verdict, type Obj } from "../values";

/**
 * Rule pack K8S: workloads, namespaces, storage and exposure as the kubernetes provider (2.x, `*_v1`
 * resources and their unversioned twins) synthesizes them. Every container and init container of every
 * workload kind is judged.
 */

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATH: Readonly<Record<string, string>> = {
  kubernetes_deployment_v1: "spec.template.spec",
  kubernetes_deployment: "spec.template.spec",
  kubernetes_stateful_set_v1: "spec.template.spec",
  kubernetes_stateful_set: "spec.template.spec",
  kubernetes_daemon_set_v1: "spec.template.spec",
  kubernetes_daemonset: "spec.template.spec",
  kubernetes_job_v1: "spec.template.spec",
  kubernetes_job: "spec.template.spec",
  kubernetes_replication_controller_v1: "spec.template.spec",
  kubernetes_cron_job_v1: "spec.job_template.spec.template.spec",
  kubernetes_cron_job: "spec.job_template.spec.template.spec",
  kubernetes_pod_v1: "spec",
  kubernetes_pod: "spec",
};

/** Every workload resource type the pack judges. */
export const WORKLOAD_TYPES: readonly string[] = Object.keys(POD_SPEC_PATH);

const RUN_TO_COMPLETION = new Set(["kubernetes_job_v1", "kubernetes_job", "kubernetes_cron_job_v1", "kubernetes_cron_job"]);

interface Container {
  readonly label: string;
  readonly init: boolean;
  readonly spec: Obj;
}

function podSpec(e: Element): Obj | undefined {
  const path = POD_SPEC_PATH[e.type];
  const spec = path ? get(e.block, path) : undefined;
  return Array.isArray(spec) ? spec.find(isObj) : isObj(spec) ? spec : undefined;
}

function containersOf(pod: Obj): Container[] {
  const named = (c: Obj, init: boolean): Container => ({ label: `${init ? "init container" : "container"} ${show(c.name ?? "?")}`, init, spec: c });
  return [...blocks(pod.init_container).map((c) => named(c, true)), ...blocks(pod.container).map((c) => named(c, false))];
}

/** Runs `each` on every container of a workload; n/a for non-workloads. */
function perContainer(e: Element, each: (c: Container, pod: Obj) => string | undefined): Verdict {
  const pod = podSpec(e);
  if (!pod) return fail("the pod spec is not readable at synth");
  const containers = containersOf(pod);
  if (!containers.length) return fail("the pod spec has no containers");
  return verdict(containers.map((c) => {
    const p = each(c, pod);
    return p ? `${c.label}: ${p}` : undefined;
  }));
}

/** The container's security_context value, falling back to the pod's for fields both have. */
function effective(c: Container, pod: Obj, field: string): unknown {
  const own = get(c.spec, `security_context.${field}`);
  return own !== undefined ? own : get(pod, `security_context.${field}`);
}

function mustBe(value: unknown, expected: boolean, field: string): string | undefined {
  const v = bool(value);
  if (v === expected) return undefined;
  if (v === "unresolved") return `${field} is not known at synth (${show(value)})`;
  return v === undefined ? `${field} is not set (must be ${expected})` : `${field} is ${v}`;
}

/** A container image reference pinned to a version or digest (not `latest`, not untagged). */
export function imageProblem(image: unknown): string | undefined {
  if (typeof image !== "string" || !image) return "image is not set";
  if (isUnresolved(image)) return `image is not known at synth (${show(image)})`;
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  if (colon < 0) return `image ${show(image)} has no tag (pulls latest)`;
  const tag = lastSegment.slice(colon + 1);
  return tag === "latest" || tag === "" ? `image ${show(image)} uses the latest tag` : undefined;
}

const PSA_LEVEL = "pod-security.kubernetes.io/enforce";

/** Whether `np` is a default-deny (ingress and egress) policy in namespace `ns`. */
function isDefaultDenyFor(np: Element, ns: Element): boolean {
  const target = get(np.block, "metadata.namespace");
  const name = get(ns.block, "metadata.name");
  const sameNamespace = (typeof target === "string" && target === name && !isUnresolved(name)) || references(target, ns);
  if (!sameNamespace) return false;
  const spec = get(np.block, "spec");
  const selector = get(spec, "pod_selector");
  const selectsAll = !blocks(get(selector, "match_expressions")).length && Object.keys((get(selector, "match_labels") as Obj | undefined) ?? {}).length === 0;
  const types = list(get(spec, "policy_types")).map(String);
  const opensNothing = !blocks(get(spec, "ingress")).length && !blocks(get(spec, "egress")).length;
  return selectsAll && types.includes("Ingress") && types.includes("Egress") && opensNothing;
}

/** Provisioners whose volumes are always encrypted at rest by the cloud with provider-managed keys. */
const ALWAYS_ENCRYPTED = new Set(["disk.csi.azure.com", "kubernetes.io/azure-disk", "pd.csi.storage.gke.io", "kubernetes.io/gce-pd"]);
/** A disk encryption set's resource id (azuredisk-csi-driver docs/driver-parameters.md, diskEncryptionSetID). */
const AZURE_DISK_ENCRYPTION_SET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/diskEncryptionSets\/[^/]+$/i;
/** Provisioners that encrypt only when `parameters.encrypted` is "true". */
const ENCRYPTED_PARAMETER = new Set(["ebs.csi.aws.com", "kubernetes.io/aws-ebs"]);

const INTERNAL_LB_ANNOTATIONS: Readonly<Record<string, string>> = {
  "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
  "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
  "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
  "networking.gke.io/load-balancer-type": "Internal",
};

function isInternalLoadBalancer(b: Obj): boolean {
  const annotations = (get(b, "metadata.annotations") as Obj | undefined) ?? {};
  return Object.entries(INTERNAL_LB_ANNOTATIONS).some(([k, v]) => annotations[k] === v);
}

const WORKLOADS = WORKLOAD_TYPES;

/** Kinds the pack judges through typed resources; a raw manifest of one of them would escape the rules. */
const CHECKED_KINDS = new Set([
  "Pod", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet", "ReplicationController",
  "Namespace", "NetworkPolicy", "Service", "Ingress", "StorageClass", "PersistentVolumeClaim", "Secret",
  "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
]);

/** The lowest UID and GID a container may run as: above the host's own users (login.defs UID_MAX 60000 starts them at 1000) and the images' system users. */
export const MIN_WORKLOAD_ID = 10000;

/** The longest a projected service-account token may live (the API's default, kubernetes.io TokenRequest spec: 1 hour). */
export const MAX_PROJECTED_TOKEN_SECONDS = 3600;

/** The command that pins images by digest (the fix of K8S-28). */
export const IMAGES_LOCK_FIX = "run `npm run images:lock -- --config <deployment file>` and commit the lock file it writes beside the deployment file; synth then pulls every image by digest";

function idProblem(value: unknown, field: string): string | undefined {
  if (value === undefined) return `${field} is not set (the image's own, often below ${MIN_WORKLOAD_ID})`;
  if (isUnresolved(value)) return `${field} is not known at synth (${show(value)})`;
  const n = Number(value);
  return Number.isInteger(n) && n >= MIN_WORKLOAD_ID ? undefined : `${field} is ${show(value)}`;
}

/** The Kubernetes rule pack (ids K8S-<n>). */
export const KUBERNETES_RULES: readonly Rule[] = [
  {
    id: "K8S-1",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "a container may run as root",
    fix: "set security_context { run_as_non_root = true } on the pod (and a non-zero run_as_user)",
    promise: PROMISES.podSecurity,
    check: (e) =>
      perContainer(e, (c, pod) => {
        const user = effective(c, pod, "run_as_user");
        if (user !== undefined && String(user) === "0") return "run_as_user is 0";
        return mustBe(effective(c, pod, "run_as_non_root"), true, "run_as_non_root");
      }),
  },
  {
    id: "K8S-2",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "a container may gain privileges (allowPrivilegeEscalation is not false)",
    fix: "set security_context { allow_privilege_escalation = false } on every container and init container",
    promise: PROMISES.podSecurity,
    check: (e) => perContainer(e, (c) => mustBe(get(c.spec, "security_context.allow_privilege_escalation"), false, "allow_privilege_escalation")),
  },
  {
    id: "K8S-3",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "a container runs privileged (full access to the node)",
    fix: "remove security_context.privileged (or set it to false)",
    promise: PROMISES.podSecurity,
    check: (e) =>
      perContainer(e, (c) => {
        const v = bool(get(c.spec, "security_context.privileged"));
        return v === true || v === "unresolved" ? `privileged is ${show(get(c.spec, "security_context.privileged"))}` : undefined;
      }),
  },
  {
    id: "K8S-4",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "a container's root filesystem is writable",
    fix: "set security_context { read_only_root_filesystem = true } and mount an emptyDir where the process must write",
    promise: PROMISES.podSecurity,
    check: (e) => perContainer(e, (c) => mustBe(get(c.spec, "security_context.read_only_root_filesystem"), true, "read_only_root_filesystem")),
  },
  {
    id: "K8S-5",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "a container keeps Linux capabilities (drop ALL is missing, or extra ones are added)",
    fix: "set security_context { capabilities { drop = [\"ALL\"] } }; add back only NET_BIND_SERVICE if a port < 1024 is needed",
    promise: PROMISES.podSecurity,
    check: (e) =>
      perContainer(e, (c) => {
        const drop = list(get(c.spec, "security_context.capabilities.drop")).map(String);
        const add = list(get(c.spec, "security_context.capabilities.add")).map(String).filter((a) => a !== "NET_BIND_SERVICE");
        if (!drop.includes("ALL")) return "capabilities.drop does not include ALL";
        return add.length ? `capabilities.add includes ${add.join(", ")}` : undefined;
      }),
  },
  {
    id: "K8S-6",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "a container runs without the RuntimeDefault seccomp profile",
    fix: "set security_context { seccomp_profile { type = \"RuntimeDefault\" } } on the pod",
    promise: PROMISES.podSecurity,
    check: (e) =>
      perContainer(e, (c, pod) => {
        const type = effective(c, pod, "seccomp_profile.type");
        return type === "RuntimeDefault" || type === "Localhost" ? undefined : `seccomp_profile.type is ${show(type ?? "not set")}`;
      }),
  },
  {
    id: "K8S-7",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "a container has no resource requests or memory limit",
    fix: "set resources { requests = { cpu, memory }, limits = { memory } }",
    promise: PROMISES.clusterSecurity,
    check: (e) =>
      perContainer(e, (c) => {
        const missing = ["requests.cpu", "requests.memory", "limits.memory"].filter((k) => {
          const v = get(c.spec, `resources.${k}`);
          return v === undefined || v === "" || isUnresolved(v);
        });
        return missing.length ? `missing ${missing.join(", ")}` : undefined;
      }),
  },
  {
    id: "K8S-8",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "a long-running container has no readiness or liveness probe",
    fix: "set readiness_probe and liveness_probe on every (non-init) container",
    promise: PROMISES.clusterSecurity,
    check: (e) => {
      if (RUN_TO_COMPLETION.has(e.type)) return NA;
      return perContainer(e, (c) => {
        if (c.init) return undefined;
        const missing = ["readiness_probe", "liveness_probe"].filter((p) => !blocks(c.spec[p]).length);
        return missing.length ? `no ${missing.join(" or ")}` : undefined;
      });
    },
  },
  {
    id: "K8S-9",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "a container image is not pinned to a version",
    fix: "use an explicit version tag or digest (repo/image:1.2.3 or @sha256:...), never latest or no tag",
    promise: PROMISES.podSecurity,
    check: (e) => perContainer(e, (c) => imageProblem(c.spec.image)),
  },
  {
    id: "K8S-10",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "the pod shares the node's network, PID or IPC namespace, or binds a host port",
    fix: "remove host_network, host_pid, host_ipc and port.host_port",
    promise: PROMISES.podSecurity,
    check: (e) => {
      const pod = podSpec(e);
      if (!pod) return fail("the pod spec is not readable at synth");
      const problems = ["host_network", "host_pid", "host_ipc"].map((f) => (bool(pod[f]) === true || bool(pod[f]) === "unresolved" ? `${f} is ${show(pod[f])}` : undefined));
      for (const c of containersOf(pod)) for (const p of blocks(c.spec.port)) if (p.host_port !== undefined) problems.push(`${c.label}: host_port ${show(p.host_port)}`);
      return verdict(problems);
    },
  },
  {
    id: "K8S-11",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "the pod mounts a Kubernetes API token it may not need",
    fix: "set automount_service_account_token = false on the pod spec; suppress with the reason when the workload calls the Kubernetes API",
    promise: PROMISES.podSecurity,
    check: (e) => {
      const pod = podSpec(e);
      if (!pod) return fail("the pod spec is not readable at synth");
      return verdict([mustBe(pod.automount_service_account_token, false, "automount_service_account_token")]);
    },
  },
  {
    id: "K8S-12",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "the pod mounts a directory of the node (hostPath)",
    fix: "use persistentVolumeClaim, emptyDir, configMap, secret or projected volumes instead of host_path",
    promise: PROMISES.podSecurity,
    check: (e) => {
      const pod = podSpec(e);
      if (!pod) return fail("the pod spec is not readable at synth");
      return verdict(blocks(pod.volume).map((v) => (blocks(v.host_path).length ? `volume ${show(v.name)} is a host_path` : undefined)));
    },
  },
  {
    id: "K8S-13",
    family: "namespaces",
    appliesTo: ["kubernetes_namespace_v1", "kubernetes_namespace"],
    message: "namespace does not enforce the Pod Security \"restricted\" standard",
    fix: "set metadata.labels \"pod-security.kubernetes.io/enforce\" = \"restricted\" (and audit/warn = \"restricted\")",
    promise: PROMISES.podSecurity,
    check: (e) => {
      const labels = (get(e.block, "metadata.labels") as Obj | undefined) ?? {};
      const v = labels[PSA_LEVEL];
      return v === "restricted" ? PASS : fail(`label ${PSA_LEVEL} is ${show(v ?? "not set")}`);
    },
  },
  {
    id: "K8S-14",
    family: "namespaces",
    appliesTo: ["kubernetes_namespace_v1", "kubernetes_namespace"],
    message: "namespace has no default-deny NetworkPolicy",
    fix: "add a kubernetes_network_policy_v1 in the namespace with an empty pod_selector, policy_types [\"Ingress\", \"Egress\"] and no rules; allow each needed edge with its own policy",
    promise: PROMISES.networkSecurity,
    check: (e, ctx) => {
      const policies = [...ctx.resources("kubernetes_network_policy_v1"), ...ctx.resources("kubernetes_network_policy")];
      return policies.some((np) => isDefaultDenyFor(np, e)) ? PASS : fail("no default-deny (Ingress and Egress) NetworkPolicy targets this namespace");
    },
  },
  {
    id: "K8S-15",
    family: "data-safety",
    appliesTo: ["kubernetes_storage_class_v1", "kubernetes_storage_class"],
    message: "StorageClass deletes the volume when its claim is deleted",
    fix: "set reclaim_policy = \"Retain\"",
    promise: PROMISES.dataSafety,
    guardsDestroy: true,
    check: (e) => verdict([expectOneOf(e.block, "reclaim_policy", ["Retain"])]),
  },
  {
    id: "K8S-16",
    family: "encryption-at-rest",
    appliesTo: ["kubernetes_storage_class_v1", "kubernetes_storage_class"],
    message: "StorageClass does not provision encrypted volumes",
    fix: "for ebs.csi.aws.com set parameters { encrypted = \"true\" }; use a CSI provisioner whose volumes are encrypted at rest",
    promise: PROMISES.volumesEncrypted,
    check: (e) => {
      const p = e.block.storage_provisioner;
      if (typeof p !== "string" || isUnresolved(p)) return fail(`storage_provisioner is not known at synth (${show(p)})`);
      if (ALWAYS_ENCRYPTED.has(p)) {
        // Azure with customer-managed keys: the class names a disk encryption set (a resource id, or a reference to one).
        const des = get(e.block, "parameters.diskEncryptionSetID");
        if (des === undefined || isUnresolved(des) || (typeof des === "string" && AZURE_DISK_ENCRYPTION_SET_ID.test(des))) return PASS;
        return fail(`parameters.diskEncryptionSetID is ${show(des)}, not a disk encryption set id`);
      }
      if (ENCRYPTED_PARAMETER.has(p)) {
        const enc = get(e.block, "parameters.encrypted");
        return enc === "true" ? PASS : fail(`parameters.encrypted is ${show(enc ?? "not set")}`);
      }
      return fail(`encryption of ${p} volumes cannot be verified by this rule`);
    },
  },
  {
    id: "K8S-17",
    family: "public-exposure",
    appliesTo: ["kubernetes_service_v1", "kubernetes_service"],
    message: "LoadBalancer service has no source ranges, or opens a non-web port to the internet",
    fix: "set spec.load_balancer_source_ranges to the allowed CIDRs; 0.0.0.0/0 only for the HTTPS entry point (ports 80/443)",
    promise: PROMISES.nodesAcl,
    check: (e) => {
      if (get(e.block, "spec.type") !== "LoadBalancer") return NA;
      if (isInternalLoadBalancer(e.block)) return PASS;
      const ranges = get(e.block, "spec.load_balancer_source_ranges");
      if (!list(ranges).length) return fail("spec.load_balancer_source_ranges is not set (the cloud opens it to 0.0.0.0/0)");
      if (isUnresolved(ranges) || list(ranges).some(isUnresolved)) return fail("load_balancer_source_ranges is not known at synth");
      if (!list(ranges).some(isWorld)) return PASS;
      const ports = blocks(get(e.block, "spec.port")).map((p) => Number(p.port));
      const other = ports.filter((p) => p !== 80 && p !== 443);
      return other.length ? fail(`ports ${other.join(", ")} are open to the internet`) : PASS;
    },
  },
  {
    id: "K8S-18",
    family: "in-transit",
    appliesTo: ["kubernetes_ingress_v1", "kubernetes_ingress"],
    message: "ingress serves a host without TLS",
    fix: "add spec.tls { hosts = [...], secret_name = ... } covering every rule host",
    promise: PROMISES.inTransit,
    check: (e) => {
      const tls = blocks(get(e.block, "spec.tls"));
      if (!tls.length) return fail("spec.tls is not set");
      const covered = new Set(tls.flatMap((t) => list(t.hosts).map(String)));
      const hosts = blocks(get(e.block, "spec.rule")).map((r) => r.host).filter((h) => h !== undefined).map(String);
      return verdict(hosts.map((h) => (covered.has(h) ? undefined : `host ${h} is not in spec.tls.hosts`)));
    },
  },
  {
    id: "K8S-19",
    family: "encryption-at-rest",
    appliesTo: ["kubernetes_persistent_volume_claim_v1", "kubernetes_persistent_volume_claim", "kubernetes_stateful_set_v1", "kubernetes_stateful_set"],
    message: "volume claim does not name the encrypted StorageClass (it gets the cluster default)",
    fix: "set spec.storage_class_name to the encrypted StorageClass of the platform",
    promise: PROMISES.volumesEncrypted,
    check: (e) => {
      const claims = e.type.includes("stateful_set") ? blocks(get(e.block, "spec.volume_claim_template")) : [e.block];
      if (!claims.length) return NA;
      return verdict(claims.map((c) => (get(c, "spec.storage_class_name") ? undefined : `claim ${show(get(c, "metadata.name") ?? "?")} has no storage_class_name`)));
    },
  },
  {
    id: "K8S-20",
    family: "identity",
    appliesTo: ["kubernetes_cluster_role_binding_v1", "kubernetes_cluster_role_binding", "kubernetes_role_binding_v1", "kubernetes_role_binding", "kubernetes_cluster_role_v1", "kubernetes_role_v1"],
    message: "RBAC grants cluster-admin or wildcard permissions",
    fix: "bind a role listing only the verbs and resources the subject needs",
    promise: PROMISES.clusterSecurity,
    check: (e) => {
      if (e.type.includes("binding")) {
        const role = get(e.block, "role_ref.name");
        return role === "cluster-admin" ? fail("role_ref is cluster-admin") : PASS;
      }
      return verdict(
        blocks(e.block.rule).map((r) => (list(r.verbs).includes("*") && list(r.resources).includes("*") ? "a rule allows every verb on every resource" : undefined)),
      );
    },
  },
  {
    id: "K8S-21",
    family: "secrets",
    appliesTo: ["kubernetes_secret_v1", "kubernetes_secret"],
    message: "Kubernetes secret carries literal values in the Terraform configuration",
    fix: "let the owner generate the value (Vault, the database) or inject it at deploy time from Vault; never write it into the program",
    promise: PROMISES.vaultKeys,
    check: (e) => {
      const literals: string[] = [];
      for (const field of ["data", "binary_data"]) {
        const values = e.block[field];
        if (!isObj(values)) continue;
        for (const [k, v] of Object.entries(values)) if (typeof v === "string" && v !== "" && !isUnresolved(v)) literals.push(`${field}.${k}`);
      }
      return literals.length ? fail(`literal values in ${literals.join(", ")}`) : PASS;
    },
  },
  {
    id: "K8S-22",
    family: "namespaces",
    appliesTo: WORKLOADS,
    message: "workload runs in the default namespace (no Pod Security labels, no default-deny policy)",
    fix: "set metadata.namespace to one of the platform's namespaces",
    promise: PROMISES.networkSecurity,
    check: (e) => {
      const ns = get(e.block, "metadata.namespace");
      return ns === undefined || ns === "default" ? fail(`metadata.namespace is ${show(ns ?? "not set")}`) : PASS;
    },
  },
  {
    id: "K8S-23",
    family: "workloads",
    appliesTo: ["kubernetes_manifest"],
    message: "a workload, namespace, service, network policy or RBAC object is written as a raw manifest the policy cannot check",
    fix: "use the typed resource (kubernetes_deployment_v1, kubernetes_namespace_v1, ...) so every rule sees it; raw manifests are for CRDs",
    promise: PROMISES.podSecurity,
    check: (e) => {
      const kind = get(e.block, "manifest.kind");
      if (typeof kind !== "string" || isUnresolved(kind)) return fail(`manifest.kind is not known at synth (${show(kind)})`);
      return CHECKED_KINDS.has(kind) ? fail(`kind ${kind} has a typed resource`) : PASS;
    },
  },
  {
    id: "K8S-24",
    family: "data-safety",
    appliesTo: statefulTypes("K8S-24"),
    message: "namespace, StatefulSet or volume can be destroyed by a plan (a namespace takes every object in it along; a rename replaces it)",
    fix: "set lifecycle.preventDestroy (the allowDestroy prop of SecureNamespace / StatefulWorkload), or Policy.allowDestroy(scope) when dataProtection.allowDestroy is true",
    promise: PROMISES.dataSafety,
    guardsDestroy: true,
    check: (e) => verdict([preventDestroyProblem(e)]),
  },
  {
    id: "K8S-25",
    family: "identity",
    appliesTo: WORKLOADS,
    message: "a projected service-account token lives longer than an hour",
    fix: `set expiration_seconds <= ${MAX_PROJECTED_TOKEN_SECONDS} on every service_account_token projection (the kubelet renews it at 80% of its life)`,
    promise: PROMISES.podSecurity,
    check: (e) => {
      const pod = podSpec(e);
      if (!pod) return fail("the pod spec is not readable at synth");
      const problems: (string | undefined)[] = [];
      for (const v of blocks(pod.volume)) {
        for (const projected of blocks(v.projected)) {
          for (const source of blocks(projected.sources)) {
            for (const token of blocks(source.service_account_token)) {
              const seconds = token.expiration_seconds;
              if (seconds === undefined) continue; // the API's default: one hour
              if (isUnresolved(seconds) || !(Number(seconds) <= MAX_PROJECTED_TOKEN_SECONDS)) problems.push(`volume ${show(v.name)}: expiration_seconds is ${show(seconds)}`);
            }
          }
        }
      }
      return verdict(problems);
    },
  },
  {
    id: "K8S-26",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: `a container runs with a UID or GID below ${MIN_WORKLOAD_ID} (it may share an id with a user or group of the node)`,
    fix: `set run_as_user and run_as_group >= ${MIN_WORKLOAD_ID} (and fs_group, when set); where an image cannot run so, record why in its runtime contract and suppress with that reason`,
    promise: PROMISES.podSecurity,
    check: (e) =>
      perContainer(e, (c, pod) => {
        const problems = [idProblem(effective(c, pod, "run_as_user"), "run_as_user"), idProblem(effective(c, pod, "run_as_group"), "run_as_group")];
        const fsGroup = get(pod, "security_context.fs_group");
        if (fsGroup !== undefined) problems.push(idProblem(fsGroup, "the pod's fs_group"));
        const found = problems.filter((p): p is string => p !== undefined);
        return found.length ? found.join("; ") : undefined;
      }),
  },
  {
    id: "K8S-27",
    family: "public-exposure",
    appliesTo: ["kubernetes_network_policy_v1", "kubernetes_network_policy"],
    message: "NetworkPolicy lets pods open connections to any address (egress ipBlock 0.0.0.0/0)",
    fix: "allow the destinations by name (FQDN policy) or by their address ranges (private endpoints); where neither exists, suppress with the reason",
    promise: PROMISES.networkSecurity,
    check: (e) => {
      const egress = blocks(get(e.block, "spec.egress"));
      const problems = egress.flatMap((rule) =>
        blocks(rule.to).flatMap((peer) =>
          blocks(peer.ip_block).map((b) => (isUnresolved(b.cidr) ? `egress ip_block ${show(b.cidr)} is not known at synth` : isWorld(b.cidr) ? `egress to ${show(b.cidr)}` : undefined)),
        ),
      );
      return verdict(problems);
    },
  },
  {
    id: "K8S-28",
    family: "workloads",
    appliesTo: WORKLOADS,
    message: "a container image is not pinned by digest",
    fix: IMAGES_LOCK_FIX,
    promise: PROMISES.podSecurity,
    check: (e) =>
      perContainer(e, (c) => {
        const image = c.spec.image;
        if (typeof image !== "string" || isUnresolved(image)) return `image is not known at synth (${show(image)})`;
        return /@sha256:[0-9a-f]{64}$/.test(image) ? undefined : `image ${show(image)} has no digest in the deployment's image lock`;
      }),
  },
];
