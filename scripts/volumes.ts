import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CONFIG_ENV_VAR, ConfigError, configPathFrom, loadDeployment } from "../config/load";
import type { Deployment } from "../config/schema";
import { type CommandResult, type CommandRunner, captureCommand, interactiveCommand, NOT_FOUND } from "./command-runner";
import { formatResults, preflight } from "./preflight";
import { type StackRole, stackIdOf, UsageError } from "./stack-order";

/**
 * `npm run volumes:resize -- --config <file> --context <kube context> --service <name> [--volume <claim>] --size <GiB>`
 *
 * Grows the volumes of one data store on a running deployment, keeping its data, pods and claims.
 *
 * Why a command: a StatefulSet's volume claim template forces terraform to replace the StatefulSet
 * (the kubernetes provider marks `spec.volume_claim_template` ForceNew, constructs/kubernetes/provider-schema-facts.ts),
 * its `prevent_destroy` then stops the plan, and Kubernetes itself refuses to change the template of a
 * live StatefulSet. The supported path (kubernetes.io/docs/concepts/storage/persistent-volumes/#expanding-persistent-volumes-claims;
 * kubernetes.io/docs/tasks/run-application/delete-stateful-set/; the StatefulSet controller adopts orphaned pods
 * that match its selector, kubernetes/kubernetes pkg/controller/statefulset/stateful_set.go getPodsForStatefulSet):
 *
 *  1. check, changing nothing: the config already asks for the new size (so the StatefulSet terraform
 *     creates claims it); the StorageClass allows expansion; no claim is larger (volumes never shrink);
 *  2. expand every claim in place (`kubectl patch pvc`): the CSI driver grows the disk and the file system;
 *  3. wait until each claim's status capacity is the new size;
 *  4. delete the StatefulSet object only, `--cascade=orphan`: its pods keep running, its claims stay;
 *  5. terraform (refreshing) finds the object gone and plans to create it with the new template; the plan,
 *     targeted at that StatefulSet, must create it and delete nothing; then it is applied and the new
 *     StatefulSet adopts the running pods;
 *  6. wait for the rollout.
 *
 * Run again after a failure: done steps are skipped (claims already at the size, the object already gone).
 */

/** The data stores whose volumes can grow, and where their StatefulSet is. */
export const RESIZABLE: Readonly<Record<string, { readonly stack: StackRole; readonly volumes: readonly string[] }>> = {
  postgresql: { stack: "platform", volumes: ["data"] },
  cassandra: { stack: "platform", volumes: ["data"] },
  elasticsearch: { stack: "platform", volumes: ["data"] },
  vault: { stack: "vault", volumes: ["data", "audit"] },
};

/** The command line. */
export interface ResizeArgs {
  readonly configPath: string;
  readonly context: string;
  readonly service: string;
  readonly volume: string;
  readonly sizeGiB: number;
  /** cdktf's output directory. */
  readonly outDir: string;
}

const USAGE =
  "usage: npm run volumes:resize -- --config <deployment.yaml> --context <kubectl context of the cluster> --service <" +
  `${Object.keys(RESIZABLE).join("|")}> [--volume <${[...new Set(Object.values(RESIZABLE).flatMap((r) => r.volumes))].join("|")}>] --size <GiB>`;

/** Parses the command line; mistakes are UsageErrors that name the flag and the fix. */
export function parseResizeArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ResizeArgs {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  const known = new Set(["--config", "--context", "--service", "--volume", "--size", "--out"]);
  for (let i = 0; i < argv.length; i++) {
    if (known.has(argv[i])) i++;
    else if (!argv[i].startsWith("--config=")) throw new UsageError(`unknown argument '${argv[i]}'\n${USAGE}`);
  }
  let configPath: string | undefined;
  try {
    configPath = configPathFrom(argv, env);
  } catch (e) {
    throw new UsageError(e instanceof ConfigError ? e.problems.join("; ") : String(e));
  }
  if (!configPath) throw new UsageError(`--config <file> is required (or ${CONFIG_ENV_VAR}): the deployment whose volumes grow\n${USAGE}`);
  const context = value("--context");
  if (!context) throw new UsageError(`--context is required: the kubectl context of this deployment's cluster (kubectl config get-contexts)\n${USAGE}`);
  const service = value("--service");
  const target = service ? RESIZABLE[service] : undefined;
  if (!service || !target) throw new UsageError(`--service must be one of ${Object.keys(RESIZABLE).join(", ")}${service ? `, got '${service}'` : ""}\n${USAGE}`);
  const volume = value("--volume") ?? (target.volumes.length === 1 ? target.volumes[0] : undefined);
  if (!volume) throw new UsageError(`${service} has the volumes ${target.volumes.join(" and ")}: say which with --volume\n${USAGE}`);
  if (!target.volumes.includes(volume)) throw new UsageError(`--volume: ${service} has no volume '${volume}'; its volumes: ${target.volumes.join(", ")}`);
  const size = value("--size");
  if (!size || !/^[1-9][0-9]*$/.test(size)) throw new UsageError(`--size must be the new size in whole GiB, e.g. --size 100${size ? `, got '${size}'` : ""}\n${USAGE}`);
  return { configPath, context, service, volume, sizeGiB: Number(size), outDir: value("--out") ?? "cdktf.out" };
}

/** The config field that holds a volume's size: `volumes.<service>.<volume>GiB`. */
export function sizeField(service: string, volume: string): string {
  return `volumes.${service}.${volume}GiB`;
}

function configuredSize(d: Deployment, service: string, volume: string): number | undefined {
  const byService = (d.volumes as Record<string, Record<string, number>>)[service];
  return byService?.[`${volume}GiB`];
}

/** The StatefulSet a resize acts on, as synthesized. */
export interface ResizeTarget {
  readonly stackId: string;
  /** Terraform address in its stack, e.g. kubernetes_stateful_set_v1.Postgresql_E74CF825. */
  readonly address: string;
  readonly namespace: string;
  readonly statefulSet: string;
  readonly replicas: number;
  readonly storageClass: string;
  /** The claim template's size in the synthesized stack, e.g. "100Gi". */
  readonly templateSize: string;
  /** The claims of the running set: `<template>-<set>-<ordinal>`. */
  readonly claims: readonly string[];
}

type StackJson = { resource?: Record<string, Record<string, Record<string, unknown>>> };

/** Finds the StatefulSet and its claim template in a synthesized stack (resolving a namespace reference in it). */
export function resizeTarget(stackId: string, stack: StackJson, service: string, volume: string): ResizeTarget {
  const sets = stack.resource?.kubernetes_stateful_set_v1 ?? {};
  const hit = Object.entries(sets).find(([, b]) => (b.metadata as { name?: string }).name === service);
  if (!hit) throw new UsageError(`${stackId} has no StatefulSet '${service}'; synthesize the deployment first (npx cdktf synth)`);
  const [logicalId, block] = hit;
  const metadata = block.metadata as { name: string; namespace: string };
  const spec = block.spec as { replicas: string; volume_claim_template: { metadata: { name: string }; spec: { storage_class_name: string; resources: { requests: { storage: string } } } }[] };
  const template = spec.volume_claim_template.find((t) => t.metadata.name === volume);
  if (!template) throw new UsageError(`StatefulSet '${service}' has no volume claim template '${volume}'`);
  const namespace = resolveNamespace(stack, metadata.namespace);
  const replicas = Number(spec.replicas);
  return {
    stackId,
    address: `kubernetes_stateful_set_v1.${logicalId}`,
    namespace,
    statefulSet: metadata.name,
    replicas,
    storageClass: template.spec.storage_class_name,
    templateSize: template.spec.resources.requests.storage,
    claims: Array.from({ length: replicas }, (_, i) => `${volume}-${metadata.name}-${i}`),
  };
}

function resolveNamespace(stack: StackJson, value: string): string {
  const ref = /^\$\{kubernetes_namespace_v1\.([A-Za-z0-9_-]+)\.metadata\[0\]\.name\}$/.exec(value);
  if (!ref) return value;
  const ns = stack.resource?.kubernetes_namespace_v1?.[ref[1]]?.metadata as { name?: string } | undefined;
  if (!ns?.name) throw new Error(`namespace reference ${value} does not resolve in the stack`);
  return ns.name;
}

/** "100Gi" -> 100; undefined for a quantity that is not whole GiB. */
export function gib(quantity: string | undefined): number | undefined {
  const m = /^([0-9]+)Gi$/.exec(quantity ?? "");
  return m ? Number(m[1]) : undefined;
}

/** How the command reaches programs: `capture` for reads, `stream` for long steps the operator watches. */
export interface Runners {
  readonly capture: CommandRunner;
  readonly stream: CommandRunner;
}

/** Output. */
export interface Io {
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
}

class Refusal extends Error {}

/** Runs the resize; returns the exit code. Every check runs before the first change. */
export function resizeVolumes(argv: readonly string[], env: NodeJS.ProcessEnv, runners: Runners, io: Io): number {
  let args: ResizeArgs;
  let deployment: Deployment;
  try {
    args = parseResizeArgs(argv, env);
    deployment = loadDeployment(["--config", args.configPath], {});
    const configured = configuredSize(deployment, args.service, args.volume);
    if (configured !== args.sizeGiB) {
      throw new UsageError(
        `${args.configPath}: ${sizeField(args.service, args.volume)} is ${configured} GiB, but --size is ${args.sizeGiB}; set ${sizeField(args.service, args.volume)}: ${args.sizeGiB} in the config first ` +
          "(the StatefulSet terraform creates must claim the new size), then run this again",
      );
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      io.error(e.message);
      return 2;
    }
    throw e;
  }
  try {
    return run(args, deployment, env, runners, io);
  } catch (e) {
    if (e instanceof Refusal || e instanceof UsageError) {
      io.error(e.message);
      return 1;
    }
    throw e;
  }
}

function run(args: ResizeArgs, deployment: Deployment, env: NodeJS.ProcessEnv, runners: Runners, io: Io): number {
  const { capture, stream } = runners;
  const role = RESIZABLE[args.service].stack;
  const stackId = stackIdOf(deployment, role);
  const size = `${args.sizeGiB}Gi`;
  const kubectl = (namespace: string | undefined, ...rest: string[]) => ["--context", args.context, ...(namespace ? ["-n", namespace] : []), ...rest];
  const must = (r: CommandResult, what: string): CommandResult => {
    if (r.code === NOT_FOUND) throw new Refusal(`${what}: the program is not on the PATH`);
    if (r.code !== 0) throw new Refusal(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
    return r;
  };
  const json = <T>(r: CommandResult, what: string): T => {
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      throw new Refusal(`${what}: not JSON: ${r.stdout.slice(0, 200)}`);
    }
  };

  io.log(`volumes:resize ${deployment.name}: ${args.service} volume '${args.volume}' to ${args.sizeGiB} GiB (${stackId}, kubectl context ${args.context})`);

  // 1. Checks. Nothing below changes anything until every one has passed.
  const checks = preflight({ deployment, stacks: [role], env, run: capture });
  if (checks.some((c) => !c.ok)) throw new Refusal(formatResults(checks));
  must(capture("kubectl", ["version", "--client", "-o", "json"]), "kubectl version --client (install kubectl: https://kubernetes.io/docs/tasks/tools/)");
  io.log(`$ npx cdktf synth`);
  must(stream("npx", ["cdktf", "synth"], { env: { ...env, CHECKPOINT_DISABLE: "1", [CONFIG_ENV_VAR]: args.configPath } }), "npx cdktf synth");
  const stackDir = path.resolve(args.outDir, "stacks", stackId);
  const stackFile = path.join(stackDir, "cdk.tf.json");
  if (!existsSync(stackFile)) throw new Refusal(`${stackFile} was not written by the synth`);
  const target = resizeTarget(stackId, JSON.parse(readFileSync(stackFile, "utf8")) as StackJson, args.service, args.volume);
  if (target.templateSize !== size) throw new Refusal(`the synthesized ${target.address} claims ${target.templateSize}, not ${size}: is ${args.configPath} the file you edited?`);

  const sc = json<{ allowVolumeExpansion?: boolean }>(must(capture("kubectl", kubectl(undefined, "get", "storageclass", target.storageClass, "-o", "json")), `kubectl get storageclass ${target.storageClass}`), "storageclass");
  if (sc.allowVolumeExpansion !== true) {
    throw new Refusal(`StorageClass '${target.storageClass}' does not allow volume expansion (allowVolumeExpansion is ${String(sc.allowVolumeExpansion)}); apply ${stackIdOf(deployment, "vault")} first (EncryptedStorageClass sets it, in place)`);
  }
  const sts = capture("kubectl", kubectl(target.namespace, "get", "statefulset", target.statefulSet, "-o", "json"));
  const stsExists = sts.code === 0;
  if (!stsExists && !/NotFound|not found/.test(sts.stderr)) must(sts, `kubectl get statefulset ${target.statefulSet}`);

  const toPatch: string[] = [];
  const present: string[] = [];
  for (const claim of target.claims) {
    const r = capture("kubectl", kubectl(target.namespace, "get", "pvc", claim, "-o", "json"));
    if (r.code !== 0 && /NotFound|not found/.test(r.stderr)) {
      io.log(`  ${claim}: absent (the StatefulSet creates it with the new size)`);
      continue;
    }
    const pvc = json<{ spec?: { resources?: { requests?: { storage?: string } } }; status?: { capacity?: { storage?: string } } }>(must(r, `kubectl get pvc ${claim}`), claim);
    const requested = pvc.spec?.resources?.requests?.storage;
    const requestedGiB = gib(requested);
    if (requestedGiB === undefined) throw new Refusal(`${claim} requests ${requested ?? "nothing"}, not whole GiB; resize it by hand`);
    if (requestedGiB > args.sizeGiB) throw new Refusal(`${claim} already requests ${requested}: volumes never shrink (Kubernetes refuses it); give --size ${requestedGiB} or more`);
    present.push(claim);
    if (requestedGiB < args.sizeGiB) toPatch.push(claim);
    io.log(`  ${claim}: requests ${requested}, capacity ${pvc.status?.capacity?.storage ?? "unknown"}${requestedGiB < args.sizeGiB ? ` -> ${size}` : ""}`);
  }
  if (toPatch.length === 0 && !stsExists && present.length === 0) throw new Refusal(`neither StatefulSet '${target.statefulSet}' nor any of its claims exists in namespace '${target.namespace}' of context ${args.context}: is it the right cluster?`);

  // 2-3. Expand the claims in place, then wait for the new capacity (a watch, not a sleep).
  for (const claim of toPatch) {
    must(stream("kubectl", kubectl(target.namespace, "patch", "pvc", claim, "--type", "merge", "-p", JSON.stringify({ spec: { resources: { requests: { storage: size } } } }))), `kubectl patch pvc ${claim}`);
  }
  for (const claim of present) {
    const waited = stream("kubectl", kubectl(target.namespace, "wait", `pvc/${claim}`, `--for=jsonpath={.status.capacity.storage}=${size}`, "--timeout=30m"));
    if (waited.code !== 0) {
      throw new Refusal(
        `${claim} did not reach ${size} within 30 minutes. Nothing else was changed. See its conditions (kubectl --context ${args.context} -n ${target.namespace} describe pvc ${claim}); ` +
          "FileSystemResizePending means the driver grows the file system when the pod restarts: delete that one pod, then run this command again",
      );
    }
  }

  // 4. The StatefulSet object only: pods and claims stay.
  if (stsExists) {
    must(stream("kubectl", kubectl(target.namespace, "delete", "statefulset", target.statefulSet, "--cascade=orphan", "--wait=true")), `kubectl delete statefulset ${target.statefulSet} --cascade=orphan`);
  } else {
    io.log(`  StatefulSet ${target.statefulSet} is already gone (an earlier run): terraform creates it`);
  }

  // 5. Terraform creates the StatefulSet with the new template; nothing may be deleted or replaced.
  const orphaned = `the pods of ${target.statefulSet} run without their StatefulSet until this is applied; fix the cause and run the same command again (it resumes here)`;
  const tfEnv = { ...env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
  const work = mkdtempSync(path.join(tmpdir(), "volumes-resize-"));
  try {
    const planFile = path.join(work, "resize.tfplan");
    const tf = (...a: string[]) => stream("terraform", a, { cwd: stackDir, env: tfEnv });
    if (tf("init", "-input=false", "-no-color").code !== 0) throw new Refusal(`terraform init in ${stackDir} failed; ${orphaned}`);
    if (tf("plan", "-input=false", "-no-color", `-target=${target.address}`, `-out=${planFile}`).code !== 0) throw new Refusal(`terraform plan failed; ${orphaned}`);
    const shown = capture("terraform", ["show", "-json", planFile], { cwd: stackDir, env: tfEnv });
    const plan = json<{ resource_changes?: { address: string; change: { actions: string[] } }[] }>(must(shown, "terraform show -json"), "plan");
    const changes = (plan.resource_changes ?? []).filter((c) => !(c.change.actions.length === 1 && c.change.actions[0] === "no-op"));
    const destructive = changes.filter((c) => c.change.actions.includes("delete"));
    const creates = changes.some((c) => c.address === target.address && c.change.actions.join(",") === "create");
    if (destructive.length || !creates) {
      const list = changes.map((c) => `${c.address}: ${c.change.actions.join(", ")}`).join("; ") || "no changes";
      throw new Refusal(`not applied: the plan must create ${target.address} and delete nothing, but it is: ${list}. ${orphaned}`);
    }
    if (stream("terraform", ["apply", "-input=false", "-no-color", planFile], { cwd: stackDir, env: tfEnv }).code !== 0) throw new Refusal(`terraform apply failed; ${orphaned}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  // 6. The new StatefulSet adopted the pods; wait until every replica is ready.
  must(stream("kubectl", kubectl(target.namespace, "rollout", "status", `statefulset/${target.statefulSet}`, "--timeout=60m")), `kubectl rollout status statefulset/${target.statefulSet}`);
  io.log(`${args.service}: ${target.claims.length} volume(s) '${args.volume}' at ${args.sizeGiB} GiB; StatefulSet ${target.statefulSet} recreated with the new claim template; no pod or claim was deleted`);
  return 0;
}

if (require.main === module) {
  const [command, ...rest] = process.argv.slice(2);
  const io: Io = { log: (l) => console.log(l), error: (l) => console.error(l) };
  if (command !== "resize") {
    io.error(`unknown command '${command ?? ""}'\n${USAGE}`);
    process.exitCode = 2;
  } else {
    process.exitCode = resizeVolumes(rest, process.env, { capture: captureCommand, stream: interactiveCommand }, io);
  }
}
