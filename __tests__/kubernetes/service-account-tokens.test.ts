import { readFileSync } from "node:fs";
import * as path from "node:path";
import { KUBERNETES_AUTH_LOCAL_CREDENTIALS } from "../../constructs/vault/vault-server";
import { DEPLOYMENTS, outputDir, synthesizedStacks } from "../support/deployments";
import { nonEmpty } from "../support/non-empty";

/**
 * Service-account tokens in every pod of every shipped deployment, as main.ts synthesizes them: no pod has the
 * automounted token; a pod that needs one gets a projected, short-lived token for one audience, mounted only
 * into the container that presents it; and Vault's Kubernetes auth roles accept only the audience the agents'
 * tokens carry. Then the policy report: no workload is excused from K8S-11 (token), K8S-25 (token lifetime) or
 * K8S-26 (UID/GID >= 10000).
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const one = (v: unknown): Json => (Array.isArray(v) ? v[0] : v) as Json;
const list = (v: unknown): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]) as Json[];

interface Pod {
  readonly name: string;
  readonly spec: Json;
}
function pods(stack: Json): Pod[] {
  const cronJobs = Object.values((stack.resource?.kubernetes_cron_job_v1 ?? {}) as Record<string, Json>).map((r) => ({
    name: String(one(r.metadata).name),
    spec: one(one(one(one(one(r.spec).job_template).spec).template).spec),
  }));
  return [
    ...["kubernetes_deployment_v1", "kubernetes_stateful_set_v1", "kubernetes_job_v1"].flatMap((type) =>
      Object.values((stack.resource?.[type] ?? {}) as Record<string, Json>).map((r) => ({ name: String(one(r.metadata).name), spec: one(one(one(r.spec).template).spec) })),
    ),
    ...cronJobs,
  ];
}
/** Each projected service-account token of a pod: its volume, audience (undefined: the API server's) and lifetime. */
function tokens(pod: Pod) {
  return list(pod.spec.volume).flatMap((v) =>
    list(v.projected).flatMap((p) => list(p.sources).flatMap((s) => list(s.service_account_token).map((t) => ({ volume: String(v.name), audience: t.audience as string | undefined, seconds: Number(t.expiration_seconds) })))),
  );
}
const containers = (pod: Pod) => [...list(pod.spec.init_container), ...list(pod.spec.container)];
const mountsOf = (c: Json, volume: string) => list(c.volume_mount).filter((m) => m.name === volume);

describe.each(DEPLOYMENTS.map((d) => d.key))("%s: service-account tokens", (key) => {
  const stacks = synthesizedStacks(key);
  const all = Object.values(stacks).flatMap((s) => pods(s as Json));
  const audiences = Object.values(stacks).flatMap((s) =>
    Object.values(((s as Json).resource?.vault_kubernetes_auth_backend_role ?? {}) as Record<string, Json>).map((r) => [r.role_name, r.audience] as const),
  );

  test("every pod disables the automount", () => {
    expect(all.length).toBeGreaterThanOrEqual(9);
    expect(all.filter((p) => p.spec.automount_service_account_token !== false).map((p) => p.name)).toEqual([]);
  });

  test("a Vault-audience token is mounted only into the Vault Agent containers, which present it", () => {
    const vaultTokens = all.flatMap((pod) => tokens(pod).filter((x) => x.audience === "vault").map((t) => ({ pod, t })));
    for (const { pod, t } of nonEmpty(vaultTokens, "Vault-audience token")) {
      const holders = containers(pod).filter((c) => mountsOf(c, t.volume).length);
      expect({ pod: pod.name, holders: holders.map((c) => c.name).sort() }).toEqual({ pod: pod.name, holders: ["vault-agent", "vault-agent-init"] });
      // The agent itself, or the start shell that runs it (vault-agent.ts: a template's exec first; the sidecar execs it).
      for (const c of holders) expect(c.command.join(" ")).toMatch(/^(vault|bao) agent |\n(exec )?(vault|bao) agent /);
      expect(t.seconds).toBeLessThanOrEqual(3600);
    }
  });

  test("an API-server token only where the Kubernetes API is called: Vault's server (TokenReviews), the TLS bootstrap Job and its daily renewal, each in its one container, where it reads it", () => {
    const apiTokens = all.flatMap((pod) => tokens(pod).filter((t) => t.audience === undefined).map((t) => ({ pod, t })));
    expect(apiTokens.map(({ pod }) => pod.name).sort()).toEqual(["vault", "vault-tls-bootstrap", "vault-tls-renewal"]);
    for (const { pod, t } of apiTokens) {
      const holders = containers(pod).filter((c) => mountsOf(c, t.volume).length);
      expect(holders.map((c) => c.name)).toEqual([pod.name === "vault" ? "vault" : "bootstrap"]);
      const mount = mountsOf(holders[0], t.volume)[0];
      expect(mount.read_only).toBe(true);
      // Where the client reads it: Vault's Kubernetes auth plugin (localJWTPath), the Job's script (SA=...).
      if (pod.name === "vault") expect(mount.mount_path).toBe(KUBERNETES_AUTH_LOCAL_CREDENTIALS.path);
      else {
        const script = Object.values(stacks).flatMap((s) => Object.values(((s as Json).resource?.kubernetes_config_map_v1 ?? {}) as Record<string, Json>)).find((cm) => cm.data?.["bootstrap.sh"])!.data["bootstrap.sh"] as string;
        expect(script).toContain(`SA=${mount.mount_path}\n`);
      }
      expect(t.seconds).toBeLessThanOrEqual(3600);
    }
  });

  test("every Kubernetes auth role accepts only the audience the agents' tokens carry", () => {
    const agentAudiences = new Set(all.flatMap((p) => tokens(p).map((t) => t.audience)).filter((a): a is string => a !== undefined));
    expect([...agentAudiences]).toEqual(["vault"]);
    expect(audiences.length).toBeGreaterThanOrEqual(7);
    for (const [role, audience] of audiences) expect({ role, audience }).toEqual({ role, audience: "vault" });
  });

  test("the policy excuses no workload from K8S-11, K8S-25 or K8S-26: every container runs at UID and GID >= 10000", () => {
    const report = JSON.parse(readFileSync(path.join(outputDir(key), "policy-report.json"), "utf8")) as {
      findings: { ruleId: string; status: string; path: string }[];
      rules: { id: string; passed: number; failed: number; suppressed: number }[];
    };
    expect(report.findings.filter((f) => ["K8S-11", "K8S-25", "K8S-26"].includes(f.ruleId))).toEqual([]);
    for (const id of ["K8S-11", "K8S-25", "K8S-26"]) {
      expect(report.rules.find((r) => r.id === id)).toEqual({ id, family: expect.any(String), passed: all.length, failed: 0, suppressed: 0 });
    }
  });
});
