import { Testing } from "cdktf";
import { loadDeployment, readConfigFile, validateDeployment } from "../../config/load";
import type { Deployment } from "../../config/schema";
import { buildDeployment } from "../../stacks/deployment";
import { Policy, type Finding } from "../../policy";

// End to end: the example config builds all four stacks, the policy runs on every one of them, and nothing
// fails. The only suppression in the Azure stack is AZ-5 on the flow-log account (see docs/azure.md).

const example = (): Deployment => loadDeployment(["--config", "examples/azure.yaml"], {});
const variant = (patch: (raw: Record<string, unknown>) => void): Deployment => {
  const raw = readConfigFile("examples/azure.yaml") as Record<string, unknown>;
  patch(raw);
  return validateDeployment(raw, "variant");
};

function findingsOf(d: Deployment): Finding[] {
  const app = Testing.app();
  buildDeployment(app, d);
  return Policy.applyTo(app).findings();
}

const show = (fs: readonly Finding[]) => fs.map((f) => `${f.path} ${f.ruleId}: ${f.problems.join("; ")}`);

describe("examples/azure.yaml under the security policy", () => {
  const findings = findingsOf(example());
  const azure = findings.filter((f) => f.stack === "contoso-prod-azure");

  test("all four stacks synthesize clean: no finding fails", () => {
    expect(new Set(findings.map((f) => f.stack))).toEqual(new Set(["contoso-prod-azure", "contoso-prod-vault", "contoso-prod-vault-config", "contoso-prod-platform"]));
    expect(show(findings.filter((f) => f.status === "fail"))).toEqual([]);
  });
  test("the Azure stack's only suppression is AZ-5 on the flow-log storage account, with its reason", () => {
    const suppressed = azure.filter((f) => f.status === "suppressed");
    expect(suppressed.map((f) => [f.path, f.ruleId])).toEqual([["contoso-prod-azure/FlowLogStorage/Resource", "AZ-5"]]);
    expect(suppressed[0].reason).toMatch(/terraform-provider-azurerm#30219/);
  });
  test("AZ-8 (admin CIDRs only) and AZ-15 (KMS etcd encryption) pass on the cluster without suppression", () => {
    for (const rule of ["AZ-8", "AZ-15"]) {
      expect(azure.filter((f) => f.ruleId === rule).map((f) => [f.path, f.status])).toEqual([["contoso-prod-azure/Cluster/Resource", "pass"]]);
    }
  });
  test("AZ-26 passes on every role assignment, the custom key-deployer roles included", () => {
    const az26 = azure.filter((f) => f.ruleId === "AZ-26");
    expect(az26.every((f) => f.status === "pass")).toBe(true);
    expect(az26.map((f) => f.path)).toEqual(expect.arrayContaining([
      "contoso-prod-azure/UnsealVault/DeployerKeyManager",
      "contoso-prod-azure/EtcdKeyVault/DeployerKeyManager",
    ]));
  });
  test("the key vault rules pass on both vaults and both keys", () => {
    for (const rule of ["AZ-21", "AZ-22", "AZ-23", "AZ-25"]) {
      const onVaults = azure.filter((f) => f.ruleId === rule && /^contoso-prod-azure\/(UnsealVault|EtcdKeyVault)\/Resource$/.test(f.path));
      expect([rule, onVaults.map((f) => f.status)]).toEqual([rule, ["pass", "pass"]]);
    }
    expect(azure.filter((f) => f.ruleId === "AZ-24").map((f) => [f.path, f.status]).sort()).toEqual([
      ["contoso-prod-azure/EtcdKeyVault/Key", "pass"],
      ["contoso-prod-azure/UnsealVault/UnsealKey", "pass"],
    ]);
  });
});

test("the private-control-plane variant is clean too", () => {
  const findings = findingsOf(variant((raw) => {
    (raw.controlPlane as Record<string, unknown>).publicEndpoint = false;
    // The runner reaches a private cluster's API through the peering: its range is an admin range.
    ((raw.azure as Record<string, unknown>).runnerNetwork as Record<string, unknown>).addressPrefixes = ["203.0.113.0/26"];
  }));
  expect(show(findings.filter((f) => f.status === "fail"))).toEqual([]);
});
