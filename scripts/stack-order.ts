import type { Deployment } from "../config/schema";
import { UsageError } from "../config/synth-args";
import { stackIds } from "../stacks/stack-ids";

/**
 * The stacks of a deployment by role, in dependency order: each one reads the state of the ones
 * before it (cross-stack references), so it is deployed after them and destroyed before them.
 */
export const STACK_ROLES = ["cloud", "vault", "vault-config", "platform"] as const;
/** One stack's role in a deployment. */
export type StackRole = (typeof STACK_ROLES)[number];

const ID_KEY: Record<StackRole, keyof ReturnType<typeof stackIds>> = {
  cloud: "cloud",
  vault: "vault",
  "vault-config": "vaultConfig",
  platform: "platform",
};

/** The stack id (`<name>-<role>`, `<name>-aws` for the cloud stack) of one role. */
export function stackIdOf(deployment: Pick<Deployment, "name" | "cloud">, role: StackRole): string {
  return stackIds(deployment)[ID_KEY[role]];
}

/** A deployment's stacks as `{ role, id }`, in dependency order. */
export function orderedStacks(deployment: Pick<Deployment, "name" | "cloud">): { role: StackRole; id: string }[] {
  return STACK_ROLES.map((role) => ({ role, id: stackIdOf(deployment, role) }));
}

/**
 * Parses a `--stack` selection: roles (`cloud`, `vault-config`) or full stack ids, comma-separated.
 * Returns the chosen roles in dependency order (the order given by the operator never matters);
 * an unknown name is an error that lists what is allowed.
 */
export function selectStacks(deployment: Pick<Deployment, "name" | "cloud">, selection: readonly string[]): StackRole[] {
  const names = selection.flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) return [...STACK_ROLES];
  const all = orderedStacks(deployment);
  const chosen = new Set<StackRole>();
  const unknown: string[] = [];
  for (const name of names) {
    const hit = all.find((s) => s.role === name || s.id === name);
    if (hit) chosen.add(hit.role);
    else unknown.push(name);
  }
  if (unknown.length) {
    throw new UsageError(`unknown stack ${unknown.map((u) => `'${u}'`).join(", ")}; use one of ${all.map((s) => `${s.role} (${s.id})`).join(", ")}`);
  }
  return STACK_ROLES.filter((r) => chosen.has(r));
}

/** A mistake on the command line: printed as is, without a stack trace (one class for every script). */
export { UsageError } from "../config/synth-args";
