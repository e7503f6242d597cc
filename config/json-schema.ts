import { z } from "zod";
import { maxUserTags } from "./cloud-limits";
import { CLOUDS, DeploymentSchema, REGION_BY_CLOUD } from "./schema";

/**
 * The JSON Schema (draft 2020-12) of a deployment file as written by a user, defaults included, for
 * editors. It carries every rule JSON Schema can express: the field rules come from the zod schema
 * (patterns, bounds, unique items), and the cross-field rules it can state are added here as
 * conditions on `cloud` (region format, the cloud's own section required, other clouds' sections
 * refused, tag limits, the reserved AKS pool name, the AWS account of remote-state deployments), the
 * registry of the Atlas image, and where the SAML metadata comes from. What it cannot state
 * (overlapping ranges, duplicate pool names, GCP label collisions, the content of the SAML metadata)
 * only the loader checks. A test runs a corpus of configs through both and requires the same verdict wherever
 * the schema can decide.
 */
export function deploymentJsonSchema(): string {
  const schema = z.toJSONSchema(DeploymentSchema, { io: "input", unrepresentable: "any", target: "draft-2020-12" });
  const doc = {
    $id: "https://metadata-platform.invalid/deployment.schema.json",
    title: "Metadata platform deployment",
    ...schema,
    allOf: crossFieldConditions(),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The cross-field rules of `crossFieldIssues` that JSON Schema can express, as if/then conditions. */
function crossFieldConditions(): object[] {
  const perCloud = CLOUDS.map((cloud) => {
    const others = Object.fromEntries(CLOUDS.filter((c) => c !== cloud).map((c) => [c, false]));
    const then: Record<string, unknown> = {
      properties: {
        region: { type: "string", pattern: REGION_BY_CLOUD[cloud].pattern.source },
        tags: { type: "object", maxProperties: maxUserTags(cloud) },
        ...(cloud === "azure" ? { nodePools: { type: "array", items: { type: "object", properties: { name: { type: "string", not: { const: "system" } } } } } } : {}),
        ...others,
      },
    };
    if (cloud !== "aws") then.required = [cloud];
    return { if: { properties: { cloud: { type: "string", const: cloud } }, required: ["cloud"] }, then };
  });
  const awsAccount = {
    if: {
      properties: {
        cloud: { type: "string", const: "aws" },
        state: { type: "object", properties: { backend: { type: "string", not: { const: "local" } } }, required: ["backend"] },
      },
      required: ["cloud", "state"],
    },
    then: { required: ["aws"], properties: { aws: { type: "object", required: ["accountId"] } } },
  };
  // The Atlas image comes from the customer's registry: images.projectRegistry, or a mirror of every image.
  const atlasRegistry = {
    required: ["images"],
    properties: { images: { type: "object", anyOf: [{ required: ["projectRegistry"] }, { required: ["registry"] }] } },
  };
  // SAML needs the IdP's metadata: the file (read by the loader) or the XML itself, not both.
  const samlMetadata = { properties: { saml: { type: "object", oneOf: [{ required: ["idpMetadataFile"] }, { required: ["idpMetadata"] }] } } };
  return [...perCloud, awsAccount, atlasRegistry, samlMetadata];
}
