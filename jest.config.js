/**
 * Jest 29 with an esbuild transform (transpile only: `npm test` runs `tsc --noEmit` for the types) and
 * cdktf's matchers.
 *
 * Why not jest 30 / @swc/jest: they depend on napi-rs binaries for every platform (unrs-resolver,
 * @swc/core-*), which the registry this project is built from does not serve for other platforms; npm
 * then writes a lockfile that `npm ci` refuses. ts-jest works but doubles the suite's time.
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "<rootDir>/scripts/jest-esbuild-transform.js" },
  // Every shipped deployment synthesized once and decoded by the real terraform, for the tests to read.
  globalSetup: "<rootDir>/__tests__/support/global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/support/global-teardown.ts",
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  reporters: ["default", "<rootDir>/scripts/jest-summary-reporter.js"],
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
  // Two workers on a 2-core machine (a third measured no faster: the suite is CPU-bound).
  maxWorkers: 2,
  workerIdleMemoryLimit: "1GB",
};
