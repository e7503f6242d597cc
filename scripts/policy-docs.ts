import * as fs from "fs";
import * as path from "path";
import { renderRulesDoc } from "../policy/docs";

/** Writes docs/policy-rules.md from the rule registry. A test fails when the committed file is stale. */
const file = path.join(__dirname, "..", "docs", "policy-rules.md");
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, renderRulesDoc());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
