import { createHash } from "node:crypto";
import { Lazy, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import type { VolumeSpec } from "./pod-spec";

/**
 * Pod-template annotation that carries the checksum of the configuration a pod mounts.
 *
 * Kubernetes rolls a Deployment's or StatefulSet's pods only when the pod template changes; a changed
 * ConfigMap alone reaches no running process (kubelet refreshes the mounted files, but no server here
 * re-reads them all: postgresql.conf, vault.json, nginx.conf, keycloak's realm, the agents' templates).
 * Writing the checksum into the template makes every change to a mounted ConfigMap a template change,
 * so the controller replaces the pods with its rolling-update strategy (the Helm chart convention,
 * helm.sh/docs/howto/charts_tips_and_tricks "Automatically Roll Deployments").
 */
export const CONFIG_CHECKSUM_ANNOTATION = "checksum/config";

/**
 * What the checksum covers: every ConfigMap of the same stack that one of `volumes` mounts (matched by
 * its name reference, or by its literal name in `namespace`), in volume order, each as its sorted
 * `data` and `binary_data` entries. `sha256(JSON.stringify([[volume, [[key, value], ...], [[key, value], ...]], ...]))`.
 *
 * Values are the text as written by the program (before Terraform's template escaping, so they equal
 * what Terraform decodes and the ConfigMap holds); a value that embeds a reference contributes the
 * reference expression, not the value it will take. ConfigMaps made outside the stack (the `vault-ca`
 * copy the vault stack writes into each namespace) are not covered: a CA rotation is a planned restart.
 */
export function configChecksum(scope: IConstruct, namespace: string, volumes: readonly VolumeSpec[]): string {
  return Lazy.stringValue({
    produce: (context) => {
      const stack = TerraformStack.of(scope);
      const resolve = (x: unknown): unknown => context.resolve(x);
      const configMaps = stack.node.findAll().filter((c): c is ConfigMapV1 => c instanceof ConfigMapV1);
      const mounted = volumes.flatMap((v) => {
        if (!("configMap" in v)) return [];
        const wanted = resolve(v.configMap.name);
        const cm = configMaps.find((c) => resolve(c.metadata.name) === wanted || isLiteralMatch(resolve, c, wanted, namespace));
        return cm ? [[v.name, sortedEntries(resolve(cm.dataInput)), sortedEntries(resolve(cm.binaryDataInput))]] : [];
      });
      return createHash("sha256").update(JSON.stringify(mounted)).digest("hex");
    },
  });
}

function isLiteralMatch(resolve: (x: unknown) => unknown, cm: ConfigMapV1, name: unknown, namespace: string): boolean {
  const meta = cm.metadataInput;
  return typeof name === "string" && resolve(meta?.name) === name && resolve(meta?.namespace) === resolve(namespace);
}

function sortedEntries(data: unknown): [string, string][] {
  if (data === undefined || data === null) return [];
  return Object.entries(data as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
