import type { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamOpenidConnectProvider } from "@cdktf/provider-aws/lib/data-aws-iam-openid-connect-provider";
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import type { AwsDeployment, Deployment } from "../../config/schema";
import { BucketAccessLogs, BucketEncryption, EncryptedBucket } from "../../constructs/aws/encrypted-bucket";
import { EncryptionKey } from "../../constructs/aws/encryption-key";
import { partitionOf } from "../../constructs/aws/partition";
import { stackIds } from "../stack-ids";
import { GITHUB_OIDC_HOST, GitHubDeployRole } from "./github-deploy-role";
import { requirePermissions, synthesizedTypes } from "./deploy-permissions";
import { stateLocation } from "../backend";
import { ALIAS_CHANGE_ACTIONS, awsDeployStatements, DEPLOYMENT_TAG, type DeployRole, KEY_POLICY_CHANGE_ACTIONS, TRUST_CHANGE_ACTIONS } from "./aws-deploy-policy";
import { CONDITIONAL_KEY_WRITES, unneededKeyWrites } from "./aws-key-writes";
import { deploymentNames, deploymentRoles, PASS_ROLE_ATTRIBUTES, roleBoundaryStatements, type BoundaryScope, type DeploymentRoles } from "./aws-role-boundary";
import { roleBoundaryArn, roleBoundaryName } from "../../constructs/aws/role-boundary";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { DataAwsKmsKey } from "@cdktf/provider-aws/lib/data-aws-kms-key";
import { idOf } from "../../lib/construct-id";
import { AwsDeployPolicies } from "./aws-deploy-policies";
import { deploymentStacks } from "./deployment-types";

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Props of {@link AwsStateStack}. */
export interface AwsStateStackProps {
  /** The deployment whose remote state this creates; its `state.backend` must be `s3`. */
  readonly deployment: AwsDeployment;
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
 *  - the state bucket, an EncryptedBucket (public access blocked, ACLs off, versioned, TLS 1.2+ only,
 *    access-logged, prevent_destroy unless the config allows destroy) encrypted with its own KMS key,
 *    whose key policy lets only the apply role, the administrators and (decrypt only) the plan role use
 *    it, through S3, for this bucket; a bucket policy that denies every other principal the objects and
 *    the plan role everything but reading the current state of its stacks; and its access-log bucket
 *    (SSE-S3: S3 delivers server access logs only to SSE-S3 buckets);
 *  - the GitHub OIDC provider, a read-only plan role trusted by pull requests and main (it reads the
 *    current state objects of its stacks, no old version, no other object, no secret), and an apply
 *    role trusted only by the deployment's protected GitHub environment;
 *  - one permissions boundary per role of the deployment (`<role>-boundary`, derived from that role's own
 *    policies), the only boundary the apply role may create or change that role with.
 * Its own state stays local (terraform.<name>-state.tfstate at the project root): it holds no secret.
 */
export class AwsStateStack extends TerraformStack {
  /** The state bucket. */
  readonly stateBucket: EncryptedBucket;
  /** The KMS key the state is encrypted with (alias/<name>-state). */
  readonly stateKey: EncryptionKey;
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
      allowedAccountIds: d.aws.accountId ? [d.aws.accountId] : undefined,
      defaultTags: [{ tags: { ...d.tags, deployment: d.name } }],
    });
    const allowDestroy = d.dataProtection.allowDestroy;
    const account = new DataAwsCallerIdentity(this, "Account").accountId;
    const partition = partitionOf(this);

    const logs = new EncryptedBucket(this, "AccessLogs", { bucketName: logBucketName, accessLogs: BucketAccessLogs.IS_LOG_TARGET, allowDestroy });

    const oidcProviderArn = (props.createOidcProvider ?? true)
      ? new IamOpenidConnectProvider(this, "GitHubOidc", {
          url: `https://${GITHUB_OIDC_HOST}`,
          clientIdList: ["sts.amazonaws.com"],
          // No thumbprint: IAM validates GitHub's OIDC endpoint against its own trusted CAs.
        }).arn
      : new DataAwsIamOpenidConnectProvider(this, "GitHubOidc", { url: `https://${GITHUB_OIDC_HOST}` }).arn;

    // The state objects, one per stack: all a plan reads. Old versions are nobody's need in a plan.
    const bucketArn = `arn:${partition}:s3:::${state.bucket}`;
    const stateObjects = stateObjectArns(d, bucketArn);
    const repo = props.githubRepository;
    this.planRole = new GitHubDeployRole(this, "PlanRole", {
      roleName: `${d.name}-github-plan`,
      oidcProviderArn,
      // Plans run for pull requests and, before each apply, on main. Both are read-only.
      subjects: [`repo:${repo}:pull_request`, `repo:${repo}:ref:refs/heads/main`],
      statements: [
        {
          // Whatever else grants object reads in the account, a plan needs only the current state of its stacks.
          sid: "DenyObjectReadsButTheStateOfItsStacks",
          effect: "Deny",
          actions: ["s3:GetObject"],
          notResources: stateObjects,
        },
        {
          // Old state versions hold values (secrets among them) that the current state no longer does.
          sid: "DenyOldVersions",
          effect: "Deny",
          actions: ["s3:GetObjectVersion*", "s3:ListBucketVersions"],
          resources: ["*"],
        },
        {
          sid: "DenySecretReads",
          effect: "Deny",
          actions: ["secretsmanager:GetSecretValue", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
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

    // Who may touch the state at all: the apply role, the plan role (its objects, read only), and the
    // administrators who deploy from a workstation (aws.adminPrincipalArns).
    // The apply role is listed there too (it must administer the cluster); here it is named by reference only:
    // KMS refuses a key policy whose principal does not exist yet, and the reference orders the role first.
    const admins = (d.aws.adminPrincipalArns ?? []).filter((arn) => !arn.endsWith(`:role/${d.name}-github-apply`));
    const writers = [this.applyRole.roleArn, ...admins];
    this.stateKey = new EncryptionKey(this, "StateKey", {
      description: `Terraform state of ${d.name} (bucket ${state.bucket})`,
      aliasName: `${d.name}-state`,
      allowDestroy,
      policy: new DataAwsIamPolicyDocument(this, "StateKeyPolicy", {
        statement: stateKeyPolicy({ partition, account, region: state.region, bucketArn, writers, reader: this.planRole.roleArn }),
      }).json,
    });
    // The derived read policies grant no kms:Decrypt; this keeps any other grant from reaching another key.
    new IamRolePolicy(this, "PlanRoleDecryptOnlyState", {
      name: "decrypt-only-state",
      role: this.planRole.resource.name,
      policy: new DataAwsIamPolicyDocument(this, "PlanRoleDecryptOnlyStateDocument", {
        statement: [{ sid: "DenyDecryptButTheStateKey", effect: "Deny", actions: ["kms:Decrypt"], notResources: [this.stateKey.keyArn] }],
      }).json,
    });

    this.stateBucket = new EncryptedBucket(this, "State", {
      bucketName: state.bucket,
      accessLogs: BucketAccessLogs.to(logs, "state/"),
      encryption: BucketEncryption.kms(this.stateKey.keyArn),
      allowDestroy,
      policyStatements: stateBucketStatements({ bucketArn, stateObjects, writers, reader: this.planRole.roleArn }),
    });

    // Least privilege, derived: the actions the deployment's own synthesized stacks need (permission-facts.ts),
    // read-only for the plan role, read and write for the apply role. No AWS managed policy, no wildcard action.
    const built = deploymentStacks(d);
    const types = requirePermissions("aws", synthesizedTypes(built));
    // Key writes no key of the deployment needs (a policy change, a deletion, a disable) are not granted at all.
    const unneeded = unneededKeyWrites(built);
    // Nor a role's new trust or its deletion (TRUST_CHANGE_ACTIONS), an alias moved or deleted (ALIAS_CHANGE_ACTIONS),
    // nor a key's policy rewritten (KEY_POLICY_CHANGE_ACTIONS): denied below, an administrator applies those.
    const trust: readonly string[] = [...TRUST_CHANGE_ACTIONS, ...ALIAS_CHANGE_ACTIONS, ...KEY_POLICY_CHANGE_ACTIONS];
    const derived = { read: types.read, write: types.write.filter((a) => !unneeded.includes(a) && !trust.includes(a)) };
    const roles = roleBoundaries(this, deploymentRoles(built), { partition, account, region: d.region, name: d.name, awsManagedKeyArn: awsManagedKeys(this, d, state.region) });
    const zone = d.domain.dnsZone?.provider === "route53" ? d.domain.dnsZone : undefined;
    const names = deploymentNames(built, account);
    const net = d.aws.existingNetwork;
    const existingNetwork = net ? { vpcId: net.vpcId, subnetIds: [...net.privateSubnets, ...(net.loadBalancerSubnets ?? [])].map((x) => x.id) } : undefined;
    const where = { partition, account, region: d.region, name: d.name, roles, names, ...(existingNetwork ? { existingNetwork } : {}), ...(zone ? { dnsZone: { hostedZoneId: zone.hostedZoneId, recordName: d.domain.name } } : {}) };
    // The plan role reads the current state object of each stack; the apply role writes them and their lock files.
    // Its own state objects and lock files only: another deployment's state in the same bucket and prefix stays out of reach.
    const stateFiles = stateObjects.flatMap((o) => [o, `${o}${S3_LOCK_FILE_SUFFIX}`]);
    new AwsDeployPolicies(this, "PlanPolicies", {
      roleName: this.planRole.resource.name,
      policyNamePrefix: `${d.name}-github-plan`,
      statements: [
        { sid: "StateList", effect: "Allow", actions: ["s3:ListBucket"], resources: [bucketArn] },
        { sid: "StateRead", effect: "Allow", actions: ["s3:GetObject"], resources: stateObjects },
        ...awsDeployStatements("Read", derived.read, where),
      ],
    });
    new AwsDeployPolicies(this, "ApplyPolicies", {
      roleName: this.applyRole.resource.name,
      policyNamePrefix: `${d.name}-github-apply`,
      statements: [
        { sid: "StateList", effect: "Allow", actions: ["s3:ListBucket"], resources: [bucketArn] },
        // State and its lock file (use_lockfile writes and deletes <key>.tflock).
        { sid: "StateReadWrite", effect: "Allow", actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources: stateFiles },
        ...awsDeployStatements("Read", derived.read, where),
        ...awsDeployStatements("Write", derived.write, where),
        ...applyDenials(derived.write, { partition, account, name: d.name, stateKeyArn: this.stateKey.keyArn, stateRegion: state.region, boundaryArns: roles.map((r) => r.boundaryArn), buckets: names.buckets, nodeSubnetIds: (net?.privateSubnets ?? []).map((x) => x.id) }),
      ],
    });

    new TerraformOutput(this, "state_bucket", { value: this.stateBucket.bucketName });
    new TerraformOutput(this, "state_kms_key_arn", { value: this.stateKey.keyArn, description: "state.kmsKeyId (or alias/<name>-state)" });
    new TerraformOutput(this, "plan_role_arn", { value: this.planRole.roleArn });
    new TerraformOutput(this, "apply_role_arn", { value: this.applyRole.roleArn });
  }
}

/**
 * The S3 backend's lock file is the state object's key with `.tflock` appended (use_lockfile; hashicorp/terraform
 * v1.11 internal/backend/remote-state/s3/backend_state.go: lockFileSuffix = ".tflock", getLockFilePath).
 */
export const S3_LOCK_FILE_SUFFIX = ".tflock";

/** The state object of each stack of the deployment: `<bucket>/<keyPrefix>/<stack id>.tfstate`. */
export function stateObjectArns(d: Deployment, bucketArn: string): string[] {
  const state = d.state;
  // A deployment not yet on s3 state (it moves there after this bootstrap) keeps the key without a prefix.
  return Object.values(stackIds(d)).map((id) => `${bucketArn}/${state.backend === "s3" ? stateLocation(state, id) : `/${id}.tfstate`}`);
}

/**
 * The state key's policy. The account administers the key (so IAM can manage it, never use it: no
 * crypto action reaches the account root); the writers encrypt and decrypt, the plan role decrypts,
 * each only through S3 in the bucket's region and for this bucket (the S3 encryption context, which is
 * the bucket's ARN with S3 Bucket Keys and the object's without).
 */
export function stateKeyPolicy(p: { partition: string; account: string; region: string; bucketArn: string; writers: readonly string[]; reader: string }): DataAwsIamPolicyDocumentStatement[] {
  const throughS3 = [
    { test: "StringEquals", variable: "kms:ViaService", values: [`s3.${p.region}.amazonaws.com`] },
    { test: "StringEquals", variable: "kms:CallerAccount", values: [p.account] },
    { test: "StringLike", variable: "kms:EncryptionContext:aws:s3:arn", values: [p.bucketArn, `${p.bucketArn}/*`] },
  ];
  return [
    {
      sid: "KeyAdministrationNotUse",
      effect: "Allow",
      principals: [{ type: "AWS", identifiers: [`arn:${p.partition}:iam::${p.account}:root`] }],
      actions: [
        "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*",
        "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
      ],
      resources: ["*"],
    },
    {
      sid: "StateWritersThroughS3",
      effect: "Allow",
      principals: [{ type: "AWS", identifiers: [...p.writers] }],
      actions: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
      resources: ["*"],
      condition: throughS3,
    },
    {
      sid: "PlanRoleReadsThroughS3",
      effect: "Allow",
      principals: [{ type: "AWS", identifiers: [p.reader] }],
      actions: ["kms:Decrypt"],
      resources: ["*"],
      condition: throughS3,
    },
  ];
}

/** The state bucket's own restrictions (added to EncryptedBucket's TLS-only policy). */
export function stateBucketStatements(p: { bucketArn: string; stateObjects: readonly string[]; writers: readonly string[]; reader: string }): DataAwsIamPolicyDocumentStatement[] {
  const objects = `${p.bucketArn}/*`;
  return [
    {
      // Whatever IAM grants elsewhere in the account (AdministratorAccess, ReadOnlyAccess), no other principal reads or writes state.
      sid: "DenyObjectAccessToOtherPrincipals",
      effect: "Deny",
      principals: [{ type: "*", identifiers: ["*"] }],
      actions: ["s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:RestoreObject"],
      resources: [objects],
      condition: [{ test: "ArnNotLike", variable: "aws:PrincipalArn", values: [...p.writers, p.reader] }],
    },
    {
      sid: "DenyPlanRoleWritesAndOldVersions",
      effect: "Deny",
      principals: [{ type: "AWS", identifiers: [p.reader] }],
      actions: ["s3:PutObject*", "s3:DeleteObject*", "s3:GetObjectVersion*", "s3:RestoreObject"],
      resources: [objects],
    },
    {
      sid: "DenyPlanRoleOtherObjects",
      effect: "Deny",
      principals: [{ type: "AWS", identifiers: [p.reader] }],
      actions: ["s3:GetObject"],
      notResources: [...p.stateObjects],
    },
  ];
}

/**
 * What the apply role's scoped grants must not reach, whatever they match: the state key and its alias, the CI roles
 * and their policies, and keys another deployment tagged as its own.
 */
function applyDenials(
  writes: readonly string[],
  // nodeSubnetIds: an existing network's node subnets (aws.existingNetwork.privateSubnets), which do not carry the deployment's tag.
  w: { readonly partition: string; readonly account: string; readonly name: string; readonly stateKeyArn: string; readonly stateRegion: string; readonly boundaryArns: readonly string[]; readonly buckets: readonly string[]; readonly nodeSubnetIds: readonly string[] },
): DataAwsIamPolicyDocumentStatement[] {
  return [
    // The apply role manages the buckets, never their objects (no aws_s3_object in the stacks): whatever a bucket policy
    // it writes grants, it neither reads nor writes the data and logs in them.
    { sid: "DenyDeploymentBucketObjects", effect: "Deny", actions: ["s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:RestoreObject"], resources: w.buckets.map((b) => `arn:${w.partition}:s3:::${b}/*`) },
    // The roles' boundaries hold only while nobody in CI can change one or take it off a role: whatever else the
    // account grants the apply role, it never edits, replaces or deletes a boundary policy, nor removes a role's boundary.
    { sid: "DenyBoundaryChanges", effect: "Deny", actions: [...BOUNDARY_POLICY_WRITES], resources: [...w.boundaryArns] },
    { sid: "DenyBoundaryRemoval", effect: "Deny", actions: ["iam:DeleteRolePermissionsBoundary"], resources: ["*"] },
    // No role of the account gets a new trust from CI, nor is deleted and created again with one (TRUST_CHANGE_ACTIONS).
    { sid: "DenyTrustChanges", effect: "Deny", actions: [...TRUST_CHANGE_ACTIONS], resources: [`arn:${w.partition}:iam::${w.account}:role/*`] },
    // No key of the account gets a new policy from CI (KEY_POLICY_CHANGE_ACTIONS): a key's policy is written at its
    // creation only.
    { sid: "DenyKeyPolicyChanges", effect: "Deny", actions: [...KEY_POLICY_CHANGE_ACTIONS], resources: [`arn:${w.partition}:kms:*:${w.account}:key/*`] },
    // And no key is created with a policy that skips KMS's lockout check (one that leaves the account's administrators
    // out of the key; kms:BypassPolicyLockoutSafetyCheck, a condition key of CreateKey, which has no resource type:
    // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-bypass-policy-lockout-safety-check).
    // The aws provider asks for it only with bypass_policy_lockout_safety_check.
    { sid: "DenyNewKeyPolicyLockout", effect: "Deny", actions: ["kms:CreateKey"], resources: ["*"], condition: [{ test: "Bool", variable: "kms:BypassPolicyLockoutSafetyCheck", values: ["true"] }] },
    // ec2:RunInstances is granted for EKS's launch check from a launch template (WriteEc2LaunchFromTemplates), and a
    // RunInstances request's own parameters (SubnetId, SecurityGroupIds) override the template's: whatever template a
    // request names, no instance is launched into a subnet or behind a security group that is not the deployment's
    // (tagged `deployment: <name>`, or an existing network's node subnets by id), in any account (a subnet shared in
    // through RAM carries its owner's account in its ARN), nor with a public address. Subnet and security group are
    // required resource types of RunInstances, so every launch names them (AWS_ACTION_CONDITIONS).
    {
      sid: "DenyLaunchOutsideDeploymentSubnets",
      effect: "Deny",
      actions: ["ec2:RunInstances"],
      resources: [`arn:${w.partition}:ec2:*:*:subnet/*`],
      condition: [
        { test: "StringNotEquals", variable: `aws:ResourceTag/${DEPLOYMENT_TAG}`, values: [w.name] },
        ...(w.nodeSubnetIds.length ? [{ test: "StringNotEquals", variable: "ec2:SubnetID", values: [...w.nodeSubnetIds] }] : []),
      ],
    },
    { sid: "DenyLaunchOutsideDeploymentSecurityGroups", effect: "Deny", actions: ["ec2:RunInstances"], resources: [`arn:${w.partition}:ec2:*:*:security-group/*`], condition: [{ test: "StringNotEquals", variable: `aws:ResourceTag/${DEPLOYMENT_TAG}`, values: [w.name] }] },
    // The node groups' templates ask for no public address (nodes are in private subnets): no launch gets one.
    { sid: "DenyLaunchWithPublicAddress", effect: "Deny", actions: ["ec2:RunInstances"], resources: [`arn:${w.partition}:ec2:*:*:network-interface/*`], condition: [{ test: "Bool", variable: "ec2:AssociatePublicIpAddress", values: ["true"] }] },
    // The deployment's keys are reached by their aliases: no alias of the account is moved to another key or deleted
    // (and created again on another) from CI (ALIAS_CHANGE_ACTIONS).
    { sid: "DenyAliasChanges", effect: "Deny", actions: [...ALIAS_CHANGE_ACTIONS], resources: [`arn:${w.partition}:kms:*:${w.account}:alias/*`] },
    // The state key and its alias carry the deployment's tag and name like the deployment's keys: whatever the
    // scoped grants reach, the apply role changes neither (its policy, rotation, deletion, tags, alias).
    {
      sid: "DenyStateKeyChanges",
      effect: "Deny",
      // The key writes no deployment key needs (not granted) are denied too, whatever else the account grants.
      actions: [...new Set([...writes.filter((a) => a.startsWith("kms:")), ...Object.keys(CONDITIONAL_KEY_WRITES)])].sort(),
      resources: [w.stateKeyArn, `arn:${w.partition}:kms:${w.stateRegion}:${w.account}:alias/${w.name}-state`],
    },
    // The CI roles and their policies share the deployment's prefix (role/<name>-*, policy/<name>-*) that the
    // scoped IAM grants reach: the apply role never changes them (no rights of its own widened, no trust loosened).
    ...ciIdentityDenials(writes, `arn:${w.partition}:iam::${w.account}`, w.name),
    // A key another deployment tagged as its own (its state key included) is never re-tagged into this one, which
    // would hand it to the tag-scoped grants. (Untagged keys stay reachable: creation tags the new key.)
    {
      sid: "DenyRetagOtherDeploymentsKeys",
      effect: "Deny",
      actions: ["kms:TagResource", "kms:UntagResource"].filter((a) => writes.includes(a)),
      resources: [`arn:${w.partition}:kms:*:${w.account}:key/*`],
      condition: [
        { test: "Null", variable: `aws:ResourceTag/${DEPLOYMENT_TAG}`, values: ["false"] },
        { test: "StringNotEquals", variable: `aws:ResourceTag/${DEPLOYMENT_TAG}`, values: [w.name] },
      ],
    },
  ];
}

/**
 * Reads AWS managed keys (alias/aws/ebs) of the deployment's region, once each, for the boundaries that name them: in
 * the bootstrap's own region, or through a provider of the deployment's region when the state lives elsewhere.
 * DescribeKey on the alias creates the AWS managed key in a region where nothing used it yet (EBS_FACTS).
 */
function awsManagedKeys(scope: TerraformStack, d: AwsDeployment, stateRegion: string): (alias: string) => string {
  const read = new Map<string, string>();
  let provider: AwsProvider | undefined;
  return (alias) => {
    const known = read.get(alias);
    if (known) return known;
    if (d.region !== stateRegion) provider ??= new AwsProvider(scope, "DeploymentRegion", { alias: "deployment_region", region: d.region, allowedAccountIds: d.aws.accountId ? [d.aws.accountId] : undefined, defaultTags: [{ tags: { ...d.tags, deployment: d.name } }] });
    const arn = new DataAwsKmsKey(scope, `AwsManagedKey${idOf(alias.replace(/^alias\/aws\//, ""))}`, { keyId: alias, ...(provider ? { provider } : {}) }).arn;
    read.set(alias, arn);
    return arn;
  };
}

/** The IAM actions that change or delete a managed policy (a boundary), which the apply role is denied on the boundaries. */
const BOUNDARY_POLICY_WRITES = ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"] as const;

/**
 * One permissions boundary per role of the deployment (`<role>-boundary`, an IAM managed policy), derived from the
 * role's own policies (roleBoundaryStatements), and each role as the deploy policies name it.
 */
function roleBoundaries(scope: Construct, deployment: DeploymentRoles, where: BoundaryScope): DeployRole[] {
  return deployment.roles.map((role) => {
    const id = idOf(role.name.startsWith(`${where.name}-`) ? role.name.slice(where.name.length + 1) : role.name);
    const document = new DataAwsIamPolicyDocument(scope, `${id}BoundaryDocument`, { statement: roleBoundaryStatements(role, deployment.stacks, where) });
    new IamPolicy(scope, `${id}Boundary`, {
      name: roleBoundaryName(role.name),
      policy: document.json,
      description: `Permissions boundary of ${role.name}: what its own policies grant (the apply role creates and changes it only with this boundary)`,
    });
    return {
      name: role.name,
      boundaryArn: roleBoundaryArn(where.partition, where.account, role.name),
      managedPolicyArns: role.managedPolicies.map((p) => `arn:${where.partition}:iam::aws:policy/${p}`),
      passedTo: role.passedBy.map((attribute) => PASS_ROLE_ATTRIBUTES[attribute].service),
    };
  });
}

/** Denies every IAM write of the apply role on the CI roles and their policies (`<name>-github-*`). */
function ciIdentityDenials(writes: readonly string[], iamArn: string, name: string): DataAwsIamPolicyDocumentStatement[] {
  const iamWrites = writes.filter((a) => a.startsWith("iam:"));
  return iamWrites.length === 0 ? [] : [{ sid: "DenyCiIdentityChanges", effect: "Deny", actions: iamWrites, resources: [`${iamArn}:role/${name}-github-*`, `${iamArn}:policy/${name}-github-*`] }];
}
