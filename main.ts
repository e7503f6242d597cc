import { App } from "cdktf";
import { ConfigError, loadDeployment } from "./config/load";
import { buildDeployment } from "./stacks/deployment";
import { Policy } from "./policy";

// Entry point: one validated deployment -> its stacks -> synth. Nothing is written for an invalid config.
let deployment;
try {
  deployment = loadDeployment();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}

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
