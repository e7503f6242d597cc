import type { DeploymentInput } from "./schema";

/**
 * The embedded demo deployment, used when neither `--config` nor DEPLOYMENT_CONFIG names a file:
 * synthesis works with zero setup. It is valid but not deployable as is: the admin range, the admin role
 * and the domain are documentation values (RFC 5737, AWS's example account, example.com) to replace with your own.
 */
export const DEFAULT_DEPLOYMENT: DeploymentInput = {
  name: "demo",
  cloud: "aws",
  region: "eu-west-1",
  controlPlane: {
    adminCidrs: ["203.0.113.0/24"],
    publicEndpoint: false,
  },
  network: {
    cidr: "10.40.0.0/16",
    podCidr: "10.96.0.0/14",
    serviceCidr: "172.20.0.0/16",
    singleNatGateway: false,
  },
  domain: {
    name: "catalog.example.com",
    certificate: { source: "vault-pki" },
  },
  // 8 vCPU / 32 GiB per node: the platform requests about 10.7 vCPU / 37 GiB, which fits with ~50% headroom
  // after EKS's reservations (__tests__/platform/scheduling.test.ts, config/node-capacity.ts).
  nodePools: [{ name: "general", count: 3, machineType: "m6i.2xlarge", diskSizeGiB: 100 }],
  // Where the Atlas image built from images/atlas is pushed (documentation value: replace it).
  images: { projectRegistry: "registry.example.com/platform" },
  tags: { project: "metadata-platform", environment: "demo" },
  dataProtection: { allowDestroy: false },
  state: { backend: "local" },
  // EKS gives nobody implicit access: the role that deploys is listed (a documentation account id).
  aws: { adminPrincipalArns: ["arn:aws:iam::123456789012:role/platform-admins"] },
};
