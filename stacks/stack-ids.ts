import type { Deployment } from "../config/schema";

/**
 * Stack ids of a deployment. They name Terraform state: never change them
 * (renaming one replaces or orphans real infrastructure).
 */
export function stackIds(d: Pick<Deployment, "name" | "cloud">) {
  return {
    cloud: `${d.name}-${d.cloud}`,
    vault: `${d.name}-vault`,
    vaultConfig: `${d.name}-vault-config`,
    platform: `${d.name}-platform`,
  } as const;
}
