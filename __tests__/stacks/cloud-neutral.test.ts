import { App, Testing } from "cdktf";
import { DEFAULT_DEPLOYMENT } from "../../config/default";
import { validateDeployment } from "../../config/load";
import type { Cloud, DeploymentInput } from "../../config/schema";
import { buildDeployment } from "../../stacks/deployment";

// The promise of the design: only the cloud layer differs per cloud. The same deployment, synthesized
// on AWS, Azure and GCP, must give the vault, vault-config and platform stacks the same resources, and
// may differ only in values the PlatformFoundation contract carries.

const CLOUD_SETTINGS: Record<Cloud, Partial<DeploymentInput>> = {
  aws: {},
  azure: {
    cloud: "azure", region: "westeurope", aws: undefined,
    azure: {
      subscriptionId: "00000000-0000-0000-0000-000000000000", tenantId: "11111111-1111-1111-1111-111111111111", adminGroupObjectIds: ["22222222-2222-2222-2222-222222222222"],
      deployerObjectId: "33333333-3333-3333-3333-333333333333",
      runnerNetwork: { virtualNetworkId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/runners/providers/Microsoft.Network/virtualNetworks/runners", addressPrefixes: ["203.0.113.0/26"] },
    },
  },
  gcp: { cloud: "gcp", region: "europe-west1", aws: undefined, gcp: { projectId: "acme-catalog-prod" } },
};

type Flat = Map<string, string>;

/**
 * Leaf paths to JSON values; list items that have a `name` are keyed by it (container[uploader].env[HOME]),
 * and a `depends_on` entry by the address it names (depends_on[kubernetes_network_policy_v1.X]).
 */
function flatten(value: unknown, prefix: string, out: Flat): Flat {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      const named = v !== null && typeof v === "object" && typeof (v as { name?: unknown }).name === "string";
      const name = named ? (v as { name: string }).name : prefix.endsWith(".depends_on") && typeof v === "string" ? v : String(i);
      flatten(v, `${prefix}[${name}]`, out);
    });
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}

/**
 * podNetwork: rules by address. Every NetworkPolicy rule whose peers are all ipBlocks is fed by the
 * contract's ranges (podNetwork: clusterCidrs, workloadIdentityEgress; egress: the endpoints' cidrs); its keys count as fed.
 */
function ipBlockRules(json: { resource?: Record<string, Record<string, unknown>> }): string[] {
  const prefixes: string[] = [];
  for (const [id, policy] of Object.entries(json.resource?.kubernetes_network_policy_v1 ?? {})) {
    const spec = (policy as { spec: Record<string, { to?: { ip_block?: unknown }[]; from?: { ip_block?: unknown }[] }[]> }).spec;
    for (const direction of ["egress", "ingress"] as const) {
      (spec[direction] ?? []).forEach((rule, i) => {
        const peers = rule.to ?? rule.from ?? [];
        if (peers.length > 0 && peers.every((p) => p.ip_block)) prefixes.push(`resource.kubernetes_network_policy_v1.${id}.spec.${direction}[${i}].`);
      });
    }
  }
  return prefixes;
}
const IP_BLOCK_RULES = new Set<string>();

function sharedStacks(cloud: Cloud): Record<string, Flat> {
  const deployment = validateDeployment({ ...DEFAULT_DEPLOYMENT, ...CLOUD_SETTINGS[cloud] }, cloud);
  const app: App = Testing.app();
  const stacks = buildDeployment(app, deployment);
  const out: Record<string, Flat> = {};
  for (const [role, stack] of [["vault", stacks.vault], ["vault-config", stacks.vaultConfig], ["platform", stacks.platform]] as const) {
    // Cross-stack references name the producing stack (demo-aws, demo-azure, ...): normalize the name.
    const text = Testing.synth(stack).split(`demo-${cloud}`).join("demo-CLOUD");
    for (const prefix of ipBlockRules(JSON.parse(text))) IP_BLOCK_RULES.add(prefix);
    out[role] = flatten(JSON.parse(text), "", new Map());
  }
  return out;
}

// Where a contract value lands in the shared stacks (everything else must be byte-identical).
const CONTRACT_FED: readonly RegExp[] = [
  // cluster: how the providers reach it
  /^provider\.kubernetes\[0\]\.(host|cluster_ca_certificate|exec\[0\]\..+)$/,
  /^resource\.vault_kubernetes_auth_backend_config\.[^.]+\.(kubernetes_host|kubernetes_ca_cert|issuer)$/,
  // encryptedStorage: the StorageClass
  /^resource\.kubernetes_storage_class_v1\.[^.]+\.(storage_provisioner|parameters\..+)$/,
  // workloadIdentities: service-account annotations and pod labels
  /^resource\.kubernetes_service_account_v1\.[^.]+\.metadata\.annotations\..+$/,
  /\.spec\.template\.metadata\.labels\.azure\.workload\.identity\/use$/,
  // loadBalancer: the entry point Service's annotations
  /^resource\.kubernetes_service_v1\.[^.]+\.metadata\.annotations\..+$/,
  // vaultSeal: Vault's rendered server config
  /^resource\.kubernetes_config_map_v1\.Vault_[^.]+\.data\.vault\.json$/,
  // objectStore: where the backup uploaders, PostgreSQL's restore_command and Elasticsearch's snapshot repository reach the bucket
  /\.container\[(uploader|postgresql)\]\.(command\[\d+\]|env\[[A-Z_]+\]\.(name|value))$/,
  /^resource\.kubernetes_config_map_v1\.Elasticsearch_[^.]+\.data\.(repository\.json|prepare-config\.sh)$/,
  /\.(init_)?container\[(elasticsearch|config)\]\.env\[(AZURE_FEDERATED_TOKEN_FILE|PLATFORM_STORAGE_ACCOUNT)\]\.(name|value)$/,
  // egress: where the cloud's endpoints are (ipBlocks appended after the in-cluster rules), and the FQDN
  // policy of the cloud's engine (CiliumNetworkPolicy on AKS, FQDNNetworkPolicy on GKE, none on EKS)
  /^resource\.kubernetes_network_policy_v1\.[^.]+\.spec\.egress\[\d+\]\.(to\[\d+\]\.ip_block\.cidr|ports\[\d+\]\.(port|protocol))$/,
  /^resource\.kubernetes_manifest\.(AllowGraph_[A-Za-z]+External|VaultTls_ApiServerEgress)_[^.]+\.manifest\..+$/,
  // ... which the Vault TLS bootstrap Job waits for where there is one
  /^resource\.kubernetes_job_v1\.VaultTls_[^.]+\.depends_on\[kubernetes_manifest\.VaultTls_ApiServerEgress_[^\]]+\]$/,
  // ... and so the config checksum of the pods that mount those two ConfigMaps
  /^resource\.kubernetes_stateful_set_v1\.(Vault|Elasticsearch)_[^.]+\.spec\.template\.metadata\.annotations\.checksum\/config$/,
];

const synthesized = { aws: sharedStacks("aws"), azure: sharedStacks("azure"), gcp: sharedStacks("gcp") };

describe.each(["vault", "vault-config", "platform"])("the %s stack on AWS, Azure and GCP", (role) => {
  const [aws, azure, gcp] = [synthesized.aws[role], synthesized.azure[role], synthesized.gcp[role]];

  const fed = (k: string) => CONTRACT_FED.some((re) => re.test(k)) || [...IP_BLOCK_RULES].some((prefix) => k.startsWith(prefix));
  const keys = (m: Flat) => [...m.keys()].filter((k) => !fed(k)).sort();

  test("has the same resources and attributes on every cloud (outside the contract's maps)", () => {
    expect(keys(aws).length).toBeGreaterThan(100);
    expect(keys(azure)).toEqual(keys(aws));
    expect(keys(gcp)).toEqual(keys(aws));
  });

  test("differs only where the contract's values land", () => {
    const all = new Set([...aws.keys(), ...azure.keys(), ...gcp.keys()]);
    const differing = [...all].filter((k) => !(aws.get(k) === azure.get(k) && aws.get(k) === gcp.get(k)));
    expect(differing.length).toBeGreaterThan(0); // the contract does carry something
    expect(differing.filter((k) => !fed(k))).toEqual([]);
  });
});
