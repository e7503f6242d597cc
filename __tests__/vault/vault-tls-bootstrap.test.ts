import { JobV1 } from "@cdktf/provider-kubernetes/lib/job-v1";
import { Testing } from "cdktf";
import { VaultTlsBootstrap, type VaultTlsBootstrapProps } from "../../constructs/vault/vault-tls-bootstrap";
import { resourcesOf, synthJson } from "../kubernetes/helpers";

const props: VaultTlsBootstrapProps = {
  namespace: "vault",
  caNamespaces: ["vault", "identity"],
  dnsNames: ["vault.vault.svc", "*.vault-headless.vault.svc"],
  image: "docker.io/cfssl/cfssl:v1.6.5",
  deploymentName: "demo",
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
  for (const r of roles.filter((x) => x !== secretRole)) expect(r.rule[1]).toEqual({ api_groups: [""], resources: ["configmaps"], resource_names: ["vault-ca"], verbs: ["get", "update"] });
});

test("its pod may only reach the API server port", () => {
  const policy = resourcesOf(synthJson((s) => new VaultTlsBootstrap(s, "Tls", props)), "kubernetes_network_policy_v1")[0];
  expect(policy.spec.egress).toEqual([{ to: [{ ip_block: { cidr: "0.0.0.0/0" } }], ports: [{ port: "443", protocol: "TCP" }] }]);
  expect(policy.spec.ingress).toBeUndefined();
  expect(policy.spec.policy_types).toEqual(["Ingress", "Egress"]);
});
