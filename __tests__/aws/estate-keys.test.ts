import { Testing } from "cdktf";
import { readConfigFile } from "../../config/load";
import { configProblems } from "../support/config-problems";
import type { DeploymentInput } from "../../config/schema";
import { NLB_FACTS } from "../../constructs/aws/entry-point-address";
import { DATA_KEY_USE } from "../../constructs/aws/service-key-policies";
import { EBS_FACTS } from "../../constructs/aws/eks-facts";
import { newStack, findingsOf } from "../policy/fixtures/harness";
import { SecureBucket } from "../policy/fixtures/aws";
import { synthesizedStacks } from "../support/deployments";
import { synthAws, blocks, type Block, type TfJson } from "../support/helpers";
import { nonEmpty } from "../support/non-empty";

// examples/aws-estate-keys.yaml as main.ts synthesized it (jest global setup), and variations in-process.
const KEY = "examples-aws-estate-keys";
const stacks = () => synthesizedStacks(KEY) as unknown as Record<string, TfJson>;
const cloud = () => stacks()["acme-keys-aws"];
const example = readConfigFile("examples/aws-estate-keys.yaml") as DeploymentInput;
const ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789";

const problems = configProblems;

/** The statements of the policy document a KMS key's `policy` references. */
function keyPolicy(json: TfJson, keyId: string): { sid: string; effect: string; actions: string[]; principals: { type: string; identifiers: string[] }[]; condition?: { test: string; variable: string; values: string[] }[] }[] {
  const key = Object.entries(blocks(json, "aws_kms_key")).find(([id]) => id.startsWith(keyId))?.[1] as Block;
  const doc = /data\.aws_iam_policy_document\.([^.]+)\.json/.exec(String(key.policy))?.[1] as string;
  return (blocks(json, "aws_iam_policy_document", "data")[doc] as { statement: never[] }).statement;
}

describe("config", () => {
  test("the example is valid and the options are opt-in", () => {
    expect(problems(example)).toEqual([]);
    expect(problems(readConfigFile("examples/aws.yaml"))).toEqual([]);
  });

  test("refused: an ACM certificate on another cloud, of another region, or malformed; another cloud's DNS zone; a zone that does not hold the name", () => {
    const gcp = readConfigFile("examples/gcp.yaml") as DeploymentInput;
    expect(problems({ ...gcp, domain: { ...gcp.domain, certificate: { source: "aws-acm", certificateArn: ARN } } })).toEqual([
      expect.stringMatching(/^domain\.certificate\.source: .*an ACM certificate is served only by AWS load balancers, and this deployment runs on gcp/),
    ]);
    expect(problems({ ...example, domain: { ...example.domain, certificate: { source: "aws-acm", certificateArn: ARN.replace("eu-west-1", "us-east-1") } } })).toEqual([
      expect.stringMatching(/^domain\.certificate\.certificateArn: .*is in us-east-1, but the load balancer is in eu-west-1: .*request or import the certificate in eu-west-1/),
    ]);
    expect(problems({ ...example, domain: { ...example.domain, certificate: { source: "aws-acm", certificateArn: "arn:aws:acm:eu-west-1:1:cert" } } }).join("\n")).toMatch(/domain\.certificate\.certificateArn.*must be an ACM certificate ARN/);
    expect(problems({ ...example, domain: { ...example.domain, dnsZone: { provider: "cloud-dns", managedZone: "acme", zoneName: "acme.example.com" } } })).toEqual([
      expect.stringMatching(/^domain\.dnsZone\.provider: .*cloud-dns is a DNS zone of gcp, and this deployment runs on aws.*use route53/),
    ]);
    expect(problems({ ...example, domain: { ...example.domain, dnsZone: { provider: "route53", hostedZoneId: "Z0123456789ABCDEFGHIJ", zoneName: "other.example.com" } } })).toEqual([
      expect.stringMatching(/^domain\.dnsZone\.zoneName: .*other\.example\.com is not a parent of domain\.name \(catalog\.acme\.example\.com\)/),
    ]);
    expect(problems({ ...example, encryption: { keys: "bring-your-own" } }).join("\n")).toMatch(/encryption\.keys/);
  });
});

describe("certificate from ACM, attached where AWS serves it", () => {
  test("the entry point's Service carries the NLB TLS annotations the AWS cloud provider reads (NLB_FACTS)", () => {
    const svc = Object.values(blocks(stacks()["acme-keys-platform"], "kubernetes_service_v1")).find((s) => JSON.stringify(s).includes("entry-point")) as Block;
    const annotations = (svc.metadata as { annotations: Record<string, string> }).annotations;
    expect(annotations[NLB_FACTS.sslCert]).toBe(ARN);
    // The cloud provider gives a port a TLS listener when ssl-ports lists it: 443 only, 80 stays the plain redirect.
    expect(annotations[NLB_FACTS.sslPorts].split(",")).toEqual(["443"]);
    const ports = (svc.spec as { port: { port: number }[] }).port.map((p) => p.port);
    expect(ports).toEqual(expect.arrayContaining([443, 80]));
    expect(annotations[NLB_FACTS.sslNegotiationPolicy]).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
    // "ssl": a TLS target group, so the hop from the NLB to the entry point stays encrypted.
    expect(annotations[NLB_FACTS.backendProtocol]).toBe("ssl");
  });

  test("behind the NLB the entry point serves its Vault-issued service certificate (NLB_FACTS: targets are not verified); Vault is never asked for the public name", () => {
    expect(NLB_FACTS.targetCertificateVerified).toBe(false);
    const text = JSON.stringify(stacks()["acme-keys-platform"]);
    // __tests__/platform/vault-agent-templates.test.ts runs these templates against Vault's name rules.
    expect(text).toContain("common_name=entry-point.ingress.svc");
    expect(text).not.toContain("common_name=catalog.acme.example.com");
  });

  test("no private key or certificate body is in any stack (nothing of the certificate but its ARN)", () => {
    for (const [id, s] of Object.entries(stacks())) {
      const text = JSON.stringify(s);
      // A PEM key, or a private_key attribute (aws_acm_certificate's, tls_private_key's); a Vault Agent template's
      // "private_key_format=pkcs8" parameter is neither.
      const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----|\\"private_key(_pem)?\\"\s*:|"private_key(_pem)?"\s*:/.test(text);
      expect({ id, key, acm: "aws_acm_certificate" in (s.resource ?? {}) }).toEqual({ id, key: false, acm: false });
    }
  });

  test("the default deployment keeps TCP pass-through (no certificate at the NLB)", () => {
    const { json } = synthAws();
    expect(JSON.stringify(json)).not.toContain(NLB_FACTS.sslCert);
    expect(blocks(json, "aws_route53_record")).toEqual({});
  });
});

describe("DNS record in the Route 53 zone", () => {
  test("one Elastic IP per subnet the NLB is placed in (the public subnets tagged kubernetes.io/role/elb), and the A record on them", () => {
    const json = cloud();
    const elbSubnets = Object.values(blocks(json, "aws_subnet")).filter((s) => (s.tags as Record<string, string>)["kubernetes.io/role/elb"] === "1");
    const eips = Object.keys(blocks(json, "aws_eip")).filter((id) => id.startsWith("EntryPointAddress"));
    // aws_loadbalancer.go: "Must have same number of EIP AllocationIDs and SubnetIDs".
    expect(eips).toHaveLength(elbSubnets.length * NLB_FACTS.eipsPerSubnet);
    const record = Object.values(blocks(json, "aws_route53_record"))[0];
    expect(record).toMatchObject({ name: "catalog.acme.example.com", type: "A", zone_id: "Z0123456789ABCDEFGHIJ", records: eips.map((id) => `\${aws_eip.${id}.public_ip}`) });
    const svc = Object.values(blocks(stacks()["acme-keys-platform"], "kubernetes_service_v1")).find((s) => JSON.stringify(s).includes("entry-point")) as Block;
    const allocations = (svc.metadata as { annotations: Record<string, string> }).annotations[NLB_FACTS.eipAllocations];
    expect(allocations.split(",")).toHaveLength(eips.length);
  });
});

describe("customer-managed keys, opt-in", () => {
  test("the default keeps the AWS managed keys: SSE-S3 buckets, aws/ebs volumes, log groups without a key", () => {
    const { json } = synthAws();
    expect(Object.keys(blocks(json, "aws_kms_key")).sort()).toEqual([expect.stringMatching(/^Cluster_SecretsKey/), expect.stringMatching(/^VaultUnseal_Key/)]);
    for (const g of nonEmpty(Object.values(blocks(json, "aws_cloudwatch_log_group")), "log group")) expect(g.kms_key_id).toBeUndefined();
    expect(JSON.stringify(blocks(json, "aws_s3_bucket_server_side_encryption_configuration"))).not.toContain("aws:kms");
  });

  test("volumes: nodes' launch templates and the StorageClass use the volume key, whose policy lets principals of the account use it only through EC2", () => {
    const json = cloud();
    for (const lt of nonEmpty(Object.values(blocks(json, "aws_launch_template")), "launch template")) {
      expect((lt.block_device_mappings as { ebs: Block }[])[0].ebs).toMatchObject({ encrypted: "true", kms_key_id: expect.stringMatching(/aws_kms_key\.VolumeKey_.*\.arn/) });
    }
    const sc = Object.values(blocks(stacks()["acme-keys-vault"], "kubernetes_storage_class_v1"))[0];
    expect((sc.parameters as Record<string, string>)[EBS_FACTS.csiKmsKeyParameter.value]).toMatch(/VolumeKey/);
    const policy = keyPolicy(json, "VolumeKey");
    const use = policy.find((s) => s.sid === "VolumesThroughEc2")!;
    expect(use.actions).toEqual([...DATA_KEY_USE]);
    expect(use.condition).toEqual(expect.arrayContaining([{ test: "StringEquals", variable: "kms:ViaService", values: ["ec2.eu-west-1.amazonaws.com"] }, expect.objectContaining({ variable: "kms:CallerAccount" })]));
    expect(policy.find((s) => s.sid === "VolumeAttachmentGrants")!.condition).toEqual(expect.arrayContaining([{ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }]));
  });

  test("logs: every log group under the logs key, whose policy admits CloudWatch Logs of the region for exactly those groups", () => {
    const json = cloud();
    const groups = Object.values(blocks(json, "aws_cloudwatch_log_group"));
    expect(groups.length).toBeGreaterThanOrEqual(2);
    for (const g of groups) expect(g.kms_key_id).toMatch(/aws_kms_key\.LogsKey_.*\.arn/);
    const use = keyPolicy(json, "LogsKey").find((s) => s.sid === "LogGroupsThroughCloudWatchLogs")!;
    expect(use.principals).toEqual([{ type: "Service", identifiers: ["logs.eu-west-1.amazonaws.com"] }]);
    const arns = use.condition![0].values;
    expect(use.condition![0].variable).toBe("kms:EncryptionContext:aws:logs:arn");
    expect(arns.map((a) => a.replace(/^.*:log-group:/, "")).sort()).toEqual(groups.map((g) => g.name).sort());
  });

  test("buckets: the data bucket under the data key (only through S3, only for that bucket); the access-log bucket stays SSE-S3 (S3 logs only there)", () => {
    const json = cloud();
    const sse = Object.values(blocks(json, "aws_s3_bucket_server_side_encryption_configuration")).map((c) => (c.rule as Block[])[0].apply_server_side_encryption_by_default as Block);
    expect(sse).toEqual(expect.arrayContaining([{ sse_algorithm: "aws:kms", kms_master_key_id: expect.stringMatching(/DataKey/) }, { sse_algorithm: "AES256" }]));
    const use = keyPolicy(json, "DataKey").find((s) => s.sid === "BucketsThroughS3")!;
    expect(use.condition).toEqual(expect.arrayContaining([{ test: "StringEquals", variable: "kms:ViaService", values: ["s3.eu-west-1.amazonaws.com"] }]));
    const context = use.condition!.find((c) => c.variable === "kms:EncryptionContext:aws:s3:arn")!.values;
    expect(context).toHaveLength(2);
    expect(context[0]).toMatch(/:s3:::acme-keys-data-/);
  });

  test("no key grants a cryptographic operation to the account root; each key rotates and is protected from destroy", () => {
    const json = cloud();
    for (const id of ["VolumeKey", "LogsKey", "DataKey"]) {
      const admin = keyPolicy(json, id).find((s) => s.sid === "KeyAdministrationNotUse")!;
      expect(admin.actions.filter((a) => /Encrypt|Decrypt|GenerateDataKey|CreateGrant|^kms:\*$/.test(a))).toEqual([]);
      const key = Object.entries(blocks(json, "aws_kms_key")).find(([k]) => k.startsWith(id))![1];
      expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } });
    }
  });

  test("policy AWS-1 accepts SSE-S3 and SSE-KMS under a named key, and still refuses SSE-KMS without a key (the AWS managed aws/s3)", () => {
    const verdict = (mutate?: (b: SecureBucket) => void) => {
      const { app, stack } = newStack();
      const b = new SecureBucket(stack, "B");
      mutate?.(b);
      Testing.synth(stack);
      return findingsOf(app).filter((f) => f.ruleId === "AWS-1").map((f) => f.status);
    };
    expect(verdict()).toEqual(["pass"]);
    expect(verdict((b) => { b.sse.addOverride("rule.0.apply_server_side_encryption_by_default", { sse_algorithm: "aws:kms", kms_master_key_id: "arn:aws:kms:eu-west-1:123456789012:key/1" }); })).toEqual(["pass"]);
    expect(verdict((b) => { b.sse.addOverride("rule.0.apply_server_side_encryption_by_default", { sse_algorithm: "aws:kms" }); })).toEqual(["fail"]);
  });
});
