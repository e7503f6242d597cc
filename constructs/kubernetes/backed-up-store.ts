import type { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import type { ObjectStore, WorkloadIdentityBinding } from "../../platform/platform-foundation";
import type { ServiceSpec } from "../../platform/service-catalog";
import { vaultNames } from "../../platform/service-names";
import { IMAGES, imageRef, secretsServerImage, type ImageSettings } from "./images";
import { HEARTBEAT_VOLUME, bucketUploader, type BucketUploaderOptions } from "./platform-pod";
import type { ContainerSpec, InitContainerSpec, ProbeCheck, Probes, VolumeSpec } from "./pod-spec";
import { StatefulWorkload } from "./stateful-workload";
import { VaultAgent, type VaultAgentTemplate } from "./vault-agent";

/**
 * What the platform's backed-up data stores (PostgreSQL, Cassandra, Elasticsearch) share: a StatefulSet
 * whose service account is a subject of the `backup` workload identity, a data volume per replica, a
 * ConfigMap `<name>-config` mounted as the `config` volume, the Vault Agent of the store's own role, the
 * heartbeat volume its scheduled (backup) containers report through, and, for stores whose files go to
 * the bucket, the uploader sidecar under the same identity.
 */

/** Props every backed-up store takes. */
export interface BackedUpStoreProps {
  /** Namespace (a SecureNamespace reference). */
  readonly namespace: string;
  /** Zones to spread the replicas across. */
  readonly zones: readonly string[];
  readonly images: ImageSettings;
  /** The platform bucket the backups go to. */
  readonly objectStore: ObjectStore;
  /** The `backup` workload identity (the store's service account is one of its subjects). */
  readonly backupIdentity: WorkloadIdentityBinding;
  /** Let `cdktf destroy` remove the set (volumes are retained regardless). @default false */
  readonly allowDestroy?: boolean;
}

/** The store-specific parts of backedUpStore. */
export interface BackedUpStoreParts {
  readonly replicas: number;
  /** The data volume (`data`) per replica. */
  readonly storageGiB: number;
  /** Files of the ConfigMap `<name>-config`, mounted as the volume `config`. */
  readonly configFiles: Readonly<Record<string, string>>;
  /** What the Vault Agent renders (certificates, passwords). */
  readonly templates: readonly VaultAgentTemplate[];
  /** Where the agent renders them. @default "/vault/secrets" */
  readonly secretsPath?: string;
  readonly runAsUser: number;
  readonly terminationGracePeriodSeconds: number;
  /** @default "OrderedReady" */
  readonly podManagementPolicy?: "OrderedReady" | "Parallel";
  /** Volumes besides `config` (first) and the heartbeat volume (last), in order. */
  readonly volumes: readonly VolumeSpec[];
  readonly initContainers?: readonly InitContainerSpec[];
  readonly containers: readonly ContainerSpec[];
  /** The uploader sidecar (last container) moving finished backup files to the bucket. @default - none (the store writes to the bucket itself) */
  readonly uploader?: Omit<BucketUploaderOptions, "image" | "store">;
}

/** The children backedUpStore creates in the store's scope. */
export interface BackedUpStoreResources {
  readonly config: ConfigMapV1;
  readonly workload: StatefulWorkload;
}

/**
 * Builds a backed-up store's ConfigMap (`Config`), Vault Agent (`VaultAgent`) and StatefulSet
 * (`Resource`) into `scope`, the store's construct: the ids, and so the resource addresses, are the
 * store's own.
 */
export function backedUpStore(scope: Construct, spec: ServiceSpec, props: BackedUpStoreProps, parts: BackedUpStoreParts): BackedUpStoreResources {
  const config = new ConfigMapV1(scope, "Config", {
    metadata: { name: `${spec.name}-config`, namespace: props.namespace },
    data: { ...parts.configFiles },
  });
  const agent = new VaultAgent(scope, "VaultAgent", {
    name: spec.name,
    namespace: props.namespace,
    role: vaultNames(spec).role,
    image: secretsServerImage(props.images),
    ...(parts.secretsPath !== undefined ? { secretsPath: parts.secretsPath } : {}),
    templates: parts.templates,
  });
  const uploader = parts.uploader ? [bucketUploader({ ...parts.uploader, image: imageRef(IMAGES.rclone, props.images), store: props.objectStore })] : [];
  const workload = new StatefulWorkload(scope, "Resource", {
    name: spec.name,
    namespace: props.namespace,
    zones: props.zones,
    replicas: parts.replicas,
    serviceAccountName: spec.serviceAccount,
    serviceAccountAnnotations: props.backupIdentity.serviceAccountAnnotations,
    podLabels: props.backupIdentity.podLabels,
    runAsUser: parts.runAsUser,
    terminationGracePeriodSeconds: parts.terminationGracePeriodSeconds,
    ...(parts.podManagementPolicy ? { podManagementPolicy: parts.podManagementPolicy } : {}),
    ports: spec.ports,
    vaultAgent: agent,
    volumes: [{ name: "config", configMap: { name: config.metadata.name } }, ...parts.volumes, HEARTBEAT_VOLUME],
    volumeClaims: [{ name: "data", sizeGiB: parts.storageGiB }],
    allowDestroy: props.allowDestroy ?? false,
    ...(parts.initContainers ? { initContainers: parts.initContainers } : {}),
    containers: [...parts.containers, ...uploader],
  });
  return { config, workload };
}

/**
 * A store server's probes: one check, given up to `startupFailureThreshold` periods to pass at start,
 * then deciding readiness, and a restart after six failed checks in a row.
 */
export function serverProbes(check: ProbeCheck, startupFailureThreshold: number): Probes {
  return {
    startup: { check, failureThreshold: startupFailureThreshold },
    readiness: { check },
    liveness: { check, failureThreshold: 6 },
  };
}
