import { requireBinaries, startServer } from "./support/servers";

test("a missing server binary is named with the command that installs it", () => {
  expect(() => requireBinaries(["no-such-server-binary", "/no/such/path/postgres", "sh"])).toThrow(
    "missing no-such-server-binary, /no/such/path/postgres: run `bash .ci/install-test-servers`",
  );
  expect(() => requireBinaries(["sh", "/bin/sh"])).not.toThrow();
});

test("stopping a server leaves no open pipe behind, even when its own child outlives it (the jest worker can exit)", async () => {
  // The server starts a child that keeps its output pipes for 3 s more, as a watcher's `sleep` does.
  const server = startServer("sh", ["-c", "sleep 3 & echo started; exec sleep 30"]);
  await new Promise<void>((resolve) => server.process.stdout?.once("data", () => resolve()));
  await server.stop("SIGTERM", 5_000);
  expect(server.process.exitCode !== null || server.process.signalCode !== null).toBe(true);
  expect(server.process.stdout?.destroyed).toBe(true);
  expect(server.process.stderr?.destroyed).toBe(true);
}, 20_000);
