import { readConfigFile } from "../../config/load";
import { configProblems } from "../support/config-problems";
import type { DeploymentInput } from "../../config/schema";
import { synthesizedStacks } from "../support/deployments";

// examples/azure-estate-keys.yaml as main.ts synthesized it (jest global setup).
type Json = { resource: Record<string, Record<string, Record<string, unknown>>> };
const stacks = () => synthesizedStacks("examples-azure-estate-keys") as unknown as Record<string, Json>;

test("DNS: an alias A record in the named Azure DNS zone on the static IP the entry point's Service takes (azure-pip-name)", () => {
  const azure = stacks()["contoso-keys-azure"];
  const [record] = Object.values(azure.resource.azurerm_dns_a_record);
  const [ipId, ip] = Object.entries(azure.resource.azurerm_public_ip).find(([, v]) => String(v.name).endsWith("entry-point-ip"))!;
  // domain.name catalog.acme.example.com in zone acme.example.com: the relative name "catalog".
  expect(record).toMatchObject({ name: "catalog", zone_name: "acme.example.com", resource_group_name: "contoso-dns", target_resource_id: `\${azurerm_public_ip.${ipId}.id}` });
  expect(record.records).toBeUndefined();
  const svc = Object.values(stacks()["contoso-keys-platform"].resource.kubernetes_service_v1).find((v) => JSON.stringify(v).includes("entry-point")) as { metadata: { annotations: Record<string, string> } };
  // The Service takes that same IP resource: its name crosses from the cloud stack's output for it.
  expect(ip.name).toBe("contoso-keys-entry-point-ip");
  expect(svc.metadata.annotations["service.beta.kubernetes.io/azure-pip-name"]).toMatch(new RegExp(`outputs\\.cross-stack-output-azurerm_public_ip${ipId}name}$`));
});

test("accepted on Azure: customer-managed keys (the example's) and provider-managed; refused: another cloud's zone or certificate", () => {
  const example = readConfigFile("examples/azure-estate-keys.yaml") as DeploymentInput;
  const problems = configProblems;
  expect(example.encryption).toEqual({ keys: "customer-managed" });
  expect(problems(example)).toEqual([]);
  expect(problems({ ...example, encryption: { keys: "provider-managed" } })).toEqual([]);
  expect(problems({ ...example, domain: { ...example.domain, dnsZone: { provider: "cloud-dns", managedZone: "z", zoneName: "acme.example.com" } } })).toEqual([expect.stringMatching(/^domain\.dnsZone\.provider: .*use azure-dns/)]);
});
