import { createHash } from "node:crypto";
import { Testing } from "cdktf";
import { CONFIG_CHECKSUM_ANNOTATION } from "../../constructs/kubernetes/config-checksum";
import type { Deployment } from "../../config/schema";
import { PlatformStack } from "../../stacks/platform-stack";
import { FAKE_FOUNDATION, defaultDeployment } from "../fixtures/fake-foundation";
import { UNKNOWN } from "../../scripts/terraform-decode";
import { DEPLOYMENTS, decodedStack, synthesizedStacks } from "../support/deployments";

/**
 * Configuration changes reach running pods: every Deployment and StatefulSet carries, in its pod template,
 * the checksum of the ConfigMaps it mounts, so a changed ConfigMap is a changed template and the controller
 * rolls the pods, one at a time. The checksum is recomputed here from what Terraform itself decodes for
 * each mounted ConfigMap (the real terraform's decoder, run once by the jest global setup).
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const WORKLOAD_TYPES = ["kubernetes_deployment_v1", "kubernetes_stateful_set_v1"];

/** `${kubernetes_config_map_v1.<name>.metadata[0].name}` -> `<name>`. */
const referencedConfigMap = (name: string) => /^\$\{kubernetes_config_map_v1\.([^.]+)\.metadata\[0\]\.name\}$/.exec(name)?.[1];

function expectedChecksum(raw: Json, decoded: Readonly<Record<string, unknown>>, workload: Json): { checksum: string; mounted: number } {
  const configMaps: Record<string, Json> = raw.resource?.kubernetes_config_map_v1 ?? {};
  const mounted = (workload.spec.template.spec.volume ?? [])
    .filter((v: Json) => v.config_map)
    .flatMap((v: Json) => {
      const byRef = referencedConfigMap(v.config_map.name);
      const id =
        byRef ??
        Object.keys(configMaps).find((k) => configMaps[k].metadata.name === v.config_map.name && configMaps[k].metadata.namespace === workload.metadata.namespace);
      if (!id) return [];
      const body = decoded[`resource.kubernetes_config_map_v1.${id}`] as Json;
      // A value that embeds a reference (Vault's seal stanza, a bucket name) is unknown until apply: the
      // checksum covers its text with the reference expressions, i.e. the synthesized string with
      // Terraform's escapes undone (`${"$"}` -> `$`, `%%{` -> `%{`: lib/terraform-text.ts).
      const text = (field: "data" | "binary_data", k: string, value: string) =>
        value === UNKNOWN ? (configMaps[id][field][k] as string).replace(/\$\{"\$"\}/g, "$").replace(/%%\{/g, "%{") : value;
      const sorted = (field: "data" | "binary_data") =>
        Object.entries((body[field] ?? {}) as Record<string, string>)
          .map(([k, value]) => [k, text(field, k, value)])
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return [[v.name, sorted("data"), sorted("binary_data")]];
    });
  return { checksum: createHash("sha256").update(JSON.stringify(mounted)).digest("hex"), mounted: mounted.length };
}

describe.each(DEPLOYMENTS.map((d) => d.key))("%s", (key) => {
  for (const role of ["vault", "platform"] as const) {
    test(`${role} stack: every pod template carries the checksum of exactly the ConfigMaps it mounts, as Terraform decodes them`, () => {
      const stacks = synthesizedStacks(key);
      const raw = Object.entries(stacks).find(([id]) => id.endsWith(`-${role}`))![1] as Json;
      const decoded = decodedStack(key, role).blocks;
      let checked = 0;
      for (const type of WORKLOAD_TYPES) {
        for (const [id, workload] of Object.entries((raw.resource?.[type] ?? {}) as Record<string, Json>)) {
          const annotation = (decoded[`resource.${type}.${id}`] as Json).spec.template.metadata.annotations?.[CONFIG_CHECKSUM_ANNOTATION];
          const expected = expectedChecksum(raw, decoded, workload);
          expect({ workload: workload.metadata.name, checksum: annotation }).toEqual({ workload: workload.metadata.name, checksum: expected.checksum });
          // Every workload here mounts configuration (at least its Vault Agent's or its server's own).
          expect(expected.mounted).toBeGreaterThan(0);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  }

  test("rollouts go one pod at a time within the PodDisruptionBudget, and terraform waits for them (Vault excepted, with its reason)", () => {
    const stacks = synthesizedStacks(key);
    for (const [stackId, raw] of Object.entries(stacks) as [string, Json][]) {
      const budgets = Object.values((raw.resource?.kubernetes_pod_disruption_budget_v1 ?? {}) as Record<string, Json>);
      for (const type of WORKLOAD_TYPES) {
        for (const w of Object.values((raw.resource?.[type] ?? {}) as Record<string, Json>)) {
          const budget = budgets.find((b) => b.metadata.name === w.metadata.name && b.metadata.namespace === w.metadata.namespace)!;
          const allowed = Number(budget.spec.max_unavailable);
          if (type === "kubernetes_deployment_v1") {
            expect(w.spec.strategy).toEqual({ type: "RollingUpdate", rolling_update: { max_unavailable: expect.any(String), max_surge: "0" } });
            expect(Number(w.spec.strategy.rolling_update.max_unavailable)).toBeLessThanOrEqual(allowed);
          } else {
            // A StatefulSet's RollingUpdate replaces one pod at a time, each Ready before the next.
            expect(w.spec.update_strategy).toEqual([{ type: "RollingUpdate", rolling_update: [{ partition: 0 }] }]);
            expect(allowed).toBeGreaterThanOrEqual(1);
          }
          const isVault = stackId.endsWith("-vault") && w.metadata.name === "vault";
          expect({ name: w.metadata.name, wait: w.wait_for_rollout }).toEqual({ name: w.metadata.name, wait: !isVault });
          expect(w.timeouts).toEqual({ create: expect.stringMatching(/^\d+m$/), update: expect.stringMatching(/^\d+m$/) });
        }
      }
    }
  });
});

describe("a configuration change rolls the pods that mount it, and only those", () => {
  const checksums = (deployment: Deployment): Record<string, string> => {
    const doc = JSON.parse(Testing.synth(new PlatformStack(Testing.app(), `${deployment.name}-platform`, { deployment, foundation: FAKE_FOUNDATION })));
    return Object.fromEntries(
      WORKLOAD_TYPES.flatMap((t) => Object.values((doc.resource?.[t] ?? {}) as Record<string, Json>)).map((w) => [w.metadata.name, w.spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION]]),
    );
  };
  const changed = (a: Record<string, string>, b: Record<string, string>) => Object.keys(a).filter((k) => a[k] !== b[k]).sort();
  const base = checksums(defaultDeployment());

  test("checksums are sha256 and deterministic", () => {
    for (const v of Object.values(base)) expect(v).toMatch(/^[0-9a-f]{64}$/);
    expect(checksums(defaultDeployment())).toEqual(base);
  });

  test("a new pod CIDR changes pg_hba.conf: PostgreSQL rolls, nothing else", () => {
    const d = defaultDeployment();
    expect(changed(base, checksums(defaultDeployment({ network: { ...d.network, podCidr: "10.250.0.0/16" } })))).toEqual(["postgresql"]);
  });

  test("a new hostname changes Keycloak's realm and settings and nginx.conf: those roll (Atlas reads the public URLs from Keycloak's discovery document)", () => {
    expect(changed(base, checksums(defaultDeployment({ domain: { ...defaultDeployment().domain, name: "other.example.com" } })))).toEqual(["entry-point", "keycloak"]);
  });
});
