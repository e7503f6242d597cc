import { deploymentRoleGuid } from "../../constructs/azure/deployment-roles";
import type { CommandResult, CommandRunner } from "../../scripts/command-runner";

/** A recorded call to the fake runner. */
export interface Call {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A scripted CommandRunner: answers by `"<command> <args...>"` prefix, 127 (not found) otherwise.
 * Records every call so tests can assert what ran and, above all, what did not.
 */
export function fakeRunner(answers: Record<string, Partial<CommandResult>>): CommandRunner & { calls: Call[] } {
  const calls: Call[] = [];
  const runner = ((command: string, args: readonly string[], options?: { env?: NodeJS.ProcessEnv }) => {
    calls.push({ command, args, env: options?.env });
    const line = [command, ...args].join(" ");
    const key = Object.keys(answers)
      .filter((k) => line === k || line.startsWith(`${k} `))
      .sort((a, b) => b.length - a.length)[0];
    if (key === undefined) return { code: 127, stdout: "", stderr: `${command}: not found` };
    const a = answers[key];
    return { code: a.code ?? 0, stdout: a.stdout ?? "", stderr: a.stderr ?? "" };
  }) as CommandRunner & { calls: Call[] };
  runner.calls = calls;
  return runner;
}

/** Answers of a workstation where everything an AWS deployment needs is present and logged in. */
export const AWS_READY: Record<string, Partial<CommandResult>> = {
  "terraform version": { stdout: JSON.stringify({ terraform_version: "1.11.4" }) },
  // The shape `aws sts get-caller-identity --output json` prints (UserId, Account, Arn): a session of the demo
  // deployment's admin role (config/default.ts: aws.adminPrincipalArns).
  "aws sts get-caller-identity": { stdout: JSON.stringify({ UserId: "AROAEXAMPLEID:alice", Account: "123456789012", Arn: "arn:aws:sts::123456789012:assumed-role/platform-admins/alice" }) },
  "aws --version": { stdout: "aws-cli/2.17.0 Python/3.12" },
  "aws ec2 get-ebs-encryption-by-default": { stdout: JSON.stringify({ EbsEncryptionByDefault: true }) },
  // The shape `aws iam get-policy --output json` prints (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetPolicy.html):
  // a role's boundary, which the bootstrap created.
  "aws iam get-policy": { stdout: JSON.stringify({ Policy: { PolicyName: "acme-prod-eks-node-boundary", DefaultVersionId: "v1", AttachmentCount: 0, PermissionsBoundaryUsageCount: 1 } }) },
};

/**
 * `az role definition list --output json` when the deployment's bootstrap roles exist: the CLI prints the matching
 * role definitions as a JSON array, each with `name` = its GUID (https://learn.microsoft.com/cli/azure/role/definition).
 * The fake answers every `--name` with all of them.
 */
export function azureBootstrapped(subscriptionId: string, deploymentName: string): Record<string, Partial<CommandResult>> {
  const roles = (["keyDeployer", "clusterReader"] as const).map((kind) => {
    const name = deploymentRoleGuid(subscriptionId, deploymentName, kind);
    return { id: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${name}`, name, roleType: "CustomRole", type: "Microsoft.Authorization/roleDefinitions" };
  });
  return { "az role definition list": { stdout: JSON.stringify(roles) } };
}

/** A JWT-shaped Azure CLI access token for object id `oid` (payload only matters; never a real token). */
export function azureToken(oid: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none" })}.${part({ oid, aud: "https://management.core.windows.net/" })}.signature`;
}
