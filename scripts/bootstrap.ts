import { mkdirSync } from "node:fs";
import { App } from "cdktf";
import { ConfigError, loadDeployment } from "../config/load";
import type { TerraformStack } from "cdktf";
import { AwsStateStack } from "../stacks/bootstrap/aws-state-stack";
import { AzureDeployRolesStack } from "../stacks/bootstrap/azure-deploy-roles-stack";
import { GcpDeployRolesStack } from "../stacks/bootstrap/gcp-deploy-roles-stack";
import { UsageError } from "./stack-order";
import { TerraformTextEscaping } from "../lib/terraform-text";

/**
 * The optional, one-time bootstrap of a deployment. AWS: `<name>-state` (state bucket, GitHub OIDC
 * provider, plan and apply roles). Azure, GCP: `<name>-deploy-roles` (plan and apply custom roles). The roles'
 * permissions are derived from the deployment's synthesized stacks. Never built by main.ts; synthesized into
 * cdktf.out/bootstrap.
 *
 *   npm run bootstrap:synth -- --config deployments/acme-prod.yaml --github-repo acme/platform [--existing-oidc-provider]
 *   npx cdktf deploy acme-prod-state --output cdktf.out/bootstrap \
 *     --app "npx tsx scripts/bootstrap.ts --config deployments/acme-prod.yaml --github-repo acme/platform"
 *   npm run bootstrap:synth -- --config deployments/contoso-prod.yaml [--adopt-groups]   (Azure: the config names the identities;
 *                                      --adopt-groups once for a deployment whose cloud stack already created its resource groups)
 *   npm run bootstrap:synth -- --config deployments/globex-prod.yaml --apply-member serviceAccount:... [--plan-member ...]
 */

/** The bootstrap's command line. */
export interface BootstrapArgs {
  readonly githubRepository: string;
  readonly createOidcProvider: boolean;
}

/** Parses the bootstrap-only flags (`--config` is read by the config loader). */
export function parseBootstrapArgs(argv: readonly string[], env: NodeJS.ProcessEnv): BootstrapArgs {
  const i = argv.indexOf("--github-repo");
  const githubRepository = (i >= 0 ? argv[i + 1] : undefined) ?? env.GITHUB_REPOSITORY;
  if (!githubRepository || githubRepository.startsWith("--")) {
    throw new UsageError("--github-repo owner/name is required: the repository whose workflows may assume the plan and apply roles");
  }
  return { githubRepository, createOidcProvider: !argv.includes("--existing-oidc-provider") };
}

/** The value of `--flag value`, or undefined. */
function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (i >= 0 && (!v || v.startsWith("--"))) throw new UsageError(`${name} needs a value`);
  return v;
}

/**
 * Builds the deployment's bootstrap into `app`: on AWS `<name>-state` (state bucket, GitHub OIDC, derived plan and
 * apply roles); on Azure and GCP `<name>-deploy-roles` (derived plan and apply custom roles, assigned to the
 * config's identities on Azure and to `--plan-member`/`--apply-member` on GCP).
 */
export function buildBootstrap(app: App, argv: readonly string[], env: NodeJS.ProcessEnv): TerraformStack {
  const deployment = loadDeployment(argv, env);
  let stack: TerraformStack;
  if (deployment.cloud === "azure") {
    // --adopt-groups: the deployment's resource groups exist already (its cloud stack created them): import, not create.
    stack = new AzureDeployRolesStack(app, `${deployment.name}-deploy-roles`, { deployment, adoptExistingGroups: argv.includes("--adopt-groups") });
  } else if (deployment.cloud === "gcp") {
    stack = new GcpDeployRolesStack(app, `${deployment.name}-deploy-roles`, { deployment, planMember: flag(argv, "--plan-member"), applyMember: flag(argv, "--apply-member") });
  } else {
    stack = new AwsStateStack(app, `${deployment.name}-state`, { deployment, ...parseBootstrapArgs(argv, env) });
  }
  TerraformTextEscaping.applyTo(stack);
  return stack;
}

if (require.main === module) {
  try {
    // The cdktf CLI sets CDKTF_OUTDIR when it runs this app; alone, keep the bootstrap apart from the deployment's stacks.
    const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out/bootstrap";
    mkdirSync(outdir, { recursive: true });
    const app = new App({ outdir });
    const stack = buildBootstrap(app, process.argv.slice(2), process.env);
    app.synth();
    // stdout: the cdktf CLI shows whatever the app writes to stderr as [ERROR], success included.
    console.log(`synthesized ${stack.node.id} into ${app.outdir}`);
  } catch (e) {
    // Bad input (config, flags, a non-s3 backend) gets its message, not a stack trace.
    if (e instanceof ConfigError || e instanceof UsageError || (e instanceof Error && / state\.backend | GitHub repository | too long /.test(e.message))) {
      console.error(e.message);
      process.exit(1);
    }
    // Anything else is the tool's own defect (a fact it lacks, a resource it cannot place): say so, with the detail to report.
    console.error(`bootstrap: unexpected error (a defect, not your config; report it with this text):\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(2);
  }
}
