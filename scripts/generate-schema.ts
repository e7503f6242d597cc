// Writes the generated config artefacts: config/deployment.schema.json (editor completion) and
// docs/config-reference.md. `npm run schema` regenerates both; a test fails when either is stale.
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { deploymentJsonSchema } from "../config/json-schema";
import { configReferenceMarkdown } from "../config/reference-doc";

const root = path.join(__dirname, "..");
const outputs: [string, string][] = [
  [path.join("config", "deployment.schema.json"), deploymentJsonSchema()],
  [path.join("docs", "config-reference.md"), configReferenceMarkdown()],
];
for (const [file, text] of outputs) {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
  console.log(`wrote ${file}`);
}
