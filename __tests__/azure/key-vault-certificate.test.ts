import { Testing } from "cdktf";
import { readConfigFile } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { KEY_VAULT_CSI_FACTS } from "../../constructs/azure/key-vault-certificate";
import { PRIVATE_LINK_ZONES } from "../../constructs/azure/private-link";
import { buildDeployment } from "../../stacks/deployment";
import { configProblems } from "../support/config-problems";
import { synthesizedStacks } from "../support/deployments";
import { blocksOf, exampleVariant, type StackJson } from "../support/estate";

// examples/azure-estate.yaml (domain.certificate azure-key-vault) as main.ts synthesized it (jest global setup), held
// against KEY_VAULT_CSI_FACTS (Azure Key Vault provider for the Secrets Store CSI driver, Key Vault RBAC, with sources).
// The real nginx serving the mounted file: __tests__/platform/entry-point-key-vault.test.ts.
const stacks = (key: string) => synthesizedStacks(key) as unknown as Record<string, StackJson>;
const estate = () => stacks("examples-azure-estate");
const VAULT_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/contoso-certs/providers/Microsoft.KeyVault/vaults/contoso-certs";
const CERT = "catalog-acme-example-com";

test("the AKS Key Vault secrets provider add-on runs with rotation, polled at the documented 2 minutes; off without a Key Vault certificate", () => {
  const [cluster] = Object.values(blocksOf(estate()["contoso-estate-azure"], "azurerm_kubernetes_cluster"));
  expect(cluster.key_vault_secrets_provider).toEqual({ secret_rotation_enabled: true, secret_rotation_interval: KEY_VAULT_CSI_FACTS.rotation.value.defaultInterval });
  for (const key of ["examples-azure", "examples-azure-estate-keys"]) {
    const cloud = Object.entries(stacks(key)).find(([id]) => id.endsWith("-azure"))![1];
    const [other] = Object.values(blocksOf(cloud, "azurerm_kubernetes_cluster"));
    expect(other.key_vault_secrets_provider).toBeUndefined();
  }
});

test("the entry point's identity is federated with the entry point's service account only and may read that certificate's secret only", () => {
  const azure = estate()["contoso-estate-azure"];
  const creds = Object.entries(blocksOf(azure, "azurerm_federated_identity_credential")).filter(([id]) => id.startsWith("EntryPointCertificate"));
  expect(creds.map(([, c]) => c.subject)).toEqual(["system:serviceaccount:ingress:entry-point"]);
  const [identityId] = Object.keys(blocksOf(azure, "azurerm_user_assigned_identity")).filter((id) => id.startsWith("EntryPointCertificate"));
  const grants = Object.values(blocksOf(azure, "azurerm_role_assignment")).filter((g) => String(g.principal_id).includes(identityId));
  const role = KEY_VAULT_CSI_FACTS.secretScopedRole.value;
  expect(grants).toEqual([expect.objectContaining({ role_definition_name: role.role, scope: `${VAULT_ID}/secrets/${CERT}`, principal_type: "ServicePrincipal" })]);
  // Nothing else of the stack names the customer's vault except its private endpoint.
  const naming = Object.entries(azure.resource ?? {}).flatMap(([type, blocks]) => Object.entries(blocks).filter(([, b]) => JSON.stringify(b).includes(VAULT_ID)).map(([id]) => `${type}.${id.split("_")[0]}`));
  expect(naming.sort()).toEqual(["azurerm_private_endpoint.EntryPointCertificate", "azurerm_role_assignment.EntryPointCertificate"]);
});

test("the vault gets a private endpoint in the endpoint subnet, registered in the zone the other vaults' endpoints use (here the hub's central privatelink.vaultcore.azure.net zone, which answers every vault name there)", () => {
  const azure = estate()["contoso-estate-azure"];
  const endpoints = blocksOf(azure, "azurerm_private_endpoint");
  const [, endpoint] = Object.entries(endpoints).find(([id]) => id.startsWith("EntryPointCertificate"))!;
  const [unsealId, unseal] = Object.entries(endpoints).find(([id]) => id.startsWith("UnsealVaultEndpoint"))!;
  expect(unsealId).toBeDefined();
  expect(endpoint.subnet_id).toBe(unseal.subnet_id);
  expect(endpoint.private_service_connection).toMatchObject({ private_connection_resource_id: VAULT_ID, subresource_names: ["vault"], is_manual_connection: false });
  expect((endpoint.private_dns_zone_group as { private_dns_zone_ids: string[] }).private_dns_zone_ids).toEqual((unseal.private_dns_zone_group as { private_dns_zone_ids: string[] }).private_dns_zone_ids);
  // examples/azure-estate.yaml names the hub's zone (azure.existingNetwork.privateDnsZones.vault): no zone of ours.
  expect((endpoint.private_dns_zone_group as { private_dns_zone_ids: string[] }).private_dns_zone_ids).toEqual([expect.stringMatching(new RegExp(`/privateDnsZones/${PRIVATE_LINK_ZONES.vault.replace(/\./g, "\\.")}$`))]);
  expect(Object.values(blocksOf(azure, "azurerm_private_dns_zone")).map((z) => z.name)).not.toContain(PRIVATE_LINK_ZONES.vault);
});

test("the SecretProviderClass authenticates as the identity by workload identity (client id from the cloud stack), in the vault's tenant; no key material anywhere", () => {
  const platform = estate()["contoso-estate-platform"];
  const [spc] = Object.values(blocksOf(platform, "kubernetes_manifest")).map((m) => m.manifest as { spec: { parameters: Record<string, string> } });
  const p = KEY_VAULT_CSI_FACTS.parameters.value;
  expect(spc.spec.parameters[p.clientID]).toMatch(/cross-stack-output-azurerm_user_assigned_identityEntryPointCertificate_Identity_[A-F0-9]+client_id}$/);
  expect(spc.spec.parameters[p.keyvaultName]).toBe("contoso-certs");
  expect(spc.spec.parameters[p.tenantId]).toBe("11111111-1111-1111-1111-111111111111");
  expect(spc.spec.parameters[p.useVMManagedIdentity]).toBe("false");
  const sa = Object.values(blocksOf(platform, "kubernetes_service_account_v1")).find((s) => (s.metadata as { name: string }).name === "entry-point")!;
  expect((sa.metadata as { annotations: Record<string, string> }).annotations["azure.workload.identity/client-id"]).toBe(spc.spec.parameters[p.clientID]);
  for (const json of Object.values(estate())) expect(JSON.stringify(json)).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
});

test("the platform's own pods keep their egress: the entry point pod calls neither Entra ID nor Key Vault (the node's CSI driver does), its network policies equal the kubernetes-secret variant's", () => {
  const platform = estate()["contoso-estate-platform"];
  const [deployment] = Object.values(blocksOf(platform, "kubernetes_deployment_v1")).filter((d) => (d.metadata as { name: string }).name === "entry-point");
  const labels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
  expect(labels["azure.workload.identity/use"]).toBeUndefined();
  const policies = (d: ReturnType<typeof exampleVariant>) => {
    const s = buildDeployment(Testing.app(), d);
    const vault = JSON.parse(Testing.synth(s.vault)) as StackJson;
    return JSON.stringify([blocksOf(vault, "kubernetes_network_policy_v1"), blocksOf(vault, "kubernetes_manifest")]);
  };
  const keyVault = exampleVariant("examples/azure-estate.yaml");
  const secret = exampleVariant("examples/azure-estate.yaml", (raw) => {
    (raw.domain as Record<string, unknown>).certificate = { source: "kubernetes-secret", secretName: "catalog-tls" };
  });
  expect(policies(keyVault)).toBe(policies(secret));
});

test("refused: a Key Vault certificate on another cloud, a malformed vault id", () => {
  const example = readConfigFile("examples/azure-estate.yaml") as DeploymentInput;
  expect(configProblems(example)).toEqual([]);
  const aws = readConfigFile("examples/aws.yaml") as DeploymentInput;
  const cert = { source: "azure-key-vault", keyVaultId: VAULT_ID, certificateName: CERT } as const;
  expect(configProblems({ ...aws, domain: { ...aws.domain, certificate: cert } })).toEqual([expect.stringMatching(/^domain\.certificate\.source: .*Key Vault certificate.*runs on aws; use vault-pki or kubernetes-secret/)]);
  expect(configProblems({ ...example, domain: { ...example.domain, certificate: { ...cert, keyVaultId: "contoso-certs" } } })).toEqual([expect.stringMatching(/^domain\.certificate\.keyVaultId: must be a Key Vault resource id/)]);
});
