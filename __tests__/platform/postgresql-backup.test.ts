import { chmodSync, existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPORT_ONLY_FAILURE_THRESHOLD } from "../../constructs/kubernetes/platform-pod";
import { decodedStack } from "../support/deployments";
import { LocalPostgresqlCluster, type LocalPostgresqlPod } from "./support/postgresql-pod";
import { waitFor } from "./support/servers";

// Backups of the platform's PostgreSQL, end to end on this machine: a real PostgreSQL 15 started by the
// pod's own start.sh, the pod's base-backup and uploader containers running their own loops (every
// second here), and the Debian rclone moving the outbox to a local directory standing in for the
// bucket. Everything run is the decoded text of the synthesized default deployment (support/postgresql-pod.ts).
jest.setTimeout(180_000);

let cluster: LocalPostgresqlCluster;
let primary: LocalPostgresqlPod;

/** The WAL segment a switch closed: what the archiver must archive next. */
function switchWal(pod: LocalPostgresqlPod): string {
  return pod.value("select pg_walfile_name(pg_switch_wal())");
}

/** Waits until the server itself reports the segment as archived (pg_stat_archiver), not merely a file. */
async function archived(pod: LocalPostgresqlPod, segment: string): Promise<void> {
  await waitFor(`${segment} archived`, () => pod.value("select coalesce(last_archived_wal, '') >= $$" + segment + "$$ from pg_stat_archiver") === "t", 60_000);
}

beforeAll(async () => {
  cluster = await LocalPostgresqlCluster.create();
  primary = cluster.pod(0);
  primary.start("postgresql");
  await primary.ready();
  primary.value("create table audit(id int primary key, note text)");
  primary.value("insert into audit values (1, 'before the base backup')");
  primary.start("base-backup");
  primary.start("uploader");
});

afterAll(async () => {
  await cluster?.stop();
});

test("the first base backup of a new cluster is taken at once, and uploads never delete the outbox: after several upload rounds archiving still succeeds", async () => {
  // The base backup: taken by the loop, moved into the outbox when complete, then uploaded.
  await waitFor("a base backup in the bucket", () => cluster.objects("postgresql/base").some((f) => f.endsWith("/base.tar.gz")), 60_000).catch((e) => {
    throw new Error(`${e.message}\n${primary.output("base-backup")}\n${primary.output("uploader")}`);
  });
  primary.value("insert into audit values (2, 'after the base backup')");
  // Several segments, each archived by the server and uploaded in a later round of the uploader.
  const segments: string[] = [];
  for (let i = 0; i < 4; i++) {
    if (i > 0) primary.value(`insert into audit values (${10 + i}, 'round ${i}')`);
    const segment = switchWal(primary);
    segments.push(segment);
    await archived(primary, segment);
    // Moved: in the bucket and gone from the outbox (rclone deletes the source after the upload).
    await waitFor(`${segment} moved to the bucket`, () => cluster.walUploaded(primary, segment), 30_000).catch((e) => {
      throw new Error(`${e.message}\n${primary.output("uploader")}\n${primary.output("postgresql")}`);
    });
  }
  // The server's own directories are still there, and archiving never failed.
  const outbox = join(primary.root, "data", "outbox");
  expect(["wal", "base"].map((d) => existsSync(join(outbox, d)) && statSync(join(outbox, d)).isDirectory())).toEqual([true, true]);
  expect(primary.value("select failed_count, archived_count >= 4 from pg_stat_archiver")).toBe("0|t");
  // Nothing half-written was ever taken: no segment the archive command was still copying (<segment>.partial) reached the bucket.
  expect(readdirSync(join(outbox, "wal")).filter((f) => segments.includes(f))).toEqual([]);
  expect(cluster.objects("postgresql/wal").filter((f) => /^[0-9A-F]{24}\.partial$/.test(f))).toEqual([]);
  expect(primary.heartbeatExists("uploader", "failing")).toBe(false);
});

test("a failing archive_command shows in the base-backup container's liveness probe, which reports without restarting, while the store stays ready", async () => {
  const walOutbox = join(primary.root, "data", "outbox", "wal");
  const before = Number(primary.value("select failed_count from pg_stat_archiver"));
  chmodSync(walOutbox, 0o555); // the archive command cannot write there any more
  try {
    primary.value("insert into audit values (100, 'while archiving fails')");
    switchWal(primary);
    await waitFor("the server to count a failed archive", () => Number(primary.value("select failed_count from pg_stat_archiver")) > before, 60_000);
    await waitFor("the base-backup loop to report it", () => primary.heartbeat("base-backup", "failing").includes("WAL archiving is failing"), 30_000).catch((e) => {
      throw new Error(`${e.message}\n${primary.value("select * from pg_stat_archiver")}\n${primary.output("base-backup").slice(-2000)}`);
    });
    const liveness = primary.probe("base-backup", "liveness");
    expect(liveness.status).not.toBe(0);
    expect(liveness.out).toMatch(/backup round failing: WAL archiving is failing: segment [0-9A-F]{24} was not archived/);
    // Serving readiness is the server's alone: both the server and the backup container stay ready.
    expect(primary.probe("base-backup", "readiness").status).toBe(0);
    expect(primary.probe("postgresql", "readiness").status).toBe(0);
  } finally {
    chmodSync(walOutbox, 0o755);
  }
  // Archiving recovers by itself (a new segment wakes the archiver), and so does the probe.
  const segment = switchWal(primary);
  await archived(primary, segment);
  await waitFor("the loop to clear the failure", () => !primary.heartbeatExists("base-backup", "failing"), 30_000);
  expect(primary.probe("base-backup", "liveness").status).toBe(0);
});

test("backup containers never gate readiness nor restart: startup and readiness ask only that the loop runs, liveness never acts", () => {
  const set = Object.entries(decodedStack("default", "platform").blocks).find(([k]) => /kubernetes_stateful_set_v1\.Postgresql_/.test(k))![1] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const name of ["base-backup", "uploader"]) {
    const c = set.spec.template.spec.container.find((x: { name: string }) => x.name === name);
    expect([c.startup_probe.exec.command, c.readiness_probe.exec.command]).toEqual([
      ["test", "-f", "/run/heartbeat/started"],
      ["test", "-f", "/run/heartbeat/started"],
    ]);
    expect(c.liveness_probe.failure_threshold).toBe(REPORT_ONLY_FAILURE_THRESHOLD);
  }
});

test("the base backup and the WAL in the bucket restore into a fresh PostgreSQL, which holds the rows written before the backup and after it", async () => {
  const last = switchWal(primary);
  await archived(primary, last);
  await waitFor(`${last} moved to the bucket`, () => cluster.walUploaded(primary, last), 30_000);
  // Every base backup moved too (nothing left in the outbox).
  await waitFor("the outbox's base backups moved to the bucket", () => readdirSync(join(primary.root, "data", "outbox", "base")).every((d) => readdirSync(join(primary.root, "data", "outbox", "base", d)).length === 0), 30_000);
  const expected = primary.value("select string_agg(id::text, ',' order by id) from audit");
  expect(expected).toBe("1,2,11,12,13,100");
  await primary.stop();

  // A fresh volume for postgresql-0: the documented restore request, then the pod's start.
  const restored = cluster.pod(0, 1);
  const request = restored.exec("postgresql", "request-restore.sh", ["latest"]);
  expect(request.status).toBe(0);
  restored.start("postgresql");
  await restored.ready(120_000);
  await waitFor("the recovery to end (the restored server is promoted)", () => restored.sql("select pg_is_in_recovery()").out.trim() === "f", 120_000).catch((e) => {
    throw new Error(`${e.message}\n${restored.output("postgresql")}`);
  });
  expect(restored.output("postgresql")).toMatch(/restore: base backup \d{8}T\d{6}Z in place; replaying archived WAL/);
  expect(restored.value("select string_agg(id::text, ',' order by id) from audit")).toBe(expected);
  // A new timeline after the recovery: its first base backup will be taken at once.
  expect(Number(restored.value("select timeline_id from pg_control_checkpoint()"))).toBeGreaterThan(1);
});
