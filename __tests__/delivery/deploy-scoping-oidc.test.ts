import { AWS_ACTION_CONDITIONS, conditionProblems, type SynthesizedStatement } from "../../stacks/bootstrap/aws-condition-facts";
import { DEPLOYMENT_TAG } from "../../stacks/bootstrap/aws-deploy-policy";
import { OIDC_PROVIDER_CALLS, OIDC_TAG_ON_CREATE } from "../../stacks/bootstrap/aws-oidc-facts";
import { AWS_PERMISSIONS } from "../../stacks/bootstrap/permission-facts";
import { synthesizedStacks } from "../support/deployments";
import { applyStatements } from "../support/aws-apply-statements";
import { allows, denies } from "../support/iam-match";

// The AWS apply role's writes to the cluster's IAM OIDC provider (stacks/bootstrap/aws-deploy-policy.ts,
// oidcProviderGrant), checked request by request against the synthesized stacks: the calls the aws provider makes for
// the synthesized aws_iam_openid_connect_provider (OIDC_PROVIDER_CALLS), on that provider carrying the tags the cloud
// stack gives it, are allowed by the synthesized bootstrap policies; the same calls on another EKS cluster's provider
// of the account (untagged: another team's; or tagged for another deployment) are refused, and none of them can be
// tagged into the deployment first. IAM's decision: some Allow matches, no Deny does
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).

const ACCOUNT = "123456789012";
type Context = Record<string, string | readonly string[]>;
type Tf = { provider: { aws: { alias?: string; default_tags?: { tags?: Record<string, string> }[] }[] }; resource: Record<string, Record<string, Record<string, unknown>>> };


/** The synthesized cluster OIDC provider and the tags the aws provider sends for it (default_tags, then its own tags). */
function clusterProvider(key: string): { id: string; url: string; tags: Record<string, string> } {
  const cloud = Object.entries(synthesizedStacks(key)).find(([id]) => id.endsWith("-aws"))![1] as unknown as Tf;
  const providers = Object.entries(cloud.resource.aws_iam_openid_connect_provider ?? {});
  expect(providers).toHaveLength(1);
  const [id, p] = providers[0];
  const aws = cloud.provider.aws.find((x) => x.alias === undefined)!;
  const tags = { ...Object.assign({}, ...(aws.default_tags ?? []).map((t) => t.tags ?? {})), ...((p.tags as Record<string, string> | undefined) ?? {}) } as Record<string, string>;
  return { id, url: String(p.url), tags };
}

/** An EKS cluster's OIDC provider ARN (the issuer's id is EKS's: 32 hexadecimal characters). */
const providerArn = (region: string, issuerId: string) => `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.${region}.amazonaws.com/id/${issuerId}`;
const OURS = "0A1B2C3D4E5F60718293A4B5C6D7E8F9";
const THEIRS = "F9E8D7C6B5A4938271605F4E3D2C1B0A";

function decide(statements: readonly SynthesizedStatement[], action: string, resource: string, context: Context): boolean {
  const req = { action, resource, context };
  return allows(statements, req) && !denies(statements, req);
}

/** The deployment's own requests: each call the provider makes, on its provider (tagged as the stack tags it). */
function ownRequests(region: string, tags: Record<string, string>): { label: string; action: string; resource: string; context: Context }[] {
  const resource = providerArn(region, OURS);
  const carried: Context = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
  const other = Object.keys(tags).find((k) => k !== DEPLOYMENT_TAG) ?? "team";
  return [
    ...OIDC_PROVIDER_CALLS.read.map((action) => ({ label: "refresh", action, resource, context: carried })),
    ...OIDC_PROVIDER_CALLS.update.map((action) => ({ label: "update", action, resource, context: carried })),
    ...OIDC_PROVIDER_CALLS.delete.map((action) => ({ label: "delete", action, resource, context: carried })),
    // A tag of the stack's changed (tags.go: only the added or changed keys are sent), and one removed.
    { label: `tag ${other} changed`, action: "iam:TagOpenIDConnectProvider", resource, context: { ...carried, [`aws:RequestTag/${other}`]: "changed", "aws:TagKeys": [other] } },
    { label: `tag ${other} removed`, action: "iam:UntagOpenIDConnectProvider", resource, context: { ...carried, "aws:TagKeys": [other] } },
  ];
}

describe.each([
  ["aws", "examples/aws.yaml", "examples-aws"],
  ["aws-estate", "examples/aws-estate.yaml", "examples-aws-estate"],
  ["aws-estate-keys", "examples/aws-estate-keys.yaml", "examples-aws-estate-keys"],
])("%s: the apply role's writes to the cluster's OIDC provider", (_label, file, key) => {
  const b = applyStatements(file, ACCOUNT);
  const provider = clusterProvider(key);
  const oidc = () => b.statements.filter((s) => (s.actions ?? []).some((a) => a.includes("OpenIDConnectProvider")));

  test("the synthesized OIDC provider is the cluster's and carries `deployment: <name>` (the aws provider's default_tags)", () => {
    expect(provider.url).toMatch(/^\$\{aws_eks_cluster\.[^.]+\.identity\[0\]\.oidc\[0\]\.issuer\}$/);
    expect(provider.tags[DEPLOYMENT_TAG]).toBe(b.name);
  });

  test("every call the aws provider makes on the deployment's own provider is allowed", () => {
    const requests = ownRequests(b.region, provider.tags);
    const writes = AWS_PERMISSIONS.aws_iam_openid_connect_provider.write.filter((a) => a !== "iam:CreateOpenIDConnectProvider");
    // Every write the type maps to but its creation is one of the requests (the creation: the next test).
    expect(new Set(requests.map((r) => r.action))).toEqual(new Set([...writes, ...AWS_PERMISSIONS.aws_iam_openid_connect_provider.read]));
    expect(requests.filter((r) => !decide(b.statements, r.action, r.resource, r.context)).map((r) => `${r.label} ${r.action}`)).toEqual([]);
  });

  test("the same calls on another cluster's provider (untagged, or another deployment's) are refused; none is tagged into the deployment first", () => {
    const theirs = providerArn(b.region, THEIRS);
    const owners: { label: string; tags: Context }[] = [
      { label: "untagged", tags: {} },
      { label: "another deployment's", tags: { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: `${b.name}-2` } },
      { label: "another team's", tags: { "aws:ResourceTag/team": "payments" } },
    ];
    const allowed: string[] = [];
    for (const o of owners) {
      for (const r of ownRequests(b.region, provider.tags).filter((x) => x.label !== "refresh")) {
        const context = Object.fromEntries(Object.entries(r.context).filter(([k]) => !k.startsWith("aws:ResourceTag/")));
        if (decide(b.statements, r.action, theirs, { ...context, ...o.tags })) allowed.push(`${o.label}: ${r.label} ${r.action}`);
      }
      // Claimed first: tagged `deployment: <name>`, so that the writes above would match.
      const claim = { ...o.tags, [`aws:RequestTag/${DEPLOYMENT_TAG}`]: b.name, "aws:TagKeys": [DEPLOYMENT_TAG] };
      if (decide(b.statements, "iam:TagOpenIDConnectProvider", theirs, claim)) allowed.push(`${o.label}: claimed`);
    }
    expect(allowed).toEqual([]);
    // Reading any EKS provider of the region stays allowed (the plan reads them; nothing is written).
    expect(decide(b.statements, "iam:GetOpenIDConnectProvider", theirs, {})).toBe(true);
  });

  test("the deployment's own provider keeps its deployment tag: never given another value nor removed", () => {
    const ours = providerArn(b.region, OURS);
    const carried = { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: b.name };
    expect({
      moved: decide(b.statements, "iam:TagOpenIDConnectProvider", ours, { ...carried, [`aws:RequestTag/${DEPLOYMENT_TAG}`]: `${b.name}-2`, "aws:TagKeys": [DEPLOYMENT_TAG] }),
      removed: decide(b.statements, "iam:UntagOpenIDConnectProvider", ours, { ...carried, "aws:TagKeys": [DEPLOYMENT_TAG, "team"] }),
      kept: decide(b.statements, "iam:TagOpenIDConnectProvider", ours, { ...carried, [`aws:RequestTag/${DEPLOYMENT_TAG}`]: b.name, "aws:RequestTag/team": "x", "aws:TagKeys": [DEPLOYMENT_TAG, "team"] }),
    }).toEqual({ moved: false, removed: false, kept: true });
  });

  test("CreateOpenIDConnectProvider only with `deployment: <name>` in the request; its tags, authorized as TagOpenIDConnectProvider on the untagged new provider, are not (an administrator creates it)", () => {
    const created = providerArn(b.region, OURS);
    const request = (tags: Record<string, string>): Context => ({ ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])), "aws:TagKeys": Object.keys(tags) });
    const withoutDeployment = Object.fromEntries(Object.entries(provider.tags).filter(([k]) => k !== DEPLOYMENT_TAG));
    expect({
      own: decide(b.statements, "iam:CreateOpenIDConnectProvider", created, request(provider.tags)),
      another: decide(b.statements, "iam:CreateOpenIDConnectProvider", created, request({ ...provider.tags, [DEPLOYMENT_TAG]: `${b.name}-2` })),
      untagged: decide(b.statements, "iam:CreateOpenIDConnectProvider", created, request(withoutDeployment)),
      tagsAtCreation: decide(b.statements, OIDC_TAG_ON_CREATE.authorizedAs, created, request(provider.tags)),
    }).toEqual({ own: true, another: false, untagged: false, tagsAtCreation: false });
  });

  test("each OIDC statement's condition keys are ones the reference lists for its actions on oidc-provider", () => {
    // The Deny on the CI roles (DenyCiIdentityChanges) lists every IAM write, these among them, on other resources.
    const writes = oidc().filter((s) => (s.sid ?? "").startsWith("Write"));
    expect(writes.length).toBeGreaterThanOrEqual(4);
    for (const s of writes) expect({ sid: s.sid, conditioned: (s.condition ?? []).length > 0 }).toEqual({ sid: s.sid, conditioned: true });
    expect(oidc().flatMap(conditionProblems)).toEqual([]);
    for (const a of new Set(oidc().flatMap((s) => s.actions ?? []).filter((x) => x.includes("OpenIDConnectProvider")))) expect({ a, types: Object.keys(AWS_ACTION_CONDITIONS[a]?.byResourceType ?? {}) }).toEqual({ a, types: ["oidc-provider"] });
  });
});
