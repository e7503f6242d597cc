import { existsSync, linkSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CASSANDRA_BACKUP_FILES, CASSANDRA_BACKUP_SCHEDULE, DATA_DIR } from "../../constructs/kubernetes/server-config/cassandra-yaml";
import { IMAGES } from "../../constructs/kubernetes/images";
import { containerEnv, decodedWorkload, directoriesUnder, filesUnder, giveToServerUser, localBucketEnv, localize, startCommand } from "./support/local-pod";
import { removeDir, requireBinaries, tempDir, waitFor, type RunningServer } from "./support/servers";

// Cassandra's uploader container, run here as synthesized (the decoded command of the default
// deployment's Cassandra StatefulSet) with the Debian rclone, on a data directory laid out as Cassandra
// 4.1 lays it out (apache/cassandra cassandra-4.1 src/java/org/apache/cassandra/db/Directories.java:
// `<data_file_directory>/<keyspace>/<table>-<table id>/` holds the live SSTables, `snapshots/<tag>/`
// hard links plus manifest.json and schema.cql, `backups/` the incremental backups' hard links; a table
// with no SSTable yet has an empty directory). Cassandra itself cannot run here. The test's own parts:
// the paths (the volume is a directory), the loop interval (1 s), the bucket (rclone's local backend).
jest.setTimeout(120_000);

const TABLE = "atlas/edgestore-6b0b1c70a0a011ee8c90f7a6a1b2c3d4";
const EMPTY_TABLE = "atlas/janusgraph_ids-7c1c2d80a0a011ee8c90f7a6a1b2c3d4";
const SYSTEM_TABLE = "system/local-7ad54392bcdd35a684174e047860b377";
const OLD = new Date(Date.now() - 10 * 60_000); // finished ten minutes ago

let dir: string;
let data: string;
let bucket: string;
let uploader: RunningServer | undefined;

function write(rel: string, text: string, mtime = OLD): void {
  const p = join(data, rel);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
  utimesSync(p, mtime, mtime);
}

function link(from: string, to: string): void {
  mkdirSync(join(data, to, ".."), { recursive: true });
  linkSync(join(data, from), join(data, to));
}

beforeAll(() => {
  requireBinaries(["rclone"]);
  dir = tempDir("cassandra-uploader-");
  data = join(dir, "volume", "data");
  bucket = join(dir, "bucket");
  mkdirSync(bucket, { recursive: true });
  // Live SSTables of two tables, an empty table directory, a daily snapshot (hard links + manifest),
  // incremental backups (hard links), and a snapshot still being written (its manifest is seconds old).
  for (const c of ["Data.db", "Index.db", "Statistics.db", "TOC.txt"]) {
    write(`${TABLE}/nb-1-big-${c}`, `sstable 1 ${c}`);
    write(`${TABLE}/nb-2-big-${c}`, `sstable 2 ${c}`);
    write(`${SYSTEM_TABLE}/nb-5-big-${c}`, `system ${c}`);
    link(`${TABLE}/nb-1-big-${c}`, `${TABLE}/snapshots/daily-2025-01-01/nb-1-big-${c}`);
    link(`${TABLE}/nb-2-big-${c}`, `${TABLE}/backups/nb-2-big-${c}`);
  }
  write(`${TABLE}/snapshots/daily-2025-01-01/manifest.json`, '{"files":["nb-1-big-Data.db"]}');
  write(`${TABLE}/snapshots/daily-2025-01-01/schema.cql`, "CREATE TABLE atlas.edgestore (...);");
  mkdirSync(join(data, EMPTY_TABLE), { recursive: true });
  // Just written: its clock is kept ahead for the whole test, so it stays younger than the uploader's minimum age however slow the machine.
  write(`${TABLE}/snapshots/daily-2025-01-02/manifest.json`, '{"files":[]}', new Date(Date.now() + 3_600_000));
  giveToServerUser(dir);
});

afterAll(async () => {
  await uploader?.stop();
  if (dir) removeDir(dir);
});

test("the uploader moves only snapshot and backup files, never a live SSTable, a young file or any directory Cassandra owns", async () => {
  const cassandra = decodedWorkload("default", "Cassandra");
  const c = cassandra.containers.uploader;
  const heartbeat = join(dir, "heartbeat");
  mkdirSync(heartbeat);
  giveToServerUser(heartbeat);
  const paths: [string, string][] = [
    [DATA_DIR, join(dir, "volume")],
    ["/run/heartbeat", heartbeat],
    ["sleep 60", "sleep 1"],
  ];
  const script = localize(c.command[2], paths, [DATA_DIR, "/run/heartbeat", "sleep 60"]);
  // The synthesized filters are the Cassandra backup layout's (CASSANDRA_BACKUP_FILES).
  for (const pattern of CASSANDRA_BACKUP_FILES) expect(script).toContain(`--filter '+ ${pattern}'`);
  const dirsBefore = directoriesUnder(data);
  const live = filesUnder(data).filter((f) => !/\/(snapshots|backups)\//.test(f));

  uploader = startCommand([c.command[0], c.command[1], script], { ...containerEnv(c, paths, localBucketEnv(bucket)), HOSTNAME: "cassandra-0" });
  const remote = join(bucket, "cassandra", "cassandra-0");
  await waitFor("the snapshot and the backups in the bucket", () => filesUnder(bucket).length >= 10, 60_000).catch((e) => {
    throw new Error(`${e.message}\n${uploader?.output()}\n${filesUnder(bucket).join("\n")}`);
  });
  // Several more rounds: each touches the heartbeat after it succeeds.
  const ok = join(heartbeat, "ok");
  await waitFor("the first round to succeed", () => existsSync(ok), 30_000);
  for (let round = 0; round < 3; round++) {
    const before = statSync(ok).mtimeMs;
    await waitFor(`upload round ${round + 2}`, () => statSync(ok).mtimeMs > before, 30_000);
  }

  expect(filesUnder(remote)).toEqual(
    [
      ...["Data.db", "Index.db", "Statistics.db", "TOC.txt"].flatMap((c) => [`${TABLE}/backups/nb-2-big-${c}`, `${TABLE}/snapshots/daily-2025-01-01/nb-1-big-${c}`]),
      `${TABLE}/snapshots/daily-2025-01-01/manifest.json`,
      `${TABLE}/snapshots/daily-2025-01-01/schema.cql`,
    ].sort(),
  );
  expect(readFileSync(join(remote, TABLE, "snapshots/daily-2025-01-01/nb-1-big-Data.db"), "utf8")).toBe("sstable 1 Data.db");
  // Every directory is still there, the empty table's and the emptied snapshot and backups directories included.
  expect(directoriesUnder(data)).toEqual(dirsBefore);
  // The live SSTables are untouched, and the snapshot still being written waits for its next round.
  expect(filesUnder(data)).toEqual([...live, `${TABLE}/snapshots/daily-2025-01-02/manifest.json`].sort());
  expect(readFileSync(join(data, TABLE, "nb-1-big-Data.db"), "utf8")).toBe("sstable 1 Data.db");
});

test("the emptied snapshot directories are Cassandra's to remove: each daily snapshot carries a TTL (nodetool snapshot --ttl, Cassandra 4.1+)", () => {
  // apache/cassandra cassandra-4.1 src/java/org/apache/cassandra/tools/nodetool/Snapshot.java: `--ttl`
  // ("Specify a TTL of created snapshot", CASSANDRA-16789); Cassandra clears an expired snapshot itself.
  const [major, minor] = IMAGES.cassandra.tag.split(".").map(Number);
  expect(major > 4 || (major === 4 && minor >= 1)).toBe(true);
  const maintenance = decodedWorkload("default", "Cassandra").files["maintenance.sh"];
  expect(maintenance).toContain(`nodetool snapshot --ttl ${CASSANDRA_BACKUP_SCHEDULE.snapshotTtl} -t "daily-$(date -u +%F)"`);
  expect(maintenance).not.toMatch(/clearsnapshot|rm -r/);
});
