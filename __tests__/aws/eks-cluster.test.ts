import { amiTypeFor } from "../../constructs/aws/managed-node-group";
import { EBS_FACTS, EKS_ACCESS_FACTS, EKS_NODE_GROUP_FACTS, EKS_UPGRADE_POLICY_FACTS, VPC_CNI_NETWORK_POLICY_FACTS } from "../../constructs/aws/eks-facts";
import { DEFAULT_DEPLOYMENT } from "../../config/default";
import { at, blocks, ref, synthAws, type Block, type TfJson } from "../support/helpers";
import { nonEmpty } from "../support/non-empty";

let json: TfJson;
let cluster: Block & { logicalId: string };
beforeAll(() => {
  json = synthAws().json;
  cluster = at(json, "aws_eks_cluster", "Cluster/Resource");
});

describe("cluster", () => {
  test("pins the Kubernetes version", () => {
    expect(cluster.version).toBe("1.33");
  });

  test("envelope-encrypts secrets with a customer-managed key that rotates, 30-day deletion window", () => {
    const key = at(json, "aws_kms_key", "Cluster/SecretsKey/Resource");
    expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30, is_enabled: true, lifecycle: { prevent_destroy: true } });
    expect(cluster.encryption_config).toEqual({ resources: ["secrets"], provider: { key_arn: ref("aws_kms_key", key, "arn") } });
  });

  test("sends every control-plane log type to a log group with a retention", () => {
    expect(cluster.enabled_cluster_log_types).toEqual(["api", "audit", "authenticator", "controllerManager", "scheduler"]);
    expect(at(json, "aws_cloudwatch_log_group", "Cluster/ControlPlaneLogs")).toMatchObject({ name: "/aws/eks/demo/cluster", retention_in_days: 365, lifecycle: { prevent_destroy: true } });
  });

  test("IAM access entries only (API mode), nobody implicit: the creator is not bootstrapped (EKS_ACCESS_FACTS)", () => {
    expect(EKS_ACCESS_FACTS.bootstrapCreatesCreatorEntry.value).toBe(true);
    expect(cluster.access_config).toEqual({ authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: false });
    // The flag replaces a cluster when it changes (EKS_ACCESS_FACTS.bootstrapFlagForcesReplacement): existing clusters keep theirs.
    expect(cluster.lifecycle).toMatchObject({ ignore_changes: ["access_config[0].bootstrap_cluster_creator_admin_permissions"] });
  });

  test("every admin (the creator among them) and every viewer is one managed access entry, one per principal", () => {
    const admins = DEFAULT_DEPLOYMENT.aws!.adminPrincipalArns!;
    const entries = Object.values(blocks(json, "aws_eks_access_entry"));
    expect(entries).toEqual(admins.map((arn) => expect.objectContaining({ principal_arn: arn, type: "STANDARD" })));
    const arns = entries.map((e) => e.principal_arn);
    expect(new Set(arns).size).toBe(arns.length);
    for (const arn of arns) expect(arn).toMatch(EKS_ACCESS_FACTS.principalIsRoleOrUser.value);
    const viewer = "arn:aws:iam::123456789012:role/ci-plan";
    const both = synthAws({ aws: { adminPrincipalArns: [...admins], viewerPrincipalArns: [viewer] } }).json;
    const policies = Object.values(blocks(both, "aws_eks_access_policy_association")).map((a) => [a.principal_arn, String(a.policy_arn).split("/").pop(), a.access_scope]);
    expect(policies).toHaveLength(2);
    expect(JSON.stringify(policies)).toContain("AmazonEKSClusterAdminPolicy");
    expect(JSON.stringify(policies)).toContain("AmazonEKSAdminViewPolicy");
    for (const a of nonEmpty(Object.values(blocks(both, "aws_eks_access_policy_association")), "access policy association")) expect(a.access_scope).toEqual({ type: "cluster" });
  });

  test("upgrade policy STANDARD: no silent slide into billed extended support (EKS_UPGRADE_POLICY_FACTS)", () => {
    expect(EKS_UPGRADE_POLICY_FACTS.apiDefault.value).toBe("EXTENDED");
    expect(cluster.upgrade_policy).toEqual({ support_type: EKS_UPGRADE_POLICY_FACTS.standardAutoUpgrades.value });
  });

  test("IRSA: an OIDC provider for the cluster's issuer, audience STS, no thumbprint (no tls provider)", () => {
    const oidc = at(json, "aws_iam_openid_connect_provider", "Cluster/OidcProvider");
    expect(oidc).toMatchObject({ url: `\${aws_eks_cluster.${cluster.logicalId}.identity[0].oidc[0].issuer}`, client_id_list: ["sts.amazonaws.com"] });
    expect(oidc).not.toHaveProperty("thumbprint_list");
    expect(Object.keys(json.terraform.required_providers as object)).toEqual(["aws"]);
  });

  test("runs in the private subnets", () => {
    const privateIds = ["A", "B", "C"].map((z) => ref("aws_subnet", at(json, "aws_subnet", `Network/Private${z}`), "id"));
    expect(cluster.vpc_config).toMatchObject({ subnet_ids: privateIds });
  });

  test("prevent_destroy on cluster and keys by default; allowDestroy lifts it", () => {
    expect(cluster.lifecycle).toMatchObject({ prevent_destroy: true });
    const open = synthAws({ dataProtection: { allowDestroy: true } }).json;
    expect(at(open, "aws_eks_cluster", "Cluster/Resource").lifecycle).toMatchObject({ prevent_destroy: false });
    for (const key of nonEmpty(Object.values(blocks(open, "aws_kms_key")), "KMS key")) expect(key.lifecycle).toEqual({ prevent_destroy: false });
    for (const b of nonEmpty(Object.values(blocks(open, "aws_s3_bucket")), "bucket")) expect(b).toMatchObject({ force_destroy: false, lifecycle: { prevent_destroy: false } });
    for (const key of nonEmpty(Object.values(blocks(json, "aws_kms_key")), "KMS key")) expect(key.lifecycle).toEqual({ prevent_destroy: true });
  });
});

describe("managed node groups", () => {
  test("one per node pool, in the private subnets, from a launch template", () => {
    const two = synthAws({
      nodePools: [
        { name: "general", count: 3, machineType: "m6i.xlarge" },
        { name: "data", count: 4, machineType: "r7g.2xlarge", diskSizeGiB: 250 },
      ],
    }).json;
    const groups = Object.values(blocks(two, "aws_eks_node_group"));
    // A prefix and create_before_destroy: a replacement creates the new group before the old one goes.
    expect(groups.map((g) => g.node_group_name_prefix).sort()).toEqual(["demo-data-", "demo-general-"]);
    for (const g of groups) {
      expect(g).not.toHaveProperty("node_group_name");
      expect(g.lifecycle).toEqual({ create_before_destroy: true });
      const { suffix, maxName } = EKS_NODE_GROUP_FACTS.prefixSuffixLength.value;
      expect(String(g.node_group_name_prefix).length + suffix).toBeLessThanOrEqual(maxName);
    }
    // The longest names the config allows still fit.
    expect("a".repeat(20).length + 1 + "b".repeat(12).length + 1 + EKS_NODE_GROUP_FACTS.prefixSuffixLength.value.suffix).toBeLessThanOrEqual(63);
    const data = at(two, "aws_eks_node_group", "NodeGroupData/Resource");
    const privateIds = ["A", "B", "C"].map((z) => ref("aws_subnet", at(two, "aws_subnet", `Network/Private${z}`), "id"));
    expect(data).toMatchObject({
      subnet_ids: privateIds,
      instance_types: ["r7g.2xlarge"],
      ami_type: "AL2023_ARM_64_STANDARD",
      scaling_config: { desired_size: 4, min_size: 4, max_size: 4 },
    });
    expect(data).not.toHaveProperty("remote_access");
    const lt = at(two, "aws_launch_template", "NodeGroupData/LaunchTemplate");
    expect(data.launch_template).toEqual({ id: ref("aws_launch_template", lt, "id"), version: ref("aws_launch_template", lt, "latest_version") });
    expect(lt.block_device_mappings).toEqual([expect.objectContaining({ ebs: expect.objectContaining({ volume_size: 250 }) })]);
  });

  test("launch template: IMDSv2 required, hop limit 1, encrypted gp3 root volume, no SSH key, node security group", () => {
    const lt = at(json, "aws_launch_template", "NodeGroupGeneral/LaunchTemplate");
    expect(lt.metadata_options).toMatchObject({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 });
    expect(lt.block_device_mappings).toEqual([
      {
        device_name: "/dev/xvda",
        // The AWS managed key is named: a customer-managed account default key never applies (EBS_FACTS).
        ebs: { volume_size: 100, volume_type: "gp3", encrypted: "true", kms_key_id: "${data.aws_kms_key.EbsAwsManagedKey.arn}", delete_on_termination: "true" },
      },
    ]);
    expect(blocks(json, "aws_kms_key", "data").EbsAwsManagedKey).toEqual({ key_id: EBS_FACTS.describeKeyCreatesAwsManagedKey.value });
    expect(lt).not.toHaveProperty("key_name");
    expect(lt).not.toHaveProperty("network_interfaces");
    expect(lt.vpc_security_group_ids).toEqual([ref("aws_security_group", at(json, "aws_security_group", "Cluster/NodeSecurityGroup"), "id")]);
  });

  test("AMI type follows the architecture", () => {
    expect(amiTypeFor("m6i.xlarge")).toBe("AL2023_x86_64_STANDARD");
    expect(amiTypeFor("m7g.xlarge")).toBe("AL2023_ARM_64_STANDARD");
    expect(amiTypeFor("c6gn.large")).toBe("AL2023_ARM_64_STANDARD");
    expect(amiTypeFor("g5.xlarge")).toBe("AL2023_x86_64_STANDARD");
  });
});

describe("node security group", () => {
  test("admits only the control plane on 443, 10250 and webhook ports, NodePorts from the VPC, and other nodes", () => {
    const nodeSg = ref("aws_security_group", at(json, "aws_security_group", "Cluster/NodeSecurityGroup"), "id");
    const cpSg = ref("aws_security_group", at(json, "aws_security_group", "Cluster/Endpoint/Resource"), "id");
    const rules = Object.values(blocks(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === nodeSg);
    const fromControlPlane = rules.filter((r) => r.referenced_security_group_id === cpSg).map((r) => [r.ip_protocol, r.from_port, r.to_port]);
    expect(fromControlPlane.sort()).toEqual([["tcp", 10250, 10250], ["tcp", 443, 443], ["tcp", 8443, 8443], ["tcp", 9443, 9443]]);
    expect(rules.filter((r) => r.cidr_ipv4 !== undefined)).toEqual([
      expect.objectContaining({ ip_protocol: "tcp", from_port: 30000, to_port: 32767, cidr_ipv4: "10.40.0.0/16" }),
    ]);
    expect(rules.filter((r) => r.referenced_security_group_id === nodeSg)).toHaveLength(1);
    expect(rules).toHaveLength(6);
  });

  test("is the one group tagged for the in-tree load balancer controller", () => {
    const tagged = Object.values(blocks(json, "aws_security_group")).filter((g) => (g.tags as Record<string, string>)["kubernetes.io/cluster/demo"] === "owned");
    expect(tagged).toHaveLength(1);
    expect(tagged[0].name).toBe("demo-eks-nodes");
  });
});

describe("EBS", () => {
  test("the account-wide EBS encryption by default is not this deployment's (EBS_FACTS): not managed, checked by preflight", () => {
    expect(EBS_FACTS.encryptionByDefaultIsRegional.value).toBe(true);
    expect(blocks(json, "aws_ebs_encryption_by_default")).toEqual({});
  });

  test("EBS CSI driver add-on runs with its own IRSA role (AmazonEBSCSIDriverPolicy), trusted only by its controller", () => {
    const role = at(json, "aws_iam_role", "EbsCsiDriver/Role/Resource");
    expect(at(json, "aws_eks_addon", "EbsCsiDriver/Resource")).toMatchObject({
      addon_name: "aws-ebs-csi-driver",
      service_account_role_arn: ref("aws_iam_role", role, "arn"),
      cluster_name: `\${aws_eks_cluster.${cluster.logicalId}.name}`,
    });
    const attachment = at(json, "aws_iam_role_policy_attachment", "EbsCsiDriver/Role/AmazonEBSCSIDriverPolicy");
    // The policy's IAM path is /service-role/ (IAM's ListPolicies Arn, as mirrored in zoph-io/MAMIP policies-list.json):
    // the root path names no policy, and the attachment would fail with NoSuchEntity.
    expect(attachment.policy_arn).toMatch(/:iam::aws:policy\/service-role\/AmazonEBSCSIDriverPolicy$/);
    const trust = at(json, "aws_iam_policy_document", "EbsCsiDriver/Role/TrustPolicy", "data");
    expect(trust.statement).toEqual([
      expect.objectContaining({
        actions: ["sts:AssumeRoleWithWebIdentity"],
        condition: [
          expect.objectContaining({ test: "StringEquals", variable: expect.stringMatching(/:sub$/), values: ["system:serviceaccount:kube-system:ebs-csi-controller-sa"] }),
          expect.objectContaining({ test: "StringEquals", variable: expect.stringMatching(/:aud$/), values: ["sts.amazonaws.com"] }),
        ],
      }),
    ]);
  });
});

describe("NetworkPolicy enforcement (VPC CNI)", () => {
  test("the vpc-cni add-on runs the network policy agent, and every node group waits for it (VPC_CNI_NETWORK_POLICY_FACTS)", () => {
    const cni = at(json, "aws_eks_addon", "VpcCni/Resource");
    expect(cni).toMatchObject({ addon_name: "vpc-cni", cluster_name: `\${aws_eks_cluster.${cluster.logicalId}.name}`, resolve_conflicts_on_create: "OVERWRITE" });
    expect(JSON.parse(String(cni.configuration_values))).toEqual(VPC_CNI_NETWORK_POLICY_FACTS.configuration.value);
    expect(VPC_CNI_NETWORK_POLICY_FACTS.beforeNodes.value).toBe(true);
    for (const group of nonEmpty(Object.values(blocks(json, "aws_eks_node_group")), "node group")) {
      expect(group.depends_on).toContain(`aws_eks_addon.${cni.logicalId}`);
    }
  });
});
