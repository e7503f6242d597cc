import * as fs from "node:fs";
import * as path from "node:path";

// Issue 19, "one idea, one name": the project's own construct props say destroy protection one way,
// `allowDestroy?: boolean` (default false: protected), the sense of the user's `dataProtection.allowDestroy`.
// Provider attribute names (lifecycle preventDestroy, deletion_protection, ...) are set inside the constructs
// and are not props, so they are not matched here.
const ROOT = path.resolve(__dirname, "..", "..");
const sources = (dir: string): string[] =>
  fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));

const FOLDERS = ["lib", "platform", "constructs", "stacks", "app"];
const declaredProps = (pattern: RegExp) =>
  FOLDERS.flatMap(sources).flatMap((file) =>
    fs.readFileSync(path.join(ROOT, file), "utf8").split("\n").flatMap((line, i) => {
      const m = /^\s*readonly (\w+)\??:\s*boolean\b/.exec(line);
      return m && pattern.test(m[1]) ? [`${file}:${i + 1} ${m[1]}`] : [];
    }),
  );

test("destroy protection is one prop, allowDestroy, in every construct", () => {
  const props = declaredProps(/destroy|deletion|delete|lock/i);
  expect(props.filter((p) => !p.endsWith(" allowDestroy"))).toEqual([]);
  // The scan sees the props at all: the AWS, Azure, GCP, Kubernetes and Vault constructs each declare it.
  for (const folder of ["aws", "azure", "gcp", "kubernetes", "vault"]) {
    expect(props.some((p) => p.startsWith(`constructs/${folder}/`))).toBe(true);
  }
});

test("construct ids from names come from lib/construct-id.ts only: no hand-written capitalising helper elsewhere", () => {
  const handWritten = FOLDERS.flatMap(sources)
    .filter((file) => file !== path.join("lib", "construct-id.ts"))
    .flatMap((file) =>
      fs.readFileSync(path.join(ROOT, file), "utf8").split("\n").flatMap((line, i) =>
        /function pascal\b|(charAt\(0\)|\[0\])\.toUpperCase\(\)/.test(line) ? [`${file}:${i + 1} ${line.trim()}`] : [],
      ),
    );
  expect(handWritten).toEqual([]);
});
