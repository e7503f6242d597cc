import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";

/** Props of {@link VpcFlowLogs}. */
export interface VpcFlowLogsProps {
  readonly vpcId: string;
  /** Prefix of the log group and role names. */
  readonly name: string;
  /**
   * Days the flow logs are kept.
   * @default 365
   */
  readonly retentionInDays?: number;
  /**
   * Let `terraform destroy` delete the log group and every flow log in it.
   * @default false - lifecycle prevent_destroy
   */
  readonly allowDestroy?: boolean;
}

/**
 * VPC flow logs of ALL traffic (accepted and rejected) to a CloudWatch log group with a retention
 * (protected from destroy unless `allowDestroy`),
 * delivered by a role only the flow-logs service of this account can assume and that may only write
 * to that group.
 */
export class VpcFlowLogs extends Construct {
  /** The flow log. */
  readonly resource: FlowLog;
  /** The log group. */
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: VpcFlowLogsProps) {
    super(scope, id);
    this.logGroup = new CloudwatchLogGroup(this, "LogGroup", {
      name: `/aws/vpc-flow-logs/${props.name}`,
      retentionInDays: props.retentionInDays ?? 365,
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
    const account = new DataAwsCallerIdentity(this, "Account");
    const trust = new DataAwsIamPolicyDocument(this, "TrustPolicy", {
      statement: [
        {
          effect: "Allow",
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["vpc-flow-logs.amazonaws.com"] }],
          // Confused-deputy guard: only deliveries for this account.
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [account.accountId] }],
        },
      ],
    });
    const role = new IamRole(this, "Role", { name: `${props.name}-vpc-flow-logs`, assumeRolePolicy: trust.json });
    const permissions = new DataAwsIamPolicyDocument(this, "PermissionsPolicy", {
      statement: [
        {
          effect: "Allow",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          resources: [this.logGroup.arn, `${this.logGroup.arn}:*`],
        },
      ],
    });
    new IamRolePolicy(this, "Permissions", { name: "write-flow-logs", role: role.name, policy: permissions.json });
    this.resource = new FlowLog(this, "Resource", {
      vpcId: props.vpcId,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: this.logGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
    });
  }
}
