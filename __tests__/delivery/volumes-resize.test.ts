import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import { stringify } from "yaml";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { buildDeployment } from "../../stacks/deployment";
import type { CommandResult } from "../../scripts/command-runner";
import { parseResizeArgs, resizeVolumes } from "../../scripts/volumes";
import { AWS_READY, fakeRunner, type Call } from "./fake-runner";

// `npm run volumes:resize`: the commands it runs, recorded at the process boundary, in order; and the
// mistakes it refuses before changing anything. The synthesized stacks it reads are the real ones.

const ROOT = path.resolve(__dirname, "..", "..");
const example = readConfigFile(path.join(ROOT, "examples/aws.yaml")) as DeploymentInput;
const CONTEXT = "arn:aws:eks:eu-west-1:123456789012:cluster/acme-prod";

let work: string;
let config: string;
let outDir: string;
let stsAddress: string;

/** A deployment file asking for PostgreSQL volumes of `dataGiB`, and its synthesized stacks in `outDir`. */
function deploymentAt(dataGiB: number): void {
  const input = { ...example, volumes: { postgresql: { dataGiB } } } as DeploymentInput;
  writeFileSync(config, stringify(input));
  const app = Testing.app();
  const built = buildDeployment(app, validateDeployment(input, config));
  for (const stack of [built.vault, built.platform]) {
    const dir = path.join(outDir, "stacks", stack.node.id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "cdk.tf.json"), Testing.synth(stack));
  }
  const platform = JSON.parse(readFileSync(path.join(outDir, "stacks", "acme-prod-platform", "cdk.tf.json"), "utf8")) as { resource: Record<string, Record<string, { metadata: { name: string } }>> };
  const [id] = Object.entries(platform.resource.kubernetes_stateful_set_v1).find(([, b]) => b.metadata.name === "postgresql")!;
  stsAddress = `kubernetes_stateful_set_v1.${id}`;
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "volumes-resize-"));
  // The example's SAML metadata file is read relative to the config.
  copyFileSync(path.join(ROOT, "examples", example.saml?.idpMetadataFile ?? "acme-idp-metadata.xml"), path.join(work, "acme-idp-metadata.xml"));
  config = path.join(work, "acme-prod.yaml");
  outDir = path.join(work, "cdktf.out");
  deploymentAt(100);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const k = (...rest: string[]) => ["kubectl", "--context", CONTEXT, ...rest].join(" ");
const pvc = (requested: string, capacity = requested) => ({ stdout: JSON.stringify({ spec: { resources: { requests: { storage: requested } } }, status: { capacity: { storage: capacity } } }) });
const notFound = (what: string) => ({ code: 1, stderr: `Error from server (NotFound): ${what} not found` });

/** A cluster where PostgreSQL runs 2 replicas with `requested` claims, and terraform plans `actions` for the set. */
function cluster(options: { requested?: string; expansion?: boolean; stsExists?: boolean; planned?: { address?: string; actions: string[] }[] } = {}): Record<string, Partial<CommandResult>> {
  const requested = options.requested ?? "50Gi";
  const planned = options.planned ?? [{ actions: ["create"] }];
  return {
    ...AWS_READY,
    "kubectl version --client -o json": { stdout: JSON.stringify({ clientVersion: { gitVersion: "v1.31.0" } }) },
    "npx cdktf synth": {},
    [k("get", "storageclass", "encrypted", "-o", "json")]: { stdout: JSON.stringify({ allowVolumeExpansion: options.expansion ?? true }) },
    [k("-n", "identity", "get", "statefulset", "postgresql", "-o", "json")]: options.stsExists === false ? notFound('statefulsets.apps "postgresql"') : { stdout: "{}" },
    [k("-n", "identity", "get", "pvc", "data-postgresql-0", "-o", "json")]: pvc(requested),
    [k("-n", "identity", "get", "pvc", "data-postgresql-1", "-o", "json")]: pvc(requested),
    [k("-n", "identity", "patch", "pvc")]: {},
    [k("-n", "identity", "wait")]: {},
    [k("-n", "identity", "delete", "statefulset")]: {},
    "terraform init": {},
    "terraform plan": {},
    "terraform show -json": { stdout: JSON.stringify({ resource_changes: planned.map((p) => ({ address: p.address ?? stsAddress, change: { actions: p.actions } })) }) },
    "terraform apply": {},
    [k("-n", "identity", "rollout", "status")]: {},
  };
}

function run(argv: string[], answers: Record<string, Partial<CommandResult>>) {
  const capture = fakeRunner(answers);
  const stream = fakeRunner(answers);
  const log: string[] = [];
  const errors: string[] = [];
  const code = resizeVolumes(argv, {}, { capture, stream }, { log: (l) => log.push(l), error: (l) => errors.push(l) });
  const line = (c: Call) => [c.command, ...c.args].join(" ").replace(/\/[^ ]*volumes-resize-[^ /]*\/resize\.tfplan/, "<plan>");
  return { code, log, errors, streamed: stream.calls.map(line), captured: capture.calls.map(line) };
}

const ARGS = () => ["--config", config, "--context", CONTEXT, "--service", "postgresql", "--size", "100", "--out", outDir];
const CHANGES = /kubectl .* (patch|delete)|terraform (apply|plan)/;

test("expands each claim in place, waits for the new capacity, replaces only the StatefulSet object (orphaning its pods), lets terraform create it, then waits for the rollout", () => {
  const r = run(ARGS(), cluster());
  expect(r.errors).toEqual([]);
  expect(r.code).toBe(0);
  const patch = JSON.stringify({ spec: { resources: { requests: { storage: "100Gi" } } } });
  expect(r.streamed).toEqual([
    "npx cdktf synth",
    k("-n", "identity", "patch", "pvc", "data-postgresql-0", "--type", "merge", "-p", patch),
    k("-n", "identity", "patch", "pvc", "data-postgresql-1", "--type", "merge", "-p", patch),
    k("-n", "identity", "wait", "pvc/data-postgresql-0", "--for=jsonpath={.status.capacity.storage}=100Gi", "--timeout=30m"),
    k("-n", "identity", "wait", "pvc/data-postgresql-1", "--for=jsonpath={.status.capacity.storage}=100Gi", "--timeout=30m"),
    k("-n", "identity", "delete", "statefulset", "postgresql", "--cascade=orphan", "--wait=true"),
    "terraform init -input=false -no-color",
    `terraform plan -input=false -no-color -target=${stsAddress} -out=<plan>`,
    "terraform apply -input=false -no-color <plan>",
    k("-n", "identity", "rollout", "status", "statefulset/postgresql", "--timeout=60m"),
  ]);
  // Reads: the checks before any change, and the plan read before the apply.
  expect(r.captured).toEqual(
    expect.arrayContaining([
      k("get", "storageclass", "encrypted", "-o", "json"),
      k("-n", "identity", "get", "statefulset", "postgresql", "-o", "json"),
      k("-n", "identity", "get", "pvc", "data-postgresql-0", "-o", "json"),
      "terraform show -json <plan>",
    ]),
  );
  // Never a plain delete (that would take the pods), never a claim deleted.
  expect([...r.streamed, ...r.captured].filter((c) => / delete /.test(c) && !c.includes("--cascade=orphan"))).toEqual([]);
});

test("terraform plans and applies in the stack's synthesized directory", () => {
  const stream = fakeRunner(cluster());
  const cwds: string[] = [];
  const recording = ((command: string, args: readonly string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }) => {
    // (preflight's `terraform version` runs anywhere)
    if (command === "terraform" && args[0] !== "version") cwds.push(options?.cwd ?? "");
    return stream(command, args, options);
  }) as typeof stream;
  expect(resizeVolumes(ARGS(), {}, { capture: recording, stream: recording }, { log: () => {}, error: () => {} })).toBe(0);
  expect(new Set(cwds)).toEqual(new Set([path.join(outDir, "stacks", "acme-prod-platform")]));
});

test("a second run after an interruption resumes: claims already grown are not patched, a StatefulSet already gone is not deleted", () => {
  const r = run(ARGS(), cluster({ requested: "100Gi", stsExists: false }));
  expect(r.code).toBe(0);
  expect(r.streamed.filter((c) => CHANGES.test(c))).toEqual([`terraform plan -input=false -no-color -target=${stsAddress} -out=<plan>`, "terraform apply -input=false -no-color <plan>"]);
});

describe("refused before anything changes", () => {
  const refused = (argv: string[], answers: Record<string, Partial<CommandResult>>, code: number, message: RegExp) => {
    const r = run(argv, answers);
    expect(r.code).toBe(code);
    expect(r.errors.join("\n")).toMatch(message);
    expect([...r.streamed, ...r.captured].filter((c) => CHANGES.test(c))).toEqual([]);
  };

  test("a size the config does not ask for (the StatefulSet terraform creates would claim the old one)", () => {
    refused([...ARGS().slice(0, 7), "80", "--out", outDir], cluster(), 2, /volumes\.postgresql\.dataGiB is 100 GiB, but --size is 80; set volumes\.postgresql\.dataGiB: 80 in the config first/);
  });

  test("a smaller size than a claim has: volumes never shrink", () => {
    refused(ARGS(), cluster({ requested: "200Gi" }), 1, /data-postgresql-0 already requests 200Gi: volumes never shrink/);
  });

  test("a StorageClass that does not allow expansion", () => {
    refused(ARGS(), cluster({ expansion: false }), 1, /StorageClass 'encrypted' does not allow volume expansion/);
  });

  test("no StatefulSet and no claim in that namespace: the wrong cluster", () => {
    const answers = cluster({ stsExists: false });
    answers[k("-n", "identity", "get", "pvc", "data-postgresql-0", "-o", "json")] = notFound('persistentvolumeclaims "data-postgresql-0"');
    answers[k("-n", "identity", "get", "pvc", "data-postgresql-1", "-o", "json")] = notFound('persistentvolumeclaims "data-postgresql-1"');
    refused(ARGS(), answers, 1, /is it the right cluster\?/);
  });

  test("a plan that would delete or replace anything is not applied (and says the pods wait for the re-run)", () => {
    const r = run(ARGS(), cluster({ planned: [{ actions: ["create"] }, { address: "kubernetes_namespace_v1.Other", actions: ["delete", "create"] }] }));
    expect(r.code).toBe(1);
    expect(r.errors.join("\n")).toMatch(/not applied: the plan must create .* and delete nothing.*kubernetes_namespace_v1\.Other: delete, create.*run the same command again/s);
    expect(r.streamed.filter((c) => c.startsWith("terraform apply"))).toEqual([]);
  });

  test.each([
    [["--service", "redis"], /--service must be one of postgresql, cassandra, elasticsearch, vault, got 'redis'/],
    [["--service", "vault"], /vault has the volumes data and audit: say which with --volume/],
    [["--service", "postgresql", "--volume", "audit"], /postgresql has no volume 'audit'/],
    [["--service", "postgresql", "--size", "1.5"], /--size must be the new size in whole GiB/],
    [["--service", "postgresql", "--size", "100", "--force"], /unknown argument '--force'/],
  ])("usage %j", (extra, message) => {
    const argv = ["--config", config, "--context", CONTEXT, ...extra];
    if (!argv.includes("--size")) argv.push("--size", "100");
    refused(argv, cluster(), 2, message);
  });

  test("without --context (no guess at which cluster kubectl points to)", () => {
    expect(() => parseResizeArgs(["--config", config, "--service", "postgresql", "--size", "100"], {})).toThrow(/--context is required/);
  });
});
