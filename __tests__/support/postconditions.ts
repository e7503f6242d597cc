import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/**
 * The real terraform (`terraform console`, no provider needed) evaluating the custom conditions of a
 * synthesized block, exactly as written in the synthesized JSON, against the attributes a data source
 * would read: `self.<attr>` is replaced by a local holding them. What a condition means is terraform's
 * decision (its functions, its null and type rules), not the test's.
 */

/** One postcondition of a block and what terraform made of it. */
export interface EvaluatedCondition {
  readonly errorMessage: string;
  /** `true`/`false`, or terraform's error when the expression fails to evaluate (a defect too). */
  readonly result: boolean | string;
}

interface Postcondition {
  readonly condition: string;
  readonly error_message: string;
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/** The postconditions of `block` (a data source or resource of synthesized JSON), evaluated for `self`. */
export function evaluatePostconditions(block: Record<string, unknown>, self: Record<string, unknown>): EvaluatedCondition[] {
  const lifecycle = (block.lifecycle ?? {}) as { postcondition?: Postcondition[] };
  const conditions = lifecycle.postcondition ?? [];
  if (conditions.length === 0) throw new Error("the block has no postconditions");
  const dir = mkdtempSync(path.join(tmpdir(), "postconditions-"));
  try {
    writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ locals: { self } }));
    const rc = path.join(dir, ".terraformrc");
    writeFileSync(rc, "");
    return conditions.map((c) => {
      const whole = /^\$\{([\s\S]*)\}$/.exec(c.condition);
      if (!whole) throw new Error(`condition is not one expression: ${c.condition}`);
      const expression = whole[1].replace(/\bself\./g, "local.self.");
      const run = spawnSync(process.env.TERRAFORM_BINARY || "terraform", ["console"], {
        cwd: dir,
        input: `${expression}\n`,
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", HOME: dir, TF_CLI_CONFIG_FILE: rc, CHECKPOINT_DISABLE: "1" },
      });
      if (run.error) throw new Error(`terraform is not on the PATH (install terraform 1.11; .ci/install-test-servers does): ${run.error.message}`);
      const out = run.stdout.replace(ANSI, "").trim();
      const result = run.status === 0 && (out === "true" || out === "false") ? out === "true" : `${out} ${run.stderr.replace(ANSI, "")}`.trim();
      return { errorMessage: c.error_message, result };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The messages of the conditions that do not hold (false or failing to evaluate). */
export function failing(block: Record<string, unknown>, self: Record<string, unknown>): string[] {
  return evaluatePostconditions(block, self).filter((c) => c.result !== true).map((c) => (c.result === false ? c.errorMessage : `${c.errorMessage} [error: ${String(c.result)}]`));
}
