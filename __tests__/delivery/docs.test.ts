import { synthesizedStacks } from "../support/deployments";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError, readConfigFile, validateDeployment } from "../../config/load";

// What the README and the deployment guide show must be what the program does.

const ROOT = path.resolve(__dirname, "..", "..");
const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
const guide = readFileSync(path.join(ROOT, "docs", "deployment-guide.md"), "utf8");

test("the README's bad-config example prints exactly the problems the loader reports", () => {
  const yaml = /With this `bad\.yaml`:\n\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  const shown = /\$ npm run synth -- --config bad\.yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(yaml).toBeDefined();
  expect(shown).toBeDefined();
  const dir = mkdtempSync(path.join(tmpdir(), "readme-"));
  try {
    writeFileSync(path.join(dir, "bad.yaml"), yaml ?? "");
    let message = "";
    try {
      validateDeployment(readConfigFile(path.join(dir, "bad.yaml")), "bad.yaml");
    } catch (e) {
      if (e instanceof ConfigError) message = e.message;
      else throw e;
    }
    expect(`${message}\n`).toBe(shown);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the README names the test transform jest really uses", () => {
  const config = readFileSync(path.join(ROOT, "jest.config.js"), "utf8");
  const transform = /transform: \{ "[^"]+": "<rootDir>\/([^"]+)" \}/.exec(config)?.[1];
  expect(transform).toBe("scripts/jest-esbuild-transform.js");
  expect(readme).toContain(`\`${transform}\``);
  expect(readme).not.toMatch(/@swc\/jest|ts-jest/);
});

test("the guide documents the GCS state path where the gcs backend puts it", () => {
  // stacks/backend.ts gives the gcs backend `prefix: <prefix>/<stack id>`; the backend keeps workspace
  // `default` at `<prefix>/default.tfstate` (terraform internal/backend/remote-state/gcs: stateFile()).
  for (const [id, st] of Object.entries(synthesizedStacks("examples-gcp"))) {
    const gcs = (st as { terraform: { backend: { gcs: { prefix: string } } } }).terraform.backend.gcs;
    expect(gcs.prefix).toBe(`metadata-platform/${id}`);
  }
  expect(guide).toContain("`<prefix>/<stack id>/default.tfstate` (gcs");
  expect(guide).not.toMatch(/state object \(`<prefix>\/<stack id>\.tfstate`\)/);
});

test("the guide's teardown steps use the setting that lets the policy pass (synth-entry.test.ts runs it)", () => {
  expect(guide).toContain("set `dataProtection: { allowDestroy: true }` in its config");
  expect(guide.replace(/\s+/g, " ")).toContain("dataProtection.allowDestroy is true in the deployment config");
});

test("the guide documents the upgrade paths the upgrade tests hold, and the replacement guard's acknowledgements", () => {
  expect(guide).toContain("## 7b. Upgrades");
  expect(guide).toContain("`controlPlane.kubernetesVersion`");
  expect(guide).toContain("`nodePools[].kubernetesVersion`");
  expect(guide).toContain("## 7a. The replacement guard");
  expect(guide).toContain("--allow-replace <address>");
  expect(guide).toContain("`dataProtection.allowReplace`");
});
