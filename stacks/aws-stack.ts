import { Construct } from "constructs";
import { Fn, ref, TerraformStack, Token } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsKmsKey } from "@cdktf/provider-aws/lib/data-aws-kms-key";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import type { AwsDeployment } from "../config/schema";
import { configureBackend } from "./backend";
import { WORKLOAD_IDENTITIES, type LoadBalancerIngress, type PlatformFoundation, type WorkloadIdentityBinding } from "../platform/platform-foundation";
import { Network } from "../constructs/aws/network";
import { ExistingNetwork } from "../constructs/aws/existing-network";
import { EntryPointEndpointService } from "../constructs/aws/entry-point-endpoint-service";
import { EntryPointAliasRecord } from "../constructs/aws/entry-point-alias-record";
import { SERVICES } from "../platform/service-catalog";
import { LOAD_BALANCER_SCHEME_ANNOTATIONS, LOAD_BALANCER_SUBNETS_ANNOTATION } from "../constructs/aws/load-balancer-facts";
import { ControlPlaneAccess } from "../platform/control-plane-access";
import { EksCluster } from "../constructs/aws/eks-cluster";
import { ManagedNodeGroup } from "../constructs/aws/managed-node-group";
import { EbsCsiDriver } from "../constructs/aws/ebs-csi-driver";
import { ContainerLogs } from "../constructs/aws/container-logs";
import { BucketAccessLogs, EncryptedBucket } from "../constructs/aws/encrypted-bucket";
import { awsCloudEgress } from "../constructs/aws/egress-endpoints";
import { VaultUnseal } from "../constructs/aws/vault-unseal";
import { IrsaRole } from "../constructs/aws/irsa-role";
import { Policy } from "../policy";
import { VpcCni } from "../constructs/aws/vpc-cni";
import { EBS_FACTS, ELASTICSEARCH_S3_REPOSITORY_ACTIONS } from "../constructs/aws/eks-facts";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { BucketEncryption } from "../constructs/aws/encrypted-bucket";
import { EncryptionKey } from "../constructs/aws/encryption-key";
import { EntryPointAddress, NLB_FACTS } from "../constructs/aws/entry-point-address";
import { partitionOf } from "../constructs/aws/partition";
import { boundRoles } from "../constructs/aws/role-boundary";
import { ebsKeyUse, keyAdministration, keyUseThrough, logsKeyUse, s3KeyUse, type KeyScope } from "../constructs/aws/service-key-policies";
import { idOf } from "../lib/construct-id";

/** Props of the AWS cloud stack. */
export interface AwsStackProps {
  readonly deployment: AwsDeployment;
}

/** The annotation binding a Kubernetes service account to an IAM role (IRSA). */
const IRSA_ANNOTATION = "eks.amazonaws.com/role-arn";

/**
 * The address of the account-wide `aws_ebs_encryption_by_default` this stack managed until it was left to
 * the account's baseline: a `removed` block forgets it without turning the setting off (EBS_FACTS).
 */
export const RETIRED_EBS_ENCRYPTION_BY_DEFAULT = "aws_ebs_encryption_by_default.EbsEncryptionByDefault_49CA412D";

/**
 * `<name>-aws`: the AWS cloud layer. Network, control-plane access, EKS with the VPC CNI (NetworkPolicy
 * enforced), its node groups and EBS CSI driver, the data and log buckets, Vault's unseal key and the
 * workload identities. Fulfils the PlatformFoundation contract. Uses the aws provider alone, so
 * `npm run validate` checks all of it against the real provider schema offline, and the offline plan test
 * shows what a change replaces.
 *
 * Account-wide settings belong to the account, not to one deployment: EBS encryption by default is checked
 * by preflight, never managed here (destroying one deployment would turn it off for every other one).
 * Every volume of the deployment names the AWS managed `aws/ebs` key itself, so a customer-managed default
 * key never applies to it.
 */
export class AwsStack extends TerraformStack {
  readonly foundation: PlatformFoundation;

  constructor(scope: Construct, id: string, props: AwsStackProps) {
    super(scope, id);
    const d = props.deployment;
    const name = d.name;
    const allowDestroy = d.dataProtection.allowDestroy;
    configureBackend(this, id, d.state);
    // allowed_account_ids: terraform refuses to plan or apply with credentials of any other account.
    new AwsProvider(this, "Aws", {
      region: d.region,
      allowedAccountIds: d.aws.accountId ? [d.aws.accountId] : undefined,
      defaultTags: [{ tags: { ...d.tags, deployment: d.name } }],
    });

    // Forget, never destroy, the regional setting earlier versions managed.
    this.addOverride("removed", [{ from: RETIRED_EBS_ENCRYPTION_BY_DEFAULT, lifecycle: { destroy: false } }]);
    const keys = accountKeys(this, d);
    // DescribeKey on the alias creates the AWS managed key in a region where no volume used it yet.
    const volumeKeyArn = keys.customerManaged
      ? keys.customerKey("VolumeKey", "EBS volumes (nodes and StorageClass)", "volumes", ebsKeyUse(keys.scope())).keyArn
      : new DataAwsKmsKey(this, "EbsAwsManagedKey", { keyId: EBS_FACTS.describeKeyCreatesAwsManagedKey.value }).arn;

    const network = awsNetwork(this, d);
    const cluster = eksCluster(this, d, network.privateSubnets.map((s) => s.id), network.vpc.id, volumeKeyArn);
    const oidc = { oidcProviderArn: cluster.oidcProvider.arn, oidcIssuerUrl: cluster.oidcIssuerUrl };

    const data = buckets(this, d, keys);
    const unseal = new VaultUnseal(this, "VaultUnseal", { name, ...oidc, subjects: WORKLOAD_IDENTITIES.vault.subjects, allowDestroy });
    const backup = new IrsaRole(this, "BackupRole", {
      roleName: `${name}-backup`,
      ...oidc,
      subjects: WORKLOAD_IDENTITIES.backup.subjects,
      // What the backup writers do with the data bucket: Elasticsearch's snapshot repository (which also
      // deletes superseded blobs) needs the most, the rclone uploaders a subset.
      statements: [
        { sid: "ListDataBucket", effect: "Allow", actions: [...ELASTICSEARCH_S3_REPOSITORY_ACTIONS.value.bucket], resources: [data.bucketArn] },
        { sid: "ReadWriteDataObjects", effect: "Allow", actions: [...ELASTICSEARCH_S3_REPOSITORY_ACTIONS.value.objects], resources: [`${data.bucketArn}/*`] },
        // Under the data key (customer-managed keys), S3 uses it for the objects the writers put and read.
        ...(data.encryption.kmsKeyArn ? keyUseThrough("s3", d.region, data.encryption.kmsKeyArn) : []),
      ],
    });
    if (keys.customerManaged) encryptLogGroups(this, keys);
    const loadBalancer = entryPoint(this, d, network);
    // A bootstrapped deployment (S3 state: the bootstrap created its CI roles and the roles' boundaries) keeps every
    // role under its boundary, the only way its apply role may create or change a role.
    if (d.state.backend === "s3") boundRoles(this, partitionOf(this), d.aws.accountId ?? keys.accountId());

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
      // The key is named: the account's default EBS key (possibly customer-managed, without a grant for the
      // CSI driver's role) never applies.
      encryptedStorage: { provisioner: "ebs.csi.aws.com", parameters: { type: "gp3", encrypted: "true", [EBS_FACTS.csiKmsKeyParameter.value]: volumeKeyArn } },
      objectStore: { kind: "s3", dataBucket: data.bucketName, region: d.region },
      workloadIdentities: { vault: irsa(unseal.role.roleArn), backup: irsa(backup.roleArn) },
      vaultSeal: { type: "awskms", config: { region: d.region, kms_key_id: unseal.key.keyId } },
      // Where the interface endpoints answer: the private subnets, or where an existing VPC has its endpoints.
      egress: awsCloudEgress(d.region, d.aws.existingNetwork?.endpointCidrs ?? network.privateSubnetCidrs, d.network.serviceCidr, network.privateSubnetCidrs),
      loadBalancer,
      podNetwork: {
        // The VPC CNI gives pods addresses from the VPC's subnets (not network.podCidr).
        clusterCidrs: [d.network.cidr, d.network.serviceCidr],
        // IRSA: tokens are projected by the kubelet; STS is an HTTPS endpoint (above). Nothing else.
        workloadIdentityEgress: [],
      },
    };
  }
}

/**
 * The account's identity and its customer-managed keys (opt-in, encryption.keys): the account's own KMS keys, one
 * per kind of data, each with the key policy its service documents (service-key-policies.ts). Default: the AWS
 * managed keys. The caller identity (`Account`) is created where first needed, so the default deployment's output
 * keeps its order; each key (`<id>`, `<id>Policy`) is created in the stack's scope.
 */
interface AccountKeys {
  /** encryption.keys is customer-managed. */
  readonly customerManaged: boolean;
  accountId(): string;
  /** Partition, account and region, as the key policies name them. */
  scope(): KeyScope;
  /** A customer-managed key with its service's key-use statements. */
  customerKey(id: string, what: string, alias: string, statements: DataAwsIamPolicyDocumentStatement[]): EncryptionKey;
}

function accountKeys(stack: TerraformStack, d: AwsDeployment): AccountKeys {
  let account: DataAwsCallerIdentity | undefined;
  const accountId = () => (account ??= new DataAwsCallerIdentity(stack, "Account")).accountId;
  const keyScope = (): KeyScope => ({ partition: partitionOf(stack), account: accountId(), region: d.region });
  return {
    customerManaged: d.encryption?.keys === "customer-managed",
    accountId,
    scope: keyScope,
    customerKey: (id, what, alias, statements) =>
      new EncryptionKey(stack, id, {
        description: `${what} of ${d.name}`,
        aliasName: `${d.name}-${alias}`,
        allowDestroy: d.dataProtection.allowDestroy,
        policy: new DataAwsIamPolicyDocument(stack, `${id}Policy`, { statement: [keyAdministration(keyScope()), ...statements] }).json,
      }),
  };
}

/** The network (`Network`): the VPC this stack creates, or an existing one, read and checked, never managed (docs/deployment-guide.md, Existing network). */
function awsNetwork(scope: Construct, d: AwsDeployment): Network | ExistingNetwork {
  const existing = d.aws.existingNetwork;
  const allowDestroy = d.dataProtection.allowDestroy;
  return existing
    ? new ExistingNetwork(scope, "Network", {
        name: d.name,
        vpcId: existing.vpcId,
        cidr: d.network.cidr,
        region: d.region,
        privateSubnets: existing.privateSubnets,
        ...(d.domain.privateLink && existing.loadBalancerSubnets ? { loadBalancerSubnets: existing.loadBalancerSubnets } : {}),
        publicLoadBalancer: d.domain.access !== "internal",
        allowDestroy,
      })
    : new Network(scope, "Network", {
        name: d.name,
        cidr: d.network.cidr,
        region: d.region,
        adminCidrs: d.controlPlane.adminCidrs,
        entryPointCidrs: d.domain.allowedSourceCidrs,
        singleNatGateway: d.network.singleNatGateway,
        allowDestroy,
      });
}

/**
 * The EKS cluster (`Cluster`) with the VPC CNI (NetworkPolicy enforced on every node from its first boot), the node
 * groups, the EBS CSI driver and container logs to CloudWatch (Vault's audit device on stdout among them).
 */
function eksCluster(scope: Construct, d: AwsDeployment, privateSubnetIds: string[], vpcId: string, volumeKeyArn: string): EksCluster {
  const name = d.name;
  const allowDestroy = d.dataProtection.allowDestroy;
  const cluster = new EksCluster(scope, "Cluster", {
    clusterName: name,
    vpcId,
    vpcCidr: d.network.cidr,
    privateSubnetIds,
    access: ControlPlaneAccess.of(d.controlPlane),
    serviceCidr: d.network.serviceCidr,
    adminPrincipalArns: d.aws.adminPrincipalArns ?? [],
    viewerPrincipalArns: d.aws.viewerPrincipalArns ?? [],
    version: d.controlPlane.kubernetesVersion,
    allowDestroy,
  });
  Policy.suppress(cluster.resource, [
    {
      id: "AWS-10",
      reason:
        "EBS encryption by default is one setting per account and region (EBS_FACTS.encryptionByDefaultIsRegional): a deployment that " +
        "managed it would turn it off for every other deployment in the region when destroyed. It is left to the account's baseline and " +
        "checked by `npm run preflight` (aws ec2 get-ebs-encryption-by-default); every volume of this deployment is encrypted explicitly " +
        "(launch template and StorageClass, with the aws/ebs key named).",
    },
  ]);
  const cni = new VpcCni(scope, "VpcCni", { clusterName: cluster.clusterName });
  const nodeGroups = d.nodePools.map(
    (pool) =>
      new ManagedNodeGroup(scope, `NodeGroup${idOf(pool.name)}`, {
        clusterName: cluster.clusterName,
        name,
        poolName: pool.name,
        instanceType: pool.machineType,
        nodeCount: pool.count,
        diskSizeGiB: pool.diskSizeGiB,
        volumeKmsKeyArn: volumeKeyArn,
        // Nodes follow the control plane unless the pool pins its own version (upgrades: control plane first).
        kubernetesVersion: pool.kubernetesVersion ?? d.controlPlane.kubernetesVersion,
        nodeRoleArn: cluster.nodeRole.arn,
        subnetIds: privateSubnetIds,
        securityGroupIds: [cluster.nodeSecurityGroup.id],
        dependsOn: [...cluster.nodeRolePolicies, cni.resource],
      }),
  );
  const oidc = { oidcProviderArn: cluster.oidcProvider.arn, oidcIssuerUrl: cluster.oidcIssuerUrl };
  const afterNodes = nodeGroups.map((g) => g.resource);
  new EbsCsiDriver(scope, "EbsCsiDriver", { clusterName: cluster.clusterName, roleName: `${name}-ebs-csi-driver`, volumeKeyArn, region: d.region, ...oidc, dependsOn: afterNodes });
  new ContainerLogs(scope, "ContainerLogs", { clusterName: name, clusterRef: cluster.clusterName, ...oidc, allowDestroy, dependsOn: afterNodes });
  return cluster;
}

/**
 * The log bucket (`Logs`, SSE-S3 whatever the key choice: S3 delivers access logs only there,
 * ACCESS_LOG_TARGET_NEEDS_SSE_S3) and the data bucket (`Data`, under the data key when keys are customer-managed),
 * whose access logs go to the first. Bucket names are global: deployment, role, account and region make them
 * unique and deterministic. Returns the data bucket.
 */
function buckets(scope: Construct, d: AwsDeployment, keys: AccountKeys): EncryptedBucket {
  const allowDestroy = d.dataProtection.allowDestroy;
  const bucketName = (role: string) => `${d.name}-${role}-${keys.accountId()}-${d.region}`;
  const logs = new EncryptedBucket(scope, "Logs", { bucketName: bucketName("logs"), accessLogs: BucketAccessLogs.IS_LOG_TARGET, allowDestroy });
  Policy.suppress(logs, [{ id: "AWS-5", reason: LOG_BUCKET_ACCESS_REASON }]);
  const dataBucketArn = () => `arn:${keys.scope().partition}:s3:::${bucketName("data")}`;
  return new EncryptedBucket(scope, "Data", {
    bucketName: bucketName("data"),
    accessLogs: BucketAccessLogs.to(logs, "data/"),
    ...(keys.customerManaged ? { encryption: BucketEncryption.kms(keys.customerKey("DataKey", "the data bucket", "data", [s3KeyUse(keys.scope(), [dataBucketArn()])]).keyArn) } : {}),
    allowDestroy,
  });
}

/** Every log group of the stack (control plane, flow logs) under one logs key (`LogsKey`) that names exactly them. */
function encryptLogGroups(stack: TerraformStack, keys: AccountKeys): void {
  const groups = stack.node.findAll().filter((c): c is CloudwatchLogGroup => c instanceof CloudwatchLogGroup);
  const logsKey = keys.customerKey("LogsKey", "CloudWatch log groups", "logs", [logsKeyUse(keys.scope(), groups.map((g) => g.nameInput as string))]);
  for (const g of groups) g.kmsKeyId = logsKey.keyArn;
}

/**
 * The entry point's NLB: its Service annotations, static addresses and the DNS record when the config names a
 * Route 53 zone (`EntryPointAddress`), the customer's ACM certificate on the NLB's TLS listener (re-encrypting to
 * the entry point, which keeps its Vault-issued certificate; the certificate's private key stays in ACM), and the
 * PrivateLink endpoint service users' VPCs reach an internal entry point through (`EntryPointEndpointService`;
 * docs/deployment-guide.md, Private access).
 */
function entryPoint(scope: Construct, d: AwsDeployment, network: Network | ExistingNetwork): PlatformFoundation["loadBalancer"] {
  const internal = d.domain.access === "internal";
  const zone = d.domain.dnsZone?.provider === "route53" ? d.domain.dnsZone : undefined;
  // Elastic IPs only in the public subnets this stack created; an internal NLB, or one in an existing network's
  // subnets, gets an alias record in the platform stack, from the Service's status (EntryPointAliasRecord).
  const address = zone && network instanceof Network && !internal
    ? new EntryPointAddress(scope, "EntryPointAddress", { name: d.name, subnetCount: network.publicSubnets.length, hostedZoneId: zone.hostedZoneId, recordName: d.domain.name })
    : undefined;
  // An internal entry point's record holds private addresses: its zone must be private (checked at plan).
  if (zone && internal) privateZone(scope, zone.hostedZoneId);
  const addressRecord = zone && !address
    ? (recordScope: Construct, ingress: LoadBalancerIngress) =>
        new EntryPointAliasRecord(recordScope, "EntryPointRecord", {
          region: d.region,
          allowedAccountId: d.aws.accountId,
          defaultTags: { ...d.tags, deployment: d.name },
          hostedZoneId: zone.hostedZoneId,
          recordName: d.domain.name,
          loadBalancerHostname: ingress.hostname,
        })
    : undefined;
  const cert = d.domain.certificate.source === "aws-acm" ? d.domain.certificate : undefined;
  const tlsAtLoadBalancer: Record<string, string> = cert
    ? { [NLB_FACTS.sslCert]: cert.certificateArn, [NLB_FACTS.sslPorts]: "443", [NLB_FACTS.sslNegotiationPolicy]: NLB_FACTS.tls12Policy, [NLB_FACTS.backendProtocol]: "ssl" }
    : {};
  // Users' VPCs reach the internal entry point through PrivateLink (docs/deployment-guide.md, Private access).
  // Their connections arrive from the NLB's own addresses (PRIVATELINK_SOURCE_IS_NLB_ADDRESS): the NLB sits in
  // subnets where no pod takes an address (the created network's public subnets, which hold no node; an existing
  // network's loadBalancerSubnets), named on the Service, and the entry point admits exactly those ranges. Only with
  // PrivateLink: other connections keep the client's own address (the controller registers instance targets,
  // aws_loadbalancer.go TargetTypeEnumInstance, client IP preserved), which moving the NLB would not change.
  const existing = d.aws.existingNetwork;
  const separator = LOAD_BALANCER_SUBNETS_ANNOTATION.value.separator;
  const loadBalancerSubnets = !d.domain.privateLink
    ? undefined
    : network instanceof Network
      ? { ids: Fn.join(separator, network.publicSubnets.map((s) => s.id)), cidrs: network.publicSubnetCidrs }
      : { ids: (existing?.loadBalancerSubnets ?? []).map((s) => s.id).join(separator), cidrs: (existing?.loadBalancerSubnets ?? []).map((s) => s.cidr) };
  if (d.domain.privateLink) {
    new EntryPointEndpointService(scope, "EntryPointEndpointService", {
      clusterName: d.name,
      serviceNamespace: SERVICES.entryPoint.namespace,
      serviceName: SERVICES.entryPoint.name,
      allowedPrincipals: d.domain.privateLink.allowedConsumers,
    });
  }
  return {
    serviceAnnotations: {
      "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
      // Internal: a private address in the private subnets only (with PrivateLink: in the load balancer subnets, named
      // below); users come through their networks (PrivateLink, peering).
      ...LOAD_BALANCER_SCHEME_ANNOTATIONS.value[internal ? "internal" : "public"],
      "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
      // TLS passes through to the entry point, which terminates it (TLS 1.2+).
      "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp",
      ...address?.serviceAnnotations,
      ...tlsAtLoadBalancer,
      ...(loadBalancerSubnets ? { [LOAD_BALANCER_SUBNETS_ANNOTATION.value.name]: loadBalancerSubnets.ids } : {}),
    },
    ...(addressRecord ? { addressRecord } : {}),
    ...(loadBalancerSubnets ? { ownSourceCidrs: loadBalancerSubnets.cidrs } : {}),
  };
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

/**
 * The Route 53 zone of an internal entry point, read at plan: a private hosted zone, or the plan fails naming the
 * field. A public zone would publish the internal NLB's addresses to the internet and answer users who cannot reach
 * them (`private_zone`: hashicorp/terraform-provider-aws internal/service/route53/zone_data_source.go, from
 * GetHostedZone's Config.PrivateZone). Read in the cloud stack, which is applied before the record exists.
 */
function privateZone(scope: Construct, hostedZoneId: string): DataAwsRoute53Zone {
  return new DataAwsRoute53Zone(scope, "EntryPointZone", {
    zoneId: hostedZoneId,
    lifecycle: {
      postcondition: [
        {
          condition: Token.asAny(ref("self.private_zone")),
          errorMessage:
            `domain.dnsZone.hostedZoneId ${hostedZoneId} is a public hosted zone: an internal entry point's record holds private addresses, which a public zone would publish ` +
            "to the internet; name a private hosted zone associated with the users' VPCs, or set domain.access: public",
        },
      ],
    },
  });
}
