import { IN_CLUSTER_KUBERNETES_API } from "../../constructs/vault/kubernetes-auth";
import { KUBERNETES_AUTH_LOCAL_CREDENTIALS } from "../../constructs/vault/vault-server";
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

  test("Vault's server container mounts its own short-lived service-account token where the plugin reads it, bound to system:auth-delegator only", () => {
    const set = resources(key, "vault", "kubernetes_stateful_set_v1").find((s) => one(s.body.metadata).name === "vault")!;
    const pod = one(one(one(set.body.spec).template).spec);
    // No automounted token: a projected one, for the API server's audience, in the server container only.
    expect(pod.automount_service_account_token).toBe(false);
    const server = (pod.container as { name: string; volume_mount: { name: string; mount_path: string }[] }[]).find((c) => c.name === "vault")!;
    expect(server.volume_mount).toContainEqual(expect.objectContaining({ name: "kube-api", mount_path: KUBERNETES_AUTH_LOCAL_CREDENTIALS.path }));
    const volume = (pod.volume as { name: string; projected?: { sources: { service_account_token?: { expiration_seconds: number }[] }[] }[] }[]).find((v) => v.name === "kube-api")!;
    const token = volume.projected![0].sources.flatMap((src) => src.service_account_token ?? [])[0];
    expect(token.expiration_seconds).toBe(KUBERNETES_AUTH_LOCAL_CREDENTIALS.tokenExpirationSeconds);
    const bindings = resources(key, "vault", "kubernetes_cluster_role_binding_v1").filter((b) => one(b.body.metadata).name === "vault-token-reviewer");
    expect(bindings.map((b) => one(b.body.role_ref).name)).toEqual(["system:auth-delegator"]);
  });
});
