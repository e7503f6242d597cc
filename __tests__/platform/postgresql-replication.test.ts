import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LocalPostgresqlCluster, type LocalPostgresqlPod } from "./support/postgresql-pod";
import { waitFor } from "./support/servers";

// The platform's PostgreSQL primary and standby, run here from the synthesized stack: two real
// PostgreSQL 15 servers started by the pods' own start.sh (pods postgresql-0 and postgresql-1, each on
// its own loopback port and volume directory), their backup containers' loops, and the Debian rclone
// with a local directory as the bucket (support/postgresql-pod.ts). The tests follow one story in order:
// a standby joins, loses its primary, the operator promotes it, and the old primary comes back.
jest.setTimeout(240_000);

let cluster: LocalPostgresqlCluster;
let pod0: LocalPostgresqlPod;
let pod1: LocalPostgresqlPod;

const rows = (pod: LocalPostgresqlPod) => pod.sql("select coalesce(string_agg(note, ',' order by id), '') from story").out.trim();

beforeAll(async () => {
  cluster = await LocalPostgresqlCluster.create("default", 2);
  pod0 = cluster.pod(0);
  pod1 = cluster.pod(1);
  pod0.start("postgresql");
  await pod0.ready();
  pod0.value("create table story(id int primary key, note text)");
  pod0.value("insert into story values (1, 'first')");
  pod0.start("base-backup");
  pod0.start("uploader");
});

afterAll(async () => {
  await cluster?.stop();
});

test("a new standby clones the primary with its own replication slot, which holds the WAL it needs, and streams", async () => {
  pod1.start("postgresql");
  await pod1.ready(120_000);
  expect(pod1.value("select pg_is_in_recovery()")).toBe("t");
  await waitFor("the standby to stream through its slot", () => pod0.sql("select slot_name, active, wal_status from pg_replication_slots").out.trim() === "standby_1|t|reserved", 60_000).catch((e) => {
    throw new Error(`${e.message}\n${pod0.sql("select * from pg_replication_slots").out}\n${pod1.output("postgresql")}`);
  });
  expect(pod0.value("select application_name, state from pg_stat_replication")).toBe("postgresql-1|streaming");
  // The slot keeps a bounded amount of WAL for a standby that is away (a fifth of the 50 GiB volume).
  expect(pod0.value("show max_slot_wal_keep_size")).toBe("10GB");
  pod0.value("insert into story values (2, 'streamed')");
  await waitFor("the row on the standby", () => rows(pod1) === "first,streamed", 30_000);
});

test("a standby that cannot stream catches up from the WAL archived in the bucket (restore_command)", async () => {
  await pod1.stopContainer("postgresql");
  pod0.value("insert into story values (3, 'archived while the standby was away')");
  const segment = pod0.value("select pg_walfile_name(pg_switch_wal())");
  await waitFor(`${segment} moved to the bucket`, () => cluster.walUploaded(pod0, segment), 60_000);
  // The primary is gone too: nothing to stream from, only the bucket.
  await pod0.stopContainer("postgresql");
  pod1.start("postgresql");
  await pod1.ready(120_000);
  await waitFor("the standby to replay the archived WAL", () => rows(pod1) === "first,streamed,archived while the standby was away", 60_000).catch((e) => {
    throw new Error(`${e.message}\n${pod1.output("postgresql")}`);
  });
  expect(pod1.value("select pg_is_in_recovery()")).toBe("t");
});

test("after the documented promotion, the new primary takes a base backup at once and archives on its new timeline", async () => {
  // docs/platform.md "Failover": the primary's zone is lost; the operator promotes the standby.
  const promote = pod1.tool("pg_ctl", ["promote", "-w", "-D", pod1.pgdata]);
  expect(promote.out).toMatch(/server promoted/);
  expect(pod1.value("select pg_is_in_recovery()")).toBe("f");
  pod1.value("insert into story values (4, 'written on the promoted primary')");
  const basesBefore = cluster.objects("postgresql/base").length;
  pod1.start("base-backup");
  pod1.start("uploader");
  await waitFor("the first base backup on timeline 2, uploaded", () => readState(pod1) === "2" && cluster.objects("postgresql/base").length > basesBefore, 90_000).catch((e) => {
    throw new Error(`${e.message}\n${pod1.output("base-backup")}`);
  });
  const segment = pod1.value("select pg_walfile_name(pg_switch_wal())");
  expect(segment.startsWith("00000002")).toBe(true);
  await waitFor(`${segment} moved to the bucket`, () => cluster.walUploaded(pod1, segment), 60_000);
  expect(cluster.objects("postgresql/wal")).toContain("00000002.history");
});

test("the old primary, back after the promotion, is fenced: it keeps its data aside and rejoins as a standby of the new primary, and is ready", async () => {
  pod0.start("postgresql");
  await pod0.ready(120_000).catch((e) => {
    throw new Error(`${e.message}\n${pod0.output("postgresql")}`);
  });
  expect(pod0.output("postgresql")).toMatch(/fencing: postgresql-1 is the primary and this node was one too; rejoining as its standby/);
  expect(pod0.value("select pg_is_in_recovery()")).toBe("t");
  expect(pod0.probe("postgresql", "readiness").status).toBe(0);
  // Its former data directory is kept, never deleted.
  expect(readdirSync(join(pod0.root, "data")).filter((d) => d.startsWith("pgdata.fenced-"))).toHaveLength(1);
  await waitFor("the rejoined standby to stream through its own slot on the new primary", () => pod1.sql("select slot_name, active from pg_replication_slots").out.trim() === "standby_0|t", 60_000);
  pod1.value("insert into story values (5, 'after the rejoin')");
  await waitFor("the rows on the rejoined standby", () => rows(pod0).endsWith("written on the promoted primary,after the rejoin"), 30_000);
  // Only one primary: pod 0's old data never served.
  expect(pod1.value("select pg_is_in_recovery()")).toBe("f");
  expect(existsSync(join(pod0.pgdata, "standby.signal"))).toBe(true);
});

/** The timeline of the last base backup the pod's backup container took (backup-state/last-base). */
function readState(pod: LocalPostgresqlPod): string {
  const dir = join(pod.root, "data", "backup-state");
  return existsSync(join(dir, "last-base")) ? readFileSync(join(dir, "last-base"), "utf8").trim() : "";
}
