import * as fs from "node:fs";
import * as path from "node:path";
import { NODE_ROLE_POLICIES } from "../../constructs/aws/eks-cluster";
import { REQUIRED_SERVICES } from "../../constructs/gcp/project-services";
import { idFromText, idOf } from "../../lib/construct-id";
import { WORKLOAD_IDENTITIES } from "../../platform/platform-foundation";
import { NAMESPACES, SERVICES } from "../../platform/service-catalog";
import { vaultNames } from "../../platform/service-names";
import { DATA_CONTAINER } from "../../stacks/azure-stack";
import { DATABASE_ROLES } from "../../stacks/vault-config-stack";

// Logical ids are a contract. These pin what the one helper makes of a name, and show, per call site, that
// every input the site can receive (the deployment schema's pattern, or the catalog's values) gives the id
// the site's own helper gave before lib/construct-id.ts replaced it. Each `before` is that helper's body as
// it was on main at aed06bf, quoted here because it no longer exists in the code.

test("idOf and idFromText, pinned", () => {
  const pinned: [string, string][] = [
    ["entry-point", "EntryPoint"],
    ["entryPoint", "EntryPoint"],
    ["system", "System"],
    ["vault", "Vault"],
    ["postgresql", "Postgresql"],
    ["flow-logs", "FlowLogs"],
    ["general2", "General2"],
    ["container", "Container"],
    ["AmazonEKS_CNI_Policy", "AmazonEKSCNIPolicy"],
    ["AmazonEKSWorkerNodePolicy", "AmazonEKSWorkerNodePolicy"],
    ["a.b_c-d", "ABCD"],
    ["--x--y--", "XY"],
    ["1pool", "1pool"],
    ["", ""],
  ];
  expect(pinned.map(([name]) => [name, idOf(name)])).toEqual(pinned);
  expect(idFromText("203.0.113.0/24")).toBe("203-0-113-0-24");
  expect(idFromText("arn:aws:iam::123456789012:role/platform-admin")).toBe("arn-aws-iam-123456789012-role-platform-admin");
  expect(idFromText("arn:aws-us-gov:iam::123456789012:user/ci/x+y=z")).toBe("arn-aws-us-gov-iam-123456789012-user-ci-x-y-z");
});

// --- inputs ---------------------------------------------------------------------------------------------------
const schema = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../config/deployment.schema.json"), "utf8"));
const pattern = (p: string) => new RegExp(p, "u");
const POOL_NAME = pattern(schema.properties.nodePools.items.properties.name.pattern);
const PRINCIPAL_ARN = pattern(schema.properties.aws.properties.adminPrincipalArns.items.pattern);
const ADMIN_CIDR = pattern(schema.properties.controlPlane.properties.adminCidrs.items.pattern);
// Azure's blob container name rule, as the schema states it for state.containerName.
const CONTAINER_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
// A Kubernetes object name (DNS-1123 label) for namespaces and service accounts.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

// A seeded generator, so a failure names an input that reproduces.
let seed = 19;
const random = () => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
const pick = <T>(from: ArrayLike<T>): T => from[Math.floor(random() * from.length)];
const text = (chars: string, max: number) => Array.from({ length: 1 + Math.floor(random() * max) }, () => pick(chars)).join("");
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
/** `n` generated strings the pattern admits (the test fails if fewer come out: it must not pass on an empty list). */
const admitted = (n: number, re: RegExp, make: () => string): string[] => {
  const out = new Set<string>();
  for (let i = 0; i < n * 20 && out.size < n; i++) {
    const s = make();
    if (re.test(s)) out.add(s);
  }
  expect(out.size).toBe(n);
  return [...out];
};
const poolNames = admitted(3000, POOL_NAME, () => pick(LOWER) + text(LOWER + DIGITS, 12).slice(0, Math.floor(random() * 12)));
const containerNames = [DATA_CONTAINER, ...admitted(3000, CONTAINER_NAME, () => text(LOWER + DIGITS + "--", 20))];
const dnsLabels = admitted(3000, DNS_LABEL, () => text(LOWER + DIGITS + "-", 20));
const anyName = admitted(3000, /^[A-Za-z0-9._-]+$/, () => text(LOWER + LOWER.toUpperCase() + DIGITS + "._-", 16));
const principalArns = admitted(2000, PRINCIPAL_ARN, () =>
  `arn:aws${pick(["", "-cn", "-us-gov"])}:iam::${text(DIGITS, 12).padEnd(12, "7")}:${random() < 0.5 ? "role" : "user"}/${text(LOWER + "ABCXYZ" + DIGITS + "_+=,.@/-", 24)}`,
);
const adminCidrs = admitted(2000, ADMIN_CIDR, () => {
  const prefix = 1 + Math.floor(random() * 32);
  const addr = Math.floor(random() * 2 ** 32) & (prefix === 0 ? 0 : ~0 << (32 - prefix));
  return `${[24, 16, 8, 0].map((s) => (addr >>> s) & 255).join(".")}/${prefix}`;
});
const catalogKeys = Object.keys(SERVICES);
// Kubernetes-auth roles, policies, PKI roles, transit keys (vaultNames) and the dynamic database roles.
const vaultRoleNames = [
  ...Object.values(SERVICES).flatMap((s) => {
    const { role, policy, pkiRole, transitKey } = vaultNames(s);
    return [role, policy, pkiRole, transitKey];
  }),
  ...DATABASE_ROLES.map((r) => r.name),
];
const identitySubjects = Object.values(WORKLOAD_IDENTITIES).flatMap((w) => w.subjects.flatMap((s) => [s.namespace, s.serviceAccount]));

// --- the helpers each site had --------------------------------------------------------------------------------
const capitalFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const splitJoin = (s: string) => s.split(/[^a-zA-Z0-9]/).filter(Boolean).map((p) => p[0].toUpperCase() + p.slice(1)).join("");
const oldIdOf = (name: string) => name.split(/[-_.]/).map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("");

const sites: { site: string; before: (s: string) => string; after: (s: string) => string; inputs: readonly string[] }[] = [
  { site: "aws-stack NodeGroup<pool>", before: (n) => `NodeGroup${n[0].toUpperCase()}${n.slice(1)}`, after: (n) => `NodeGroup${idOf(n)}`, inputs: poolNames },
  { site: "gcp-stack NodePool<pool>", before: (n) => `NodePool${capitalFirst(n)}`, after: (n) => `NodePool${idOf(n)}`, inputs: poolNames },
  { site: "azure/aks-cluster <pool>Pool", before: (n) => `${n[0].toUpperCase() + n.slice(1)}Pool`, after: (n) => `${idOf(n)}Pool`, inputs: poolNames },
  { site: "vault-stack Namespace<key>", before: (k) => `Namespace${capitalFirst(k)}`, after: (k) => `Namespace${idOf(k)}`, inputs: Object.keys(NAMESPACES) },
  { site: "kubernetes/network-allow-graph <key>", before: capitalFirst, after: idOf, inputs: catalogKeys },
  { site: "gcp/project-services <api>", before: (s) => capitalFirst(s.split(".")[0]), after: (s) => idOf(s.split(".")[0]), inputs: REQUIRED_SERVICES },
  { site: "azure/storage-account <name>Container", before: (n) => splitJoin(n) + "Container", after: (n) => `${idOf(n)}Container`, inputs: containerNames },
  {
    site: "azure/workload-identity <namespace><serviceAccount>",
    before: splitJoin,
    after: idOf,
    inputs: [...identitySubjects, ...dnsLabels],
  },
  { site: "vault constructs and vault-config-stack Role/Key/Policy<name>", before: oldIdOf, after: idOf, inputs: [...vaultRoleNames, ...dnsLabels, ...anyName] },
  { site: "aws/eks-cluster NodeRole<policy>", before: (p) => `NodeRole${p.replace(/_/g, "")}`, after: (p) => `NodeRole${idOf(p)}`, inputs: NODE_ROLE_POLICIES },
  { site: "aws/eks-cluster <role>Access-<arn>", before: (a) => a.replace(/[^A-Za-z0-9]+/g, "-"), after: idFromText, inputs: principalArns },
  { site: "aws/control-plane-endpoint AdminHttps-<cidr>", before: (c) => `AdminHttps-${c.replace(/[./]/g, "-")}`, after: (c) => `AdminHttps-${idFromText(c)}`, inputs: adminCidrs },
];

test.each(sites.map((s) => [s.site, s] as const))("%s: every admitted input keeps its id", (_site, { before, after, inputs }) => {
  expect(inputs.length).toBeGreaterThan(0);
  const moved = inputs.filter((input) => after(input) !== before(input)).map((input) => [input, before(input), after(input)]);
  expect(moved).toEqual([]);
});

test("the generated inputs reach the schema's edges", () => {
  // 1- and 12-character pool names, names with dots/underscores, and /1 and /32 ranges are among the inputs.
  expect(poolNames.some((n) => n.length === 1) && poolNames.some((n) => n.length === 12)).toBe(true);
  expect(anyName.some((n) => /[._]/.test(n) && /^[-._]|[-._]$/.test(n))).toBe(true);
  expect(adminCidrs.some((c) => c.endsWith("/32")) && adminCidrs.some((c) => /\/[1-8]$/.test(c))).toBe(true);
  expect(principalArns.some((a) => a.includes(":user/")) && principalArns.some((a) => /[+=,.@]/.test(a.split("/").slice(1).join("/")))).toBe(true);
});
