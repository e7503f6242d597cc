import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { terraformBinary } from "../../scripts/terraform-decode";
import { DEPLOYMENTS, synthesizedStacks } from "../support/deployments";

// Every stack's input variables can be satisfied without a prompt: the real terraform plans a module
// holding exactly each synthesized stack's `variable` blocks, with -input=false (as CI and the
// bootstrap run it) and only the TF_VAR_* values the workflows set. A required variable nobody sets
// ends in "No value for required variable" here, as it would in CI; an ephemeral one cannot be kept
// in a saved plan either, so it would have to be set again at apply.

const ROOT = path.join(__dirname, "..", "..");

/** Every TF_VAR_* name a workflow or composite action sets (workflow, job and step `env`). */
function workflowTfVars(): string[] {
  const files = [
    ...readdirSync(path.join(ROOT, ".github/workflows")).map((f) => path.join(ROOT, ".github/workflows", f)),
    ...readdirSync(path.join(ROOT, ".github/actions")).map((d) => path.join(ROOT, ".github/actions", d, "action.yml")),
  ];
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === "object") {
      for (const [k, v] of Object.entries(node)) {
        if (k === "env" && v && typeof v === "object") for (const name of Object.keys(v)) if (name.startsWith("TF_VAR_")) names.add(name);
        visit(v);
      }
    }
    // `run:` scripts that export one count too.
    if (typeof node === "string") for (const m of node.matchAll(/\bTF_VAR_[A-Za-z0-9_]+(?==)/g)) names.add(m[0]);
  };
  for (const f of files) visit(parse(readFileSync(f, "utf8")));
  return [...names].sort();
}

const provided = workflowTfVars();

test.each(DEPLOYMENTS.map((d) => d.key))("%s: every stack's variables are satisfied with -input=false and the workflows' values", (key) => {
  const failures: string[] = [];
  for (const [id, stack] of Object.entries(synthesizedStacks(key))) {
    const variables = (stack.variable ?? {}) as Record<string, unknown>;
    const dir = mkdtempSync(path.join(tmpdir(), "tf-vars-"));
    try {
      writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(Object.keys(variables).length ? { variable: variables } : {}));
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_CLI_CONFIG_FILE: "/dev/null" };
      for (const name of provided) env[name] = "value-from-the-workflow";
      const r = spawnSync(terraformBinary(), ["plan", "-input=false", "-lock=false", "-refresh=false", "-no-color"], { cwd: dir, env, encoding: "utf8", timeout: 60_000 });
      if (r.error) throw r.error;
      if (r.status !== 0) failures.push(`${id}: ${(r.stderr || r.stdout).replace(/\s+/g, " ").trim()}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  expect(failures).toEqual([]);
});
