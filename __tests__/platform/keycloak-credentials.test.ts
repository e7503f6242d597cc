import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEPLOYMENTS } from "../support/deployments";
import { agentPods } from "../support/vault-agent";
import { nonEmpty } from "../support/non-empty";
import { localPod, PodRewrite, podContainer, type LocalPod } from "./support/pod";
import { removeDir, startServer, tempDir, type RunningServer, waitFor } from "./support/servers";

// Keycloak's database login cannot expire under a running Keycloak (issue 12, defect 9): the pod holds
// ONE lease, the Vault Agent sidecar's, which renews it; when the lease reaches its max TTL the sidecar
// renders a new login while the old one still has its grace left, and Keycloak's container (its
// SYNTHESIZED script, run here by /bin/sh around a stand-in for kc.sh) stops Keycloak so the kubelet
// restarts it on the new login. The renewal statement keeping a login valid runs on a real PostgreSQL
// in postgresql-pod-server.test.ts.
jest.setTimeout(60_000);

test.each(DEPLOYMENTS.map((d) => d.key))("%s: the database login is rendered by the sidecar only: one lease per pod, the one that is renewed", (key) => {
  const keycloak = agentPods(key).find((p) => p.name === "keycloak")!;
  const reads = (t: { contents: string }) => t.contents.includes('secret "database/creds/');
  expect(keycloak.init.template.filter(reads)).toEqual([]);
  expect(keycloak.sidecar.template.filter(reads).map((t) => t.destination)).toEqual(["/vault/secrets/keycloak.conf"]);
  // No other pod takes leased database credentials in its init container either.
  for (const pod of nonEmpty(agentPods(key), "pod with a Vault Agent")) expect(`${pod.name}: ${pod.init.template.filter(reads).length}`).toBe(`${pod.name}: 0`);
});

describe("Keycloak's synthesized container script, around a stand-in kc.sh", () => {
  let dir: string;
  let keycloak: LocalPod;
  let server: RunningServer | undefined;
  const starts = () => readFileSync(join(dir, "starts.log"), "utf8").trim().split("\n").filter(Boolean);

  beforeAll(() => {
    dir = tempDir("keycloak-serve-");
    mkdirSync(join(dir, "pod"));
    // The stand-in: records the login it was started with, then serves until TERM (as Keycloak, exit 143).
    const kc = join(dir, "kc.sh");
    writeFileSync(kc, `#!/bin/sh\nconf="$(printf '%s' "$1" | sed 's/^--config-file=//')"\necho "$(grep '^db-username=' "$conf")" >> ${join(dir, "starts.log")}\ntrap 'exit 143' TERM\nwhile :; do sleep 1; done\n`);
    chmodSync(kc, 0o755);
    writeFileSync(join(dir, "starts.log"), "");
  });
  afterAll(async () => {
    await server?.stop("SIGTERM", 5_000);
    removeDir(dir);
  });

  test("it waits for the sidecar's file, serves, and stops Keycloak when the sidecar renders a new login (never before)", async () => {
    const root = join(dir, "pod");
    const pod = agentPods("default").find((p) => p.name === "keycloak")!;
    const container = podContainer(pod, "keycloak");
    const rewrite = new PodRewrite({ "/vault/secrets": join(root, "vault/secrets") }, [
      ["/opt/keycloak/bin/kc.sh", join(dir, "kc.sh")],
      ["sleep 60 ", "sleep 1 "],
    ]);
    mkdirSync(join(root, "vault/secrets"), { recursive: true });
    server = startServer(container.command[0], rewrite.command(container.command.slice(1)));
    await new Promise((r) => setTimeout(r, 1500));
    expect(starts()).toEqual([]); // no configuration yet: Keycloak is not started

    keycloak = localPod("default", "keycloak", { root, caDir: join(dir, "ca") });
    const first = keycloak.sidecar.leases[0].username;
    await waitFor("Keycloak to start on the rendered file", () => starts().length === 1, 10_000);
    expect(starts()).toEqual([`db-username=${first}`]);

    // The same file written again (a re-render with the same login, e.g. a renewal): no restart.
    const conf = join(root, "vault/secrets/keycloak.conf");
    writeFileSync(conf, readFileSync(conf));
    await new Promise((r) => setTimeout(r, 3000));
    expect(server.process.exitCode).toBeNull();

    // The lease reached its max TTL: the sidecar leases a new login and rewrites the file.
    const exited = new Promise<number | null>((resolve) => server!.process.once("exit", (code) => resolve(code)));
    const renewed = keycloak.rerender(0);
    expect(renewed.leases[0].username).not.toBe(first);
    expect(await exited).toBe(143); // Keycloak stopped gracefully; the kubelet restarts the container
    expect(server.output()).toMatch(/certificate files changed; server reloaded them|reload/);
  });
});
