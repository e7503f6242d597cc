// Flat ESLint config. The one project-specific rule: provider packages are imported by deep path,
// never through their barrel (the barrels cost ~20 s and ~1.8 GB per synth; see DESIGN.md).
import tseslint from "typescript-eslint";

const barrelMessage =
  "Import provider classes by deep path, e.g. '@cdktf/provider-aws/lib/s3-bucket'; the barrel loads every resource of the provider.";

export default tseslint.config(
  { ignores: ["node_modules/**", "cdktf.out/**", ".gen/**", "coverage/**", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { regex: "^@cdktf/provider-[a-z0-9-]+$", message: barrelMessage },
            { regex: "^@cdktf/provider-[a-z0-9-]+/lib$", message: barrelMessage },
          ],
        },
      ],
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
);
