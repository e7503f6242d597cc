import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { parse as parseYaml } from "yaml";
import { overlaps, parseIpv4Cidr } from "../../lib/cidr";
import { loadDeployment, readConfigFile, validateDeployment } from "../../config/load";
import type { Deployment } from "../../config/schema";
import { AZURE_CI_FACTS, KEY_VAULT_FACTS } from "../../constructs/azure/azure-facts";
import { deploymentRoleDefinitionId } from "../../constructs/azure/deployment-roles";
import { main as ciMain } from "../../scripts/ci";
import { main as deployMain } from "../../scripts/deploy";
import { buildDeployment } from "../../stacks/deployment";
import { stackIdOf } from "../../scripts/stack-order";
import { AWS_READY, azureBootstrapped, azureToken, fakeRunner, type Call } from "./fake-runner";

// The first apply and a CI rollout of each shipped example, in each endpoint mode, walked step by step
// through the project's real entry points (scripts/deploy.ts, scripts/ci.ts) with every external command
// recorded at the process boundary (a fake runner stands in for terraform, cdktf and the cloud CLIs).
// Each step names who runs it and from where; what it needs is checked against the synthesized stacks:
// can that place reach the cluster's API and the key vaults (endpoint, firewall, peering, DNS), and does
// that identity hold the access it needs (access entries, role assignments). docs/deployment-guide.md
// describes the same walk; its identity tables are checked against it at the end.

type Block = Record<string, unknown>;
type StackJson = { resource: Record<string, Record<string, Block>> };
type Stacks = Record<string, StackJson>;

/** Where a command runs: an address, the networks it is inside of (VPN/peering/VNet), its egress to the internet. */
interface Place {
  readonly name: string;
  readonly ip: string;
  /** Its public egress address (for a public API endpoint's allow-list). */
  readonly egressIp: string;
  /** "cluster-network" (on the VPC/VNet through VPN or peering), or an Azure VNet resource id it lives in. */
  readonly inside: readonly string[];
}
/** Who runs it, as each cloud names it. */
interface Identity {
  readonly name: string;
  readonly awsArn?: string;
  readonly azureObjectId?: string;
  readonly gcpMember?: string;
}
/** What a step needs from the cloud. */
type Need = "cloud-apis" | "key-vault-data-plane" | "kubernetes-api";
interface Step {
  readonly title: string;
  readonly where: Place;
  readonly who: Identity;
  readonly intent: "plan" | "apply";
  readonly needs: readonly Need[];
  /** Runs the step through the real entry point; returns its exit code. */
  readonly run: (ctx: Ctx) => number;
}
interface Ctx {
  readonly probes: Record<string, { stdout?: string; code?: number }>;
  readonly transcript: string[];
}

// --- the synthesized stacks -------------------------------------------------------------------------------

function synthesize(d: Deployment): Stacks {
  const outdir = mkdtempSync(path.join(os.tmpdir(), "walk-"));
  try {
    const app = new App({ outdir });
    buildDeployment(app, d);
    app.synth();
    return Object.fromEntries(
      (["cloud", "vault", "vault-config", "platform"] as const).map((r) => {
        const id = stackIdOf(d, r);
        return [r, JSON.parse(readFileSync(path.join(outdir, "stacks", id, "cdk.tf.json"), "utf8")) as StackJson];
      }),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const within = (ip: string, cidrs: readonly unknown[]) =>
  cidrs.some((c) => typeof c === "string" && parseIpv4Cidr(c) !== undefined && overlaps(parseIpv4Cidr(`${ip}/32`)!, parseIpv4Cidr(c)!));
const only = (j: StackJson, type: string) => Object.values(j.resource[type] ?? {});

/** Whether `place` reaches what `need` is, per the synthesized cloud stack. */
function reaches(d: Deployment, cloud: StackJson, place: Place, need: Need): boolean {
  switch (need) {
    case "cloud-apis":
      return true; // the clouds' management APIs are public endpoints
    case "key-vault-data-plane": {
      if (d.cloud !== "azure") return true;
      return only(cloud, "azurerm_key_vault").every((kv) => {
        if (kv.public_network_access_enabled) return within(place.egressIp, (kv.network_acls as Block).ip_rules as string[]);
        // Private: only from a VNet peered with the platform's and linked to the privatelink.vaultcore zone.
        const peered = only(cloud, "azurerm_virtual_network_peering").some((p) => place.inside.includes(String(p.remote_virtual_network_id)));
        const vaultZones = Object.entries(cloud.resource.azurerm_private_dns_zone ?? {}).filter(([, z]) => z.name === KEY_VAULT_FACTS.privateDnsZone.value).map(([id]) => `azurerm_private_dns_zone.${id}.name`);
        const linked = only(cloud, "azurerm_private_dns_zone_virtual_network_link").some(
          (l) => place.inside.includes(String(l.virtual_network_id)) && vaultZones.some((z) => String(l.private_dns_zone_name).includes(z)),
        );
        return peered && linked;
      });
    }
    case "kubernetes-api": {
      if (d.cloud === "aws") {
        const vpc = only(cloud, "aws_eks_cluster")[0].vpc_config as Block;
        if (vpc.endpoint_public_access && within(place.egressIp, vpc.public_access_cidrs as string[])) return true;
        const sgSources = only(cloud, "aws_vpc_security_group_ingress_rule").filter((r) => String(r.security_group_id).includes("Cluster_Endpoint")).map((r) => r.cidr_ipv4);
        return place.inside.includes("cluster-network") && within(place.ip, sgSources);
      }
      if (d.cloud === "azure") {
        const aks = only(cloud, "azurerm_kubernetes_cluster")[0];
        const profile = aks.api_server_access_profile as Block;
        if (!aks.private_cluster_enabled) return within(place.egressIp, (profile.authorized_ip_ranges as string[]) ?? []);
        // The API name lives in the zone the cluster names (private_dns_zone_id): that zone must be linked where the place is.
        const zone = /^\$\{azurerm_private_dns_zone\.(\w+)\.id\}$/.exec(String(aks.private_dns_zone_id))?.[1];
        const dnsLinked = zone !== undefined && only(cloud, "azurerm_private_dns_zone_virtual_network_link").some((l) => place.inside.includes(String(l.virtual_network_id)) && l.private_dns_zone_name === `\${azurerm_private_dns_zone.${zone}.name}`);
        const nsg = only(cloud, "azurerm_network_security_rule").find((r) => r.name === "AllowAdminsInbound")!;
        const peered = only(cloud, "azurerm_virtual_network_peering").some((p) => place.inside.includes(String(p.remote_virtual_network_id)));
        return peered && dnsLinked && within(place.ip, nsg.source_address_prefixes as string[]);
      }
      const gke = only(cloud, "google_container_cluster")[0];
      const authorized = ((gke.master_authorized_networks_config as Block).cidr_blocks as Block[]).map((b) => b.cidr_block);
      const privateOnly = (gke.private_cluster_config as Block).enable_private_endpoint;
      return privateOnly ? place.inside.includes("cluster-network") && within(place.ip, authorized) : within(place.egressIp, authorized);
    }
  }
}

/** Whether `who` holds what the step needs, per the synthesized cloud stack (GCP's CI identities are granted by hand). */
function permitted(d: Deployment, cloud: StackJson, who: Identity, step: Step): boolean {
  const stacks = stacksOf(step);
  if (d.cloud === "aws") {
    if (!stacks.some((s) => s === "vault" || s === "platform" || s === "bootstrap")) return true;
    const entries = Object.entries(cloud.resource.aws_eks_access_entry ?? {});
    const mine = entries.find(([, e]) => e.principal_arn === who.awsArn);
    if (!mine) return false;
    const policy = only(cloud, "aws_eks_access_policy_association").find((a) => String(a.principal_arn).includes(mine[0]))!;
    return step.intent === "plan" || String(policy.policy_arn).endsWith("/AmazonEKSClusterAdminPolicy");
  }
  if (d.cloud === "azure") {
    const grants = only(cloud, "azurerm_role_assignment").filter((g) => g.principal_id === who.azureObjectId);
    const roles = grants.map((g) => String(g.role_definition_name ?? g.role_definition_id));
    if (stacks.includes("cloud")) {
      const ok = step.intent === "apply"
        ? roles.filter((r) => r === deploymentRoleDefinitionId(d.azure!.subscriptionId, d.name, "keyDeployer")).length === 2
        : roles.filter((r) => r === "Key Vault Reader").length === 2 && roles.includes("Azure Kubernetes Service Cluster User Role");
      if (!ok) return false;
    }
    if (stacks.some((s) => s === "vault" || s === "platform" || s === "bootstrap")) {
      const admin = roles.includes("Azure Kubernetes Service RBAC Cluster Admin") || (who.name.includes("admin group") && d.azure!.adminGroupObjectIds.length > 0);
      return step.intent === "plan" ? admin || roles.includes(deploymentRoleDefinitionId(d.azure!.subscriptionId, d.name, "clusterReader")) : admin;
    }
    return true;
  }
  return who.gcpMember !== undefined;
}

// --- running the steps through the real entry points ----------------------------------------------------

function stacksOf(step: Step): string[] {
  return step.title.match(/\[([a-z,-]+)\]/)?.[1].split(",") ?? [];
}

/** `npm run <action> -- --config <file> ...` (scripts/deploy.ts), commands recorded. */
function npmRun(config: string, action: string, stacks: string, env: NodeJS.ProcessEnv = {}) {
  return (ctx: Ctx): number => {
    // Every stack has changes to apply (plan exit 2); its saved plan, as the replacement guard reads it, creates.
    const check = fakeRunner({ ...ctx.probes, "terraform show -json": { stdout: CREATE_PLAN }, "terraform output -json": { stdout: "{}" } });
    const exec = fakeRunner({ npx: {}, "terraform init": {}, "terraform plan": { code: 2 }, "terraform apply": {} });
    const code = deployMain([action, "--config", config, "--stack", stacks, ...(action === "deploy" ? ["--auto-approve"] : [])], env, check, exec, { log: () => {}, error: (l) => ctx.transcript.push(`! ${l}`) });
    for (const c of [...check.calls, ...exec.calls]) ctx.transcript.push(line(c));
    return code;
  };
}

/** A saved plan in `terraform show -json` form that only creates (the replacement guard lets it through). */
const CREATE_PLAN = JSON.stringify({ format_version: "1.2", resource_changes: [{ address: "terraform_data.walk", type: "terraform_data", change: { actions: ["create"] } }] });

/** `npx tsx scripts/ci.ts <plan|apply> --config <file> --stack <role>` for each role, terraform recorded. */
function ciRun(config: string, command: "plan" | "apply", roles: readonly string[], dirs: { out: string; plans: string }) {
  return (ctx: Ctx): number => {
    const tf = fakeRunner({ "terraform init": {}, "terraform plan": { code: 2 }, "terraform apply": {}, "terraform show": { stdout: "Plan: 1 to add, 0 to change, 0 to destroy.\n" }, "terraform show -json": { stdout: CREATE_PLAN } });
    const runner = ((c: string, args: readonly string[], o?: { env?: NodeJS.ProcessEnv; cwd?: string }) => {
      const r = tf(c, args, o);
      const out = args.find((a) => a.startsWith("-out="));
      if (out) {
        mkdirSync(path.dirname(out.slice(5)), { recursive: true });
        writeFileSync(out.slice(5), "plan");
      }
      ctx.transcript.push(`${line({ command: c, args })}  (in ${path.basename(o?.cwd ?? "")})`);
      return r;
    }) as typeof tf;
    let code = 0;
    for (const role of roles) {
      code ||= ciMain([command, "--config", config, "--stack", role, "--out", dirs.out, "--plans", dirs.plans, ...(command === "plan" ? ["--no-lock"] : [])], {}, { stream: runner, capture: runner }, () => {});
    }
    return code;
  };
}

function line(c: Pick<Call, "command" | "args">): string {
  // Never a token in a transcript: the probes that print one are shown by name only.
  return `$ ${[c.command, ...c.args].join(" ")}`;
}

/** Walks the steps in order; every step must be reachable and permitted, and its entry point must succeed. */
function walk(d: Deployment, stacks: Stacks, steps: readonly Step[], probes: (who: Identity) => Ctx["probes"]): string[] {
  const transcript: string[] = [];
  for (const step of steps) {
    transcript.push(`# ${step.title} — ${step.who.name}, from ${step.where.name}`);
    for (const need of step.needs) {
      if (!reaches(d, stacks.cloud, step.where, need)) throw new Error(`${step.title}: ${step.where.name} cannot reach the ${need}`);
    }
    if (!permitted(d, stacks.cloud, step.who, step)) throw new Error(`${step.title}: ${step.who.name} lacks the access it needs`);
    const code = step.run({ probes: probes(step.who), transcript });
    if (code !== 0) throw new Error(`${step.title}: exit ${code}\n${transcript.join("\n")}`);
  }
  return transcript;
}

// --- per cloud ------------------------------------------------------------------------------------------

const VAULT_ENV = { VAULT_ADDR: "https://127.0.0.1:8200", VAULT_TOKEN: "hvs.walk-not-a-token" };
const ciDirs = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "walk-ci-"));
  return { out: path.join(dir, "cdktf.out"), plans: path.join(dir, "plans") };
};

/** The example with its control plane private; a runner network inside the admin ranges where Azure needs one. */
function privateVariant(file: string): Deployment {
  const raw = readConfigFile(file) as Record<string, Record<string, unknown>>;
  raw.controlPlane.publicEndpoint = false;
  if (raw.azure) (raw.azure.runnerNetwork as Record<string, unknown>).addressPrefixes = ["203.0.113.0/26"];
  return validateDeployment(raw, `${file} (private)`);
}

const WORKSTATION = (inside: string[] = []): Place => ({ name: "an administrator's workstation in controlPlane.adminCidrs", ip: "203.0.113.10", egressIp: "203.0.113.10", inside });
const HOSTED: Place = { name: "a GitHub-hosted runner (ubuntu-24.04)", ip: "10.1.0.4", egressIp: "20.29.0.10", inside: [] };
const SELF_HOSTED_AWS: Place = { name: "the self-hosted runner (DEPLOY_RUNNER) at 198.51.100.17", ip: "198.51.100.17", egressIp: "198.51.100.17", inside: [] };

describe.each([
  ["examples/aws.yaml (public endpoint)", "examples/aws.yaml", false],
  ["examples/aws.yaml (private endpoint)", "examples/aws.yaml", true],
] as const)("AWS: %s", (_title, file, isPrivate) => {
  const d = isPrivate ? privateVariant(file) : loadDeployment(["--config", file], {});
  const stacks = synthesize(d);
  const [admin, ciApply] = d.aws!.adminPrincipalArns;
  const [ciPlan] = d.aws!.viewerPrincipalArns;
  const id = (arn: string, name: string): Identity => ({ name, awsArn: arn });
  const ADMIN = id(admin, "the administrators' role (aws.adminPrincipalArns[0])");
  const APPLY = id(ciApply, "the CI apply role (aws.adminPrincipalArns[1])");
  const PLAN = id(ciPlan, "the CI plan role (aws.viewerPrincipalArns[0])");
  const probes = (who: Identity) => ({
    ...AWS_READY,
    // The shape `aws sts get-caller-identity --output json` prints: the account, and the session of the role.
    "aws sts get-caller-identity": {
      stdout: JSON.stringify({ Account: /:iam::(\d{12}):/.exec(who.awsArn!)![1], Arn: who.awsArn!.replace(/:iam::(\d+):role\/(?:.*\/)?([^/]+)$/, ":sts::$1:assumed-role/$2/session") }),
    },
  });
  // A private endpoint is reached over the VPN/peering into the VPC, from the admin ranges.
  const desk = WORKSTATION(isPrivate ? ["cluster-network"] : []);
  const runner: Place = isPrivate ? { ...SELF_HOSTED_AWS, inside: ["cluster-network"] } : SELF_HOSTED_AWS;

  test("first apply from a workstation: cloud and vault, the Vault bootstrap, then vault-config and platform", () => {
    const steps: Step[] = [
      { title: "preflight [cloud,vault]", where: desk, who: ADMIN, intent: "apply", needs: ["cloud-apis"], run: npmRun(file, "preflight", "cloud,vault") },
      { title: "deploy [cloud,vault]", where: desk, who: ADMIN, intent: "apply", needs: ["cloud-apis", "kubernetes-api"], run: npmRun(file, "deploy", "cloud,vault") },
      { title: "Vault initialisation by hand (kubectl port-forward, vault operator init) [bootstrap]", where: desk, who: ADMIN, intent: "apply", needs: ["kubernetes-api"], run: () => 0 },
      { title: "deploy [vault-config,platform]", where: desk, who: ADMIN, intent: "apply", needs: ["kubernetes-api"], run: npmRun(file, "deploy", "vault-config,platform", VAULT_ENV) },
    ];
    const t = walk(d, stacks, steps, probes);
    // Each deploy synthesizes, then plans, guards and applies its stacks one by one from their saved plans.
    expect(t.filter((l) => l.startsWith("$ npx"))).toEqual(["$ npx cdktf synth", "$ npx cdktf synth"]);
    const count = (re: RegExp) => t.filter((l) => re.test(l)).length;
    expect([count(/^\$ terraform plan .*-out=/), count(/^\$ terraform show -json /), count(/^\$ terraform apply .*\.tfplan$/)]).toEqual([4, 4, 4]);
    // Before anything changes: who is logged in, that it has an access entry, that the account encrypts EBS by default.
    expect(t).toContain("$ aws sts get-caller-identity --output json");
    expect(t).toContain(`$ aws ec2 get-ebs-encryption-by-default --region ${d.region} --output json`);
  });

  test("CI: plan (read-only role) and apply (protected environment's role), stack by stack, from the self-hosted runner", () => {
    const dirs = ciDirs();
    const roles = ["cloud", "vault", "vault-config", "platform"];
    const t = walk(d, stacks, [
      { title: "plan job preflight [cloud,vault]", where: runner, who: PLAN, intent: "plan", needs: ["cloud-apis"], run: npmRun(file, "preflight", "cloud,vault") },
      { title: "plan job [cloud,vault,vault-config,platform]", where: runner, who: PLAN, intent: "plan", needs: ["cloud-apis", "kubernetes-api"], run: ciRun(file, "plan", roles, dirs) },
      { title: "apply job [cloud,vault,vault-config,platform]", where: runner, who: APPLY, intent: "apply", needs: ["cloud-apis", "kubernetes-api"], run: ciRun(file, "apply", roles, dirs) },
    ], probes);
    const tf = t.filter((l) => l.startsWith("$ terraform") && l.includes("  (in ")).map((l) => l.replace(/ -out=\S+| \/\S+\.tfplan/g, ""));
    const ids = roles.map((r) => stackIdOf(d, r as never));
    expect(tf).toEqual([
      // Plan job: every stack planned read-only, no state lock, the plan saved, shown and read by the replacement guard.
      ...ids.flatMap((i) => [`$ terraform init -input=false -no-color  (in ${i})`, `$ terraform plan -input=false -no-color -detailed-exitcode -lock=false  (in ${i})`, `$ terraform show -no-color  (in ${i})`, `$ terraform show -json  (in ${i})`]),
      // Apply job: every stack planned again (nothing saved leaves the runner; the cloud stack's plan must match its
      // review record, each later one follows the stack before it), guarded, then applied.
      ...ids.flatMap((i) => [`$ terraform init -input=false -no-color  (in ${i})`, `$ terraform plan -input=false -no-color -detailed-exitcode  (in ${i})`, `$ terraform show -json  (in ${i})`, `$ terraform apply -input=false -no-color  (in ${i})`]),
    ]);
  });

  test("a GitHub-hosted runner reaches no cluster: it could plan the cloud stack only", () => {
    expect(reaches(d, stacks.cloud, HOSTED, "cloud-apis")).toBe(true);
    expect(reaches(d, stacks.cloud, HOSTED, "kubernetes-api")).toBe(false);
  });

  test("the plan role may read the cluster but not change it; nobody but the listed principals has an entry", () => {
    const plan: Step = { title: "[vault]", where: runner, who: PLAN, intent: "plan", needs: [], run: () => 0 };
    expect(permitted(d, stacks.cloud, PLAN, plan)).toBe(true);
    expect(permitted(d, stacks.cloud, PLAN, { ...plan, intent: "apply" })).toBe(false);
    expect(permitted(d, stacks.cloud, id("arn:aws:iam::123456789012:role/someone-else", "x"), plan)).toBe(false);
  });
});

describe.each([
  ["examples/azure.yaml (public endpoint)", false],
  ["examples/azure.yaml (private cluster)", true],
] as const)("Azure: %s", (_title, isPrivate) => {
  const file = "examples/azure.yaml";
  const d = isPrivate ? privateVariant(file) : loadDeployment(["--config", file], {});
  const stacks = synthesize(d);
  const az = d.azure!;
  const DEPLOYER: Identity = { name: "the CI apply service principal (azure.deployerObjectId)", azureObjectId: az.deployerObjectId };
  const PLAN: Identity = { name: "the CI plan service principal (azure.planObjectId)", azureObjectId: az.planObjectId };
  const ADMINS: Identity = { name: "an administrator in an admin group (azure.adminGroupObjectIds)", azureObjectId: "55555555-5555-5555-5555-555555555555" };
  // The self-hosted runner lives in the runner VNet; its egress (NAT) address is an admin range for a public API.
  const RUNNER: Place = { name: "the self-hosted runner in azure.runnerNetwork", ip: "203.0.113.5", egressIp: "203.0.113.20", inside: [az.runnerNetwork.virtualNetworkId] };
  const probes = (who: Identity) => ({
    "terraform version": AWS_READY["terraform version"],
    "az account show": { stdout: JSON.stringify({ id: az.subscriptionId, tenantId: az.tenantId }) },
    "az account get-access-token": { stdout: azureToken(who.azureObjectId ?? "") },
    "kubelogin --version": { stdout: "v0.1.4" },
    // An administrator applied the bootstrap <name>-deploy-roles first (docs/deployment-guide.md §5): its custom roles exist.
    ...azureBootstrapped(az.subscriptionId, d.name),
  });

  test("first apply and CI rollout run from the runner's network, as the identities the config names", () => {
    const dirs = ciDirs();
    const roles = ["cloud", "vault", "vault-config", "platform"];
    const t = walk(d, stacks, [
      { title: "plan job preflight [cloud,vault]", where: RUNNER, who: PLAN, intent: "plan", needs: ["cloud-apis"], run: npmRun(file, "preflight", "cloud,vault") },
      { title: "plan job, first run [cloud]", where: RUNNER, who: PLAN, intent: "plan", needs: ["cloud-apis"], run: ciRun(file, "plan", ["cloud", "vault"], dirs) },
      { title: "apply job preflight [cloud,vault]", where: RUNNER, who: DEPLOYER, intent: "apply", needs: ["cloud-apis", "key-vault-data-plane"], run: npmRun(file, "preflight", "cloud,vault") },
      { title: "apply job, first run [cloud,vault]", where: RUNNER, who: DEPLOYER, intent: "apply", needs: ["cloud-apis", "key-vault-data-plane", "kubernetes-api"], run: ciRun(file, "apply", ["cloud", "vault"], dirs) },
      { title: "Vault initialisation by hand [bootstrap]", where: isPrivate ? RUNNER : WORKSTATION(), who: ADMINS, intent: "apply", needs: ["kubernetes-api"], run: () => 0 },
      { title: "plan job [cloud,vault,vault-config,platform]", where: RUNNER, who: PLAN, intent: "plan", needs: ["cloud-apis", "key-vault-data-plane", "kubernetes-api"], run: ciRun(file, "plan", roles, dirs) },
      { title: "apply job [cloud,vault,vault-config,platform]", where: RUNNER, who: DEPLOYER, intent: "apply", needs: ["cloud-apis", "key-vault-data-plane", "kubernetes-api"], run: ciRun(file, "apply", roles, dirs) },
    ], probes);
    expect(t).toContain("$ az account get-access-token --query accessToken --output tsv");
    expect(t.join("\n")).not.toContain(azureToken(az.deployerObjectId));
    expect(t.filter((l) => l.startsWith("$ terraform apply")).length).toBeGreaterThanOrEqual(2);
  });

  test("a GitHub-hosted runner cannot even plan the cloud stack: the key vaults have no public access", () => {
    expect(reaches(d, stacks.cloud, HOSTED, "key-vault-data-plane")).toBe(false);
    expect(reaches(d, stacks.cloud, WORKSTATION(), "key-vault-data-plane")).toBe(false);
  });

  test("the plan identity cannot apply: it holds no key-deployer role and no cluster admin", () => {
    const apply: Step = { title: "[cloud]", where: RUNNER, who: PLAN, intent: "apply", needs: [], run: () => 0 };
    expect(permitted(d, stacks.cloud, PLAN, apply)).toBe(false);
    expect(permitted(d, stacks.cloud, PLAN, { ...apply, intent: "plan" })).toBe(true);
    expect(permitted(d, stacks.cloud, DEPLOYER, apply)).toBe(true);
  });
});

describe.each([
  ["examples/gcp.yaml (public endpoint)", false],
  ["examples/gcp.yaml (private endpoint)", true],
] as const)("GCP: %s", (_title, isPrivate) => {
  const file = "examples/gcp.yaml";
  const d = isPrivate ? privateVariant(file) : loadDeployment(["--config", file], {});
  const stacks = synthesize(d);
  const OWNER: Identity = { name: "an administrator with Owner on gcp.projectId", gcpMember: "user:admin@acme.example" };
  const probes = () => ({
    "terraform version": AWS_READY["terraform version"],
    "gcloud auth print-access-token": { stdout: "ya29.walk" },
    "gcloud auth application-default print-access-token": { stdout: "ya29.walk" },
    "gke-gcloud-auth-plugin --version": { stdout: "Kubernetes v1.30.0" },
  });
  const desk = WORKSTATION(isPrivate ? ["cluster-network"] : []);

  test("first apply from a workstation in the admin ranges; the GKE service agent is created by the cloud stack's apply", () => {
    const t = walk(d, stacks, [
      { title: "deploy [cloud,vault]", where: desk, who: OWNER, intent: "apply", needs: ["cloud-apis", "kubernetes-api"], run: npmRun(file, "deploy", "cloud,vault") },
      { title: "deploy [vault-config,platform]", where: desk, who: OWNER, intent: "apply", needs: ["kubernetes-api"], run: npmRun(file, "deploy", "vault-config,platform", VAULT_ENV) },
    ], probes);
    expect(t.filter((l) => l.startsWith("$ npx"))).toHaveLength(2);
    expect(t.join("\n")).not.toContain("ya29.walk");
    // The cloud stack's apply itself runs gcloud (terraform local-exec): the runner needs gcloud with its beta commands.
    expect(JSON.stringify(stacks.cloud)).toContain("gcloud beta services identity create --service=container.googleapis.com");
  });

  test("a GitHub-hosted runner reaches no cluster", () => {
    expect(reaches(d, stacks.cloud, HOSTED, "kubernetes-api")).toBe(false);
  });
});

// --- the CI side of the Azure login ---------------------------------------------------------------------

describe("Azure CI: kubelogin's CLI login outlives the hour a federated login lasts", () => {
  const action = parseYaml(readFileSync(path.join(__dirname, "..", "..", ".github", "actions", "cloud-login", "action.yml"), "utf8")) as { runs: { steps: { name: string; if?: string; run?: string }[] } };
  const script = path.join(__dirname, "..", "..", ".github", "actions", "cloud-login", "azure-login-refresh.sh");

  test("the cloud-login action starts the refresher for Azure, renewing well inside the CLI session's lifetime", () => {
    const step = action.runs.steps.find((s) => s.name.startsWith("Azure (keep the CLI login fresh"))!;
    expect(step.if).toBe("inputs.cloud == 'azure'");
    const interval = Number(/azure-login-refresh\.sh" (\d+)/.exec(step.run!)![1]);
    expect(interval * 60 / 60).toBeLessThan(AZURE_CI_FACTS.cliSessionEndsAfterAboutAnHour.value.accessTokenMinutes * 60);
  });

  test("run with stand-ins for sleep, curl and az (real bash and jq): it logs in again with each fresh GitHub token, and prints nothing", () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), "refresh-bin-"));
    const log = path.join(bin, "calls.log");
    const stub = (name: string, body: string) => {
      writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\n${body}\n`);
      chmodSync(path.join(bin, name), 0o755);
    };
    mkdirSync(bin, { recursive: true });
    stub("sleep", "exit 0");
    stub("curl", `n=$(grep -c '^curl' "${log}"); printf '{"value":"gh-oidc-%s"}' "$n"`);
    stub("az", "exit 0");
    const jq = spawnSync("bash", ["-c", "command -v jq"], { encoding: "utf8" }).stdout.trim();
    if (!jq) throw new Error("jq is not on the PATH (install it: bash .ci/install-test-servers)");
    const r = spawnSync("bash", [script, "1800", "2"], {
      encoding: "utf8",
      env: {
        PATH: `${bin}:${path.dirname(jq)}:/usr/bin:/bin`,
        AZURE_CLIENT: "client-id", AZURE_TENANT: "tenant-id", AZURE_SUBSCRIPTION: "sub-id",
        ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.actions.example/?x=1", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "req-token",
      },
    });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toBe("");
    const calls = readFileSync(log, "utf8").trim().split("\n");
    expect(calls).toEqual([
      "sleep 1800",
      `curl -sSf -H Authorization: bearer req-token https://token.actions.example/?x=1&audience=${AZURE_CI_FACTS.federatedAudience.value}`,
      "az login --service-principal --username client-id --tenant tenant-id --federated-token gh-oidc-1 --allow-no-subscriptions --output none",
      "az account set --subscription sub-id --output none",
      "sleep 1800",
      `curl -sSf -H Authorization: bearer req-token https://token.actions.example/?x=1&audience=${AZURE_CI_FACTS.federatedAudience.value}`,
      "az login --service-principal --username client-id --tenant tenant-id --federated-token gh-oidc-2 --allow-no-subscriptions --output none",
      "az account set --subscription sub-id --output none",
    ]);
    rmSync(bin, { recursive: true, force: true });
  });
});

// --- the guide says the same ----------------------------------------------------------------------------

describe("docs/deployment-guide.md tells the same walk", () => {
  const guide = readFileSync(path.join(__dirname, "..", "..", "docs", "deployment-guide.md"), "utf8");

  test.each([
    ["AWS", ["aws.adminPrincipalArns", "aws.viewerPrincipalArns", "AmazonEKSAdminViewPolicy", "DEPLOY_RUNNER"]],
    ["Azure", ["azure.deployerObjectId", "azure.planObjectId", "azure.runnerNetwork", "Azure Kubernetes Service Cluster User Role"]],
    ["GCP", ["gcloud beta services identity create", "master authorized networks"]],
  ])("%s: its identities, where each runs and what it may do", (cloud, words) => {
    const section = guide.split(/^### /m).find((s) => s.startsWith(`Identities on ${cloud}`));
    expect(section).toBeDefined();
    for (const w of words) expect(section).toContain(w);
  });

  test("no longer claims that a hosted runner can plan the Azure cloud stack, or that the creator is admin implicitly", () => {
    expect(guide).not.toMatch(/ubuntu-24\.04` can only plan\/apply the cloud stack of a\s+deployment with a public/);
    expect(guide).not.toMatch(/so it keeps\s+cluster-admin after the first apply/);
    expect(guide).not.toContain("aws eks create-access-entry");
  });
});
