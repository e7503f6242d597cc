import type { Rule } from "../types";
import { AWS_RULES } from "./aws";
import { AZURE_RULES } from "./azure";
import { GCP_RULES } from "./gcp";
import { GENERIC_RULES } from "./generic";
import { KUBERNETES_RULES } from "./kubernetes";
import { VAULT_RULES } from "./vault";

/** The rule packs, one file each. Add a pack here; ids are `<PACK>-<n>` and never reused. */
export const RULE_PACKS: Readonly<Record<string, readonly Rule[]>> = {
  AWS: AWS_RULES,
  AZ: AZURE_RULES,
  GCP: GCP_RULES,
  K8S: KUBERNETES_RULES,
  VAULT: VAULT_RULES,
  GEN: GENERIC_RULES,
};

/**
 * Ids of retired rules: never reuse them. (None yet.) A retired rule's id stays here forever so a
 * suppression naming it fails loudly instead of silently excusing a new, different rule.
 */
export const RETIRED_RULE_IDS: readonly string[] = [];

/** Every rule of every pack, in pack order. */
export const ALL_RULES: readonly Rule[] = checked(Object.entries(RULE_PACKS));

/** Every valid rule id (for suppressions). */
export const RULE_IDS: ReadonlySet<string> = new Set(ALL_RULES.map((r) => r.id));

function checked(packs: [string, readonly Rule[]][]): Rule[] {
  const seen = new Set<string>(RETIRED_RULE_IDS);
  const all: Rule[] = [];
  for (const [pack, rules] of packs) {
    for (const r of rules) {
      if (!new RegExp(`^${pack}-[1-9][0-9]*$`).test(r.id)) throw new Error(`rule id ${r.id} must be ${pack}-<n>`);
      if (seen.has(r.id)) throw new Error(`rule id ${r.id} is used twice (or was retired)`);
      seen.add(r.id);
      all.push(r);
    }
  }
  return all;
}
