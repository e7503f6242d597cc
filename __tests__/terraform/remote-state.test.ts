import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DEPLOYMENTS, synthesizedStacks } from "../support/deployments";

// A stack reads the outputs of the stacks before it through `terraform_remote_state` data sources (cdktf's
// cross-stack references). The real terraform reads each one as synthesized: the backend swapped for a local
// state file holding an output, everything else (the workspace above all) exactly as main.ts wrote it. A
// workspace written as literal text (`$${terraform.workspace}`) names a workspace that does not exist, and
// every downstream plan fails: "No stored state was found for the given workspace".

type Json = Record<string, unknown>;
jest.setTimeout(120_000);

/** Every remote-state data source of every shipped deployment: where it is, and its body as synthesized. */
const sources = DEPLOYMENTS.flatMap((d) =>
  Object.entries(synthesizedStacks(d.key)).flatMap(([stack, json]) =>
    Object.entries(((json as { data?: Record<string, Record<string, Json>> }).data?.terraform_remote_state ?? {}) as Record<string, Json>).map(([id, body]) => ({ at: `${d.key}/${stack}/${id}`, body })),
  ),
);

test("every stack after the cloud stack reads the ones before it", () => {
  // vault reads the cloud stack; vault-config and platform read theirs: at least two per deployment.
  expect(sources.length).toBeGreaterThanOrEqual(DEPLOYMENTS.length * 2);
});

test("terraform reads each remote state as synthesized, in the workspace it runs in", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "remote-state-"));
  try {
    const state = { version: 4, terraform_version: "1.11.4", serial: 1, lineage: "00000000-0000-4000-8000-000000000001", outputs: { greeting: { value: "from the stack before", type: "string" } }, resources: [] };
    writeFileSync(path.join(dir, "upstream.tfstate"), JSON.stringify(state));
    const distinct = [...new Map(sources.map((s) => [JSON.stringify(s.body.workspace), s])).values()];
    const data = Object.fromEntries(distinct.map((s, i) => [`s${i}`, { backend: "local", config: { path: path.join(dir, "upstream.tfstate") }, workspace: s.body.workspace }]));
    const output = Object.fromEntries(distinct.map((_, i) => [`o${i}`, { value: `\${data.terraform_remote_state.s${i}.outputs.greeting}` }]));
    writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ data: { terraform_remote_state: data }, output }));
    const tf = (...args: string[]) => spawnSync("terraform", args, { cwd: dir, encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" } });
    const init = tf("init", "-input=false", "-no-color");
    expect({ status: init.status, errors: init.stderr.match(/Error: .*/g) }).toEqual({ status: 0, errors: null });
    const apply = tf("apply", "-input=false", "-no-color", "-auto-approve");
    expect({ status: apply.status, errors: apply.stderr.match(/Error: .*/g) }).toEqual({ status: 0, errors: null });
    const out = JSON.parse(tf("output", "-json").stdout) as Record<string, { value: string }>;
    for (let i = 0; i < distinct.length; i++) expect({ at: distinct[i].at, read: out[`o${i}`]?.value }).toEqual({ at: distinct[i].at, read: "from the stack before" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
