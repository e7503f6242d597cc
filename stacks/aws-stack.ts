import { Construct } from "constructs";
import { Fn, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import type { Deployment } from "../config/schema";
import { configureBackend } from "./backend";
import { WORKLOAD_IDENTITIES, type PlatformFoundation, type WorkloadIdentityBinding } from "./platform-foundation";
import { Network } from "../constructs/aws/network";
import { ControlPlaneAccess } from "../constructs/aws/control-plane-access";
import { EksCluster } from "../constructs/aws/eks-cluster";
import { ManagedNodeGroup } from "../constructs/aws/managed-node-group";
import { EbsCsiDriver } from "../constructs/aws/ebs-csi-driver";
import { ContainerLogs } from "../constructs/aws/container-logs";
import { Policy } from "../policy";
import { EbsEncryptionByDefault } from "../constructs/aws/ebs-encryption-by-default";
import { BucketAccessLogs, EncryptedBucket } from "../constructs/aws/encrypted-bucket";
import { awsCloudEgress } from "../constructs/aws/egress-endpoints";
import { AthenaWorkgroup } from "../constructs/aws/athena-workgroup";
import { VaultUnseal } from "../constructs/aws/vault-unseal";
import { IrsaRole } from "../constructs/aws/irsa-role";

/** Props of the AWS cloud stack. */
export interface AwsStackProps {
  readonly deployment: Deployment;
}

/** The annotation binding a Kubernetes service account to an IAM role (IRSA). */
const IRSA_ANNOTATION = "eks.amazonaws.com/role-arn";

/**
 * `<name>-aws`: the AWS cloud layer. Network, control-plane access, EKS with its node groups and EBS CSI
 * driver, EBS encryption by default, the data and log buckets, the Athena workgroup, Vault's unseal key
 * and the workload identities. Fulfils the PlatformFoundation contract. Uses the aws provider alone, so
 * `npm run validate` checks all of it against the real provider schema offline.
 */
export class AwsStack extends TerraformStack {
  readonly foundation: PlatformFoundation;

  constructor(scope: Construct, id: string, props: AwsStackProps) {
    super(scope, id);
    const d = props.deployment;
    const name = d.name;
    const allowDestroy = d.dataProtection.allowDestroy;
    configureBackend(this, id, d.state);
    new AwsProvider(this, "Aws", { region: d.region, defaultTags: [{ tags: { ...d.tags, deployment: d.name } }] });

    new EbsEncryptionByDefault(this, "EbsEncryptionByDefault");

    const network = new Network(this, "Network", {
      name,
      cidr: d.network.cidr,
      region: d.region,
      adminCidrs: d.controlPlane.adminCidrs,
      entryPointCidrs: d.domain.allowedSourceCidrs,
      singleNatGateway: d.network.singleNatGateway,
    });
    const privateSubnetIds = network.privateSubnets.map((s) => s.id);

    const access = d.controlPlane.publicEndpoint
      ? ControlPlaneAccess.allowFrom(d.controlPlane.adminCidrs)
      : ControlPlaneAccess.privateFrom(d.controlPlane.adminCidrs);
    const cluster = new EksCluster(this, "Cluster", {
      clusterName: name,
      vpcId: network.vpc.id,
      vpcCidr: d.network.cidr,
      privateSubnetIds,
      access,
      serviceCidr: d.network.serviceCidr,
      adminPrincipalArns: d.aws?.adminPrincipalArns ?? [],
      allowDestroy,
    });

    const nodeGroups = d.nodePools.map(
      (pool) =>
        new ManagedNodeGroup(this, `NodeGroup${pool.name[0].toUpperCase()}${pool.name.slice(1)}`, {
          clusterName: cluster.clusterName,
          name,
          poolName: pool.name,
          instanceType: pool.machineType,
          nodeCount: pool.count,
          diskSizeGiB: pool.diskSizeGiB,
          nodeRoleArn: cluster.nodeRole.arn,
          subnetIds: privateSubnetIds,
          securityGroupIds: [cluster.nodeSecurityGroup.id],
          dependsOn: cluster.nodeRolePolicies,
        }),
    );

    const oidc = { oidcProviderArn: cluster.oidcProvider.arn, oidcIssuerUrl: cluster.oidcIssuerUrl };
    new EbsCsiDriver(this, "EbsCsiDriver", {
      clusterName: cluster.clusterName,
      roleName: `${name}-ebs-csi-driver`,
      ...oidc,
      dependsOn: nodeGroups.map((g) => g.resource),
    });
    // Container output (Vault's audit device on stdout among it) leaves the nodes for CloudWatch Logs.
    new ContainerLogs(this, "ContainerLogs", { clusterName: name, clusterRef: cluster.clusterName, ...oidc, dependsOn: nodeGroups.map((g) => g.resource) });

    // Bucket names are global: deployment, role, account and region make them unique and deterministic.
    const account = new DataAwsCallerIdentity(this, "Account");
    const bucketName = (role: string) => `${name}-${role}-${account.accountId}-${d.region}`;
    const logs = new EncryptedBucket(this, "Logs", {
      bucketName: bucketName("logs"),
      accessLogs: BucketAccessLogs.IS_LOG_TARGET,
      allowDestroy,
    });
    Policy.suppress(logs, [{ id: "AWS-5", reason: LOG_BUCKET_ACCESS_REASON }]);
    const data = new EncryptedBucket(this, "Data", {
      bucketName: bucketName("data"),
      accessLogs: BucketAccessLogs.to(logs, "data/"),
      allowDestroy,
    });

    new AthenaWorkgroup(this, "QueryWorkgroup", { workgroupName: `${name}-queries`, resultsBucketName: data.bucketName });

    const unseal = new VaultUnseal(this, "VaultUnseal", { name, ...oidc, subjects: WORKLOAD_IDENTITIES.vault.subjects, allowDestroy });
    const backup = new IrsaRole(this, "BackupRole", {
      roleName: `${name}-backup`,
      ...oidc,
      subjects: WORKLOAD_IDENTITIES.backup.subjects,
      statements: [
        { sid: "ListDataBucket", effect: "Allow", actions: ["s3:ListBucket"], resources: [data.bucketArn] },
        {
          sid: "ReadWriteDataObjects",
          effect: "Allow",
          actions: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
          resources: [`${data.bucketArn}/*`],
        },
      ],
    });

    const irsa = (roleArn: string): WorkloadIdentityBinding => ({ serviceAccountAnnotations: { [IRSA_ANNOTATION]: roleArn }, podLabels: {} });
    this.foundation = {
      cloud: "aws",
      zones: network.zones,
      cluster: {
        name,
        host: cluster.resource.endpoint,
        caCertificatePem: Fn.base64decode(cluster.resource.certificateAuthority.get(0).data),
        exec: {
          apiVersion: "client.authentication.k8s.io/v1beta1",
          command: "aws",
          args: ["eks", "get-token", "--cluster-name", name, "--region", d.region],
        },
        serviceAccountIssuer: cluster.oidcIssuerUrl,
      },
      encryptedStorage: { provisioner: "ebs.csi.aws.com", parameters: { type: "gp3", encrypted: "true" } },
      objectStore: { kind: "s3", dataBucket: data.bucketName, region: d.region },
      workloadIdentities: { vault: irsa(unseal.role.roleArn), backup: irsa(backup.roleArn) },
      vaultSeal: { type: "awskms", config: { region: d.region, kms_key_id: unseal.key.keyId } },
      egress: awsCloudEgress(d.region, network.privateSubnetCidrs),
      loadBalancer: {
        serviceAnnotations: {
          "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
          "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
          "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
          // TLS passes through to the entry point, which terminates it (TLS 1.2+).
          "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp",
        },
      },
    };
  }
}

/**
 * Why the access-log bucket has no server access log of its own (AWS-5): it would have to log into itself,
 * which AWS advises against (every log delivery would be logged again: docs.aws.amazon.com/AmazonS3/latest/
 * userguide/ServerLogs.html, "target bucket"), or into another bucket that then has the same question.
 */
export const LOG_BUCKET_ACCESS_REASON =
  "This bucket receives the data bucket's server access logs; its own cannot go into itself (each delivery would be logged again, an endless loop AWS warns of) " +
  "and a further bucket would need the same again. It is versioned, TLS-only, its policy admits writes only from the S3 logging service of this account, and " +
  "no role of the platform may read it; reads of it are recorded where the account's CloudTrail logs S3 data events (docs/aws.md).";
