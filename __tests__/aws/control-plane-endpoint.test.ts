import { Testing } from "cdktf";
import { EksCluster } from "@cdktf/provider-aws/lib/eks-cluster";
import { ControlPlaneEndpoint } from "../../constructs/aws/control-plane-endpoint";
import { ControlPlaneAccess } from "../../platform/control-plane-access";
import { at, blocks, ref, synthAws, type TfJson } from "../support/helpers";

describe("what ControlPlaneEndpoint renders", () => {
  const render = (access: ControlPlaneAccess) =>
    Testing.synthScope((s) => {
      const e = new ControlPlaneEndpoint(s, "Endpoint", { vpcId: "vpc-1", access, name: "t" });
      new EksCluster(s, "Cluster", { name: "t", roleArn: "arn:aws:iam::123456789012:role/r", vpcConfig: e.vpcConfig(["subnet-1"]) });
    });

  test("private access: private endpoint on, public endpoint off, no public CIDRs", () => {
    const out = JSON.parse(render(ControlPlaneAccess.PRIVATE));
    const vpc = Object.values(out.resource.aws_eks_cluster as Record<string, { vpc_config: Record<string, unknown> }>)[0].vpc_config;
    expect(vpc).toMatchObject({ endpoint_private_access: true, endpoint_public_access: false });
    expect(vpc).not.toHaveProperty("public_access_cidrs");
    expect(out.resource.aws_vpc_security_group_ingress_rule).toBeUndefined();
  });

  test("publicFrom: public endpoint accepts exactly the admin CIDRs, private endpoint stays on", () => {
    expect(render(ControlPlaneAccess.publicFrom(["203.0.113.0/24", "198.51.100.17/32"]))).toHaveResourceWithProperties(EksCluster, {
      vpc_config: expect.objectContaining({
        endpoint_private_access: true,
        endpoint_public_access: true,
        public_access_cidrs: ["203.0.113.0/24", "198.51.100.17/32"],
      }),
    });
  });
});

describe("in the stack", () => {
  let json: TfJson;
  beforeAll(() => {
    json = synthAws().json;
  });

  test("the default deployment keeps the API private", () => {
    expect(at(json, "aws_eks_cluster", "Cluster/Resource").vpc_config).toEqual(
      expect.objectContaining({ endpoint_private_access: true, endpoint_public_access: false }),
    );
    expect(at(json, "aws_eks_cluster", "Cluster/Resource").vpc_config).not.toHaveProperty("public_access_cidrs");
  });

  test("publicEndpoint: the public endpoint accepts only the admin CIDRs", () => {
    const pub = synthAws({ controlPlane: { adminCidrs: ["203.0.113.0/24"], publicEndpoint: true } }).json;
    expect(at(pub, "aws_eks_cluster", "Cluster/Resource").vpc_config).toEqual(
      expect.objectContaining({ endpoint_private_access: true, endpoint_public_access: true, public_access_cidrs: ["203.0.113.0/24"] }),
    );
  });

  test("the cluster security group admits HTTPS only from the admin CIDRs and the nodes", () => {
    const cpSg = ref("aws_security_group", at(json, "aws_security_group", "Cluster/Endpoint/Resource"), "id");
    const nodeSg = ref("aws_security_group", at(json, "aws_security_group", "Cluster/NodeSecurityGroup"), "id");
    const rules = Object.values(blocks(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === cpSg);
    expect(rules).toHaveLength(2);
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ip_protocol: "tcp", from_port: 443, to_port: 443, cidr_ipv4: "203.0.113.0/24" }),
        expect.objectContaining({ ip_protocol: "tcp", from_port: 443, to_port: 443, referenced_security_group_id: nodeSg }),
      ]),
    );
    expect(at(json, "aws_eks_cluster", "Cluster/Resource").vpc_config).toMatchObject({ security_group_ids: [cpSg] });
  });
});
