import { TerraformDataSource, TerraformResource, type TerraformStack } from "cdktf";
import type { Cloud } from "../../config/schema";
import { AWS_PERMISSIONS, AZURE_PERMISSIONS, GCLOUD_SERVICE_IDENTITY, GCP_PERMISSIONS, NOT_CLOUD, type TypePermissions } from "./permission-facts";

/** The Terraform types a set of stacks synthesizes: resources by type, data sources as `data.<type>`. */
export function synthesizedTypes(stacks: readonly TerraformStack[]): string[] {
  const types = new Set<string>();
  for (const stack of stacks) {
    for (const c of stack.node.findAll()) {
      if (c instanceof TerraformDataSource) types.add(`data.${c.terraformResourceType}`);
      else if (c instanceof TerraformResource) types.add(c.terraformResourceType);
    }
  }
  return [...types].sort();
}

const TABLES: Record<Cloud, Readonly<Record<string, TypePermissions>>> = { aws: AWS_PERMISSIONS, azure: AZURE_PERMISSIONS, gcp: GCP_PERMISSIONS };

/**
 * Why a type needs no permission of the cloud's IAM, or undefined when it does (or is unknown).
 * kubernetes_* and vault_* types are authorized inside the cluster and by Vault.
 */
export function notCloud(type: string): string | undefined {
  const bare = type.replace(/^data\./, "");
  if (bare.startsWith("kubernetes_")) return NOT_CLOUD.kubernetes;
  if (bare.startsWith("vault_")) return NOT_CLOUD.vault;
  return NOT_CLOUD[bare];
}

/** The permissions of a deploy identity, derived from the synthesized types. */
export interface DerivedPermissions {
  /** Refresh and data-source reads: the plan identity's whole list. */
  readonly read: readonly string[];
  /** What the apply identity needs on top of `read`. */
  readonly write: readonly string[];
  /** Types with no entry in the cloud's table and no reason to need none: the derivation is incomplete. */
  readonly unmapped: readonly string[];
}

/**
 * Beyond the stacks' own types: what the deploy flows call themselves (preflight, the GCP stack's local-exec),
 * read by both identities.
 */
export const FLOW_PERMISSIONS: Record<Cloud, { readonly read: readonly string[]; readonly write: readonly string[]; readonly source: string }> = {
  aws: {
    read: ["ec2:GetEbsEncryptionByDefault", "iam:GetPolicy"],
    write: [],
    source: "scripts/preflight.ts runs `aws ec2 get-ebs-encryption-by-default` (it names ec2:GetEbsEncryptionByDefault in its message) and `aws iam get-policy` on each role's boundary (iam:GetPolicy)",
  },
  azure: {
    read: ["Microsoft.Resources/subscriptions/read", "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Resources/subscriptions/providers/read"],
    write: [],
    source:
      "scripts/preflight.ts runs `az account show`; the azurerm provider reads the subscription, and lists its resource providers each time it starts, " +
      "failing on any error (hashicorp/terraform-provider-azurerm v4 internal/resourceproviders/registration.go: EnsureRegistered -> populateCache -> " +
      "ProvidersClient.List; 'populating Resource Provider cache'; a 403 for Microsoft.Resources/subscriptions/providers/read: hashicorp/terraform-provider-azurerm#2678). " +
      "It registers none (resource_provider_registrations none, AZURE_PROVIDER_REGISTRATION): the bootstrap does",
  },
  gcp: { read: ["resourcemanager.projects.get"], write: [...GCLOUD_SERVICE_IDENTITY.write], source: "stacks/gcp-stack.ts's terraform_data GkeServiceAgent runs `gcloud beta services identity create` (GenerateServiceIdentity)" },
};

/** The read and write permissions the given types need on `cloud`; unknown types are listed in `unmapped`. */
export function derivePermissions(cloud: Cloud, types: readonly string[]): DerivedPermissions {
  const table = TABLES[cloud];
  const read = new Set<string>(FLOW_PERMISSIONS[cloud].read);
  const write = new Set<string>(FLOW_PERMISSIONS[cloud].write);
  const unmapped: string[] = [];
  for (const type of types) {
    const entry = table[type];
    if (entry) {
      entry.read.forEach((a) => read.add(a));
      entry.write.forEach((a) => write.add(a));
    } else if (notCloud(type) === undefined) {
      unmapped.push(type);
    }
  }
  for (const a of read) write.delete(a);
  return { read: [...read].sort(), write: [...write].sort(), unmapped };
}

/** derivePermissions, refusing an incomplete derivation (a deploy identity that cannot apply its own stacks). */
export function requirePermissions(cloud: Cloud, types: readonly string[]): DerivedPermissions {
  const p = derivePermissions(cloud, types);
  if (p.unmapped.length > 0) {
    throw new Error(`no ${cloud} permissions are mapped for ${p.unmapped.join(", ")}: add them to stacks/bootstrap/permission-facts.ts with their source`);
  }
  return p;
}
