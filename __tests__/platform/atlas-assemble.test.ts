import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { agentUser } from "../support/vault-agent";
import { localPod, podContainer, PodRewrite } from "./support/pod";
import { removeDir, requireBinaries, tempDir } from "./support/servers";

// Atlas's `assemble` init container, its command verbatim from the synthesized Deployment, run twice on
// the same emptyDirs as the pod's uid: the kubelet runs a pod's init containers again when the pod's
// sandbox is recreated, and emptyDir volumes live as long as the pod (https://kubernetes.io/docs/concepts/storage/volumes/#emptydir,
// https://kubernetes.io/docs/concepts/workloads/pods/init-containers/#pod-restart-reasons), so the
// copies and the truststore of the first run are still there. `cp` of a read-only source makes a
// read-only copy its owner cannot open again (GNU coreutils cp: without -f, "cannot create regular file");
// keytool refuses an alias the store already holds ("Certificate not imported, alias <...> already exists").
jest.setTimeout(120_000);

const ATLAS_HOME_CONF = "/opt/apache-atlas/conf";

let dir: string;
beforeAll(() => {
  requireBinaries(["keytool", "setpriv"]);
  dir = tempDir("atlas-assemble-");
  chmodSync(dir, 0o755);
});
afterAll(() => removeDir(dir));

test("the assemble init container succeeds when it runs again on the files of its first run", () => {
  const atlas = localPod("default", "atlas", { root: join(dir, "pod"), caDir: join(dir, "ca") });
  const assemble = podContainer(atlas.pod, "assemble");
  const user = agentUser(atlas.pod, "assemble");
  const mounts = Object.fromEntries((assemble.body.volume_mount as { name: string; mount_path: string }[]).map((m) => [m.name, m.mount_path]));
  // The image's conf directory: a stand-in with a file as an image layer leaves it (root-owned, 0644).
  const imageConf = join(dir, "image-conf");
  mkdirSync(imageConf);
  writeFileSync(join(imageConf, "atlas-logback.xml"), "<configuration/>\n", { mode: 0o644 });
  // The emptyDirs as the kubelet makes them with an fsGroup: root-owned, group fsGroup, mode 2777.
  const emptyDir = (name: string) => {
    const d = join(dir, name);
    mkdirSync(d);
    chownSync(d, 0, user.fsGroup ?? 0);
    chmodSync(d, 0o2777);
    return d;
  };
  const rewrite = new PodRewrite({
    [ATLAS_HOME_CONF]: imageConf,
    [mounts["atlas-conf"]]: emptyDir("atlas-conf"),
    [mounts.stores]: emptyDir("stores"),
    [mounts["vault-secrets"]]: atlas.local(mounts["vault-secrets"]),
  });
  const home = emptyDir("home");
  const command = rewrite.command(assemble.command);
  expect(command.join(" ")).toContain(imageConf);
  const asPod = process.getuid?.() === 0 ? ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, `--groups=${user.fsGroup ?? user.gid}`, "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"] : [];
  const runOnce = () => {
    const r = spawnSync(asPod[0] ?? command[0], [...asPod.slice(1), ...(asPod.length ? command : command.slice(1))], {
      encoding: "utf8",
      timeout: 60_000,
      cwd: "/",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home },
    });
    return `status ${r.status}${r.status === 0 ? "" : `: ${r.stderr}${r.stdout}`}`;
  };
  expect(runOnce()).toBe("status 0");
  expect(runOnce()).toBe("status 0");
  expect(readdirSync(join(dir, "atlas-conf")).sort()).toEqual(["atlas-application.properties", "atlas-logback.xml", "keycloak.json"]);
  const storeFile = rewrite.path(/-keystore (\S+)/.exec(assemble.command.join(" "))![1]);
  const password = readFileSync(atlas.local("/vault/secrets/truststore-password"), "utf8").trim();
  const list = spawnSync("keytool", ["-list", "-keystore", storeFile, "-storetype", "PKCS12", "-storepass", password], { encoding: "utf8" });
  expect(list.stdout).toMatch(/Your keystore contains 1 entry/);
  expect(list.stdout).toMatch(/^platform-ca,/m);
});

