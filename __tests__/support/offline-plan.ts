import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { cliConfig, discoverMirrors, mirroredVersions, terraformPlatform } from "../../scripts/validate";

/**
 * The real terraform and the real hashicorp/aws 5.100.0 provider, planning offline: the one harness of
 * every test that plans with the aws provider. Placeholder credentials with the provider's credential,
 * account-id and metadata checks skipped, the account pin removed (offline the provider cannot learn the
 * account and refuses any pin: wrong-account.test.ts), no backend, `-refresh=false`, and a state file the
 * test writes. The provider's own plan logic (which attributes force a replacement) decides, not the
 * test. The provider comes from a local plugin mirror (TF_PLUGIN_MIRROR, or the conventional places
 * scripts/validate.ts knows, e.g. /opt/tf-plugins); CI's workflows build one with `terraform providers mirror`.
 *
 * - OfflinePlanner: plans root modules a test writes against a list of resources in state.
 * - OfflineStack: plans a whole synthesized stack (offlineConfig), with a fake apply to a settled state.
 * - offlineConfig: a synthesized stack made plannable offline (also for tests that run terraform themselves).
 *
 * Speed: a plan or `show -json` spends most of its time starting the 700 MB provider and loading its
 * schema. So each test file starts the mirrored provider binary ONCE, in its debug-server mode
 * (`-debug`: terraform-plugin-go's managed debug server), and terraform attaches to it through
 * TF_REATTACH_PROVIDERS (Terraform's documented reattach mechanism for provider debugging) instead
 * of launching the provider again for every command. It is the same binary from the same mirror, and
 * terraform configures it anew in every plan, so the plans are the provider's own (a plan made attached
 * and one made by a fresh provider were compared: equal but for the timestamp and the order of
 * `relevant_attributes`). `terraform init` always installs from the mirror as before (lock file, hash).
 * Attaching is used only for configurations with at most one aws provider block: aliases configured
 * on one shared process could overwrite each other's configuration. OFFLINE_PLAN_REATTACH=0 turns it off.
 */
export const AWS_PROVIDER = { address: "registry.terraform.io/hashicorp/aws", version: "5.100.0" } as const;

/** Provider arguments that keep the aws provider off the network (hashicorp/aws provider docs, "skip_*" arguments). */
export const OFFLINE_AWS_PROVIDER = {
  access_key: "placeholder-access-key",
  secret_key: "placeholder-secret-key",
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
  skip_region_validation: true,
} as const;

/**
 * An aws provider block as an offline plan needs it: OFFLINE_AWS_PROVIDER's placeholder credentials and
 * skipped checks, and no account pin (`allowed_account_ids` needs the account id the skipped STS call
 * would have returned: the provider refuses "AWS account ID not allowed" without it).
 */
export function offlineAwsProvider(provider: Record<string, unknown>): Record<string, unknown> {
  const { allowed_account_ids: _pin, ...rest } = provider;
  return { ...rest, ...OFFLINE_AWS_PROVIDER };
}

/** Why a plan cannot run here, or undefined when terraform and the aws plugin are present. */
export function offlinePlanUnavailable(): string | undefined {
  const tf = spawnSync(terraformBinary(), ["version"], { encoding: "utf8" });
  if (tf.error) return "terraform is not on the PATH (install terraform 1.11; .ci/install-test-servers does)";
  return awsMirrors().length > 0 ? undefined : `no local mirror holds ${AWS_PROVIDER.address} ${AWS_PROVIDER.version} (set TF_PLUGIN_MIRROR, e.g. /opt/tf-plugins)`;
}

const terraformBinary = () => process.env.TERRAFORM_BINARY || "terraform";

/** The aws provider executable in the (unpacked) mirror, or undefined (a packed mirror: terraform launches it itself). */
function awsProviderExecutable(): string | undefined {
  for (const mirror of awsMirrors()) {
    const dir = path.join(mirror, ...AWS_PROVIDER.address.split("/"), AWS_PROVIDER.version, terraformPlatform());
    if (!existsSync(dir)) continue;
    const exe = readdirSync(dir).find((f) => f.startsWith("terraform-provider-aws"));
    if (exe) return path.join(dir, exe);
  }
  return undefined;
}

let attached: { reattach?: string; stop?: () => void } | undefined;

// Jest loads this module afresh for every test file: the file's provider server stops when the file ends
// (not only when the worker exits), so a worker running several files holds one server at a time.
if (typeof afterAll === "function") {
  afterAll(() => {
    attached?.stop?.();
    attached = undefined;
  });
}

/**
 * TF_REATTACH_PROVIDERS for this test file's one aws provider server, started on first use (undefined
 * when turned off or not startable: terraform then launches the provider per command, as before).
 * A shell holds the server and kills it when this process's end of its stdin pipe closes: at the end
 * of the test file (afterAll below), or when the process exits (normally, by a crash or a kill alike).
 */
function providerReattach(): string | undefined {
  if (attached) return attached.reattach;
  attached = {};
  if (process.env.OFFLINE_PLAN_REATTACH === "0") return undefined;
  const exe = awsProviderExecutable();
  if (!exe) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), "offline-provider-"));
  const out = path.join(dir, "out");
  const script = '"$1" -debug >"$2" 2>&1 & pid=$!; cat >/dev/null; kill $pid; rm -rf "$3"';
  const child = spawn("sh", ["-c", script, "sh", exe, out, dir], { stdio: ["pipe", "ignore", "ignore"], env: { PATH: process.env.PATH ?? "", HOME: dir, CHECKPOINT_DISABLE: "1" } });
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  attached.stop = () => child.stdin?.end();
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const text = existsSync(out) ? readFileSync(out, "utf8") : "";
    const m = /TF_REATTACH_PROVIDERS='(\{.*\})'/.exec(text);
    if (m) {
      attached.reattach = m[1];
      return m[1];
    }
    Atomics.wait(sleeper, 0, 0, 50);
  }
  attached.stop();
  throw new Error(`the aws provider did not start in debug mode within 120 s (${exe} -debug); set OFFLINE_PLAN_REATTACH=0 to launch it per command:\n${existsSync(out) ? readFileSync(out, "utf8") : ""}`);
}

/** Whether a configuration may use the shared provider server: at most one aws provider block (no aliases). */
function attachable(config: Record<string, unknown>): boolean {
  const aws = (config.provider as Record<string, unknown> | undefined)?.aws;
  return aws === undefined || !Array.isArray(aws) || aws.length <= 1;
}
const awsMirrors = () => discoverMirrors().mirrors.filter((m) => mirroredVersions(m, AWS_PROVIDER.address, terraformPlatform()).includes(AWS_PROVIDER.version));

/** A temporary working directory whose terraform installs providers from the local mirror only, in a clean environment. */
class TerraformDir {
  readonly dir = mkdtempSync(path.join(tmpdir(), "offline-plan-"));
  private readonly env: NodeJS.ProcessEnv;

  constructor() {
    const mirrors = awsMirrors();
    if (mirrors.length === 0) {
      throw new Error(
        `no plugin mirror holds ${AWS_PROVIDER.address} ${AWS_PROVIDER.version}: build one with \`terraform providers mirror <dir>\` ` +
          "in a directory requiring it, and set TF_PLUGIN_MIRROR=<dir> (the workflows do this; .ci/install-test-servers installs /opt/tf-plugins)",
      );
    }
    const rc = path.join(this.dir, ".terraformrc");
    writeFileSync(rc, cliConfig(mirrors, [AWS_PROVIDER.address]));
    this.env = { PATH: process.env.PATH ?? "", HOME: this.dir, TF_CLI_CONFIG_FILE: rc, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
  }

  /**
   * Runs terraform here; throws with its output on failure unless `mayFail`. `attach`: the command uses
   * this process's shared provider server (never for `init`, which installs from the mirror).
   */
  run(args: readonly string[], mayFail = false, attach = false): { status: number | null; stdout: string; stderr: string } {
    const bin = terraformBinary();
    const reattach = attach && args[0] !== "init" ? providerReattach() : undefined;
    const env = reattach ? { ...this.env, TF_REATTACH_PROVIDERS: reattach } : this.env;
    const r = spawnSync(bin, [...args], { cwd: this.dir, env, encoding: "utf8", timeout: 240_000, maxBuffer: 256 * 1024 * 1024 });
    if (r.error) throw new Error(`cannot run ${bin}: ${r.error.message}; install terraform 1.11 (https://developer.hashicorp.com/terraform/install) or set TERRAFORM_BINARY`);
    if (!mayFail && r.status !== 0) throw new Error(`terraform ${args[0]} failed (exit ${r.status}):\n${r.stderr || r.stdout}`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A managed resource in a state file the test writes (state format version 4). */
export interface StateResource {
  readonly type: string;
  readonly name: string;
  readonly attributes: Record<string, unknown>;
}

/** A working directory with terraform initialised against the mirrored aws provider. */
export class OfflinePlanner {
  private readonly tf = new TerraformDir();
  readonly dir = this.tf.dir;
  /** The `terraform` block the directory was initialised for: init again only when it changes. */
  private initialisedFor?: string;

  /** Plans `config` (a root module as JSON) against `state`; the saved plan as `terraform show -json`, or terraform's error. */
  plan(config: Record<string, unknown>, state: readonly StateResource[]): { ok: true; plan: PlanJson; text: string } | { ok: false; error: string } {
    writeFileSync(path.join(this.dir, "main.tf.json"), JSON.stringify(config, null, 2));
    writeFileSync(path.join(this.dir, "terraform.tfstate"), JSON.stringify(stateFile(state), null, 2));
    rmSync(path.join(this.dir, "plan.tfplan"), { force: true });
    const requirements = createHash("sha256").update(JSON.stringify(config.terraform ?? null)).digest("hex");
    if (this.initialisedFor !== requirements) {
      this.tf.run(["init", "-input=false", "-no-color", "-backend=false"]);
      this.initialisedFor = requirements;
    }
    const attach = attachable(config);
    const plan = this.tf.run(["plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", "-out=plan.tfplan"], true, attach);
    if (plan.status !== 0) return { ok: false, error: `${plan.stdout}\n${plan.stderr}` };
    const shown = this.tf.run(["show", "-json", "plan.tfplan"], false, attach);
    return { ok: true, plan: JSON.parse(shown.stdout) as PlanJson, text: plan.stdout };
  }

  remove(): void {
    this.tf.remove();
  }
}

function stateFile(resources: readonly StateResource[]) {
  return {
    version: 4,
    terraform_version: "1.11.4",
    serial: 1,
    lineage: "6c1f0d1e-0000-4000-8000-000000000001",
    outputs: {},
    resources: resources.map((r) => ({
      mode: "managed",
      type: r.type,
      name: r.name,
      provider: `provider["${AWS_PROVIDER.address}"]`,
      instances: [{ schema_version: 0, attributes: r.attributes, sensitive_attributes: [] }],
    })),
  };
}

// ---------------------------------------------------------------------------------------------------
// A whole synthesized stack, planned offline, with a fake apply.

/** Test values for data sources that read an AWS API: `<type>` -> attributes (the same for every block of the type). */
export type DataValues = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** A resource change of `terraform show -json <plan>`. */
export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly mode: "managed" | "data";
  readonly change: {
    readonly actions: readonly string[];
    readonly before: Record<string, unknown> | null;
    readonly after: Record<string, unknown> | null;
    readonly after_unknown?: unknown;
    readonly replace_paths?: readonly (readonly (string | number)[])[];
  };
  readonly action_reason?: string;
}

/** The parts of a JSON plan the tests read. */
export interface PlanJson {
  readonly resource_changes?: readonly ResourceChange[];
  readonly [key: string]: unknown;
}

/**
 * A working directory holding one synthesized stack, initialised once against the local mirror; plans
 * run in it against states the test writes.
 */
export class OfflineStack {
  private readonly tf = new TerraformDir();
  private readonly dir = this.tf.dir;
  private schemaCache?: ProviderSchema;

  private config: Record<string, unknown> = {};

  constructor(stackJson: Record<string, unknown>, dataValues: DataValues) {
    this.writeConfig(stackJson, dataValues);
    this.run(["init", "-input=false", "-no-color", "-backend=false"]);
  }

  /** Replaces the configuration (e.g. the same stack synthesized from a changed deployment). */
  writeConfig(stackJson: Record<string, unknown>, dataValues: DataValues): void {
    this.config = offlineConfig(stackJson, dataValues);
    this.write(this.config);
  }

  private write(config: Record<string, unknown>): void {
    writeFileSync(path.join(this.dir, "main.tf.json"), JSON.stringify(config, null, 1));
  }

  /** `terraform plan -refresh=false` against `state` (none: an empty state); the JSON plan. */
  plan(state?: StateV4): PlanJson {
    const stateFile = path.join(this.dir, "test.tfstate");
    rmSync(stateFile, { force: true });
    if (state) writeFileSync(stateFile, JSON.stringify(state));
    const planFile = path.join(this.dir, "plan.bin");
    this.run(["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false", `-state=${stateFile}`, `-out=${planFile}`]);
    return JSON.parse(this.run(["show", "-json", "-no-color", planFile])) as PlanJson;
  }

  /** The state a deployment applied from the current configuration would have (fake apply to a fixed point). */
  appliedState(start?: StateV4): StateV4 {
    // Applied as a whole: a replacement while settling is the fake apply catching up, not a finding,
    // so destroy protection is lifted for these rounds only (the tests' own plans keep it).
    this.write(withoutDestroyProtection(this.config));
    try {
      let state = start ?? emptyState();
      for (let round = 0; round < 6; round++) {
        const plan = this.plan(state);
        const pending = (plan.resource_changes ?? []).filter((c) => c.mode === "managed" && !isNoop(c));
        if (pending.length === 0) return state;
        state = fakeApply(state, plan, this.schema());
      }
      const left = (this.plan(state).resource_changes ?? []).filter((c) => c.mode === "managed" && !isNoop(c));
      throw new Error(`the fake apply did not settle; still changing: ${left.map((c) => `${c.address} ${c.change.actions.join("/")} ${JSON.stringify(c.change.replace_paths ?? [])}`).join(", ")}`);
    } finally {
      this.write(this.config);
    }
  }

  /** The aws provider's schema (types of every attribute), for placeholders of the right type. */
  schema(): ProviderSchema {
    if (!this.schemaCache) {
      const all = JSON.parse(this.run(["providers", "schema", "-json"])) as { provider_schemas: Record<string, ProviderSchema> };
      // terraform_data belongs to the built-in provider.
      const builtin = all.provider_schemas["terraform.io/builtin/terraform"]?.resource_schemas ?? {};
      this.schemaCache = { resource_schemas: { ...builtin, ...all.provider_schemas[AWS_PROVIDER.address].resource_schemas } };
    }
    return this.schemaCache;
  }

  /** Removes the working directory. */
  dispose(): void {
    this.tf.remove();
  }

  private run(args: readonly string[]): string {
    return this.tf.run(args, false, attachable(this.config)).stdout;
  }
}

/** The action list of a change as one word: create, update, delete, no-op, replace (delete then create) or create-before-destroy. */
export function actionOf(c: ResourceChange): string {
  const a = c.change.actions.join(",");
  if (a === "delete,create") return "replace";
  if (a === "create,delete") return "create-before-destroy";
  return a === "" ? "no-op" : a;
}

function withoutDestroyProtection(config: Record<string, unknown>): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(config)) as { resource?: Record<string, Record<string, { lifecycle?: { prevent_destroy?: boolean } }>> };
  for (const byName of Object.values(copy.resource ?? {})) for (const block of Object.values(byName)) if (block.lifecycle) delete block.lifecycle.prevent_destroy;
  return copy as Record<string, unknown>;
}

function isNoop(c: ResourceChange): boolean {
  return c.change.actions.length === 1 && (c.change.actions[0] === "no-op" || c.change.actions[0] === "read");
}

/**
 * The synthesized stack made plannable offline: no backend (the state file is given on the command
 * line), placeholder credentials with every check that would call AWS skipped, and data sources that
 * call an AWS API replaced by locals holding the test values.
 */
export function offlineConfig(stackJson: Record<string, unknown>, dataValues: DataValues): Record<string, unknown> {
  const json = JSON.parse(JSON.stringify(stackJson)) as Record<string, Record<string, unknown>>;
  delete json.terraform.backend;
  delete json["//"];
  const providers = json.provider as Record<string, Record<string, unknown>[]>;
  if (providers.aws) providers.aws = providers.aws.map(offlineAwsProvider);
  const data = (json.data ?? {}) as Record<string, Record<string, unknown>>;
  const locals: Record<string, unknown> = {};
  const renames: [string, string][] = [];
  for (const [type, values] of Object.entries(dataValues)) {
    for (const name of Object.keys(data[type] ?? {})) {
      const local = `offline_${type}_${name}`;
      locals[local] = values;
      renames.push([`data.${type}.${name}`, `local.${local}`]);
    }
    delete data[type];
  }
  if (Object.keys(data).length === 0) delete json.data;
  let text = JSON.stringify(json);
  for (const [from, to] of renames) text = text.split(`${from}.`).join(`${to}.`).split(`"${from}"`).join(`"${to}"`);
  const out = JSON.parse(text) as Record<string, unknown>;
  // depends_on may name a data source that is now a local: drop those entries.
  for (const kind of ["resource", "data"] as const) {
    for (const byName of Object.values((out[kind] ?? {}) as Record<string, Record<string, { depends_on?: string[] }>>)) {
      for (const block of Object.values(byName)) {
        if (block.depends_on) block.depends_on = block.depends_on.filter((d) => !d.startsWith("local."));
      }
    }
  }
  out.locals = { ...((out.locals as object) ?? {}), ...locals };
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Terraform state v4, written by the fake apply.

/** A Terraform state file (format version 4). */
export interface StateV4 {
  version: 4;
  terraform_version: string;
  serial: number;
  lineage: string;
  outputs: Record<string, unknown>;
  resources: StateV4Resource[];
}

interface StateV4Resource {
  mode: "managed";
  type: string;
  name: string;
  provider: string;
  instances: { schema_version: number; attributes: Record<string, unknown>; sensitive_attributes: unknown[]; dependencies?: string[] }[];
}

function emptyState(): StateV4 {
  return { version: 4, terraform_version: "1.11.4", serial: 1, lineage: "00000000-0000-4000-8000-000000000000", outputs: {}, resources: [] };
}

/** The same state with every resource whose address matches `pattern` changed by `edit`. */
export function editState(state: StateV4, pattern: RegExp, edit: (attributes: Record<string, unknown>) => void): StateV4 {
  const copy = JSON.parse(JSON.stringify(state)) as StateV4;
  let hits = 0;
  for (const r of copy.resources) {
    if (pattern.test(`${r.type}.${r.name}`)) {
      r.instances.forEach((i) => edit(i.attributes));
      hits++;
    }
  }
  if (hits === 0) throw new Error(`no resource in the state matches ${pattern}`);
  return copy;
}

/** Attribute values of one resource in a state. */
export function stateAttributes(state: StateV4, type: string, namePattern: RegExp): Record<string, unknown>[] {
  return state.resources.filter((r) => r.type === type && namePattern.test(r.name)).map((r) => r.instances[0].attributes);
}

/** The state after applying `plan` as planned: created and updated objects hold the planned values, deleted ones are gone. */
function fakeApply(state: StateV4, plan: PlanJson, schema: ProviderSchema): StateV4 {
  const next: StateV4 = { ...state, serial: state.serial + 1, resources: state.resources.map((r) => ({ ...r })) };
  const find = (type: string, name: string) => next.resources.findIndex((r) => r.type === type && r.name === name);
  for (const c of plan.resource_changes ?? []) {
    if (c.mode !== "managed" || isNoop(c)) continue;
    const i = find(c.type, c.name);
    if (c.change.after === null) {
      if (i >= 0) next.resources.splice(i, 1);
      continue;
    }
    const type = schema.resource_schemas[c.type];
    if (!type) throw new Error(`no schema for ${c.type}`);
    const attributes = fill(c.change.after, c.change.after_unknown, type.block, c.address) as Record<string, unknown>;
    // terraform_data's output is its input, known after apply (Terraform's builtin provider).
    if (c.type === "terraform_data" && (attributes.output === null || attributes.output === undefined)) attributes.output = attributes.input;
    // Dynamically typed attributes (terraform_data's input and output) are stored with their type.
    for (const [name, attr] of Object.entries(type.block.attributes ?? {})) {
      if (attr.type === "dynamic" && attributes[name] !== null && attributes[name] !== undefined) {
        attributes[name] = { value: attributes[name], type: ctyTypeOf(attributes[name]) };
      }
    }
    const resource: StateV4Resource = {
      mode: "managed",
      type: c.type,
      name: c.name,
      provider: `provider["${providerOf(c.type)}"]`,
      instances: [{ schema_version: type.version, attributes, sensitive_attributes: [] }],
    };
    if (i >= 0) next.resources[i] = resource;
    else next.resources.push(resource);
  }
  return next;
}

/** The cty type of a JSON value as Terraform would infer it (lists of one element type, objects). */
function ctyTypeOf(v: unknown): unknown {
  if (typeof v === "string") return "string";
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return ["list", v.length ? ctyTypeOf(v[0]) : "string"];
  if (v && typeof v === "object") return ["object", Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ctyTypeOf(x)]))];
  return "string";
}

function providerOf(type: string): string {
  return type === "terraform_data" ? "terraform.io/builtin/terraform" : AWS_PROVIDER.address;
}

// ---------------------------------------------------------------------------------------------------
// Placeholders for the values only AWS would know, typed by the provider schema.

/** The part of `terraform providers schema -json` used here. */
export interface ProviderSchema {
  resource_schemas: Record<string, { version: number; block: SchemaBlock }>;
}

interface SchemaBlock {
  attributes?: Record<string, { type?: unknown; nested_type?: unknown }>;
  block_types?: Record<string, { nesting_mode: string; block: SchemaBlock }>;
}

/** Fills the unknown parts of a planned object. `unknown` mirrors `value` with `true` where a value is unknown. */
function fill(value: unknown, unknown: unknown, block: SchemaBlock | undefined, where: string): unknown {
  if (unknown === true) return placeholderForBlock(block, where);
  const v = (value ?? {}) as Record<string, unknown>;
  const u = (unknown ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, attr] of Object.entries(block?.attributes ?? {})) {
    out[name] = u[name] === true ? placeholder(attr.type, name, where) : fillValue(v[name] ?? null, u[name], attr.type, name, where);
  }
  for (const [name, nested] of Object.entries(block?.block_types ?? {})) {
    const items = v[name];
    const itemsUnknown = u[name];
    if (Array.isArray(items)) {
      out[name] = items.map((item, k) => fill(item, Array.isArray(itemsUnknown) ? itemsUnknown[k] : undefined, nested.block, `${where}.${name}`));
    } else if (items && typeof items === "object") {
      out[name] = fill(items, itemsUnknown, nested.block, `${where}.${name}`);
    } else {
      out[name] = nested.nesting_mode === "single" ? null : [];
    }
  }
  return out;
}

function fillValue(value: unknown, unknown: unknown, type: unknown, name: string, where: string): unknown {
  if (unknown === undefined || unknown === false || value === null) return value;
  if (Array.isArray(value) && Array.isArray(unknown)) {
    const elem = Array.isArray(type) ? type[1] : undefined;
    return value.map((x, k) => (unknown[k] === true ? placeholder(elem, name, where) : fillValue(x, unknown[k], elem, name, where)));
  }
  if (value && typeof value === "object" && unknown && typeof unknown === "object") {
    const o = value as Record<string, unknown>;
    const un = unknown as Record<string, unknown>;
    const fields = Array.isArray(type) && type[0] === "object" ? (type[1] as Record<string, unknown>) : undefined;
    const elem = Array.isArray(type) && type[0] === "map" ? type[1] : undefined;
    return Object.fromEntries(Object.keys(o).map((k) => [k, un[k] === true ? placeholder(fields?.[k] ?? elem, k, where) : fillValue(o[k], un[k], fields?.[k] ?? elem, k, where)]));
  }
  return value;
}

function placeholderForBlock(block: SchemaBlock | undefined, where: string): unknown {
  return fill({}, Object.fromEntries(Object.keys(block?.attributes ?? {}).map((k) => [k, true])), block, where);
}

let counter = 0;

/** AWS id prefixes the provider checks (or that other resources' checks expect) for `id` attributes. */
const ID_PREFIX: Readonly<Record<string, string>> = {
  aws_vpc: "vpc-", aws_subnet: "subnet-", aws_security_group: "sg-", aws_default_security_group: "sg-", aws_internet_gateway: "igw-",
  aws_nat_gateway: "nat-", aws_eip: "eipalloc-", aws_route_table: "rtb-", aws_network_acl: "acl-", aws_vpc_endpoint: "vpce-",
  aws_launch_template: "lt-", aws_flow_log: "fl-", aws_route_table_association: "rtbassoc-", aws_vpc_security_group_ingress_rule: "sgr-",
  aws_vpc_security_group_egress_rule: "sgr-",
};

/** A value of the cty type `type` that passes the provider's format checks for an attribute named `name`. */
function placeholder(type: unknown, name: string, where: string): unknown {
  if (type === "string") {
    const n = ++counter;
    if (/arn$/.test(name)) return `arn:aws:offline:eu-west-1:123456789012:${where.replace(/[^A-Za-z0-9]/g, "-")}/${n}`;
    if (name === "data") return Buffer.from(`offline placeholder ${n}`).toString("base64");
    if (name === "issuer" || name === "url" || name === "endpoint") return `https://offline-${n}.example.com/id/OFFLINE${n}`;
    if (name === "owner_id" || name === "account_id") return "123456789012";
    if (name === "id" || name === "allocation_id" || name === "security_group_rule_id") {
      const type = where.split(".")[0];
      const prefix = name === "allocation_id" ? "eipalloc-" : name === "security_group_rule_id" ? "sgr-" : ID_PREFIX[type];
      if (prefix) return `${prefix}0ff1${n.toString(16).padStart(12, "0")}`;
    }
    return `offline-${name}-${n}`;
  }
  if (type === "number") return 1;
  if (type === "bool") return false;
  if (Array.isArray(type)) {
    const [kind, inner] = type as [string, unknown];
    if (kind === "list" || kind === "set") {
      // A computed list of objects (e.g. a cluster's identity) is read by index: give it one element.
      return Array.isArray(inner) && inner[0] === "object" ? [placeholder(inner, name, where)] : [];
    }
    if (kind === "map") return {};
    if (kind === "object") {
      return Object.fromEntries(Object.entries(inner as Record<string, unknown>).map(([k, t]) => [k, placeholder(t, k, where)]));
    }
  }
  return null;
}

/** Reads a JSON file (a helper for tests that keep a state next to them). */
export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}
