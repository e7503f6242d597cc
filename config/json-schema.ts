import { z } from "zod";
import { DeploymentSchema } from "./schema";

/** The JSON Schema (draft 2020-12) of a deployment file as written by a user, defaults included. */
export function deploymentJsonSchema(): string {
  const schema = z.toJSONSchema(DeploymentSchema, { io: "input", unrepresentable: "any", target: "draft-2020-12" });
  const doc = {
    $id: "https://metadata-platform.invalid/deployment.schema.json",
    title: "Metadata platform deployment",
    ...schema,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
