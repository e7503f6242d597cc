import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { Testing } from "cdktf";
import { secretsServerImage } from "../../constructs/kubernetes/images";
import { StatefulWorkload } from "../../constructs/kubernetes/stateful-workload";
import {
  VaultAgent,
  databaseCredentialsTemplate,
  kvEnvTemplate,
  pkiCertificateTemplate,
  type VaultAgentProps,
} from "../../constructs/kubernetes/vault-agent";
import { allContainers, resourcesOf, synthJson } from "../support/helpers";
import { nonEmpty } from "../support/non-empty";
import { APP, ZONES } from "./workload-fixtures";

const agentProps: VaultAgentProps = {
  name: "keycloak",
  namespace: "identity",
  role: "keycloak",
  image: secretsServerImage({ vaultDistribution: "vault" }),
  templates: [databaseCredentialsTemplate("db.env", "keycloak"), pkiCertificateTemplate({ role: "keycloak", commonName: "keycloak.identity.svc" })],
};

function workloadWithAgent(props: Partial<VaultAgentProps> = {}) {
  return synthJson((s) => {
    const agent = new VaultAgent(s, "Agent", { ...agentProps, ...props });
    new StatefulWorkload(s, "Keycloak", { name: "keycloak", namespace: "identity", zones: ZONES, containers: [APP], volumeClaims: [{ name: "data", sizeGiB: 1 }], vaultAgent: agent });
  });
}

test("an init container renders before the application and a sidecar renews, both with the restricted context", () => {
  const set = resourcesOf(workloadWithAgent(), "kubernetes_stateful_set_v1")[0];
  const spec = set.spec.template.spec;
  expect(spec.init_container.map((c: { name: string }) => c.name)).toEqual(["vault-agent-init"]);
  expect(spec.container.map((c: { name: string }) => c.name)).toEqual(["app", "vault-agent"]);
  // The certificate's exec runs first over a bundle an earlier run of the pod left (vault-agent-rewrite.test.ts), then the agent.
  const exec = pkiCertificateTemplate({ role: "keycloak", commonName: "keycloak.identity.svc" }).exec!;
  const pre = 'set -eu\nbundle=$1; shift\nif [ -s "$bundle" ] && ! "$@"; then echo "vault-agent-start: publishing $bundle failed; removed, the agent issues anew" >&2; rm -f "$bundle"; fi\n';
  const start = (config: string) => {
    const run = config === "agent-init.json" ? `vault agent -config=/vault/config/${config}\n[ ! -s "$bundle" ] || "$@"\n` : `exec vault agent -config=/vault/config/${config}\n`;
    return ["/bin/sh", "-c", `${pre}${run}`, "vault-agent-start", "/vault/secrets/tls-bundle.pem", ...exec];
  };
  expect(spec.init_container[0].command).toEqual(start("agent-init.json"));
  expect(spec.container[1].command).toEqual(start("agent.json"));
  // Without a template exec, the agent alone.
  const plain = resourcesOf(workloadWithAgent({ templates: [kvEnvTemplate("app.env", "p", ["x"])] }), "kubernetes_stateful_set_v1")[0].spec.template.spec;
  expect(plain.init_container[0].command).toEqual(["vault", "agent", "-config=/vault/config/agent-init.json"]);
  expect(plain.container[1].command).toEqual(["vault", "agent", "-config=/vault/config/agent.json"]);
  for (const c of nonEmpty(allContainers(set), "container")) expect(c.security_context).toEqual(expect.objectContaining({ read_only_root_filesystem: true, run_as_non_root: true }));
});

test("the sidecar is probed on the presence of what it renders", () => {
  const sidecar = resourcesOf(workloadWithAgent(), "kubernetes_stateful_set_v1")[0].spec.template.spec.container[1];
  for (const probe of ["startup_probe", "readiness_probe", "liveness_probe"]) {
    expect(sidecar[probe].exec).toEqual({ command: ["/bin/sh", "-c", "test -s /vault/secrets/db.env"] });
  }
});

test("secrets land in an in-memory volume the application mounts read-only", () => {
  const spec = resourcesOf(workloadWithAgent(), "kubernetes_stateful_set_v1")[0].spec.template.spec;
  expect(spec.volume).toContainEqual({ name: "vault-secrets", empty_dir: { medium: "Memory", size_limit: "16Mi" } });
  expect(spec.container[0].volume_mount).toContainEqual({ name: "vault-secrets", mount_path: "/vault/secrets", read_only: true });
});

test("the pod authenticates with its own service account through a projected, audience-bound token only the agent sees", () => {
  const spec = resourcesOf(workloadWithAgent(), "kubernetes_stateful_set_v1")[0].spec.template.spec;
  expect(spec.automount_service_account_token).toBe(false);
  expect(spec.volume).toContainEqual({
    name: "vault-token",
    projected: [{ default_mode: "0444", sources: [{ service_account_token: { audience: "vault", expiration_seconds: 600, path: "token" } }] }],
  });
  const mountsToken = (c: { volume_mount: { name: string }[] }) => c.volume_mount.some((m) => m.name === "vault-token");
  expect(mountsToken(spec.container[0])).toBe(false);
  expect(mountsToken(spec.container[1])).toBe(true);
});

test("the agent config holds only the role, addresses and template text, and verifies Vault's TLS", () => {
  const cm = resourcesOf(workloadWithAgent(), "kubernetes_config_map_v1")[0];
  const config = JSON.parse(cm.data["agent.json"]);
  expect(config.vault).toEqual({ address: "https://vault.vault.svc:8200", ca_cert: "/vault/tls/ca.crt" });
  expect(config.auto_auth.method).toEqual({ type: "kubernetes", mount_path: "auth/kubernetes", config: { role: "keycloak", token_path: "/var/run/secrets/vault/token" } });
  expect(config.exit_after_auth).toBe(false);
  expect(JSON.parse(cm.data["agent-init.json"]).exit_after_auth).toBe(true);
  expect(config.template.map((t: { destination: string }) => t.destination)).toEqual(["/vault/secrets/db.env", "/vault/secrets/tls-bundle.pem"]);
  expect(config.template[0].contents).toContain('secret "database/creds/keycloak"');
});

test("OpenBao runs the same agent through its bao binary", () => {
  const set = resourcesOf(workloadWithAgent({ image: secretsServerImage({ vaultDistribution: "openbao" }) }), "kubernetes_stateful_set_v1")[0];
  expect(set.spec.template.spec.init_container[0].command[2]).toMatch(/\nbao agent -config=\/vault\/config\/agent-init.json\n/);
});

test("one template per agent may have an exec, and it is not empty", () => {
  const cert = pkiCertificateTemplate({ role: "keycloak", commonName: "keycloak.identity.svc" });
  expect(() => workloadWithAgent({ templates: [cert, { ...cert, fileName: "other.pem" }] })).toThrow(/'tls-bundle.pem', 'other.pem' each have an exec; give one/);
  expect(() => workloadWithAgent({ templates: [{ ...cert, exec: [] }] })).toThrow(/'tls-bundle.pem' has an empty exec/);
});

test("a template without a {{ }} action (a literal) is refused, as are bad or duplicate file names", () => {
  expect(() => workloadWithAgent({ templates: [{ fileName: "pw", contents: "hunter2" }] })).toThrow(/no \{\{ \}\} action/);
  expect(() => workloadWithAgent({ templates: [{ fileName: "../etc/x", contents: "{{ . }}" }] })).toThrow(/plain file name/);
  expect(() => workloadWithAgent({ templates: [kvEnvTemplate("a", "p", ["x"]), kvEnvTemplate("a", "p", ["y"])] })).toThrow(/twice/);
  expect(() => workloadWithAgent({ templates: [] })).toThrow(/at least one template/);
});

test("template helpers read the paths the vault-config stack grants", () => {
  expect(kvEnvTemplate("app.env", "services/cache/redis", ["api_key"]).contents).toBe(
    '{{- with secret "kv/data/services/cache/redis" -}}\nAPI_KEY={{ .Data.data.api_key }}\n{{- end }}\n',
  );
  // A field Go's templates cannot name as `.field` would not parse in the agent.
  expect(() => kvEnvTemplate("app.env", "services/cache/redis", ["api-key"])).toThrow(/'api-key' .*letters, digits and _/);
  const cert = pkiCertificateTemplate({ role: "redis", commonName: "redis.cache.svc", altNames: ["redis"] }).contents;
  expect(cert).toContain('pkiCert "pki-int/issue/redis" "common_name=redis.cache.svc" "ttl=72h" "alt_names=redis"');
  // The template writes its destination only (AtomicWrite); writeToFile would rewrite tls.key in place (vault-agent-rewrite.test.ts).
  expect(cert).not.toContain("writeToFile");
});

test("the certificate's template publishes tls.key, tls.crt and ca.crt by its exec, after each render that changed the bundle, in the agent's configuration", () => {
  const cert = pkiCertificateTemplate({ role: "redis", commonName: "redis.cache.svc" });
  expect(cert.exec?.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
  expect(cert.exec?.slice(3)).toEqual(["publish-tls", "/vault/secrets/tls-bundle.pem", "/vault/secrets"]);
  const stack = Testing.synthScope((s) => new VaultAgent(s, "A", { ...agentProps, templates: [cert] }));
  const data = Object.values(JSON.parse(stack).resource.kubernetes_config_map_v1 as Record<string, { data: Record<string, string> }>)[0].data;
  for (const file of ["agent-init.json", "agent.json"]) {
    const [t] = JSON.parse(data[file]).template;
    expect(t).toMatchObject({ destination: "/vault/secrets/tls-bundle.pem", perms: "0400", exec: { command: cert.exec, timeout: "30s" } });
  }
});

test("ca.crt and the chain in tls.crt come from cert/ca_chain, never from .CA; the destination caches key and chain (rendering: vault-agent-templates.test.ts)", () => {
  const cert = pkiCertificateTemplate({ role: "redis", commonName: "redis.cache.svc" });
  expect(cert.fileName).toBe("tls-bundle.pem");
  expect(cert.perms).toBe("0400");
  expect(cert.contents).toContain('{{- with secret "pki-int/cert/ca_chain" -}}{{- $chain = .Data.certificate -}}');
  expect(cert.contents).not.toContain(".CA");
  expect(cert.contents).toContain('{{- printf "%s%s%s\\n" .Key .Cert $chain -}}');
});

test("the agent config map is the only object it adds", () => {
  expect(Testing.synthScope((s) => new VaultAgent(s, "A", agentProps))).toHaveResourceWithProperties(ConfigMapV1, {
    metadata: expect.objectContaining({ name: "keycloak-vault-agent", namespace: "identity" }),
  });
});

test("leased database credentials are rendered by the sidecar only: the init container would take a second lease nobody renews", () => {
  const cm = (t: typeof agentProps.templates) => resourcesOf(synthJson((s) => void new VaultAgent(s, "A", { ...agentProps, templates: t })), "kubernetes_config_map_v1")[0];
  const data = cm(agentProps.templates).data;
  expect(JSON.parse(data["agent-init.json"]).template.map((t: { destination: string }) => t.destination)).toEqual(["/vault/secrets/tls-bundle.pem"]);
  expect(JSON.parse(data["agent.json"]).template.map((t: { destination: string }) => t.destination)).toEqual(["/vault/secrets/db.env", "/vault/secrets/tls-bundle.pem"]);
  const leasedInInit = { ...databaseCredentialsTemplate("db.env", "keycloak"), sidecarOnly: false };
  expect(() => cm([leasedInInit])).toThrow(/'db.env' takes database credentials: set sidecarOnly/);
});
