import type { DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";

/**
 * IAM quotas the deploy policies must fit (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
 * a customer managed policy is at most 6,144 characters (whitespace not counted), and a role has at most
 * 10 managed policies attached by default.
 */
export const IAM_QUOTAS = { managedPolicyChars: 6_144, managedPoliciesPerRole: 10, source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html" } as const;

/**
 * Service-linked roles the stacks' services create on first use, and so the only ones the apply role may create
 * (https://docs.aws.amazon.com/eks/latest/userguide/using-service-linked-roles.html). `iam:AWSServiceName` is the
 * condition key IAM documents for iam:CreateServiceLinkedRole.
 */
export const SERVICE_LINKED_ROLES = ["eks.amazonaws.com", "eks-nodegroup.amazonaws.com"] as const;

/** Where the deployment's own resources are, by name: every role and bucket of the cloud stack starts with `<name>-`. */
export interface AwsDeployScope {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  readonly name: string;
  /** The Route 53 zone the deployment writes its one record in (domain.dnsZone). @default - no zone: no record write */
  readonly dnsZone?: { readonly hostedZoneId: string; readonly recordName: string };
}

/**
 * The tag every AWS object of the deployment carries (the aws providers' default_tags: `deployment: <name>`), which
 * KMS write actions are conditioned on. The bootstrap's own state key carries it too: the apply role is denied
 * every KMS write on that key explicitly (aws-state-stack.ts).
 */
export const DEPLOYMENT_TAG = "deployment";

/**
 * "It might take up to five minutes for tag and alias changes to affect KMS key authorization"
 * (https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html): the actions the aws provider calls
 * right after CreateKey (EnableKeyRotation in kms/key.go's create; CreateAlias in kms/alias.go; EKS's CreateGrant)
 * are therefore not conditioned on the new key's tags.
 */
export const KMS_TAG_AUTHORIZATION_LAG = { minutes: 5, source: "https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html" } as const;

/** KMS write actions that act on an alias as well as a key (both ARNs are authorized). */
const KMS_ALIAS_ACTIONS = new Set(["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"]);

const OIDC_ACTION = /^iam:.*OpenIDConnectProvider/;

/**
 * Statements granting `actions`, grouped by service, each group on the narrowest resources IAM lets us
 * name here: IAM roles `role/<name>-*` (PassRole included), the cluster's OIDC provider, service-linked roles
 * only for EKS, buckets `<name>-*`; every other action on `*` (their resources are created with ids not known
 * before the apply). Never an action wildcard.
 */
export function awsDeployStatements(prefix: string, actions: readonly string[], s: AwsDeployScope): DataAwsIamPolicyDocumentStatement[] {
  const wild = actions.filter((a) => a.includes("*"));
  if (wild.length) throw new Error(`wildcard actions are refused in deploy policies: ${wild.join(", ")}`);
  const iam = `arn:${s.partition}:iam::${s.account}`;
  const kmsArn = `arn:${s.partition}:kms:${s.region}:${s.account}`;
  // Only the write identity's KMS actions are scoped by tag: the reads (DescribeKey, GetKeyPolicy, ...) stay readable
  // on every key, which data.aws_kms_key (the AWS managed aws/ebs key) needs.
  const scopeKms = prefix === "Write";
  const groups = new Map<string, { actions: string[]; resources: string[]; condition?: DataAwsIamPolicyDocumentStatement["condition"] }>();
  const add = (key: string, action: string, resources: string[], condition?: DataAwsIamPolicyDocumentStatement["condition"]) => {
    const g = groups.get(key) ?? { actions: [], resources, condition };
    g.actions.push(action);
    groups.set(key, g);
  };
  for (const a of [...actions].sort()) {
    const service = a.split(":")[0];
    if (a === "iam:CreateServiceLinkedRole") {
      add("IamServiceLinkedRoles", a, [`${iam}:role/aws-service-role/*`], [{ test: "StringEquals", variable: "iam:AWSServiceName", values: [...SERVICE_LINKED_ROLES] }]);
    } else if (OIDC_ACTION.test(a)) {
      add("IamClusterOidcProvider", a, [`${iam}:oidc-provider/oidc.eks.${s.region}.amazonaws.com/id/*`]);
    } else if (service === "iam") {
      add("IamDeploymentRoles", a, [`${iam}:role/${s.name}-*`]);
    } else if (service === "s3") {
      add("S3DeploymentBuckets", a, [`arn:${s.partition}:s3:::${s.name}-*`]);
    } else if (scopeKms && a === "kms:CreateKey") {
      // A new key only with the deployment's tag in the request (the provider sends default_tags in CreateKey).
      add("KmsCreateTaggedKeys", a, ["*"], [{ test: "StringEquals", variable: `aws:RequestTag/${DEPLOYMENT_TAG}`, values: [s.name] }]);
    } else if (scopeKms && a === "kms:CreateGrant") {
      // EKS creates the grant on the cluster's secrets key on the caller's behalf, seconds after the key exists.
      add("KmsGrantsForAwsServices", a, [`${kmsArn}:key/*`], [{ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }]);
    } else if (scopeKms && (a === "kms:EnableKeyRotation" || KMS_ALIAS_ACTIONS.has(a))) {
      // Called right after CreateKey, when the new key's tags may not authorize yet (KMS_TAG_AUTHORIZATION_LAG); harmless
      // on any key: rotation only turns on, and the alias side is limited to the deployment's own `alias/<name>-*`.
      add("KmsRotationAndAliasTargets", a, [`${kmsArn}:key/*`]);
      if (KMS_ALIAS_ACTIONS.has(a)) add("KmsDeploymentAliases", a, [`${kmsArn}:alias/${s.name}-*`]);
    } else if (scopeKms && service === "kms") {
      // Every other KMS write (key policy, disable, deletion, tags, description) only on keys tagged as the deployment's.
      add("KmsDeploymentKeys", a, [`${kmsArn}:key/*`], [{ test: "StringEquals", variable: `aws:ResourceTag/${DEPLOYMENT_TAG}`, values: [s.name] }]);
      // CreateKey with tags also authorizes kms:TagResource on the new key, whose tags are then only in the request.
      if (a === "kms:TagResource") add("KmsTagNewKeys", a, [`${kmsArn}:key/*`], [{ test: "StringEquals", variable: `aws:RequestTag/${DEPLOYMENT_TAG}`, values: [s.name] }]);
    } else if (s.dnsZone && a === "route53:ChangeResourceRecordSets") {
      // The one zone, and in it only the deployment's own name (Route 53 compares names lower case, without the final dot).
      add("Route53DeploymentRecord", a, [`arn:${s.partition}:route53:::hostedzone/${s.dnsZone.hostedZoneId}`], [
        { test: "ForAllValues:StringEquals", variable: "route53:ChangeResourceRecordSetsNormalizedRecordNames", values: [s.dnsZone.recordName.toLowerCase().replace(/\.$/, "")] },
      ]);
    } else if (s.dnsZone && a === "route53:GetChange") {
      add("Route53Changes", a, [`arn:${s.partition}:route53:::change/*`]);
    } else {
      add(service.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase()), a, ["*"]);
    }
  }
  return [...groups.entries()].map(([key, g]) => ({
    sid: `${prefix}${key}`,
    effect: "Allow",
    actions: g.actions,
    resources: g.resources,
    ...(g.condition ? { condition: g.condition } : {}),
  }));
}

/** The IAM JSON of a statement, as IAM counts it (no whitespace), for sizing. */
export function iamJsonLength(statements: readonly DataAwsIamPolicyDocumentStatement[]): number {
  const json = {
    Version: "2012-10-17",
    Statement: statements.map((st) => ({
      Sid: st.sid,
      Effect: st.effect,
      Action: st.actions,
      NotAction: st.notActions,
      Resource: st.resources,
      NotResource: st.notResources,
      Condition: (Array.isArray(st.condition) ? st.condition : []).reduce<Record<string, Record<string, string[]>>>((acc, c) => {
        (acc[c.test] ??= {})[c.variable] = c.values;
        return acc;
      }, {}),
    })),
  };
  return JSON.stringify(json).length;
}

/**
 * Packs statements into as few managed policies as fit IAM's size quota. Sized as rendered in the stack, where the
 * account and partition are tokens longer than any value they stand for, so the real document is never larger.
 */
export function packPolicies(statements: readonly DataAwsIamPolicyDocumentStatement[], limit: number = IAM_QUOTAS.managedPolicyChars): DataAwsIamPolicyDocumentStatement[][] {
  const policies: DataAwsIamPolicyDocumentStatement[][] = [];
  let current: DataAwsIamPolicyDocumentStatement[] = [];
  for (const st of statements) {
    if (current.length && iamJsonLength([...current, st]) > limit) {
      policies.push(current);
      current = [];
    }
    if (iamJsonLength([st]) > limit) throw new Error(`statement ${st.sid} alone exceeds ${limit} characters: split its service's actions`);
    current.push(st);
  }
  if (current.length) policies.push(current);
  return policies;
}
