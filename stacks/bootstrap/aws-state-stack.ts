import type { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { DataAwsIamOpenidConnectProvider } from "@cdktf/provider-aws/lib/data-aws-iam-openid-connect-provider";
import type { Deployment } from "../../config/schema";
import { BucketAccessLogs, EncryptedBucket } from "../../constructs/aws/encrypted-bucket";
import { GITHUB_OIDC_HOST, GitHubDeployRole } from "./github-deploy-role";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { partitionOf } from "../../constructs/aws/partition";
import { requirePermissions, synthesizedTypes } from "./deploy-permissions";
import { awsDeployStatements } from "./aws-deploy-policy";
import { AwsDeployPolicies } from "./aws-deploy-policies";
import { deploymentStacks } from "./deployment-types";

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Props of {@link AwsStateStack}. */
export interface AwsStateStackProps {
  /** The deployment whose remote state this creates; its `state.backend` must be `s3`. */
  readonly deployment: Deployment;
  /** The GitHub repository (`owner/name`, exact case) whose workflows plan and apply this deployment. */
  readonly githubRepository: string;
  /**
   * Create the account's IAM OIDC provider for GitHub. An account holds one per URL: when another
   * bootstrap (another deployment in the same account) already created it, pass false to look it up.
   * @default true
   */
  readonly createOidcProvider?: boolean;
}

/**
 * `<name>-state`: the one-time AWS bootstrap of a deployment's remote state and CI identities.
 * Not part of the deployment's stacks (it must exist before their backend can); built only by
 * scripts/bootstrap.ts. Holds:
 *  - the state bucket, an EncryptedBucket (the same hardening as the platform buckets: SSE-S3
 *    AES-256, public access blocked, ACLs off, versioned, TLS 1.2+ only, access-logged,
 *    prevent_destroy unless the config allows destroy) and its access-log bucket;
 *  - the GitHub OIDC provider, a read-only plan role trusted by pull requests and main, and an apply
 *    role trusted only by the deployment's protected GitHub environment.
 * Its own state stays local (terraform.<name>-state.tfstate at the project root): it holds no secret.
 */
export class AwsStateStack extends TerraformStack {
  /** The state bucket. */
  readonly stateBucket: EncryptedBucket;
  /** Role assumed by plan jobs (pull requests and main): read-only. */
  readonly planRole: GitHubDeployRole;
  /** Role assumed by the apply job, only inside the deployment's GitHub environment. */
  readonly applyRole: GitHubDeployRole;

  constructor(scope: Construct, id: string, props: AwsStateStackProps) {
    super(scope, id);
    const d = props.deployment;
    const state = d.state;
    if (state.backend !== "s3") {
      throw new Error(`${id}: the AWS bootstrap creates an S3 state bucket, but state.backend is '${state.backend}'; set state.backend: s3 (bucket, region) or follow docs/deployment-guide.md for ${state.backend}`);
    }
    if (!REPOSITORY.test(props.githubRepository)) {
      throw new Error(`${id}: the GitHub repository must be owner/name, e.g. acme/metadata-platform; got '${props.githubRepository}'`);
    }
    const logBucketName = `${state.bucket}-logs`;
    if (logBucketName.length > 63) {
      throw new Error(`${id}: state.bucket '${state.bucket}' is too long to name its access-log bucket '${logBucketName}' (63 characters at most); shorten it to 58`);
    }

    // Stack dir is <outdir>/stacks/<id>/ with outdir cdktf.out/bootstrap: four levels up is the project root.
    new LocalBackend(this, { path: `../../../../terraform.${id}.tfstate` });
    // allowed_account_ids: terraform refuses to plan or apply with credentials of any other account.
    new AwsProvider(this, "Aws", {
      region: state.region,
      allowedAccountIds: d.aws?.accountId ? [d.aws.accountId] : undefined,
      defaultTags: [{ tags: { ...d.tags, deployment: d.name } }],
    });
    const allowDestroy = d.dataProtection.allowDestroy;

    const logs = new EncryptedBucket(this, "AccessLogs", { bucketName: logBucketName, accessLogs: BucketAccessLogs.IS_LOG_TARGET, allowDestroy });
    this.stateBucket = new EncryptedBucket(this, "State", {
      bucketName: state.bucket,
      accessLogs: BucketAccessLogs.to(logs, "state/"),
      allowDestroy,
    });

    const oidcProviderArn = (props.createOidcProvider ?? true)
      ? new IamOpenidConnectProvider(this, "GitHubOidc", {
          url: `https://${GITHUB_OIDC_HOST}`,
          clientIdList: ["sts.amazonaws.com"],
          // No thumbprint: IAM validates GitHub's OIDC endpoint against its own trusted CAs.
        }).arn
      : new DataAwsIamOpenidConnectProvider(this, "GitHubOidc", { url: `https://${GITHUB_OIDC_HOST}` }).arn;

    const repo = props.githubRepository;
    this.planRole = new GitHubDeployRole(this, "PlanRole", {
      roleName: `${d.name}-github-plan`,
      oidcProviderArn,
      // Plans run for pull requests and, before each apply, on main. Both are read-only.
      subjects: [`repo:${repo}:pull_request`, `repo:${repo}:ref:refs/heads/main`],
      statements: [
        {
          // ReadOnlyAccess reads every object in the account; a plan needs only the state.
          sid: "DenyObjectReadsOutsideState",
          effect: "Deny",
          actions: ["s3:GetObject", "s3:GetObjectVersion"],
          notResources: [`${this.stateBucket.bucketArn}/*`],
        },
        {
          sid: "DenySecretReads",
          effect: "Deny",
          actions: ["secretsmanager:GetSecretValue", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "kms:Decrypt"],
          resources: ["*"],
        },
      ],
    });
    this.applyRole = new GitHubDeployRole(this, "ApplyRole", {
      roleName: `${d.name}-github-apply`,
      oidcProviderArn,
      // Only jobs running in the deployment's protected environment (after a reviewer's approval).
      subjects: [`repo:${repo}:environment:${d.name}`],
      maxSessionDurationSeconds: 10_800,
    });

    // Least privilege, derived: the actions the deployment's own synthesized stacks need (permission-facts.ts),
    // read-only for the plan role, read and write for the apply role. No AWS managed policy, no wildcard action.
    const derived = requirePermissions("aws", synthesizedTypes(deploymentStacks(d)));
    const where = { partition: partitionOf(this), account: new DataAwsCallerIdentity(this, "DeployAccount").accountId, region: d.region, name: d.name };
    const stateBucketArn = `arn:${where.partition}:s3:::${state.bucket}`;
    const stateObjects = `${stateBucketArn}/${state.keyPrefix}/*`;
    new AwsDeployPolicies(this, "PlanPolicies", {
      roleName: this.planRole.resource.name,
      policyNamePrefix: `${d.name}-github-plan`,
      statements: [
        { sid: "StateList", effect: "Allow", actions: ["s3:ListBucket"], resources: [stateBucketArn] },
        { sid: "StateRead", effect: "Allow", actions: ["s3:GetObject"], resources: [stateObjects] },
        ...awsDeployStatements("Read", derived.read, where),
      ],
    });
    new AwsDeployPolicies(this, "ApplyPolicies", {
      roleName: this.applyRole.resource.name,
      policyNamePrefix: `${d.name}-github-apply`,
      statements: [
        { sid: "StateList", effect: "Allow", actions: ["s3:ListBucket"], resources: [stateBucketArn] },
        // State and its lock file (use_lockfile writes and deletes <key>.tflock).
        { sid: "StateReadWrite", effect: "Allow", actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources: [stateObjects] },
        ...awsDeployStatements("Read", derived.read, where),
        ...awsDeployStatements("Write", derived.write, where),
      ],
    });

    new TerraformOutput(this, "state_bucket", { value: this.stateBucket.bucketName });
    new TerraformOutput(this, "plan_role_arn", { value: this.planRole.roleArn });
    new TerraformOutput(this, "apply_role_arn", { value: this.applyRole.roleArn });
  }
}
