import type { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { DataAwsIamOpenidConnectProvider } from "@cdktf/provider-aws/lib/data-aws-iam-openid-connect-provider";
import type { Deployment } from "../../config/schema";
import { BucketAccessLogs, EncryptedBucket } from "../../constructs/aws/encrypted-bucket";
import { GITHUB_OIDC_HOST, GitHubDeployRole } from "./github-deploy-role";

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
      awsManagedPolicies: ["ReadOnlyAccess"],
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
      // Creates VPCs, EKS, IAM roles and KMS keys: narrow with a permissions boundary if your account requires it.
      awsManagedPolicies: ["AdministratorAccess"],
      maxSessionDurationSeconds: 10_800,
    });

    new TerraformOutput(this, "state_bucket", { value: this.stateBucket.bucketName });
    new TerraformOutput(this, "plan_role_arn", { value: this.planRole.roleArn });
    new TerraformOutput(this, "apply_role_arn", { value: this.applyRole.roleArn });
  }
}
