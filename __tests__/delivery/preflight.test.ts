import { validateDeployment } from "../../config/load";
import { DEFAULT_DEPLOYMENT } from "../../config/default";
import type { DeploymentInput } from "../../config/schema";
import { deploymentRoleGuid } from "../../constructs/azure/deployment-roles";
import { cloudsNeeded, destroyRefusal, formatResults, GKE_HOST_FIREWALL_PERMISSIONS, preflight } from "../../scripts/preflight";
import { STACK_ROLES } from "../../scripts/stack-order";
import { AWS_READY, azureBootstrapped, azureToken, fakeRunner } from "./fake-runner";

const AZURE_IDS = { subscriptionId: "00000000-0000-0000-0000-000000000000", tenantId: "11111111-1111-1111-1111-111111111111" };

function deployment(overrides: Partial<DeploymentInput> = {}) {
  return validateDeployment({ ...DEFAULT_DEPLOYMENT, ...overrides }, "test");
}
const aws = deployment();
const azure = deployment({
  cloud: "azure",
  region: "westeurope",
  aws: undefined,
  azure: {
    ...AZURE_IDS, adminGroupObjectIds: ["22222222-2222-2222-2222-222222222222"], deployerObjectId: "33333333-3333-3333-3333-333333333333",
    runnerNetwork: { virtualNetworkId: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/runners/providers/Microsoft.Network/virtualNetworks/runners", addressPrefixes: ["203.0.113.0/26"] },
  },
  state: { backend: "azurerm", resourceGroupName: "tfstate", storageAccountName: "acmetfstate", containerName: "tfstate" },
});
const gcp = deployment({ cloud: "gcp", region: "europe-west1", aws: undefined, gcp: { projectId: "acme-catalog-prod" } });
const VAULT_ENV = { VAULT_ADDR: "https://vault.internal:8200", VAULT_TOKEN: "hvs.not-a-real-token" };

const failures = (results: ReturnType<typeof preflight>) => results.filter((r) => !r.ok);

test("passes when terraform 1.11, AWS credentials, the exec plugin and the Vault env are present", () => {
  const results = preflight({ deployment: aws, stacks: STACK_ROLES, env: VAULT_ENV, run: fakeRunner(AWS_READY) });
  expect(failures(results)).toEqual([]);
  expect(results.map((r) => r.name)).toEqual([
    "terraform 1.11.x", "AWS credentials", "EKS access entry for this identity", "EBS encryption by default (eu-west-1)",
    "Kubernetes credential plugin (aws)", "VAULT_ADDR", "VAULT_TOKEN",
  ]);
});

test("fails clearly when terraform is missing, naming the version to install", () => {
  const rest = Object.fromEntries(Object.entries(AWS_READY).filter(([k]) => k !== "terraform version"));
  const [bad] = failures(preflight({ deployment: aws, stacks: ["cloud"], env: {}, run: fakeRunner(rest) }));
  expect(bad.name).toBe("terraform 1.11.x");
  expect(bad.detail).toMatch(/not on the PATH; install terraform 1\.11\.4/);
});

test.each(["1.9.8", "1.12.0", "2.0.0"])("fails on terraform %s (wrong major/minor)", (version) => {
  const run = fakeRunner({ ...AWS_READY, "terraform version": { stdout: JSON.stringify({ terraform_version: version }) } });
  const [bad] = failures(preflight({ deployment: aws, stacks: ["cloud"], env: {}, run }));
  expect(bad.detail).toContain(`found terraform ${version}, this project needs 1.11.x`);
});

test("accepts the plain-text `terraform version` output of older wrappers", () => {
  const run = fakeRunner({ ...AWS_READY, "terraform version": { stdout: "Terraform v1.11.2\non linux_amd64\n" } });
  expect(failures(preflight({ deployment: aws, stacks: ["cloud"], env: {}, run }))).toEqual([]);
});

test("fails when the AWS CLI is missing, and when it has no credentials, naming the fix", () => {
  const missing = fakeRunner({ "terraform version": AWS_READY["terraform version"] });
  expect(failures(preflight({ deployment: aws, stacks: ["cloud"], env: {}, run: missing }))[0].detail).toMatch(/AWS CLI \(aws\) is not on the PATH; install AWS CLI v2/);
  const expired = fakeRunner({ ...AWS_READY, "aws sts get-caller-identity": { code: 255, stderr: "\nThe SSO session associated with this profile has expired\n" } });
  expect(failures(preflight({ deployment: aws, stacks: ["cloud"], env: {}, run: expired }))[0].detail).toBe(
    "`aws sts get-caller-identity` failed (The SSO session associated with this profile has expired); log in, e.g. `aws sso login --profile <profile>` and `export AWS_PROFILE=<profile>`",
  );
});

test("Azure: requires az, a login, and the deployment's own subscription and tenant", () => {
  const ready = { "terraform version": AWS_READY["terraform version"], "kubelogin --version": { stdout: "v0.1.4" }, ...azureBootstrapped(AZURE_IDS.subscriptionId, azure.name) };
  const right = JSON.stringify({ id: AZURE_IDS.subscriptionId, tenantId: AZURE_IDS.tenantId, user: { name: "alice@acme.example" } });
  const deployerToken = { "az account get-access-token": { stdout: `${azureToken("33333333-3333-3333-3333-333333333333")}\n` } };
  expect(failures(preflight({ deployment: azure, stacks: STACK_ROLES, env: VAULT_ENV, run: fakeRunner({ ...ready, ...deployerToken, "az account show": { stdout: right } }) }))).toEqual([]);

  expect(failures(preflight({ deployment: azure, stacks: ["cloud"], env: {}, run: fakeRunner(ready) }))[0].detail).toMatch(/Azure CLI \(az\) is not on the PATH/);
  const loggedOut = fakeRunner({ ...ready, "az account show": { code: 1, stderr: "Please run 'az login' to setup account." } });
  expect(failures(preflight({ deployment: azure, stacks: ["cloud"], env: {}, run: loggedOut }))[0].detail).toContain(`az login --tenant ${AZURE_IDS.tenantId}`);
  const otherSub = fakeRunner({ ...ready, "az account show": { stdout: JSON.stringify({ id: "99999999-9999-9999-9999-999999999999", tenantId: AZURE_IDS.tenantId }) } });
  expect(failures(preflight({ deployment: azure, stacks: ["cloud"], env: {}, run: otherSub }))[0].detail).toContain(`az account set --subscription ${AZURE_IDS.subscriptionId}`);
});

test("Azure: a cloud plan or apply needs the bootstrap's custom roles (the cloud stack assigns them by id); the Kubernetes stacks alone do not", () => {
  const planned = deployment({ aws: undefined, cloud: "azure", region: "westeurope", azure: { ...azure.azure!, planObjectId: "44444444-4444-4444-4444-444444444444" } });
  const base = {
    "terraform version": AWS_READY["terraform version"],
    "kubelogin --version": { stdout: "v0.1.4" },
    "az account show": { stdout: JSON.stringify({ id: AZURE_IDS.subscriptionId, tenantId: AZURE_IDS.tenantId }) },
    "az account get-access-token": { stdout: azureToken("33333333-3333-3333-3333-333333333333") },
  };
  const check = (answers: Record<string, { stdout?: string; code?: number; stderr?: string }>, stacks: ("cloud" | "vault")[] = ["cloud"]) => {
    const run = fakeRunner({ ...base, ...answers });
    return { result: preflight({ deployment: planned, stacks, env: {}, run, intent: "apply" }).find((r) => r.name.startsWith("Azure custom roles")), calls: run.calls };
  };
  const ok = check(azureBootstrapped(AZURE_IDS.subscriptionId, planned.name));
  expect(ok.result).toMatchObject({ ok: true, detail: `${planned.name}-deploy-keys, ${planned.name}-deploy-cluster-reader exist` });
  expect(ok.calls.filter((c) => c.args.slice(0, 3).join(" ") === "role definition list").map((c) => c.args)).toEqual(
    (["keyDeployer", "clusterReader"] as const).map((k) => ["role", "definition", "list", "--name", deploymentRoleGuid(AZURE_IDS.subscriptionId, planned.name, k), "--scope", `/subscriptions/${AZURE_IDS.subscriptionId}`, "--output", "json"]),
  );
  const none = check({ "az role definition list": { stdout: "[]" } }).result!;
  expect(none.ok).toBe(false);
  expect(none.detail).toContain(`missing ${planned.name}-deploy-keys (${deploymentRoleGuid(AZURE_IDS.subscriptionId, planned.name, "keyDeployer")})`);
  expect(none.detail).toContain(`npx cdktf deploy ${planned.name}-deploy-roles`);
  // Another deployment's roles do not count.
  expect(check(azureBootstrapped(AZURE_IDS.subscriptionId, "someone-else")).result!.ok).toBe(false);
  expect(check({ "az role definition list": { code: 1, stderr: "AuthorizationFailed: does not have authorization" } }).result!.detail).toMatch(/failed \(AuthorizationFailed.*roleDefinitions\/read/);
  expect(check({}, ["vault"]).result).toBeUndefined();
});

test("GCP: requires gcloud, its login and Application Default Credentials, and never echoes a token", () => {
  const token = "ya29.secret-access-token";
  const ready = {
    "terraform version": AWS_READY["terraform version"],
    "gcloud auth print-access-token": { stdout: token },
    "gke-gcloud-auth-plugin --version": { stdout: "Kubernetes v1.30.0" },
  };
  const noAdc = preflight({ deployment: gcp, stacks: ["cloud", "vault"], env: {}, run: fakeRunner({ ...ready, "gcloud auth application-default print-access-token": { code: 1, stderr: "Could not automatically determine credentials." } }) });
  expect(failures(noAdc).map((r) => r.detail)).toEqual([expect.stringContaining("gcloud auth application-default login")]);
  const ok = preflight({ deployment: gcp, stacks: ["cloud", "vault"], env: {}, run: fakeRunner({ ...ready, "gcloud auth application-default print-access-token": { stdout: token } }) });
  expect(failures(ok)).toEqual([]);
  expect(formatResults(ok)).not.toContain(token);
  expect(failures(preflight({ deployment: gcp, stacks: ["cloud"], env: {}, run: fakeRunner({ "terraform version": ready["terraform version"] }) }))[0].detail).toMatch(/gcloud\) is not on the PATH/);
});

test("the Kubernetes stacks need the cluster's credential plugin; the cloud stack alone does not", () => {
  const run = fakeRunner({
    "terraform version": AWS_READY["terraform version"],
    "az account show": { stdout: JSON.stringify({ id: AZURE_IDS.subscriptionId, tenantId: AZURE_IDS.tenantId }) },
    "az account get-access-token": { stdout: azureToken("33333333-3333-3333-3333-333333333333") },
    ...azureBootstrapped(AZURE_IDS.subscriptionId, azure.name),
  });
  expect(failures(preflight({ deployment: azure, stacks: ["cloud"], env: {}, run }))).toEqual([]);
  expect(failures(preflight({ deployment: azure, stacks: ["vault"], env: {}, run }))[0].detail).toMatch(/kubelogin is not on the PATH; install kubelogin/);
});

test("the vault-config stack needs VAULT_ADDR (https) and VAULT_TOKEN, and the token is never printed", () => {
  const run = fakeRunner(AWS_READY);
  expect(failures(preflight({ deployment: aws, stacks: ["vault-config"], env: {}, run })).map((r) => r.name)).toEqual(["VAULT_ADDR", "VAULT_TOKEN"]);
  const plain = failures(preflight({ deployment: aws, stacks: ["vault-config"], env: { ...VAULT_ENV, VAULT_ADDR: "http://vault:8200" }, run }));
  expect(plain[0].detail).toMatch(/is not https:\/\//);
  const ok = preflight({ deployment: aws, stacks: ["vault-config"], env: VAULT_ENV, run });
  expect(failures(ok)).toEqual([]);
  expect(formatResults(ok)).not.toContain(VAULT_ENV.VAULT_TOKEN);
  // Stacks other than vault-config do not ask for Vault's env.
  expect(preflight({ deployment: aws, stacks: ["cloud", "vault", "platform"], env: {}, run }).map((r) => r.name)).not.toContain("VAULT_TOKEN");
});

test("credentials are checked for the state backend's cloud too", () => {
  const crossCloud = deployment({ cloud: "gcp", region: "europe-west1", aws: undefined, gcp: { projectId: "acme-catalog-prod" }, state: { backend: "s3", bucket: "acme-state", region: "eu-west-1" } });
  expect(cloudsNeeded(crossCloud, ["cloud"])).toEqual(["gcp", "aws"]);
  expect(cloudsNeeded(crossCloud, ["vault-config"])).toEqual(["aws"]);
  expect(cloudsNeeded(aws, ["vault-config"])).toEqual([]);
});

test("reports every problem at once and says nothing was changed", () => {
  const text = formatResults(preflight({ deployment: aws, stacks: STACK_ROLES, env: {}, run: fakeRunner({}) }));
  expect(text.match(/FAIL/g)).toHaveLength(5);
  expect(text).toMatch(/preflight: 5 problems; nothing was changed/);
});

test("destroy is refused unless the config allows it, with the reason and the fix", () => {
  const refusal = destroyRefusal(aws);
  expect(refusal).toContain("refusing to destroy 'demo'");
  expect(refusal).toContain("prevent_destroy");
  expect(refusal).toContain("allowDestroy: true");
  expect(destroyRefusal(deployment({ dataProtection: { allowDestroy: true } }))).toBeUndefined();
});

describe("the cloud's access rules, before anything runs", () => {
  test("AWS: the identity must have an access entry; an assumed-role session is its role; apply needs an admin, a plan a viewer will do", () => {
    const viewer = deployment({ aws: { adminPrincipalArns: ["arn:aws:iam::123456789012:role/platform-admins"], viewerPrincipalArns: ["arn:aws:iam::123456789012:role/ci/acme-plan"] } });
    const as = (arn: string) => fakeRunner({ ...AWS_READY, "aws sts get-caller-identity": { stdout: JSON.stringify({ Arn: arn }) } });
    const access = (d: typeof viewer, arn: string, intent: "plan" | "apply") =>
      preflight({ deployment: d, stacks: ["vault"], env: {}, run: as(arn), intent }).find((r) => r.name === "EKS access entry for this identity")!;
    expect(access(viewer, "arn:aws:sts::123456789012:assumed-role/platform-admins/alice", "apply").ok).toBe(true);
    // A role with a path is matched by its name (session ARNs carry no path).
    expect(access(viewer, "arn:aws:sts::123456789012:assumed-role/acme-plan/gha-1-1", "plan").ok).toBe(true);
    const refused = access(viewer, "arn:aws:sts::123456789012:assumed-role/acme-plan/gha-1-1", "apply");
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(/has no access entry: EKS gives no identity access implicitly\. Add its role ARN .* to aws\.adminPrincipalArns and apply/);
    expect(access(viewer, "arn:aws:sts::999999999999:assumed-role/platform-admins/x", "plan").ok).toBe(false);
    // The cloud stack alone does not need cluster access.
    expect(preflight({ deployment: viewer, stacks: ["cloud"], env: {}, run: as("arn:aws:sts::123456789012:assumed-role/other/x") }).map((r) => r.name)).not.toContain("EKS access entry for this identity");
  });

  test("AWS: EBS encryption by default is the account's, checked for the cloud stack with the command that turns it on", () => {
    const off = fakeRunner({ ...AWS_READY, "aws ec2 get-ebs-encryption-by-default": { stdout: JSON.stringify({ EbsEncryptionByDefault: false }) } });
    const [bad] = failures(preflight({ deployment: aws, stacks: ["cloud"], env: {}, run: off }));
    expect(bad).toEqual({ ok: false, name: "EBS encryption by default (eu-west-1)", detail: expect.stringContaining("aws ec2 enable-ebs-encryption-by-default --region eu-west-1") });
    expect(off.calls.map((c) => [c.command, ...c.args].join(" "))).toContain("aws ec2 get-ebs-encryption-by-default --region eu-west-1 --output json");
  });

  describe("AWS: the Route 53 zone of domain.dnsZone (read only)", () => {
    const zoned = deployment({ domain: { ...DEFAULT_DEPLOYMENT.domain, name: "catalog.acme.example.com", dnsZone: { provider: "route53", hostedZoneId: "Z0123456789ABCDEFGHIJ", zoneName: "acme.example.com" } } as DeploymentInput["domain"] });
    const NAME = "Route 53 zone Z0123456789ABCDEFGHIJ (domain.dnsZone)";
    // aws route53 get-hosted-zone / list-resource-record-sets, JSON output (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHostedZone.html,
    // API_ListResourceRecordSets.html): names fully qualified with the final dot.
    const zone = (name: string, privateZone = false) => ({ stdout: JSON.stringify({ HostedZone: { Id: "/hostedzone/Z0123456789ABCDEFGHIJ", Name: name, Config: { PrivateZone: privateZone } }, VPCs: privateZone ? [{ VPCRegion: "eu-west-1", VPCId: "vpc-1" }] : undefined }) });
    const records = (...sets: { Name: string; Type: string }[]) => ({ stdout: JSON.stringify({ ResourceRecordSets: [{ Name: "acme.example.com.", Type: "SOA" }, { Name: "acme.example.com.", Type: "NS" }, ...sets] }) });
    const run = (answers: Record<string, object>) => fakeRunner({ ...AWS_READY, ...answers });
    const check = (answers: Record<string, object>, stacks: Parameters<typeof preflight>[0]["stacks"] = ["cloud"]) =>
      preflight({ deployment: zoned, stacks, env: VAULT_ENV, run: run(answers) }).find((r) => r.name === NAME);

    test("the zone exists, is named zoneName and delegates nothing above domain.name: ok, for the cloud and the platform stack", () => {
      const answers = { "aws route53 get-hosted-zone": zone("acme.example.com."), "aws route53 list-resource-record-sets": records({ Name: "other.acme.example.com.", Type: "NS" }) };
      expect(check(answers)).toEqual({ ok: true, name: NAME, detail: expect.stringMatching(/^public zone acme\.example\.com holds catalog\.acme\.example\.com/) });
      expect(check(answers, ["platform"])?.ok).toBe(true);
      expect(check(answers, ["vault"])).toBeUndefined();
      const calls = run(answers);
      preflight({ deployment: zoned, stacks: ["cloud"], env: {}, run: calls });
      expect(calls.calls.map((c) => [c.command, ...c.args].join(" "))).toEqual(expect.arrayContaining([
        "aws route53 get-hosted-zone --id Z0123456789ABCDEFGHIJ --output json",
        "aws route53 list-resource-record-sets --hosted-zone-id Z0123456789ABCDEFGHIJ --output json",
      ]));
    });

    test("a zone that cannot be read, another zone's id, or a delegated subzone above the name: refused with the fix", () => {
      expect(check({ "aws route53 get-hosted-zone": { code: 254, stderr: "An error occurred (NoSuchHostedZone)" } })).toEqual({ ok: false, name: NAME, detail: expect.stringMatching(/NoSuchHostedZone.*route53:GetHostedZone.*domain\.dnsZone\.hostedZoneId/) });
      expect(check({ "aws route53 get-hosted-zone": zone("example.org."), "aws route53 list-resource-record-sets": records() })).toEqual({ ok: false, name: NAME, detail: expect.stringMatching(/is example\.org, not domain\.dnsZone\.zoneName \(acme\.example\.com\)/) });
      expect(check({ "aws route53 get-hosted-zone": zone("acme.example.com."), "aws route53 list-resource-record-sets": records({ Name: "catalog.acme.example.com.", Type: "NS" }) })).toEqual({
        ok: false, name: NAME, detail: expect.stringMatching(/delegates catalog\.acme\.example\.com to other name servers \(NS record\): a record here would never be answered; name the delegated zone/),
      });
    });

    test("a private zone is reported with the VPCs it answers in", () => {
      const r = check({ "aws route53 get-hosted-zone": zone("acme.example.com.", true), "aws route53 list-resource-record-sets": records() });
      expect(r).toEqual({ ok: true, name: NAME, detail: expect.stringMatching(/^private zone acme\.example\.com .*answers only in its associated VPCs: vpc-1 \(eu-west-1\)/) });
    });
  });

  test("Azure: applying as anyone but the configured deploying identity is refused; the plan identity may plan; the token is never printed", () => {
    const base = { "terraform version": AWS_READY["terraform version"], "az account show": { stdout: JSON.stringify({ id: AZURE_IDS.subscriptionId, tenantId: AZURE_IDS.tenantId }) } };
    const planned = deployment({
      aws: undefined, cloud: "azure", region: "westeurope",
      azure: { ...azure.azure!, planObjectId: "44444444-4444-4444-4444-444444444444" },
    });
    const as = (oid: string) => fakeRunner({ ...base, "az account get-access-token": { stdout: azureToken(oid) } });
    const check = (oid: string, intent: "plan" | "apply") =>
      preflight({ deployment: planned, stacks: ["cloud"], env: {}, run: as(oid), intent }).find((r) => r.name.startsWith("Azure identity"))!;
    expect(check("33333333-3333-3333-3333-333333333333", "apply").ok).toBe(true);
    expect(check("44444444-4444-4444-4444-444444444444", "plan").ok).toBe(true);
    const wrong = check("44444444-4444-4444-4444-444444444444", "apply");
    expect(wrong.ok).toBe(false);
    expect(wrong.detail).toContain("is not azure.deployerObjectId (33333333-3333-3333-3333-333333333333)");
    expect(formatResults(preflight({ deployment: planned, stacks: ["cloud"], env: {}, run: as("55555555-5555-5555-5555-555555555555") }))).not.toContain(azureToken("55555555-5555-5555-5555-555555555555"));
  });
});

describe("wrong-account guard (AWS)", () => {
  const pinned = deployment({ state: { backend: "s3", bucket: "acme-terraform-state", region: "eu-west-1" }, aws: { ...DEFAULT_DEPLOYMENT.aws, accountId: "123456789012" } });
  test("passes when the login is in the configured account", () => {
    const results = preflight({ deployment: pinned, stacks: ["cloud"], env: {}, run: fakeRunner(AWS_READY) });
    expect(failures(results)).toEqual([]);
    expect(results.find((r) => r.name === "AWS credentials")?.detail).toBe("arn:aws:sts::123456789012:assumed-role/platform-admins/alice (account 123456789012, as configured)");
  });
  test("fails before anything runs when the login is in another account, naming both and the fix", () => {
    const other = { stdout: JSON.stringify({ UserId: "AROAX:bob", Account: "210987654321", Arn: "arn:aws:sts::210987654321:assumed-role/admin/bob" }) };
    const [bad] = failures(preflight({ deployment: pinned, stacks: ["cloud"], env: {}, run: fakeRunner({ ...AWS_READY, "aws sts get-caller-identity": other }) }));
    expect(bad.name).toBe("AWS credentials");
    expect(bad.detail).toMatch(/^logged in to account 210987654321 \(arn:aws:sts::210987654321:assumed-role\/admin\/bob\), the deployment's is 123456789012 \(aws\.accountId\); log in to 123456789012/);
  });
  test("a bootstrapped deployment's cloud stack waits for the roles' boundaries: each is read, a missing one names the bootstrap", () => {
    const run = fakeRunner(AWS_READY);
    const ok = preflight({ deployment: pinned, stacks: ["cloud"], env: {}, run }).find((r) => r.name.startsWith("IAM role boundaries"))!;
    expect(ok.ok).toBe(true);
    const reads = run.calls.map((c) => [c.command, ...c.args].join(" ")).filter((l) => l.startsWith("aws iam get-policy"));
    // One per role of the cloud stack the demo deployment builds, each at its own boundary's ARN.
    expect(reads).toEqual(expect.arrayContaining([
      `aws iam get-policy --policy-arn arn:aws:iam::123456789012:policy/${pinned.name}-eks-cluster-boundary --output json`,
      `aws iam get-policy --policy-arn arn:aws:iam::123456789012:policy/${pinned.name}-vault-unseal-boundary --output json`,
    ]));
    expect(reads.length).toBeGreaterThanOrEqual(7);
    // The error text IAM's GetPolicy returns for an absent policy (NoSuchEntity), as the CLI prints it.
    const absent = { code: 254, stderr: `\nAn error occurred (NoSuchEntity) when calling the GetPolicy operation: Policy arn:aws:iam::123456789012:policy/${pinned.name}-backup-boundary was not found.\n` };
    const missing = preflight({ deployment: pinned, stacks: ["cloud"], env: {}, run: fakeRunner({ ...AWS_READY, "aws iam get-policy": absent }) }).find((r) => r.name.startsWith("IAM role boundaries"))!;
    expect(missing.ok).toBe(false);
    expect(missing.detail).toMatch(new RegExp(`^missing ${pinned.name}-backup-boundary, .*Re-apply the bootstrap ${pinned.name}-state first`));
    const denied = { code: 254, stderr: "\nAn error occurred (AccessDenied) when calling the GetPolicy operation: User is not authorized to perform: iam:GetPolicy\n" };
    const refused = preflight({ deployment: pinned, stacks: ["cloud"], env: {}, run: fakeRunner({ ...AWS_READY, "aws iam get-policy": denied }) }).find((r) => r.name.startsWith("IAM role boundaries"))!;
    expect(refused).toEqual(expect.objectContaining({ ok: false, detail: expect.stringMatching(/AccessDenied.*needs iam:GetPolicy on the roles' boundaries/) }));
    // Local state: no bootstrap, no boundaries, no check.
    expect(preflight({ deployment: aws, stacks: ["cloud"], env: {}, run: fakeRunner(AWS_READY) }).map((r) => r.name)).not.toContain("IAM role boundaries (the bootstrap's)");
  });
  test("the state-only check (vault-config reads state through S3) compares the account too", () => {
    const other = { stdout: JSON.stringify({ Account: "210987654321", Arn: "arn:aws:sts::210987654321:assumed-role/admin/bob" }) };
    expect(failures(preflight({ deployment: pinned, stacks: ["vault-config"], env: VAULT_ENV, run: fakeRunner({ ...AWS_READY, "aws sts get-caller-identity": other }) }))).toHaveLength(1);
  });
});

/** A GCP deployment in an existing network, and the answers of a workstation logged in to gcloud. */
const gcpDeployment = (overrides: Parameters<typeof deployment>[0]) =>
  deployment({ cloud: "gcp", region: "europe-west1", aws: undefined, network: { cidr: "10.60.0.0/20", podCidr: "10.64.0.0/14", serviceCidr: "172.22.0.0/20", singleNatGateway: false }, ...overrides });
const GCP_TOKEN = "ya29.not-a-real-token";
const GCP_LOGGED_IN = {
  "terraform version": { stdout: "Terraform v1.11.4\non linux_amd64" },
  "gcloud auth print-access-token": { stdout: GCP_TOKEN },
  "gcloud auth application-default print-access-token": { stdout: GCP_TOKEN },
  "gke-gcloud-auth-plugin --version": { stdout: "Kubernetes v1.30.0" },
};

describe("GCP Shared VPC: GKE's service agent may write the load balancer's firewall rules in the host project (read-only check)", () => {
  const shared = gcpDeployment({
    gcp: { projectId: "acme-catalog-prod", existingNetwork: { hostProjectId: "acme-network-host", network: "shared-vpc", subnetwork: "catalog", podsRangeName: "pods", servicesRangeName: "services" } },
  });
  const agent = "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com";
  const token = GCP_TOKEN;
  const base = {
    ...GCP_LOGGED_IN,
    "gcloud projects describe acme-catalog-prod --format=value(projectNumber)": { stdout: "123456789012\n" },
    "gcloud iam roles describe roles/compute.securityAdmin --format=json": { stdout: JSON.stringify({ includedPermissions: [...GKE_HOST_FIREWALL_PERMISSIONS.value, "compute.sslCertificates.create"] }) },
    "gcloud iam roles describe roles/compute.networkUser --format=json": { stdout: JSON.stringify({ includedPermissions: ["compute.subnetworks.use", "compute.firewalls.list"] }) },
  };
  const policy = (bindings: unknown[]) => ({ "gcloud projects get-iam-policy acme-network-host --format=json": { stdout: JSON.stringify({ bindings }) } });
  const check = (answers: Record<string, { stdout?: string; code?: number }>, stacks: Parameters<typeof preflight>[0]["stacks"] = ["platform"]) =>
    preflight({ deployment: shared, stacks, env: {}, run: fakeRunner({ ...base, ...answers }) }).filter((r) => r.name.startsWith("GKE service agent"));

  test("passes when a role bound to the agent in the host project holds the firewall permissions", () => {
    const [r] = check(policy([{ role: "roles/compute.networkUser", members: [agent] }, { role: "roles/compute.securityAdmin", members: [agent] }]));
    expect(r).toEqual(expect.objectContaining({ ok: true, detail: expect.stringContaining("roles/compute.securityAdmin") }));
  });

  test("fails with the grant command when the agent holds only networkUser, or the grant is conditional", () => {
    for (const bindings of [[{ role: "roles/compute.networkUser", members: [agent] }], [{ role: "roles/compute.securityAdmin", members: [agent], condition: { expression: "false" } }]]) {
      const [r] = check(policy(bindings));
      expect(r.ok).toBe(false);
      expect(r.detail).toContain(`gcloud projects add-iam-policy-binding acme-network-host --member=${agent} --role=roles/compute.securityAdmin`);
      expect(r.detail).toContain("compute.firewalls.create");
      expect(r.detail).not.toContain(token);
    }
  });

  test("fails when the host project's policy cannot be read; not run for stacks that create no Service, nor without a Shared VPC", () => {
    expect(check({ "gcloud projects get-iam-policy acme-network-host --format=json": { code: 1 } })[0]).toEqual(expect.objectContaining({ ok: false, detail: expect.stringMatching(/could not read the IAM policy of acme-network-host/) }));
    expect(check(policy([]), ["cloud"])).toEqual([]);
    expect(preflight({ deployment: gcp, stacks: ["platform"], env: {}, run: fakeRunner(base) }).filter((r) => r.name.startsWith("GKE service agent"))).toEqual([]);
  });
});

describe("GCP: the Gateway's proxy-only subnetwork of an existing network is one (purpose and role, which terraform's data source cannot read)", () => {
  const withGateway = gcpDeployment({
    domain: { name: "catalog.acme.example.com", access: "internal", certificate: { source: "gcp-certificate-manager", certificate: "catalog-acme-example-com" } },
    gcp: {
      projectId: "acme-catalog-prod",
      proxyOnlyCidr: "10.60.32.0/23",
      existingNetwork: { network: "catalog-vpc", subnetwork: "catalog", podsRangeName: "pods", servicesRangeName: "services", proxyOnlySubnetwork: "catalog-proxy-only" },
    },
  });
  const base = GCP_LOGGED_IN;
  const describeCommand = "gcloud compute networks subnets describe catalog-proxy-only --region=europe-west1 --project=acme-catalog-prod --format=json";
  const check = (subnet: { stdout?: string; code?: number }, stacks: Parameters<typeof preflight>[0]["stacks"] = ["cloud"]) =>
    preflight({ deployment: withGateway, stacks, env: {}, run: fakeRunner({ ...base, [describeCommand]: subnet }) }).filter((r) => r.name.startsWith("proxy-only subnetwork"));

  test("passes for a REGIONAL_MANAGED_PROXY subnetwork in role ACTIVE", () => {
    expect(check({ stdout: JSON.stringify({ purpose: "REGIONAL_MANAGED_PROXY", role: "ACTIVE", ipCidrRange: "10.60.32.0/23" }) })).toEqual([expect.objectContaining({ ok: true })]);
  });
  test("fails naming the field and the command for an ordinary or a BACKUP one, or one that cannot be read", () => {
    for (const subnet of [{ purpose: "PRIVATE" }, { purpose: "REGIONAL_MANAGED_PROXY", role: "BACKUP" }]) {
      const [r] = check({ stdout: JSON.stringify(subnet) });
      expect(r.ok).toBe(false);
      expect(r.name).toBe("proxy-only subnetwork catalog-proxy-only (gcp.existingNetwork.proxyOnlySubnetwork)");
      expect(r.detail).toContain("--purpose=REGIONAL_MANAGED_PROXY --role=ACTIVE --region=europe-west1");
    }
    expect(check({ code: 1 })[0]).toEqual(expect.objectContaining({ ok: false, detail: expect.stringMatching(/^could not read catalog-proxy-only in acme-catalog-prod, europe-west1/) }));
  });
  test("not run for the vault stacks, nor without the Gateway's subnetwork", () => {
    expect(check({ code: 1 }, ["vault", "vault-config"])).toEqual([]);
    expect(preflight({ deployment: gcp, stacks: ["cloud"], env: {}, run: fakeRunner(base) }).filter((r) => r.name.startsWith("proxy-only"))).toEqual([]);
  });
});
