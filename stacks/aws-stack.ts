import { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Deployment } from "../config/schema";
import { configureBackend } from "./backend";
import type { PlatformFoundation } from "./platform-foundation";

/** Props of the AWS cloud stack. */
export interface AwsStackProps {
  readonly deployment: Deployment;
}

/** `<name>-aws`: the AWS cloud layer. Fulfils the PlatformFoundation contract. */
export class AwsStack extends TerraformStack {
  readonly foundation!: PlatformFoundation;

  constructor(scope: Construct, id: string, props: AwsStackProps) {
    super(scope, id);
    const d = props.deployment;
    configureBackend(this, id, d.state);
    new AwsProvider(this, "Aws", { region: d.region, defaultTags: [{ tags: { ...d.tags, deployment: d.name } }] });
  }
}
