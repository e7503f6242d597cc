import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { TerraformTextEscaping, terraformLiteral } from "../../lib/terraform-text";
import { UNKNOWN, decodeStacks } from "../../scripts/terraform-decode";
import { DEPLOYMENTS, decodedStacks, synthesizedStacks } from "../support/deployments";

// What Terraform accepts is decided by Terraform: every stack of every shipped deployment goes through
// the real terraform's template decoder (scripts/terraform-decode.ts, run once by the global setup), and
// the decoded text is what the servers and shells on the other side receive.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

test("terraform decodes every stack of every shipped deployment", () => {
  const all = decodedStacks();
  if (!all.ok) throw new Error(all.error); // terraform's diagnostics, each naming the stack and the block
  for (const d of DEPLOYMENTS) {
    const ids = Object.keys(all.stacks).filter((k) => k.startsWith(`${d.key}/`));
    expect(ids).toHaveLength(4);
    for (const id of ids) expect(Object.keys(all.stacks[id].blocks).length).toBeGreaterThan(10);
  }
});

/** Terraform's reading of a literal string as our escaping wrote it (no reference inside). */
function unescape(s: string): string {
  return s.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
}

function leaves(value: Json, at: string, out: [string, Json][]): void {
  if (Array.isArray(value)) value.forEach((v, i) => leaves(v, `${at}[${i}]`, out));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) leaves(v, `${at}.${k}`, out);
  else out.push([at, value]);
}

test("every literal string decodes to exactly the text the code embeds", () => {
  const all = decodedStacks();
  if (!all.ok) throw new Error(all.error);
  let checked = 0;
  let withShellSyntax = 0;
  for (const d of DEPLOYMENTS) {
    for (const [stackId, json] of Object.entries(synthesizedStacks(d.key))) {
      const decoded = all.stacks[`${d.key}/${stackId}`].blocks;
      for (const kind of ["resource", "data"]) {
        for (const [type, byName] of Object.entries((json[kind] ?? {}) as Record<string, Record<string, Json>>)) {
          for (const [name, body] of Object.entries(byName)) {
            const synthLeaves: [string, Json][] = [];
            const decodedLeaves: [string, Json][] = [];
            leaves(Object.fromEntries(Object.entries(body as Record<string, Json>).filter(([k]) => k !== "//")), "", synthLeaves);
            leaves(decoded[`${kind}.${type}.${name}`] as Json, "", decodedLeaves);
            const byPath = new Map(decodedLeaves);
            for (const [at, v] of synthLeaves) {
              if (typeof v !== "string" || /(^|[^$])\$\{/.test(v) || /(^|[^%])%\{/.test(v)) continue; // references: decoded later
              const got = byPath.get(at);
              if (got === UNKNOWN) continue;
              if (got !== unescape(v)) throw new Error(`${d.key}/${stackId} ${kind}.${type}.${name}${at}: terraform decoded ${JSON.stringify(got)}, the code embeds ${JSON.stringify(unescape(v))}`);
              checked++;
              if (v.includes("$${") || v.includes("%%{")) withShellSyntax++;
            }
          }
        }
      }
    }
  }
  expect(checked).toBeGreaterThan(1000);
  // The scripts and configs that once failed to decode are among them.
  expect(withShellSyntax).toBeGreaterThan(20);
});

test("shell scripts reach the pods as written: sh -n parses them, their expansions intact", () => {
  const all = decodedStacks();
  if (!all.ok) throw new Error(all.error);
  const scripts: [string, string][] = [];
  for (const [id, stack] of Object.entries(all.stacks)) {
    for (const [block, body] of Object.entries(stack.blocks)) {
      if (block.startsWith("resource.kubernetes_config_map_v1.")) {
        for (const [file, text] of Object.entries(((body as { data?: Record<string, unknown> }).data ?? {}))) {
          if (file.endsWith(".sh") && typeof text === "string") scripts.push([`${id} ${block} ${file}`, text]);
        }
      }
      JSON.stringify(body, (_k, v: unknown) => {
        if (Array.isArray(v) && (v[0] === "sh" || v[0] === "/bin/sh") && v[1] === "-c" && typeof v[2] === "string") scripts.push([`${id} ${block} command`, v[2]]);
        return v;
      });
    }
  }
  expect(scripts.length).toBeGreaterThan(40);
  const joined = scripts.map(([, t]) => t).join("\n");
  // Shell parameter expansions and curl's format that Terraform once read as its own syntax.
  expect(joined).toContain('"${HOSTNAME##*-}"');
  expect(joined).toContain("%{http_code}");
  for (const [name, text] of scripts) {
    if (text.includes(UNKNOWN)) continue;
    const r = spawnSync("sh", ["-n"], { input: text, encoding: "utf8", timeout: 5000 });
    if (r.status !== 0) throw new Error(`${name}: sh -n: ${r.stderr}`);
  }
});

describe("terraformLiteral", () => {
  const tricky = [
    'ORDINAL="${HOSTNAME##*-}"',
    "curl -w '%{http_code}'",
    "already $${escaped} and %%{escaped}",
    "a lone $ and % and { } and $$ and $(date)",
    '{{ with secret "kv/data/x" }}{{ .Data.data.y }}{{ end }}',
    "%{ if x }${y}%{ endif }",
    "${",
    "%{",
    "}",
    "$",
  ];

  /** Terraform's plan of a root module with no provider: the values of its outputs. */
  function terraformOutputs(stack: TerraformStack): Record<string, string> {
    const work = mkdtempSync(path.join(tmpdir(), "literal-"));
    try {
      writeFileSync(path.join(work, "main.tf.json"), Testing.synth(stack));
      const env = { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null", CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
      const plan = spawnSync("terraform", ["plan", "-input=false", "-out=p", "-no-color"], { cwd: work, env, encoding: "utf8" });
      if (plan.status !== 0) throw new Error(plan.stdout + plan.stderr);
      const shown = JSON.parse(spawnSync("terraform", ["show", "-json", "p"], { cwd: work, env, encoding: "utf8" }).stdout) as { planned_values: { outputs: Record<string, { value: string }> } };
      return Object.fromEntries(Object.entries(shown.planned_values.outputs).map(([k, v]) => [k, v.value]));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  test("the real terraform reads escaped text back as exactly the text, with references before, between and after it", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const ref = new TerraformLocal(stack, "ref", "REF").asString;
    const cases = tricky.flatMap((t) => [t, `${t}${ref}`, `${ref}${t}`, `${t}/${ref}/${t}`, `${t}${ref}${t}`]);
    cases.forEach((text, i) => new TerraformOutput(stack, `o${i}`, { value: text }));
    TerraformTextEscaping.applyTo(stack);
    const outputs = terraformOutputs(stack);
    cases.forEach((text, i) => expect([i, outputs[`o${i}`]]).toEqual([i, text.split(ref).join("REF")]));
  });

  test("every block kind is escaped: resources, providers, outputs, variables, locals", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    new KubernetesProvider(stack, "k", { configPath: "${HOME}/.kube" });
    new ConfigMapV1(stack, "C", { metadata: { name: "c" }, data: { s: "${X}" } });
    new TerraformVariable(stack, "v", { type: "string", default: "%{Y}" });
    new TerraformLocal(stack, "l", "${Z}");
    new TerraformOutput(stack, "o", { value: "${W}" });
    TerraformTextEscaping.applyTo(stack);
    const text = Testing.synth(stack);
    for (const s of ["$${HOME}", "$${X}", "%%{Y}", "$${Z}", "$${W}"]) expect(text).toContain(JSON.stringify(s).slice(1, -1));
    const decoded = decodeStacks({ s: JSON.parse(text) as unknown }).s.blocks;
    expect((decoded["resource.kubernetes_config_map_v1.C"] as { data: { s: string } }).data.s).toBe("${X}");
    expect((decoded["provider.kubernetes[0]"] as { config_path: string }).config_path).toBe("${HOME}/.kube");
  });

  test("leaves cdktf references alone and escapes only the literal parts", () => {
    const stack = new TerraformStack(new App(), "s");
    const v = new TerraformVariable(stack, "v", { type: "string" });
    expect(terraformLiteral("${A} %{B}")).toBe("$${A} %%{B}");
    const escaped = terraformLiteral(`\${A} ${v.stringValue} %{B}`);
    expect(escaped).toMatch(/^\$\{"\$"\}\{A\} \$\{TfToken\[[^\]]+\]\} %%\{B\}$/);
  });
});
