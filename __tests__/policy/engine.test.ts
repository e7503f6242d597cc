import { ServiceAccount } from "@cdktf/provider-google/lib/service-account";
import { StorageBucketIamMember } from "@cdktf/provider-google/lib/storage-bucket-iam-member";
import { DatabaseSecretBackendConnection } from "@cdktf/provider-vault/lib/database-secret-backend-connection";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Aspects, TerraformElement, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { EksCluster } from "@cdktf/provider-aws/lib/eks-cluster";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { Construct } from "constructs";
import { ALLOW_DESTROY_REASON, ALL_RULES, FAMILIES, Policy, PolicyAspect, REPORT_FILE } from "../../policy";
import { renderRulesDoc } from "../../policy/docs";
import { RuleDispatch, evaluateStack } from "../../policy/engine";
import { reasonProblem } from "../../policy/suppressions";
import type { Rule } from "../../policy/types";
import { AWS_FIXTURES, SecureBucket } from "./fixtures/aws";
import { findingsOf, newStack } from "./fixtures/harness";
import { buildInsecure } from "./fixtures/insecure";

const errorsOf = (c: Construct) => c.node.metadata.filter((m) => m.type === "@cdktf/error").map((m) => String(m.data));

describe("registry", () => {
  test("has at least 60 rules, covering every family", () => {
    expect(ALL_RULES.length).toBeGreaterThanOrEqual(60);
    for (const family of FAMILIES) expect(ALL_RULES.filter((r) => r.family === family).length).toBeGreaterThan(0);
  });

  test("every rule has a stable id, a message, a fix, a promise and targets", () => {
    for (const r of ALL_RULES) {
      expect(r.id).toMatch(/^(AWS|AZ|GCP|K8S|VAULT|GEN)-[1-9]\d*$/);
      expect(r.message.length).toBeGreaterThan(10);
      expect(r.fix.length).toBeGreaterThan(10);
      expect(r.promise).toMatch(/(overview|keys):\d/);
      expect(r.appliesTo.length).toBeGreaterThan(0);
    }
    expect(new Set(ALL_RULES.map((r) => r.id)).size).toBe(ALL_RULES.length);
  });

  test("docs/policy-rules.md is generated from the registry and up to date (npm run policy:docs)", () => {
    const committed = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "policy-rules.md"), "utf8");
    expect(committed).toBe(renderRulesDoc());
  });
});

describe("evaluation", () => {
  test("a value not known at synth where a literal is needed is a failure, not a pass", () => {
    const { app, stack } = newStack();
    const priv = new TerraformVariable(stack, "private_endpoint", { type: "bool" });
    new EksCluster(stack, "Cluster", {
      name: "c",
      roleArn: "arn:aws:iam::123456789012:role/eks",
      vpcConfig: { subnetIds: ["s"], endpointPrivateAccess: priv.booleanValue, endpointPublicAccess: false },
    });
    const f = findingsOf(app).find((x) => x.ruleId === "AWS-18");
    expect(f?.status).toBe("fail");
    expect(f?.problems.join()).toContain("not known at synth");
  });

  test("a rule that throws fails the block instead of letting it through", () => {
    const crashing: Rule = {
      id: "GEN-999",
      family: "secrets",
      appliesTo: ["aws_s3_bucket"],
      message: "crashing rule for the test",
      fix: "none needed, this is a test",
      promise: "overview:7",
      check: () => {
        throw new Error("boom");
      },
    };
    const { stack } = newStack();
    new S3Bucket(stack, "B", {});
    const [f] = evaluateStack(stack, new RuleDispatch([crashing])).map((l) => l.finding);
    expect(f.status).toBe("fail");
    expect(f.problems[0]).toContain("boom");
  });

  test("each stack is indexed once: evaluation is one pass over its blocks", () => {
    const { app, stack } = newStack();
    AWS_FIXTURES.baseline(stack);
    const policy = Policy.applyTo(app);
    // Count how often each element is rendered (the costly part), not wall-clock time.
    const elements = stack.node.findAll().filter((c): c is TerraformElement => c instanceof TerraformElement);
    expect(elements.length).toBeGreaterThan(10);
    const renders = new Map<TerraformElement, number>();
    for (const e of elements) {
      const original = e.toTerraform.bind(e);
      e.toTerraform = () => {
        renders.set(e, (renders.get(e) ?? 0) + 1);
        return original();
      };
    }
    const findings = policy.checkStack(stack);
    expect(findings.length).toBeGreaterThan(10); // rules ran, many per element
    expect(new Set(renders.values())).toEqual(new Set([1]));
    expect(renders.size).toBe(elements.length);
  });
});

describe("annotations and synth", () => {
  test("failing findings make Testing.fullSynth throw with path, rule id, message and fix", () => {
    const app = Testing.app();
    const { platform, cloud } = buildInsecure(app);
    Policy.applyTo(app);
    expect(() => Testing.fullSynth(cloud)).toThrow(/\[insecure-aws\/Cluster\] \[AWS-19\] EKS public API endpoint is open beyond the admin CIDRs: .*0\.0\.0\.0\/0.*Fix: /);
    expect(() => Testing.fullSynth(cloud)).toThrow(/\[insecure-aws\/Data\] \[AWS-1\] S3 bucket is not encrypted/);
    expect(() => Testing.fullSynth(platform)).toThrow(/\[insecure-platform\/Atlas\] \[K8S-3\] a container runs privileged/);
  });

  test("app.synth() fails on the insecure variant", () => {
    const app = Testing.app();
    buildInsecure(app);
    Policy.applyTo(app);
    expect(() => app.synth()).toThrow(/Encountered Annotations with level "ERROR"[\s\S]*\[AWS-18\]/);
  });

  test("an aspect added only to the App is never run by cdktf 0.21, so applyTo adds it to every stack", () => {
    const app = Testing.app();
    const { cloud } = buildInsecure(app);
    Aspects.of(app).add(new PolicyAspect(Policy.applyTo(Testing.app())));
    expect(() => Testing.fullSynth(cloud)).not.toThrow();
    Policy.applyTo(app);
    expect(Aspects.of(cloud).all.some((a) => a instanceof PolicyAspect)).toBe(true);
    expect(() => Testing.fullSynth(cloud)).toThrow(/AWS-19/);
  });

  test("a stack created after applyTo is an app validation error", () => {
    const app = Testing.app();
    Policy.applyTo(app);
    new TerraformStack(app, "late");
    expect(() => app.synth()).toThrow(/stack 'late' was created after Policy\.applyTo/);
  });

  test("idempotent: synthesizing again adds no duplicate finding", () => {
    const app = Testing.app();
    const { cloud } = buildInsecure(app);
    const policy = Policy.applyTo(app);
    Testing.synth(cloud);
    Testing.synth(cloud);
    expect(() => Testing.fullSynth(cloud)).toThrow();
    const cluster = cloud.node.findChild("Cluster") as Construct;
    const errors = errorsOf(cluster);
    expect(errors.length).toBe(new Set(errors).size);
    expect(errors.filter((e) => e.startsWith("[AWS-19]"))).toHaveLength(1);
    const once = policy.findings();
    policy.checkStack(cloud);
    expect(policy.findings()).toEqual(once);
    expect(Policy.applyTo(app)).toBe(policy);
  });

  test("error annotations carry no stack trace (one readable line each)", () => {
    const app = Testing.app({ stackTraces: true });
    const { cloud } = buildInsecure(app);
    Policy.applyTo(app).findings();
    const cluster = cloud.node.findChild("Cluster") as Construct;
    for (const m of cluster.node.metadata) expect(m.trace).toBeUndefined();
  });
});

describe("suppressions", () => {
  test("an unknown rule id throws", () => {
    const { stack } = newStack();
    expect(() => Policy.suppress(stack, [{ id: "AWS-9999", reason: "a perfectly good reason for the test" }])).toThrow(/unknown rule id 'AWS-9999'/);
  });

  test.each(["", "todo", "n/a", "test", "because I said so", "TODO: write the real reason later", "xxx xxx xxx xxx xxx xxx", "fine fine fine fine fine"])(
    "reason %p is rejected",
    (reason) => {
      const { stack } = newStack();
      expect(reasonProblem(reason)).toBeDefined();
      expect(() => Policy.suppress(stack, [{ id: "AWS-1", reason }])).toThrow(/AWS-1: /);
    },
  );

  test("a real reason is accepted", () => {
    expect(reasonProblem("Vault calls the TokenReview API to verify pod logins")).toBeUndefined();
    expect(reasonProblem(ALLOW_DESTROY_REASON)).toBeUndefined();
  });

  test("a suppression covers the construct's subtree, and only it", () => {
    const { app, stack } = newStack();
    const group = new Construct(stack, "Unencrypted");
    new S3Bucket(new Construct(group, "Nested"), "Bucket", {});
    new S3Bucket(stack, "Sibling", {});
    Policy.suppress(group, [{ id: "AWS-1", reason: "the bucket in this group only holds public documentation" }]);
    const aws1 = findingsOf(app).filter((f) => f.ruleId === "AWS-1");
    expect(aws1.map((f) => [f.path, f.status])).toEqual([
      ["fixture/Sibling", "fail"],
      ["fixture/Unencrypted/Nested/Bucket", "suppressed"],
    ]);
  });

  test("suppressed findings are info annotations, not errors", () => {
    const { app, stack } = newStack();
    const b = new S3Bucket(stack, "B", {});
    Policy.suppress(b, [{ id: "AWS-1", reason: "the bucket only holds public documentation" }]);
    Policy.applyTo(app).findings();
    const infos = b.node.metadata.filter((m) => m.type === "@cdktf/info").map((m) => String(m.data));
    expect(infos).toContainEqual(expect.stringMatching(/^\[AWS-1\] suppressed \(the bucket only holds public documentation\)/));
    expect(errorsOf(b).some((e) => e.startsWith("[AWS-1]"))).toBe(false);
  });

  test("Policy.allowDestroy suppresses exactly the destroy-guarding rules, with the standard reason", () => {
    const { app, stack } = newStack();
    const bucket = new SecureBucket(stack, "Data");
    bucket.bucket.addOverride("lifecycle.prevent_destroy", false);
    Policy.allowDestroy(stack);
    const fs_ = findingsOf(app);
    const aws7 = fs_.find((f) => f.ruleId === "AWS-7");
    expect(aws7).toMatchObject({ status: "suppressed", reason: ALLOW_DESTROY_REASON });
    expect(fs_.find((f) => f.ruleId === "AWS-5")?.status).toBe("fail");
    expect(ALL_RULES.filter((r) => r.guardsDestroy).every((r) => r.family === "data-safety")).toBe(true);
  });
});

describe("report and summary", () => {
  function finishInsecure(outdir: string) {
    const app = Testing.app({ outdir });
    buildInsecure(app);
    const policy = Policy.applyTo(app);
    try {
      app.synth();
    } catch (e) {
      if (!Policy.isAnnotationFailure(e)) throw e;
    }
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const err = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const code = policy.finish();
    const out = { code, stdout: log.mock.calls.map((c) => String(c[0])), stderr: err.mock.calls.map((c) => String(c[0])) };
    log.mockRestore();
    err.mockRestore();
    return { ...out, report: fs.readFileSync(path.join(outdir, REPORT_FILE), "utf8") };
  }

  test("finish() evaluates every stack (even after cdktf stopped at the first), prints lines and a summary, writes the report", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-report."));
    const { code, stdout, stderr, report } = finishInsecure(outdir);
    expect(code).toBe(1);
    expect(stderr).toContainEqual(expect.stringMatching(/^ERROR insecure-aws\/Cluster \[AWS-19\] .*\. Fix: /));
    expect(stderr).toContainEqual(expect.stringMatching(/^ERROR insecure-platform\/Atlas \[K8S-3\] /));
    expect(stdout).toEqual([expect.stringMatching(/^policy FAILED: \d+ of \d+ rules evaluated on 2 stack\(s\): \d+ passed, 16 failed, 0 suppressed \(report: .*policy-report\.json\)$/)]);
    const parsed = JSON.parse(report);
    expect(parsed.summary).toMatchObject({ rules: ALL_RULES.length, stacks: 2, failed: 16, suppressed: 0 });
    expect(parsed.findings[0]).toMatchObject({ stack: "insecure-aws", path: "insecure-aws/Cluster", ruleId: "AWS-7", status: "fail" });
    expect(report).not.toContain(outdir);
    expect(report).not.toContain(os.tmpdir());
  });

  test("the report is deterministic", () => {
    const a = finishInsecure(fs.mkdtempSync(path.join(os.tmpdir(), "policy-report.")));
    const b = finishInsecure(fs.mkdtempSync(path.join(os.tmpdir(), "policy-report.")));
    expect(a.report).toBe(b.report);
  });

  test("end to end: the insecure variant fails the entry-point flow with one line per finding and no stack trace", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-e2e."));
    const tsx = path.join(__dirname, "..", "..", "node_modules", ".bin", "tsx");
    let status = 0;
    let stderr = "";
    try {
      execFileSync(tsx, [path.join(__dirname, "fixtures", "insecure-main.ts")], { env: { ...process.env, CDKTF_OUTDIR: outdir }, stdio: "pipe" });
    } catch (e) {
      const err = e as { status: number; stderr: Buffer };
      status = err.status;
      stderr = err.stderr.toString();
    }
    expect(status).toBe(1);
    const lines = stderr.split("\n").filter((l) => l.startsWith("ERROR "));
    expect(lines).toHaveLength(16);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(fs.existsSync(path.join(outdir, REPORT_FILE))).toBe(true);
  }, 30_000);
});

describe("unused suppressions", () => {
  test("a suppression that excuses nothing is listed in the report", () => {
    const { app, stack } = newStack();
    const b = new SecureBucket(stack, "Data");
    Policy.suppress(b, [{ id: "AWS-1", reason: "left over after the bucket got its encryption configuration" }]);
    Policy.allowDestroy(stack);
    const report = Policy.applyTo(app).report();
    expect(report.unusedSuppressions).toEqual([{ path: "fixture/Data", id: "AWS-1", reason: "left over after the bucket got its encryption configuration" }]);
  });
});

describe("documents with references inside", () => {
  test("an S3 policy written with JSON.stringify around references is read, not treated as unknown", () => {
    const { app, stack } = newStack();
    const b = new SecureBucket(stack, "Data");
    b.policy.addOverride(
      "policy",
      JSON.stringify({
        Statement: [{ Effect: "Deny", Action: "s3:*", Principal: "*", Resource: `${b.bucket.arn}/*`, Condition: { Bool: { "aws:SecureTransport": "false" } } }],
      }),
    );
    expect(findingsOf(app).find((f) => f.ruleId === "AWS-3")?.status).toBe("pass");
  });

  test("a policy document hidden behind an expression is a failure", () => {
    const { app, stack } = newStack();
    const b = new SecureBucket(stack, "Data");
    b.policy.addOverride("policy", '${file("policy.json")}');
    const f = findingsOf(app).find((x) => x.ruleId === "AWS-3");
    expect(f?.status).toBe("fail");
    expect(f?.problems.join()).toContain("not readable at synth");
  });
});

describe("cross-stack references", () => {
  test("a stack consuming another stack's attribute synthesizes and is judged on the remote-state expression", () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-xstack."));
    const app = Testing.app({ outdir });
    const producer = new TerraformStack(app, "producer");
    new AwsProvider(producer, "Aws", { region: "eu-west-1" });
    const bucket = new SecureBucket(producer, "Data");
    const consumer = new TerraformStack(app, "consumer");
    new AwsProvider(consumer, "Aws", { region: "eu-west-1" });
    new S3Bucket(consumer, "Replica", { bucket: `${bucket.bucket.bucket}-replica` });
    const policy = Policy.applyTo(app);
    expect(() => app.synth()).toThrow(/Encountered Annotations with level "ERROR"/);
    const replica = policy.findings().filter((f) => f.path === "consumer/Replica" && f.ruleId === "GEN-1");
    expect(replica.map((f) => f.status)).toEqual(["pass"]);
    expect(policy.findings().some((f) => f.path === "consumer/Replica" && f.ruleId === "AWS-1" && f.status === "fail")).toBe(true);
  });
});

describe("credentials in URLs (GEN-1)", () => {
  const gen1 = (url: string) => {
    const { app, stack } = newStack();
    new DatabaseSecretBackendConnection(stack, "Db", { backend: "database", name: "pg", postgresql: { connectionUrl: url } });
    return findingsOf(app).find((f) => f.ruleId === "GEN-1" && f.path.endsWith("/Db"))?.status;
  };
  test("Vault's {{username}}:{{password}} placeholders are not a credential", () => {
    expect(gen1("postgresql://{{username}}:{{password}}@pg-0.pg.identity.svc:5432/postgres?sslmode=verify-full")).toBe("pass");
  });
  test("a real password in the same URL is", () => {
    expect(gen1("postgresql://vault_admin:Sup3rSecret@pg-0.pg.identity.svc:5432/postgres")).toBe("fail");
    expect(gen1("postgresql://{{username}}:Sup3rSecret@pg-0.pg.identity.svc:5432/postgres")).toBe("fail");
  });
});

describe("bucket members at synth (GCP-5)", () => {
  const gcp5 = (member: (sa: ServiceAccount) => string) => {
    const { app, stack } = newStack();
    const sa = new ServiceAccount(stack, "Sa", { accountId: "backup" });
    new StorageBucketIamMember(stack, "Grant", { bucket: "b", role: "roles/storage.objectAdmin", member: member(sa) });
    return findingsOf(app).find((f) => f.ruleId === "GCP-5")?.status;
  };
  test("a member with a literal principal type is known not to be public", () => {
    expect(gcp5((sa) => `serviceAccount:${sa.email}`)).toBe("pass");
  });
  test("a member that is wholly unknown at synth fails, and so does a public one", () => {
    expect(gcp5((sa) => sa.member)).toBe("fail");
    expect(gcp5(() => "allUsers")).toBe("fail");
  });
});
