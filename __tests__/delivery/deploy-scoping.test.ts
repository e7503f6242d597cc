import { Testing } from "cdktf";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { AwsStateStack } from "../../stacks/bootstrap/aws-state-stack";
import { AWS_ACTION_CONDITIONS, conditionProblems, type SynthesizedStatement } from "../../stacks/bootstrap/aws-condition-facts";
import { DEPLOYMENT_TAG } from "../../stacks/bootstrap/aws-deploy-policy";

// The AWS apply role's KMS and Route 53 writes, scoped by the conditions the Service Authorization Reference lists
// for each action (stacks/bootstrap/aws-condition-facts.ts), read from the synthesized bootstrap stack.

type Tf = {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data: Record<string, Record<string, { statement: SynthesizedStatement[] }>>;
};

function bootstrap(file: string): { tf: Tf; name: string; statements: (prefix: string) => SynthesizedStatement[] } {
  const d = validateDeployment(readConfigFile(file) as DeploymentInput, file);
  const tf = JSON.parse(Testing.synth(new AwsStateStack(Testing.app(), `${d.name}-state`, { deployment: deploymentOn("aws", d), githubRepository: "acme/p" }))) as Tf;
  const statements = (prefix: string) =>
    Object.entries(tf.data.aws_iam_policy_document)
      .filter(([k]) => k.startsWith(prefix))
      .flatMap(([, v]) => v.statement);
  return { tf, name: d.name, statements };
}

const estate = bootstrap("examples/aws-estate.yaml");
const keys = bootstrap("examples/aws-estate-keys.yaml");
const stateKeyArn = (tf: Tf) => `\${aws_kms_key.${Object.keys(tf.resource.aws_kms_key).find((k) => k.startsWith("StateKey"))}.arn}`;

describe.each([
  ["aws-estate", estate],
  ["aws-estate-keys", keys],
])("%s: the apply role", (_label, b) => {
  const apply = () => b.statements("ApplyPolicies");
  const kmsWrites = () => apply().filter((s) => s.effect === "Allow" && (s.actions ?? []).some((a) => a.startsWith("kms:") && !/^kms:(Describe|Get|List)/.test(a)));

  test("no KMS write on every key: policy, disable, deletion, tags only on keys with the deployment's tag; new keys only with the tag in the request; aliases only under <name>-", () => {
    const tagged = { test: "StringEquals", variable: `aws:ResourceTag/${DEPLOYMENT_TAG}`, values: [b.name] };
    const requested = { test: "StringEquals", variable: `aws:RequestTag/${DEPLOYMENT_TAG}`, values: [b.name] };
    const keysArn = expect.stringMatching(/:kms:eu-west-1:.*:key\/\*$/);
    expect(kmsWrites().length).toBeGreaterThan(0);
    for (const s of kmsWrites()) {
      const shape = { sid: s.sid, resources: s.resources, condition: s.condition };
      if (s.sid === "WriteKmsCreateTaggedKeys") expect(shape).toEqual({ sid: s.sid, resources: ["*"], condition: [requested] });
      else if (s.sid === "WriteKmsDeploymentAliases") expect(shape).toEqual({ sid: s.sid, resources: [expect.stringMatching(new RegExp(`:kms:eu-west-1:.*:alias/${b.name}-\\*$`))], condition: undefined });
      else if (s.sid === "WriteKmsTagNewKeys") expect(shape).toEqual({ sid: s.sid, resources: [keysArn], condition: [requested] });
      else if (s.sid === "WriteKmsGrantsForAwsServices") expect({ ...shape, actions: s.actions }).toEqual({ sid: s.sid, resources: [keysArn], condition: [{ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }], actions: ["kms:CreateGrant"] });
      else if (s.sid === "WriteKmsRotationAndAliasTargets") expect({ ...shape, actions: s.actions }).toEqual({ sid: s.sid, resources: [keysArn], condition: undefined, actions: ["kms:CreateAlias", "kms:DeleteAlias", "kms:EnableKeyRotation", "kms:UpdateAlias"] });
      else expect(shape).toEqual({ sid: "WriteKmsDeploymentKeys", resources: [keysArn], condition: [tagged] });
    }
    const tagScoped = kmsWrites().find((s) => s.sid === "WriteKmsDeploymentKeys")!.actions;
    expect(tagScoped).toEqual(expect.arrayContaining(["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation", "kms:TagResource", "kms:UntagResource"]));
  });

  test("every KMS write it is granted is denied on the state key and the state alias, without a condition", () => {
    const deny = apply().filter((s) => s.effect === "Deny" && s.sid === "DenyStateKeyChanges");
    expect(deny).toHaveLength(1);
    expect(deny[0].condition).toBeUndefined();
    expect(deny[0].resources).toEqual([stateKeyArn(b.tf), expect.stringMatching(new RegExp(`:alias/${b.name}-state$`))]);
    const granted = new Set(kmsWrites().flatMap((s) => s.actions ?? []));
    expect(new Set(deny[0].actions)).toEqual(granted);
    expect(granted).toContain("kms:PutKeyPolicy");
  });

  test("Route 53 records: only in the configured zone and only domain.name", () => {
    const changes = apply().filter((s) => (s.actions ?? []).includes("route53:ChangeResourceRecordSets"));
    expect(changes).toEqual([
      expect.objectContaining({
        effect: "Allow",
        actions: ["route53:ChangeResourceRecordSets"],
        resources: [expect.stringMatching(/:route53:::hostedzone\/Z0123456789ABCDEFGHIJ$/)],
        condition: [{ test: "ForAllValues:StringEquals", variable: "route53:ChangeResourceRecordSetsNormalizedRecordNames", values: ["catalog.acme.example.com"] }],
      }),
    ]);
  });

  test("every statement with a condition (Allow and Deny, both roles) uses only keys the facts list for its actions and resources", () => {
    const conditioned = [...apply(), ...b.statements("PlanPolicies")].filter((s) => (s.condition ?? []).length > 0 && !(s.actions ?? []).every((a) => a.startsWith("iam:")));
    expect(conditioned.length).toBeGreaterThan(2);
    expect(conditioned.flatMap(conditionProblems)).toEqual([]);
  });
});

describe("the condition-key check itself", () => {
  test("an Allow with a key the action does not support for that resource is reported (it would never match)", () => {
    const aliasByTag: SynthesizedStatement = { sid: "A", effect: "Allow", actions: ["kms:CreateAlias"], resources: ["arn:aws:kms:eu-west-1:1:alias/x-*"], condition: [{ test: "StringEquals", variable: "aws:ResourceTag/deployment", values: ["x"] }] };
    expect(conditionProblems(aliasByTag)).toEqual([expect.stringMatching(/^A: kms:CreateAlias on alias does not support aws:ResourceTag\/deployment/)]);
  });

  test("a Deny with a key the action does not support is reported (with ForAllValues it would match every request)", () => {
    const deny: SynthesizedStatement = { sid: "D", effect: "Deny", actions: ["kms:PutKeyPolicy"], resources: ["arn:aws:kms:eu-west-1:1:key/*"], condition: [{ test: "ForAllValues:StringEquals", variable: "kms:RequestAlias", values: ["alias/x"] }] };
    expect(conditionProblems(deny)).toEqual([expect.stringMatching(/^D: kms:PutKeyPolicy on key does not support kms:RequestAlias/)]);
  });

  test("an action without facts, or on a resource type it does not take, is reported", () => {
    expect(conditionProblems({ sid: "E", actions: ["ec2:CreateVpc"], resources: ["*"], condition: [{ test: "StringEquals", variable: "aws:RequestTag/deployment", values: ["x"] }] })).toEqual([expect.stringMatching(/^E: ec2:CreateVpc has no condition facts/)]);
    expect(conditionProblems({ sid: "R", actions: ["kms:PutKeyPolicy"], resources: ["arn:aws:kms:eu-west-1:1:alias/x"], condition: [{ test: "StringEquals", variable: "aws:ResourceTag/deployment", values: ["x"] }] })).toEqual([expect.stringMatching(/^R: kms:PutKeyPolicy is not authorized on alias resources/)]);
  });

  test("each fact names its source page", () => {
    for (const [action, fact] of Object.entries(AWS_ACTION_CONDITIONS)) expect([action, fact.source]).toEqual([action, expect.stringMatching(/^https:\/\/docs\.aws\.amazon\.com\/service-authorization\/latest\/reference\/list_/)]);
  });
});
