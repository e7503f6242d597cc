// Writes config/deployment.schema.json (JSON Schema of a deployment file, for editor completion).
// `npm run schema` regenerates it; a test fails when the committed file is stale.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { deploymentJsonSchema } from "../config/json-schema";

const out = path.join(__dirname, "..", "config", "deployment.schema.json");
writeFileSync(out, deploymentJsonSchema());
console.log(`wrote ${path.relative(process.cwd(), out)}`);
