import { Construct } from "constructs";
import { AthenaWorkgroup as AthenaWorkgroupResource } from "@cdktf/provider-aws/lib/athena-workgroup";

/** Props of {@link AthenaWorkgroup}. */
export interface AthenaWorkgroupProps {
  /** Workgroup name. */
  readonly workgroupName: string;
  /** The bucket query results go to (the platform's data bucket). */
  readonly resultsBucketName: string;
  /**
   * Key prefix of the results in that bucket.
   * @default "athena-results/"
   */
  readonly resultsPrefix?: string;
}

/**
 * The Athena workgroup queries are pushed down to: its configuration is enforced (clients cannot
 * override the result location or encryption) and results are written SSE-S3 encrypted into the data bucket.
 */
export class AthenaWorkgroup extends Construct {
  /** The workgroup. */
  readonly resource: AthenaWorkgroupResource;

  constructor(scope: Construct, id: string, props: AthenaWorkgroupProps) {
    super(scope, id);
    const prefix = props.resultsPrefix ?? "athena-results/";
    if (prefix.startsWith("/") || !prefix.endsWith("/")) {
      throw new Error(`AthenaWorkgroup ${this.node.path}: resultsPrefix must be a key prefix ending in '/', e.g. athena-results/, got ${prefix}`);
    }
    this.resource = new AthenaWorkgroupResource(this, "Resource", {
      name: props.workgroupName,
      state: "ENABLED",
      forceDestroy: false,
      configuration: {
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${props.resultsBucketName}/${prefix}`,
          encryptionConfiguration: { encryptionOption: "SSE_S3" },
        },
      },
    });
  }
}
