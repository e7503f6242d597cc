import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  cliConfig,
  discoverMirrors,
  mirroredVersions,
  normalizeSource,
  requiredProviders,
  satisfies,
  synthArguments,
  terraformPlatform,
} from "../../scripts/validate";

// `npm run validate`: its pure parts, and the real terraform on stacks whose providers are not mirrored.

let mirror: string;
beforeAll(() => {
  mirror = mkdtempSync(path.join(os.tmpdir(), "mirror-"));
  // Unpacked layout for aws, packed layout for kubernetes.
  mkdirSync(path.join(mirror, "registry.terraform.io", "hashicorp", "aws", "5.100.0", "linux_amd64"), { recursive: true });
  mkdirSync(path.join(mirror, "registry.terraform.io", "hashicorp", "aws", "5.99.0", "darwin_arm64"), { recursive: true });
  mkdirSync(path.join(mirror, "registry.terraform.io", "hashicorp", "kubernetes"), { recursive: true });
  writeFileSync(path.join(mirror, "registry.terraform.io", "hashicorp", "kubernetes", "terraform-provider-kubernetes_2.38.0_linux_amd64.zip"), "");
});
afterAll(() => rmSync(mirror, { recursive: true, force: true }));

test("provider sources are normalized to full addresses", () => {
  expect(normalizeSource("aws", "aws")).toBe("registry.terraform.io/hashicorp/aws");
  expect(normalizeSource("vault", "hashicorp/vault")).toBe("registry.terraform.io/hashicorp/vault");
  expect(normalizeSource("x", "example.com/Acme/X")).toBe("example.com/acme/x");
  expect(normalizeSource("google", undefined)).toBe("registry.terraform.io/hashicorp/google");
});

test("required providers are read from the synthesized stack", () => {
  expect(requiredProviders({ terraform: { required_providers: { aws: { source: "aws", version: "5.100.0" }, kubernetes: { source: "hashicorp/kubernetes" } } } })).toEqual([
    { address: "registry.terraform.io/hashicorp/aws", version: "5.100.0" },
    { address: "registry.terraform.io/hashicorp/kubernetes", version: undefined },
  ]);
  expect(requiredProviders({})).toEqual([]);
});

test("mirrored versions are found per platform in the unpacked and packed layouts", () => {
  expect(mirroredVersions(mirror, "registry.terraform.io/hashicorp/aws", "linux_amd64")).toEqual(["5.100.0"]);
  expect(mirroredVersions(mirror, "registry.terraform.io/hashicorp/aws", "darwin_arm64")).toEqual(["5.99.0"]);
  expect(mirroredVersions(mirror, "registry.terraform.io/hashicorp/kubernetes", "linux_amd64")).toEqual(["2.38.0"]);
  expect(mirroredVersions(mirror, "registry.terraform.io/hashicorp/google", "linux_amd64")).toEqual([]);
});

test("exact version constraints must match a mirrored version; others are left to terraform init", () => {
  expect(satisfies("5.100.0", ["5.100.0"])).toBe(true);
  expect(satisfies("= 5.100.0", ["5.100.0"])).toBe(true);
  expect(satisfies("5.101.0", ["5.100.0"])).toBe(false);
  expect(satisfies("~> 5.0", ["5.100.0"])).toBe(true);
  expect(satisfies(undefined, [])).toBe(false);
});

test("the CLI config installs only from the mirrors and excludes the providers from direct installation", () => {
  const config = cliConfig(["/m1", "/m2"], ["registry.terraform.io/hashicorp/aws"]);
  expect(config).toContain('filesystem_mirror {\n    path    = "/m1"');
  expect(config).toContain('filesystem_mirror {\n    path    = "/m2"');
  expect(config).toContain('direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]');
});

test("TF_PLUGIN_MIRROR wins over discovery and may list several paths", () => {
  expect(discoverMirrors({ TF_PLUGIN_MIRROR: `/a${path.delimiter}/b` })).toEqual({ mirrors: ["/a", "/b"], from: "TF_PLUGIN_MIRROR" });
  const discovered = discoverMirrors({ TF_PLUGIN_CACHE_DIR: mirror });
  expect(discovered.from).toBe("conventional locations");
  expect(discovered.mirrors).toContain(mirror);
});

test("the synth gets every argument but --no-synth and --out <dir>: `npm run validate -- --config examples/aws.yaml` validates that deployment", () => {
  expect(synthArguments(["--config", "examples/aws.yaml"])).toEqual(["--config", "examples/aws.yaml"]);
  expect(synthArguments(["--no-synth", "--out", "dir", "--config", "x.yaml"])).toEqual(["--config", "x.yaml"]);
  expect(synthArguments(["--config", "x.yaml", "--out", "dir"])).toEqual(["--config", "x.yaml"]);
});

test("platform names follow Terraform's", () => {
  expect(terraformPlatform("linux", "x64")).toBe("linux_amd64");
  expect(terraformPlatform("darwin", "arm64")).toBe("darwin_arm64");
  expect(terraformPlatform("win32", "x64")).toBe("windows_amd64");
});

describe("stacks whose providers are not mirrored get Terraform core's decoder", () => {
  const VALIDATE = path.join(__dirname, "..", "..", "scripts", "validate.ts");
  const TSX = path.join(__dirname, "..", "..", "node_modules", "tsx", "dist", "cli.mjs");

  function outputWith(data: Record<string, string>): string {
    const out = mkdtempSync(path.join(os.tmpdir(), "validate-out-"));
    mkdirSync(path.join(out, "stacks", "x-platform"), { recursive: true });
    writeFileSync(path.join(out, "manifest.json"), JSON.stringify({ stacks: { "x-platform": { workingDirectory: "stacks/x-platform" } } }));
    const stack = {
      terraform: { required_providers: { kubernetes: { source: "hashicorp/kubernetes", version: "2.38.0" } } },
      resource: { kubernetes_config_map_v1: { Scripts: { metadata: { name: "scripts", namespace: "${kubernetes_namespace_v1.Ns.metadata[0].name}" }, data } } },
    };
    writeFileSync(path.join(out, "stacks", "x-platform", "cdk.tf.json"), JSON.stringify(stack));
    return out;
  }

  function validate(out: string) {
    const r = spawnSync(process.execPath, [TSX, VALIDATE, "--no-synth", "--out", out], { encoding: "utf8", env: { ...process.env, TF_PLUGIN_MIRROR: out } });
    rmSync(out, { recursive: true, force: true });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  test("unescaped shell is reported invalid, naming the block (terraform's own diagnostic)", () => {
    const r = validate(outputWith({ "start.sh": 'ORDINAL="${HOSTNAME##*-}"' }));
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/x-platform: invalid/);
    expect(r.out).toMatch(/x-platform: resource\.kubernetes_config_map_v1\.Scripts: (Unclosed template interpolation sequence|Invalid character)/);
  });

  test("escaped text decodes, and the line says which check the stack got", () => {
    const r = validate(outputWith({ "start.sh": 'ORDINAL="$${HOSTNAME##*-}"; curl -w \'%%{http_code}\'' }));
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/x-platform: decoded \(terraform core: .*registry\.terraform\.io\/hashicorp\/kubernetes 2\.38\.0\)/);
  });
});
