import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { deploymentJsonSchema } from "../../config/json-schema";
import { configReferenceMarkdown } from "../../config/reference-doc";
import { ConfigError, configPathFrom, loadDeployment, validateDeployment } from "../../config/load";
import { DEFAULT_DEPLOYMENT } from "../../config/default";
import { ROOT } from "../support/helpers";

const examples = readdirSync(path.join(ROOT, "examples")).filter((f) => /\.ya?ml$|\.json$/.test(f));

describe("where the deployment comes from", () => {
  test("--config wins over DEPLOYMENT_CONFIG", () => {
    expect(configPathFrom(["--config", "a.yaml"], { DEPLOYMENT_CONFIG: "b.yaml" })).toBe("a.yaml");
    expect(configPathFrom(["--config=a.yaml"], {})).toBe("a.yaml");
  });
  test("DEPLOYMENT_CONFIG is used without --config", () => {
    expect(configPathFrom([], { DEPLOYMENT_CONFIG: "b.yaml" })).toBe("b.yaml");
  });
  test("neither gives the embedded default", () => {
    expect(configPathFrom([], {})).toBeUndefined();
    expect(loadDeployment([], {}).name).toBe(DEFAULT_DEPLOYMENT.name);
  });
  test("--config without a value is an error naming the flag", () => {
    expect(() => configPathFrom(["--config"], {})).toThrow(/--config needs a file path/);
  });
});

describe("defaults are the secure choice", () => {
  const minimal = {
    name: "min", cloud: "aws", region: "eu-west-1",
    controlPlane: { adminCidrs: ["198.51.100.0/24"] },
    domain: { name: "catalog.example.com" },
    nodePools: [{ name: "general", count: 3, machineType: "m6i.large" }],
    aws: { adminPrincipalArns: ["arn:aws:iam::123456789012:role/platform-admin"] },
    images: { projectRegistry: "registry.example.com/platform" },
  };
  const d = validateDeployment(minimal, "minimal");
  test("control plane is private unless asked", () => expect(d.controlPlane.publicEndpoint).toBe(false));
  test("destroy of data is refused unless asked", () => expect(d.dataProtection.allowDestroy).toBe(false));
  test("one NAT per zone", () => expect(d.network.singleNatGateway).toBe(false));
  test("state is local (explicit backend) unless configured", () => expect(d.state).toEqual({ backend: "local" }));
  test("entry point certificate from Vault PKI", () => expect(d.domain.certificate).toEqual({ source: "vault-pki" }));
  test("HashiCorp Vault image unless OpenBao is asked for", () => expect(d.images.vaultDistribution).toBe("vault"));
  test("node root disks default to 100 GiB", () => expect(d.nodePools[0].diskSizeGiB).toBe(100));
});

const RUNNER_VNET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/runners/providers/Microsoft.Network/virtualNetworks/runners";
const AZURE = {
  ...DEFAULT_DEPLOYMENT, cloud: "azure", region: "westeurope", aws: undefined,
  azure: {
    subscriptionId: "00000000-0000-0000-0000-000000000000", tenantId: "11111111-1111-1111-1111-111111111111",
    adminGroupObjectIds: ["22222222-2222-2222-2222-222222222222"], deployerObjectId: "33333333-3333-3333-3333-333333333333",
    runnerNetwork: { virtualNetworkId: RUNNER_VNET, addressPrefixes: ["203.0.113.0/26"] },
  },
};
test("without a registry for the Atlas image (built from images/atlas) the config is refused, naming the field and the fix", () => {
  const noImages = Object.fromEntries(Object.entries(DEFAULT_DEPLOYMENT).filter(([k]) => k !== "images")) as typeof DEFAULT_DEPLOYMENT;
  expect(() => validateDeployment(noImages, "f.yaml")).toThrow(/images\.projectRegistry: required: the Apache Atlas image is built from images\/atlas/);
  expect(validateDeployment({ ...noImages, images: { registry: "mirror.example.com/all" } }, "f.yaml").images.registry).toBe("mirror.example.com/all");
});

describe("validation reports everything at once", () => {
  test("several problems in one error, each with its path", () => {
    let error: unknown;
    try {
      validateDeployment({ ...DEFAULT_DEPLOYMENT, name: "X", cloud: "gcp", region: "eu-west-1", extra: 1 }, "f.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toMatch(/^name: /m);
    expect(problems).toMatch(/^extra: unknown field/m);
    expect(problems).toMatch(/^region: must be a region of gcp/m);
    expect(problems).toMatch(/^gcp: required when cloud is gcp/m);
  });
  test("cross-field checks run even when the shape is wrong", () => {
    expect(() =>
      validateDeployment({ ...DEFAULT_DEPLOYMENT, name: 3, controlPlane: { adminCidrs: ["10.40.0.0/24"] } }, "f"),
    ).toThrow(/controlPlane.adminCidrs\[0\]: overlaps the cluster's own network.cidr/);
  });
  test("settings for another cloud are refused", () => {
    expect(() => validateDeployment({ ...DEFAULT_DEPLOYMENT, gcp: { projectId: "acme-catalog" } }, "f")).toThrow(
      /gcp: settings for gcp in a aws deployment/,
    );
  });
  test("GCP: tags that collapse into one label key are refused, naming both", () => {
    const gcp = { ...DEFAULT_DEPLOYMENT, cloud: "gcp", region: "europe-west1", aws: undefined, gcp: { projectId: "acme-catalog" } };
    expect(() => validateDeployment({ ...gcp, tags: { Team: "a", team: "b" } }, "f")).toThrow(
      /tags.team: becomes the GCP label 'team', like tag 'Team'; rename the tag/,
    );
    expect(() => validateDeployment({ ...gcp, tags: { Deployment: "x" } }, "f")).toThrow(/tags.Deployment: becomes the GCP label 'deployment'/);
    expect(validateDeployment({ ...gcp, tags: { Team: "a" } }, "f").tags).toEqual({ Team: "a" });
  });
  test("Azure: the node pool name 'system' is reserved", () => {
    const azure = validateDeployment({ ...AZURE }, "f");
    expect(() => validateDeployment({ ...azure, nodePools: [{ name: "system", count: 3, machineType: "Standard_D4s_v5" }] }, "f")).toThrow(
      /nodePools\[0\].name: 'system' is the platform's own AKS system pool/,
    );
  });
  test("an empty entry-point allow-list is refused (it would admit nobody)", () => {
    expect(() => validateDeployment({ ...DEFAULT_DEPLOYMENT, domain: { name: "a.example.com", allowedSourceCidrs: [] } }, "f")).toThrow(
      /domain.allowedSourceCidrs: an empty list admits nobody; omit the field/,
    );
  });
  test("AWS: nobody is cluster admin implicitly, so at least one admin principal is required, each listed once (EKS_ACCESS_FACTS)", () => {
    expect(() => validateDeployment({ ...DEFAULT_DEPLOYMENT, aws: undefined }, "f")).toThrow(
      /^ {2}- aws.adminPrincipalArns: list at least one IAM role that administers the cluster .*\(missing\)$/m,
    );
    let problems: readonly string[] = [];
    try {
      validateDeployment({ ...DEFAULT_DEPLOYMENT, aws: { adminPrincipalArns: [] } }, "f");
    } catch (e) {
      problems = (e as ConfigError).problems;
    }
    expect(problems).toHaveLength(1);
    const arn = "arn:aws:iam::123456789012:role/ci";
    expect(() => validateDeployment({ ...DEFAULT_DEPLOYMENT, aws: { adminPrincipalArns: [arn], viewerPrincipalArns: [arn] } }, "f")).toThrow(
      /aws.viewerPrincipalArns\[0\]: arn:aws:iam::123456789012:role\/ci is already in aws.adminPrincipalArns; EKS holds one access entry per principal/,
    );
    expect(() => validateDeployment({ ...DEFAULT_DEPLOYMENT, aws: { adminPrincipalArns: ["arn:aws:sts::123456789012:assumed-role/admin/alice"] } }, "f")).toThrow(
      /aws.adminPrincipalArns\[0\]: must be an IAM role or user ARN.*not an sts assumed-role session ARN/,
    );
  });
  test("AWS: the service range follows EKS's rule: RFC 1918, /24 to /12 (EKS_SERVICE_CIDR_RULE)", () => {
    const withService = (serviceCidr: string) => ({ ...DEFAULT_DEPLOYMENT, network: { ...DEFAULT_DEPLOYMENT.network, serviceCidr } });
    for (const bad of ["100.64.0.0/16", "172.20.0.0/25", "10.0.0.0/11", "192.0.2.0/24"]) {
      expect(() => validateDeployment(withService(bad), "f")).toThrow(/network.serviceCidr: EKS needs a service range inside 10.0.0.0\/8, 172.16.0.0\/12, 192.168.0.0\/16 of size \/12 to \/24/);
    }
    for (const good of ["172.20.0.0/16", "192.168.0.0/24", "172.16.0.0/12"]) expect(validateDeployment(withService(good), "f").network.serviceCidr).toBe(good);
    // Only EKS has this rule.
    expect(validateDeployment({ ...AZURE, network: { ...DEFAULT_DEPLOYMENT.network, serviceCidr: "100.64.0.0/16" } }, "f").network.serviceCidr).toBe("100.64.0.0/16");
  });
  test("Azure: the deploying identity and the runner's network are named; the runner must not overlap and, for a private cluster, be an admin range", () => {
    const partial = Object.fromEntries(Object.entries(AZURE.azure).filter(([k]) => k !== "deployerObjectId" && k !== "runnerNetwork"));
    expect(() => validateDeployment({ ...AZURE, azure: partial }, "f")).toThrow(/azure.deployerObjectId: required[\s\S]*azure.runnerNetwork: required/);
    const runner = (addressPrefixes: string[], publicEndpoint = false) =>
      ({ ...AZURE, controlPlane: { ...AZURE.controlPlane, publicEndpoint }, azure: { ...AZURE.azure, runnerNetwork: { virtualNetworkId: RUNNER_VNET, addressPrefixes } } });
    expect(() => validateDeployment(runner(["10.40.1.0/24"]), "f")).toThrow(/azure.runnerNetwork.addressPrefixes\[0\]: overlaps network.cidr/);
    expect(() => validateDeployment(runner(["10.10.0.0/24"]), "f")).toThrow(/azure.runnerNetwork.addressPrefixes\[0\]: is not inside controlPlane.adminCidrs/);
    expect(validateDeployment(runner(["10.10.0.0/24"], true), "f").azure?.runnerNetwork.addressPrefixes).toEqual(["10.10.0.0/24"]);
    expect(() => validateDeployment({ ...AZURE, azure: { ...AZURE.azure, runnerNetwork: { virtualNetworkId: "runners", addressPrefixes: ["203.0.113.0/26"] } } }, "f")).toThrow(
      /azure.runnerNetwork.virtualNetworkId: must be a VNet resource id/,
    );
  });
  test("duplicate node pool names are refused", () => {
    const pool = { name: "a", count: 3, machineType: "m6i.large" };
    expect(() => validateDeployment({ ...DEFAULT_DEPLOYMENT, nodePools: [pool, pool] }, "f")).toThrow(
      /nodePools\[1\].name: duplicate node pool name 'a'/,
    );
  });
});

describe("files", () => {
  test.each(examples)("examples/%s is a valid deployment", (f) => {
    const d = loadDeployment(["--config", path.join(ROOT, "examples", f)], {});
    expect(f).toContain(d.cloud);
  });
  test("there is one example per cloud, and the estate variants are named after their cloud", () => {
    const names = examples.map((f) => f.split(".")[0]);
    expect(names.filter((n) => !n.includes("-")).sort()).toEqual(["aws", "azure", "gcp"]);
    for (const n of names) expect(["aws", "azure", "gcp"]).toContain(n.split("-")[0]);
  });
  test("JSON deployments are read too", () => {
    const d = validateDeployment(JSON.parse(JSON.stringify(DEFAULT_DEPLOYMENT)), "d.json");
    expect(d.cloud).toBe("aws");
  });
  test("the committed JSON Schema is up to date (npm run schema)", () => {
    const committed = readFileSync(path.join(ROOT, "config", "deployment.schema.json"), "utf8");
    expect(committed).toBe(deploymentJsonSchema());
  });
  test("the committed config reference is up to date (npm run schema)", () => {
    const committed = readFileSync(path.join(ROOT, "docs", "config-reference.md"), "utf8");
    expect(committed).toBe(configReferenceMarkdown());
  });
  test("the reference documents every top-level field", () => {
    const schema = JSON.parse(deploymentJsonSchema());
    for (const key of Object.keys(schema.properties)) expect(configReferenceMarkdown()).toContain(`| \`${key}\` |`);
  });
  test("every row of the reference says what the field means", () => {
    const rows = configReferenceMarkdown().split("\n").filter((l) => l.startsWith("| `"));
    expect(rows.length).toBeGreaterThan(40);
    const undescribed = rows.filter((r) => r.split(" | ").at(-1)?.replace(/\s*\|$/, "").trim() === "");
    expect(undescribed).toEqual([]);
  });
  test("the GCS state path in the reference is where the gcs backend puts it", () => {
    // stacks/backend.ts gives the gcs backend prefix `<prefix>/<stack id>`; the backend stores each workspace
    // as `<prefix>/<workspace>.tfstate` (terraform internal/backend/remote-state/gcs/backend_state.go).
    expect(configReferenceMarkdown()).toContain("`<prefix>/<stack id>/default.tfstate`");
  });
  test("the JSON Schema rejects unknown keys and names the required fields", () => {
    const schema = JSON.parse(deploymentJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(["name", "cloud", "region", "controlPlane", "domain", "nodePools"]));
  });
});
