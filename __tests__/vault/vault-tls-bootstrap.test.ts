import { JobV1 } from "@cdktf/provider-kubernetes/lib/job-v1";
import { Testing } from "cdktf";
import { VaultTlsBootstrap, type VaultTlsBootstrapProps } from "../../constructs/vault/vault-tls-bootstrap";
import { resourcesOf, synthJson } from "../support/helpers";
import { nonEmpty } from "../support/non-empty";

const props: VaultTlsBootstrapProps = {
  namespace: "vault",
  caNamespaces: ["vault", "identity"],
  dnsNames: ["vault.vault.svc", "*.vault-headless.vault.svc"],
  image: "docker.io/cfssl/cfssl:v1.6.5",
  deploymentName: "demo",
  kubernetesApi: { hosts: [], cidrs: ["172.16.0.0/28"], source: "test: a private control-plane range" },
  fqdnPolicy: "gke",
  clusterCidrs: ["10.96.0.0/14", "172.20.0.0/16"],
};
const out = () => Testing.synthScope((s) => new VaultTlsBootstrap(s, "Tls", props));

test("no key or certificate material is synthesized: only the script and the CSR requests", () => {
  expect(out()).not.toMatch(/BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)/);
  const data = resourcesOf(JSON.parse(out()), "kubernetes_config_map_v1")[0].data;
  expect(JSON.parse(data["server-csr.json"])).toEqual({ CN: "vault.vault.svc", hosts: ["vault.vault.svc", "*.vault-headless.vault.svc"], key: { algo: "ecdsa", size: 256 } });
  expect(JSON.parse(data["ca-csr.json"]).ca).toEqual({ expiry: "87600h" });
  // The key files never outlive a run in the in-memory work directory (the CA key is kept only in its Secret).
  expect(data["bootstrap.sh"]).toContain("rm -f ca-key.pem server-key.pem");
});

test("a daily CronJob runs the same script in the same pod template (renewal, CA expiry warning); it never overlaps", () => {
  const doc = JSON.parse(out());
  const [cron] = resourcesOf(doc, "kubernetes_cron_job_v1");
  const [job] = resourcesOf(doc, "kubernetes_job_v1");
  expect(cron.spec).toEqual(expect.objectContaining({ schedule: "23 3 * * *", concurrency_policy: "Forbid" }));
  expect(cron.spec.job_template.spec.template).toEqual(job.spec.template);
});

test("Terraform waits for the job; key material exists only in an in-memory volume", () => {
  expect(out()).toHaveResourceWithProperties(JobV1, { wait_for_completion: true });
  const job = resourcesOf(JSON.parse(out()), "kubernetes_job_v1")[0];
  expect(job.spec.template.spec.volume).toContainEqual({ name: "work", empty_dir: { medium: "Memory", size_limit: "8Mi" } });
  expect(job.spec.template.spec.container[0].security_context).toEqual(expect.objectContaining({ run_as_non_root: true, read_only_root_filesystem: true }));
});

test("its account may create secrets, read and update only vault-tls and its CA, and write only vault-ca config maps", () => {
  const roles = resourcesOf(synthJson((s) => new VaultTlsBootstrap(s, "Tls", props)), "kubernetes_role_v1");
  const secretRole = roles.find((r) => r.rule[0].resources[0] === "secrets")!;
  expect(secretRole.rule).toEqual([
    { api_groups: [""], resources: ["secrets"], verbs: ["create"] },
    { api_groups: [""], resources: ["secrets"], resource_names: ["vault-tls", "vault-tls-ca"], verbs: ["get", "update"] },
  ]);
  expect(roles).toHaveLength(3);
  for (const r of nonEmpty(roles.filter((x) => x !== secretRole), "other role")) expect(r.rule[1]).toEqual({ api_groups: [""], resources: ["configmaps"], resource_names: ["vault-ca"], verbs: ["get", "update"] });
});

test("its pod may only reach the API server, where the cloud says it is, on 443 (never any address)", () => {
  const policy = resourcesOf(synthJson((s) => new VaultTlsBootstrap(s, "Tls", props)), "kubernetes_network_policy_v1")[0];
  expect(policy.spec.egress).toEqual([{ to: [{ ip_block: { cidr: "172.16.0.0/28" } }], ports: [{ port: "443", protocol: "TCP" }] }]);
  expect(policy.spec.ingress).toBeUndefined();
  expect(policy.spec.policy_types).toEqual(["Ingress", "Egress"]);
});

test("on Cilium the API server is the kube-apiserver entity: a CiliumNetworkPolicy allows exactly it, and the NetworkPolicy nothing", () => {
  const doc = synthJson((s) => new VaultTlsBootstrap(s, "Tls", { ...props, fqdnPolicy: "cilium", kubernetesApi: { hosts: [], cidrs: [], entities: ["kube-apiserver"], source: "test" } }));
  expect(resourcesOf(doc, "kubernetes_network_policy_v1")[0].spec.egress ?? []).toEqual([]);
  const cnp = resourcesOf(doc, "kubernetes_manifest")[0].manifest;
  expect(cnp).toEqual(expect.objectContaining({ apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy" }));
  expect(cnp.spec.egress).toEqual([{ toEntities: ["kube-apiserver"], toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }] }]);
});

test("it mounts no automatic token: a 10-minute API token is mounted into its one container, where its script reads it", () => {
  const job = resourcesOf(synthJson((s) => new VaultTlsBootstrap(s, "Tls", props)), "kubernetes_job_v1")[0];
  const pod = job.spec.template.spec;
  expect(pod.automount_service_account_token).toBe(false);
  const volume = pod.volume.find((v: { name: string }) => v.name === "kube-api");
  expect(volume.projected[0].sources).toEqual([
    { service_account_token: { expiration_seconds: 600, path: "token" } },
    { config_map: [{ name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] }] },
    { downward_api: { items: [{ path: "namespace", field_ref: { field_path: "metadata.namespace" } }] } },
  ]);
  const mount = pod.container[0].volume_mount.find((m: { name: string }) => m.name === "kube-api");
  const script: string = resourcesOf(synthJson((s) => new VaultTlsBootstrap(s, "Tls", props)), "kubernetes_config_map_v1")[0].data["bootstrap.sh"];
  expect(script).toContain(`SA=${mount.mount_path}\n`);
  expect(mount.read_only).toBe(true);
});
