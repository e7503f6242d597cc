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
