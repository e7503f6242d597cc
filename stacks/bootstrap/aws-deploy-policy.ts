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
}

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
