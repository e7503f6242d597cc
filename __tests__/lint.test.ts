import { spawnSync } from "node:child_process";
import * as path from "node:path";

// The one project-specific lint rule: provider packages are imported by deep path, never the barrel.
// Run through the real CLI and flat config, as `npm test` does (ESLint loads its config by dynamic import,
// which jest's module sandbox does not allow in-process).
const ROOT = path.resolve(__dirname, "..");
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
  const run = spawnSync(
    path.join(ROOT, "node_modules", ".bin", "eslint"),
    ["--stdin", "--stdin-filename", path.join(ROOT, "stacks", "lint-fixture.ts"), "--format", "json"],
    { cwd: ROOT, input: SOURCE, encoding: "utf8" },
  );
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string; line: number; message: string }[] }[];
  const barrel = result.messages.filter((m) => m.message.includes("deep path"));
  expect(barrel.map((m) => m.line)).toEqual([1, 2, 3, 4, 5]);
  expect(result.messages.filter((m) => m.line === 6)).toEqual([]);
});

// The import order (eslint.config.mjs): lib and policy, config, platform/, constructs, stacks, entry points; the
// shared constructs never import a cloud's, Kubernetes never Vault's, no cloud another's. Each case is one
// fixture file placed in a layer; the rule must fire exactly on the imports against the order.
const lintAs = (file: string, imports: readonly string[]) => {
  const source = [...imports.map((spec, i) => `import * as m${i} from "${spec}";`), `export const used = [${imports.map((_, i) => `m${i}`).join(", ")}];`, ""].join("\n");
  const run = spawnSync(path.join(ROOT, "node_modules", ".bin", "eslint"), ["--stdin", "--stdin-filename", path.join(ROOT, file), "--format", "json"], {
    cwd: ROOT,
    input: source,
    encoding: "utf8",
  });
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string; line: number; message: string }[] }[];
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => imports[m.line - 1]);
};

test.each([
  ["lib/fixture.ts", ["./terraform-text", "../config/schema", "../platform/service-catalog", "../constructs/aws/network", "../stacks/deployment", "../app/synth-many"], ["../config/schema", "../platform/service-catalog", "../constructs/aws/network", "../stacks/deployment", "../app/synth-many"]],
  ["policy/rules/fixture.ts", ["../../lib/cidr", "../types", "../../constructs/kubernetes/pod-spec"], ["../../constructs/kubernetes/pod-spec"]],
  ["config/fixture.ts", ["../lib/cidr", "./cloud-facts", "../constructs/aws/eks-facts", "../platform/platform-foundation"], ["../constructs/aws/eks-facts", "../platform/platform-foundation"]],
  ["platform/fixture.ts", ["./service-catalog", "../config/schema", "../lib/labels", "../constructs/kubernetes/pod-spec", "../stacks/stack-ids"], ["../constructs/kubernetes/pod-spec", "../stacks/stack-ids"]],
  ["constructs/kubernetes/fixture.ts", ["./pod-spec", "../../platform/service-catalog", "../../lib/cidr", "../vault/kv-store", "../aws/network", "../../stacks/platform-stack"], ["../vault/kv-store", "../aws/network", "../../stacks/platform-stack"]],
  ["constructs/kubernetes/server-config/fixture.ts", ["../pod-spec", "../../vault/paths", "../../gcp/labels"], ["../../vault/paths", "../../gcp/labels"]],
  ["constructs/vault/fixture.ts", ["../kubernetes/pod-spec", "../azure/naming", "../../platform/service-names"], ["../azure/naming"]],
  ["constructs/aws/fixture.ts", ["./network", "../kubernetes/labels", "../gcp/labels", "../azure/naming"], ["../gcp/labels", "../azure/naming"]],
  ["stacks/fixture.ts", ["../constructs/aws/network", "./deployment", "../app/synth-many", "../scripts/ci", "../main"], ["../app/synth-many", "../scripts/ci", "../main"]],
] as const)("imports from %s against the order are rejected, the rest is not", (file, imports, rejected) => {
  expect(lintAs(file, imports)).toEqual(rejected);
});
