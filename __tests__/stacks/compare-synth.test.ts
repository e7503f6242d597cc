import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { addresses, compareSynth, readSynthTree } from "../../scripts/compare-synth";
import { outputDir } from "../support/deployments";

// The refactor check (scripts/compare-synth.ts) on the real synthesized AWS example: a copy compares equal,
// and each kind of move terraform would act on (an address renamed, a stack renamed, an argument changed) is found.
describe("compare-synth", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), "compare-synth-"));
    cpSync(outputDir("examples-aws"), path.join(work, "before"), { recursive: true });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const fresh = (name: string) => {
    const dir = path.join(work, name);
    cpSync(path.join(work, "before"), dir, { recursive: true });
    return dir;
  };
  const cloudStack = (dir: string) => path.join(dir, "stacks", "acme-prod-aws", "cdk.tf.json");
  const edit = (file: string, change: (j: Record<string, Record<string, Record<string, unknown>>>) => void) => {
    const json = JSON.parse(readFileSync(file, "utf8"));
    change(json);
    writeFileSync(file, JSON.stringify(json));
  };

  test("a copy keeps every stack and address of all four stacks", () => {
    const before = readSynthTree(path.join(work, "before"));
    expect([...before.keys()]).toEqual(["acme-prod-aws", "acme-prod-platform", "acme-prod-vault", "acme-prod-vault-config"]);
    const r = compareSynth(before, readSynthTree(fresh("copy")));
    expect(r.compared.addresses).toBeGreaterThan(300);
    expect([...r.removed, ...r.added, ...r.changed, ...r.stacksOnlyBefore, ...r.stacksOnlyAfter]).toEqual([]);
  });

  test("a renamed resource is one removal and one addition (a destroy and a create)", () => {
    const dir = fresh("renamed");
    let moved = "";
    edit(cloudStack(dir), (j) => {
      const buckets = j.resource.aws_s3_bucket;
      moved = Object.keys(buckets)[0];
      buckets[`${moved}_moved`] = buckets[moved];
      delete buckets[moved];
    });
    const r = compareSynth(readSynthTree(path.join(work, "before")), readSynthTree(dir));
    expect(r.removed).toEqual([`acme-prod-aws: aws_s3_bucket.${moved}`]);
    expect(r.added).toEqual([`acme-prod-aws: aws_s3_bucket.${moved}_moved`]);
  });

  test("a changed argument is reported as a change, cdktf's metadata is not", () => {
    const dir = fresh("changed");
    let name = "";
    edit(cloudStack(dir), (j) => {
      const bucket = Object.entries(j.resource.aws_s3_bucket)[0];
      name = bucket[0];
      (bucket[1] as Record<string, unknown>).force_destroy = true;
      (bucket[1] as Record<string, Record<string, unknown>>)["//"] = { metadata: { path: "elsewhere" } };
    });
    const r = compareSynth(readSynthTree(path.join(work, "before")), readSynthTree(dir));
    expect(r.changed).toEqual([`acme-prod-aws: aws_s3_bucket.${name}`]);
    expect(r.removed).toEqual([]);
  });

  test("a renamed stack orphans its state", () => {
    const dir = fresh("stack");
    cpSync(path.join(dir, "stacks", "acme-prod-vault"), path.join(dir, "stacks", "acme-prod-vault2"), { recursive: true });
    rmSync(path.join(dir, "stacks", "acme-prod-vault"), { recursive: true });
    const r = compareSynth(readSynthTree(path.join(work, "before")), readSynthTree(dir));
    expect(r.stacksOnlyBefore).toEqual(["acme-prod-vault"]);
    expect(r.stacksOnlyAfter).toEqual(["acme-prod-vault2"]);
  });

  test("data sources, outputs and the backend count as addresses", () => {
    const keys = [...addresses(readSynthTree(path.join(work, "before")).get("acme-prod-platform")!).keys()];
    expect(keys.some((k) => k.startsWith("data."))).toBe(true);
    expect(keys).toContain("terraform.backend");
  });

  test("an import block is reported as an import, not as a moved address; another id is a change", () => {
    const dir = fresh("imported");
    let name = "";
    edit(cloudStack(dir), (j) => {
      name = Object.keys(j.resource.aws_s3_bucket)[0];
      (j as unknown as Record<string, unknown>).import = [{ to: `aws_s3_bucket.${name}`, id: "bucket-a" }];
    });
    const r = compareSynth(readSynthTree(path.join(work, "before")), readSynthTree(dir));
    expect([r.imports.added, r.removed, r.added, r.changed]).toEqual([[`acme-prod-aws: aws_s3_bucket.${name}`], [], [], []]);
    const other = fresh("imported-other");
    edit(cloudStack(other), (j) => {
      (j as unknown as Record<string, unknown>).import = [{ to: `aws_s3_bucket.${name}`, id: "bucket-b" }];
    });
    expect(compareSynth(readSynthTree(dir), readSynthTree(other)).imports).toEqual({ added: [], removed: [], changed: [`acme-prod-aws: aws_s3_bucket.${name}`] });
    expect(compareSynth(readSynthTree(dir), readSynthTree(path.join(work, "before"))).imports.removed).toEqual([`acme-prod-aws: aws_s3_bucket.${name}`]);
  });
});
