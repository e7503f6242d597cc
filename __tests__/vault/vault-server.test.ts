import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";
import { Testing } from "cdktf";
import { IMAGES, secretsServerImage } from "../../constructs/kubernetes/images";
import { AZURE_SEAL_WORKLOAD_IDENTITY, RAFT_FACTS, VaultServer, renderVaultServerConfig, type VaultServerProps } from "../../constructs/vault/vault-server";
import { DEPLOYMENTS, synthesizedStacks } from "../support/deployments";
import { FAKE_FOUNDATION } from "../fixtures/fake-foundation";
import { allContainers, resourcesOf, synthJson } from "../support/helpers";
import { nonEmpty } from "../support/non-empty";

const base: VaultServerProps = {
  namespace: "vault",
  foundation: FAKE_FOUNDATION,
  image: secretsServerImage({ vaultDistribution: "vault" }),
  tlsSecretName: "vault-tls",
  clusterName: "demo-vault",
};
const doc = (p: Partial<VaultServerProps> = {}) => synthJson((s) => new VaultServer(s, "Vault", { ...base, ...p }));
const set = (p: Partial<VaultServerProps> = {}) => resourcesOf(doc(p), "kubernetes_stateful_set_v1")[0];
const config = (p: Partial<VaultServerProps> = {}) => JSON.parse(resourcesOf(doc(p), "kubernetes_config_map_v1")[0].data["vault.json"]);

test("the listener is TLS-only with TLS 1.2 minimum, from the mounted certificate", () => {
  expect(config().listener.tcp).toEqual(
    expect.objectContaining({ tls_disable: false, tls_min_version: "tls12", tls_cert_file: "/vault/tls/tls.crt", tls_key_file: "/vault/tls/tls.key" }),
  );
  expect(set().spec.template.spec.volume).toContainEqual({ name: "tls", secret: { secret_name: "vault-tls", default_mode: "0440" } });
});

test("storage is raft; every voter joins its peers over TLS, verifying their certificate", () => {
  const raft = config().storage.raft;
  expect(raft.path).toBe("/vault/data");
  expect(raft.retry_join).toEqual([0, 1, 2].map((i) => ({
    leader_api_addr: `https://vault-${i}.vault-headless.vault.svc:8200`,
    leader_ca_cert_file: "/vault/tls/ca.crt",
    leader_tls_servername: `vault-${i}.vault-headless.vault.svc`,
  })));
});

test("the seal stanza is the contract's (KMS auto-unseal)", () => {
  expect(config().seal).toEqual({ awskms: { region: "fake-region-1", kms_key_id: "fake-key-id" } });
  expect(renderVaultServerConfig({ namespace: "vault", replicas: 3, ui: false, clusterName: "x", seal: { type: "gcpckms", config: { project: "p" } } })).toContain('"gcpckms"');
});

test("each voter advertises its stable headless name and verifies the local listener", () => {
  const env = set().spec.template.spec.container[0].env;
  expect(env).toContainEqual({ name: "POD_NAME", value_from: { field_ref: { field_path: "metadata.name" } } });
  expect(env).toContainEqual({ name: "VAULT_API_ADDR", value: "https://$(POD_NAME).vault-headless.vault.svc:8200" });
  expect(env).toContainEqual({ name: "VAULT_CACERT", value: "/vault/tls/ca.crt" });
});

test("the UI is off by default and on only when asked", () => {
  expect(config().ui).toBe(false);
  expect(config({ ui: true }).ui).toBe(true);
});

test("the config is deterministic", () => {
  expect(JSON.stringify(config())).toBe(JSON.stringify(config()));
});

test("3 voters, one per node, spread over zones, with a disruption budget keeping quorum", () => {
  const d = doc();
  const s = resourcesOf(d, "kubernetes_stateful_set_v1")[0];
  expect(s.spec.replicas).toBe("3");
  expect(s.spec.template.spec.affinity.pod_anti_affinity.required_during_scheduling_ignored_during_execution[0].topology_key).toBe("kubernetes.io/hostname");
  expect(s.spec.template.spec.topology_spread_constraint[0].topology_key).toBe("topology.kubernetes.io/zone");
  expect(resourcesOf(d, "kubernetes_pod_disruption_budget_v1")[0].spec.max_unavailable).toBe("1");
});

test("an even or too small number of voters is refused", () => {
  expect(() => doc({ replicas: 2 })).toThrow(/odd number >= 3/);
  expect(() => doc({ replicas: 1 })).toThrow(/odd number >= 3/);
});

test("data and audit live on encrypted volumes", () => {
  const claims = set().spec.volume_claim_template;
  expect(claims.map((c: { metadata: { name: string }; spec: { storage_class_name: string } }) => [c.metadata.name, c.spec.storage_class_name])).toEqual([
    ["data", "encrypted"],
    ["audit", "encrypted"],
  ]);
  expect(claims.map((c: { spec: { resources: { requests: { storage: string } } } }) => c.spec.resources.requests.storage)).toEqual(["10Gi", "10Gi"]);
  expect(set().spec.template.spec.container[0].volume_mount).toContainEqual({ name: "audit", mount_path: "/vault/audit", read_only: false });
});

test("the service account carries the contract's workload identity; pods its labels", () => {
  const d = doc();
  expect(resourcesOf(d, "kubernetes_service_account_v1")[0].metadata.annotations).toEqual({ "fake.example/identity": "vault-unseal" });
  expect(resourcesOf(d, "kubernetes_stateful_set_v1")[0].spec.template.metadata.labels["fake.example/use"]).toBe("true");
});

test("the server runs with the restricted security context and only token review as extra right", () => {
  for (const c of nonEmpty(allContainers(set()), "container")) expect(c.security_context).toEqual(expect.objectContaining({ run_as_non_root: true, read_only_root_filesystem: true, capabilities: { drop: ["ALL"] } }));
  expect(Testing.synthScope((s) => new VaultServer(s, "Vault", base))).toHaveResourceWithProperties(ClusterRoleBindingV1, {
    role_ref: expect.objectContaining({ kind: "ClusterRole", name: "system:auth-delegator" }),
  });
});

test("probes: alive while sealed (to be initialised), ready only when unsealed", () => {
  const c = set().spec.template.spec.container[0];
  expect(c.liveness_probe.http_get.path).toBe("/v1/sys/health?standbyok=true&sealedcode=204&uninitcode=204");
  expect(c.readiness_probe.http_get).toEqual({ path: "/v1/sys/health?standbyok=true&perfstandbyok=true", port: "8200", scheme: "HTTPS" });
});

test("OpenBao runs through the same construct with its own image and binary", () => {
  const c = set({ image: secretsServerImage({ vaultDistribution: "openbao", registry: "mirror.example" }) }).spec.template.spec.container[0];
  expect(c.image).toBe("mirror.example/openbao/openbao:2.1.0");
  expect(c.command.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
  expect(c.command[2]).toContain("exec bao server -config=/vault/config/vault.json");
  expect(c.env.map((e: { name: string }) => e.name)).toEqual(["POD_NAME", "BAO_API_ADDR", "BAO_CLUSTER_ADDR", "BAO_RAFT_NODE_ID", "BAO_ADDR", "BAO_CACERT", "HOME"]);
});

describe("the shipped deployments' Vault servers (synthesized JSON)", () => {
  type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const vaultStack = (key: string): Json => {
    const stacks = synthesizedStacks(key);
    return stacks[Object.keys(stacks).find((id) => id.endsWith("-vault"))!] as Json;
  };
  const vaultConfig = (key: string) => {
    const maps = vaultStack(key).resource.kubernetes_config_map_v1 as Record<string, Json>;
    return JSON.parse(Object.values(maps).find((m) => "vault.json" in (m.data ?? {}))!.data["vault.json"]);
  };

  test.each(DEPLOYMENTS.map((d) => d.key))("%s: raft runs with its production timing (performance_multiplier = 1, RAFT_FACTS)", (key) => {
    expect(RAFT_FACTS.performanceMultiplier.production).toBe(1);
    expect(vaultConfig(key).storage.raft.performance_multiplier).toBe(1);
  });

  test("Azure: OpenBao's Key Vault seal can authenticate by workload identity (AZURE_SEAL_WORKLOAD_IDENTITY, checked on the pinned release)", () => {
    // A version bump must re-check the wrapper's credential chain at the new release.
    expect(IMAGES.openbao.tag).toBe(AZURE_SEAL_WORKLOAD_IDENTITY.checkedOnOpenBao);
    const seal = vaultConfig("examples-azure").seal;
    expect(Object.keys(seal)).toEqual(["azurekeyvault"]);
    for (const k of AZURE_SEAL_WORKLOAD_IDENTITY.forbiddenStanzaKeys) expect(Object.keys(seal.azurekeyvault)).not.toContain(k);
    const stack = vaultStack("examples-azure");
    const set = Object.values(stack.resource.kubernetes_stateful_set_v1 as Record<string, Json>).find((s) => s.metadata.name === "vault")!;
    const [label, value] = AZURE_SEAL_WORKLOAD_IDENTITY.podLabel;
    expect(set.spec.template.metadata.labels[label]).toBe(value);
    const sa = Object.values(stack.resource.kubernetes_service_account_v1 as Record<string, Json>).find((s) => s.metadata.name === "vault")!;
    expect(Object.keys(sa.metadata.annotations)).toContain(AZURE_SEAL_WORKLOAD_IDENTITY.serviceAccountAnnotation);
  });
});
