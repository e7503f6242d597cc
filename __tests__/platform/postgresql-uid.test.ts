import { chownSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodedStack } from "../support/deployments";
import { removeDir, requireBinaries, run, tempDir } from "./support/servers";

/**
 * PostgreSQL as the pod runs it: under the UID the synthesized StatefulSet gives it (not the image's
 * postgres user, and with no passwd entry for it), the REAL initdb and single-user mode of PostgreSQL 15,
 * started through the `with_passwd_entry` function of the synthesized start script (nss_wrapper, from
 * Debian's libnss-wrapper as in the image), then the postmaster itself. `.ci/install-test-servers` installs
 * them; the test needs root to take the pod's UID (setpriv).
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const BIN = "/usr/lib/postgresql/15/bin";
jest.setTimeout(90_000);

const blocks = decodedStack("default", "platform").blocks as Record<string, Json>;
const configMap = Object.values(blocks).find((b) => b.metadata?.name === "postgresql-config") as Json;
const set = Object.values(blocks).find((b) => b.spec?.template?.spec?.container?.some?.((c: Json) => c.name === "postgresql")) as Json;
const podSecurity = set.spec.template.spec.security_context;
const uid = Number(podSecurity.run_as_user);
const gid = Number(podSecurity.run_as_group);
/** The function definition as the start script holds it (from `with_passwd_entry() {` to its closing brace). */
const startScript: string = configMap.data["start.sh"];
const wrapper = /^with_passwd_entry\(\) \{\n[\s\S]*?\n\}$/m.exec(startScript)?.[0];

let dir: string;
const asPodUser = (script: string, args: string[] = []) =>
  run("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "sh", "-c", script, "sh", ...args], { TMPDIR: dir, PATH: `${BIN}:${process.env.PATH}` }, 60_000);

beforeAll(() => {
  requireBinaries([`${BIN}/initdb`, `${BIN}/postgres`, "setpriv", "getent"]);
  if (process.getuid?.() !== 0) throw new Error("postgresql-uid.test.ts takes the pod's UID with setpriv: run the tests as root (CI does)");
  dir = tempDir("pg-uid-");
  chownSync(dir, uid, gid);
});

afterAll(() => {
  if (dir) removeDir(dir);
});

test("the pod runs PostgreSQL as its own UID and GID, at least 10000, for which the machine has no passwd entry", () => {
  expect(uid).toBeGreaterThanOrEqual(10000);
  expect(gid).toBe(uid);
  expect(run("getent", ["passwd", String(uid)]).status).not.toBe(0);
  expect(wrapper).toBeDefined();
  expect(startScript).toMatch(/^\s*with_passwd_entry initdb /m);
  expect(startScript).toMatch(/^\s*with_passwd_entry postgres --single /m);
});

test("without the wrapper, initdb refuses the pod's UID (what the wrapper is for)", () => {
  const r = asPodUser(`initdb -D "$1" -U postgres`, [join(dir, "bare")]);
  expect(r.status).not.toBe(0);
  expect(r.out).toContain(`could not look up effective user ID ${uid}`);
});

test("through the start script's with_passwd_entry, initdb and single-user mode run as the pod's UID, and the postmaster starts on the result", () => {
  const data = join(dir, "data");
  mkdirSync(join(dir, "sock"));
  chownSync(join(dir, "sock"), uid, gid);
  writeFileSync(join(dir, "bootstrap.sql"), "CREATE ROLE probe LOGIN;\n");
  const init = asPodUser(`${wrapper}\nexport PGDATA="$1"\nwith_passwd_entry initdb -D "$1" -U postgres --auth=trust --no-instructions && with_passwd_entry postgres --single -D "$1" postgres < "$2"`, [data, join(dir, "bootstrap.sql")]);
  expect(init).toEqual({ status: 0, out: expect.stringContaining(`creating directory ${data} ... ok`) });
  expect(statSync(join(data, "PG_VERSION")).uid).toBe(uid);
  // The data directory belongs to the pod's UID: the postmaster's ownership check passes, with no passwd entry.
  const probe = asPodUser(
    `postgres -D "$1" -k "$2" -c listen_addresses= -p 5432 & pid=$!; for i in $(seq 1 50); do pg_isready -h "$2" -p 5432 -t 1 >/dev/null 2>&1 && break; sleep 0.2; done; psql -h "$2" -p 5432 -U postgres -XAtqc "select rolname from pg_roles where rolname = 'probe'" postgres; kill -INT $pid; wait $pid`,
    [data, join(dir, "sock")],
  );
  expect(probe.out).toContain("probe");
  expect(probe.status).toBe(0);
});
