import { Testing } from "cdktf";
import { readConfigFile, validateDeployment } from "../../config/load";
import type { DeploymentInput } from "../../config/schema";
import { deploymentOn } from "../../config/schema";
import { AwsStateStack } from "../../stacks/bootstrap/aws-state-stack";
import type { SynthesizedStatement } from "../../stacks/bootstrap/aws-condition-facts";

/**
 * The apply role's statements as the AWS bootstrap of an example config synthesizes them (every `ApplyPolicies*`
 * document), with the account and partition references resolved to `account` and `aws`: what the request-by-request
 * checks of the deploy policy evaluate.
 */
export function applyStatements(file: string, account: string): { name: string; region: string; statements: SynthesizedStatement[] } {
  const d = validateDeployment(readConfigFile(file) as DeploymentInput, file);
  const tf = JSON.parse(Testing.synth(new AwsStateStack(Testing.app(), `${d.name}-state`, { deployment: deploymentOn("aws", d), githubRepository: "acme/p" }))) as { data: Record<string, Record<string, { statement: SynthesizedStatement[] }>> };
  const resolved = (r: string) => r.replace(/\$\{data\.aws_caller_identity\.[^}]+\}/g, account).replace(/\$\{data\.aws_partition\.[^}]+\}/g, "aws");
  const statements = Object.entries(tf.data.aws_iam_policy_document)
    .filter(([k]) => k.startsWith("ApplyPolicies"))
    .flatMap(([, v]) => v.statement)
    .map((st) => ({ ...st, resources: st.resources?.map(resolved), condition: st.condition?.map((c) => ({ ...c, values: c.values.map(resolved) })) }));
  return { name: d.name, region: d.region, statements };
}
