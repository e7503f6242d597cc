// `npx tsx scripts/compare-synth.ts <before> <after>`: proves that a change keeps every stack id and every
// resource address. Each side is a synth output: a cdktf.out folder (stacks/<id>/cdk.tf.json) or a folder of
// them, one per deployment (what `npm run synth -- --all <dir> --out <dir>` writes).
//
// Terraform keys state by address (`<type>.<name>`, and the stack's own state per stack id): an address that
// disappears is a destroy, one that appears a create, even when the resource "moved" only in the code. So the
// comparison lists, per deployment and stack, the addresses (resources, data sources, outputs, providers'
// aliases, variables) on each side, and the addresses whose arguments changed. Exit 1 when any stack or address
// differs; with --identical, also when any argument differs (a pure refactor).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";

type Json = Record<string, unknown>;

/** Every stack's JSON under a synth output, keyed "<deployment>/<stack id>" ("<stack id>" for a single cdktf.out). */
export function readSynthTree(root: string): Map<string, Json> {
  const stacks = new Map<string, Json>();
  const readOut = (dir: string, prefix: string) => {
    const stacksDir = path.join(dir, "stacks");
    for (const id of readdirSync(stacksDir).sort()) {
      const file = path.join(stacksDir, id, "cdk.tf.json");
      if (existsSync(file)) stacks.set(prefix + id, JSON.parse(readFileSync(file, "utf8")) as Json);
    }
  };
  if (existsSync(path.join(root, "stacks"))) readOut(root, "");
  else {
    for (const deployment of readdirSync(root).sort()) {
      if (existsSync(path.join(root, deployment, "stacks"))) readOut(path.join(root, deployment), `${deployment}/`);
    }
  }
  if (stacks.size === 0) throw new Error(`${root} holds no synthesized stack (expected stacks/<id>/cdk.tf.json or <deployment>/stacks/...)`);
  return stacks;
}

/** A stack's addresses and the arguments behind each (cdktf's metadata excluded: it is no infrastructure). */
export function addresses(stack: Json): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const strip = (body: unknown) => {
    if (body === null || typeof body !== "object") return body;
    const { ["//"]: _metadata, ...rest } = body as Json;
    return rest;
  };
  for (const [kind, prefix] of [["resource", ""], ["data", "data."]] as const) {
    const blocks = (stack[kind] ?? {}) as Record<string, Record<string, unknown>>;
    for (const [type, byName] of Object.entries(blocks)) {
      for (const [name, body] of Object.entries(byName)) out.set(`${prefix}${type}.${name}`, strip(body));
    }
  }
  for (const [kind, prefix] of [["output", "output."], ["variable", "var."], ["locals", "local."]] as const) {
    for (const [name, body] of Object.entries((stack[kind] ?? {}) as Json)) out.set(`${prefix}${name}`, strip(body));
  }
  for (const [type, configs] of Object.entries((stack.provider ?? {}) as Record<string, unknown[]>)) {
    for (const config of configs) {
      const alias = (config as Json).alias;
      out.set(`provider.${type}${typeof alias === "string" ? `.${alias}` : ""}`, config);
    }
  }
  const backend = ((stack.terraform ?? {}) as Json).backend;
  if (backend !== undefined) out.set("terraform.backend", backend);
  return out;
}

/**
 * A stack's import blocks, by target address, with the id each imports. They move no address: terraform adopts an
 * existing object at an address it does not yet hold, and skips an import whose address is already in state.
 */
export function importBlocks(stack: Json): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const block of (stack.import ?? []) as Json[]) out.set(String(block.to), block.id);
  return out;
}

export interface SynthComparison {
  readonly stacksOnlyBefore: string[];
  readonly stacksOnlyAfter: string[];
  readonly removed: string[];
  readonly added: string[];
  readonly changed: string[];
  /** Import blocks added, removed or importing another id (`<deployment/stack>: <address>`). */
  readonly imports: { readonly added: string[]; readonly removed: string[]; readonly changed: string[] };
  readonly compared: { stacks: number; addresses: number };
}

export function compareSynth(before: Map<string, Json>, after: Map<string, Json>): SynthComparison {
  const stacksOnlyBefore = [...before.keys()].filter((k) => !after.has(k));
  const stacksOnlyAfter = [...after.keys()].filter((k) => !before.has(k));
  const removed: string[] = [];
  const added: string[] = [];
  const changed: string[] = [];
  const imports = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
  let count = 0;
  for (const [key, stack] of before) {
    const other = after.get(key);
    if (!other) continue;
    const ia = importBlocks(stack);
    const ib = importBlocks(other);
    for (const [to, id] of ia) {
      if (!ib.has(to)) imports.removed.push(`${key}: ${to}`);
      else if (!isDeepStrictEqual(id, ib.get(to))) imports.changed.push(`${key}: ${to}`);
    }
    for (const to of ib.keys()) if (!ia.has(to)) imports.added.push(`${key}: ${to}`);
    const a = addresses(stack);
    const b = addresses(other);
    count += a.size;
    for (const [address, body] of a) {
      if (!b.has(address)) removed.push(`${key}: ${address}`);
      else if (!isDeepStrictEqual(body, b.get(address))) changed.push(`${key}: ${address}`);
    }
    for (const address of b.keys()) if (!a.has(address)) added.push(`${key}: ${address}`);
  }
  const shared = [...before.keys()].filter((k) => after.has(k)).length;
  return { stacksOnlyBefore, stacksOnlyAfter, removed, added, changed, imports, compared: { stacks: shared, addresses: count } };
}

function main(argv: string[]): number {
  const identical = argv.includes("--identical");
  const dirs = argv.filter((a) => a !== "--identical");
  if (dirs.length !== 2) {
    console.error("usage: npx tsx scripts/compare-synth.ts [--identical] <before> <after>\n  each a cdktf.out folder or a folder of them (npm run synth -- --all <dir> --out <dir>)");
    return 2;
  }
  let r: SynthComparison;
  try {
    r = compareSynth(readSynthTree(dirs[0]), readSynthTree(dirs[1]));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const section = (title: string, items: string[]) => {
    if (items.length > 0) console.log(`${title} (${items.length}):\n${items.map((i) => `  ${i}`).join("\n")}`);
  };
  section("stacks only before (their state would be orphaned)", r.stacksOnlyBefore);
  section("stacks only after", r.stacksOnlyAfter);
  section("addresses removed (destroyed on apply)", r.removed);
  section("addresses added (created on apply)", r.added);
  section("addresses whose arguments changed", r.changed);
  section("import blocks added (adopt an existing object at that address; skipped when the address is in state)", r.imports.added);
  section("import blocks removed", r.imports.removed);
  section("import blocks with another id", r.imports.changed);
  const moved = r.stacksOnlyBefore.length + r.stacksOnlyAfter.length + r.removed.length + r.added.length;
  const importChanges = r.imports.added.length + r.imports.removed.length + r.imports.changed.length;
  console.log(
    `${r.compared.stacks} stacks, ${r.compared.addresses} addresses compared: ${moved === 0 ? "every stack id and address kept" : `${moved} differ`}; ` +
      `${r.changed.length} with changed arguments; ${importChanges} import block changes`,
  );
  return moved > 0 || (identical && r.changed.length + importChanges > 0) ? 1 : 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
