import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { EksCluster as EksClusterResource } from "@cdktf/provider-aws/lib/eks-cluster";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import type { ControlPlaneAccess } from "../../platform/control-plane-access";
import { ControlPlaneEndpoint } from "./control-plane-endpoint";
import { EncryptionKey } from "./encryption-key";
import { awsManagedPolicyArn, partitionOf } from "./partition";
import { idFromText, idOf } from "../../lib/construct-id";

/** Every EKS control-plane log type. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

/** The Kubernetes version the cluster runs (pinned: upgrades are deliberate). */
export const DEFAULT_KUBERNETES_VERSION = "1.33";

/** The AWS managed policies of the node role (each attachment's id is `NodeRole<idOf(policy)>`). */
export const NODE_ROLE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"] as const;

/** Props of {@link EksCluster}. */
export interface EksClusterProps {
  /** Cluster name (the deployment name). */
  readonly clusterName: string;
  readonly vpcId: string;
  /** The VPC range: source of load balancer traffic to NodePorts. */
  readonly vpcCidr: string;
  /** Private subnets for the control plane's ENIs and the nodes. */
  readonly privateSubnetIds: readonly string[];
  /** Who may reach the API. */
  readonly access: ControlPlaneAccess;
  /** Kubernetes service range. */
  readonly serviceCidr: string;
  /**
   * Kubernetes version.
   * @default DEFAULT_KUBERNETES_VERSION
   */
  readonly version?: string;
  /**
   * IAM roles and users given cluster-admin through access entries (AmazonEKSClusterAdminPolicy), one
   * entry per principal, all managed here. The identity that creates the cluster gets nothing implicitly
   * (`bootstrap_cluster_creator_admin_permissions = false`): list it too, or nobody can reach the API.
   */
  readonly adminPrincipalArns: readonly string[];
  /**
   * IAM roles and users that may read the cluster (AmazonEKSAdminViewPolicy: every object, Secrets
   * included, no write), e.g. the CI plan role, which must refresh the Kubernetes stacks' state.
   * @default []
   */
  readonly viewerPrincipalArns?: readonly string[];
  /**
   * Ports the control plane calls admission webhooks on, on the nodes.
   * @default [8443, 9443]
   */
  readonly webhookPorts?: readonly number[];
  /**
   * Days the control-plane logs are kept.
   * @default 365
   */
  readonly logRetentionInDays?: number;
  /**
   * Let `terraform destroy` remove the cluster and its secrets key.
   * @default false - lifecycle prevent_destroy on both
   */
  readonly allowDestroy?: boolean;
}

/**
 * An EKS cluster: Kubernetes secrets envelope-encrypted with a customer-managed KMS key (rotation on),
 * every control-plane log type to a log group with a retention, private API endpoint (public only per
 * {@link ControlPlaneAccess}), access by IAM access entries (API mode, no aws-auth ConfigMap, no static
 * credentials), an IAM OIDC provider for IRSA, and the node security group: the control plane on 443,
 * 10250 and the webhook ports, NodePorts from the VPC (load balancers), and node-to-node traffic.
 *
 * The OIDC provider has no thumbprint list: IAM no longer uses thumbprints for providers whose
 * certificates chain to a trusted root CA (EKS issuers do), and when none is given IAM retrieves it
 * itself; so no tls provider is needed and the stack stays on the aws provider alone.
 */
export class EksCluster extends Construct {
  /** The cluster. */
  readonly resource: EksClusterResource;
  /** Cluster name (a token, so consumers depend on the cluster). */
  readonly clusterName: string;
  /** The OIDC issuer URL (https://...). */
  readonly oidcIssuerUrl: string;
  /** The IAM OIDC provider for IRSA. */
  readonly oidcProvider: IamOpenidConnectProvider;
  /** The key that envelope-encrypts Kubernetes secrets. */
  readonly secretsKey: EncryptionKey;
  /** Role the nodes run as. */
  readonly nodeRole: IamRole;
  /** The node role's policy attachments (node groups wait for them). */
  readonly nodeRolePolicies: readonly IamRolePolicyAttachment[];
  /** Security group of every node. */
  readonly nodeSecurityGroup: SecurityGroup;
  /** The control plane's additional security group and endpoint settings. */
  readonly endpoint: ControlPlaneEndpoint;

  constructor(scope: Construct, id: string, props: EksClusterProps) {
    super(scope, id);
    const name = props.clusterName;
    const allowDestroy = props.allowDestroy ?? false;

    this.secretsKey = new EncryptionKey(this, "SecretsKey", {
      description: `EKS secrets envelope encryption for ${name}`,
      aliasName: `${name}-eks-secrets`,
      allowDestroy,
    });
    const clusterRole = controlPlaneRole(this, name, this.secretsKey.keyArn);

    // Created before the cluster so the retention is ours, not "never expire".
    const logGroup = new CloudwatchLogGroup(this, "ControlPlaneLogs", {
      name: `/aws/eks/${name}/cluster`,
      retentionInDays: props.logRetentionInDays ?? 365,
      // Deleting the group deletes the audit trail of the control plane in it.
      lifecycle: { preventDestroy: !allowDestroy },
    });

    this.endpoint = new ControlPlaneEndpoint(this, "Endpoint", { vpcId: props.vpcId, access: props.access, name: `${name}-eks-control-plane` });

    this.resource = new EksClusterResource(this, "Resource", {
      name,
      version: props.version ?? DEFAULT_KUBERNETES_VERSION,
      roleArn: clusterRole.role.arn,
      vpcConfig: this.endpoint.vpcConfig(props.privateSubnetIds),
      kubernetesNetworkConfig: { ipFamily: "ipv4", serviceIpv4Cidr: props.serviceCidr },
      encryptionConfig: { resources: ["secrets"], provider: { keyArn: this.secretsKey.keyArn } },
      enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
      // No implicit admin: the creator's entry would be unmanaged, and EKS refuses a second entry for the same
      // principal (ResourceInUseException) when the creator is also listed (EKS_ACCESS_FACTS). Every entry is
      // an EksAccessEntry below. The setting only acts at creation: existing clusters keep theirs (see
      // EKS_ACCESS_FACTS.bootstrapFlagForcesReplacement and the ignore_changes below).
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
      // At the end of standard support EKS upgrades the cluster instead of moving it to billed extended support.
      upgradePolicy: { supportType: "STANDARD" },
      lifecycle: {
        preventDestroy: !allowDestroy,
        // The provider replaces the cluster when this flag changes; it only matters at creation.
        ignoreChanges: ["access_config[0].bootstrap_cluster_creator_admin_permissions"],
      },
      // The cluster role's boundary reaches the secrets key by its alias (kms:ResourceAliases): the alias first.
      dependsOn: [...clusterRole.grants, logGroup, this.secretsKey.alias],
    });
    this.clusterName = this.resource.name;
    this.oidcIssuerUrl = this.resource.identity.get(0).oidc.get(0).issuer;

    this.oidcProvider = new IamOpenidConnectProvider(this, "OidcProvider", {
      url: this.oidcIssuerUrl,
      clientIdList: ["sts.amazonaws.com"],
    });
    accessEntries(this, this.clusterName, props);

    this.nodeRole = new IamRole(this, "NodeRole", {
      name: `${name}-eks-node`,
      assumeRolePolicy: servicePrincipalTrust(this, "NodeTrustPolicy", "ec2.amazonaws.com").json,
    });
    this.nodeRolePolicies = NODE_ROLE_POLICIES.map(
      (policy) => new IamRolePolicyAttachment(this, `NodeRole${idOf(policy)}`, { role: this.nodeRole.name, policyArn: awsManagedPolicyArn(this, policy) }),
    );

    this.nodeSecurityGroup = new SecurityGroup(this, "NodeSecurityGroup", {
      name: `${name}-eks-nodes`,
      description: "EKS nodes: control plane on its ports, NodePorts from the VPC, node-to-node",
      vpcId: props.vpcId,
      revokeRulesOnDelete: true,
      // The in-tree load balancer controller adds LoadBalancer rules to the one group with this tag.
      tags: { Name: `${name}-eks-nodes`, [`kubernetes.io/cluster/${name}`]: "owned" },
    });
    nodeSecurityRules(this, this.nodeSecurityGroup.id, this.endpoint.securityGroup.id, props);
  }
}

/** The control plane's role: EKS's managed policy, and use of the secrets key (and only it) for envelope encryption. */
function controlPlaneRole(scope: Construct, name: string, secretsKeyArn: string): { role: IamRole; grants: ITerraformDependable[] } {
  const role = new IamRole(scope, "ClusterRole", {
    name: `${name}-eks-cluster`,
    assumeRolePolicy: servicePrincipalTrust(scope, "ClusterTrustPolicy", "eks.amazonaws.com").json,
  });
  const clusterPolicy = new IamRolePolicyAttachment(scope, "ClusterPolicy", {
    role: role.name,
    policyArn: awsManagedPolicyArn(scope, "AmazonEKSClusterPolicy"),
  });
  const keyUse = new DataAwsIamPolicyDocument(scope, "SecretsKeyUsePolicy", {
    statement: [
      {
        effect: "Allow",
        actions: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
        resources: [secretsKeyArn],
      },
      {
        effect: "Allow",
        actions: ["kms:CreateGrant"],
        resources: [secretsKeyArn],
        condition: [{ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }],
      },
    ],
  });
  const clusterKeyPolicy = new IamRolePolicy(scope, "ClusterSecretsKeyUse", {
    name: "secrets-encryption",
    role: role.name,
    policy: keyUse.json,
  });
  return { role, grants: [clusterPolicy, clusterKeyPolicy] };
}

/** One access entry per principal: cluster-admin for the admins, read-only (Secrets included) for the viewers. */
function accessEntries(scope: Construct, clusterName: string, props: EksClusterProps): void {
  const access = [
    ...props.adminPrincipalArns.map((arn) => ({ arn, role: "Admin", policy: "AmazonEKSClusterAdminPolicy" })),
    ...(props.viewerPrincipalArns ?? []).map((arn) => ({ arn, role: "Viewer", policy: "AmazonEKSAdminViewPolicy" })),
  ];
  const twice = access.map((a) => a.arn).filter((arn, i, all) => all.indexOf(arn) !== i);
  if (twice.length) {
    throw new Error(`EksCluster ${scope.node.path}: ${[...new Set(twice)].join(", ")} listed twice; EKS holds one access entry per principal (list each once, as admin or as viewer)`);
  }
  for (const { arn: principalArn, role, policy } of access) {
    // Id from the ARN itself: reordering the list changes nothing.
    const entryId = idFromText(principalArn);
    const entry = new EksAccessEntry(scope, `${role}Access-${entryId}`, { clusterName, principalArn, type: "STANDARD" });
    new EksAccessPolicyAssociation(scope, `${role}Policy-${entryId}`, {
      clusterName,
      principalArn: entry.principalArn,
      policyArn: `arn:${partitionOf(scope)}:eks::aws:cluster-access-policy/${policy}`,
      accessScope: { type: "cluster" },
    });
  }
}

/**
 * The node and control-plane security group rules: the control plane reaches the nodes on the kubelet, HTTPS and
 * webhook ports; NodePorts from the VPC (load balancers); node to node; the nodes reach the API on 443.
 */
function nodeSecurityRules(scope: Construct, nodeSg: string, controlPlaneSg: string, props: EksClusterProps): void {
  const controlPlanePorts = [443, 10250, ...(props.webhookPorts ?? [8443, 9443])];
  for (const port of controlPlanePorts) {
    new VpcSecurityGroupIngressRule(scope, `NodeFromControlPlane${port}`, {
      securityGroupId: nodeSg,
      description: `Control plane to nodes on ${port}`,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: controlPlaneSg,
    });
    new VpcSecurityGroupEgressRule(scope, `ControlPlaneToNode${port}`, {
      securityGroupId: controlPlaneSg,
      description: `Control plane to nodes on ${port}`,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: nodeSg,
    });
  }
  new VpcSecurityGroupIngressRule(scope, "NodePortsFromVpc", {
    securityGroupId: nodeSg,
    description: "NodePort services from load balancers in the VPC",
    ipProtocol: "tcp",
    fromPort: 30000,
    toPort: 32767,
    cidrIpv4: props.vpcCidr,
  });
  // Pods on different nodes talk to each other (DNS, services); NetworkPolicies narrow this per pod.
  new VpcSecurityGroupIngressRule(scope, "NodeToNode", {
    securityGroupId: nodeSg,
    description: "Node to node (pod traffic)",
    ipProtocol: "-1",
    referencedSecurityGroupId: nodeSg,
  });
  new VpcSecurityGroupEgressRule(scope, "NodeEgress", {
    securityGroupId: nodeSg,
    description: "Nodes to the VPC endpoints, NAT and the control plane",
    ipProtocol: "-1",
    cidrIpv4: "0.0.0.0/0",
  });
  new VpcSecurityGroupIngressRule(scope, "ControlPlaneFromNodes", {
    securityGroupId: controlPlaneSg,
    description: "Nodes to the Kubernetes API",
    ipProtocol: "tcp",
    fromPort: 443,
    toPort: 443,
    referencedSecurityGroupId: nodeSg,
  });
}

/** A trust policy letting one AWS service assume a role. */
function servicePrincipalTrust(scope: Construct, id: string, service: string): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: [{ effect: "Allow", actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: [service] }] }],
  });
}
