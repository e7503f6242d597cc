import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { parseIpv4Cidr } from "../../lib/cidr";
import { allowedFlows, catalogEndpoints, fqdnPoliciesOf, networkPoliciesOf, type Endpoint, type Flow } from "../support/network-flows";
import { SERVICES } from "../../platform/service-catalog";
import { DEPLOYMENTS, synthesizedStacks } from "../support/deployments";
import { INTENDED_EGRESS } from "./intended-graph";

/**
 * Egress outside the cluster, for every shipped deployment as main.ts synthesizes it: the NetworkPolicies
 * AND the FQDN policies (CiliumNetworkPolicy on AKS, FQDNNetworkPolicy on GKE) of the vault stack, evaluated
 * on the catalog's pods against the destinations as the cloud stack really creates them (subnet ranges, the
 * control plane's range, key vault and storage account names read from the synthesized cloud resources) and
 * as the clouds name their APIs (documented endpoint host names, written here, not taken from the code).
 * The result must be INTENDED_EGRESS for that cloud exactly; an arbitrary internet address stays unreachable
 * except through the one reasoned rule (EKS, SAML).
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const resources = (stack: Json, type: string): Json[] => Object.values((stack.resource?.[type] ?? {}) as Record<string, Json>);
/** The n-th address of a range. */
const nth = (cidr: string, n: number) => {
  const r = parseIpv4Cidr(cidr)!;
  const a = (r.network + n) >>> 0;
  return [24, 16, 8, 0].map((s) => (a >>> s) & 255).join(".");
};
const outside = (id: string, ip: string, hosts: string[] = [], entity?: string): Endpoint => ({ id, labels: {}, ip, ports: ["443/TCP"], hosts, ...(entity ? { entity } : {}) });

/** The destinations outside the cluster, where the synthesized cloud stack puts them and as the cloud names them. */
function destinations(cloud: string, cloudStack: Json, samlHost: string | undefined, config: Json | undefined): Endpoint[] {
  const saml = samlHost ? [outside("saml-idp", "203.0.113.50", [samlHost])] : [];
  const internet = outside("internet", "198.51.100.7");
  if (cloud === "aws") {
    const region = (cloudStack.provider.aws as Json[])[0].region as string;
    // An existing VPC (aws.existingNetwork): the cluster's subnets and the VPC's own endpoint subnets, as the config states them.
    const existing = config?.aws?.existingNetwork as Json | undefined;
    const priv = existing
      ? (existing.privateSubnets as Json[]).map((s) => s.cidr as string)
      : resources(cloudStack, "aws_subnet").filter((s) => s.tags?.tier === "private").map((s) => s.cidr_block as string);
    expect(priv).toHaveLength(3);
    const ends = (existing?.endpointCidrs as string[] | undefined) ?? priv;
    // Interface endpoints (private DNS) and the EKS API server's ENIs have addresses in the private subnets.
    return [
      outside("cloud-kms", nth(ends[0 % ends.length], 20), [`kms.${region}.amazonaws.com`]),
      outside("object-storage", nth(ends[1 % ends.length], 21), [`s3.${region}.amazonaws.com`]),
      outside("workload-identity", nth(ends[2 % ends.length], 22), [`sts.${region}.amazonaws.com`]),
      outside("kubernetes-api", nth(priv[0], 30)),
      ...saml,
      internet,
    ];
  }
  if (cloud === "azure") {
    const vaults = resources(cloudStack, "azurerm_key_vault").map((v) => v.name as string);
    const unseal = vaults.find((n) => /-uns-/.test(n));
    const accounts = resources(cloudStack, "azurerm_storage_account").map((a) => a.name as string);
    const data = accounts.find((n) => /dat[0-9a-f]{6}$/.test(n));
    expect({ unseal, data }).toEqual({ unseal: expect.any(String), data: expect.any(String) });
    return [
      outside("cloud-kms", "10.50.200.4", [`${unseal}.vault.azure.net`]),
      outside("object-storage", "10.50.200.5", [`${data}.blob.core.windows.net`]),
      outside("workload-identity", "20.190.160.1", ["login.microsoftonline.com"]),
      outside("kubernetes-api", "10.50.250.4", [], "kube-apiserver"),
      ...saml,
      internet,
    ];
  }
  const cluster = resources(cloudStack, "google_container_cluster")[0];
  const controlPlane = (cluster.private_cluster_config as Json).master_ipv4_cidr_block as string;
  return [
    outside("cloud-kms", "142.250.1.95", ["cloudkms.googleapis.com"]),
    outside("object-storage", "142.250.2.207", ["storage.googleapis.com"]),
    outside("kubernetes-api", nth(controlPlane, 2)),
    ...saml,
    internet,
  ];
}

/** What each cloud's intended egress is (INTENDED_EGRESS, written by hand). */
function intended(cloud: string, saml: boolean, separateEndpoints = false): string[] {
  const common = cloud === "gcp" ? INTENDED_EGRESS.common.filter((e) => !e.includes("workload-identity")) : [...INTENDED_EGRESS.common];
  const lines: string[] = [...common, ...(saml ? INTENDED_EGRESS.saml : [])];
  // An existing VPC whose endpoints are in subnets of their own (aws.existingNetwork.endpointCidrs): the API server's
  // ENIs no longer share addresses with them, so only the shared-range flows to the endpoints themselves remain.
  const shared = separateEndpoints ? INTENDED_EGRESS.awsSharedEndpoints.filter((e) => !e.endsWith("-> kubernetes-api 443/TCP")) : INTENDED_EGRESS.awsSharedEndpoints;
  if (cloud === "aws") lines.push(...shared, ...(saml ? INTENDED_EGRESS.awsSamlAnywhere : []));
  return [...new Set(lines)].sort();
}

const ours = new Set(Object.values(SERVICES).map((s) => `${s.namespace}/${s.name}`));
const render = (flows: Flow[], outsideIds: Set<string>) => flows.filter((f) => ours.has(f.from) && outsideIds.has(f.to)).map((f) => `${f.from} -> ${f.to} ${f.port}`).sort();

describe.each(DEPLOYMENTS.map((d) => [d.key, d.args] as const))("%s: egress outside the cluster", (key, args) => {
  const stacks = synthesizedStacks(key);
  const cloudId = Object.keys(stacks).find((id) => /-(aws|azure|gcp)$/.test(id))!;
  const cloud = /-(aws|azure|gcp)$/.exec(cloudId)![1];
  const vault = stacks[Object.keys(stacks).find((id) => id.endsWith("-vault"))!] as Json;
  const file = args[1];
  const config = file ? (parseYaml(readFileSync(file, "utf8")) as Json) : undefined;
  const samlUrl = config?.saml?.idpMetadataUrl as string | undefined;
  const samlHost = samlUrl ? new URL(samlUrl).hostname : undefined;
  const outsideEndpoints = destinations(cloud, stacks[cloudId] as Json, samlHost, config);
  const endpoints = [...catalogEndpoints().filter((e) => e.namespace !== undefined), ...outsideEndpoints];
  const flows = allowedFlows(networkPoliciesOf(vault), endpoints, fqdnPoliciesOf(vault));
  const ids = new Set(outsideEndpoints.map((e) => e.id));

  test("exactly the intended destinations, by name where the cluster matches names, nothing to the internet without a reason", () => {
    const expected = intended(cloud, samlHost !== undefined, config?.aws?.existingNetwork?.endpointCidrs !== undefined);
    if (samlHost === "login.microsoftonline.com") expected.push(...INTENDED_EGRESS.azureEntraIdp);
    expect(render(flows, ids)).toEqual([...new Set(expected)].sort());
  });

  test("FQDN policies exist exactly where the cloud's engine enforces them", () => {
    const kinds = resources(vault, "kubernetes_manifest").map((m) => m.manifest.kind as string);
    const expected = { aws: [], azure: ["CiliumNetworkPolicy"], gcp: ["FQDNNetworkPolicy"] }[cloud]!;
    expect([...new Set(kinds.filter((k) => /NetworkPolicy$/.test(k)))]).toEqual(expected);
  });

  test("the cluster turns on the engine its FQDN policies need", () => {
    const c = stacks[cloudId] as Json;
    if (cloud === "azure") {
      const aks = resources(c, "azurerm_kubernetes_cluster")[0].network_profile;
      expect(aks).toMatchObject({ network_data_plane: "cilium", network_policy: "cilium", advanced_networking: { security_enabled: true } });
    }
    if (cloud === "gcp") expect(resources(c, "google_container_cluster")[0]).toMatchObject({ datapath_provider: "ADVANCED_DATAPATH", enable_fqdn_network_policy: true });
    if (cloud === "aws") {
      // Every AWS API the pods call has an interface endpoint with private DNS (S3 for all resolvers, not the gateway).
      const iface = resources(c, "aws_vpc_endpoint").filter((e) => e.vpc_endpoint_type === "Interface" && e.private_dns_enabled === true).map((e) => String(e.service_name).split(".").slice(3).join("."));
      // An existing VPC's own endpoints are read, each with a postcondition that its private DNS is on.
      const read = Object.values(((c.data as Json | undefined)?.aws_vpc_endpoint ?? {}) as Record<string, Json>)
        .filter((e) => JSON.stringify(e.lifecycle ?? {}).includes("private_dns_enabled"))
        .map((e) => String(e.service_name).split(".").slice(3).join("."));
      expect([...iface, ...read]).toEqual(expect.arrayContaining(["kms", "sts", "s3"]));
    }
  });

  test("no NetworkPolicy opens 0.0.0.0/0 for egress, except the one written down for the SAML IdP on EKS", () => {
    const open = resources(vault, "kubernetes_network_policy_v1")
      .filter((np) => JSON.stringify(np.spec?.egress ?? []).includes('"0.0.0.0/0"'))
      .map((np) => np.metadata.name as string);
    expect(open).toEqual(cloud === "aws" && samlHost ? ["keycloak-allow"] : []);
  });
});
