import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { readConfigFile } from "../config/load";
import { CLOUDS, type Cloud } from "../config/schema";

const EXAMPLES = path.resolve(__dirname, "..", "examples");

/**
 * Writes `count` valid deployment files into `dir`, the three clouds in turn: each is the shipped
 * example of its cloud (examples/<cloud>.yaml, with its IdP metadata read in) under a name of its own
 * (`fleet-<n>-<cloud>`), so every file is a deployment a user could synthesize. Returns the files, sorted.
 */
export function writeFleet(dir: string, count: number): string[] {
  mkdirSync(dir, { recursive: true });
  const examples = Object.fromEntries(CLOUDS.map((c) => [c, readConfigFile(path.join(EXAMPLES, `${c}.yaml`)) as Record<string, unknown>])) as Record<Cloud, Record<string, unknown>>;
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const cloud = CLOUDS[i % CLOUDS.length];
    const name = `fleet-${String(i).padStart(3, "0")}-${cloud}`;
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, stringify({ ...examples[cloud], name }));
    files.push(file);
  }
  return files.sort();
}
