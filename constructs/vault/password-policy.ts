import { Construct } from "constructs";
import { PasswordPolicy } from "@cdktf/provider-vault/lib/password-policy";
import { SERVICE_PASSWORD_POLICY, servicePasswordPolicyHcl } from "./service-secrets";

/** Props of ServicePasswordPolicy. */
export interface ServicePasswordPolicyProps {
  /** @default SERVICE_PASSWORD_POLICY ("platform-service") */
  readonly name?: string;
}

/**
 * The password policy every static service secret is generated with (`vault read
 * sys/policies/password/<name>/generate`, by `npm run vault:bootstrap`): the values are made by Vault,
 * inside the customer's network, and written straight to KV; no person or Terraform state sees them.
 * Rules: SERVICE_PASSWORD_RULES (32 alphanumerics, every class present).
 */
export class ServicePasswordPolicy extends Construct {
  readonly resource: PasswordPolicy;

  constructor(scope: Construct, id: string, props: ServicePasswordPolicyProps = {}) {
    super(scope, id);
    this.resource = new PasswordPolicy(this, "Resource", { name: props.name ?? SERVICE_PASSWORD_POLICY, policy: servicePasswordPolicyHcl() });
  }
}
