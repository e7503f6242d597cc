import { App } from "cdktf";
import { ConfigError, loadDeployment } from "./config/load";
import { buildDeployment } from "./stacks/deployment";

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
app.synth();
