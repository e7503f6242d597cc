/** Jest: swc transform (no type-checking here; `npm run typecheck` does that), cdktf matchers. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }] },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  reporters: ["default", "<rootDir>/scripts/jest-summary-reporter.js"],
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
  // Provider classes are large; two workers on a 2-core machine, each kept under control.
  maxWorkers: 2,
  workerIdleMemoryLimit: "1GB",
};
