import { validateDeployment } from "../config/load";
import { DEFAULT_DEPLOYMENT } from "../config/default";

test("the embedded default deployment is valid", () => {
  expect(validateDeployment(DEFAULT_DEPLOYMENT, "default").name).toBe("demo");
});
