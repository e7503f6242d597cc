import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { SYNTH_DIR_ENV } from "./deployments";
import { literal, many, one, resolveReference, resources, strings, type Json, type JsonObject, type Resource } from "./synthesized";

/**
 * Vault Agent's side of a pod, read from the synthesized JSON of a shipped deployment, and rendered by
 * Go's own text/template with consul-template's functions (./vault-agent/main.go, which cites its
 * upstream sources) in front of a model of the Vault the vault-config stack configures.
 */

/** One Vault Agent `template` stanza, as the synthesized agent configuration holds it. */
export interface AgentTemplate {
  readonly destination: string;
  readonly contents: string;
  readonly perms?: string;
  readonly error_on_missing_key?: boolean;
  /** Run after each render that changed the destination (consul-template config/exec.go). */
  readonly exec?: { readonly command: readonly string[]; readonly timeout?: string };
}

/** A Vault Agent configuration file (agent-init.json or agent.json). */
export interface AgentConfig {
  readonly exit_after_auth: boolean;
  readonly vault: { readonly address: string; readonly ca_cert: string };
  readonly auto_auth: { readonly method: { readonly type: string; readonly mount_path: string; readonly config: { readonly role: string; readonly token_path: string } } };
  readonly template: readonly AgentTemplate[];
}

/** A container of a synthesized pod. */
export interface PodContainer {
  readonly name: string;
  readonly command: readonly string[];
  readonly env: readonly { readonly name: string; readonly value?: string; readonly fieldPath?: string }[];
  readonly body: JsonObject;
}

/** A synthesized pod that runs Vault Agent. */
export interface AgentPod {
  /** Workload kind and name, e.g. "kubernetes_stateful_set_v1 postgresql". */
  readonly id: string;
  readonly kind: "kubernetes_stateful_set_v1" | "kubernetes_deployment_v1";
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly serviceAccount: string;
  /** The projected token's audience (the `vault-token` volume). */
  readonly tokenAudience: string;
  readonly initContainers: readonly PodContainer[];
  readonly containers: readonly PodContainer[];
  readonly volumes: readonly JsonObject[];
  /** The pod's security context (`run_as_user`, `run_as_group`, `fs_group`, ...), as synthesized. */
  readonly securityContext: JsonObject;
  readonly init: AgentConfig;
  readonly sidecar: AgentConfig;
  /** The pod names it runs as (StatefulSet: `<name>-<ordinal>`). */
  readonly podNames: readonly string[];
}

function container(c: JsonObject): PodContainer {
  return {
    name: String(c.name),
    command: strings(c.command),
    env: many(c.env).map((e) => ({ name: String(e.name), value: typeof e.value === "string" ? e.value : undefined, fieldPath: one(one(e.value_from).field_ref).field_path as string | undefined })),
    body: c,
  };
}

/** Every pod of a shipped deployment's platform stack that runs Vault Agent. */
export function agentPods(key: string): AgentPod[] {
  const configMaps = resources(key, "platform", "kubernetes_config_map_v1");
  const workloads: Resource[] = [...resources(key, "platform", "kubernetes_stateful_set_v1"), ...resources(key, "platform", "kubernetes_deployment_v1")];
  const pods: AgentPod[] = [];
  for (const w of workloads) {
    const meta = one(w.body.metadata);
    const spec = one(w.body.spec);
    const podSpec = one(one(spec.template).spec);
    const rawPodSpec = one(one(one(w.raw.spec).template).spec);
    const volumes = many(podSpec.volume);
    const i = volumes.findIndex((v) => v.name === "vault-agent-config");
    if (i < 0) continue;
    const cmName = String(literal(key, "platform", one(volumes[i].config_map).name, one(many(rawPodSpec.volume)[i].config_map).name));
    const namespace = String(meta.namespace);
    const cm = configMaps.find((c) => one(c.body.metadata).name === cmName && one(c.body.metadata).namespace === namespace);
    if (!cm) throw new Error(`${key}: ${w.type} ${meta.name} mounts ConfigMap ${cmName}, which the stack does not create`);
    const data = one(cm.body.data);
    const token = volumes.find((v) => v.name === "vault-token");
    const audience = String(one(one(many(one(token?.projected).sources)[0]).service_account_token).audience ?? "");
    const replicas = Number(spec.replicas ?? 1);
    const name = String(meta.name);
    const kind = w.type as AgentPod["kind"];
    pods.push({
      id: `${kind} ${name}`,
      kind,
      name,
      namespace,
      replicas,
      serviceAccount: String(literal(key, "platform", podSpec.service_account_name, rawPodSpec.service_account_name)),
      tokenAudience: audience,
      initContainers: many(podSpec.init_container).map(container),
      containers: many(podSpec.container).map(container),
      volumes,
      securityContext: one(podSpec.security_context),
      init: JSON.parse(String(data["agent-init.json"])) as AgentConfig,
      sidecar: JSON.parse(String(data["agent.json"])) as AgentConfig,
      podNames: Array.from({ length: replicas }, (_, i) => (kind === "kubernetes_stateful_set_v1" ? `${name}-${i}` : `${name}-6c9d8b7f5d-${"qwxyz"[i % 5]}k${i}p2`)),
    });
  }
  return pods;
}

/** A PKI role as the vault-config stack synthesized it (the settings Vault's issuance reads). */
export type PkiRoleSettings = JsonObject;

/** What the vault-config stack makes Vault hold, read from its synthesized JSON. */
export interface VaultWorld {
  readonly pki: {
    readonly mount: string;
    readonly root: { common_name: string; key_type: string; key_bits: number; ttl: string };
    readonly intermediate: { common_name: string; key_type: string; key_bits: number; ttl: string };
    readonly roles: Readonly<Record<string, PkiRoleSettings>>;
  };
  readonly kvMounts: readonly string[];
  readonly database: { readonly mount: string; readonly roles: Readonly<Record<string, JsonObject>>; readonly connection: JsonObject };
  /** Policy name -> rules. */
  readonly policies: Readonly<Record<string, readonly { path: string; capabilities: string[] }[]>>;
  /** Kubernetes-auth role name -> its binding and policies. */
  readonly authRoles: Readonly<Record<string, { serviceAccounts: string[]; namespaces: string[]; audience: string; policies: string[] }>>;
}

/** The rules of a Vault ACL policy text (`path "x" { capabilities = [...] }`). */
export function policyRules(hcl: string): { path: string; capabilities: string[] }[] {
  return [...hcl.matchAll(/path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}/g)].map((m) => ({
    path: m[1],
    capabilities: [...m[2].matchAll(/"([^"]+)"/g)].map((c) => c[1]),
  }));
}

/** The Vault a shipped deployment's vault-config stack configures. */
export function vaultWorld(key: string): VaultWorld {
  const r = (type: string) => resources(key, "vault-config", type);
  const ref = (e: Json) => resolveReference(key, "vault-config", e);
  const mounts = r("vault_mount").map((m) => m.body);
  const pkiRoles = r("vault_pki_secret_backend_role");
  const pkiMounts = new Set(pkiRoles.map((role) => String(ref(role.raw.backend))));
  if (pkiMounts.size !== 1) throw new Error(`${key}: PKI roles on ${[...pkiMounts].join(", ")}: expected one issuing mount`);
  const root = one(r("vault_pki_secret_backend_root_cert")[0]?.body);
  const csr = one(r("vault_pki_secret_backend_intermediate_cert_request")[0]?.body);
  const signed = one(r("vault_pki_secret_backend_root_sign_intermediate")[0]?.body);
  const dbMount = mounts.find((m) => m.type === "database");
  const policies = Object.fromEntries(r("vault_policy").map((p) => [String(p.body.name), policyRules(String(p.body.policy))]));
  const policyName = (e: Json) => (typeof e === "string" && e.startsWith("${") ? String(ref(e)) : String(e));
  return {
    pki: {
      mount: [...pkiMounts][0],
      root: { common_name: String(root.common_name), key_type: String(root.key_type), key_bits: Number(root.key_bits), ttl: String(root.ttl) },
      intermediate: { common_name: String(csr.common_name), key_type: String(csr.key_type), key_bits: Number(csr.key_bits), ttl: String(signed.ttl) },
      roles: Object.fromEntries(pkiRoles.map((role) => [String(role.body.name), role.body])),
    },
    kvMounts: mounts.filter((m) => m.type === "kv" && one(m.options).version === "2").map((m) => String(m.path)),
    database: {
      mount: String(dbMount?.path ?? ""),
      roles: Object.fromEntries(r("vault_database_secret_backend_role").map((role) => [String(role.body.name), role.body])),
      connection: one(r("vault_database_secret_backend_connection")[0]?.body),
    },
    policies,
    authRoles: Object.fromEntries(
      r("vault_kubernetes_auth_backend_role").map((a) => [
        String(a.body.role_name),
        {
          serviceAccounts: strings(a.body.bound_service_account_names),
          namespaces: strings(a.body.bound_service_account_namespaces),
          audience: String(a.body.audience ?? ""),
          policies: strings(a.raw.token_policies as Json).map(policyName),
        },
      ]),
    ),
  };
}

/** The harness binary, built once per test run (a second or so) into the run's directory. */
export function harnessBinary(): string {
  const runDir = process.env[SYNTH_DIR_ENV];
  if (!runDir) throw new Error(`${SYNTH_DIR_ENV} is not set: run the tests with jest`);
  const dir = path.join(runDir, "vault-agent-harness");
  const binary = path.join(dir, "harness");
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const which = spawnSync("sh", ["-c", "command -v go"], { encoding: "utf8" });
  if (which.status !== 0) throw new Error("go is not on the PATH: run `bash .ci/install-test-servers` (Debian golang-go, standard library only)");
  const tmp = `${binary}.${process.pid}`;
  const env = { ...process.env, GOCACHE: path.join(dir, "gocache"), GOPATH: path.join(dir, "gopath"), GOFLAGS: "", GOPROXY: "off", GOTOOLCHAIN: "local" };
  const b = spawnSync("go", ["build", "-o", tmp, "main.go"], { cwd: path.join(__dirname, "vault-agent"), env, encoding: "utf8", timeout: 120_000 });
  if (b.status !== 0) throw new Error(`building the Vault Agent harness failed:\n${b.stderr}${b.stdout}`);
  renameSync(tmp, binary);
  return binary;
}

/** What a reader of the templates' directories read after one step of a run (`observe`): pod path -> contents (null: unreadable). */
export interface Observation {
  readonly step: string;
  readonly files: Readonly<Record<string, string | null>>;
}

/**
 * Applets that write no file (their output goes to stdout, where the shell's own redirection would be
 * what writes; the harness flags any file rewritten in place, see main.go runCommand): no observation
 * after them, as what a reader sees cannot have changed.
 */
const READ_ONLY_APPLETS = new Set(["[", "[[", "basename", "cat", "cmp", "cut", "date", "dirname", "echo", "expr", "false", "grep", "head", "id", "ls", "printf", "pwd", "readlink", "realpath", "seq", "sha256sum", "sleep", "stat", "tail", "test", "tr", "true", "uniq", "wc", "which"]);

/**
 * The programs a template command finds in the agent's image, for the harness (input.commandPath): the
 * image is Alpine (hashicorp/vault Dockerfile `FROM alpine:3`, openbao/openbao Dockerfile `FROM alpine`),
 * whose /bin/sh and tools are BusyBox applets, so each applet of this machine's busybox is a wrapper
 * named after it. After the applet ran, the wrapper has the harness record what a reader of the
 * secrets directory sees (when the run observes): a template command changes what a reader sees only
 * through the programs it runs, so every state a reader could meet is recorded.
 */
export function imagePrograms(): string {
  const runDir = process.env[SYNTH_DIR_ENV];
  if (!runDir) throw new Error(`${SYNTH_DIR_ENV} is not set: run the tests with jest`);
  const dir = path.join(runDir, "vault-agent-harness", "image-bin");
  if (existsSync(path.join(dir, "sh"))) return dir;
  const which = spawnSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" });
  if (which.status !== 0) throw new Error("busybox is not on the PATH: run `bash .ci/install-test-servers` (Debian busybox)");
  const busybox = which.stdout.trim();
  const list = spawnSync(busybox, ["--list"], { encoding: "utf8" });
  if (list.status !== 0) throw new Error(`${busybox} --list failed: ${list.stderr}`);
  const tmp = `${dir}.${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  for (const applet of list.stdout.split("\n").filter((a) => /^[a-z0-9_.[-]+$/.test(a))) {
    const body =
      applet === "sh" || applet === "ash" || READ_ONLY_APPLETS.has(applet)
        ? `#!${busybox} sh\nexec ${busybox} ${applet} "$@"\n`
        : [
            `#!${busybox} sh`,
            `${busybox} ${applet} "$@"`,
            "rc=$?",
            `if [ -n "$HARNESS_OBSERVE" ]; then "$HARNESS_OBSERVE" observe ${applet} "$@" || exit 125; fi`,
            'exit "$rc"',
            "",
          ].join("\n");
    writeFileSync(path.join(tmp, applet), body, { mode: 0o755 });
  }
  try {
    renameSync(tmp, dir);
  } catch {
    // Another test file made it first.
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** What one agent run rendered. */
export interface AgentRun {
  readonly templates: readonly { destination: string; ok: boolean; error?: string; files: string[] }[];
  /** With `observe`: the reader's view at the start and after every step that can change it. */
  readonly observations: readonly Observation[];
  readonly issued: readonly { role: string; commonName: string; dnsNames: string[]; serial: string; notAfter: string; keyPemType: string; extKeyUsage: string[]; warnings: string[] }[];
  readonly leases: readonly { path: string; role: string; leaseId: string; leaseDuration: number; username: string; password: string; expiration: string }[];
  readonly requests: readonly { function: string; path: string; data?: Record<string, string>; cached?: boolean }[];
}

/** Inputs of one agent run. */
export interface AgentRunOptions {
  readonly world: VaultWorld;
  readonly pod: AgentPod;
  readonly variant: "init" | "sidecar";
  /** Which of the pod's names it runs as. @default 0 */
  readonly ordinal?: number;
  /** Directory the pod's absolute paths land under. */
  readonly root: string;
  /** Directory of the CA pair (made on first use, shared by every pod of one test). */
  readonly caDir: string;
  /** KV contents by logical path `<mount>/<path>` (what the bootstrap wrote). */
  readonly kv: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** @default 0 */
  readonly clockSkewSeconds?: number;
  /** Record what a reader sees after every step (AgentRun.observations). @default false */
  readonly observe?: boolean;
}

/**
 * Runs the agent of one synthesized pod (its init container or its sidecar) once: logs in with the
 * pod's Kubernetes-auth role (bound service account, namespace and audience checked), gets the
 * policies of that role, and renders every template of that variant's configuration.
 */
export function runAgent(o: AgentRunOptions): AgentRun {
  const { world, pod } = o;
  const config = o.variant === "init" ? pod.init : pod.sidecar;
  const containerName = o.variant === "init" ? "vault-agent-init" : "vault-agent";
  const agent = [...pod.initContainers, ...pod.containers].find((c) => c.name === containerName);
  if (!agent) throw new Error(`${pod.id}: no ${containerName} container`);
  const roleName = config.auto_auth.method.config.role;
  const role = world.authRoles[roleName];
  if (!role) throw new Error(`${pod.id}: Kubernetes-auth role '${roleName}' does not exist in the vault-config stack`);
  if (!role.serviceAccounts.includes(pod.serviceAccount) || !role.namespaces.includes(pod.namespace)) {
    throw new Error(`${pod.id}: role '${roleName}' is bound to ${role.serviceAccounts.join(",")} in ${role.namespaces.join(",")}, the pod runs as ${pod.serviceAccount} in ${pod.namespace}`);
  }
  if (role.audience && role.audience !== pod.tokenAudience) throw new Error(`${pod.id}: role '${roleName}' wants audience '${role.audience}', the pod's token is for '${pod.tokenAudience}'`);
  const podName = pod.podNames[o.ordinal ?? 0];
  const env: Record<string, string> = {};
  for (const e of agent.env) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.fieldPath === "metadata.name") env[e.name] = podName;
    else if (e.fieldPath === "metadata.namespace") env[e.name] = pod.namespace;
    else throw new Error(`${pod.id}: env ${e.name} from ${e.fieldPath} is not modeled`);
  }
  const input = {
    root: o.root,
    env,
    clockSkewSeconds: o.clockSkewSeconds ?? 0,
    templates: config.template,
    commandPath: imagePrograms(),
    observe: o.observe ?? false,
    vault: {
      policy: role.policies.flatMap((p) => world.policies[p] ?? []),
      kvMounts: world.kvMounts,
      kv: o.kv,
      database: {
        mount: world.database.mount,
        roles: Object.fromEntries(Object.entries(world.database.roles).map(([n, r]) => [n, { default_ttl: Number(r.default_ttl), max_ttl: Number(r.max_ttl) }])),
        displayName: `kubernetes-${pod.namespace}-${pod.serviceAccount}`,
      },
      pki: { mount: world.pki.mount, caDir: o.caDir, root: world.pki.root, intermediate: world.pki.intermediate, roles: world.pki.roles },
    },
  };
  const binary = harnessBinary();
  input.vault.pki = { ...input.vault.pki, ca: caFiles(binary, input.vault.pki) } as typeof input.vault.pki;
  const user = agentUser(pod, containerName);
  const dirs = [...new Set(config.template.map((t) => path.posix.dirname(t.destination)))];
  const started = runContainerStart(o, agent, user, binary, dirs);
  const argv = asAgentUser(binary, user, o.root, agent);
  const r = spawnSync(argv[0], argv.slice(1), { input: JSON.stringify(input), encoding: "utf8", timeout: 60_000, cwd: "/" });
  if (r.status !== 0) throw new Error(`the Vault Agent harness failed for ${pod.id} (${o.variant}):\n${r.stderr}`);
  const run = JSON.parse(r.stdout) as AgentRun;
  return { ...run, observations: [...started, ...run.observations] };
}

/**
 * Runs what the agent container's synthesized command does before the agent itself: when it is a shell
 * (VaultAgent runs a template's exec over a destination left by an earlier run, then `exec`s the
 * agent), the shell runs with the image's programs (imagePrograms) and, for the agent binary, a stand-in
 * that exits 0 (the agent's render is the harness's, run next). Arguments that name a path in the
 * templates' directories are placed under the run's root. Returns what a reader saw after each program
 * (when the run observes).
 */
function runContainerStart(o: AgentRunOptions, agent: PodContainer, user: AgentUser, binary: string, dirs: readonly string[]): Observation[] {
  if (agent.command[0] !== "/bin/sh") return [];
  const programs = imagePrograms();
  const stand = path.join(path.dirname(programs), "agent-stand-in");
  if (!existsSync(path.join(stand, "vault"))) {
    mkdirSync(stand, { recursive: true });
    for (const name of ["vault", "bao"]) writeFileSync(path.join(stand, name), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  }
  const args = agent.command.slice(1).map((a) => (dirs.some((d) => a === d || a.startsWith(`${d}/`)) ? inPod(o.root, a) : a));
  const logDir = mkdtempSync(path.join(tmpdir(), "agent-start-"));
  const log = path.join(logDir, "observations.jsonl");
  writeFileSync(log, "");
  chmodSync(log, 0o666);
  const env: Record<string, string> = { PATH: `${programs}:${stand}` };
  if (o.observe) Object.assign(env, { HARNESS_OBSERVE: binary, HARNESS_OBSERVE_LOG: log, HARNESS_OBSERVE_ROOT: o.root, HARNESS_OBSERVE_DIRS: dirs.join("\n") });
  try {
    if (process.getuid?.() === 0) openForTraversal(logDir);
    const argv = asAgentUser(path.join(programs, "sh"), user, o.root, agent);
    const r = spawnSync(argv[0], [...argv.slice(1), ...args], { env, encoding: "utf8", timeout: 60_000, cwd: "/" });
    if (r.status !== 0) throw new Error(`${o.pod.id} ${agent.name}: the container's command failed before the agent (${r.status}):\n${r.stderr}`);
    return readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Observation)
      .map((x) => ({ ...x, step: `${agent.name} start, ${x.step}` }));
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

/** The uid, gid and supplementary fsGroup an agent container runs as: the container's security context, else the pod's. */
export interface AgentUser {
  readonly uid: number;
  readonly gid: number;
  readonly fsGroup?: number;
}

/** The user a pod's agent container (`vault-agent-init` or `vault-agent`) runs as, read from the synthesized pod spec. */
export function agentUser(pod: AgentPod, containerName: string): AgentUser {
  const c = [...pod.initContainers, ...pod.containers].find((x) => x.name === containerName);
  if (!c) throw new Error(`${pod.id}: no ${containerName} container`);
  const own = one(c.body.security_context);
  const id = (field: string): number | undefined => {
    const v = own[field] ?? pod.securityContext[field];
    if (v === undefined || v === null || v === "") return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${pod.id} ${containerName}: ${field} '${String(v)}' is not a numeric id`);
    return n;
  };
  const uid = id("run_as_user");
  if (uid === undefined) throw new Error(`${pod.id} ${containerName}: no run_as_user in the container's or the pod's security context`);
  const fsGroup = pod.securityContext.fs_group === undefined ? undefined : Number(pod.securityContext.fs_group);
  // Kubernetes: without runAsGroup the container runtime uses the image's group (0 for most images).
  return { uid, gid: id("run_as_group") ?? 0, fsGroup };
}

/**
 * The command that runs the harness as the agent's user when the tests run as root (root ignores file
 * permission bits, the pod's uid does not): setpriv (util-linux, Essential on Debian) with the pod's uid,
 * gid and fsGroup as its one supplementary group, no capabilities (`capabilities.drop: [ALL]`) and
 * no_new_privs (`allowPrivilegeEscalation: false`). The secrets directory is made as the kubelet makes an
 * emptyDir with an fsGroup (root-owned, group fsGroup, mode 2777: pkg/volume/emptydir/empty_dir.go
 * setupDir perm 0777, pkg/volume/volume_linux.go SetVolumeOwnership setgid), and the test's own
 * temporary directories above it are opened for traversal (o+x) only. Not root: the harness runs as
 * the test's user, for whom the bits hold already.
 */
function asAgentUser(binary: string, user: AgentUser, root: string, agent: PodContainer): string[] {
  if (process.getuid?.() !== 0) return [binary];
  openForTraversal(path.dirname(harnessBinary()));
  const mount = many(agent.body.volume_mount).find((m) => m.name === "vault-secrets");
  if (!mount) throw new Error(`${agent.name}: no vault-secrets volume mount`);
  const secrets = inPod(root, String(mount.mount_path));
  mkdirSync(secrets, { recursive: true });
  chownSync(secrets, 0, user.fsGroup ?? 0);
  chmodSync(secrets, 0o2777);
  openForTraversal(path.dirname(secrets));
  openForTraversal(path.dirname(binary));
  openForTraversal(imagePrograms());
  return [
    // By path: the caller may give the child a PATH of its own (runContainerStart: the image's programs, busybox's setpriv among them).
    setprivPath(),
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    ...(user.fsGroup !== undefined ? [`--groups=${user.fsGroup}`] : ["--clear-groups"]),
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
    binary,
  ];
}

/** util-linux setpriv, found on this process's PATH. */
function setprivPath(): string {
  const r = spawnSync("sh", ["-c", "command -v setpriv"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error("setpriv (util-linux) is not on the PATH");
  return r.stdout.trim();
}

/** Adds o+x to `dir` and its parents inside the temporary directory (test directories made mode 700 by mkdtemp). */
function openForTraversal(dir: string): void {
  const tmp = path.resolve(tmpdir());
  for (let d = path.resolve(dir); d !== path.dirname(d); d = path.dirname(d)) {
    const mode = statSync(d).mode;
    if (mode & 0o001) continue;
    if (d === tmp || !d.startsWith(`${tmp}${path.sep}`)) throw new Error(`${d} is closed to other users (mode ${(mode & 0o7777).toString(8)}): the Vault Agent harness runs as the pod's uid`);
    chmodSync(d, (mode & 0o7777) | 0o001);
  }
}

/** Vault's CA pair (made once per CA directory by the test's own user), handed to the agent's run as text. */
function caFiles(binary: string, pki: { caDir: string }): { root: string; intermediate: string; intermediateKey: string } {
  const file = (name: string) => path.join(pki.caDir, name);
  if (!existsSync(file("intermediate.key"))) {
    const r = spawnSync(binary, [], { input: JSON.stringify({ makeCA: true, vault: { pki } }), encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`the Vault Agent harness could not make the CA in ${pki.caDir}:\n${r.stderr}`);
  }
  return { root: readFileSync(file("root.crt"), "utf8"), intermediate: readFileSync(file("intermediate.crt"), "utf8"), intermediateKey: readFileSync(file("intermediate.key"), "utf8") };
}

/** A pod's path under the run's root directory. */
export function inPod(root: string, podPath: string): string {
  return path.join(root, podPath);
}
