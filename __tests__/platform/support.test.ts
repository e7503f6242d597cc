import { requireBinaries } from "./support/servers";

test("a missing server binary is named with the command that installs it", () => {
  expect(() => requireBinaries(["no-such-server-binary", "/no/such/path/postgres", "sh"])).toThrow(
    "missing no-such-server-binary, /no/such/path/postgres: run `bash .ci/install-test-servers`",
  );
  expect(() => requireBinaries(["sh", "/bin/sh"])).not.toThrow();
});
