import { parse as parseYaml } from "yaml";
import { IMAGES, type ImageName } from "../../constructs/kubernetes/images";

/**
 * Every pod template of a synthesized stack (raw cdk.tf.json: Deployments, StatefulSets, Jobs), with
 * its containers, volumes and the text of the ConfigMaps and Vault Agent templates they mount, so tests
 * can hold them against facts about the images (image-contracts.ts) and the nodes (scheduling).
 */

type Json = Record<string, unknown>;
const one = (v: unknown): Json | undefined => (Array.isArray(v) ? (v[0] as Json | undefined) : (v as Json | undefined));
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** A container of a pod as synthesized. */
export interface PodContainer {
  readonly name: string;
  readonly init: boolean;
  readonly image: string;
  readonly imageName: ImageName | undefined;
  readonly command: string[];
  readonly env: Record<string, string>;
  readonly runAsUser: number | undefined;
  readonly mounts: { name: string; path: string; readOnly: boolean; subPath?: string }[];
  readonly ports: Record<string, number>;
  readonly probes: Json[];
  readonly cpuMillis: number;
  readonly memoryMiB: number;
}

/** A pod template and what it mounts. */
export interface PodTemplate {
  readonly stack: string;
  readonly kind: "deployment" | "stateful_set" | "job";
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly containers: PodContainer[];
  /** Files visible in the pod from ConfigMaps: absolute path -> text (per container, through its mounts). */
  readonly files: (c: PodContainer) => Record<string, string>;
  /** Spread: one replica per node (required hostname anti-affinity). */
  readonly onePerNode: boolean;
}

/** The pinned image a reference points at (mirror and project registry prefixes ignored). */
export function imageNameOf(ref: string): ImageName | undefined {
  return (Object.keys(IMAGES) as ImageName[]).find((k) => ref.split("@")[0].endsWith(`/${IMAGES[k].repository}:${IMAGES[k].tag}`));
}

/** "500m" -> 500, "1" -> 1000. */
export function cpuMillis(v: string | undefined): number {
  if (!v) return 0;
  return v.endsWith("m") ? Number(v.slice(0, -1)) : Number(v) * 1000;
}

/** "1536Mi" / "4Gi" / "64M" -> MiB. */
export function memoryMiB(v: string | undefined): number {
  if (!v) return 0;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|M|G)?$/.exec(v);
  if (!m) throw new Error(`unreadable memory quantity ${v}`);
  const n = Number(m[1]);
  const unit = { Ki: 1 / 1024, Mi: 1, Gi: 1024, M: 1e6 / 1048576, G: 1e9 / 1048576 }[m[2] ?? ""] ?? 1 / 1048576;
  return n * unit;
}

/** Every pod template of one synthesized stack. */
export function podTemplates(stackId: string, stack: Json): PodTemplate[] {
  const resources = (stack.resource ?? {}) as Record<string, Record<string, Json>>;
  const configMaps = resources.kubernetes_config_map_v1 ?? {};
  const cmByRef = (ref: string): Record<string, string> | undefined => {
    const m = /^\$\{kubernetes_config_map_v1\.([^.]+)\.metadata(\[0\])?\.name\}$/.exec(ref);
    const r = m ? configMaps[m[1]] : Object.values(configMaps).find((c) => one(c.metadata as Json)?.name === ref);
    return r ? ((r.data ?? {}) as Record<string, string>) : undefined;
  };
  const out: PodTemplate[] = [];
  for (const kind of ["deployment", "stateful_set", "job"] as const) {
    for (const r of Object.values(resources[`kubernetes_${kind}_v1`] ?? {})) {
      const meta = one(r.metadata as Json) as Json;
      const spec = one(r.spec as Json) as Json;
      const pod = one(one(spec.template as Json)?.spec as Json) as Json;
      const podUser = one(pod.security_context as Json)?.run_as_user;
      const volumes = list(pod.volume as Json[]);
      const container = (c: Json, init: boolean): PodContainer => {
        const sc = one(c.security_context as Json) ?? {};
        const res = one(c.resources as Json) ?? {};
        const requests = (res.requests ?? {}) as Record<string, string>;
        const probes = ["startup_probe", "readiness_probe", "liveness_probe"].map((p) => one(c[p] as Json)).filter((p): p is Json => !!p);
        return {
          name: String(c.name),
          init,
          image: String(c.image),
          imageName: imageNameOf(String(c.image)),
          command: [...list(c.command as string[]), ...list(c.args as string[])],
          env: Object.fromEntries(list(c.env as Json[]).map((e) => [String(e.name), String(e.value ?? "<fieldRef>")])),
          runAsUser: sc.run_as_user !== undefined ? Number(sc.run_as_user) : podUser !== undefined ? Number(podUser) : undefined,
          mounts: list(c.volume_mount as Json[]).map((m) => ({ name: String(m.name), path: String(m.mount_path), readOnly: m.read_only !== false, ...(m.sub_path ? { subPath: String(m.sub_path) } : {}) })),
          ports: Object.fromEntries(list(c.port as Json[]).map((p) => [String(p.name), Number(p.container_port)])),
          probes,
          cpuMillis: cpuMillis(requests.cpu),
          memoryMiB: memoryMiB(requests.memory),
        };
      };
      const containers = [...list(pod.init_container as Json[]).map((c) => container(c, true)), ...list(pod.container as Json[]).map((c) => container(c, false))];
      const files = (c: PodContainer): Record<string, string> => {
        const seen: Record<string, string> = {};
        for (const m of c.mounts) {
          const v = volumes.find((x) => x.name === m.name);
          const cm = v && one(v.config_map as Json);
          const data = cm ? cmByRef(String(cm.name)) : undefined;
          if (!data) continue;
          if (m.subPath) {
            if (data[m.subPath] !== undefined) seen[m.path] = data[m.subPath];
          } else for (const [k, text] of Object.entries(data)) seen[`${m.path}/${k}`] = text;
        }
        // Vault Agent renders its templates into the pod's secrets volume: their text (with {{ }} actions) stands for the file.
        for (const v of volumes) {
          const cm = one(v.config_map as Json);
          const data = cm ? cmByRef(String(cm.name)) : undefined;
          if (!data?.["agent.json"]) continue;
          for (const t of list((JSON.parse(data["agent.json"]) as Json).template as Json[])) seen[String(t.destination)] ??= String(t.contents);
        }
        return seen;
      };
      const affinity = one(pod.affinity as Json);
      const anti = one(affinity?.pod_anti_affinity as Json);
      const required = list(anti?.required_during_scheduling_ignored_during_execution as Json[]);
      out.push({
        stack: stackId,
        kind,
        name: String(meta.name),
        namespace: String(meta.namespace),
        replicas: kind === "job" ? 1 : Number(spec.replicas ?? 1),
        containers,
        files,
        onePerNode: required.some((t) => t.topology_key === "kubernetes.io/hostname"),
      });
    }
  }
  return out;
}

/** Files of a pod (one container's view) that a shell command runs: `sh -c <script>` or `sh <file>`. */
export function commandText(c: PodContainer, files: Record<string, string>, entrypoint: string): string {
  if (c.command.length === 0) return entrypoint;
  const [bin, first, ...rest] = c.command;
  if (/(^|\/)(ba)?sh$/.test(bin) && first === "-c") return `${[bin, first].join(" ")} ${rest.join(" ")}`;
  if (/(^|\/)(ba)?sh$/.test(bin) && first && files[first] !== undefined) return `${c.command.join(" ")}\n${files[first]}`;
  return c.command.join(" ");
}

/** A YAML/JSON/properties/conf reader for the configuration files the listener checks look into. */
export const readers = {
  yaml: (text: string): Json => parseYaml(text) as Json,
  properties: (text: string): Map<string, string> =>
    new Map(
      text
        .split("\n")
        .filter((l) => l.trim() && !l.startsWith("#"))
        .map((l) => {
          const i = l.search(/(?<!\\)=/);
          return [l.slice(0, i).replace(/\\(.)/g, "$1"), l.slice(i + 1).replace(/\\(.)/g, "$1")] as [string, string];
        }),
    ),
  keyValue: (text: string, sep = "="): Map<string, string> =>
    new Map(
      text
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#") && !l.startsWith("{{"))
        .map((l) => {
          const i = l.indexOf(sep);
          return [l.slice(0, i).trim(), l.slice(i + sep.length).trim().replace(/^'(.*)'$/, "$1")] as [string, string];
        }),
    ),
};
