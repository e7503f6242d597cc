import * as path from "node:path";
import { ATLAS_DEFAULT_JVM_OPTS, IMAGE_CONTRACTS, type RuntimeContract } from "../../constructs/kubernetes/image-contracts";
import { IMAGES, type ImageName } from "../../constructs/kubernetes/images";
import { MIN_WORKLOAD_ID } from "../../policy/rules/kubernetes";
import { DEPLOYMENTS, synthesizedStacks } from "../support/deployments";
import { commandText, podTemplates, readers, type PodContainer, type PodTemplate } from "./pod-inventory";

/**
 * Every container of every pod template of every shipped deployment (the embedded default and each
 * example, as main.ts synthesizes them) held against its image's runtime contract
 * (constructs/kubernetes/image-contracts.ts, each fact with its upstream source): the UID is the
 * image's, or one of the pod's own at or above 10000 where the image runs as any UID, the main process stays in the foreground, every path the image writes is a writable mount,
 * every environment variable set is one the image reads, and every probe targets an address the
 * process binds (by the configuration the pod is given).
 */

interface Listener {
  readonly address: string;
  readonly port: number;
}
const ALL = ["0.0.0.0", "*", "::", "[::]", ""];
const isAll = (a: string) => ALL.includes(a.trim());

/** Where each image listens, read from the configuration this pod gives it (the contract names the setting). */
const LISTENERS: Partial<Record<ImageName, (c: PodContainer, files: Record<string, string>, text: string) => Listener[]>> = {
  atlas: (_c, files) => {
    const props = readers.properties(files["/vault/secrets/atlas-application.properties"] ?? "");
    return [{ address: props.get("atlas.server.bind.address") ?? "0.0.0.0", port: Number(props.get("atlas.server.http.port") ?? 21000) }];
  },
  entryPoint: (_c, files, text) => {
    const conf = files[/nginx\S* -c (\S+)/.exec(text)?.[1] ?? ""] ?? "";
    return [...conf.matchAll(/^\s*listen\s+(?:([^\s:]+):)?(\d+)/gm)].map((m) => ({ address: m[1] ?? "0.0.0.0", port: Number(m[2]) }));
  },
  keycloak: (_c, files) => {
    const conf = readers.keyValue(files["/vault/secrets/keycloak.conf"] ?? "");
    const host = conf.get("http-host") ?? "0.0.0.0";
    return [
      { address: host, port: Number(conf.get("https-port") ?? 8443) },
      { address: host, port: Number(conf.get("http-management-port") ?? 9000) },
    ];
  },
  vault: (_c, files, text) => {
    const conf = files[/-config=([^\s']+)/.exec(text)?.[1] ?? ""];
    if (!conf || !text.includes(" server ")) return [];
    const tcp = (JSON.parse(conf) as { listener: { tcp: { address: string; cluster_address: string } } }).listener.tcp;
    return [tcp.address, tcp.cluster_address].map((a) => ({ address: a.slice(0, a.lastIndexOf(":")), port: Number(a.slice(a.lastIndexOf(":") + 1)) }));
  },
  postgresql: (_c, files) => {
    const conf = readers.keyValue(files["/etc/postgresql/postgresql.conf"] ?? "");
    return [{ address: conf.get("listen_addresses") ?? "localhost", port: Number(conf.get("port") ?? 5432) }];
  },
  redis: (_c, files) => {
    const conf = readers.keyValue((files["/etc/redis/redis.conf"] ?? "").replace(/^(\S+) /gm, "$1="));
    const bind = (conf.get("bind") ?? "*").split(/\s+/)[0];
    return ["port", "tls-port"].filter((k) => conf.get(k) && conf.get(k) !== "0").map((k) => ({ address: bind, port: Number(conf.get(k)) }));
  },
  elasticsearch: (_c, files) => {
    const yml = Object.entries(files).find(([f]) => f.endsWith("/elasticsearch.yml"))?.[1];
    const conf = yml ? readers.yaml(yml) : {};
    const host = String(conf["network.host"] ?? "127.0.0.1");
    return [
      { address: host, port: Number(conf["http.port"] ?? 9200) },
      { address: host, port: Number(conf["transport.port"] ?? 9300) },
    ];
  },
  cassandra: (_c, files) => {
    const yml = Object.entries(files).find(([f]) => f.endsWith("/cassandra.yaml"))?.[1];
    const conf = yml ? readers.yaml(yml) : {};
    const host = String(conf.rpc_address ?? "0.0.0.0"); // unset: the pod's own address
    return [
      { address: host, port: Number(conf.native_transport_port ?? 9042) },
      { address: String(conf.listen_address ?? "0.0.0.0"), port: Number(conf.storage_port ?? 7000) },
    ];
  },
};

const matches = (pattern: string, text: string) => new RegExp(pattern, "m").test(text);

function writtenPaths(contract: RuntimeContract, c: PodContainer, text: string, files: Record<string, string>): string[] {
  return contract.writes
    .filter((w) => !w.onlyWith || matches(w.onlyWith, text))
    .flatMap((w) => {
      const by = w.setBy ?? "";
      if (by.startsWith("env:")) return [c.env[by.slice(4)] ?? w.path];
      if (by.startsWith("jvm:")) return [new RegExp(`-D${by.slice(4).replace(/\./g, "\\.")}=(\\S+)`).exec(text)?.[1] ?? w.path];
      if (by.startsWith("home-of:")) return [new RegExp(`(\\S+)/${by.slice(8).replace(/\./g, "\\.")}`).exec(text)?.[1] ?? w.path];
      if (by === "agent-destinations") {
        const conf = files[/-config=(\S+)/.exec(text)?.[1] ?? ""];
        return conf ? (JSON.parse(conf) as { template: { destination: string }[] }).template.map((t) => path.dirname(t.destination)) : [w.path];
      }
      return [w.path];
    });
}

const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir.replace(/\/$/, "")}/`);

/** What is wrong with one container against its image's contract (empty when it keeps it). */
function violations(pod: PodTemplate, c: PodContainer): string[] {
  if (!c.imageName) return [`image ${c.image} is not one of IMAGES`];
  const contract = IMAGE_CONTRACTS[c.imageName];
  const files = pod.files(c);
  const text = commandText(c, files, contract.entrypoint);
  const problems: string[] = [];

  const anyUid = contract.user.anyUid ?? contract.launchers.find((l) => l.anyUid && text.split("\n").some((x) => matches(l.match, x)))?.anyUid;
  if (anyUid) {
    // The image runs as any UID: the pod takes one of its own, above the node's and the images' users (K8S-26).
    if (c.runAsUser === undefined || c.runAsUser === 0) problems.push("runs as root");
    else if (c.runAsUser < MIN_WORKLOAD_ID) problems.push(`runs as uid ${c.runAsUser}, below ${MIN_WORKLOAD_ID}, though the image runs as any UID (${anyUid})`);
  } else if (c.runAsUser !== contract.user.uid) {
    problems.push(`runs as uid ${c.runAsUser}, the image's user is ${contract.user.uid}`);
  }

  if (!c.init && pod.kind !== "job") {
    const lines = text.split("\n");
    const fg = contract.launchers.filter((l) => l.foreground && lines.some((x) => matches(l.match, x)));
    const bg = contract.launchers.filter((l) => !l.foreground && lines.some((x) => matches(l.match, x)));
    if (bg.length) problems.push(`main process leaves the foreground: ${bg.map((l) => l.why).join("; ")}`);
    if (!fg.length) problems.push(`no launcher of the image known to stay in the foreground matches: ${text.split("\n")[0]}`);
  }

  for (const p of writtenPaths(contract, c, text, files)) {
    if (!c.mounts.some((m) => !m.readOnly && under(p, m.path))) problems.push(`writes ${p}, which is not a writable mount`);
  }

  for (const name of Object.keys(c.env)) {
    const known = Object.keys(contract.env).some((k) => (k.endsWith("*") ? name.startsWith(k.slice(0, -1)) : k === name));
    if (!known) problems.push(`sets ${name}, which the image does not read`);
  }

  const listeners = LISTENERS[c.imageName]?.(c, files, text) ?? [];
  for (const probe of c.probes) {
    const http = (probe.http_get as Record<string, unknown>[] | Record<string, unknown> | undefined) ?? undefined;
    const tcp = probe.tcp_socket as Record<string, unknown>[] | Record<string, unknown> | undefined;
    const target = [http, tcp].map((x) => (Array.isArray(x) ? x[0] : x)).find((x) => x);
    if (target) {
      const raw = String(target.port);
      const port = /^\d+$/.test(raw) ? Number(raw) : c.ports[raw];
      if (!listeners.some((l) => l.port === port && isAll(l.address))) {
        problems.push(`probe targets the pod address on ${raw} (${port}); the process binds ${JSON.stringify(listeners)}`);
      }
      continue;
    }
    const exec = ((Array.isArray(probe.exec) ? probe.exec[0] : probe.exec) as { command?: string[] } | undefined)?.command?.join(" ") ?? "";
    const local = /https?:\/\/(?:127\.0\.0\.1|localhost):(\d+)/.exec(exec) ?? /-h 127\.0\.0\.1 -p (\d+)/.exec(exec);
    if (local && !listeners.some((l) => l.port === Number(local[1]))) {
      problems.push(`probe calls 127.0.0.1:${local[1]}; the process binds ${JSON.stringify(listeners)}`);
    }
  }
  return problems;
}

describe.each(DEPLOYMENTS.map((d) => d.key))("%s: every container keeps its image's runtime contract", (key) => {
  const pods = Object.entries(synthesizedStacks(key)).flatMap(([id, stack]) => podTemplates(id, stack));

  test("the deployment has pods to check (Vault, its bootstrap Job and the platform)", () => {
    expect(pods.map((p) => p.name).sort()).toEqual(
      expect.arrayContaining(["atlas", "cassandra", "elasticsearch", "entry-point", "keycloak", "postgresql", "redis", "vault", "vault-tls-bootstrap"]),
    );
  });

  const cases = pods.flatMap((p) => p.containers.map((c) => [`${p.namespace}/${p.name} ${c.init ? "init " : ""}${c.name}`, p, c] as const));
  test.each(cases)("%s", (_label, pod, c) => {
    expect(violations(pod, c)).toEqual([]);
  });
});

test("Atlas's JVM keeps the options its start script would pass (logback configuration, IPv4, server VM)", () => {
  for (const d of DEPLOYMENTS) {
    const atlas = Object.entries(synthesizedStacks(d.key))
      .flatMap(([id, s]) => podTemplates(id, s))
      .find((p) => p.name === "atlas")!
      .containers.find((c) => c.name === "atlas")!;
    expect(atlas.command).toEqual(expect.arrayContaining([...ATLAS_DEFAULT_JVM_OPTS.options]));
    expect(atlas.env.ATLAS_OPTS).toBeUndefined();
  }
});

test("every pinned image has a contract whose every fact names its source", () => {
  for (const name of Object.keys(IMAGES) as ImageName[]) {
    const c = IMAGE_CONTRACTS[name];
    const sources = [c.user.source, ...c.launchers.map((l) => l.source), ...c.writes.map((w) => w.source), ...c.listens.map((l) => l.source)];
    for (const s of sources) expect({ name, s }).toEqual({ name, s: { repo: expect.stringMatching(/\S/), file: expect.stringMatching(/\S/), release: expect.stringMatching(/\S/) } });
    expect(c.launchers.some((l) => l.foreground)).toBe(true);
  }
});
