import type { AwsDeployment, AzureDeployment, Cloud, Deployment } from "../config/schema";
import { roleBoundaryArn, roleBoundaryName } from "../constructs/aws/role-boundary";
import { deploymentRoleGuid, deploymentRoleSpecs, type DeploymentRoleKind } from "../constructs/azure/deployment-roles";
import { deploymentRoles } from "../stacks/bootstrap/aws-role-boundary";
import { deploymentStacks } from "../stacks/bootstrap/deployment-types";
import { type CommandRunner, NOT_FOUND } from "./command-runner";
import type { StackRole } from "./stack-order";
import { GKE_GATEWAY } from "../constructs/gcp/gke-facts";

/**
 * Checks run before any command that can change infrastructure: the tools and credentials a
 * deployment needs are present, so nothing fails half-way through an apply. Every check runs and
 * every problem is reported at once, each with the command that fixes it. Output never includes a
 * credential (identity calls are captured, and only the account/principal name is shown).
 */

/** The Terraform release line this project is tested with (major.minor). S3 lock files need >= 1.10. */
export const TERRAFORM_MINOR = "1.11";
/** The exact Terraform version CI installs (hashicorp/setup-terraform). */
export const TERRAFORM_VERSION = "1.11.4";

/** Result of one preflight check. */
export interface CheckResult {
  readonly ok: boolean;
  /** What was checked, e.g. "terraform 1.11.x". */
  readonly name: string;
  /** What was found (ok) or what is wrong and the command that fixes it (not ok). */
  readonly detail: string;
}

/** What a preflight needs: the deployment, the stacks about to run, the environment and a command runner. */
export interface PreflightInput {
  readonly deployment: Deployment;
  readonly stacks: readonly StackRole[];
  readonly env: NodeJS.ProcessEnv;
  readonly run: CommandRunner;
  /**
   * What the identity is about to do: `plan` (read: preflight, diff, CI plan jobs) or `apply` (deploy, destroy).
   * The cloud's access rules differ: an identity that may plan may not be the one that may apply.
   * @default "plan"
   */
  readonly intent?: "plan" | "apply";
}

/** Runs every check that applies to the chosen stacks; the deployment may proceed only if all are ok. */
export function preflight(input: PreflightInput): CheckResult[] {
  const { deployment, stacks, env, run } = input;
  const intent = input.intent ?? "plan";
  const results: CheckResult[] = [checkTerraform(run)];
  for (const cloud of cloudsNeeded(deployment, stacks)) results.push(...checkCloudLogin(cloud, deployment, run));
  results.push(...checkCloudAccess(deployment, stacks, intent, run));
  if (stacks.some((s) => s === "vault" || s === "platform")) results.push(checkExecPlugin(deployment.cloud, run));
  if (stacks.includes("vault-config")) results.push(...checkVaultEnv(env));
  return results;
}

/**
 * The cloud's own access rules, checked before anything runs: who may reach the cluster (AWS: an access
 * entry per principal, none implicit), that the identity about to apply is the one the config names (Azure:
 * the key-deployer roles are granted to it alone), and account settings this deployment relies on but does
 * not own (AWS: EBS encryption by default). Skipped when the login itself failed (reported above).
 */
function checkCloudAccess(deployment: Deployment, stacks: readonly StackRole[], intent: "plan" | "apply", run: CommandRunner): CheckResult[] {
  const touchesCloud = stacks.includes("cloud");
  const touchesCluster = stacks.some((s) => s === "vault" || s === "platform");
  switch (deployment.cloud) {
    case "aws": {
      const results: CheckResult[] = [];
      const caller = parseJson<{ Arn?: string }>(run("aws", ["sts", "get-caller-identity", "--output", "json"]).stdout)?.Arn;
      if (touchesCluster && caller) results.push(checkEksAccess(deployment, caller, intent));
      if (touchesCloud && caller) results.push(checkEbsEncryptionByDefault(deployment.region, run));
      // Bootstrapped (S3 state): every role of the cloud stack names its boundary, which only the bootstrap creates.
      if (touchesCloud && caller && deployment.state.backend === "s3") results.push(checkRoleBoundaries(deployment, caller, run));
      // The record is written by the cloud stack (Elastic IPs) or the platform stack (alias to the NLB).
      const zone = deployment.domain.dnsZone?.provider === "route53" ? deployment.domain.dnsZone : undefined;
      if (zone && caller && (touchesCloud || stacks.includes("platform"))) results.push(checkHostedZone(zone, deployment.domain.name, run));
      return results;
    }
    case "azure": {
      if (!touchesCloud && !touchesCluster) return [];
      const az = deployment.azure;
      if (!az) return [];
      const token = run("az", ["account", "get-access-token", "--query", "accessToken", "--output", "tsv"]);
      if (token.code !== 0) return [];
      // The token's oid claim is the signed-in identity's object id (user or service principal); the token is never printed.
      const oid = jwtClaim(token.stdout.trim(), "oid");
      const name = "Azure identity (azure.deployerObjectId / planObjectId)";
      if (!oid) return [{ ok: false, name, detail: "could not read the object id of the Azure CLI login (no oid claim); log in again: `az login`" }];
      const bootstrapRoles = touchesCloud ? [checkAzureBootstrapRoles(deployment, run)] : [];
      if (oid === az.deployerObjectId) return [{ ok: true, name, detail: `signed in as the deploying identity ${oid}` }, ...bootstrapRoles];
      if (intent === "plan" && oid === az.planObjectId) return [{ ok: true, name, detail: `signed in as the plan identity ${oid}` }, ...bootstrapRoles];
      const allowed = intent === "apply" ? `azure.deployerObjectId (${az.deployerObjectId})` : `azure.deployerObjectId or azure.planObjectId`;
      return [{
        ok: false,
        name,
        detail: `signed in as ${oid}, which is not ${allowed}: the key-deployer roles on the key vaults and the cluster roles are granted to the identities the config names. ` +
          `Log in as that identity, or put this one's object id in the config (and apply once as the current deployer).`,
      }, ...bootstrapRoles];
    }
    case "gcp": {
      // In a Shared VPC, GKE writes the entry point load balancer's firewall rules in the host project, as its
      // service agent (the platform stack creates the Service).
      const results: CheckResult[] = [];
      const existing = deployment.gcp.existingNetwork;
      const host = existing?.hostProjectId;
      if (stacks.includes("platform") && host && host !== deployment.gcp.projectId) results.push(checkGkeHostFirewallAccess(deployment.gcp.projectId, host, run));
      // Terraform's data source reads a subnetwork's range and network, not its purpose and role (google 6.x): checked here.
      if (existing?.proxyOnlySubnetwork && (touchesCloud || stacks.includes("platform"))) {
        results.push(checkProxyOnlySubnetwork(existing.proxyOnlySubnetwork, deployment.region, host ?? deployment.gcp.projectId, run));
      }
      return results;
    }
  }
}

/**
 * What GKE's service agent needs in a Shared VPC host project to manage a LoadBalancer Service's firewall rules
 * (roles/compute.securityAdmin holds them). Without them GKE only reports the gcloud commands in the Service's events.
 */
export const GKE_HOST_FIREWALL_PERMISSIONS = {
  value: ["compute.firewalls.create", "compute.firewalls.delete", "compute.firewalls.get", "compute.firewalls.list", "compute.firewalls.update", "compute.networks.updatePolicy"],
  source: "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-shared-vpc (Managing firewall resources: Compute Security Admin, or a custom role with these permissions, in the host project)",
} as const;

/**
 * Read-only: the host project's IAM policy and the permissions of the roles bound (unconditionally) to the service
 * project's GKE service agent. Grants inherited from a folder or the organization are not in the project's policy:
 * a policy that cannot be read, or grants found nowhere, are reported with the command that grants them.
 */
function checkGkeHostFirewallAccess(projectId: string, host: string, run: CommandRunner): CheckResult {
  const name = `GKE service agent's firewall permissions in the Shared VPC host project ${host}`;
  const number = run("gcloud", ["projects", "describe", projectId, "--format=value(projectNumber)"]).stdout.trim();
  if (!/^[0-9]+$/.test(number)) return { ok: false, name, detail: `could not read the project number of ${projectId} (\`gcloud projects describe ${projectId}\`); log in with an identity that may read the project` };
  const agent = `serviceAccount:service-${number}@container-engine-robot.iam.gserviceaccount.com`;
  const grant = `gcloud projects add-iam-policy-binding ${host} --member=${agent} --role=roles/compute.securityAdmin (or a custom role with ${GKE_HOST_FIREWALL_PERMISSIONS.value.join(", ")}; docs/deployment-guide.md, 4a)`;
  const policy = parseJson<{ bindings?: { role: string; members?: string[]; condition?: unknown }[] }>(run("gcloud", ["projects", "get-iam-policy", host, "--format=json"]).stdout);
  if (!policy) return { ok: false, name, detail: `could not read the IAM policy of ${host} (resourcemanager.projects.getIamPolicy there); have the host project's admin confirm or make the grant: ${grant}` };
  const roles = (policy.bindings ?? []).filter((b) => b.condition === undefined && (b.members ?? []).includes(agent)).map((b) => b.role);
  const held = new Set<string>();
  for (const role of roles) {
    const custom = /^(projects|organizations)\/([^/]+)\/roles\/(.+)$/.exec(role);
    const args = custom ? ["iam", "roles", "describe", custom[3], custom[1] === "projects" ? `--project=${custom[2]}` : `--organization=${custom[2]}`, "--format=json"] : ["iam", "roles", "describe", role, "--format=json"];
    for (const p of parseJson<{ includedPermissions?: string[] }>(run("gcloud", args).stdout)?.includedPermissions ?? []) held.add(p);
  }
  const missing = GKE_HOST_FIREWALL_PERMISSIONS.value.filter((p) => !held.has(p));
  return missing.length === 0
    ? { ok: true, name, detail: `${agent} may manage firewall rules in ${host} (${roles.join(", ")})` }
    : { ok: false, name, detail: `${agent} lacks ${missing.join(", ")} in ${host}: GKE cannot create the entry point load balancer's firewall rules there. Grant it: ${grant}` };
}

/** The Gateway's proxy-only subnetwork is one: purpose REGIONAL_MANAGED_PROXY, role ACTIVE (GKE_GATEWAY.proxyOnlySubnet). */
function checkProxyOnlySubnetwork(name: string, region: string, project: string, run: CommandRunner): CheckResult {
  const check = `proxy-only subnetwork ${name} (gcp.existingNetwork.proxyOnlySubnetwork)`;
  const r = run("gcloud", ["compute", "networks", "subnets", "describe", name, `--region=${region}`, `--project=${project}`, "--format=json"]);
  const subnet = r.code === 0 ? parseJson<{ purpose?: string; role?: string }>(r.stdout) : undefined;
  if (!subnet) return { ok: false, name: check, detail: `could not read ${name} in ${project}, ${region} (\`gcloud compute networks subnets describe\`: ${firstLine(r.stderr) || `exit ${r.code}`}); name the network's proxy-only subnetwork of the deployment's region` };
  const want = GKE_GATEWAY.proxyOnlySubnet.value;
  if (subnet.purpose !== want.purpose || subnet.role !== want.role) {
    return {
      ok: false,
      name: check,
      detail: `${name} has purpose ${subnet.purpose ?? "none"} and role ${subnet.role ?? "none"}; the Gateway's proxies need a subnetwork with purpose ${want.purpose} and role ${want.role} ` +
        `(gcloud compute networks subnets create <name> --purpose=${want.purpose} --role=${want.role} --region=${region} --network=<network> --range=<gcp.proxyOnlyCidr>)`,
    };
  }
  return { ok: true, name: check, detail: `${name}: purpose ${want.purpose}, role ${want.role}` };
}

/** The role (or user) an AWS caller ARN stands for: an assumed-role session is its role, paths aside. */
export function awsPrincipalOf(callerArn: string): { account: string; kind: "role" | "user"; name: string } | undefined {
  const session = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  if (session) return { account: session[1], kind: "role", name: session[2] };
  const iam = /^arn:aws[a-z-]*:iam::(\d{12}):(role|user)\/(?:.*\/)?([^/]+)$/.exec(callerArn);
  return iam ? { account: iam[1], kind: iam[2] as "role" | "user", name: iam[3] } : undefined;
}

function checkEksAccess(deployment: Deployment, callerArn: string, intent: "plan" | "apply"): CheckResult {
  const name = "EKS access entry for this identity";
  const me = awsPrincipalOf(callerArn);
  const same = (arn: string) => {
    const p = awsPrincipalOf(arn);
    return !!me && !!p && p.account === me.account && p.kind === me.kind && p.name === me.name;
  };
  const admins = deployment.aws?.adminPrincipalArns ?? [];
  const viewers = deployment.aws?.viewerPrincipalArns ?? [];
  if (admins.some(same)) return { ok: true, name, detail: `${callerArn} is in aws.adminPrincipalArns (cluster-admin)` };
  if (intent === "plan" && viewers.some(same)) return { ok: true, name, detail: `${callerArn} is in aws.viewerPrincipalArns (read-only)` };
  const list = intent === "apply" ? "aws.adminPrincipalArns" : "aws.adminPrincipalArns or aws.viewerPrincipalArns";
  return {
    ok: false,
    name,
    detail: `${callerArn} has no access entry: EKS gives no identity access implicitly. Add its role ARN (arn:aws:iam::<account>:role/<name>) to ${list} and apply the cloud stack, or log in as a listed role`,
  };
}

/**
 * The permissions boundaries of the deployment's roles (constructs/aws/role-boundary.ts): the bootstrap creates one
 * per role from the role's own policies, and the cloud stack's roles name theirs, so an apply before the bootstrap,
 * or after a role was added without re-applying it, would stop at the first role. `aws iam get-policy` per boundary
 * (iam:GetPolicy, which the bootstrap grants the plan and apply roles on exactly these ARNs).
 */
function checkRoleBoundaries(deployment: AwsDeployment, callerArn: string, run: CommandRunner): CheckResult {
  const name = "IAM role boundaries (the bootstrap's)";
  const [, partition, , , callerAccount] = callerArn.split(":");
  const account = deployment.aws.accountId ?? callerAccount;
  const missing: string[] = [];
  const roles = deploymentRoles(deploymentStacks(deployment)).roles;
  for (const role of roles) {
    const arn = roleBoundaryArn(partition, account, role.name);
    const r = run("aws", ["iam", "get-policy", "--policy-arn", arn, "--output", "json"]);
    if (r.code === 0) continue;
    if (!/NoSuchEntity/.test(r.stderr)) {
      return { ok: false, name, detail: `\`aws iam get-policy --policy-arn ${arn}\` failed (${firstLine(r.stderr) || `exit ${r.code}`}); the identity needs iam:GetPolicy on the roles' boundaries (the bootstrap grants it to the plan and apply roles)` };
    }
    missing.push(roleBoundaryName(role.name));
  }
  if (missing.length) {
    return {
      ok: false,
      name,
      detail: `missing ${missing.join(", ")}: each role of the cloud stack carries its own boundary, which the bootstrap creates. ` +
        `Re-apply the bootstrap ${deployment.name}-state first, as an administrator (docs/deployment-guide.md, "Remote state": npm run bootstrap:synth, then npx cdktf deploy ${deployment.name}-state)`,
    };
  }
  return { ok: true, name, detail: `all ${roles.length} exist (${roles.map((r) => roleBoundaryName(r.name)).join(", ")})` };
}

/**
 * The custom roles the Azure cloud stack assigns by id (constructs/azure/deployment-roles.ts): the bootstrap
 * `<name>-deploy-roles` defines them, so a cloud apply before it would stop at the first assignment. `az role
 * definition list --name <guid> --scope <subscription>` per role (roleDefinitions/read, which both deploy roles hold):
 * `--name` matches a role definition's name (its GUID) or its roleName, and prints the matches as a JSON array of role
 * definitions whose `name` is the GUID (https://learn.microsoft.com/cli/azure/role/definition#az-role-definition-list).
 */
function checkAzureBootstrapRoles(deployment: AzureDeployment, run: CommandRunner): CheckResult {
  const name = "Azure custom roles (the bootstrap's)";
  const az = deployment.azure;
  const scope = `/subscriptions/${az.subscriptionId}`;
  const kinds: DeploymentRoleKind[] = az.planObjectId ? ["keyDeployer", "clusterReader"] : ["keyDeployer"];
  const specs = deploymentRoleSpecs(deployment.name, deployment.dataProtection.allowDestroy);
  const missing: string[] = [];
  for (const kind of kinds) {
    const guid = deploymentRoleGuid(az.subscriptionId, deployment.name, kind);
    const r = run("az", ["role", "definition", "list", "--name", guid, "--scope", scope, "--output", "json"]);
    if (r.code !== 0) {
      return { ok: false, name, detail: `\`az role definition list --name ${guid}\` failed (${firstLine(r.stderr) || `exit ${r.code}`}); the identity needs Microsoft.Authorization/roleDefinitions/read (both bootstrap roles hold it)` };
    }
    const found = parseJson<{ name?: string }[]>(r.stdout) ?? [];
    if (!found.some((x) => x.name?.toLowerCase() === guid)) missing.push(`${specs[kind].name} (${guid})`);
  }
  if (missing.length) {
    return {
      ok: false,
      name,
      detail: `missing ${missing.join(", ")}: the cloud stack assigns these roles by id and the bootstrap defines them. ` +
        `Apply the bootstrap ${deployment.name}-deploy-roles first, as an administrator (docs/deployment-guide.md, "Least-privilege deploy identities": npm run bootstrap:synth, then npx cdktf deploy ${deployment.name}-deploy-roles)`,
    };
  }
  return { ok: true, name, detail: `${kinds.map((k) => specs[k].name).join(", ")} exist` };
}

function checkEbsEncryptionByDefault(region: string, run: CommandRunner): CheckResult {
  const name = `EBS encryption by default (${region})`;
  const r = run("aws", ["ec2", "get-ebs-encryption-by-default", "--region", region, "--output", "json"]);
  const on = parseJson<{ EbsEncryptionByDefault?: boolean }>(r.stdout)?.EbsEncryptionByDefault;
  if (r.code === 0 && on === true) return { ok: true, name, detail: "on for the account and region (the account's baseline)" };
  if (r.code !== 0) return { ok: false, name, detail: `\`aws ec2 get-ebs-encryption-by-default\` failed (${firstLine(r.stderr) || `exit ${r.code}`}); the identity needs ec2:GetEbsEncryptionByDefault` };
  return {
    ok: false,
    name,
    detail: `off: new EBS volumes in this account and region are not encrypted unless asked. It is an account setting this deployment does not own; turn it on: \`aws ec2 enable-ebs-encryption-by-default --region ${region}\``,
  };
}

/**
 * The Route 53 zone of domain.dnsZone, read only: it exists and the caller may read it (route53:GetHostedZone and
 * route53:ListResourceRecordSets, both derived for aws_route53_record), it is the zone named zoneName, and no NS
 * record in it delegates domain.name or a parent of it below the apex (a record there would never be answered).
 * A private zone answers only in its associated VPCs, which are listed. Output shapes: `aws route53
 * get-hosted-zone` (HostedZone.Name fully qualified with the final dot, HostedZone.Config.PrivateZone, VPCs) and
 * `list-resource-record-sets` (ResourceRecordSets[].Name/Type; the CLI pages through all of them):
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHostedZone.html, API_ListResourceRecordSets.html.
 */
function checkHostedZone(zone: { hostedZoneId: string; zoneName: string }, recordName: string, run: CommandRunner): CheckResult {
  const name = `Route 53 zone ${zone.hostedZoneId} (domain.dnsZone)`;
  const bare = (n: string) => n.toLowerCase().replace(/\.$/, "");
  const got = run("aws", ["route53", "get-hosted-zone", "--id", zone.hostedZoneId, "--output", "json"]);
  const hz = parseJson<{ HostedZone?: { Name?: string; Config?: { PrivateZone?: boolean } }; VPCs?: { VPCRegion?: string; VPCId?: string }[] }>(got.stdout);
  if (got.code !== 0 || !hz?.HostedZone?.Name) {
    return { ok: false, name, detail: `\`aws route53 get-hosted-zone --id ${zone.hostedZoneId}\` failed (${firstLine(got.stderr) || `exit ${got.code}`}); the zone must exist in this account and the identity needs route53:GetHostedZone; check domain.dnsZone.hostedZoneId` };
  }
  const zoneName = bare(hz.HostedZone.Name);
  if (zoneName !== bare(zone.zoneName)) {
    return { ok: false, name, detail: `zone ${zone.hostedZoneId} is ${zoneName}, not domain.dnsZone.zoneName (${bare(zone.zoneName)}); give the id of the zone that holds ${recordName}` };
  }
  const sets = run("aws", ["route53", "list-resource-record-sets", "--hosted-zone-id", zone.hostedZoneId, "--output", "json"]);
  const records = parseJson<{ ResourceRecordSets?: { Name?: string; Type?: string }[] }>(sets.stdout)?.ResourceRecordSets;
  if (sets.code !== 0 || !records) {
    return { ok: false, name, detail: `\`aws route53 list-resource-record-sets --hosted-zone-id ${zone.hostedZoneId}\` failed (${firstLine(sets.stderr) || `exit ${sets.code}`}); the identity needs route53:ListResourceRecordSets` };
  }
  const target = bare(recordName);
  const delegation = records.find((r) => r.Type === "NS" && r.Name && bare(r.Name) !== zoneName && (target === bare(r.Name) || target.endsWith(`.${bare(r.Name)}`)));
  if (delegation?.Name) {
    return { ok: false, name, detail: `zone ${zoneName} delegates ${bare(delegation.Name)} to other name servers (NS record): a record here would never be answered; name the delegated zone in domain.dnsZone` };
  }
  if (hz.HostedZone.Config?.PrivateZone) {
    const vpcs = (hz.VPCs ?? []).map((v) => `${v.VPCId} (${v.VPCRegion})`).join(", ") || "none";
    return { ok: true, name, detail: `private zone ${zoneName} holds ${target}; it answers only in its associated VPCs: ${vpcs} (associate the VPCs users resolve from)` };
  }
  return { ok: true, name, detail: `public zone ${zoneName} holds ${target}` };
}

/** One claim of a JWT's payload (no verification: the CLI's own token, read for the caller's id only). */
function jwtClaim(token: string, claim: string): string | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const value = (JSON.parse(Buffer.from(payload.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8")) as Record<string, unknown>)[claim];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Formats results for a terminal: one line per check, problems last with their fix. */
export function formatResults(results: readonly CheckResult[]): string {
  const ok = results.filter((r) => r.ok).map((r) => `  ok    ${r.name}: ${r.detail}`);
  const bad = results.filter((r) => !r.ok).map((r) => `  FAIL  ${r.name}: ${r.detail}`);
  const summary = bad.length
    ? `preflight: ${bad.length} problem${bad.length === 1 ? "" : "s"}; nothing was changed. Fix ${bad.length === 1 ? "it" : "them"} and run again.`
    : "preflight: all checks passed.";
  return [...ok, ...bad, summary].join("\n");
}

/**
 * Why `destroy` is refused for this deployment, or undefined when it is allowed. A deployment's
 * buckets, keys, volumes and cluster carry prevent_destroy / deletion protection unless
 * `dataProtection.allowDestroy` is true; a destroy of a protected deployment would fail half-way
 * (after removing the stateless parts), so it is refused before anything runs.
 */
export function destroyRefusal(deployment: Pick<Deployment, "name" | "dataProtection">): string | undefined {
  if (deployment.dataProtection.allowDestroy) return undefined;
  return [
    `refusing to destroy '${deployment.name}': its config does not allow it (dataProtection.allowDestroy is false, the default).`,
    "Its buckets, encryption keys, volumes and cluster carry prevent_destroy / deletion protection, so production data",
    "cannot be deleted by a command. For a throwaway test deployment, set in its config:",
    "  dataProtection:",
    "    allowDestroy: true",
    "then run `npm run deploy` once (it lifts the protection), and `npm run destroy` again.",
  ].join("\n");
}

/** The clouds whose credentials the chosen stacks need: the deployment's cloud and the state backend's. */
export function cloudsNeeded(deployment: Deployment, stacks: readonly StackRole[]): Cloud[] {
  const clouds = new Set<Cloud>();
  // Every stack but vault-config talks to the cloud or the cluster (cluster auth is the cloud login);
  // vault-config still reads the cloud stack's outputs through the state backend.
  if (stacks.some((s) => s !== "vault-config")) clouds.add(deployment.cloud);
  const backendCloud = BACKEND_CLOUD[deployment.state.backend];
  if (backendCloud && stacks.length > 0) clouds.add(backendCloud);
  return [...clouds];
}

const BACKEND_CLOUD: Record<Deployment["state"]["backend"], Cloud | undefined> = { local: undefined, s3: "aws", azurerm: "azure", gcs: "gcp" };

function checkTerraform(run: CommandRunner): CheckResult {
  const name = `terraform ${TERRAFORM_MINOR}.x`;
  const install = `install terraform ${TERRAFORM_VERSION} (https://developer.hashicorp.com/terraform/install, or \`tfenv install ${TERRAFORM_VERSION}\`)`;
  const r = run("terraform", ["version", "-json"]);
  if (r.code === NOT_FOUND) return { ok: false, name, detail: `terraform is not on the PATH; ${install}` };
  let version: string | undefined;
  try {
    version = (JSON.parse(r.stdout) as { terraform_version?: string }).terraform_version;
  } catch {
    version = /Terraform v(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1];
  }
  if (r.code !== 0 || !version) return { ok: false, name, detail: `\`terraform version\` failed (${firstLine(r.stderr) || `exit ${r.code}`}); ${install}` };
  if (!version.startsWith(`${TERRAFORM_MINOR}.`)) {
    return { ok: false, name, detail: `found terraform ${version}, this project needs ${TERRAFORM_MINOR}.x; ${install}` };
  }
  return { ok: true, name, detail: `terraform ${version}` };
}

function checkCloudLogin(cloud: Cloud, deployment: Deployment, run: CommandRunner): CheckResult[] {
  switch (cloud) {
    case "aws": {
      const name = "AWS credentials";
      const r = run("aws", ["sts", "get-caller-identity", "--output", "json"]);
      if (r.code === NOT_FOUND) return [{ ok: false, name, detail: "the AWS CLI (aws) is not on the PATH; install AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html). EKS authentication runs `aws eks get-token` too." }];
      if (r.code !== 0) {
        return [{ ok: false, name, detail: `\`aws sts get-caller-identity\` failed (${firstLine(r.stderr) || `exit ${r.code}`}); log in, e.g. \`aws sso login --profile <profile>\` and \`export AWS_PROFILE=<profile>\`` }];
      }
      const identity = parseJson<{ Arn?: string; Account?: string }>(r.stdout) ?? {};
      const arn = identity.Arn ?? "unknown principal";
      // The provider's allowed_account_ids would refuse a wrong account too, but only after init and a
      // plan: preflight says so first, before anything runs, and names the fix.
      const want = deployment.aws?.accountId;
      if (want && identity.Account !== want) {
        return [{ ok: false, name, detail: `logged in to account ${identity.Account ?? "unknown"} (${arn}), the deployment's is ${want} (aws.accountId); log in to ${want}, e.g. \`aws sso login --profile <profile of ${want}>\` and \`export AWS_PROFILE=<that profile>\`` }];
      }
      return [{ ok: true, name, detail: want ? `${arn} (account ${want}, as configured)` : arn }];
    }
    case "azure": {
      const name = "Azure login";
      const r = run("az", ["account", "show", "--output", "json"]);
      if (r.code === NOT_FOUND) return [{ ok: false, name, detail: "the Azure CLI (az) is not on the PATH; install it (https://learn.microsoft.com/cli/azure/install-azure-cli)" }];
      const want = deployment.azure;
      const login = `\`az login${want ? ` --tenant ${want.tenantId}` : ""}\`${want ? ` then \`az account set --subscription ${want.subscriptionId}\`` : ""}`;
      if (r.code !== 0) return [{ ok: false, name, detail: `\`az account show\` failed (${firstLine(r.stderr) || `exit ${r.code}`}); log in: ${login}` }];
      const account = parseJson<{ id?: string; tenantId?: string; user?: { name?: string } }>(r.stdout) ?? {};
      // The azurerm provider uses the CLI's current subscription unless told otherwise: a wrong one is a wrong target.
      if (want && account.id !== want.subscriptionId) {
        return [{ ok: false, name, detail: `the CLI's current subscription is ${account.id ?? "unknown"}, the deployment's is ${want.subscriptionId}; run \`az account set --subscription ${want.subscriptionId}\`` }];
      }
      if (want && account.tenantId !== want.tenantId) {
        return [{ ok: false, name, detail: `logged in to tenant ${account.tenantId ?? "unknown"}, the deployment's is ${want.tenantId}; run ${login}` }];
      }
      return [{ ok: true, name, detail: `${account.user?.name ?? "signed in"} on subscription ${account.id ?? "unknown"}` }];
    }
    case "gcp": {
      const results: CheckResult[] = [];
      // Captured and discarded: these print access tokens.
      const cli = run("gcloud", ["auth", "print-access-token", "--quiet"]);
      if (cli.code === NOT_FOUND) return [{ ok: false, name: "gcloud login", detail: "the Google Cloud CLI (gcloud) is not on the PATH; install it (https://cloud.google.com/sdk/docs/install) with the gke-gcloud-auth-plugin component" }];
      results.push(cli.code === 0
        ? { ok: true, name: "gcloud login", detail: "gcloud has credentials" }
        : { ok: false, name: "gcloud login", detail: `\`gcloud auth print-access-token\` failed (${firstLine(cli.stderr) || `exit ${cli.code}`}); run \`gcloud auth login\`` });
      // Terraform's google provider uses Application Default Credentials, not gcloud's own login.
      const adc = run("gcloud", ["auth", "application-default", "print-access-token", "--quiet"]);
      results.push(adc.code === 0
        ? { ok: true, name: "Application Default Credentials", detail: "present (used by terraform's google provider)" }
        : { ok: false, name: "Application Default Credentials", detail: `none found (${firstLine(adc.stderr) || `exit ${adc.code}`}); run \`gcloud auth application-default login\`` });
      return results;
    }
  }
}

/** The credential plugin the Kubernetes provider runs (exec auth: short-lived tokens, none in state). */
const EXEC_PLUGIN: Record<Cloud, { command: string; args: string[]; install: string }> = {
  aws: { command: "aws", args: ["--version"], install: "install AWS CLI v2 (it provides `aws eks get-token`)" },
  azure: { command: "kubelogin", args: ["--version"], install: "install kubelogin: `az aks install-cli` (https://azure.github.io/kubelogin/)" },
  gcp: { command: "gke-gcloud-auth-plugin", args: ["--version"], install: "install it: `gcloud components install gke-gcloud-auth-plugin`" },
};

function checkExecPlugin(cloud: Cloud, run: CommandRunner): CheckResult {
  const plugin = EXEC_PLUGIN[cloud];
  const name = `Kubernetes credential plugin (${plugin.command})`;
  const r = run(plugin.command, plugin.args);
  if (r.code === NOT_FOUND) return { ok: false, name, detail: `${plugin.command} is not on the PATH; ${plugin.install}` };
  return r.code === 0
    ? { ok: true, name, detail: firstLine(r.stdout) || "present" }
    : { ok: false, name, detail: `\`${plugin.command} ${plugin.args.join(" ")}\` failed (${firstLine(r.stderr) || `exit ${r.code}`}); ${plugin.install}` };
}

function checkVaultEnv(env: NodeJS.ProcessEnv): CheckResult[] {
  const results: CheckResult[] = [];
  const addr = env.VAULT_ADDR?.trim();
  if (!addr) {
    results.push({ ok: false, name: "VAULT_ADDR", detail: "not set; the vault-config stack configures a running Vault: `export VAULT_ADDR=https://<vault address>:8200` (docs/vault.md)" });
  } else if (!addr.startsWith("https://")) {
    results.push({ ok: false, name: "VAULT_ADDR", detail: `${addr} is not https://; Vault only listens on TLS. Use https://...` });
  } else {
    results.push({ ok: true, name: "VAULT_ADDR", detail: addr });
  }
  // Presence only: the token itself is never printed.
  results.push(env.VAULT_TOKEN?.trim()
    ? { ok: true, name: "VAULT_TOKEN", detail: "set" }
    : { ok: false, name: "VAULT_TOKEN", detail: "not set; log in first, e.g. `export VAULT_TOKEN=$(vault login -method=oidc -token-only)` or the bootstrap token (docs/vault.md)" });
  return results;
}

function firstLine(text: string): string {
  return text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
