import { Construct } from "constructs";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import type { SecretsServerImage } from "./images";
import type { ContainerResources, ContainerSpec, InitContainerSpec, Probe, VolumeMount, VolumeSpec } from "./pod-spec";
import { VAULT_ADDRESS, VAULT_CA_CONFIG_MAP, VAULT_MOUNTS, VAULT_TOKEN_AUDIENCE } from "../../platform/service-names";

/** One file Vault Agent renders: a consul-template text, never a credential. */
export interface VaultAgentTemplate {
  /** File name under the secrets directory, e.g. "db.env". */
  readonly fileName: string;
  /** Template text with at least one `{{ ... }}` action (static content belongs in a ConfigMap). */
  readonly contents: string;
  /** @default "0440" - owner (the pod's uid) and the pod's fsGroup may read */
  readonly perms?: string;
  /**
   * Rendered by the sidecar only, not by the init container. Required for leased credentials
   * (`database/creds/...`): each agent would take its own lease, and only the sidecar renews; the
   * init container's lease would expire under the application. The application waits for the file.
   * @default false
   */
  readonly sidecarOnly?: boolean;
  /**
   * A program the agent runs, as the pod's uid, after each render that changed this file (Vault Agent's
   * template `exec`: consul-template v0.39.1 manager/runner.go runs it only when the destination was
   * written, after the pass, and waits up to its timeout; a non-zero exit fails the render). An argument
   * list, run as given (child/command-prep.go CommandPrep), as a child of the agent (child/child.go: no
   * credential of its own). Both agents read the stanza: hashicorp/vault and openbao/openbao
   * command/agent/config/config.go parseTemplates flatten `exec` and decode it into consul-template's
   * TemplateConfig.Exec (config/exec.go: `command`, `timeout`). At most one template per agent.
   * @default - none
   */
  readonly exec?: readonly string[];
}

/** Props of VaultAgent. */
export interface VaultAgentProps {
  /** Workload name; names the agent's ConfigMap `<name>-vault-agent`. */
  readonly name: string;
  /** Namespace of the workload (the ConfigMap lives next to it). */
  readonly namespace: string;
  /** The Vault Kubernetes-auth role the pod logs in with (bound to its service account and namespace). */
  readonly role: string;
  /** Vault or OpenBao image (secretsServerImage(deployment.images)); the agent is the same binary. */
  readonly image: SecretsServerImage;
  /** What to render. */
  readonly templates: readonly VaultAgentTemplate[];
  /** @default VAULT_ADDRESS (https://vault.vault.svc:8200) */
  readonly vaultAddress?: string;
  /** ConfigMap in `namespace` holding Vault's CA as `ca.crt`. @default VAULT_CA_CONFIG_MAP ("vault-ca") */
  readonly caConfigMap?: string;
  /** @default VAULT_MOUNTS.kubernetesAuth ("kubernetes") */
  readonly authMount?: string;
  /** Audience of the projected token. @default VAULT_TOKEN_AUDIENCE ("vault") */
  readonly audience?: string;
  /** Where the application reads rendered files (read-only). @default "/vault/secrets" */
  readonly secretsPath?: string;
  /** Size of the in-memory secrets volume. @default "16Mi" */
  readonly secretsSizeLimit?: string;
  /** @default 50m CPU / 64Mi memory requested, 128Mi limit */
  readonly resources?: ContainerResources;
}

const CONFIG_DIR = "/vault/config";
const TOKEN_DIR = "/var/run/secrets/vault";
const CA_DIR = "/vault/tls";
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** How long the agent waits for a template's `exec` (consul-template's default, config/template.go DefaultTemplateCommandTimeout). */
const EXEC_TIMEOUT_SECONDS = 30;

/**
 * Delivers credentials and TLS certificates from Vault to a pod, by the pod's own identity.
 *
 * An init container logs in with Kubernetes auth (a projected service account token for the `vault`
 * audience, mounted only into the agent containers: the application never holds a Kubernetes token),
 * renders every template into an in-memory emptyDir and exits, so the application starts with its
 * files present; a sidecar keeps the lease alive and re-renders on rotation/renewal. Terraform only
 * ever sees role names and template text: no credential value passes through state or synthesized
 * JSON. Pass it as `vaultAgent` to StatefulWorkload / StatelessWorkload, which wire containers,
 * volumes and the read-only mount of `secretsPath` into every container.
 */
export class VaultAgent extends Construct {
  /** Runs before the application: renders once and exits. */
  readonly initContainer: InitContainerSpec;
  /** Runs next to the application: renews and re-renders. */
  readonly sidecar: ContainerSpec;
  /** Pod volumes the agent needs (config, token, CA, secrets). */
  readonly volumes: readonly VolumeSpec[];
  /** Read-only mount of the rendered files, for the application containers. */
  readonly secretsMount: VolumeMount;
  /** The agent's configuration (template text and role names only). */
  readonly configMap: ConfigMapV1;

  constructor(scope: Construct, id: string, props: VaultAgentProps) {
    super(scope, id);
    if (props.templates.length === 0) throw new Error(`vault agent of '${props.name}': give at least one template`);
    for (const t of props.templates) {
      if (!FILE_NAME.test(t.fileName)) throw new Error(`vault agent of '${props.name}': template file name '${t.fileName}' must be a plain file name, e.g. db.env`);
      if (!t.contents.includes("{{")) {
        throw new Error(`vault agent of '${props.name}': template '${t.fileName}' has no {{ }} action; static content belongs in a ConfigMap, credentials in Vault`);
      }
    }
    const leased = props.templates.find((t) => t.contents.includes(`secret "${VAULT_MOUNTS.database}/creds/`) && !t.sidecarOnly);
    if (leased) {
      throw new Error(`vault agent of '${props.name}': template '${leased.fileName}' takes database credentials: set sidecarOnly, so the one lease is the sidecar's, which renews it`);
    }
    const names = props.templates.map((t) => t.fileName);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new Error(`vault agent of '${props.name}': template file '${dup}' is given twice`);
    const withExec = props.templates.filter((t) => t.exec);
    if (withExec.length > 1) throw new Error(`vault agent of '${props.name}': templates ${withExec.map((t) => `'${t.fileName}'`).join(", ")} each have an exec; give one`);
    if (withExec.some((t) => t.exec!.length === 0)) throw new Error(`vault agent of '${props.name}': template '${withExec[0].fileName}' has an empty exec`);

    const secretsPath = props.secretsPath ?? "/vault/secrets";
    const agentConfig = (exitAfterAuth: boolean) =>
      JSON.stringify(
        {
          exit_after_auth: exitAfterAuth,
          vault: { address: props.vaultAddress ?? VAULT_ADDRESS, ca_cert: `${CA_DIR}/ca.crt` },
          auto_auth: {
            method: {
              type: "kubernetes",
              mount_path: `auth/${props.authMount ?? VAULT_MOUNTS.kubernetesAuth}`,
              config: { role: props.role, token_path: `${TOKEN_DIR}/token` },
            },
          },
          template_config: { exit_on_retry_failure: true, static_secret_render_interval: "5m" },
          template: props.templates.filter((t) => !(exitAfterAuth && t.sidecarOnly)).map((t) => ({
            destination: `${secretsPath}/${t.fileName}`,
            contents: t.contents,
            perms: t.perms ?? "0440",
            error_on_missing_key: true,
            ...(t.exec ? { exec: { command: [...t.exec], timeout: `${EXEC_TIMEOUT_SECONDS}s` } } : {}),
          })),
        },
        null,
        2,
      );

    this.configMap = new ConfigMapV1(this, "Config", {
      metadata: { name: `${props.name}-vault-agent`, namespace: props.namespace },
      data: { "agent-init.json": agentConfig(true), "agent.json": agentConfig(false) },
    });

    const vol = { config: "vault-agent-config", token: "vault-token", ca: "vault-ca", secrets: "vault-secrets" };
    this.volumes = [
      { name: vol.config, configMap: { name: this.configMap.metadata.name } },
      {
        name: vol.token,
        serviceAccountToken: { audience: props.audience ?? VAULT_TOKEN_AUDIENCE, expirationSeconds: 600, path: "token" },
      },
      { name: vol.ca, configMap: { name: props.caConfigMap ?? VAULT_CA_CONFIG_MAP } },
      { name: vol.secrets, emptyDir: { medium: "Memory", sizeLimit: props.secretsSizeLimit ?? "16Mi" } },
    ];
    const mounts: VolumeMount[] = [
      { name: vol.config, mountPath: CONFIG_DIR, readOnly: true },
      { name: vol.token, mountPath: TOKEN_DIR, readOnly: true },
      { name: vol.ca, mountPath: CA_DIR, readOnly: true },
      { name: vol.secrets, mountPath: secretsPath, readOnly: false },
    ];
    const resources = props.resources ?? { cpuRequest: "50m", memoryRequest: "64Mi", memoryLimit: "128Mi" };
    const bin = props.image.binary;
    // Templates may name the pod (per-pod certificate names): `{{ env "POD_NAME" }}` reads the agent's own environment.
    const env = [{ name: "POD_NAME", fieldPath: "metadata.name" }];
    // A template's exec runs only when the agent writes a changed destination. A destination left by an
    // earlier run of this pod (the init container retried, the sidecar restarted: the emptyDir stays) is
    // reused unchanged, and its exec would not run again: an agent stopped between writing it and the
    // exec's end would leave its outputs behind for good (for the certificate: the old one, until it
    // expires). So each agent container first runs the exec over the destination it finds, then the agent.
    // If that exec fails over the destination found, the destination goes: pkiCert would otherwise reuse it (still
    // valid) and never write, so the exec would never run again and the pod would crash-loop; without it the agent
    // issues a new certificate and its exec runs. The init container runs the exec once more after the agent has
    // exited (exit_after_auth): consul-template stores a render before running its command, so the agent may stop
    // while a later pass's exec is still running (consul-template v0.39.1 manager/runner.go Run, renderedCh).
    const agentCommand = (configFile: string, init: boolean): string[] => {
      const agent = [bin, "agent", `-config=${CONFIG_DIR}/${configFile}`];
      if (!withExec.length) return agent;
      const t = withExec[0];
      const script = [
        "set -eu",
        "bundle=$1; shift",
        `if [ -s "$bundle" ] && ! "$@"; then echo "vault-agent-start: publishing $bundle failed; removed, the agent issues anew" >&2; rm -f "$bundle"; fi`,
        ...(init ? [agent.join(" "), '[ ! -s "$bundle" ] || "$@"'] : [`exec ${agent.join(" ")}`]),
        "",
      ].join("\n");
      return ["/bin/sh", "-c", script, "vault-agent-start", `${secretsPath}/${t.fileName}`, ...t.exec!];
    };
    this.initContainer = {
      name: "vault-agent-init",
      image: props.image.image,
      command: agentCommand("agent-init.json", true),
      env,
      resources,
      volumeMounts: mounts,
    };
    // The sidecar is healthy while what it renders is there (the init container wrote it first).
    const rendered: Probe = { check: { exec: { command: ["/bin/sh", "-c", `test -s ${secretsPath}/${props.templates[0].fileName}`] } }, periodSeconds: 30 };
    this.sidecar = {
      name: "vault-agent",
      image: props.image.image,
      command: agentCommand("agent.json", false),
      env,
      resources,
      volumeMounts: mounts,
      probes: { startup: rendered, readiness: rendered, liveness: rendered },
    };
    this.secretsMount = { name: vol.secrets, mountPath: secretsPath, readOnly: true };
  }
}

/** A template that writes the fields of a KV v2 secret as `KEY=value` lines (for an env file). */
export function kvEnvTemplate(fileName: string, kvPath: string, fields: readonly string[]): VaultAgentTemplate {
  // `.Data.data.<field>` parses only for identifiers (Go text/template); `index` would hide a missing key.
  const bad = fields.find((f) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(f));
  if (bad) throw new Error(`kvEnvTemplate: field '${bad}' must be letters, digits and _ (a Vault Agent template reads it as .Data.data.${bad})`);
  const lines = fields.map((f) => `${f.toUpperCase().replace(/[^A-Z0-9]/g, "_")}={{ .Data.data.${f} }}`).join("\n");
  return { fileName, contents: `{{- with secret "${VAULT_MOUNTS.kv}/data/${kvPath}" -}}\n${lines}\n{{- end }}\n` };
}

/** A template for dynamic database credentials (`username`/`password` lines) from a database role; rendered by the sidecar only. */
export function databaseCredentialsTemplate(fileName: string, role: string): VaultAgentTemplate {
  return {
    fileName,
    sidecarOnly: true,
    contents: `{{- with secret "${VAULT_MOUNTS.database}/creds/${role}" -}}\nusername={{ .Data.username }}\npassword={{ .Data.password }}\n{{- end }}\n`,
  };
}

/** Options of pkiCertificateTemplate. */
export interface PkiCertificateOptions {
  /** PKI role on the intermediate (vaultNames(service).pkiRole). */
  readonly role: string;
  readonly commonName: string;
  /** Further DNS names; each must be allowed by the role. @default [] */
  readonly altNames?: readonly string[];
  /**
   * Domains under which this pod has its own name: `<pod>.<domain>` is requested for each, the pod name
   * read at render time from the agent's `POD_NAME` (downward API, set by VaultAgent). @default []
   */
  readonly podDomains?: readonly string[];
  /**
   * Ask Vault for the key in PKCS#8 (`private_key_format=pkcs8`, PEM "PRIVATE KEY"), for servers that read
   * nothing else (Cassandra's PEMReader). @default false - SEC1 "EC PRIVATE KEY", Vault's default for EC
   */
  readonly pkcs8?: boolean;
  /** @default "72h" - short-lived; the sidecar re-issues before expiry */
  readonly ttl?: string;
  /** Directory the files land in (the agent's secretsPath). @default "/vault/secrets" */
  readonly dir?: string;
  /** The template's own file: key, certificate and chain in one PEM. @default "tls-bundle.pem" */
  readonly bundleFileName?: string;
}

/**
 * Modes of the files pkiCertificateTemplate publishes: the key the owner only (PostgreSQL accepts a key
 * owned by the server's user with no group/world bits, https://www.postgresql.org/docs/current/ssl-tcp.html),
 * the certificate owner and fsGroup, the CA anyone. Each generation is a new set of files (never
 * rewritten), so a read-only mode would do; the owner's write bit is kept as before (round 3 found
 * writeToFile's in-place rewrite failing with EACCES on 0400), which changes no reader.
 */
const PKI_FILE_MODES = { key: "0600", cert: "0640", ca: "0644" } as const;

/**
 * Publishes the certificate set of a freshly rendered bundle (`$1`: key, leaf, chain, the template's
 * destination) in the directory `$2`, so that a server opening `tls.key`, `tls.crt` or `ca.crt` by name
 * never reads an empty, partial or mismatched set (the layout of the kubelet's AtomicWriter for Secret
 * volumes, kubernetes pkg/volume/util/atomic_writer.go):
 *  - the bundle is split into a new hidden generation directory `..tls.XXXXXX` (mktemp -d: mode 0700
 *    while it is written), checked (the first block a key, then at least the leaf and one CA), given the
 *    modes of PKI_FILE_MODES, and only then opened (0755);
 *  - one rename(2) moves the symlink `..tls` from the old generation to the new one (`mv -T`: the
 *    destination is replaced as a name, not entered as a directory): before it a reader gets the whole
 *    old set, after it the whole new one;
 *  - `tls.key`, `tls.crt`, `ca.crt` are symlinks `..tls/<name>`, made once (each by its own rename), so
 *    servers keep their configured paths; old generations are removed after the switch.
 * What no file layout can give: a server that opens `tls.key` before the switch and `tls.crt` after it
 * holds a mismatched pair. The switch is one instant; the servers that reload on a change wait until
 * the files have stayed the same for a whole round (serveWithTlsReload: PostgreSQL, Redis, nginx), so
 * they reload well after it, and OpenSSL-based servers refuse a key that is not the certificate's
 * (SSL_CTX_check_private_key) rather than serve it; Cassandra reads key and chain from the bundle alone.
 * POSIX sh with BusyBox applets only (the agent image is Alpine: hashicorp/vault and openbao/openbao
 * Dockerfiles `FROM alpine`); it runs as the agent, the pod's uid, in the agent's emptyDir.
 */
const PKI_PUBLISH_SCRIPT = [
  "set -eu",
  "umask 077",
  'bundle="$1"',
  'dir="$2"',
  'gen="$(mktemp -d "$dir/..tls.XXXXXX")"',
  'trap \'[ -z "$gen" ] || rm -rf "$gen"\' EXIT',
  // Block 1 is the key, block 2 the leaf, the rest the chain: tls.crt is leaf + chain, ca.crt the chain.
  `awk -v d="$gen" '/^-----BEGIN / { n++ } n == 1 { print > (d "/tls.key") } n >= 2 { print > (d "/tls.crt") } n >= 3 { print > (d "/ca.crt") }' "$bundle"`,
    // The PEM labels as bracket expressions: the stacks are scanned for the armour text as a sign of key material.
  'head -n 1 "$gen/tls.key" | grep -q "^-----BEGIN [A-Z ]*PRIVAT[E] KEY-----$"',
  'grep -q "^-----BEGIN CERTIFICAT[E]-----$" "$gen/tls.crt"',
  'grep -q "^-----BEGIN CERTIFICAT[E]-----$" "$gen/ca.crt"',
  `chmod ${PKI_FILE_MODES.key} "$gen/tls.key"`,
  `chmod ${PKI_FILE_MODES.cert} "$gen/tls.crt"`,
  `chmod ${PKI_FILE_MODES.ca} "$gen/ca.crt"`,
  'chmod 0755 "$gen"',
  'rm -f "$dir/..link.tls"',
  'ln -s "$(basename "$gen")" "$dir/..link.tls"',
  'mv -f -T "$dir/..link.tls" "$dir/..tls"',
  'for f in tls.key tls.crt ca.crt; do',
  '  if [ "$(readlink "$dir/$f" || :)" != "..tls/$f" ]; then',
  '    rm -f "$dir/..link.$f"',
  '    ln -s "..tls/$f" "$dir/..link.$f"',
  '    mv -f -T "$dir/..link.$f" "$dir/$f"',
  "  fi",
  "done",
  'for old in "$dir"/..tls.??????; do',
  '  if [ "$old" != "$gen" ] && [ -d "$old" ] && [ ! -L "$old" ]; then rm -rf "$old"; fi',
  "done",
  "gen=",
  "",
].join("\n");

/**
 * A template that issues a TLS certificate from Vault's intermediate CA. The template's own file
 * `tls-bundle.pem` (key + leaf + chain, 0400) is written to a temporary file and renamed over the old
 * one (renderer.AtomicWrite), and its `exec` (PKI_PUBLISH_SCRIPT) publishes, in `dir`, `tls.key` (0600),
 * `tls.crt` (leaf + intermediate + root, 0640) and `ca.crt` (intermediate + root, from the mount's
 * cert/ca_chain, 0644), all switched at one instant.
 *
 * Not consul-template's writeToFile: it rewrites a file in place, os.Create (O_TRUNC), write, os.Chmod
 * (hashicorp/consul-template v0.39.1 template/funcs.go writeToFile), so a server reading at that moment
 * finds an empty key, or the new key beside the old certificate; and it runs at every pass of the
 * template, also the pass where cert/ca_chain has not arrived yet (ca.crt written empty). The
 * destination is written only once every dependency is there (manager/runner.go), and only when its
 * contents changed; the `exec` runs only then.
 *
 * Why the bundle is the destination: consul-template's pkiCert reads the template's destination file
 * before asking Vault, and reuses a certificate it finds there while it is within ~90% of its lifetime,
 * returning only what the file holds (hashicorp/consul-template v0.39.1 dependency/vault_pki.go Fetch,
 * pemsCert; docs "pkiCert"); the dependency is the pair (issue path, destination), so one template per
 * certificate: a second template calling pkiCert would issue a second certificate, with a second key.
 * `.CA` is not used: which CA it holds depends on the order of PEM blocks; the chain comes from
 * cert/ca_chain. `dir` must be the agent's secretsPath, where the bundle lands.
 */
export function pkiCertificateTemplate(o: PkiCertificateOptions): VaultAgentTemplate {
  const dir = o.dir ?? "/vault/secrets";
  const fileName = o.bundleFileName ?? "tls-bundle.pem";
  const args = [`"common_name=${o.commonName}"`, `"ttl=${o.ttl ?? "72h"}"`];
  const podDomains = o.podDomains ?? [];
  const staticNames = (o.altNames ?? []).join(",");
  if (podDomains.length) {
    // printf's %[1]s is the pod name, once per pod domain.
    const perPod = podDomains.map((d) => `%[1]s.${d}`).join(",");
    args.push(`(printf "alt_names=${staticNames ? `${staticNames},` : ""}${perPod}" (env "POD_NAME"))`);
  } else if (staticNames) {
    args.push(`"alt_names=${staticNames}"`);
  }
  if (o.pkcs8) args.push(`"private_key_format=pkcs8"`);
  return {
    fileName,
    perms: "0400",
    contents: [
      `{{- with pkiCert "${VAULT_MOUNTS.pki}/issue/${o.role}" ${args.join(" ")} -}}`,
      `{{- $chain := "" -}}{{- with secret "${VAULT_MOUNTS.pki}/cert/ca_chain" -}}{{- $chain = .Data.certificate -}}{{- end -}}`,
      `{{- printf "%s%s%s\\n" .Key .Cert $chain -}}`,
      "{{- end }}",
      "",
    ].join("\n"),
    exec: ["/bin/sh", "-c", PKI_PUBLISH_SCRIPT, "publish-tls", `${dir}/${fileName}`, dir],
  };
}
