import { z } from "zod";
import { cidrPattern, type Ipv4Range, isIpv4Cidr, overlaps, parseIpv4Cidr } from "../lib/cidr";
import { createdLoadBalancerSubnet, defaultFrontendAddress, frontendAddressProblem } from "./azure-entry-point";
import { createdPublicSubnetCidrs } from "./aws-entry-point";
import { MAX_NODE_POOLS, maxUserTags, NODE_POOL_LIMITS, TAG_LIMITS } from "./cloud-limits";
import { gcpLabelKey, RESERVED_GCP_LABEL_KEYS } from "./gcp-labels";
import { AKS_CMK_MIN_KUBERNETES_MINOR, EKS_SERVICE_CIDR_RULE } from "./cloud-facts";
import { AZURE_PRIVATE_LINK_ZONES, GKE_PSC_CONSUMER } from "./cloud-facts";
import { readSamlIdpMetadata, SamlMetadataError } from "./saml-metadata";
import { DEFAULT_WAVE, Rollout } from "./rollout";
import { ImagesLockSchema } from "./images-lock";

/**
 * The schema of one deployment: everything a customer decides, nothing the code can derive.
 * Unknown keys are errors everywhere (a typo must never silently fall back to a default).
 * Every default is the secure choice. `npm run schema` writes the JSON Schema of this for editors.
 */

/** The clouds a deployment can target; each has one cloud stack behind the same contract. */
export const CLOUDS = ["aws", "azure", "gcp"] as const;
export type Cloud = (typeof CLOUDS)[number];

const DNS_LABEL = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** Region names per cloud (also the JSON Schema's per-cloud condition on `region`). */
export const REGION_BY_CLOUD: Record<Cloud, { pattern: RegExp; example: string }> = {
  aws: { pattern: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]{1,16}-[0-9]$/, example: "eu-west-1" },
  azure: { pattern: /^[a-z][a-z0-9]{2,30}$/, example: "westeurope" },
  gcp: { pattern: /^[a-z]{1,16}-[a-z]{1,16}[0-9]{1,2}$/, example: "europe-west1" },
};
// Either case is accepted (portals and CLIs differ); the value is lower-cased, as Azure's own CLI prints it.
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A UUID (Azure subscription, tenant, group object id), normalised to lower case. */
const uuid = (message: string) => z.string().regex(UUID, { message }).transform((v) => v.toLowerCase());

/** Lists whose entries must be distinct: a duplicate is a mistake (and some providers reject it). */
function distinct<T extends z.ZodArray<z.ZodType>>(list: T, what: string): T {
  return list
    .superRefine((items: unknown[], ctx) => {
      const seen = new Map<string, number>();
      items.forEach((item, i) => {
        const key = typeof item === "string" ? item.toLowerCase() : JSON.stringify(item);
        const first = seen.get(key);
        if (first !== undefined) ctx.addIssue({ code: "custom", path: [i], message: `duplicate ${what} (same as [${first}]); list each once` });
        else seen.set(key, i);
      });
    })
    .meta({ uniqueItems: true }) as unknown as T;
}

const CIDR_MESSAGE = "must be an IPv4 CIDR with no host bits set, e.g. 10.40.0.0/16";
const cidr = z
  .string()
  .max(18)
  .regex(new RegExp(cidrPattern(0, 32)), { message: CIDR_MESSAGE })
  .refine(isIpv4Cidr, { message: CIDR_MESSAGE });

const adminCidr = cidr
  .refine((c) => !c.endsWith("/0"), {
    message: "a /0 opens the Kubernetes API to the whole internet; give host or office ranges, e.g. 203.0.113.0/24",
  })
  .meta({ not: { type: "string", pattern: "/0$" } });

const kubernetesVersion = z.string().regex(/^1\.[0-9]{2}$/, { message: 'must be a Kubernetes minor version, e.g. "1.34"' });

const ControlPlane = z
  .strictObject({
    adminCidrs: distinct(z.array(adminCidr), "admin CIDR")
      .min(1, { message: "list at least one admin CIDR allowed to reach the Kubernetes API, e.g. [203.0.113.0/24]" })
      .max(40, { message: "at most 40 admin CIDRs (EKS's limit for public endpoint ranges, the smallest of the three clouds); aggregate ranges" })
      .describe("CIDRs allowed to reach the Kubernetes API (the only ones). Never a /0."),
    kubernetesVersion: kubernetesVersion
      .optional()
      .describe("Kubernetes minor version of the control plane, e.g. \"1.34\". Raise it one minor at a time; node pools follow unless they pin their own (docs/deployment-guide.md, Upgrades). Default: the cloud's pinned version (EKS 1.33, AKS 1.34) or GKE's release channel."),
    publicEndpoint: z
      .boolean()
      .default(false)
      .describe("Also expose a public API endpoint, reachable only from adminCidrs. Default: false (private endpoint only; admins reach it over VPN/peering from adminCidrs)."),
  })
  .describe("Who may reach the Kubernetes API server.");

const NETWORK_DEFAULTS = { cidr: "10.40.0.0/16", podCidr: "10.96.0.0/14", serviceCidr: "172.20.0.0/16", singleNatGateway: false };

const Network = z
  .strictObject({
    cidr: cidr
      .refine((c) => {
        const p = parseIpv4Cidr(c)?.prefix ?? 0;
        return p >= 16 && p <= 20;
      }, { message: "must be between /16 and /20 (it is split into 3 private and 3 public subnets)" })
      .meta({ allOf: [{ type: "string", pattern: "/(1[6-9]|20)$" }] })
      .default("10.40.0.0/16")
      .describe("The VPC / VNet / primary subnet range (/16 to /20) the cluster's nodes and data live in."),
    podCidr: cidr.default("10.96.0.0/14").describe("Pod range where pods do not take VPC addresses (AKS overlay, GKE secondary range)."),
    serviceCidr: cidr.default("172.20.0.0/16").describe("Kubernetes service range."),
    singleNatGateway: z
      .boolean()
      .default(false)
      .describe("One NAT gateway for all zones instead of one per zone: cheaper, but a zone outage cuts egress. Default: false."),
  })
  .describe("Address ranges of the private network.");

/** An Azure Key Vault resource id; the groups are the subscription, resource group and vault name. */
export const AZURE_KEY_VAULT_ID = /^\/subscriptions\/([0-9a-fA-F-]{36})\/resourceGroups\/([-\w._()]{1,90})\/providers\/Microsoft\.KeyVault\/vaults\/([a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9])$/;

/** An ACM certificate ARN; the region is the fourth field. */
export const ACM_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/;

/** A regional Certificate Manager certificate, by name or path: project (1), location (2), name (3); a bare name is (3). */
export const GCP_REGIONAL_CERTIFICATE = /^(?:projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])\/locations\/([a-z0-9-]+)\/certificates\/)?([a-z]([-a-z0-9]{0,61}[a-z0-9])?)$/;

const Certificate = z.discriminatedUnion("source", [
  z.strictObject({
    source: z.literal("vault-pki").describe("Issue the entry point's certificate from Vault's internal CA (for demos and private networks)."),
  }),
  z.strictObject({
    source: z.literal("kubernetes-secret").describe("A Kubernetes TLS secret created out of band (keeps the key out of Terraform state)."),
    secretName: z.string().max(253).describe("Name of the kubernetes.io/tls Secret in the ingress namespace.").regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
      message: "must be a Kubernetes secret name (lowercase letters, digits, '-')",
    }),
  }),
  z.strictObject({
    source: z.literal("aws-acm").describe("An ACM certificate of the customer's, served by the entry point's Network Load Balancer (TLS listener); its private key never leaves ACM. AWS only."),
    certificateArn: z
      .string()
      .regex(ACM_CERTIFICATE_ARN, { message: "must be an ACM certificate ARN, e.g. arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789" })
      .describe("ARN of an issued ACM certificate for domain.name, in the deployment's region."),
  }),
  z.strictObject({
    source: z
      .literal("azure-key-vault")
      .describe(
        "A certificate in the customer's own Azure Key Vault (their certificate store, opt-in: the platform's own secrets stay in the in-cluster Vault). " +
          "AKS's Key Vault provider for the Secrets Store CSI driver mounts it into the entry point's pods, which serve it (rotation polled every 2 minutes, nginx reloads); " +
          "the private key never enters Terraform state. The vault must use Azure RBAC authorization. Azure only.",
      ),
    keyVaultId: z
      .string()
      .regex(AZURE_KEY_VAULT_ID, { message: "must be a Key Vault resource id, e.g. /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/certs/providers/Microsoft.KeyVault/vaults/contoso-certs" })
      .describe("Resource id of the Key Vault holding the certificate; the entry point's identity gets Key Vault Secrets User on the certificate's secret only, and the stack gives the vault a private endpoint in the cluster's network."),
    certificateName: z
      .string()
      .regex(/^[0-9A-Za-z-]{1,127}$/, { message: "must be a Key Vault certificate name (1-127 letters, digits, '-')" })
      .describe("Name of the certificate (with its private key, exportable) for domain.name; its latest version is served."),
    }),
  z.strictObject({
    source: z
      .literal("gcp-certificate-manager")
      .describe(
        "A regional Certificate Manager certificate of the customer's, served by a GKE Gateway (regional application load balancer: gke-l7-rilb for access: internal, " +
          "gke-l7-regional-external-managed for public) in front of the entry point, which re-encrypts to nginx; its private key never leaves Google. GCP only; needs gcp.proxyOnlyCidr " +
          "(and gcp.existingNetwork.proxyOnlySubnetwork in an existing network). Not with domain.privateLink or domain.allowedSourceCidrs (docs/deployment-guide.md, Certificates from Certificate Manager).",
      ),
    certificate: z
      .string()
      .regex(GCP_REGIONAL_CERTIFICATE, { message: "must be a Certificate Manager certificate name (e.g. catalog-acme-example-com) or its path projects/<project>/locations/<region>/certificates/<name>" })
      .describe("The certificate: its name, or its path projects/<gcp.projectId>/locations/<region>/certificates/<name>. It must be a regional certificate in the deployment's project and region (the Gateway names it by name)."),
  }),
]);

/** Which cloud's DNS each zone provider is. */
export const DNS_ZONE_CLOUD = { route53: "aws", "azure-dns": "azure", "azure-private-dns": "azure", "cloud-dns": "gcp" } as const satisfies Record<string, Cloud>;

const DnsZone = z.discriminatedUnion("provider", [
  z.strictObject({
    provider: z.literal("route53").describe("A Route 53 hosted zone of the account (AWS): public, or private and associated with the VPCs users resolve from."),
    hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, { message: "must be a Route 53 hosted zone id, e.g. Z0123456789ABCDEFGHIJ" }).describe("The hosted zone's id."),
    zoneName: z.string().regex(HOSTNAME, { message: "must be the zone's DNS name, e.g. acme.example.com" }).describe("The zone's DNS name, a parent of domain.name."),
  }),
  z.strictObject({
    provider: z.literal("azure-dns").describe("An Azure DNS public zone of the subscription (Azure)."),
    resourceGroupName: z.string().min(1).max(90).describe("Resource group of the zone."),
    zoneName: z.string().regex(HOSTNAME, { message: "must be the zone's DNS name, e.g. acme.example.com" }).describe("The zone's name, a parent of domain.name."),
  }),
  z.strictObject({
    provider: z
      .literal("azure-private-dns")
      .describe("An Azure private DNS zone (Azure, access: internal): an A record on the internal load balancer's static private address (azure.entryPointPrivateIp). Link the zone to the users' networks yourself."),
    resourceGroupName: z.string().min(1).max(90).describe("Resource group of the zone."),
    zoneName: z.string().regex(HOSTNAME, { message: "must be the zone's DNS name, e.g. acme.example.com" }).describe("The zone's name, a parent of domain.name."),
  }),
  z.strictObject({
    provider: z.literal("cloud-dns").describe("A Cloud DNS managed zone of gcp.projectId (GCP): public for a public entry point; for access: internal, a private zone visible to the networks users resolve from (the record holds the load balancer's internal address)."),
    managedZone: z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, { message: "must be a Cloud DNS managed zone name, e.g. acme-example-com" }).describe("The managed zone's name (not its DNS name)."),
    zoneName: z.string().regex(HOSTNAME, { message: "must be the zone's DNS name, e.g. acme.example.com" }).describe("The zone's DNS name, a parent of domain.name."),
  }),
]);

/** Zones an existing network must span: the platform spreads every service over three. */
export const EXISTING_NETWORK_ZONES = 3;
/** The delegation AKS needs on the API server subnet (API Server VNet Integration). */
export const AKS_API_SERVER_DELEGATION = "Microsoft.ContainerService/managedClusters";

/** Where the entry point's load balancer listens. */
export const ENTRY_POINT_ACCESS = ["public", "internal"] as const;

const Domain = z
  .strictObject({
    name: z.string().regex(HOSTNAME, { message: "must be a lowercase DNS name, e.g. catalog.example.com" }).describe("The hostname users reach the platform at, e.g. catalog.example.com."),
    certificate: Certificate.default({ source: "vault-pki" }).describe("Where the entry point's TLS certificate comes from."),
    allowedSourceCidrs: distinct(z.array(cidr), "source CIDR").min(1, { message: "an empty list admits nobody; omit the field to admit everyone, or list the ranges" }).optional().describe("Source ranges allowed to reach the entry point. Default: everyone (it is the user-facing HTTPS endpoint)."),
    access: z
      .enum(ENTRY_POINT_ACCESS, { message: `must be one of ${ENTRY_POINT_ACCESS.join(", ")}` })
      .default("public")
      .describe(
        "Where the entry point's load balancer listens: `public` (an Internet-facing load balancer, limited to allowedSourceCidrs) or `internal` " +
          "(an internal load balancer with a private address in the cluster's network only; users reach it from their own networks through " +
          "privateLink). Default: public.",
      ),
    privateLink: z
      .strictObject({
        allowedConsumers: distinct(z.array(z.string().min(1).max(2048)), "consumer")
          .min(1, { message: "list who may connect a private endpoint, or remove privateLink" })
          .max(100)
          .describe(
            "Who may request a private endpoint to the entry point, each connection then approved by you: AWS principal ARNs " +
              "(arn:aws:iam::<account>:root), the endpoint service's allowed principals; Azure subscription ids, to which the Private Link " +
              "Service is visible; GCP project ids or numbers, the accept list of the Private Service Connect service attachment (ACCEPT_MANUAL: other projects' requests stay pending).",
          ),
      })
      .optional()
      .describe("Private connectivity for users' networks to an internal entry point: a VPC endpoint service on the entry point's NLB (AWS), a Private Link Service created by AKS from the Service (Azure), a Private Service Connect service attachment on the entry point's forwarding rule (GCP, with gcp.pscNatCidr). Requires access: internal."),
    dnsZone: DnsZone.optional().describe("A public DNS zone of the deployment's cloud in which the stack creates domain.name's record for the entry point (on static addresses it reserves). Default: none (create the record yourself)."),
  })
  .describe("The user-facing HTTPS entry point.");

const NodePool = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9]{0,11}$/, { message: "must be 1-12 lowercase letters/digits, starting with a letter" }).describe("Pool name (1-12 lowercase letters/digits)."),
  count: z.number().int().min(3, { message: "must be at least 3 (one node per zone)" }).max(100).describe("Nodes in the pool; at least 3 so every zone has one."),
  machineType: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, { message: "must be a machine type name of at most 64 characters, e.g. m6i.2xlarge" })
    .describe("The cloud's machine type, e.g. m6i.2xlarge, Standard_D8s_v5, e2-standard-8 (the platform requests about 10.7 vCPU / 37 GiB: three 8 vCPU / 32 GiB nodes fit it with headroom)."),
  diskSizeGiB: z.number().int().min(30).max(2000).default(100).describe("Root/OS disk size. Default: 100"),
  kubernetesVersion: kubernetesVersion
    .optional()
    .describe("Kubernetes minor version of this pool's nodes, to upgrade pools one at a time after the control plane (AWS, Azure; GKE's release channel upgrades nodes itself). At most the control plane's, at most 3 minors older. Default: the control plane's."),
});

const Saml = z.strictObject({
  idpMetadataUrl: z
    .string()
    .max(2048)
    .regex(/^https:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][^\s]*)?$/, { message: "must be an https:// URL of the IdP's SAML metadata, e.g. https://idp.example.com/saml/metadata" })
    .refine((u) => URL.canParse(u), { message: "must be an https:// URL of the IdP's SAML metadata, e.g. https://idp.example.com/saml/metadata" })
    .describe("HTTPS URL of the customer's SAML 2.0 IdP metadata; Keycloak brokers logins to it."),
  displayName: z.string().min(1).max(64).default("Single sign-on").describe('Display name of the IdP on the login page. Default: "Single sign-on"'),
  idpMetadataFile: z.string().min(1).max(1024).optional().describe("Path of the IdP's SAML 2.0 metadata XML (download it from idpMetadataUrl), relative to this file. The realm takes the IdP's endpoints and certificates from it at synth time."),
  idpMetadata: z
    .string()
    .max(1_000_000)
    .superRefine((xml, ctx) => {
      try {
        readSamlIdpMetadata(xml);
      } catch (e) {
        if (!(e instanceof SamlMetadataError)) throw e;
        for (const p of e.problems) ctx.addIssue({ code: "custom", message: `IdP metadata: ${p}` });
      }
    })
    .optional()
    .describe("The IdP's SAML 2.0 metadata XML itself (instead of idpMetadataFile)."),
}).superRefine((saml, ctx) => {
  if (saml.idpMetadata === undefined) {
    ctx.addIssue({ code: "custom", path: ["idpMetadata"], message: "required: the IdP's SAML metadata; give saml.idpMetadataFile (path of the metadata XML, relative to this file) or the XML itself as saml.idpMetadata" });
  }
});

const TagKey = z.string().regex(/^[A-Za-z][A-Za-z0-9_.:/=+@-]{0,62}$/, {
  message: "tag keys are 1-63 characters: letters, digits and _.:/=+@- (portable across the three clouds)",
});

const DataProtection = z.strictObject({
  allowDestroy: z
    .boolean()
    .default(false)
    .describe("Let `cdktf destroy` remove buckets, keys and volumes. Only for throwaway test deployments. Default: false (stateful resources carry prevent_destroy / deletion protection / Retain)."),
  allowReplace: distinct(
    z.array(z.string().min(1).max(512).regex(/^[A-Za-z0-9_.\[\]"-]+$/, { message: "must be a Terraform resource address, e.g. aws_eks_node_group.NodeGroupGeneral_5A2B1C3D" })),
    "resource address",
  )
    .optional()
    .describe("Resource addresses whose replacement or deletion the replacement guard lets through, after you decided the data may go (one entry per resource; remove it after the apply). Default: none."),
});

/** The largest volume of the smallest limit among the clouds' volume types: an EBS gp3 volume is 1 GiB to 16 TiB. */
export const MAX_VOLUME_GIB = 16_384;

const volumeGiB = (fallback: number, what: string) =>
  z
    .number()
    .int({ message: "must be a whole number of GiB" })
    .min(1)
    .max(MAX_VOLUME_GIB, { message: `must be at most ${MAX_VOLUME_GIB} GiB (16 TiB, an EBS gp3 volume's maximum)` })
    .default(fallback)
    .describe(`${what}, per replica, in GiB. Default: ${fallback}. Raise it on a running deployment with \`npm run volumes:resize\` (docs/deployment-guide.md); volumes never shrink.`);

/** Sizes of the data stores' volumes. Each maps to one volume claim template of a StatefulSet. */
const Volumes = z.strictObject({
  postgresql: z.strictObject({ dataGiB: volumeGiB(50, "PostgreSQL's data volume") }).default({ dataGiB: 50 }).describe("PostgreSQL's volumes (one per replica)."),
  cassandra: z.strictObject({ dataGiB: volumeGiB(100, "Cassandra's data volume") }).default({ dataGiB: 100 }).describe("Cassandra's volumes (one per replica)."),
  elasticsearch: z.strictObject({ dataGiB: volumeGiB(100, "Elasticsearch's data volume") }).default({ dataGiB: 100 }).describe("Elasticsearch's volumes (one per replica)."),
  vault: z
    .strictObject({ dataGiB: volumeGiB(10, "Vault's raft volume"), auditGiB: volumeGiB(10, "Vault's audit-log volume") })
    .default({ dataGiB: 10, auditGiB: 10 })
    .describe("Vault's raft and audit volumes (one of each per server)."),
});

/** The defaults of `volumes`. */
export const VOLUME_DEFAULTS = { postgresql: { dataGiB: 50 }, cassandra: { dataGiB: 100 }, elasticsearch: { dataGiB: 100 }, vault: { dataGiB: 10, auditGiB: 10 } } as const;

const statePrefix = z
  .string()
  .max(512)
  .regex(/^[A-Za-z0-9/_.-]+$/, { message: "must be a path of letters, digits and /_.-, e.g. metadata-platform" })
  .default("metadata-platform");

const State = z.discriminatedUnion("backend", [
  z.strictObject({ backend: z.literal("local").describe("State files in the project root (terraform.<stack id>.tfstate); for trials only.") }),
  z.strictObject({
    backend: z.literal("s3").describe("S3 backend: encrypted, S3-native lock file (use_lockfile)."),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "must be an S3 bucket name" }).describe("Existing, versioned, encrypted bucket holding the state."),
    region: z.string().regex(REGION_BY_CLOUD.aws.pattern, { message: "must be an AWS region, e.g. eu-west-1" }).describe("Region of the state bucket."),
    keyPrefix: statePrefix.describe('Key prefix; each stack\'s state lives at `<keyPrefix>/<stack id>.tfstate`. Never change it after the first apply: the stacks would start from empty state. Default: "metadata-platform"'),
    kmsKeyId: z
      .string()
      .regex(/^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+)$/, { message: "must be a KMS key ARN, an alias ARN or alias/<name>, e.g. alias/acme-prod-state" })
      .optional()
      .describe("The state bucket's KMS key, which the backend encrypts state and lock files with (terraform writes SSE-S3 otherwise, whatever the bucket's default): the bootstrap's key is alias/<name>-state. Required by policy rule GEN-9."),
  }),
  z.strictObject({
    backend: z.literal("azurerm").describe("Azure Blob backend: blob lease locking, Entra ID auth (no account key)."),
    resourceGroupName: z.string().min(1).max(90).describe("Resource group of the state storage account."),
    storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/, { message: "must be 3-24 lowercase letters and digits" }).describe("Storage account holding the state (Entra ID auth; shared keys may be off)."),
    containerName: z
      .string()
      .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, { message: "must be a blob container name: 3-63 lowercase letters, digits and single '-'" })
      .describe("Blob container holding the state."),
    keyPrefix: statePrefix.describe('Blob name prefix; each stack\'s state is the blob `<keyPrefix>/<stack id>.tfstate`. Never change it after the first apply. Default: "metadata-platform"'),
  }),
  z.strictObject({
    backend: z.literal("gcs").describe("GCS backend: versioned bucket, native locking."),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, { message: "must be a GCS bucket name" }).describe("Existing, versioned GCS bucket holding the state."),
    prefix: statePrefix.describe('Object prefix; each stack\'s state is the object `<prefix>/<stack id>/default.tfstate` (the gcs backend adds `default.tfstate` per workspace). Never change it after the first apply. Default: "metadata-platform"'),
  }),
]);

const Images = z.strictObject({
  registry: z
    .string()
    .max(255)
    .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, { message: "must be a registry host with optional path, e.g. registry.example.com/mirror" })
    .optional()
    .describe("One registry (mirror) every image is pulled from, for air-gapped customers, e.g. registry.example.com/mirror. Default: each image's public registry."),
  projectRegistry: z
    .string()
    .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/, { message: "must be a registry host with optional path, e.g. registry.example.com/platform" })
    .optional()
    .describe("Registry holding the images this project builds from its own recipes (images/: Apache Atlas, which has no maintained public image), e.g. registry.example.com/platform. Required unless `registry` (a mirror of every image) is set."),
  vaultDistribution: z.enum(["vault", "openbao"]).default("vault").describe('Which secrets server image runs: HashiCorp Vault or its open-source fork OpenBao (same API). Default: "vault"'),
  digestsRequired: z
    .boolean()
    .default(false)
    .describe("Fail the security policy (K8S-28) for every image the lock file does not pin by digest; the lock is written by `npm run images:lock -- --config <this file>` from each registry's answer. Default: false (images are pulled by their exact tag, and by digest wherever the lock has one)."),
  lockFile: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .describe("Path of the image lock file, relative to this file. Default: `<this file's name>.images-lock.json` beside it (commit it with the deployment file)."),
  lock: ImagesLockSchema.optional().describe("The lock file's content, filled in by the loader from lockFile. Never written in a deployment file."),
});

/** The resource id of a private DNS zone of exactly this name. */
function privateDnsZoneId(zone: string) {
  const pattern = new RegExp(`^/subscriptions/[0-9a-f-]{36}/resourceGroups/[^/]+/providers/Microsoft\\.Network/privateDnsZones/${zone.replace(/\./g, "\\.")}$`, "i");
  return z.string().regex(pattern, { message: `must be the resource id of your ${zone} zone: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/privateDnsZones/${zone}` });
}
const AZURE_VNET_ID = /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i;


/** An Azure subnet of the existing VNet, by name, with its range. */
const azureSubnet = (role: string) =>
  z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?$/, { message: "must be a subnet name (1-80 letters, digits, '.', '_', '-')" }).describe(`Name of the ${role} subnet in the VNet.`),
    cidr: cidr.describe("Its address prefix (checked at plan against the subnet)."),
  });

/** An existing VNet and its subnets (azure.existingNetwork). */
const AzureExistingNetwork = z
  .strictObject({
    virtualNetworkId: z
      .string()
      .regex(AZURE_VNET_ID, { message: "must be a VNet resource id: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>" })
      .describe("Resource id of the existing VNet, in the deployment's subscription and region. network.cidr must be inside its address space."),
    nodeSubnet: azureSubnet("node").describe("Nodes (and their pods' overlay traffic). Must have an NSG and an egress path (outboundType)."),
    apiServerSubnet: azureSubnet("API server")
      .extend({
        delegation: z
          .string()
          .optional()
          .describe(`The service the subnet is delegated to: must be ${AKS_API_SERVER_DELEGATION} (API Server VNet Integration). Azure's data source does not show delegations, so state it here; AKS refuses the cluster otherwise.`),
      })
      .describe("The API server's subnet (API Server VNet Integration): at least a /28, delegated to AKS, empty."),
    privateEndpointSubnet: azureSubnet("private endpoint").describe("Private endpoints of the key vaults and the data storage account."),
    outboundType: z
      .enum(["userAssignedNATGateway", "userDefinedRouting"], { message: "must be userAssignedNATGateway or userDefinedRouting" })
      .describe("How the nodes reach the Internet: a NAT gateway already associated with nodeSubnet and apiServerSubnet, or a route table on them whose default route leads to a firewall (AKS outbound types)."),
    privateDnsZones: z
      .strictObject({
        vault: privateDnsZoneId(AZURE_PRIVATE_LINK_ZONES.value.vault).optional().describe("Your privatelink.vaultcore.azure.net zone: the key vaults' private endpoints register in it."),
        blob: privateDnsZoneId(AZURE_PRIVATE_LINK_ZONES.value.blob).optional().describe("Your privatelink.blob.core.windows.net zone: the data storage account's private endpoint registers in it."),
      })
      .optional()
      .describe(
        "Private DNS zones your estate already resolves Private Link names with (hub and spoke: one central zone per service, linked to the hub, answered through its DNS). " +
          "The private endpoints register their records in these zones, and the stack creates no zone of that name and links none to the VNet or the runner's network " +
          "(a VNet takes one zone of a name; a second would clash). The bootstrap gives the apply identity privateDnsZones/join/action on them, nothing more. Default: the stack creates both zones and links them.",
      ),
  })
  .describe("Deploy into this existing VNet instead of creating one: no VNet, subnets, NSGs, NAT gateway or flow log are created (docs/deployment-guide.md, Existing network). Default: a VNet is created.");

const Azure = z.strictObject({
  subscriptionId: uuid("must be the subscription's UUID, e.g. 00000000-0000-0000-0000-000000000000").describe("Subscription the deployment lives in (either case; stored lower-case)."),
  tenantId: uuid("must be the Entra ID tenant's UUID").describe("Entra ID tenant of the subscription (either case; stored lower-case)."),
  adminGroupObjectIds: distinct(z.array(uuid("must be a group object UUID")), "group object id").min(1, { message: "list at least one Entra ID group" }).max(20).describe("Entra ID group object ids granted cluster-admin through Azure RBAC."),
  deployerObjectId: z
    .string()
    .regex(UUID, { message: "must be an object id (UUID): `az ad sp show --id <CI apply client id> --query id -o tsv`, or `az ad signed-in-user show --query id -o tsv`" })
    .transform((v) => v.toLowerCase())
    .describe(
      "Object id of the one identity that applies this deployment (the CI apply service principal, or your own user): it alone gets the key-deployer role " +
        "on the key vaults and cluster-admin on AKS. Never taken from whoever runs terraform (a plan identity would write itself into the plan).",
    ),
  planObjectId: z
    .string()
    .regex(UUID, { message: "must be an object id (UUID): `az ad sp show --id <CI plan client id> --query id -o tsv`" })
    .transform((v) => v.toLowerCase())
    .optional()
    .describe("Object id of the read-only CI plan identity: gets what a plan reads (key metadata, the cluster's user credential, read-only Kubernetes access). Default: none."),
  runnerNetwork: z
    .strictObject({
      virtualNetworkId: z
        .string()
        .regex(AZURE_VNET_ID, { message: "must be a VNet resource id: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>" })
        .describe("Resource id of the existing VNet Terraform runs from (a self-hosted CI runner, or the network an administrator's VPN lands in)."),
      addressPrefixes: z
        .array(cidr)
        .min(1, { message: "list the runner VNet's address space, e.g. [10.10.0.0/24]" })
        .describe("That VNet's address space: it must not overlap the platform's ranges (a peering refuses overlaps) and, for a private cluster, must be inside controlPlane.adminCidrs."),
    })
    .describe(
      "Where Terraform runs: the key vaults have no public access (the only vault setting AKS KMS supports besides 'open to all networks'), so their keys are " +
        "created and refreshed through private endpoints. The stack peers this VNet with the platform's and links the vaults' private DNS zone (and a private cluster's) to it.",
    ),
  existingNetwork: AzureExistingNetwork.optional(),
  entryPointPrivateIp: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}$/, { message: "must be an IPv4 address, e.g. 10.50.63.254" })
    .optional()
    .describe(
      "Static private address of the internal entry point's load balancer (domain.access: internal), set on the Service (azure-load-balancer-ipv4) and used by an azure-private-dns record. " +
        "Must be a free address of the load balancer's subnet (the created network's load-balancer subnet, or existingNetwork.nodeSubnet), not one of the five Azure reserves. " +
        "Default with an azure-private-dns zone: the subnet's last usable address; otherwise AKS picks a dynamic one.",
    ),
});

const GCP_PROJECT_ID = z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { message: "must be a GCP project id, e.g. acme-catalog-prod" });
const GCP_RESOURCE_NAME = z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, { message: "must be a GCP resource name: lowercase letters, digits and '-', starting with a letter, e.g. shared-vpc" });

/** An existing VPC network and subnetwork, possibly a Shared VPC's (gcp.existingNetwork). */
const GcpExistingNetwork = z
  .strictObject({
    hostProjectId: GCP_PROJECT_ID.optional().describe("The Shared VPC host project that owns the network. Default: the deployment's own project (gcp.projectId)."),
    network: GCP_RESOURCE_NAME.describe("Name of the VPC network."),
    subnetwork: GCP_RESOURCE_NAME.describe("Name of the subnetwork in the deployment's region. Its primary range must be network.cidr, with Private Google Access on (checked at plan)."),
    podsRangeName: GCP_RESOURCE_NAME.optional().describe("Name of the subnetwork's secondary range for pods; its range must be network.podCidr (checked at plan). Required."),
    servicesRangeName: GCP_RESOURCE_NAME.optional().describe("Name of the subnetwork's secondary range for Services; its range must be network.serviceCidr (checked at plan). Required."),
    proxyOnlySubnetwork: GCP_RESOURCE_NAME.optional().describe(
      "With domain.certificate.source gcp-certificate-manager: name of the network's active proxy-only subnetwork (purpose REGIONAL_MANAGED_PROXY, role ACTIVE) in the deployment's region, in the same project as the network; its range must be gcp.proxyOnlyCidr (checked at plan). Required with that source.",
    ),
    pscNatSubnetwork: GCP_RESOURCE_NAME.optional().describe(
      "With domain.privateLink: name of the network's Private Service Connect NAT subnetwork (purpose PRIVATE_SERVICE_CONNECT) in the deployment's region, in the same project as the network; its range must be gcp.pscNatCidr (checked at plan). Required with privateLink.",
    ),
  })
  .describe("Deploy into this existing network instead of creating one: no network, subnetwork, router or NAT is created (docs/deployment-guide.md, Existing network). Default: a network is created.");
const Encryption = z.strictObject({
  keys: z
    .enum(["provider-managed", "customer-managed"])
    .default("provider-managed")
    .describe(
      'Who manages the keys of buckets, volumes and logs. "provider-managed" (default): S3 SSE-S3, Azure Microsoft-managed keys, Google-managed keys, as the security promises name them. ' +
        '"customer-managed": the cloud stack creates keys in your account (rotated, protected from destroy), each usable only by the service that encrypts with it. ' +
        "AWS: KMS keys for the data bucket, EBS volumes and CloudWatch log groups (the S3 access-log bucket stays SSE-S3, the only encryption S3 log delivery accepts). " +
        "GCP: Cloud KMS keys for the buckets and persistent disks (Cloud Logging keeps Google-managed keys). " +
        "Azure: Key Vault keys for every storage account (data and flow logs) and for managed disks through a disk encryption set (AKS OS disks and the StorageClass's volumes); " +
        "the Log Analytics workspace keeps Microsoft-managed keys (a customer-managed key there needs a dedicated Log Analytics cluster, from 100 GB/day). " +
        "On Azure choose it when the deployment is created: the OS disks' key is fixed when AKS creates the cluster, and the cluster is protected from replacement.",
    ),
});

const Gcp = z.strictObject({
  projectId: GCP_PROJECT_ID.describe("The GCP project the deployment lives in (its id, not its number)."),
  existingNetwork: GcpExistingNetwork.optional(),
  pscNatCidr: cidr
    .optional()
    .describe(
      "With domain.privateLink: the range of the Private Service Connect NAT subnetwork, into which Google translates the source of every consumer's connection " +
        "(the entry point sees these addresses, never the consumer's). Created by the stack in its own network (purpose PRIVATE_SERVICE_CONNECT); with gcp.existingNetwork, " +
        "the range of gcp.existingNetwork.pscNatSubnetwork. Must not overlap the node, pod, service or admin ranges. Required with privateLink.",
    ),
  proxyOnlyCidr: cidr
    .optional()
    .describe(
      "With domain.certificate.source gcp-certificate-manager: the range of the proxy-only subnetwork the Gateway's regional load balancer proxies connect from " +
        "(the entry point's firewall rule and NetworkPolicy admit this range and Google's health checkers, never the users' addresses). Created by the stack in its own network " +
        "(purpose REGIONAL_MANAGED_PROXY, role ACTIVE; Google recommends a /23); with gcp.existingNetwork, the range of gcp.existingNetwork.proxyOnlySubnetwork. " +
        "Must not overlap the node, pod, service, admin or Private Service Connect ranges. Required with that source.",
    ),
});

const IAM_PRINCIPAL_ARN = z.string().max(2048).regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, {
  message: "must be an IAM role or user ARN, e.g. arn:aws:iam::123456789012:role/platform-admin (not an sts assumed-role session ARN)",
});


/** An existing VPC and its private subnets (aws.existingNetwork). */
const AwsExistingNetwork = z
  .strictObject({
    vpcId: z.string().regex(/^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/, { message: "must be a VPC id, e.g. vpc-0123456789abcdef0" }).describe("The existing VPC. Its primary range must be network.cidr (checked at plan)."),
    privateSubnets: z
      .array(
        z.strictObject({
          id: z.string().regex(/^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/, { message: "must be a subnet id, e.g. subnet-0123456789abcdef0" }).describe("Subnet id."),
          cidr: cidr.describe("Its range (checked at plan against the subnet)."),
          zone: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]{1,16}-[0-9][a-z]$/, { message: "must be an availability zone name, e.g. eu-west-1a" }).describe("Its availability zone name (checked at plan)."),
        }),
      )
      .min(3, { message: `list ${EXISTING_NETWORK_ZONES} private subnets, one in each of ${EXISTING_NETWORK_ZONES} availability zones (the platform spreads every service over ${EXISTING_NETWORK_ZONES} zones)` })
      .max(16)
      .describe(`Private subnets for nodes, the control plane's network interfaces and internal load balancers: at least one in each of ${EXISTING_NETWORK_ZONES} zones, no public IPs on launch, tagged kubernetes.io/role/internal-elb=1 (docs/deployment-guide.md).`),
    endpointCidrs: distinct(z.array(cidr), "endpoint CIDR")
      .min(1)
      .max(16)
      .optional()
      .describe(
        "Ranges of the subnets holding the VPC's interface endpoints (private DNS on) for kms, sts, s3, ecr.api, ecr.dkr, ec2 and logs: the pods' " +
          "NetworkPolicies admit AWS APIs on 443 there only. Default: the privateSubnets' ranges.",
      ),
    loadBalancerSubnets: z
      .array(
        z.strictObject({
          id: z.string().regex(/^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/, { message: "must be a subnet id, e.g. subnet-0123456789abcdef0" }).describe("Subnet id."),
          cidr: cidr.describe("Its range (checked at plan against the subnet)."),
          zone: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]{1,16}-[0-9][a-z]$/, { message: "must be an availability zone name, e.g. eu-west-1a" }).describe("Its availability zone name (checked at plan)."),
        }),
      )
      .min(1)
      .max(16)
      .optional()
      .describe(
        "With domain.privateLink: subnets for the internal NLB, one in each zone of the privateSubnets, inside network.cidr, clear of the privateSubnets " +
          "and endpointCidrs, with no nodes or pods in them. PrivateLink connections reach the entry point from the NLB's own addresses, which the entry " +
          "point's NetworkPolicy admits in these ranges only (docs/deployment-guide.md, Private access). Required with privateLink.",
      ),
  })
  .describe("Deploy into this existing VPC instead of creating one: no VPC, subnets, NAT, route tables, network ACLs or VPC endpoints are created (docs/deployment-guide.md, Existing network). Default: a VPC is created.");

const Aws = z.strictObject({
  accountId: z
    .string()
    .regex(/^[0-9]{12}$/, { message: "must be the 12-digit AWS account id, e.g. 123456789012 (`aws sts get-caller-identity --query Account`)" })
    .optional()
    .describe("The AWS account the deployment lives in. Terraform refuses any other (allowed_account_ids) and preflight compares your login. Required unless state.backend is local."),
  adminPrincipalArns: distinct(z.array(IAM_PRINCIPAL_ARN), "principal ARN")
    .max(100)
    .default([])
    .describe(
      "IAM roles/users given cluster-admin through EKS access entries, all managed by Terraform: the role you deploy with and the CI apply role. " +
        "Nobody gets access implicitly (not even the cluster's creator), so at least one is required.",
    ),
  viewerPrincipalArns: distinct(z.array(IAM_PRINCIPAL_ARN), "principal ARN")
    .max(100)
    .default([])
    .describe("IAM roles/users that may read the cluster (AmazonEKSAdminViewPolicy, Secrets included, no writes), e.g. the CI plan role. Default: none."),
  existingNetwork: AwsExistingNetwork.optional(),
});

export const DeploymentSchema = z
  .strictObject({
    name: z
      .string()
      .regex(DNS_LABEL, { message: "must be 2-20 characters: lowercase letters, digits and '-', starting with a letter, e.g. acme-prod" })
      .describe("DNS-label safe name; prefixes stack ids (<name>-aws) and resource names. Never change it: it names state."),
    cloud: z.enum(CLOUDS, { message: "must be one of aws, azure, gcp" }).describe("The cloud the deployment runs in."),
    region: z.string().min(1).max(40).describe("The cloud region, e.g. eu-west-1 (aws), westeurope (azure), europe-west1 (gcp)."),
    controlPlane: ControlPlane,
    network: Network.default(NETWORK_DEFAULTS),
    domain: Domain,
    nodePools: z
      .array(NodePool)
      .min(1, { message: "give at least one node pool" })
      .max(MAX_NODE_POOLS, { message: `at most ${MAX_NODE_POOLS} node pools (EKS allows ${NODE_POOL_LIMITS.aws.limit} managed node groups per cluster, the smallest of the three clouds); use fewer, larger pools` })
      .describe(`Worker node pools; each spans the three zones. At most ${MAX_NODE_POOLS}.`),
    saml: Saml.optional().describe("SAML 2.0 single sign-on through Keycloak. Default: none (username/password with OTP 2FA only)."),
    tags: z
      .record(TagKey, z.string().max(256, { message: "tag values are at most 256 characters" }))
      .default({})
      .describe(`Tags/labels put on every cloud resource that takes them. At most ${maxUserTags("aws")} on AWS, ${maxUserTags("azure")} on Azure, ${maxUserTags("gcp")} on GCP.`),
    dataProtection: DataProtection.default({ allowDestroy: false }).describe("Protection of stateful resources against destroy."),
    encryption: Encryption.optional().describe('Keys at rest for buckets, volumes and logs. Default: { keys: "provider-managed" }.'),
    volumes: Volumes.default(VOLUME_DEFAULTS).describe("Volume sizes of the data stores (one volume per replica)."),
    state: State.default({ backend: "local" }).describe("Where Terraform state lives, one state per stack. Default: local files in the project root."),
    images: Images.default({ vaultDistribution: "vault", digestsRequired: false }).describe("Container images: registry mirror and Vault distribution."),
    rollout: Rollout.default({ wave: DEFAULT_WAVE }).describe("Where the deployment goes in a staged rollout of many (the apply workflow)."),
    aws: Aws.optional().describe("AWS-only settings (cloud: aws)."),
    azure: Azure.optional().describe("Azure-only settings; required when cloud is azure."),
    gcp: Gcp.optional().describe("GCP-only settings; required when cloud is gcp."),
  })
  .superRefine((d, ctx) => {
    for (const issue of crossFieldIssues(d)) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  });

/** A problem found by comparing fields with each other. */
export interface CrossFieldIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * Checks that span fields (region per cloud, disjoint ranges, admin ranges outside the cluster's own,
 * one section per cloud). Tolerates malformed input, so it also runs when the shape itself is invalid
 * and every problem is reported in one pass.
 */
export function crossFieldIssues(input: unknown): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  if (input === null || typeof input !== "object") return issues;
  const d = input as Record<string, unknown>;
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  const cloud = CLOUDS.find((c) => c === d.cloud);

  if (cloud) {
    const region = REGION_BY_CLOUD[cloud];
    if (typeof d.region === "string" && !region.pattern.test(d.region)) add(["region"], `must be a region of ${cloud}, e.g. ${region.example}`);
    for (const other of CLOUDS) {
      if (other !== cloud && d[other] !== undefined) add([other], `settings for ${other} in a ${cloud} deployment; remove this section or change 'cloud'`);
    }
    if (cloud === "azure" && d.azure === undefined) add(["azure"], "required when cloud is azure: { subscriptionId, tenantId, adminGroupObjectIds, deployerObjectId, runnerNetwork }");
    if (cloud === "gcp" && d.gcp === undefined) add(["gcp"], "required when cloud is gcp: { projectId }");
    // Real (remote-state) AWS deployments pin their account: a login to another account must not deploy there.
    const backend = isRecord(d.state) ? d.state.backend : undefined;
    if (cloud === "aws" && backend !== undefined && backend !== "local") {
      const aws = isRecord(d.aws) ? d.aws : undefined;
      if (aws?.accountId === undefined) {
        add(["aws", "accountId"], "required when state.backend is not local: the 12-digit account to deploy into, e.g. aws: { accountId: \"123456789012\" } (`aws sts get-caller-identity --query Account`)");
      }
    }
    if (isRecord(d.tags)) {
      const count = Object.keys(d.tags).length;
      const max = maxUserTags(cloud);
      const l = TAG_LIMITS[cloud];
      if (count > max) add(["tags"], `${count} tags; ${cloud} allows ${l.limit} per resource and the platform sets ${l.reserved} (${l.reservedFor}), so at most ${max}; remove ${count - max}`);
    }
  }

  // The cluster's own ranges must not overlap each other or the admin ranges.
  const network = { ...NETWORK_DEFAULTS, ...(isRecord(d.network) ? d.network : {}) } as Record<string, unknown>;
  const own = (["cidr", "podCidr", "serviceCidr"] as const).flatMap((key) => {
    const range = typeof network[key] === "string" ? parseIpv4Cidr(network[key] as string) : undefined;
    return range ? [{ key, range }] : [];
  });
  for (let i = 0; i < own.length; i++) {
    for (let j = i + 1; j < own.length; j++) {
      if (overlaps(own[i].range, own[j].range)) {
        add(["network", own[j].key], `overlaps network.${own[i].key} (${own[i].range.cidr}); the node, pod and service ranges must be disjoint`);
      }
    }
  }
  const controlPlane = isRecord(d.controlPlane) ? d.controlPlane : {};
  const adminCidrs = Array.isArray(controlPlane.adminCidrs) ? controlPlane.adminCidrs : [];
  adminCidrs.forEach((c, i) => {
    const r = typeof c === "string" ? parseIpv4Cidr(c) : undefined;
    const hit = r && r.prefix > 0 && own.find((o) => overlaps(o.range, r));
    if (hit) {
      add(["controlPlane", "adminCidrs", i], `overlaps the cluster's own network.${hit.key} (${hit.range.cidr}); admin ranges are where administrators connect from`);
    }
  });

  if (cloud) {
    for (const issue of domainIssues(cloud, d.region, d.domain)) add(issue.path, issue.message);
    if (cloud === "azure") for (const issue of azureEntryPointAddressIssues(d, network)) add(issue.path, issue.message);
    for (const issue of gatewayIssues(d, cloud)) add(issue.path, issue.message);
    if (cloud === "azure" && isRecord(d.encryption) && d.encryption.keys === "customer-managed") {
      // AKS encrypts data disks with a customer-managed key only from 1.24 (AKS_CMK_MIN_KUBERNETES_MINOR).
      const floor = AKS_CMK_MIN_KUBERNETES_MINOR.value;
      const minorOf = (v: unknown) => (typeof v === "string" && /^1\.[0-9]{2}$/.test(v) ? Number(v.slice(2)) : undefined);
      const versions: [(string | number)[], unknown][] = [
        [["controlPlane", "kubernetesVersion"], isRecord(d.controlPlane) ? d.controlPlane.kubernetesVersion : undefined],
        ...(Array.isArray(d.nodePools) ? d.nodePools : []).map((p, i): [(string | number)[], unknown] => [["nodePools", i, "kubernetesVersion"], isRecord(p) ? p.kubernetesVersion : undefined]),
      ];
      for (const [path, v] of versions) {
        const m = minorOf(v);
        if (m !== undefined && m < floor) add(path, `AKS encrypts volumes with customer-managed keys (encryption.keys) from Kubernetes 1.${floor}; set 1.${floor} or later, or remove encryption.keys`);
      }
    }
  }

  if (cloud === "gcp" && isRecord(d.tags)) {
    // GCP labels are lowercase with a reduced alphabet: two tags may collapse into one label key.
    const seen = new Map<string, string>(RESERVED_GCP_LABEL_KEYS.map((k) => [k, `(set by the platform: ${k})`]));
    for (const key of Object.keys(d.tags).sort()) {
      const label = gcpLabelKey(key);
      const first = seen.get(label);
      if (first !== undefined) add(["tags", key], `becomes the GCP label '${label}', like ${first}; rename the tag`);
      else seen.set(label, `tag '${key}'`);
    }
  }

  if (cloud === "aws") {
    const aws = isRecord(d.aws) ? d.aws : {};
    const admins = Array.isArray(aws.adminPrincipalArns) ? aws.adminPrincipalArns : [];
    const viewers = Array.isArray(aws.viewerPrincipalArns) ? aws.viewerPrincipalArns : [];
    if (admins.length === 0) {
      add(["aws", "adminPrincipalArns"], "list at least one IAM role that administers the cluster (the role you deploy with, and the CI apply role): EKS gives nobody access implicitly");
    }
    const seen = new Map<unknown, string>();
    for (const [list, items] of [["adminPrincipalArns", admins], ["viewerPrincipalArns", viewers]] as const) {
      items.forEach((arn, i) => {
        const first = seen.get(arn);
        // Twice in one list is the schema's own duplicate check; here, one principal in both lists.
        if (first !== undefined && first !== `aws.${list}`) add(["aws", list, i], `${String(arn)} is already in ${first}; EKS holds one access entry per principal, list it once`);
        else if (first === undefined) seen.set(arn, `aws.${list}`);
      });
    }
    // EKS's own rule for a custom service range (checked by the EKS API only after the VPC exists).
    const rule = EKS_SERVICE_CIDR_RULE.value;
    const service = typeof network.serviceCidr === "string" ? parseIpv4Cidr(network.serviceCidr) : undefined;
    if (service) {
      const inPrivate = rule.privateBlocks.some((b) => {
        const block = parseIpv4Cidr(b)!;
        return service.prefix >= block.prefix && overlaps(block, service);
      });
      if (!inPrivate || service.prefix < rule.shortestPrefix || service.prefix > rule.longestPrefix) {
        add(["network", "serviceCidr"], `EKS needs a service range inside ${rule.privateBlocks.join(", ")} of size /${rule.shortestPrefix} to /${rule.longestPrefix}, e.g. 172.20.0.0/16`);
      }
    }
  }

  if (cloud === "azure" && isRecord(d.azure) && isRecord(d.azure.runnerNetwork)) {
    const prefixes = Array.isArray(d.azure.runnerNetwork.addressPrefixes) ? d.azure.runnerNetwork.addressPrefixes : [];
    const admins = adminCidrs.flatMap((c) => (typeof c === "string" && parseIpv4Cidr(c) ? [parseIpv4Cidr(c)!] : []));
    prefixes.forEach((p, i) => {
      const r = typeof p === "string" ? parseIpv4Cidr(p) : undefined;
      if (!r) return;
      const hit = own.find((o) => overlaps(o.range, r));
      if (hit) add(["azure", "runnerNetwork", "addressPrefixes", i], `overlaps network.${hit.key} (${hit.range.cidr}); a peered network must not overlap the platform's ranges`);
      // A private cluster's API is reached through the peering: the API server subnet's NSG admits
      // controlPlane.adminCidrs on 443, so the runner must be among them.
      if (controlPlane.publicEndpoint !== true && !admins.some((a) => a.prefix <= r.prefix && overlaps(a, r))) {
        add(["azure", "runnerNetwork", "addressPrefixes", i], "is not inside controlPlane.adminCidrs; add it there so the runner may reach the Kubernetes API");
      }
    });
  }

  issues.push(...existingNetworkIssues(d, cloud, network, own));
  issues.push(...entryPointAccessIssues(d, cloud));

  // Apache Atlas has no maintained public image: it is built from images/atlas and pulled from a registry of the customer's.
  const images = isRecord(d.images) ? d.images : {};
  if (images.registry === undefined && images.projectRegistry === undefined) {
    add(["images", "projectRegistry"], "required: the Apache Atlas image is built from images/atlas (no maintained public image exists); build and push it, then name the registry, e.g. registry.example.com/platform (or set images.registry to a mirror of every image)");
  }

  const pools = Array.isArray(d.nodePools) ? d.nodePools : [];
  // Node versions against the control plane's: the kubelet may be up to three minors older than the API server,
  // never newer (https://kubernetes.io/releases/version-skew-policy/#kubelet).
  const minor = (v: unknown) => (typeof v === "string" && /^1\.[0-9]{2}$/.test(v) ? Number(v.slice(2)) : undefined);
  const cpMinor = minor(isRecord(d.controlPlane) ? d.controlPlane.kubernetesVersion : undefined);
  pools.forEach((p, i) => {
    if (!isRecord(p) || p.kubernetesVersion === undefined) return;
    if (cloud === "gcp") {
      add(["nodePools", i, "kubernetesVersion"], "GKE's release channel upgrades node pools after the control plane; remove it and set controlPlane.kubernetesVersion");
      return;
    }
    const m = minor(p.kubernetesVersion);
    if (m === undefined) return;
    if (cpMinor === undefined) add(["nodePools", i, "kubernetesVersion"], "set controlPlane.kubernetesVersion too: a pool's version is checked against the control plane's");
    else if (m > cpMinor) add(["nodePools", i, "kubernetesVersion"], `newer than the control plane (1.${cpMinor}); upgrade the control plane first`);
    else if (cpMinor - m > 3) add(["nodePools", i, "kubernetesVersion"], `more than 3 minors older than the control plane (1.${cpMinor}); Kubernetes supports nodes up to 3 minors behind: upgrade the pool first`);
  });
  const names = pools.map((p) => (isRecord(p) ? p.name : undefined));
  if (cloud === "azure") {
    // AKS's system pool (critical add-ons only) is created by the platform under this name.
    names.forEach((n, i) => {
      if (n === "system") add(["nodePools", i, "name"], "'system' is the platform's own AKS system pool on Azure; choose another name, e.g. general");
    });
  }
  const firstIndex = new Map<string, number>();
  names.forEach((n, i) => {
    if (typeof n !== "string") return;
    const first = firstIndex.get(n);
    if (first === undefined) firstIndex.set(n, i);
    else add(["nodePools", i, "name"], `duplicate node pool name '${n}' (same as nodePools[${first}]); pool names must be distinct`);
  });
  return issues;
}

/** A range of the config, where it is a valid CIDR. */
function rangeOf(v: unknown) {
  return typeof v === "string" ? parseIpv4Cidr(v) : undefined;
}

/** Whether `inner` lies inside `outer`. */
function within(inner: Ipv4Range, outer: Ipv4Range): boolean {
  return inner.prefix >= outer.prefix && overlaps(inner, outer);
}

/**
 * An existing network (`<cloud>.existingNetwork`) checked against what synth knows: enough subnets across
 * zones, ranges inside network.cidr and disjoint from each other and from the pod and service ranges, the
 * secondary ranges GKE needs, the AKS delegation. What only the cloud knows (a subnet's real range, zone,
 * tags, delegation) is checked at plan by data sources with postconditions (constructs/<cloud>/existing-network.ts).
 */
function existingNetworkIssues(
  d: Record<string, unknown>,
  cloud: Cloud | undefined,
  network: Record<string, unknown>,
  own: readonly { key: string; range: Ipv4Range }[],
): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const section = cloud && isRecord(d[cloud]) ? (d[cloud] as Record<string, unknown>) : undefined;
  const existing = section && isRecord(section.existingNetwork) ? section.existingNetwork : undefined;
  if (!cloud || !existing) return issues;
  const at = (...path: (string | number)[]) => [cloud, "existingNetwork", ...path];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  const vpc = rangeOf(network.cidr);
  const pods = own.find((o) => o.key === "podCidr");
  const services = own.find((o) => o.key === "serviceCidr");
  // Every named subnet: inside network.cidr, clear of the pod and service ranges and of each other.
  const subnets: { path: (string | number)[]; range: Ipv4Range }[] = [];
  const checkSubnet = (path: (string | number)[], value: unknown) => {
    const r = rangeOf(value);
    if (!r) return;
    if (vpc && !within(r, vpc)) add([...path, "cidr"], `${r.cidr} is not inside network.cidr (${vpc.cidr}); set network.cidr to the existing network's range that holds its subnets`);
    for (const other of [pods, services]) {
      if (other && overlaps(other.range, r)) add([...path, "cidr"], `${r.cidr} overlaps network.${other.key} (${other.range.cidr}); choose a ${other.key === "podCidr" ? "pod" : "service"} range outside the existing network`);
    }
    const clash = subnets.find((s) => overlaps(s.range, r));
    const shown = (p: (string | number)[]) => p.map((k, i) => (typeof k === "number" ? `[${k}]` : `${i ? "." : ""}${k}`)).join("");
    if (clash) add([...path, "cidr"], `${r.cidr} overlaps ${shown(clash.path)} (${clash.range.cidr}); subnets must not overlap`);
    subnets.push({ path, range: r });
  };

  if (cloud === "aws") {
    const list = Array.isArray(existing.privateSubnets) ? existing.privateSubnets : [];
    const region = typeof d.region === "string" ? d.region : "";
    const zones = new Set<string>();
    list.forEach((s, i) => {
      if (!isRecord(s)) return;
      checkSubnet(at("privateSubnets", i), s.cidr);
      if (typeof s.zone === "string") {
        if (region && !(s.zone.startsWith(region) && s.zone.length === region.length + 1)) add(at("privateSubnets", i, "zone"), `${s.zone} is not a zone of region ${region}; list subnets of the deployment's region`);
        zones.add(s.zone);
      }
    });
    const ids = list.map((s) => (isRecord(s) ? s.id : undefined));
    ids.forEach((id, i) => {
      if (id !== undefined && ids.indexOf(id) !== i) add(at("privateSubnets", i, "id"), `duplicate subnet ${String(id)}; list each subnet once`);
    });
    const endpointCidrs = Array.isArray(existing.endpointCidrs) ? existing.endpointCidrs : [];
    endpointCidrs.forEach((c, i) => {
      const r = rangeOf(c);
      if (r && vpc && !within(r, vpc)) add(at("endpointCidrs", i), `${r.cidr} is not inside network.cidr (${vpc.cidr}); give the ranges of the VPC's subnets that hold its interface endpoints`);
    });
    if (list.length >= EXISTING_NETWORK_ZONES && zones.size < EXISTING_NETWORK_ZONES) {
      add(at("privateSubnets"), `the subnets span ${zones.size} availability zone(s) (${[...zones].join(", ")}); give subnets in ${EXISTING_NETWORK_ZONES} distinct zones (the platform spreads every service over ${EXISTING_NETWORK_ZONES} zones and survives the loss of one)`);
    }
    // The load-balancer subnets' zones are checked against the private subnets' once those are right themselves.
    const privateZonesKnown = zones.size >= EXISTING_NETWORK_ZONES && !issues.some((i) => i.path[2] === "privateSubnets");
    issues.push(...awsLoadBalancerSubnetIssues(d, existing, privateZonesKnown ? zones : undefined, endpointCidrs, checkSubnet));
  }

  if (cloud === "azure") {
    for (const key of ["nodeSubnet", "apiServerSubnet", "privateEndpointSubnet"] as const) {
      if (isRecord(existing[key])) checkSubnet(at(key), existing[key].cidr);
    }
    const api = isRecord(existing.apiServerSubnet) ? existing.apiServerSubnet : undefined;
    const apiRange = rangeOf(api?.cidr);
    if (apiRange && apiRange.prefix > 28) add(at("apiServerSubnet", "cidr"), `a /${apiRange.prefix} is too small: AKS API Server VNet Integration needs at least a /28`);
    if (api && api.delegation !== AKS_API_SERVER_DELEGATION) {
      add(
        at("apiServerSubnet", "delegation"),
        `${api.delegation === undefined ? "required" : `'${String(api.delegation)}' is not AKS's`}: the API server subnet must be delegated to ${AKS_API_SERVER_DELEGATION} ` +
          `(az network vnet subnet update --delegations ${AKS_API_SERVER_DELEGATION} ...), then state delegation: ${AKS_API_SERVER_DELEGATION} here`,
      );
    }
    const az = isRecord(d.azure) ? d.azure : {};
    const vnetSubscription = typeof existing.virtualNetworkId === "string" ? existing.virtualNetworkId.split("/")[2]?.toLowerCase() : undefined;
    if (vnetSubscription && typeof az.subscriptionId === "string" && vnetSubscription !== az.subscriptionId.toLowerCase()) {
      add(at("virtualNetworkId"), `is in subscription ${vnetSubscription}, not azure.subscriptionId (${az.subscriptionId}); AKS joins a VNet of its own subscription`);
    }
  }

  if (cloud === "gcp") {
    // GKE's VPC-native cluster takes pods and Services from named secondary ranges of the subnetwork.
    for (const [key, what, field] of [["podsRangeName", "pods", "network.podCidr"], ["servicesRangeName", "Services", "network.serviceCidr"]] as const) {
      if (existing[key] === undefined) add(at(key), `required: the name of the subnetwork's secondary range for ${what} (its range is ${field}); add one with gcloud compute networks subnets update <subnetwork> --add-secondary-ranges=<name>=<range>`);
    }
    if (existing.podsRangeName !== undefined && existing.podsRangeName === existing.servicesRangeName) {
      add(at("servicesRangeName"), "is the same range as podsRangeName; pods and Services need two distinct secondary ranges");
    }
  }
  return issues;
}

/**
 * aws.existingNetwork.loadBalancerSubnets: the internal NLB's subnets with PrivateLink (required then, unused otherwise),
 * one in each zone of the private subnets, each inside network.cidr and clear of every other subnet and of the endpoints.
 */
function awsLoadBalancerSubnetIssues(
  d: Record<string, unknown>,
  existing: Record<string, unknown>,
  privateZones: ReadonlySet<string> | undefined,
  endpointCidrs: readonly unknown[],
  checkSubnet: (path: (string | number)[], value: unknown) => void,
): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const at = (...path: (string | number)[]) => ["aws", "existingNetwork", "loadBalancerSubnets", ...path];
  const link = isRecord(d.domain) && d.domain.privateLink !== undefined;
  const list = Array.isArray(existing.loadBalancerSubnets) ? existing.loadBalancerSubnets : undefined;
  if (!link) {
    if (list) issues.push({ path: at(), message: "is used only by domain.privateLink (the internal NLB's subnets); remove it, or add privateLink" });
    return issues;
  }
  if (!list) {
    issues.push({
      path: at(),
      message: `required with domain.privateLink: PrivateLink connections reach the entry point from the NLB's own addresses, so the NLB needs subnets where no pod takes an address; list one per zone of the private subnets${privateZones ? ` (${[...privateZones].join(", ")})` : ""} as { id, cidr, zone }, inside network.cidr and clear of the private subnets and endpointCidrs`,
    });
    return issues;
  }
  const zones = new Set<string>();
  list.forEach((s, i) => {
    if (!isRecord(s)) return;
    checkSubnet(at(i), s.cidr);
    const r = rangeOf(s.cidr);
    // "Each subnet must have a CIDR block with at least a /27 bitmask ... and at least 8 free IP addresses"
    // (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html, Subnets for your load balancer).
    if (r && r.prefix > 27) issues.push({ path: at(i, "cidr"), message: `a /${r.prefix} is too small: an NLB's subnet needs at least a /27 with 8 free addresses` });
    endpointCidrs.forEach((c, j) => {
      const e = rangeOf(c);
      if (r && e && overlaps(r, e)) issues.push({ path: at(i, "cidr"), message: `${r.cidr} overlaps aws.existingNetwork.endpointCidrs[${j}] (${e.cidr}); the NLB's subnets must hold nothing else the pods reach` });
    });
    if (typeof s.zone !== "string" || !privateZones) return;
    if (!privateZones.has(s.zone)) issues.push({ path: at(i, "zone"), message: `${s.zone} is not a zone of the private subnets (${[...privateZones].join(", ")}); the NLB reaches nodes in its own zones only: list one subnet per zone of the private subnets` });
    else if (zones.has(s.zone)) issues.push({ path: at(i, "zone"), message: `a second subnet in ${s.zone}; an NLB takes one subnet per zone: list one per zone` });
    zones.add(s.zone);
  });
  const missing = [...(privateZones ?? [])].filter((z) => !zones.has(z));
  if (missing.length) issues.push({ path: at(), message: `no subnet in ${missing.join(", ")}; list one per zone of the private subnets, so the NLB reaches nodes in every zone` });
  return issues;
}

/** The principal formats a private-link consumer takes, per cloud. */
const PRIVATE_LINK_CONSUMER: Record<Cloud, { pattern: RegExp; example: string }> = {
  aws: { pattern: /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/, example: "an AWS principal ARN, e.g. arn:aws:iam::123456789012:root" },
  azure: { pattern: UUID, example: "an Azure subscription id, e.g. 00000000-0000-0000-0000-000000000000" },
  gcp: { pattern: GKE_PSC_CONSUMER.value, example: "a GCP project id or number, e.g. acme-analytics or 123456789012" },
};

/** domain.access and domain.privateLink against each other and the cloud. */
function entryPointAccessIssues(d: Record<string, unknown>, cloud: Cloud | undefined): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const domain = isRecord(d.domain) ? d.domain : {};
  const link = isRecord(domain.privateLink) ? domain.privateLink : undefined;
  if (!link && cloud === "gcp" && isRecord(d.gcp)) {
    // The NAT subnet serves only the service attachment: without privateLink it would be an unused reservation.
    const unused = "is used only by domain.privateLink (the Private Service Connect NAT subnet); remove it, or add privateLink";
    if (d.gcp.pscNatCidr !== undefined) issues.push({ path: ["gcp", "pscNatCidr"], message: unused });
    if (isRecord(d.gcp.existingNetwork) && d.gcp.existingNetwork.pscNatSubnetwork !== undefined) issues.push({ path: ["gcp", "existingNetwork", "pscNatSubnetwork"], message: unused });
  }
  if (!link) return issues;
  if (domain.access !== "internal") {
    issues.push({ path: ["domain", "privateLink"], message: "needs domain.access: internal (private connectivity serves an internal load balancer); set it, or remove privateLink" });
  }
  // Azure's service controller creates the Private Link Service from the Service; the AWS stack creates the endpoint
  // service on the controller's NLB; on GCP the platform stack's ServiceAttachment, on a NAT subnet (gcp.pscNatCidr).
  const psc = cloud === "gcp" ? pscNatIssues(d) : undefined;
  if (psc) issues.push(...psc.issues);
  // Through a private endpoint the entry point sees addresses of the cluster's own network, never the user's
  // (AWS: the NLB's private addresses; Azure: the Private Link Service's NAT addresses in its subnet; GCP: the
  // Private Service Connect NAT subnet's, gcp.pscNatCidr).
  const sources = Array.isArray(domain.allowedSourceCidrs) ? domain.allowedSourceCidrs.map(rangeOf) : undefined;
  if (cloud === "aws") {
    // AWS: the NLB's own addresses, in its subnets; the controller admits them to the nodes from allowedSourceCidrs
    // (the Service's loadBalancerSourceRanges, NLB_NODE_SECURITY_GROUP_RULES), and the entry point from their ranges.
    const networkCidr = (isRecord(d.network) ? d.network.cidr : undefined) ?? NETWORK_DEFAULTS.cidr;
    const existing = isRecord(d.aws) && isRecord(d.aws.existingNetwork) ? d.aws.existingNetwork : undefined;
    const stated = existing ? (Array.isArray(existing.loadBalancerSubnets) ? existing.loadBalancerSubnets.map((s) => (isRecord(s) ? rangeOf(s.cidr) : undefined)) : []) : undefined;
    const created = typeof networkCidr === "string" ? createdPublicSubnetCidrs(networkCidr, EXISTING_NETWORK_ZONES) : undefined;
    const lbRanges = (stated ?? created?.map(rangeOf) ?? []).filter((r): r is Ipv4Range => r !== undefined);
    const where = existing ? "aws.existingNetwork.loadBalancerSubnets" : "the created network's public subnets, where the NLB sits";
    const missed = sources ? lbRanges.filter((lb) => !sources.some((r) => r && within(lb, r))) : [];
    if (missed.length) {
      issues.push({
        path: ["domain", "allowedSourceCidrs"],
        message: `does not admit ${missed.map((r) => r.cidr).join(", ")} (${where}): connections through PrivateLink reach the nodes from the NLB's own addresses there, not the user's; add ${missed.map((r) => r.cidr).join(", ")} (the endpoint service's allowedConsumers decide who connects)`,
      });
    }
  } else {
    const node = cloud === "gcp" ? psc?.nat : rangeOf((isRecord(d.network) ? d.network.cidr : undefined) ?? NETWORK_DEFAULTS.cidr);
    const nodeField = cloud === "gcp" ? "gcp.pscNatCidr" : "network.cidr";
    if (sources && node && !sources.some((r) => r && within(node, r))) {
      issues.push({
        path: ["domain", "allowedSourceCidrs"],
        message: `does not admit ${nodeField} (${node.cidr}): connections through a private endpoint reach the entry point from ${cloud === "gcp" ? "the Private Service Connect NAT subnet's" : "the cluster network's own"} addresses, not the user's; add ${node.cidr} (the private endpoint's allow-list decides who connects)`,
      });
    }
  }
  if (cloud && Array.isArray(link.allowedConsumers)) {
    const format = PRIVATE_LINK_CONSUMER[cloud];
    link.allowedConsumers.forEach((c, i) => {
      if (typeof c === "string" && !format.pattern.test(c)) issues.push({ path: ["domain", "privateLink", "allowedConsumers", i], message: `'${c}' is not ${format.example} (on ${cloud})` });
    });
  }
  return issues;
}

/**
 * The Azure internal entry point's static address and its DNS record: a private zone only for an internal entry
 * point and a public zone only for a public one; a given address inside the load balancer's subnet and not reserved.
 */
function azureEntryPointAddressIssues(d: Record<string, unknown>, network: Record<string, unknown>): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  const domain = isRecord(d.domain) ? d.domain : {};
  const az = isRecord(d.azure) ? d.azure : {};
  const internal = domain.access === "internal";
  const zone = isRecord(domain.dnsZone) ? domain.dnsZone : undefined;
  if (zone?.provider === "azure-dns" && internal) {
    issues.push({ path: ["domain", "dnsZone", "provider"], message: "an internal entry point has only a private address, which a public Azure DNS zone would publish; use azure-private-dns (a private zone linked to the users' networks), or remove dnsZone" });
  }
  if (zone?.provider === "azure-private-dns" && !internal) {
    issues.push({ path: ["domain", "dnsZone", "provider"], message: "a private zone's record points at the internal load balancer; set domain.access: internal, or use azure-dns for the public entry point" });
  }
  const ip = az.entryPointPrivateIp;
  if (ip === undefined) return issues;
  if (!internal) {
    issues.push({ path: ["azure", "entryPointPrivateIp"], message: "is the internal load balancer's address; set domain.access: internal, or remove it" });
    return issues;
  }
  const existing = isRecord(az.existingNetwork) ? az.existingNetwork : undefined;
  const nodeSubnet = existing && isRecord(existing.nodeSubnet) ? existing.nodeSubnet.cidr : undefined;
  const frontend = existing ? (typeof nodeSubnet === "string" ? nodeSubnet : undefined) : typeof network.cidr === "string" ? createdLoadBalancerSubnet(network.cidr) : undefined;
  if (typeof ip === "string" && frontend) {
    const problem = frontendAddressProblem(ip, frontend);
    const where = existing ? "azure.existingNetwork.nodeSubnet" : "the created network's load-balancer subnet";
    if (problem) issues.push({ path: ["azure", "entryPointPrivateIp"], message: `${problem}; give a free address of ${where} (${frontend}), e.g. ${defaultFrontendAddress(frontend)}` });
  }
  return issues;
}

/**
 * GCP Private Service Connect: the NAT subnet's range (gcp.pscNatCidr) is required, clear of the cluster's own
 * ranges, and with an existing network the NAT subnetwork is named (gcp.existingNetwork.pscNatSubnetwork).
 */
function pscNatIssues(d: Record<string, unknown>): { issues: CrossFieldIssue[]; nat?: Ipv4Range } {
  const issues: CrossFieldIssue[] = [];
  const gcp = isRecord(d.gcp) ? d.gcp : {};
  const network = isRecord(d.network) ? d.network : {};
  if (gcp.pscNatCidr === undefined) {
    issues.push({ path: ["gcp", "pscNatCidr"], message: "required with domain.privateLink on gcp: the range of the Private Service Connect NAT subnetwork, e.g. 10.60.16.0/24, clear of the node, pod and service ranges" });
  }
  const nat = rangeOf(gcp.pscNatCidr);
  const own: [string, unknown][] = [
    ["network.cidr", network.cidr ?? NETWORK_DEFAULTS.cidr],
    ["network.podCidr", network.podCidr ?? NETWORK_DEFAULTS.podCidr],
    ["network.serviceCidr", network.serviceCidr ?? NETWORK_DEFAULTS.serviceCidr],
    ...(isRecord(d.controlPlane) && Array.isArray(d.controlPlane.adminCidrs) ? d.controlPlane.adminCidrs.map((c, i): [string, unknown] => [`controlPlane.adminCidrs[${i}]`, c]) : []),
  ];
  for (const [field, value] of own) {
    const r = rangeOf(value);
    if (nat && r && overlaps(nat, r)) issues.push({ path: ["gcp", "pscNatCidr"], message: `${nat.cidr} overlaps ${field} (${r.cidr}); the NAT subnet needs a range of its own in the network, e.g. a /24 outside the node, pod and service ranges` });
  }
  const existing = isRecord(gcp.existingNetwork) ? gcp.existingNetwork : undefined;
  if (existing && existing.pscNatSubnetwork === undefined) {
    issues.push({ path: ["gcp", "existingNetwork", "pscNatSubnetwork"], message: `required with domain.privateLink: the name of the network's Private Service Connect NAT subnetwork (gcloud compute networks subnets create <name> --purpose=PRIVATE_SERVICE_CONNECT --range=${nat?.cidr ?? "<gcp.pscNatCidr>"} ...)` });
  }
  return { issues, nat };
}

/**
 * A Certificate Manager certificate on GCP (served by a GKE Gateway, GKE_GATEWAY): regional, in the deployment's project
 * and region; a proxy-only subnetwork's range, clear of every other range; no Private Service Connect (GKE's
 * ServiceAttachment attaches to a Service's forwarding rule only) and no allowedSourceCidrs (not enforceable at the Gateway).
 * Without that source, the proxy-only fields would be unused reservations.
 */
function gatewayIssues(d: Record<string, unknown>, cloud: Cloud): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  if (cloud !== "gcp") return issues;
  const domain = isRecord(d.domain) ? d.domain : {};
  const cert = isRecord(domain.certificate) ? domain.certificate : {};
  const gcp = isRecord(d.gcp) ? d.gcp : {};
  const existing = isRecord(gcp.existingNetwork) ? gcp.existingNetwork : undefined;
  if (cert.source !== "gcp-certificate-manager") {
    const unused = "is used only by domain.certificate.source gcp-certificate-manager (the Gateway's proxy-only subnet); remove it, or use that source";
    if (gcp.proxyOnlyCidr !== undefined) issues.push({ path: ["gcp", "proxyOnlyCidr"], message: unused });
    if (existing?.proxyOnlySubnetwork !== undefined) issues.push({ path: ["gcp", "existingNetwork", "proxyOnlySubnetwork"], message: unused });
    return issues;
  }
  const path = typeof cert.certificate === "string" ? GCP_REGIONAL_CERTIFICATE.exec(cert.certificate) : null;
  if (path?.[1] !== undefined && path[1] !== gcp.projectId) {
    issues.push({ path: ["domain", "certificate", "certificate"], message: `is in project ${path[1]}, but the Gateway looks the certificate up by name in gcp.projectId (${String(gcp.projectId)}); create it there` });
  }
  if (path?.[2] !== undefined && path[2] !== d.region) {
    issues.push({
      path: ["domain", "certificate", "certificate"],
      message: path[2] === "global"
        ? `is a global certificate; the Gateway is a regional load balancer in ${String(d.region)}, which serves regional certificates only; create the certificate with --location=${String(d.region)}`
        : `is in ${path[2]}, but the Gateway's regional load balancer is in ${String(d.region)} and serves certificates of its own region only; create the certificate with --location=${String(d.region)}`,
    });
  }
  if (domain.privateLink !== undefined) {
    issues.push({ path: ["domain", "privateLink"], message: "cannot reach the Gateway: GKE's ServiceAttachment attaches to a LoadBalancer Service's forwarding rule only, not to a Gateway's; remove privateLink, or use kubernetes-secret or vault-pki" });
  }
  if (domain.allowedSourceCidrs !== undefined) {
    issues.push({
      path: ["domain", "allowedSourceCidrs"],
      message:
        "cannot be enforced with gcp-certificate-manager: the Gateway's proxies, not the users, connect to the entry point, and the stack sets no source limit on the Gateway " +
        "(Cloud Armor is not available for gke-l7-rilb and not built for the external class); remove allowedSourceCidrs and limit users in your own network, or use kubernetes-secret or vault-pki",
    });
  }
  if (gcp.proxyOnlyCidr === undefined) {
    issues.push({ path: ["gcp", "proxyOnlyCidr"], message: "required with gcp-certificate-manager: the range of the Gateway's proxy-only subnetwork, e.g. 10.60.32.0/23, clear of the node, pod, service and admin ranges" });
  }
  if (existing && existing.proxyOnlySubnetwork === undefined) {
    const range = typeof gcp.proxyOnlyCidr === "string" ? gcp.proxyOnlyCidr : "<gcp.proxyOnlyCidr>";
    issues.push({ path: ["gcp", "existingNetwork", "proxyOnlySubnetwork"], message: `required with gcp-certificate-manager: the name of the network's active proxy-only subnetwork in ${String(d.region)} (gcloud compute networks subnets create <name> --purpose=REGIONAL_MANAGED_PROXY --role=ACTIVE --region=${String(d.region)} --network=<network> --range=${range})` });
  }
  const proxy = rangeOf(gcp.proxyOnlyCidr);
  const network = isRecord(d.network) ? d.network : {};
  const others: [string, unknown][] = [
    ["network.cidr", network.cidr ?? NETWORK_DEFAULTS.cidr],
    ["network.podCidr", network.podCidr ?? NETWORK_DEFAULTS.podCidr],
    ["network.serviceCidr", network.serviceCidr ?? NETWORK_DEFAULTS.serviceCidr],
    ["gcp.pscNatCidr", gcp.pscNatCidr],
    ...(isRecord(d.controlPlane) && Array.isArray(d.controlPlane.adminCidrs) ? d.controlPlane.adminCidrs.map((c, i): [string, unknown] => [`controlPlane.adminCidrs[${i}]`, c]) : []),
  ];
  for (const [field, value] of others) {
    const r = rangeOf(value);
    if (proxy && r && overlaps(proxy, r)) issues.push({ path: ["gcp", "proxyOnlyCidr"], message: `${proxy.cidr} overlaps ${field} (${r.cidr}); the proxy-only subnet needs a range of its own in the network, e.g. a /23 outside the other ranges` });
  }
  return issues;
}

/** The entry point's certificate and DNS zone must belong to the deployment's cloud and fit its name and region. */
function domainIssues(cloud: Cloud, region: unknown, domain: unknown): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];
  if (!isRecord(domain)) return issues;
  const cert = isRecord(domain.certificate) ? domain.certificate : {};
  if (cert.source === "gcp-certificate-manager" && cloud !== "gcp") {
    issues.push({ path: ["domain", "certificate", "source"], message: `a Certificate Manager certificate is served only by Google load balancers, and this deployment runs on ${cloud}; use vault-pki or kubernetes-secret` });
  }
  if (cert.source === "aws-acm") {
    if (cloud !== "aws") {
      issues.push({ path: ["domain", "certificate", "source"], message: `an ACM certificate is served only by AWS load balancers, and this deployment runs on ${cloud}; use vault-pki or kubernetes-secret` });
    } else if (typeof cert.certificateArn === "string") {
      // ELB uses certificates of its own region only (https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html).
      const certRegion = ACM_CERTIFICATE_ARN.exec(cert.certificateArn)?.[1];
      if (certRegion && typeof region === "string" && certRegion !== region) {
        issues.push({ path: ["domain", "certificate", "certificateArn"], message: `is in ${certRegion}, but the load balancer is in ${region}: Elastic Load Balancing uses ACM certificates of its own region only; request or import the certificate in ${region}` });
      }
    }
  }
  if (cert.source === "azure-key-vault" && cloud !== "azure") {
    issues.push({ path: ["domain", "certificate", "source"], message: `a Key Vault certificate is mounted by AKS's Key Vault provider for the Secrets Store CSI driver, and this deployment runs on ${cloud}; use vault-pki or kubernetes-secret` });
  }
  const zone = isRecord(domain.dnsZone) ? domain.dnsZone : undefined;
  const provider = zone?.provider as keyof typeof DNS_ZONE_CLOUD | undefined;
  if (zone && provider && DNS_ZONE_CLOUD[provider] && DNS_ZONE_CLOUD[provider] !== cloud) {
    issues.push({ path: ["domain", "dnsZone", "provider"], message: `${provider} is a DNS zone of ${DNS_ZONE_CLOUD[provider]}, and this deployment runs on ${cloud}: the stack can only write records in its own cloud; use ${Object.entries(DNS_ZONE_CLOUD).find(([, c]) => c === cloud)?.[0]} or create the record yourself` });
  }
  if (zone && typeof zone.zoneName === "string" && typeof domain.name === "string" && !domain.name.endsWith(`.${zone.zoneName}`)) {
    issues.push({ path: ["domain", "dnsZone", "zoneName"], message: `${zone.zoneName} is not a parent of domain.name (${domain.name}); name the zone that holds it` });
  }
  return issues;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** A deployment as written in a file (defaults not yet applied). */
export type DeploymentInput = z.input<typeof DeploymentSchema>;
/** What the schema's parse gives: one object shape for all clouds (the cloud sections are checked across fields). */
type ParsedDeployment = z.output<typeof DeploymentSchema>;
/** The fields every cloud shares. */
type CommonDeployment = Omit<ParsedDeployment, Cloud | "cloud">;
export type AwsSettings = z.output<typeof Aws>;
export type AzureSettings = z.output<typeof Azure>;
export type GcpSettings = z.output<typeof Gcp>;
/** An AWS deployment: its aws section (admin principals are required) and no other cloud's. */
export type AwsDeployment = CommonDeployment & { readonly cloud: "aws"; readonly aws: AwsSettings; readonly azure?: undefined; readonly gcp?: undefined };
/** An Azure deployment: its azure section and no other cloud's. */
export type AzureDeployment = CommonDeployment & { readonly cloud: "azure"; readonly azure: AzureSettings; readonly aws?: undefined; readonly gcp?: undefined };
/** A GCP deployment: its gcp section and no other cloud's. */
export type GcpDeployment = CommonDeployment & { readonly cloud: "gcp"; readonly gcp: GcpSettings; readonly aws?: undefined; readonly azure?: undefined };
/**
 * A validated deployment with every default applied: what stacks receive. A union on `cloud`, so code that
 * has checked the cloud holds that cloud's section by type (each cloud stack takes its own member).
 */
export type Deployment = AwsDeployment | AzureDeployment | GcpDeployment;

/** A deployment as `cloud`'s member of the union (for code given one cloud's deployment), or an error naming both clouds. */
export function deploymentOn<C extends Cloud>(cloud: C, d: Deployment): Extract<Deployment, { cloud: C }> {
  if (d.cloud === cloud) return d as Extract<Deployment, { cloud: C }>;
  throw new Error(`deployment '${d.name}' has cloud: ${d.cloud}; this needs cloud: ${cloud}`);
}

/**
 * The parsed deployment as the union on `cloud`. crossFieldIssues refuses a deployment without its cloud's
 * section (AWS: its admin principals) or with another cloud's, so this only re-states that by type; a
 * deployment it cannot place is a bug of those checks, not the user's input.
 */
export function byCloud(d: ParsedDeployment): Deployment {
  const sections = { aws: d.aws, azure: d.azure, gcp: d.gcp };
  const others = CLOUDS.filter((c) => c !== d.cloud && sections[c] !== undefined);
  if (sections[d.cloud] !== undefined && others.length === 0) return d as Deployment;
  const what = others.length > 0 ? `with ${others.join(", ")} settings` : `without its ${d.cloud} section`;
  throw new Error(`deployment '${d.name}' (cloud: ${d.cloud}) passed validation ${what} (a bug of config/schema.ts crossFieldIssues)`);
}
