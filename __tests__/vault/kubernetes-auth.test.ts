import { IN_CLUSTER_KUBERNETES_API } from "../../constructs/vault/kubernetes-auth";
import { DEPLOYMENTS, synthesizedStacks } from "../support/deployments";
import { one, resources } from "../support/synthesized";

// Vault reviews every Kubernetes-auth login (TokenReview) through the in-cluster API with its own
// service-account token and CA, on every cloud (issue 12, defect 6). The cluster's public endpoint
// admits only administrators' ranges and Vault's egress would leave through NAT to reach it.
// Upstream facts (hashicorp/vault-plugin-auth-kubernetes v0.20.0, backend.go loadConfig): with
// disable_local_ca_jwt false, an empty kubernetes_ca_cert and token_reviewer_jwt are read from the pod's
// /var/run/secrets/kubernetes.io/serviceaccount/{ca.crt,token}, re-read as they rotate.

describe.each(DEPLOYMENTS.map((d) => d.key))("%s", (key) => {
  test("the auth method's config names the in-cluster API and carries no CA, token or public endpoint", () => {
    const [config] = resources(key, "vault-config", "vault_kubernetes_auth_backend_config");
    expect(config.body.kubernetes_host).toBe(IN_CLUSTER_KUBERNETES_API);
    expect(IN_CLUSTER_KUBERNETES_API).toBe("https://kubernetes.default.svc");
    expect(config.body.disable_local_ca_jwt).toBe(false);
    expect(config.body.kubernetes_ca_cert ?? null).toBeNull();
    expect(config.body.token_reviewer_jwt ?? null).toBeNull();
    // The issuer is still checked, from the cloud stack's contract.
    expect(config.body.disable_iss_validation).toBe(false);
    expect(String(config.raw.issuer)).toMatch(/^(\$\{|https:\/\/)/);
    // Nothing of the cluster's endpoint reaches the vault-config stack.
    const raw = JSON.stringify(Object.entries(synthesizedStacks(key)).find(([id]) => id.endsWith("-vault-config"))![1]);
    expect(raw).not.toMatch(/cluster_endpoint|cluster_host|kubernetes_ca/i);
  });

  test("Vault's pods mount their own service-account token, bound to system:auth-delegator only", () => {
    const set = resources(key, "vault", "kubernetes_stateful_set_v1").find((s) => one(s.body.metadata).name === "vault")!;
    expect(one(one(one(set.body.spec).template).spec).automount_service_account_token).toBe(true);
    const bindings = resources(key, "vault", "kubernetes_cluster_role_binding_v1").filter((b) => one(b.body.metadata).name === "vault-token-reviewer");
    expect(bindings.map((b) => one(b.body.role_ref).name)).toEqual(["system:auth-delegator"]);
  });
});
