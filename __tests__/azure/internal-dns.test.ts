import { readConfigFile } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { AKS_LOAD_BALANCER_FACTS } from "../../constructs/azure/azure-facts";
import { configProblems } from "../support/config-problems";
import { synthesizedStacks } from "../support/deployments";
import { blocksOf, entryPointAnnotations, exampleVariant, synthDeployment, type StackJson } from "../support/estate";

// The internal entry point's record in the customer's Azure private DNS zone, on the static private address the
// Service asks AKS's service controller for (AKS_LOAD_BALANCER_FACTS.staticAddressAnnotation, with sources).
const IPV4 = AKS_LOAD_BALANCER_FACTS.staticAddressAnnotation.value;
const stacks = () => synthesizedStacks("examples-azure-estate") as unknown as Record<string, StackJson>;

test("examples/azure-estate.yaml: the private zone's A record and the internal load balancer's annotation name the same address, in the node subnet", () => {
  const [record] = Object.values(blocksOf(stacks()["contoso-estate-azure"], "azurerm_private_dns_a_record"));
  expect(record).toMatchObject({ name: "catalog", zone_name: "acme.example.com", resource_group_name: "contoso-dns", records: ["10.50.63.200"] });
  const annotations = entryPointAnnotations(stacks()["contoso-estate-platform"]);
  expect(annotations[IPV4]).toBe("10.50.63.200");
  expect(annotations[AKS_LOAD_BALANCER_FACTS.internalAnnotations.value.internal]).toBe("true");
  expect(annotations[AKS_LOAD_BALANCER_FACTS.internalAnnotations.value.subnet]).toBe("catalog-nodes");
  expect(blocksOf(stacks()["contoso-estate-azure"], "azurerm_dns_a_record")).toEqual({});
});

test("created network: without an address, the load-balancer subnet's last usable one, which is the synthesized subnet's", () => {
  const d = exampleVariant("examples/azure.yaml", (raw) => {
    raw.domain = { ...(raw.domain as object), access: "internal", dnsZone: { provider: "azure-private-dns", resourceGroupName: "dns", zoneName: "example.com" } };
  });
  const { cloud, platform } = synthDeployment(d);
  const lbSubnet = Object.values(blocksOf(cloud, "azurerm_subnet")).find((s) => String(s.name).endsWith("load-balancers"))!;
  const [prefix] = lbSubnet.address_prefixes as string[];
  const [record] = Object.values(blocksOf(cloud, "azurerm_private_dns_a_record"));
  const annotations = entryPointAnnotations(platform);
  // The Service's frontend subnet is that subnet (its name, a reference to the same block).
  expect(annotations[AKS_LOAD_BALANCER_FACTS.internalAnnotations.value.subnet]).toMatch(/azurerm_subnet\.?Network_LoadBalancersSubnet_/);
  expect(lbSubnet.name).toMatch(/-load-balancers$/);
  // e.g. 10.40.160.0/19 -> 10.40.191.254: the broadcast address is reserved, the one before it is the last usable.
  const [a, b, c, dd] = prefix.split("/")[0].split(".").map(Number);
  const size = 2 ** (32 - Number(prefix.split("/")[1]));
  const last = (((a << 24) >>> 0) + (b << 16) + (c << 8) + dd + size - 2) >>> 0;
  const expected = [24, 16, 8, 0].map((s) => (last >>> s) & 255).join(".");
  expect(record.records).toEqual([expected]);
  expect(annotations[IPV4]).toBe(expected);
});

test("no private zone and no address: the internal load balancer keeps AKS's dynamic address (unchanged)", () => {
  const d = exampleVariant("examples/azure-estate.yaml", (raw) => {
    delete (raw.domain as Record<string, unknown>).dnsZone;
    delete (raw.azure as Record<string, unknown>).entryPointPrivateIp;
  });
  expect(entryPointAnnotations(synthDeployment(d).platform)[IPV4]).toBeUndefined();
});

test("refused: an address outside the frontend subnet or reserved by Azure, a public zone for an internal entry point, a private zone or an address for a public one", () => {
  const example = readConfigFile("examples/azure-estate.yaml") as DeploymentInput & { azure: Record<string, unknown> };
  const withIp = (ip: string) => configProblems({ ...example, azure: { ...example.azure, entryPointPrivateIp: ip } });
  expect(withIp("10.50.63.200")).toEqual([]);
  expect(withIp("10.50.64.10")).toEqual([expect.stringMatching(/^azure\.entryPointPrivateIp: 10\.50\.64\.10 is outside the load balancer's subnet 10\.50\.0\.0\/18; give a free address of azure\.existingNetwork\.nodeSubnet \(10\.50\.0\.0\/18\), e\.g\. 10\.50\.63\.254 /)]);
  for (const reserved of ["10.50.0.0", "10.50.0.1", "10.50.0.2", "10.50.0.3", "10.50.63.255"]) {
    expect(withIp(reserved)).toEqual([expect.stringMatching(new RegExp(`^azure\\.entryPointPrivateIp: ${reserved.replace(/\./g, "\\.")} is one of the five addresses Azure reserves`))]);
  }
  expect(withIp("10.50.0.4")).toEqual([]);
  const publicZone = { provider: "azure-dns", resourceGroupName: "dns", zoneName: "acme.example.com" } as const;
  expect(configProblems({ ...example, domain: { ...example.domain, dnsZone: publicZone } })).toEqual([expect.stringMatching(/^domain\.dnsZone\.provider: an internal entry point .* use azure-private-dns/)]);
  const keys = readConfigFile("examples/azure-estate-keys.yaml") as DeploymentInput & { azure: Record<string, unknown> };
  expect(configProblems({ ...keys, domain: { ...keys.domain, dnsZone: { ...publicZone, provider: "azure-private-dns" } } })).toEqual([expect.stringMatching(/^domain\.dnsZone\.provider: .*set domain\.access: internal/)]);
  expect(configProblems({ ...keys, azure: { ...keys.azure, entryPointPrivateIp: "10.50.0.10" } })).toEqual([expect.stringMatching(/^azure\.entryPointPrivateIp: .*set domain\.access: internal/)]);
});
