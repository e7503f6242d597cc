// Flat ESLint config. Two project-specific rules:
// - provider packages are imported by deep path, never through their barrel (the barrels cost ~20 s and
//   ~1.8 GB per synth; see DESIGN.md);
// - imports run one way: lib and policy, config, the contract (platform/), constructs, stacks, entry points
//   (app/, scripts/, main.ts). The shared Kubernetes and Vault constructs never import a cloud's, Kubernetes
//   never imports Vault's, and no cloud imports another's. __tests__/lint.test.ts proves each rule fires.
import tseslint from "typescript-eslint";

const barrelMessage =
  "Import provider classes by deep path, e.g. '@cdktf/provider-aws/lib/s3-bucket'; the barrel loads every resource of the provider.";
const barrelPatterns = [
  { regex: "^@cdktf/provider-[a-z0-9-]+$", message: barrelMessage },
  { regex: "^@cdktf/provider-[a-z0-9-]+/lib$", message: barrelMessage },
];

/** The layers, lowest first; each may import only the layers before it (and itself). */
const LAYERS = [
  { name: "lib", files: ["lib/**/*.ts", "policy/**/*.ts"] },
  { name: "config", files: ["config/**/*.ts"] },
  { name: "the contract", files: ["platform/**/*.ts"] },
  { name: "constructs", files: ["constructs/**/*.ts"] },
  { name: "stacks", files: ["stacks/**/*.ts"] },
];
/** Top-level folders of each layer above a given one (what its files must not import). */
const ABOVE = [
  ["config", "platform", "constructs", "stacks", "app", "scripts", "main"],
  ["platform", "constructs", "stacks", "app", "scripts", "main"],
  ["constructs", "stacks", "app", "scripts", "main"],
  ["stacks", "app", "scripts", "main"],
  ["app", "scripts", "main"],
];
const upward = (layer, folders) => ({
  regex: `^(\\.\\./)+(${folders.join("|")})(/|$)`,
  message: `${layer} sits below ${folders.join(", ")} in the import order (lib and policy, config, platform/, constructs, stacks, entry points): move what you need down, or pass it in.`,
});
/** Construct folders a construct folder must not import (relative to constructs/<folder>/). */
const SIDEWAYS = {
  kubernetes: ["vault", "aws", "azure", "gcp"],
  vault: ["aws", "azure", "gcp"],
  common: ["kubernetes", "vault", "aws", "azure", "gcp"],
  aws: ["azure", "gcp"],
  azure: ["aws", "gcp"],
  gcp: ["aws", "azure"],
};
const sideways = (folder, banned) => ({
  regex: `^(\\.\\./)+(constructs/)?(${banned.join("|")})(/|$)`,
  message: `constructs/${folder} must not import constructs/${banned.join(", constructs/")}: shared constructs are cloud-neutral and Kubernetes is below Vault; put what both need in platform/ or lib/.`,
});
const restrict = (patterns) => ({ "no-restricted-imports": ["error", { patterns: [...barrelPatterns, ...patterns] }] });

export default tseslint.config(
  { ignores: ["node_modules/**", "cdktf.out/**", "cdktf.all/**", ".gen/**", "coverage/**", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      ...restrict([]),
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.name='require'] > Literal[value=/^@cdktf\\/provider-[a-z0-9-]+$/]",
          message: barrelMessage,
        },
      ],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
    },
  },
  ...LAYERS.filter((l) => l.name !== "constructs").map((l) => ({ files: l.files, rules: restrict([upward(l.name, ABOVE[LAYERS.indexOf(l)])]) })),
  ...Object.entries(SIDEWAYS).map(([folder, banned]) => ({
    files: [`constructs/${folder}/**/*.ts`],
    rules: restrict([upward("constructs", ABOVE[3]), sideways(folder, banned)]),
  })),
);
