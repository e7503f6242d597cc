import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";

/** Deployment files in a directory (.yaml, .yml, .json), sorted: the order deployments roll out in. */
export function deploymentFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => path.posix.join(dir, f));
}

/** A deployment file's name without its extension: `deployments/acme-prod.yaml` -> `acme-prod`. */
export function deploymentFileStem(file: string): string {
  return path.basename(file).replace(/\.(ya?ml|json)$/, "");
}
