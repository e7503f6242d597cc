/**
 * The trust guard: reads a stack's saved plan as `terraform show -json <plan>` prints it and finds the changes the
 * CI apply role of an AWS deployment is denied (stacks/bootstrap/aws-state-stack.ts, DenyTrustChanges): a new trust
 * policy on an existing IAM role (iam:UpdateAssumeRolePolicy) and a deleted or replaced role (iam:DeleteRole, then
 * CreateRole with any trust). A pipeline that could make either could make a deployment role trust a principal
 * outside the account, and that access would outlive the pipeline. The roles' trusts name the cluster's OIDC provider
 * and the service accounts that assume them, so they change only when the cluster is replaced, a role is removed, or
 * a release renames a service account: an administrator applies those from a workstation (`npm run deploy`).
 *
 * The same holds for a KMS alias moved to another key or deleted (kms:UpdateAlias, kms:DeleteAlias: ALIAS_CHANGE_ACTIONS):
 * the deployment's keys are reached by their aliases, so an alias moves only when its key is replaced or removed. And for
 * a key's policy rewritten (kms:PutKeyPolicy: KEY_POLICY_CHANGE_ACTIONS): a key policy can name any account's
 * principals, so a customer-managed key gets its policy at creation only.
 *
 * And for the cluster's OIDC provider created, or given its `deployment` tag: the apply role tags only a provider already
 * tagged for the deployment, since IAM authorizes a new provider's tags as iam:TagOpenIDConnectProvider with no condition
 * key that tells creation from tagging another cluster's provider into the deployment (OIDC_TAG_ON_CREATE).
 *
 * On Azure, for a managed identity's federated credential created, changed or deleted: it is the identity's trust (an
 * issuer and a subject whose tokens Entra ID exchanges for the identity's), and the CI apply identity holds no
 * federatedIdentityCredentials write or delete (AZURE_ADMIN_ONLY_ACTIONS). A new cluster (the first apply, a replaced
 * cluster: a new issuer) and a renamed service account change them.
 *
 * Finding them in the plan job says so in the pull request, before the apply job meets AccessDenied half-way through
 * an apply. Plan format: Terraform's JSON output format (https://developer.hashicorp.com/terraform/internals/json-format),
 * `resource_changes[].change` with `actions`, `before`, `after` and `after_unknown` (true, or an object of the
 * attributes not known until apply).
 */

import { ALIAS_CHANGE_ACTIONS, DEPLOYMENT_TAG, KEY_POLICY_CHANGE_ACTIONS, TRUST_CHANGE_ACTIONS } from "../stacks/bootstrap/aws-deploy-policy";
import { AZURE_ADMIN_ONLY_ACTIONS } from "../stacks/bootstrap/azure-admin-only";

/** One resource change of a saved plan (the fields this guard reads). */
export interface TrustPlanChange {
  readonly address: string;
  readonly mode: "managed" | "data";
  readonly type: string;
  readonly change: {
    readonly actions: readonly string[];
    readonly before?: Record<string, unknown> | null;
    readonly after?: Record<string, unknown> | null;
    /** true, or an object of the attributes not known until apply. */
    readonly after_unknown?: unknown;
  };
}

/** One change the CI apply role cannot make. */
export interface TrustFinding {
  readonly address: string;
  /**
   * "delete" (a role deleted, or replaced: deleted, then created), "trust" (a new assume-role policy), "alias" (an alias
   * moved or deleted), "key-policy" (an existing key's policy rewritten), "oidc-provider" (an OIDC provider created,
   * or its deployment tag set) or, on Azure, "federated-credential" (a managed identity's federated credential
   * created, changed or deleted).
   */
  readonly change: "delete" | "trust" | "alias" | "key-policy" | "oidc-provider" | "federated-credential";
  readonly message: string;
}

/** The role, alias, key policy and OIDC provider changes of a plan that only an administrator may apply. */
export function trustFindings(plan: { readonly resource_changes?: readonly TrustPlanChange[] }): TrustFinding[] {
  const findings: TrustFinding[] = [];
  const changes = plan.resource_changes ?? [];
  // A new, replaced or removed OIDC provider is a new issuer: the service-account roles' trusts name it.
  const newIssuer = changes.some((c) => c.mode === "managed" && c.type === "aws_iam_openid_connect_provider" && (c.change.actions.includes("create") || c.change.actions.includes("delete")));
  for (const c of changes) {
    if (c.mode !== "managed") continue;
    const actions = c.change.actions;
    if (c.type === "aws_kms_alias") {
      // Its only attribute that updates in place is target_key_id (name and name_prefix force a new alias).
      if (actions.includes("delete")) findings.push({ address: c.address, change: "alias", message: `${c.address} ${actions.includes("create") ? "would be REPLACED (deleted, then created)" : "would be DELETED"}: the CI apply role may not delete an alias (kms:DeleteAlias); the deployment's keys are reached by their aliases` });
      else if (actions.includes("update")) findings.push({ address: c.address, change: "alias", message: `${c.address} would point at another key: the CI apply role may not move an alias (kms:UpdateAlias); the deployment's keys are reached by their aliases` });
      continue;
    }
    if (c.type === "aws_kms_key") {
      // A key created (or replaced) gets its policy in CreateKey; only an update of an existing key's policy calls PutKeyPolicy.
      if (!actions.includes("create") && actions.includes("update") && documentChanges(c.change, "policy")) {
        findings.push({ address: c.address, change: "key-policy", message: `${c.address}: its key policy changes: the CI apply role may not rewrite a key's policy (kms:PutKeyPolicy); a key policy can hand the key to another account` });
      }
      continue;
    }
    if (c.type === "aws_iam_openid_connect_provider") {
      // The apply role tags only an OIDC provider already tagged for the deployment (OIDC_TAG_ON_CREATE): a new one (its
      // tags are authorized as iam:TagOpenIDConnectProvider at creation) or one that does not carry the tag yet.
      const tag = (v: unknown) => (v as { tags_all?: Record<string, string> } | null | undefined)?.tags_all?.[DEPLOYMENT_TAG];
      if (actions.includes("create")) findings.push({ address: c.address, change: "oidc-provider", message: `${c.address} ${actions.includes("delete") ? "would be REPLACED (deleted, then created)" : "would be CREATED"}: the CI apply role may not tag a new OIDC provider (iam:TagOpenIDConnectProvider at creation), which no condition tells from tagging another cluster's provider into the deployment` });
      else if (actions.includes("update") && tag(c.change.before) !== tag(c.change.after)) findings.push({ address: c.address, change: "oidc-provider", message: `${c.address}: its ${DEPLOYMENT_TAG} tag changes: the CI apply role tags only an OIDC provider already tagged for the deployment` });
      continue;
    }
    if (c.type === "azurerm_federated_identity_credential") {
      if (actions.some((a) => a === "create" || a === "update" || a === "delete")) {
        const what = actions.includes("create") && actions.includes("delete") ? "would be REPLACED (deleted, then created)" : actions.includes("create") ? "would be CREATED" : actions.includes("delete") ? "would be DELETED" : "would CHANGE (its issuer, subject or audience)";
        findings.push({ address: c.address, change: "federated-credential", message: `${c.address} ${what}: the CI apply identity may not write a managed identity's federated credentials (federatedIdentityCredentials/write, delete), which decide whose tokens act as that identity` });
      }
      continue;
    }
    if (c.type !== "aws_iam_role") continue;
    if (actions.includes("delete")) {
      const what = actions.includes("create") ? "would be REPLACED (deleted, then created with a new trust)" : "would be DELETED";
      findings.push({ address: c.address, change: "delete", message: `${c.address} ${what}: the CI apply role may not delete a role (iam:DeleteRole)` });
    } else if (actions.includes("update") && trustChanges(c.change, newIssuer)) {
      findings.push({ address: c.address, change: "trust", message: `${c.address}: its trust policy (assume_role_policy) changes: the CI apply role may not change a role's trust (iam:UpdateAssumeRolePolicy)` });
    }
  }
  return findings;
}

/**
 * Whether an update sets a different assume-role policy. The provider plans no update for a policy that is only
 * written differently (the same JSON document), so two documents are compared parsed.
 *
 * A policy not known until apply: the service-account roles' policy documents read the OIDC provider, and terraform
 * defers them to apply whenever the provider has any change pending, a tag included (the real hashicorp/aws 5.100.0
 * plans it so: __tests__/aws/offline-plan.test.ts). It counts as a change when the plan creates, replaces or removes
 * an OIDC provider (a new issuer in the trust); otherwise the issuer stays and the guard lets it through. A trust
 * changed for another reason in such a plan (a renamed service account) is then found by the apply role's deny, at
 * apply time, not here.
 */
function trustChanges(change: TrustPlanChange["change"], newIssuer: boolean): boolean {
  if (unknownAttribute(change, "assume_role_policy")) return newIssuer;
  return !sameDocument(change.before?.assume_role_policy, change.after?.assume_role_policy);
}

/**
 * Whether an update sets a different JSON document in `attribute`. One not known until apply counts as a change: a key
 * policy names the account and the deployment's roles, which a plan that changes nothing else knows.
 */
function documentChanges(change: TrustPlanChange["change"], attribute: string): boolean {
  return unknownAttribute(change, attribute) || !sameDocument(change.before?.[attribute], change.after?.[attribute]);
}

function unknownAttribute(change: TrustPlanChange["change"], attribute: string): boolean {
  const unknown = change.after_unknown;
  return unknown === true || (typeof unknown === "object" && unknown !== null && (unknown as Record<string, unknown>)[attribute] === true);
}

function sameDocument(a: unknown, b: unknown): boolean {
  if (typeof a !== "string" || typeof b !== "string") return a === b;
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    return a === b;
  }
}

/** JSON with object keys sorted (array order kept: IAM reads statements and values as given). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.keys(v as Record<string, unknown>).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** The report for a job log and the refusal's summary: each finding, then how to apply it. */
export function formatTrustFindings(stack: string, configFile: string, findings: readonly TrustFinding[]): string {
  if (findings.length === 0) return "";
  const azure = findings.every((f) => f.change === "federated-credential");
  const why = azure
    ? [
        `  The CI apply identity holds no ${AZURE_ADMIN_ONLY_ACTIONS.value.join(", ")}, so a pipeline never federates the`,
        "  deployment's managed identities to an issuer it controls. Review the change (the first apply and a replaced cluster bring a new issuer), then apply this stack once from a workstation as an",
      ]
    : [
        `  The CI apply role is denied ${[...TRUST_CHANGE_ACTIONS, ...ALIAS_CHANGE_ACTIONS, ...KEY_POLICY_CHANGE_ACTIONS].join(", ")}, so a pipeline never makes`,
        "  a role trust someone else, points the deployment's key grants at another key, nor hands a key to another account. Review the change, then apply this stack once from a workstation as an",
      ];
  return [
    ...findings.map((f) => `  REFUSE ${f.message}`),
    `trust guard: ${stack}: ${findings.length} change${findings.length === 1 ? "" : "s"} only an administrator may apply; nothing was applied.`,
    ...why,
    `  administrator: npm run deploy -- --config ${configFile} --stack cloud. The next workflow run plans no change.`,
  ].join("\n");
}
