import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, DefaultTokenResolver, StringConcat, Testing, Tokenization } from "cdktf";
import { AwsStack } from "../../stacks/aws-stack";
import { WORKLOAD_IDENTITIES } from "../../platform/platform-foundation";
import { RETIRED_EBS_ENCRYPTION_BY_DEFAULT } from "../../stacks/aws-stack";
import { ELASTICSEARCH_S3_REPOSITORY_ACTIONS } from "../../constructs/aws/eks-facts";
import { EncryptionKey } from "../../constructs/aws/encryption-key";
import { IrsaRole } from "../../constructs/aws/irsa-role";
import { at, blocks, deployment, ref, synthAws, type TfJson } from "../support/helpers";
import { deploymentOn } from "../../config/schema";
import { nonEmpty } from "../support/non-empty";

/** A token as the Terraform expression it renders to in the stack. */
const resolve = (value: unknown): unknown =>
  Tokenization.resolve(value, { scope: stack, preparing: false, resolver: new DefaultTokenResolver(new StringConcat()) });

let json: TfJson;
let raw: string;
let stack: AwsStack;
beforeAll(() => {
  ({ json, raw, stack } = synthAws());
});

test("every container's output goes to CloudWatch Logs: the observability add-on with its own role, into a log group with a retention", () => {
  const group = at(json, "aws_cloudwatch_log_group", "ContainerLogs/Application");
  expect(group).toMatchObject({ name: "/aws/containerinsights/demo/application", retention_in_days: 365 });
  const addon = at(json, "aws_eks_addon", "ContainerLogs/Resource");
  expect(addon).toMatchObject({ addon_name: "amazon-cloudwatch-observability", service_account_role_arn: expect.stringContaining("aws_iam_role.ContainerLogs_Role") });
  expect(addon.depends_on).toContain(`aws_cloudwatch_log_group.${group.logicalId}`);
  expect(raw).toContain("system:serviceaccount:amazon-cloudwatch:cloudwatch-agent");
});

describe("buckets", () => {
  test("a data bucket and a log bucket with deterministic, account- and region-unique names", () => {
    const account = "${data.aws_caller_identity.Account.account_id}";
    expect(at(json, "aws_s3_bucket", "Data/Resource").bucket).toBe(`demo-data-${account}-eu-west-1`);
    expect(at(json, "aws_s3_bucket", "Logs/Resource").bucket).toBe(`demo-logs-${account}-eu-west-1`);
  });

  test("both are SSE-S3 AES-256; the data bucket logs to the log bucket, which does not log itself", () => {
    for (const enc of nonEmpty(Object.values(blocks(json, "aws_s3_bucket_server_side_encryption_configuration")), "bucket encryption configuration")) {
      expect(enc.rule).toEqual([expect.objectContaining({ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } })]);
    }
    const logs = at(json, "aws_s3_bucket", "Logs/Resource");
    expect(Object.values(blocks(json, "aws_s3_bucket_logging"))).toEqual([
      expect.objectContaining({ bucket: ref("aws_s3_bucket", at(json, "aws_s3_bucket", "Data/Resource"), "id"), target_bucket: ref("aws_s3_bucket", logs, "bucket") }),
    ]);
  });
});

describe("account-wide settings and unwired services", () => {
  test("no Athena workgroup: queries go to the customer's own processing layer, nothing here may run or read them", () => {
    expect(json.resource.aws_athena_workgroup).toBeUndefined();
  });

  test("EBS encryption by default is no longer managed: a removed block forgets it without turning it off", () => {
    expect(json.resource.aws_ebs_encryption_by_default).toBeUndefined();
    expect((json as { removed?: unknown }).removed).toEqual([{ from: RETIRED_EBS_ENCRYPTION_BY_DEFAULT, lifecycle: { destroy: false } }]);
  });
});

describe("backup role", () => {
  test("may do in the data bucket what Elasticsearch's S3 repository does, deletes included, and nothing else", () => {
    const doc = at(json, "aws_iam_policy_document", "BackupRole/PermissionsPolicy", "data");
    const data = at(json, "aws_s3_bucket", "Data/Resource");
    expect(doc.statement).toEqual([
      expect.objectContaining({ effect: "Allow", actions: [...ELASTICSEARCH_S3_REPOSITORY_ACTIONS.value.bucket], resources: [ref("aws_s3_bucket", data, "arn")] }),
      expect.objectContaining({ effect: "Allow", actions: [...ELASTICSEARCH_S3_REPOSITORY_ACTIONS.value.objects], resources: [`${ref("aws_s3_bucket", data, "arn")}/*`] }),
    ]);
    expect(ELASTICSEARCH_S3_REPOSITORY_ACTIONS.value.objects).toContain("s3:DeleteObject");
  });
});

describe("Vault auto-unseal", () => {
  test("a KMS key with rotation, 30-day deletion window, protected from destroy", () => {
    expect(at(json, "aws_kms_key", "VaultUnseal/Key/Resource")).toMatchObject({
      enable_key_rotation: true,
      deletion_window_in_days: 30,
      key_usage: "ENCRYPT_DECRYPT",
      lifecycle: { prevent_destroy: true },
    });
  });

  test("the role is trusted only by Vault's service account, audience STS", () => {
    const trust = at(json, "aws_iam_policy_document", "VaultUnseal/Role/TrustPolicy", "data");
    const oidc = at(json, "aws_iam_openid_connect_provider", "Cluster/OidcProvider");
    expect(trust.statement).toEqual([
      {
        effect: "Allow",
        actions: ["sts:AssumeRoleWithWebIdentity"],
        principals: [{ type: "Federated", identifiers: [ref("aws_iam_openid_connect_provider", oidc, "arn")] }],
        condition: [
          { test: "StringEquals", variable: expect.stringMatching(/:sub$/), values: ["system:serviceaccount:vault:vault"] },
          { test: "StringEquals", variable: expect.stringMatching(/:aud$/), values: ["sts.amazonaws.com"] },
        ],
      },
    ]);
  });

  test("the role may only Encrypt/Decrypt/DescribeKey with that key", () => {
    const key = at(json, "aws_kms_key", "VaultUnseal/Key/Resource");
    const permissions = at(json, "aws_iam_policy_document", "VaultUnseal/Role/PermissionsPolicy", "data");
    expect(permissions.statement).toEqual([
      expect.objectContaining({ effect: "Allow", actions: ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], resources: [ref("aws_kms_key", key, "arn")] }),
    ]);
    expect(Object.values(blocks(json, "aws_iam_role_policy_attachment")).filter((a) => String(a.role).includes("VaultUnseal"))).toEqual([]);
  });

  test("refuses a deletion window outside 7-30 days", () => {
    expect(() => Testing.synthScope((s) => new EncryptionKey(s, "K", { description: "k", aliasName: "k", deletionWindowInDays: 3 }))).toThrow(/7-30/);
  });
});

describe("backup role", () => {
  test("trusted only by the backup writers' service accounts", () => {
    const trust = at(json, "aws_iam_policy_document", "BackupRole/TrustPolicy", "data");
    const subjects = WORKLOAD_IDENTITIES.backup.subjects.map((s) => `system:serviceaccount:${s.namespace}:${s.serviceAccount}`);
    expect(trust.statement).toEqual([
      expect.objectContaining({ condition: expect.arrayContaining([expect.objectContaining({ variable: expect.stringMatching(/:sub$/), values: subjects })]) }),
    ]);
  });

  test("an IRSA role needs at least one subject", () => {
    expect(() => Testing.synthScope((s) => new IrsaRole(s, "R", { roleName: "r", oidcProviderArn: "a", oidcIssuerUrl: "https://i", subjects: [] }))).toThrow(/at least one/);
  });
});

test("no Secrets Manager resource or data source, anywhere", () => {
  for (const kind of ["resource", "data"] as const) {
    expect(Object.keys(json[kind] ?? {}).filter((t) => t.startsWith("aws_secretsmanager"))).toEqual([]);
  }
});

test("the stack uses the aws provider alone, pinned", () => {
  expect(json.terraform.required_providers).toEqual({ aws: { source: "aws", version: "5.100.0" } });
});

describe("the PlatformFoundation contract", () => {
  test("cluster access: exec aws eks get-token, host, decoded CA and issuer from the cluster", () => {
    const c = stack.foundation.cluster;
    expect(c.name).toBe("demo");
    expect(c.exec).toEqual({
      apiVersion: "client.authentication.k8s.io/v1beta1",
      command: "aws",
      args: ["eks", "get-token", "--cluster-name", "demo", "--region", "eu-west-1"],
    });
    const id = at(json, "aws_eks_cluster", "Cluster/Resource").logicalId;
    expect(resolve(c.host)).toBe(`\${aws_eks_cluster.${id}.endpoint}`);
    expect(resolve(c.caCertificatePem)).toBe(`\${base64decode(aws_eks_cluster.${id}.certificate_authority[0].data)}`);
    expect(resolve(c.serviceAccountIssuer)).toBe(`\${aws_eks_cluster.${id}.identity[0].oidc[0].issuer}`);
  });

  test("encrypted storage, object store, seal, identities, load balancer, zones", () => {
    const f = stack.foundation;
    expect(f.cloud).toBe("aws");
    expect(f.encryptedStorage).toMatchObject({ provisioner: "ebs.csi.aws.com", parameters: { type: "gp3", encrypted: "true" } });
    // The AWS managed key is named, so a customer-managed account default never applies.
    expect(resolve(f.encryptedStorage.parameters.kmsKeyId)).toBe(`\${data.aws_kms_key.EbsAwsManagedKey.arn}`);
    expect(f.objectStore).toMatchObject({ kind: "s3", region: "eu-west-1" });
    expect(resolve(f.objectStore.dataBucket)).toBe(ref("aws_s3_bucket", at(json, "aws_s3_bucket", "Data/Resource"), "bucket"));
    expect(f.vaultSeal.type).toBe("awskms");
    expect(f.vaultSeal.config.region).toBe("eu-west-1");
    expect(resolve(f.vaultSeal.config.kms_key_id)).toBe(ref("aws_kms_key", at(json, "aws_kms_key", "VaultUnseal/Key/Resource"), "key_id"));
    expect(resolve(f.workloadIdentities.vault.serviceAccountAnnotations["eks.amazonaws.com/role-arn"])).toBe(
      ref("aws_iam_role", at(json, "aws_iam_role", "VaultUnseal/Role/Resource"), "arn"),
    );
    expect(resolve(f.workloadIdentities.backup.serviceAccountAnnotations["eks.amazonaws.com/role-arn"])).toBe(
      ref("aws_iam_role", at(json, "aws_iam_role", "BackupRole/Resource"), "arn"),
    );
    expect(f.loadBalancer.serviceAnnotations["service.beta.kubernetes.io/aws-load-balancer-type"]).toBe("nlb");
    expect(f.zones).toHaveLength(3);
    // Exec auth only: no static token or client key in the contract.
    expect(Object.keys(f.cluster).sort()).toEqual(["caCertificatePem", "exec", "host", "name", "serviceAccountIssuer"]);
  });
});

describe("synthesis", () => {
  /** A full synth of the default deployment into a fresh directory: the bytes Terraform reads. */
  function fullSynth(): string {
    const outdir = mkdtempSync(path.join(os.tmpdir(), "aws-synth-"));
    try {
      const app = new App({ outdir });
      const d = deployment();
      new AwsStack(app, "demo-aws", { deployment: deploymentOn("aws", d) });
      app.synth();
      return readFileSync(path.join(outdir, "stacks", "demo-aws", "cdk.tf.json"), "utf8");
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  test("is deterministic and holds no absolute path of the machine", () => {
    const first = fullSynth();
    const second = fullSynth();
    expect(second).toBe(first);
    expect(first).not.toContain(process.cwd());
    expect(first).not.toContain(os.tmpdir());
    expect(first).not.toContain(os.homedir());
    expect(JSON.parse(first).terraform.backend).toEqual({ local: { path: "../../../terraform.demo-aws.tfstate" } });
  });

  test("snapshot of the demo-aws stack", () => {
    expect(JSON.parse(raw)).toMatchSnapshot();
  });
});
