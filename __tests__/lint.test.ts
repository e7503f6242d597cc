import { spawnSync } from "node:child_process";
import * as path from "node:path";

// The one project-specific lint rule: provider packages are imported by deep path, never the barrel.
// Run by the real ESLint with the project's flat config, as `npm test` does, outside jest's module sandbox
// (ESLint loads its config by dynamic import, which the sandbox does not allow in-process): ONE node
// process lints every fixture of this file with one ESLint instance (`lintText` with the fixture's path,
// what `eslint --stdin --stdin-filename` does), instead of one CLI run per fixture.
const ROOT = path.resolve(__dirname, "..");

type LintMessage = { ruleId: string; line: number; message: string };
const LINT_ALL = `
const { ESLint } = require("eslint");
(async () => {
  const fixtures = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = [];
  for (const f of fixtures) out.push((await eslint.lintText(f.source, { filePath: f.file }))[0].messages);
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });`;

/** Each fixture's messages, linted as the file at its path (relative to the repository). */
function lintAll(fixtures: readonly { file: string; source: string }[]): LintMessage[][] {
  const run = spawnSync(process.execPath, ["-e", LINT_ALL], { cwd: ROOT, input: JSON.stringify(fixtures.map((f) => ({ ...f, file: path.join(ROOT, f.file) }))), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`eslint failed (exit ${run.status}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as LintMessage[][];
}
// Package names are composed at run time so this file itself holds no barrel import a scan would flag.
const pkg = (name: string) => `"@cdktf/provider-${name}"`;
const SOURCE = [
  `import { S3Bucket } from ${pkg("aws")};`,
  `import * as google from ${pkg("google")};`,
  `import { storageClassV1 } from ${pkg("kubernetes/lib")};`,
  `export { Mount } from ${pkg("vault")};`,
  `const azurerm = require(${pkg("azurerm")});`,
  'import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";',
  "export const used = [S3Bucket, google, storageClassV1, azurerm, S3BucketPolicy];",
  "",
].join("\n");

test("every provider barrel import is rejected, a deep import is not", () => {
  const messages = linted().barrel;
  const barrel = messages.filter((m) => m.message.includes("deep path"));
  expect(barrel.map((m) => m.line)).toEqual([1, 2, 3, 4, 5]);
  expect(messages.filter((m) => m.line === 6)).toEqual([]);
});

// The import order (eslint.config.mjs): lib and policy, config, platform/, constructs, stacks, entry points; the
// shared constructs never import a cloud's, Kubernetes never Vault's, no cloud another's. Each case is one
// fixture file placed in a layer; the rule must fire exactly on the imports against the order.
const importSource = (imports: readonly string[]) =>
  [...imports.map((spec, i) => `import * as m${i} from "${spec}";`), `export const used = [${imports.map((_, i) => `m${i}`).join(", ")}];`, ""].join("\n");
const lintAs = (file: string, imports: readonly string[]) => {
  const messages = linted().layers.get(file);
  if (!messages) throw new Error(`${file} was not linted`);
  return messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => imports[m.line - 1]);
};

const LAYER_CASES = [
  ["lib/fixture.ts", ["./terraform-text", "../config/schema", "../platform/service-catalog", "../constructs/aws/network", "../stacks/deployment", "../app/synth-many"], ["../config/schema", "../platform/service-catalog", "../constructs/aws/network", "../stacks/deployment", "../app/synth-many"]],
  ["policy/rules/fixture.ts", ["../../lib/cidr", "../types", "../../constructs/kubernetes/pod-spec"], ["../../constructs/kubernetes/pod-spec"]],
  ["config/fixture.ts", ["../lib/cidr", "./cloud-facts", "../constructs/aws/eks-facts", "../platform/platform-foundation"], ["../constructs/aws/eks-facts", "../platform/platform-foundation"]],
  ["platform/fixture.ts", ["./service-catalog", "../config/schema", "../lib/labels", "../constructs/kubernetes/pod-spec", "../stacks/stack-ids"], ["../constructs/kubernetes/pod-spec", "../stacks/stack-ids"]],
  ["constructs/kubernetes/fixture.ts", ["./pod-spec", "../../platform/service-catalog", "../../lib/cidr", "../vault/kv-store", "../aws/network", "../../stacks/platform-stack"], ["../vault/kv-store", "../aws/network", "../../stacks/platform-stack"]],
  ["constructs/kubernetes/server-config/fixture.ts", ["../pod-spec", "../../vault/paths", "../../gcp/labels"], ["../../vault/paths", "../../gcp/labels"]],
  ["constructs/vault/fixture.ts", ["../kubernetes/pod-spec", "../azure/naming", "../../platform/service-names"], ["../azure/naming"]],
  ["constructs/aws/fixture.ts", ["./network", "../kubernetes/labels", "../gcp/labels", "../azure/naming"], ["../gcp/labels", "../azure/naming"]],
  ["stacks/fixture.ts", ["../constructs/aws/network", "./deployment", "../app/synth-many", "../scripts/ci", "../main"], ["../app/synth-many", "../scripts/ci", "../main"]],
] as const;

/** Every fixture of this file, linted once (the first test to ask runs the one ESLint process). */
let lintedOnce: { barrel: LintMessage[]; layers: Map<string, LintMessage[]> } | undefined;
function linted(): { barrel: LintMessage[]; layers: Map<string, LintMessage[]> } {
  if (!lintedOnce) {
    const [barrel, ...layers] = lintAll([{ file: path.join("stacks", "lint-fixture.ts"), source: SOURCE }, ...LAYER_CASES.map(([file, imports]) => ({ file, source: importSource(imports) }))]);
    lintedOnce = { barrel, layers: new Map(LAYER_CASES.map(([file], i) => [file, layers[i]])) };
  }
  return lintedOnce;
}

test.each(LAYER_CASES)("imports from %s against the order are rejected, the rest is not", (file, imports, rejected) => {
  expect(lintAs(file, imports)).toEqual(rejected);
});
