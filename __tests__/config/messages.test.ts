import { DEFAULT_DEPLOYMENT } from "../../config/default";
import { ConfigError, parseConfigText, validateDeployment } from "../../config/load";
import { NODE_POOL_LIMITS, TAG_LIMITS } from "../../config/cloud-limits";

// Every message names the field and the fix, once, in plain words (no validator jargon, no dangling colon).

const base = DEFAULT_DEPLOYMENT as Record<string, unknown>;
/** The default deployment without its AWS section: the start of an Azure or GCP config. */
const { aws: _aws, ...neutral } = base;
const AWS_ADMIN = { adminPrincipalArns: ["arn:aws:iam::123456789012:role/platform-admins"] };
const s3 = { backend: "s3", bucket: "acme-terraform-state", region: "eu-west-1" };

function problems(config: unknown): string[] {
  try {
    validateDeployment(config, "f.yaml");
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error("the config was accepted");
}
function parseProblems(text: string): string[] {
  try {
    parseConfigText(text, "f.yaml");
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error("the text was accepted");
}

test("an unknown field inside the state variant lists the fields allowed there", () => {
  expect(problems({ ...base, state: { ...s3, key: "x" }, aws: { ...AWS_ADMIN, accountId: "123456789012" } })).toEqual([
    "state.key: unknown field; allowed here: backend, bucket, region, keyPrefix, kmsKeyId",
  ]);
});

test("a missing azure: section is reported once", () => {
  expect(problems({ ...neutral, cloud: "azure", region: "westeurope" })).toEqual([
    "azure: required when cloud is azure: { subscriptionId, tenantId, adminGroupObjectIds, deployerObjectId, runnerNetwork } (missing)",
  ]);
});

test("bounds are said in plain words, with the unit", () => {
  const [disk] = problems({ ...base, nodePools: [{ name: "general", count: 3, machineType: "m6i.large", diskSizeGiB: 10 }] });
  expect(disk).toBe("nodePools[0].diskSizeGiB: must be at least 30 (got 10)");
  const [name] = problems({ ...base, saml: { idpMetadataUrl: "https://idp.example.com/m", displayName: "" } });
  expect(name).toBe('saml.displayName: must be at least 1 character long (got "")');
  for (const p of [disk, name]) expect(p).not.toMatch(/Too (small|big)|expected/);
});

test("YAML syntax errors end with where and what to do, not a dangling colon", () => {
  const [p] = parseProblems("name: [unclosed\n");
  expect(p).toMatch(/^not valid YAML\/JSON: .+ at line 2, column 1; fix the syntax there$/);
  expect(p).not.toMatch(/:\s*$/);
});

test("a key given twice names the key and its line", () => {
  expect(parseProblems("name: a1\ncloud: aws\nname: b2\n")).toEqual([
    "key 'name' is given twice in one mapping at line 3; keep one (a later value would silently replace the first)",
  ]);
});

test("the duplicate-key check is linear: a 2 MB tags map parses in seconds, not minutes", () => {
  // The yaml library's own uniqueKeys check compares each key with every earlier one: 100,000 keys took
  // a minute of CPU here (10,000: 1 s; 20,000: 2.4 s). Ours keeps one set per mapping: about 2 s. The bound
  // is on this process's CPU time, not the wall clock, so other load on the machine does not count.
  const keys = 100_000;
  const text = `name: demo\ntags:\n${Array.from({ length: keys }, (_, i) => `  key${i}: value-${i}`).join("\n")}\n`;
  expect(text.length).toBeGreaterThan(2_000_000);
  const start = process.cpuUsage();
  const parsed = parseConfigText(text, "big.yaml") as { tags: Record<string, string> };
  const used = process.cpuUsage(start);
  const seconds = (used.user + used.system) / 1e6;
  expect(Object.keys(parsed.tags)).toHaveLength(keys);
  expect(seconds).toBeLessThan(20);
  // And the loader names the limit instead of taking it.
  expect(problems({ ...base, tags: parsed.tags })[0]).toMatch(/^tags: 100000 tags; aws allows 50 per resource/);
}, 60_000);

test("duplicates in adminCidrs and adminPrincipalArns are refused on every cloud, naming both entries", () => {
  expect(problems({ ...base, controlPlane: { adminCidrs: ["203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24"] } })).toEqual([
    'controlPlane.adminCidrs[2]: duplicate admin CIDR (same as [0]); list each once (got "203.0.113.0/24")',
  ]);
  const arn = "arn:aws:iam::123456789012:role/platform-admins";
  expect(problems({ ...base, aws: { adminPrincipalArns: [arn, arn] } })).toEqual([
    `aws.adminPrincipalArns[1]: duplicate principal ARN (same as [0]); list each once (got "${arn}")`,
  ]);
  const azure = { ...neutral, cloud: "azure", region: "westeurope", controlPlane: { adminCidrs: ["203.0.113.0/24", "203.0.113.0/24"] },
    azure: { subscriptionId: "00000000-0000-0000-0000-000000000000", tenantId: "11111111-1111-1111-1111-111111111111", adminGroupObjectIds: ["22222222-2222-2222-2222-222222222222"],
      deployerObjectId: "33333333-3333-3333-3333-333333333333",
      runnerNetwork: { virtualNetworkId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/runners/providers/Microsoft.Network/virtualNetworks/runners", addressPrefixes: ["203.0.113.0/26"] } } };
  expect(problems(azure)).toEqual(['controlPlane.adminCidrs[1]: duplicate admin CIDR (same as [0]); list each once (got "203.0.113.0/24")']);
  const gcp = { ...neutral, cloud: "gcp", region: "europe-west1", controlPlane: { adminCidrs: ["203.0.113.0/24", "203.0.113.0/24"] }, gcp: { projectId: "acme-catalog-prod" } };
  expect(problems(gcp)).toHaveLength(1);
});

test("tag and node pool counts are limited per cloud, each limit with its source", () => {
  for (const l of [...Object.values(TAG_LIMITS), ...Object.values(NODE_POOL_LIMITS)]) expect(l.source).toMatch(/^https:\/\/\S+ \(.+\)$/);
  const tags = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`t${i}`, "v"]));
  expect(problems({ ...base, tags })).toEqual([
    "tags: 300 tags; aws allows 50 per resource and the platform sets 3 (deployment, Name and kubernetes.io/cluster/<name>), so at most 47; remove 253 (got a mapping of 300 keys)",
  ]);
  const pools = Array.from({ length: 60 }, (_, i) => ({ name: `p${i}`, count: 3, machineType: "m6i.large" }));
  expect(problems({ ...base, nodePools: pools })[0]).toMatch(/^nodePools: at most 30 node pools \(EKS allows 30 managed node groups per cluster/);
});

test("over-long values are refused and named by their size, not echoed", () => {
  const [p] = problems({ ...base, nodePools: [{ name: "general", count: 3, machineType: "m".repeat(100_000) }] });
  expect(p).toBe("nodePools[0].machineType: must be a machine type name of at most 64 characters, e.g. m6i.2xlarge (got a string of 100000 characters)");
});

test("a remote-state AWS deployment must name its account", () => {
  expect(problems({ ...base, state: s3 })).toEqual([
    'aws.accountId: required when state.backend is not local: the 12-digit account to deploy into, e.g. aws: { accountId: "123456789012" } (`aws sts get-caller-identity --query Account`) (missing)',
  ]);
});
