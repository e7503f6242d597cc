import { z } from "zod";
import { isIpv4Cidr, overlaps, parseIpv4Cidr } from "./cidr";
import { gcpLabelKey, RESERVED_GCP_LABEL_KEYS } from "./gcp-labels";
import { readSamlIdpMetadata, SamlMetadataError } from "./saml-metadata";
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
const REGION_BY_CLOUD: Record<Cloud, { pattern: RegExp; example: string }> = {
  aws: { pattern: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, example: "eu-west-1" },
  azure: { pattern: /^[a-z][a-z0-9]{2,30}$/, example: "westeurope" },
  gcp: { pattern: /^[a-z]+-[a-z]+\d$/, example: "europe-west1" },
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const cidr = z
  .string()
  .refine(isIpv4Cidr, { message: "must be an IPv4 CIDR with no host bits set, e.g. 10.40.0.0/16" });

const adminCidr = cidr.refine((c) => !c.endsWith("/0"), {
  message: "a /0 opens the Kubernetes API to the whole internet; give host or office ranges, e.g. 203.0.113.0/24",
});

const ControlPlane = z
  .strictObject({
    adminCidrs: z
      .array(adminCidr)
      .min(1, { message: "list at least one admin CIDR allowed to reach the Kubernetes API, e.g. [203.0.113.0/24]" })
      .max(40, { message: "at most 40 admin CIDRs (the smallest provider limit); aggregate ranges" })
      .describe("CIDRs allowed to reach the Kubernetes API (the only ones). Never a /0."),
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

const Certificate = z.discriminatedUnion("source", [
  z.strictObject({
    source: z.literal("vault-pki").describe("Issue the entry point's certificate from Vault's internal CA (for demos and private networks)."),
  }),
  z.strictObject({
    source: z.literal("kubernetes-secret").describe("A Kubernetes TLS secret created out of band (keeps the key out of Terraform state)."),
    secretName: z.string().describe("Name of the kubernetes.io/tls Secret in the ingress namespace.").regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
      message: "must be a Kubernetes secret name (lowercase letters, digits, '-')",
    }),
  }),
]);

const Domain = z
  .strictObject({
    name: z.string().regex(HOSTNAME, { message: "must be a lowercase DNS name, e.g. catalog.example.com" }).describe("The hostname users reach the platform at, e.g. catalog.example.com."),
    certificate: Certificate.default({ source: "vault-pki" }).describe("Where the entry point's TLS certificate comes from."),
    allowedSourceCidrs: z.array(cidr).min(1, { message: "an empty list admits nobody; omit the field to admit everyone, or list the ranges" }).optional().describe("Source ranges allowed to reach the entry point. Default: everyone (it is the user-facing HTTPS endpoint)."),
  })
  .describe("The user-facing HTTPS entry point.");

const NodePool = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9]{0,11}$/, { message: "must be 1-12 lowercase letters/digits, starting with a letter" }).describe("Pool name (1-12 lowercase letters/digits)."),
  count: z.number().int().min(3, { message: "must be at least 3 (one node per zone)" }).max(100).describe("Nodes in the pool; at least 3 so every zone has one."),
  machineType: z.string().regex(/^[A-Za-z0-9._-]+$/, { message: "must be a machine type name, e.g. m6i.2xlarge" }).describe("The cloud's machine type, e.g. m6i.2xlarge, Standard_D8s_v5, e2-standard-8 (the platform requests about 10.7 vCPU / 37 GiB: three 8 vCPU / 32 GiB nodes fit it with headroom)."),
  diskSizeGiB: z.number().int().min(30).max(2000).default(100).describe("Root/OS disk size. Default: 100"),
});

const Saml = z.strictObject({
  idpMetadataUrl: z.url({ protocol: /^https$/, message: "must be an https:// URL of the IdP's SAML metadata" }).describe("HTTPS URL of the customer's SAML 2.0 IdP metadata; Keycloak brokers logins to it."),
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
});

const State = z.discriminatedUnion("backend", [
  z.strictObject({ backend: z.literal("local").describe("State files in the project root (terraform.<stack id>.tfstate); for trials only.") }),
  z.strictObject({
    backend: z.literal("s3").describe("S3 backend: encrypted, S3-native lock file (use_lockfile)."),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "must be an S3 bucket name" }).describe("Existing, versioned, encrypted bucket holding the state."),
    region: z.string().regex(REGION_BY_CLOUD.aws.pattern, { message: "must be an AWS region, e.g. eu-west-1" }).describe("Region of the state bucket."),
    keyPrefix: z.string().regex(/^[A-Za-z0-9/_.-]+$/).default("metadata-platform").describe('Key prefix; each stack\'s state lives at `<keyPrefix>/<stack id>.tfstate`. Default: "metadata-platform"'),
  }),
  z.strictObject({
    backend: z.literal("azurerm").describe("Azure Blob backend: blob lease locking, Entra ID auth (no account key)."),
    resourceGroupName: z.string().min(1).max(90).describe("Resource group of the state storage account."),
    storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/, { message: "must be 3-24 lowercase letters and digits" }),
    containerName: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/),
    keyPrefix: z.string().regex(/^[A-Za-z0-9/_.-]+$/).default("metadata-platform"),
  }),
  z.strictObject({
    backend: z.literal("gcs").describe("GCS backend: versioned bucket, native locking."),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, { message: "must be a GCS bucket name" }),
    prefix: z.string().regex(/^[A-Za-z0-9/_.-]+$/).default("metadata-platform"),
  }),
]);

const Images = z.strictObject({
  registry: z
    .string()
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
    .describe("Fail the security policy (K8S-27) for every image the lock file does not pin by digest; the lock is written by `npm run images:lock -- --config <this file>` from each registry's answer. Default: false (images are pulled by their exact tag, and by digest wherever the lock has one)."),
  lockFile: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .describe("Path of the image lock file, relative to this file. Default: `<this file's name>.images-lock.json` beside it (commit it with the deployment file)."),
  lock: ImagesLockSchema.optional().describe("The lock file's content, filled in by the loader from lockFile. Never written in a deployment file."),
});

const Azure = z.strictObject({
  subscriptionId: z.string().regex(UUID, { message: "must be the subscription's UUID" }).describe("Subscription the deployment lives in."),
  tenantId: z.string().regex(UUID, { message: "must be the Entra ID tenant's UUID" }).describe("Entra ID tenant of the subscription."),
  adminGroupObjectIds: z.array(z.string().regex(UUID, { message: "must be a group object UUID" })).min(1).describe("Entra ID group object ids granted cluster-admin through Azure RBAC."),
});

const Gcp = z.strictObject({
  projectId: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, { message: "must be a GCP project id, e.g. acme-catalog-prod" }),
});

const Aws = z.strictObject({
  adminPrincipalArns: z
    .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, { message: "must be an IAM role or user ARN" }))
    .default([])
    .describe("IAM principal ARNs (roles/users) given cluster-admin through EKS access entries. Default: none (only the identity that creates the cluster is admin)."),
});

export const DeploymentSchema = z
  .strictObject({
    name: z
      .string()
      .regex(DNS_LABEL, { message: "must be 2-20 characters: lowercase letters, digits and '-', starting with a letter, e.g. acme-prod" })
      .describe("DNS-label safe name; prefixes stack ids (<name>-aws) and resource names. Never change it: it names state."),
    cloud: z.enum(CLOUDS, { message: "must be one of aws, azure, gcp" }).describe("The cloud the deployment runs in."),
    region: z.string().min(1).describe("The cloud region, e.g. eu-west-1 (aws), westeurope (azure), europe-west1 (gcp)."),
    controlPlane: ControlPlane,
    network: Network.default(NETWORK_DEFAULTS),
    domain: Domain,
    nodePools: z.array(NodePool).min(1, { message: "give at least one node pool" }).describe("Worker node pools; each spans the three zones."),
    saml: Saml.optional().describe("SAML 2.0 single sign-on through Keycloak. Default: none (username/password with OTP 2FA only)."),
    tags: z.record(TagKey, z.string().max(256)).default({}).describe("Tags/labels put on every cloud resource that takes them."),
    dataProtection: DataProtection.default({ allowDestroy: false }).describe("Protection of stateful resources against destroy."),
    state: State.default({ backend: "local" }).describe("Where Terraform state lives, one state per stack. Default: local files in the project root."),
    images: Images.default({ vaultDistribution: "vault", digestsRequired: false }).describe("Container images: registry mirror and Vault distribution."),
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
    if (cloud === "azure" && d.azure === undefined) add(["azure"], "required when cloud is azure: { subscriptionId, tenantId, adminGroupObjectIds }");
    if (cloud === "gcp" && d.gcp === undefined) add(["gcp"], "required when cloud is gcp: { projectId }");
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

  // Apache Atlas has no maintained public image: it is built from images/atlas and pulled from a registry of the customer's.
  const images = isRecord(d.images) ? d.images : {};
  if (images.registry === undefined && images.projectRegistry === undefined) {
    add(["images", "projectRegistry"], "required: the Apache Atlas image is built from images/atlas (no maintained public image exists); build and push it, then name the registry, e.g. registry.example.com/platform (or set images.registry to a mirror of every image)");
  }

  const pools = Array.isArray(d.nodePools) ? d.nodePools : [];
  const names = pools.map((p) => (isRecord(p) ? p.name : undefined));
  if (cloud === "azure") {
    // AKS's system pool (critical add-ons only) is created by the platform under this name.
    names.forEach((n, i) => {
      if (n === "system") add(["nodePools", i, "name"], "'system' is the platform's own AKS system pool on Azure; choose another name, e.g. general");
    });
  }
  names.forEach((n, i) => {
    if (typeof n === "string" && names.indexOf(n) !== i) add(["nodePools", i, "name"], `duplicate node pool name '${n}'`);
  });
  return issues;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** A deployment as written in a file (defaults not yet applied). */
export type DeploymentInput = z.input<typeof DeploymentSchema>;
/** A validated deployment with every default applied: what stacks receive. */
export type Deployment = z.output<typeof DeploymentSchema>;
