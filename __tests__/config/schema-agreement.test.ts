import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { DEFAULT_DEPLOYMENT } from "../../config/default";
import { deploymentJsonSchema } from "../../config/json-schema";
import { readConfigFile, validateDeployment } from "../../config/load";
import { ROOT } from "../support/helpers";

// The editor's JSON Schema (config/deployment.schema.json, checked by a real JSON Schema validator, ajv in
// draft 2020-12 mode) and the loader (zod + cross-field checks) must give the same verdict on every
// config, wherever the schema can decide. The few rules JSON Schema cannot state are marked, and the
// test requires that the schema indeed lets them through (so the mark cannot hide a disagreement).

// strictRequired off: the conditions require properties that the main schema defines (valid JSON Schema).
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const schemaText = readFileSync(path.join(ROOT, "config", "deployment.schema.json"), "utf8");
const validate = ajv.compile(JSON.parse(schemaText) as object);

const base = DEFAULT_DEPLOYMENT as Record<string, unknown>;
/** The default deployment without its AWS section: the start of an Azure or GCP config. */
const { aws: _aws, ...neutral } = base;
const AWS_ADMIN = { adminPrincipalArns: ["arn:aws:iam::123456789012:role/platform-admins"] };
const AZURE = {
  subscriptionId: "00000000-0000-0000-0000-000000000000",
  tenantId: "11111111-1111-1111-1111-111111111111",
  adminGroupObjectIds: ["22222222-2222-2222-2222-222222222222"],
  deployerObjectId: "33333333-3333-3333-3333-333333333333",
  runnerNetwork: { virtualNetworkId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/runners/providers/Microsoft.Network/virtualNetworks/runners", addressPrefixes: ["203.0.113.0/26"] },
};
const azure = { ...neutral, cloud: "azure", region: "westeurope", azure: AZURE };
/** examples/aws.yaml as the loader reads it: its saml.idpMetadataFile already inlined as saml.idpMetadata. */
const awsExample = readConfigFile(path.join(ROOT, "examples", "aws.yaml")) as Record<string, unknown> & { saml: Record<string, unknown> };
const gcp = { ...neutral, cloud: "gcp", region: "europe-west1", gcp: { projectId: "acme-catalog-prod" } };
const s3 = { backend: "s3", bucket: "acme-terraform-state", region: "eu-west-1" };
const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, "v"]));
const pools = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `p${i}`, count: 3, machineType: "m6i.large" }));

interface Case {
  readonly name: string;
  readonly config: unknown;
  readonly valid: boolean;
  /** Set where JSON Schema cannot express the rule (the loader alone decides). */
  readonly schemaCannotDecide?: true;
  /** The loader reads a file the config names (saml.idpMetadataFile) before validating: not judged in memory. */
  readonly loaderReadsTheFile?: true;
}

const examples: Case[] = readdirSync(path.join(ROOT, "examples"))
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => ({ name: `examples/${f}`, config: readConfigFile(path.join(ROOT, "examples", f)), valid: true }));

const CORPUS: readonly Case[] = [
  ...examples,
  { name: "the embedded default", config: base, valid: true },
  { name: "azure with upper-case GUIDs", config: { ...azure, azure: { ...AZURE, tenantId: AZURE.tenantId.toUpperCase().replace(/1/g, "A") } }, valid: true },
  { name: "gcp", config: gcp, valid: true },
  { name: "aws with remote state and its account", config: { ...base, state: s3, aws: { ...AWS_ADMIN, accountId: "123456789012" } }, valid: true },
  { name: "a /32 admin CIDR", config: { ...base, controlPlane: { adminCidrs: ["198.51.100.17/32"] } }, valid: true },
  { name: "network /20", config: { ...base, network: { cidr: "10.40.16.0/20" } }, valid: true },
  { name: "47 tags on aws", config: { ...base, tags: tags(47) }, valid: true },
  { name: "62 labels on gcp", config: { ...gcp, tags: tags(62) }, valid: true },
  { name: "30 node pools", config: { ...base, nodePools: pools(30) }, valid: true },
  { name: "SAML over https with a port and query", config: { ...awsExample, saml: { ...awsExample.saml, idpMetadataUrl: "https://idp.example.com:8443/saml/metadata?tenant=a" } }, valid: true },
  { name: "SAML with the metadata file named (the editor sees the file name)", config: { ...base, saml: { idpMetadataUrl: "https://idp.example.com/m", idpMetadataFile: "idp.xml" } }, valid: true, schemaCannotDecide: true, loaderReadsTheFile: true },
  { name: "allowReplace with an address", config: { ...base, dataProtection: { allowDestroy: false, allowReplace: ["aws_eks_node_group.NodeGroupGeneral_5A2B1C3D"] } }, valid: true },

  { name: "admin CIDR 0.0.0.0/0", config: { ...base, controlPlane: { adminCidrs: ["0.0.0.0/0"] } }, valid: false },
  { name: "admin CIDR with host bits", config: { ...base, controlPlane: { adminCidrs: ["203.0.113.7/24"] } }, valid: false },
  { name: "network CIDR with host bits", config: { ...base, network: { cidr: "10.40.0.1/16" } }, valid: false },
  { name: "pod CIDR with host bits in the second octet", config: { ...base, network: { podCidr: "10.97.0.0/14" } }, valid: false },
  { name: "CIDR with a leading zero", config: { ...base, controlPlane: { adminCidrs: ["203.0.113.0/024"] } }, valid: false },
  { name: "network /24 (too small)", config: { ...base, network: { cidr: "10.40.0.0/24" } }, valid: false },
  { name: "octet above 255", config: { ...base, controlPlane: { adminCidrs: ["203.0.256.0/24"] } }, valid: false },
  { name: "duplicate admin CIDR", config: { ...base, controlPlane: { adminCidrs: ["203.0.113.0/24", "203.0.113.0/24"] } }, valid: false },
  { name: "SAML over http", config: { ...awsExample, saml: { ...awsExample.saml, idpMetadataUrl: "http://idp.example.com/metadata" } }, valid: false },
  { name: "SAML without metadata", config: { ...base, saml: { idpMetadataUrl: "https://idp.example.com/metadata" } }, valid: false },
  { name: "no registry for the Atlas image", config: { ...base, images: { vaultDistribution: "vault" } }, valid: false },
  { name: "a mirror of every image instead of the project registry", config: { ...base, images: { registry: "registry.example.com/mirror" } }, valid: true },
  { name: "SAML not a URL", config: { ...base, saml: { idpMetadataUrl: "https://" } }, valid: false },
  { name: "azure without its section", config: { ...neutral, cloud: "azure", region: "westeurope" }, valid: false },
  { name: "gcp without its section", config: { ...neutral, cloud: "gcp", region: "europe-west1" }, valid: false },
  { name: "another cloud's section", config: { ...base, gcp: { projectId: "acme-catalog-prod" } }, valid: false },
  { name: "azure region on aws", config: { ...base, region: "westeurope" }, valid: false },
  { name: "aws region on gcp", config: { ...gcp, region: "eu-west-1" }, valid: false },
  { name: "GUID that is not one", config: { ...azure, azure: { ...AZURE, tenantId: "not-a-guid" } }, valid: false },
  { name: "duplicate admin group", config: { ...azure, azure: { ...AZURE, adminGroupObjectIds: [AZURE.adminGroupObjectIds[0], AZURE.adminGroupObjectIds[0]] } }, valid: false },
  { name: "duplicate principal ARN", config: { ...base, aws: { adminPrincipalArns: ["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/a"] } }, valid: false },
  { name: "48 tags on aws", config: { ...base, tags: tags(48) }, valid: false },
  { name: "50 tags on azure", config: { ...azure, tags: tags(50) }, valid: false },
  { name: "63 labels on gcp", config: { ...gcp, tags: tags(63) }, valid: false },
  { name: "31 node pools", config: { ...base, nodePools: pools(31) }, valid: false },
  { name: "a 100,000-character machine type", config: { ...base, nodePools: [{ name: "general", count: 3, machineType: "m".repeat(100_000) }] }, valid: false },
  { name: "a tag value of 257 characters", config: { ...base, tags: { owner: "x".repeat(257) } }, valid: false },
  { name: "a tag key starting with a digit", config: { ...base, tags: { "1owner": "x" } }, valid: false },
  { name: "remote state on aws without the account", config: { ...base, state: s3 }, valid: false },
  { name: "account id of 11 digits", config: { ...base, state: s3, aws: { ...AWS_ADMIN, accountId: "12345678901" } }, valid: false },
  { name: "'system' node pool on azure", config: { ...azure, nodePools: [{ name: "system", count: 3, machineType: "Standard_D4s_v5" }] }, valid: false },
  { name: "unknown top-level field", config: { ...base, regoin: "eu-west-1" }, valid: false },
  { name: "unknown field in the state variant", config: { ...base, state: { ...s3, key: "x" }, aws: { ...AWS_ADMIN, accountId: "123456789012" } }, valid: false },
  { name: "node pool of 2 nodes", config: { ...base, nodePools: [{ name: "general", count: 2, machineType: "m6i.large" }] }, valid: false },
  { name: "root disk of 10 GiB", config: { ...base, nodePools: [{ name: "general", count: 3, machineType: "m6i.large", diskSizeGiB: 10 }] }, valid: false },
  { name: "empty allowedSourceCidrs", config: { ...base, domain: { name: "catalog.example.com", allowedSourceCidrs: [] } }, valid: false },

  // Rules between values JSON Schema cannot state: the loader alone refuses these.
  { name: "admin CIDR inside the cluster's network", config: { ...base, controlPlane: { adminCidrs: ["10.40.8.0/24"] } }, valid: false, schemaCannotDecide: true },
  { name: "pod range overlapping the node range", config: { ...base, network: { cidr: "10.96.0.0/16" } }, valid: false, schemaCannotDecide: true },
  { name: "two pools with one name", config: { ...base, nodePools: [...pools(1), ...pools(1)] }, valid: false, schemaCannotDecide: true },
  { name: "gcp tags that collapse into one label", config: { ...gcp, tags: { Team: "a", team: "b" } }, valid: false, schemaCannotDecide: true },
  { name: "SAML metadata that is not SAML metadata", config: { ...awsExample, saml: { ...awsExample.saml, idpMetadata: "<html>not metadata</html>" } }, valid: false, schemaCannotDecide: true },
];

function loaderVerdict(config: unknown): boolean {
  try {
    validateDeployment(config, "corpus");
    return true;
  } catch {
    return false;
  }
}

test("the committed JSON Schema is the one generated from the zod schema", () => {
  expect(schemaText).toBe(deploymentJsonSchema());
});

test.each(CORPUS.map((c) => [c.name, c] as const))("%s: loader and JSON Schema agree", (_, c) => {
  if (!c.loaderReadsTheFile) expect({ loader: loaderVerdict(c.config) }).toEqual({ loader: c.valid });
  const schema = validate(c.config);
  if (c.loaderReadsTheFile) {
    expect({ schema }).toEqual({ schema: true });
  } else if (c.schemaCannotDecide) {
    // The schema lets it through: the mark is true, and only the loader stands there.
    expect({ schema }).toEqual({ schema: true });
  } else {
    expect({ schema, errors: schema === c.valid ? undefined : validate.errors }).toEqual({ schema: c.valid, errors: undefined });
  }
});

test("upper-case GUIDs are accepted and stored lower-case (preflight compares them with the CLI's)", () => {
  const d = validateDeployment({ ...azure, azure: { ...AZURE, subscriptionId: "ABCDEF00-0000-0000-0000-00000000000A" } }, "f");
  expect(d.azure?.subscriptionId).toBe("abcdef00-0000-0000-0000-00000000000a");
});
