// Jest transform: TypeScript -> CommonJS with esbuild (transpile only; `tsc --noEmit` type-checks).
// esbuild is already here for tsx, and its platform binaries install from the registry on every OS,
// unlike @swc/core's. Inline source maps keep stack traces pointing at the .ts lines.
const { createHash } = require("node:crypto");
const { transformSync, version } = require("esbuild");

module.exports = {
  process(source, filename) {
    const { code } = transformSync(source, {
      loader: "ts",
      format: "cjs",
      target: "node20",
      sourcemap: "inline",
      sourcefile: filename,
    });
    return { code };
  },
  getCacheKey(source, filename) {
    return createHash("sha256").update(version).update("\0").update(filename).update("\0").update(source).digest("hex");
  },
};
