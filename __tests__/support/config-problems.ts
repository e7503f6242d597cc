import { ConfigError, validateDeployment } from "../../config/load";

/** The problems the loader reports for a config (none when it is accepted); anything but a ConfigError is thrown. */
export function configProblems(config: unknown): string[] {
  try {
    validateDeployment(config, "f.yaml");
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}
