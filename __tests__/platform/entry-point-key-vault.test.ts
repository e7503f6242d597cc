import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { parse as parseYaml } from "yaml";
import { KEY_VAULT_CSI_FACTS } from "../../constructs/azure/key-vault-certificate";
import { one, resources, type JsonObject } from "../support/synthesized";
import { configMapData, localPod, PodRewrite, podContainer, writeConfigMap, type LocalPod } from "./support/pod";
import { certificateSerial, freePort, presentedSerial, removeDir, requireBinaries, run, startServer, tempDir, waitFor, type RunningServer } from "./support/servers";

// The real nginx of the SYNTHESIZED examples/azure-estate.yaml entry point (domain.certificate azure-key-vault),
// run by its pod's synthesized serve script on its decoded ConfigMap, with the CSI volume filled the way the Azure
// Key Vault provider and the Secrets Store CSI driver fill it (KEY_VAULT_CSI_FACTS, with sources): one file named by
// the SecretProviderClass's objectAlias, holding the private key (PKCS#8) and then the chain leaf, intermediate,
// root, behind the driver's atomic-writer symlinks. The certificates are the test's (openssl), as a Key Vault
// PKCS#12 certificate with its chain would hold them. Only ports, paths and the watcher's interval are the test's.
jest.setTimeout(90_000);

const KEY = "examples-azure-estate";
const PUBLIC = "catalog.acme.example.com";
let dir: string;
let pki: string;
let entry: LocalPod;
let nginx: RunningServer;
let mountDir: string;
let fileName: string;
const ports: Record<string, number> = {};

const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: pki, stdio: "pipe", timeout: 30_000 });

/** The SecretProviderClass and the entry point's CSI volume, as synthesized. */
function synthesizedMount() {
  const classes = resources(KEY, "platform", "kubernetes_manifest").map((m) => one(m.body.manifest) as JsonObject).filter((m) => m.kind === "SecretProviderClass");
  expect(classes).toHaveLength(1);
  const spc = classes[0];
  const params = one(one(spc.spec).parameters) as Record<string, string>;
  const objects = (parseYaml(params.objects) as { array: string[] }).array.map((o) => parseYaml(o) as Record<string, string>);
  const container = podContainer(entry.pod, "nginx");
  const volumes = (entry.pod.volumes ?? []) as JsonObject[];
  const csiVolume = volumes.find((v) => v.csi !== undefined);
  const mount = (container.body.volume_mount as { name: string; mount_path: string }[]).find((m) => m.name === csiVolume?.name);
  return { spc, params, objects, csiVolume, mount };
}

/** A root, an intermediate and a leaf for the public name, and the PKCS#12 Key Vault would hold. */
function issueChain(tag: string): { leaf: string; intermediate: string; root: string; pfx: string } {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  if (tag === "1") {
    writeFileSync(join(pki, "ca.ext"), "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
    openssl("req", "-x509", ...ec, "-keyout", "root.key", "-out", "root.crt", "-days", "2", "-subj", "/CN=test-root", "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    openssl("req", ...ec, "-keyout", "int.key", "-out", "int.csr", "-subj", "/CN=test-intermediate");
    openssl("x509", "-req", "-in", "int.csr", "-CA", "root.crt", "-CAkey", "root.key", "-CAcreateserial", "-days", "2", "-out", "int.crt", "-extfile", "ca.ext");
  }
  writeFileSync(join(pki, "leaf.ext"), `subjectAltName=DNS:${PUBLIC}\nextendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\n`);
  openssl("req", ...ec, "-keyout", `leaf${tag}.key`, "-out", `leaf${tag}.csr`, "-subj", `/CN=${PUBLIC}`);
  openssl("x509", "-req", "-in", `leaf${tag}.csr`, "-CA", "int.crt", "-CAkey", "int.key", "-CAcreateserial", "-days", "1", "-out", `leaf${tag}.crt`, "-extfile", "leaf.ext");
  openssl("pkcs12", "-export", "-inkey", `leaf${tag}.key`, "-in", `leaf${tag}.crt`, "-certfile", "int.crt", "-certfile", "root.crt", "-passout", "pass:", "-out", `cert${tag}.pfx`);
  const read = (f: string) => readFileSync(join(pki, f), "utf8");
  return { leaf: read(`leaf${tag}.crt`), intermediate: read("int.crt"), root: read("root.crt"), pfx: join(pki, `cert${tag}.pfx`) };
}

/**
 * The object file as the provider writes it for objectType secret (KEY_VAULT_CSI_FACTS.secretObjectOfCertificate):
 * the PKCS#12's key as PKCS#8, then the chain leaf, intermediate, root.
 */
function providerFile(chain: ReturnType<typeof issueChain>): string {
  const key = execFileSync("sh", ["-c", `openssl pkcs12 -in '${chain.pfx}' -nocerts -nodes -passin pass: | openssl pkey`], { encoding: "utf8" });
  expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  const order = KEY_VAULT_CSI_FACTS.secretObjectOfCertificate.value.chainOrder.split(", ");
  const certs: Record<string, string> = { leaf: chain.leaf, intermediates: chain.intermediate, root: chain.root };
  return key + order.map((o) => certs[o]).join("");
}

/** The driver's atomic writer (KEY_VAULT_CSI_FACTS.atomicWrites): `<file> -> ..data/<file>`, `..data -> ..<timestamp>`; an update swaps `..data`. */
function publish(content: string, generation: number): void {
  expect(KEY_VAULT_CSI_FACTS.atomicWrites.value).toBe(true);
  const versioned = `..gen_${generation}`;
  mkdirSync(join(mountDir, versioned));
  writeFileSync(join(mountDir, versioned, fileName), content, { mode: 0o644 });
  symlinkSync(versioned, join(mountDir, "..data_tmp"));
  renameSync(join(mountDir, "..data_tmp"), join(mountDir, "..data"));
  if (generation === 1) symlinkSync(join("..data", fileName), join(mountDir, fileName));
}

const servedChain = () =>
  run("openssl", ["s_client", "-connect", `127.0.0.1:${ports.https}`, "-servername", PUBLIC, "-CAfile", join(pki, "root.crt"), "-verify_return_error", "-showcerts", "-verify_hostname", PUBLIC], {}, 10_000).out;

beforeAll(async () => {
  requireBinaries(["/usr/sbin/nginx", "curl", "openssl"]);
  dir = tempDir("nginx-key-vault-");
  pki = join(dir, "pki");
  mkdirSync(pki);
  entry = localPod(KEY, "entry-point", { root: join(dir, "entry-point"), caDir: join(dir, "ca") });
  for (const k of ["https", "http", "upstream"]) ports[k] = await freePort();

  const { objects, mount } = synthesizedMount();
  fileName = objects[0].objectAlias;
  mountDir = entry.local(mount!.mount_path);
  const container = podContainer(entry.pod, "nginx");
  const mounts = Object.fromEntries((container.body.volume_mount as { mount_path: string }[]).map((m) => [m.mount_path, entry.local(m.mount_path)]));
  for (const d of Object.values(mounts)) mkdirSync(d, { recursive: true });
  publish(providerFile(issueChain("1")), 1);

  const rewrite = new PodRewrite(mounts, [
    [/listen 8443 ssl/g, `listen 127.0.0.1:${ports.https} ssl`],
    [/listen 8080;/g, `listen 127.0.0.1:${ports.http};`],
    // No upstream runs here (only /healthz is asked): the service names become a closed loopback port.
    ["proxy_pass https://keycloak.identity.svc:8443;", `proxy_pass https://127.0.0.1:${ports.upstream};`],
    ["proxy_pass https://atlas.metadata.svc:21443;", `proxy_pass https://127.0.0.1:${ports.upstream};`],
    ["sleep 60 ", "sleep 1 "],
    ["nginx -c", "/usr/sbin/nginx -c"],
    ["nginx -t -c", "/usr/sbin/nginx -t -c"],
  ]);
  writeConfigMap(configMapData(KEY, "entry-point-config"), mounts["/etc/nginx-platform"], rewrite);
  nginx = startServer(container.command[0], rewrite.command(container.command.slice(1)), { logFile: entry.local("/tmp/nginx.log") });
  await waitFor("the entry point to answer its health check", () => run("curl", ["-sk", "--max-time", "2", "-o", "/dev/null", "-w", "%{http_code}", `https://127.0.0.1:${ports.https}/healthz`]).out === "200", 30_000).catch((e) => {
    throw new Error(`${e.message}\n${nginx.output()}`);
  });
});

afterAll(async () => {
  await nginx?.stop("SIGQUIT", 10_000);
  if (dir) removeDir(dir);
});

test("the synthesized nginx reads its certificate and key from the file the SecretProviderClass's object produces, in the CSI volume", () => {
  const { spc, params, objects, csiVolume, mount } = synthesizedMount();
  const facts = KEY_VAULT_CSI_FACTS;
  expect({ apiVersion: spc.apiVersion, kind: spc.kind, provider: one(spc.spec).provider }).toEqual(facts.providerClass.value);
  expect(one(spc.metadata).namespace).toBe(entry.pod.namespace);
  expect(objects).toHaveLength(1);
  expect(objects[0].objectType).toBe(facts.secretObjectOfCertificate.value.objectType);
  expect(params[facts.parameters.value.usePodIdentity]).toBe("false");
  const csi = one(csiVolume!.csi);
  expect(csi.driver).toBe(facts.volume.value.driver);
  expect(csi.read_only).toBe(true);
  expect(one(csi.volume_attributes)[facts.volume.value.classAttribute]).toBe(one(spc.metadata).name);
  // The provider names the file by objectAlias (else objectName): that is the one path nginx reads both from.
  const file = `${mount!.mount_path}/${objects[0].objectAlias ?? objects[0].objectName}`;
  const conf = configMapData(KEY, "entry-point-config")["nginx.conf"];
  expect(conf).toContain(`ssl_certificate ${file};`);
  expect(conf).toContain(`ssl_certificate_key ${file};`);
  expect(podContainer(entry.pod, "nginx").command.join(" ")).toContain(file);
});

test("the real nginx serves the Key Vault certificate's key and whole chain from that one file; a client trusting only the root verifies it", () => {
  const out = servedChain();
  expect(out).toMatch(/Verify return code: 0 \(ok\)/);
  // The leaf and the intermediate are both presented (the root is the client's).
  expect((out.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length).toBeGreaterThanOrEqual(2);
  expect(out).toMatch(/CN ?= ?test-intermediate/);
  const r = run("curl", ["-sS", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}", "--resolve", `${PUBLIC}:${ports.https}:127.0.0.1`, "--cacert", join(pki, "root.crt"), `https://${PUBLIC}:${ports.https}/healthz`], {}, 10_000);
  expect(r.out).toBe("200");
});

test("a rotated certificate (the driver swaps ..data) is served to new connections after the synthesized watcher's reload, with no restart of the master", async () => {
  const master = () => readFileSync(entry.local("/tmp/nginx.pid"), "utf8").trim();
  const before = master();
  const next = issueChain("2");
  publish(providerFile(next), 2);
  const renewed = certificateSerial(next.leaf);
  const presented = () => presentedSerial(ports.https, ["-CAfile", join(pki, "root.crt"), "-servername", PUBLIC]);
  await waitFor("a new connection to present the rotated certificate", () => presented() === renewed, 20_000).catch((e) => {
    throw new Error(`${e.message}\n${nginx.output()}`);
  });
  expect(master()).toBe(before);
});

test("a PEM-content certificate, written as stored (here chain first, key last), is served from the same file too", async () => {
  // KEY_VAULT_CSI_FACTS.secretObjectOfCertificate: a PEM certificate's secret is written as stored, in the order it was imported.
  const next = issueChain("3");
  const key = execFileSync("openssl", ["pkey", "-in", join(pki, "leaf3.key")], { encoding: "utf8" });
  publish(next.leaf + next.intermediate + next.root + key, 3);
  const renewed = certificateSerial(next.leaf);
  await waitFor("a new connection to present the PEM-content certificate", () => presentedSerial(ports.https, ["-CAfile", join(pki, "root.crt"), "-servername", PUBLIC]) === renewed, 20_000).catch((e) => {
    throw new Error(`${e.message}\n${nginx.output()}`);
  });
  expect(servedChain()).toMatch(/Verify return code: 0 \(ok\)/);
});
