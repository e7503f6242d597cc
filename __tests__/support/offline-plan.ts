import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { cliConfig, discoverMirrors, mirroredVersions, terraformPlatform } from "../../scripts/validate";
import type { PlanJson } from "../../scripts/replacement-guard";

/**
 * The real terraform and the real hashicorp/aws 5.100.0 provider, planning offline: placeholder
 * credentials with the provider's credential, account-id and metadata checks skipped, `-refresh=false`,
 * and a state file the test writes. The provider's own plan logic (which attributes force a replacement)
 * decides, not the test. The provider comes from a local plugin mirror (TF_PLUGIN_MIRROR, or the
 * conventional places scripts/validate.ts knows, e.g. /opt/tf-plugins); CI's workflows build one with
 * `terraform providers mirror`.
 */
export const AWS_PROVIDER = { address: "registry.terraform.io/hashicorp/aws", version: "5.100.0" } as const;

/** Provider arguments that keep the aws provider off the network (hashicorp/aws provider docs, "skip_*" arguments). */
export const OFFLINE_AWS_PROVIDER = {
  access_key: "placeholder-access-key",
  secret_key: "placeholder-secret-key",
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: true,
  skip_region_validation: true,
} as const;

/** A managed resource in a state file the test writes (state format version 4). */
export interface StateResource {
  readonly type: string;
  readonly name: string;
  readonly attributes: Record<string, unknown>;
}

/** A working directory with terraform initialised against the mirrored aws provider. */
export class OfflinePlanner {
  readonly dir = mkdtempSync(path.join(tmpdir(), "offline-plan-"));
  private readonly env: NodeJS.ProcessEnv;
  private readonly terraform = process.env.TERRAFORM_BINARY || "terraform";

  constructor() {
    const mirrors = discoverMirrors().mirrors.filter((m) => mirroredVersions(m, AWS_PROVIDER.address, terraformPlatform()).includes(AWS_PROVIDER.version));
    if (mirrors.length === 0) {
      throw new Error(
        `no plugin mirror holds ${AWS_PROVIDER.address} ${AWS_PROVIDER.version}: build one with \`terraform providers mirror <dir>\` ` +
          "in a directory requiring it, and set TF_PLUGIN_MIRROR=<dir> (the workflows do this)",
      );
    }
    const rc = path.join(this.dir, ".terraformrc");
    writeFileSync(rc, cliConfig(mirrors, [AWS_PROVIDER.address]));
    this.env = { PATH: process.env.PATH ?? "", HOME: this.dir, TF_CLI_CONFIG_FILE: rc, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
  }

  /** Plans `config` (a root module as JSON) against `state`; the saved plan as `terraform show -json`, or terraform's error. */
  plan(config: Record<string, unknown>, state: readonly StateResource[]): { ok: true; plan: PlanJson; text: string } | { ok: false; error: string } {
    writeFileSync(path.join(this.dir, "main.tf.json"), JSON.stringify(config, null, 2));
    writeFileSync(path.join(this.dir, "terraform.tfstate"), JSON.stringify(stateFile(state), null, 2));
    rmSync(path.join(this.dir, "plan.tfplan"), { force: true });
    this.run(["init", "-input=false", "-no-color", "-backend=false"]);
    const plan = this.run(["plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", "-out=plan.tfplan"], true);
    if (plan.status !== 0) return { ok: false, error: `${plan.stdout}\n${plan.stderr}` };
    const shown = this.run(["show", "-json", "plan.tfplan"]);
    return { ok: true, plan: JSON.parse(shown.stdout) as PlanJson, text: plan.stdout };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private run(args: string[], mayFail = false): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(this.terraform, args, { cwd: this.dir, env: this.env, encoding: "utf8", timeout: 240_000 });
    if (r.error) throw new Error(`cannot run ${this.terraform}: ${r.error.message}; install terraform 1.11 (https://developer.hashicorp.com/terraform/install) or set TERRAFORM_BINARY`);
    if (!mayFail && r.status !== 0) throw new Error(`terraform ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
}

function stateFile(resources: readonly StateResource[]) {
  return {
    version: 4,
    terraform_version: "1.11.4",
    serial: 1,
    lineage: "6c1f0d1e-0000-4000-8000-000000000001",
    outputs: {},
    resources: resources.map((r) => ({
      mode: "managed",
      type: r.type,
      name: r.name,
      provider: `provider["${AWS_PROVIDER.address}"]`,
      instances: [{ schema_version: 0, attributes: r.attributes, sensitive_attributes: [] }],
    })),
  };
}
