/**
 * Facts about the cluster's IAM OIDC provider (aws_iam_openid_connect_provider, constructs/aws/eks-cluster.ts) that the
 * apply role's OIDC grants rely on (aws-deploy-policy.ts, oidcProviderGrants): which IAM calls the aws provider makes for
 * it, and which of them IAM can scope to the deployment's own provider by its `deployment: <name>` tag.
 */

const TFAWS = "https://github.com/hashicorp/terraform-provider-aws/blob/v5.100.0/internal/service/iam";

/**
 * The IAM calls hashicorp/aws 5.100.0 makes for aws_iam_openid_connect_provider, by operation. Sources: `${TFAWS}/openid_connect_provider.go`
 * (resourceOpenIDConnectProviderCreate: CreateOpenIDConnectProviderInput{Tags: getTagsIn(ctx)}, the provider's
 * default_tags included, and a separate TagOpenIDConnectProvider only in a partition without tag-on-create;
 * resourceOpenIDConnectProviderRead: GetOpenIDConnectProvider, whose output carries the tags (setTagsOut), so the
 * transparent tagging makes no ListOpenIDConnectProviderTags call, docs/resource-tagging.md "Resource Read Operation";
 * resourceOpenIDConnectProviderUpdate: UpdateOpenIDConnectProviderThumbprint on a thumbprint_list change,
 * AddClientIDToOpenIDConnectProvider / RemoveClientIDFromOpenIDConnectProvider per client id added / removed;
 * resourceOpenIDConnectProviderDelete: DeleteOpenIDConnectProvider) and `${TFAWS}/tags.go` (openIDConnectProviderUpdateTags:
 * UntagOpenIDConnectProvider with the removed keys, then TagOpenIDConnectProvider with the added or changed ones only).
 * The 5.100.0 binary in the plugin mirror carries that code's messages ("adding IAM OIDC Provider (%s) client ID",
 * "setting IAM OIDC Provider (%s) tags", "updating IAM OIDC Provider (%s) thumbprint").
 */
export const OIDC_PROVIDER_CALLS = {
  create: ["iam:CreateOpenIDConnectProvider"],
  read: ["iam:GetOpenIDConnectProvider"],
  update: ["iam:UpdateOpenIDConnectProviderThumbprint", "iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider"],
  tags: ["iam:UntagOpenIDConnectProvider", "iam:TagOpenIDConnectProvider"],
  delete: ["iam:DeleteOpenIDConnectProvider"],
  source: `${TFAWS}/openid_connect_provider.go; ${TFAWS}/tags.go; https://github.com/hashicorp/terraform-provider-aws/blob/v5.100.0/docs/resource-tagging.md`,
} as const;

/**
 * IAM authorizes the tags of a CreateOpenIDConnectProvider request as iam:TagOpenIDConnectProvider too: creating a
 * provider with tags, without that action, fails with "error creating IAM OIDC Provider: AccessDenied: ... not
 * authorized to perform: iam:TagOpenIDConnectProvider on resource: ...:oidc-provider/oidc.eks.<region>.amazonaws.com..."
 * (the aws provider's create call, reported in aws-ia/terraform-aws-eks-blueprints#902; eksctl-io/eksctl#4046 for
 * eksctl's create). IAM has no condition key that tells that tagging from a TagOpenIDConnectProvider call on an existing
 * provider (no iam: counterpart of ec2:CreateAction; the IAM condition keys: Service Authorization Reference), and a new
 * provider has no tags of its own yet. So a grant that let the apply role tag a provider at its creation would let it tag
 * any untagged OIDC provider of the account into the deployment (another team's cluster's), and then change or delete it.
 * The apply role tags only providers already tagged `deployment: <name>`: a new cluster OIDC provider is created by an
 * administrator's apply, as a deployment's first apply and a replaced cluster's new issuer already are (the
 * service-account roles' trusts name it: DenyTrustChanges; scripts/trust-guard.ts).
 */
export const OIDC_TAG_ON_CREATE = {
  authorizedAs: "iam:TagOpenIDConnectProvider",
  source: "https://github.com/aws-ia/terraform-aws-eks-blueprints/issues/902; https://github.com/eksctl-io/eksctl/issues/4046; https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html",
} as const;
