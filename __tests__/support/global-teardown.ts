import { rmSync } from "node:fs";
import { SYNTH_DIR_ENV } from "./deployments";

/** Removes what the global setup synthesized. */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env[SYNTH_DIR_ENV];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
