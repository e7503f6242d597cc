import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { podTemplates } from "../kubernetes/pod-inventory";
import { synthesizedStacks } from "../support/deployments";
import { localPod } from "./support/pod";
import { freePort, removeDir, requireBinaries, run, startServer, tempDir, waitFor, type RunningServer } from "./support/servers";

/**
 * Atlas reaches Keycloak inside the cluster and trusts it, proven with the real programs: the Atlas
 * pod's own init command (from the synthesized default deployment) builds the truststore with the real
 * keytool from a CA; Keycloak's certificate is issued by that CA for exactly the names Keycloak's Vault
 * Agent template asks Vault for (both pods' files rendered by the Vault Agent harness against the
 * synthesized PKI role, __tests__/support/vault-agent.ts); and a real JVM loads the truststore the way Keycloak's adapter does
 * (KeyStore.getDefaultType(), the password from keycloak.json) and completes a TLS handshake, hostname
 * verified, with a server presenting that certificate under the host of keycloak.json's auth-server-url.
 */

const JAVA_CLIENT = `
import java.io.FileInputStream;
import java.net.Socket;
import java.security.KeyStore;
import javax.net.ssl.*;
public class TrustCheck {
  public static void main(String[] a) throws Exception {
    KeyStore ts = KeyStore.getInstance(KeyStore.getDefaultType());
    try (FileInputStream in = new FileInputStream(a[0])) { ts.load(in, a[1].toCharArray()); }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    Socket raw = new Socket("127.0.0.1", Integer.parseInt(a[3]));
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, a[2], Integer.parseInt(a[3]), true);
    SSLParameters p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    s.setSSLParameters(p);
    s.startHandshake();
    System.out.println("verified " + a[2]);
    s.close();
  }
}
`;

let dir: string;
let server: RunningServer | undefined;

beforeAll(() => {
  requireBinaries(["java", "keytool", "openssl"]);
  dir = tempDir("atlas-trust-");
});
afterAll(async () => {
  await server?.stop();
  removeDir(dir);
});

const pods = () => Object.entries(synthesizedStacks("default")).flatMap(([id, s]) => podTemplates(id, s));

test("Atlas's truststore, built by its own init command, lets a JVM verify Keycloak's in-cluster certificate by name", async () => {
  const atlas = pods().find((p) => p.name === "atlas")!;
  const assemble = atlas.containers.find((c) => c.name === "assemble")!;
  const files = atlas.files(atlas.containers.find((c) => c.name === "atlas")!);
  const keycloakJson = files["/vault/secrets/keycloak.json"];
  const url = new URL(/"auth-server-url": "([^"]+)"/.exec(keycloakJson)![1]);
  const truststore = /"truststore": "([^"]+)"/.exec(keycloakJson)![1];

  // Both pods' Vault Agent files, rendered against the synthesized Vault (one CA for the test).
  const caDir = join(dir, "ca");
  const atlasPod = localPod("default", "atlas", { root: join(dir, "atlas"), caDir });
  const keycloakPod = localPod("default", "keycloak", { root: join(dir, "keycloak"), caDir });

  // The init command as synthesized, its secrets directory and store path pointed at the test directory.
  const keytool = assemble.command[2].split(" && ").find((s) => s.startsWith("keytool "))!;
  expect(keytool).toContain(`-keystore ${truststore}`);
  const local = keytool.replaceAll("/vault/secrets/", `${atlasPod.local("/vault/secrets")}/`).replace(truststore, join(dir, "truststore.p12"));
  execFileSync("sh", ["-c", local], { stdio: "pipe", timeout: 60_000 });

  // Keycloak's certificate, as its Vault Agent template gets it from the PKI role: it carries the in-cluster host.
  const issued = keycloakPod.init.issued[0];
  expect([issued.commonName, ...issued.dnsNames]).toContain(url.hostname);
  const cert = keycloakPod.local("/vault/secrets/tls.crt");
  const key = keycloakPod.local("/vault/secrets/tls.key");

  const port = await freePort();
  server = startServer("openssl", ["s_server", "-quiet", "-accept", String(port), "-cert", cert, "-key", key]);
  await waitFor("openssl s_server", () => run("sh", ["-c", `printf '' | openssl s_client -connect 127.0.0.1:${port} 2>/dev/null | grep -q BEGIN`]).status === 0);

  writeFileSync(join(dir, "TrustCheck.java"), JAVA_CLIENT);
  const password = readFileSync(atlasPod.local("/vault/secrets/truststore-password"), "utf8");
  const ok = run("java", [join(dir, "TrustCheck.java"), join(dir, "truststore.p12"), password, url.hostname, String(port)], {}, 60_000);
  expect(ok.out).toContain(`verified ${url.hostname}`);

  // The public hostname is not a name of Keycloak's in-cluster certificate: the handshake is refused.
  const publicHost = run("java", [join(dir, "TrustCheck.java"), join(dir, "truststore.p12"), password, "catalog.example.com", String(port)], {}, 60_000);
  expect(publicHost.status).not.toBe(0);
  expect(publicHost.out).toMatch(/No subject alternative DNS name matching catalog\.example\.com/);
}, 120_000);
