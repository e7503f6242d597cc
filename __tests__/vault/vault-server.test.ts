import { ClusterRoleBindingV1 } from "@cdktf/provider-kubernetes/lib/cluster-role-binding-v1";
import { Testing } from "cdktf";
import { secretsServerImage } from "../../constructs/kubernetes/images";
import { VaultServer, renderVaultServerConfig, type VaultServerProps } from "../../constructs/vault/vault-server";
import { FAKE_FOUNDATION } from "../fixtures/fake-foundation";
import { allContainers, resourcesOf, synthJson } from "../kubernetes/helpers";

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
  for (const c of allContainers(set())) expect(c.security_context).toEqual(expect.objectContaining({ run_as_non_root: true, read_only_root_filesystem: true, capabilities: { drop: ["ALL"] } }));
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
