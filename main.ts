import { ConfigError, loadDeployment } from "./config/load";
import type { Deployment } from "./config/schema";

// Entry point: one validated deployment -> its stacks -> the security policy -> synth.
// The config is validated before the stacks and the policy are loaded, so a mistake is reported in a
// fraction of a second, and nothing is written for an invalid config.

function deploymentOrExit(): Deployment {
  try {
    return loadDeployment();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
}

async function main(): Promise<void> {
  const deployment = deploymentOrExit();
  const [{ App }, { buildDeployment }, { Policy }] = await Promise.all([
    import("cdktf"),
    import("./stacks/deployment"),
    import("./policy"),
  ]);
  const app = new App();
  buildDeployment(app, deployment);
  // Security policy on every stack: failures are error annotations (one line each), then a summary and
  // <outdir>/policy-report.json. cdktf stops at the first stack with errors; the policy reports them all.
  const policy = Policy.applyTo(app);
  try {
    app.synth();
  } catch (e) {
    if (!Policy.isAnnotationFailure(e)) throw e;
  }
  process.exitCode = policy.finish();
}

main().catch((e: unknown) => {
  // A defect in the program, not the user's input: show everything.
  console.error(e);
  process.exit(1);
});
