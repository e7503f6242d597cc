import { createHash } from "node:crypto";

/**
 * Names for Azure resources whose names are global (storage accounts, Key Vaults): a readable prefix from
 * the deployment name plus a short hash of (subscription, deployment), so two customers' deployments named
 * alike never collide, and the same config always yields the same name (synthesis stays deterministic).
 */
export function globalName(kind: "storage" | "keyVault", deployment: string, subscriptionId: string, role: string): string {
  const hash = createHash("sha256").update(`${subscriptionId}/${deployment}/${role}`).digest("hex").slice(0, 6);
  if (kind === "storage") {
    // 3-24 lowercase letters and digits.
    const prefix = deployment.replace(/[^a-z0-9]/g, "").slice(0, 14);
    return `${prefix}${role.replace(/[^a-z0-9]/g, "").slice(0, 3)}${hash}`;
  }
  // Key Vault: 3-24 letters, digits and '-', starting with a letter, no '--', not ending with '-'.
  const prefix = deployment.replace(/-+/g, "-").slice(0, 13).replace(/-$/, "");
  return `${prefix}-${role.slice(0, 3)}-${hash}`;
}
