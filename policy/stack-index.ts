import { TerraformElement, TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
// The resolver TerraformStack.toTerraform itself uses (not re-exported by the package index).
import { resolve } from "cdktf/lib/_tokens";
import type { Element, ElementKind, RuleContext } from "./types";
import { isObj, references, type Obj } from "./values";

/**
 * Every Terraform block of one stack, resolved once (snake_case JSON, references as "${...}"),
 * with lookups rules share. Built once per stack per synth: rules never resolve anything themselves.
 */
export class StackIndex implements RuleContext {
  /** Indexes `stack` (its own elements; nested stacks are indexed on their own). */
  static of(stack: TerraformStack): StackIndex {
    const elements: Element[] = [];
    for (const construct of ownElements(stack)) {
      const resolved: unknown = resolve(stack, construct.toTerraform());
      if (isObj(resolved)) elements.push(...fromFragment(resolved, construct));
    }
    return new StackIndex(elements);
  }

  private readonly byKindType = new Map<string, Element[]>();
  private readonly addresses = new Map<string, Element>();

  private constructor(readonly elements: readonly Element[]) {
    for (const e of elements) {
      const key = `${e.kind}:${e.type}`;
      const bucket = this.byKindType.get(key) ?? [];
      bucket.push(e);
      this.byKindType.set(key, bucket);
      this.addresses.set(e.address, e);
    }
  }

  resources(type: string): readonly Element[] {
    return this.byKindType.get(`resource:${type}`) ?? [];
  }

  dataSources(type: string): readonly Element[] {
    return this.byKindType.get(`data:${type}`) ?? [];
  }

  byAddress(address: string): Element | undefined {
    return this.addresses.get(address);
  }

  referencing(type: string, target: Element, attribute?: string): readonly Element[] {
    return this.resources(type).filter((e) => references(attribute ? pick(e.block, attribute) : e.block, target));
  }
}

function pick(b: Obj, path: string): unknown {
  let current: unknown = b;
  for (const key of path.split(".")) {
    const here = Array.isArray(current) ? current[0] : current;
    if (!isObj(here)) return undefined;
    current = here[key];
  }
  return current;
}

function ownElements(stack: TerraformStack): TerraformElement[] {
  const out: TerraformElement[] = [];
  const visit = (c: IConstruct): void => {
    if (TerraformElement.isTerraformElement(c)) out.push(c);
    for (const child of c.node.children) if (!TerraformStack.isStack(child)) visit(child);
  };
  visit(stack);
  return out;
}

/** Splits one element's synthesized fragment into blocks (a provider also contributes `terraform`). */
function fromFragment(fragment: Obj, construct: IConstruct): Element[] {
  const out: Element[] = [];
  const add = (kind: ElementKind, type: string, name: string, address: string, b: unknown): void => {
    if (isObj(b)) out.push({ kind, type, name, address, block: withoutMetadata(b), construct });
  };
  for (const [type, byName] of Object.entries(isObj(fragment.resource) ? fragment.resource : {})) {
    for (const [name, b] of Object.entries(isObj(byName) ? byName : {})) add("resource", type, name, `${type}.${name}`, b);
  }
  for (const [type, byName] of Object.entries(isObj(fragment.data) ? fragment.data : {})) {
    for (const [name, b] of Object.entries(isObj(byName) ? byName : {})) add("data", type, name, `data.${type}.${name}`, b);
  }
  for (const [type, configs] of Object.entries(isObj(fragment.provider) ? fragment.provider : {})) {
    for (const b of Array.isArray(configs) ? configs : [configs]) {
      const alias = isObj(b) && typeof b.alias === "string" ? `.${b.alias}` : "";
      add("provider", type, `${type}${alias}`, `provider.${type}${alias}`, b);
    }
  }
  for (const [name, b] of Object.entries(isObj(fragment.output) ? fragment.output : {})) add("output", "output", name, `output.${name}`, b);
  for (const [name, b] of Object.entries(isObj(fragment.variable) ? fragment.variable : {})) add("variable", "variable", name, `var.${name}`, b);
  if (isObj(fragment.locals)) add("local", "locals", construct.node.id, `local.${construct.node.id}`, fragment.locals);
  const terraform = isObj(fragment.terraform) ? fragment.terraform : {};
  for (const [type, b] of Object.entries(isObj(terraform.backend) ? terraform.backend : {})) add("backend", type, type, `backend.${type}`, b);
  return out;
}

function withoutMetadata(b: Obj): Obj {
  if (!("//" in b)) return b;
  const rest = { ...b };
  delete rest["//"];
  return rest;
}
