import { Construct } from "constructs";
import { EbsEncryptionByDefault as EbsEncryptionByDefaultResource } from "@cdktf/provider-aws/lib/ebs-encryption-by-default";

/**
 * Turns on EBS encryption by default for the account in the stack's region: every new volume and
 * snapshot copy is encrypted (AES-256, the aws/ebs key), whoever creates it. The promise "all EBS is
 * encrypted" then holds beyond the volumes this program describes.
 */
export class EbsEncryptionByDefault extends Construct {
  /** The regional setting. */
  readonly resource: EbsEncryptionByDefaultResource;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.resource = new EbsEncryptionByDefaultResource(this, "Resource", { enabled: true });
  }
}
