import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { IrsaRole } from "./irsa-role";

/**
 * Facts about shipping container output to CloudWatch Logs on EKS, with their sources:
 * - The `amazon-cloudwatch-observability` EKS add-on installs Fluent Bit, which sends every container's output
 *   (/var/log/containers) to the log group `/aws/containerinsights/<cluster>/application`, creating it only if it
 *   does not exist (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-setup-EKS-addon.html;
 *   repost.aws/knowledge-center/cloudwatch-stream-container-logs-eks, "Fluent Bit creates these log groups").
 * - Its permissions: CloudWatchAgentServerPolicy for the service account `cloudwatch-agent` in `amazon-cloudwatch`
 *   (docs.aws.amazon.com/eks/latest/userguide/amazon-cloudwatch-observability.html, IRSA).
 */
export const CONTAINER_LOGS_FACTS = {
  addonName: "amazon-cloudwatch-observability",
  serviceAccount: { namespace: "amazon-cloudwatch", serviceAccount: "cloudwatch-agent" },
  policy: "CloudWatchAgentServerPolicy",
  applicationLogGroup: (cluster: string) => `/aws/containerinsights/${cluster}/application`,
} as const;

/** Props of {@link ContainerLogs}. */
export interface ContainerLogsProps {
  /** The cluster's name, as written (the log group name must be known before the cluster exists). */
  readonly clusterName: string;
  /** The cluster resource's name (a token: the add-on waits for the cluster). */
  readonly clusterRef: string;
  readonly oidcProviderArn: string;
  readonly oidcIssuerUrl: string;
  /** @default 365 */
  readonly retentionInDays?: number;
  /** Let a plan delete the log group (and the container logs in it). @default false - lifecycle prevent_destroy */
  readonly allowDestroy?: boolean;
  /** The agents run on nodes. @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * Every container's output, Vault's audit device on stdout included, sent to CloudWatch Logs: the CloudWatch
 * Observability add-on (Fluent Bit on every node) with its own IRSA role, writing into a log group created here
 * first, so its retention is ours (default 365 days) and not "never expire".
 */
export class ContainerLogs extends Construct {
  readonly logGroup: CloudwatchLogGroup;
  readonly addon: EksAddon;

  constructor(scope: Construct, id: string, props: ContainerLogsProps) {
    super(scope, id);
    this.logGroup = new CloudwatchLogGroup(this, "Application", {
      name: CONTAINER_LOGS_FACTS.applicationLogGroup(props.clusterName),
      retentionInDays: props.retentionInDays ?? 365,
      lifecycle: { preventDestroy: !(props.allowDestroy ?? false) },
    });
    const role = new IrsaRole(this, "Role", {
      roleName: `${props.clusterName}-container-logs`,
      oidcProviderArn: props.oidcProviderArn,
      oidcIssuerUrl: props.oidcIssuerUrl,
      subjects: [CONTAINER_LOGS_FACTS.serviceAccount],
      awsManagedPolicies: [CONTAINER_LOGS_FACTS.policy],
    });
    this.addon = new EksAddon(this, "Resource", {
      clusterName: props.clusterRef,
      addonName: CONTAINER_LOGS_FACTS.addonName,
      serviceAccountRoleArn: role.roleArn,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "PRESERVE",
      dependsOn: [this.logGroup, ...(props.dependsOn ?? [])],
    });
  }
}
