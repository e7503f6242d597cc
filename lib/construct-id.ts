/**
 * Construct ids made from names. Logical ids (and so Terraform resource addresses) are built from these, so
 * their output is a contract: __tests__/lib/construct-id.test.ts pins it, and shows per call site that every
 * input the schema or the catalog admits there gives the id the site produced before this module existed.
 */

/**
 * A PascalCase construct id from a name: the name split at every run of characters other than ASCII letters
 * and digits, each part's first letter upper-cased, the parts joined. "entry-point" -> "EntryPoint",
 * "system" -> "System", "keycloakDb" -> "KeycloakDb", "AmazonEKS_CNI_Policy" -> "AmazonEKSCNIPolicy".
 */
export function idOf(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

/**
 * An id part that keeps free text (an ARN, a CIDR) readable and distinct, case kept: every run of characters
 * other than ASCII letters and digits becomes one "-". "203.0.113.0/24" -> "203-0-113-0-24",
 * "arn:aws:iam::123456789012:role/Admin" -> "arn-aws-iam-123456789012-role-Admin".
 * Used where the id comes from a list value, so that reordering the list moves nothing.
 */
export function idFromText(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, "-");
}
