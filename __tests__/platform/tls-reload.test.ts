import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SIGHUP_RELOAD, TLS_RELOAD_INTERVAL_SECONDS, serveWithTlsReload } from "../../constructs/kubernetes/server-config/tls-reload";
import { removeDir, startServer, tempDir, waitFor, type RunningServer } from "./support/servers";

// The shared serve-with-reload script, run by /bin/sh around a stand-in server (a shell loop that
// counts SIGHUPs). The real servers are in postgresql-server, redis-server and entry-point-server tests.
jest.setTimeout(30_000);

/**
 * One test's own bench: a temp directory with certificate A, and the serve script around a stand-in
 * server. Each test has its own, so the tests run concurrently and their watcher rounds overlap.
 */
interface Bench {
  readonly dir: string;
  /** Starts the script and resolves once its watcher has read the files as they are now (its own log line). */
  serve(reload?: string): Promise<RunningServer>;
  /** SIGHUPs the stand-in server has received. */
  hups(): number;
}

async function withBench(body: (b: Bench) => Promise<void>): Promise<void> {
  const dir = tempDir("tls-reload-");
  writeFileSync(join(dir, "tls.crt"), "certificate A\n");
  const log = join(dir, "server.log");
  let running: RunningServer | undefined;
  // A stand-in server: appends "hup" on SIGHUP, exits 7 on SIGTERM, or exits 3 by itself when `die` appears.
  const standIn = `sh -c 'trap "echo hup >> ${log}" HUP; trap "echo term >> ${log}; exit 7" TERM; while [ -d ${dir} ] && [ ! -f ${dir}/die ]; do sleep 0.1; done; exit 3'`;
  const bench: Bench = {
    dir,
    async serve(reload = SIGHUP_RELOAD) {
      const script = join(dir, "serve.sh");
      writeFileSync(script, `set -eu\n${serveWithTlsReload(standIn, { watchFiles: [join(dir, "tls.crt"), join(dir, "tls.key")], reload, intervalSeconds: 1 })}`);
      const s = startServer("sh", [script]);
      running = s;
      await waitFor("the watcher's start", () => /tls-reload: watching /.test(s.output()), 20_000);
      return s;
    },
    hups: () => (existsSync(log) ? readFileSync(log, "utf8").match(/hup/g)?.length ?? 0 : 0),
  };
  try {
    await body(bench);
  } finally {
    await running?.stop("SIGTERM", 5000);
    removeDir(dir);
  }
}

const exitOf = (s: RunningServer) => new Promise<number | null>((resolve) => (s.process.exitCode !== null ? resolve(s.process.exitCode) : s.process.once("exit", (code) => resolve(code))));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The promise's value, or "timeout" after `ms` (the timer is cleared either way). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

test.concurrent("a changed certificate file triggers one reload once it has been stable for a round; nothing happens without a change", () =>
  withBench(async ({ dir, serve, hups }) => {
    const s = await serve();
    await sleep(2500); // two rounds and more: no change, no reload
    expect(hups()).toBe(0);
    writeFileSync(join(dir, "tls.crt"), "certificate B\n");
    await waitFor("the reload", () => hups() === 1, 10_000);
    await sleep(2500);
    expect(hups()).toBe(1);
    // A file appearing (the key written later) is a change too.
    writeFileSync(join(dir, "tls.key"), "key B\n");
    await waitFor("the second reload", () => hups() === 2, 10_000);
    expect(s.output()).toMatch(/tls-reload: certificate files changed; server reloaded them/);
  }));

test.concurrent("a failed reload is retried on the next rounds until it succeeds", () =>
  withBench(async ({ dir, serve, hups }) => {
    const s = await serve(`[ -f ${dir}/loadable ] && ${SIGHUP_RELOAD}`);
    writeFileSync(join(dir, "tls.crt"), "certificate B\n");
    await waitFor("a failed reload", () => /reload failed; retrying next round/.test(s.output()), 10_000);
    expect(hups()).toBe(0);
    writeFileSync(join(dir, "loadable"), "");
    await waitFor("the retried reload", () => hups() === 1, 10_000);
  }));

test.concurrent("SIGTERM reaches the server and the script exits with the server's status", () =>
  withBench(async ({ dir, serve }) => {
    const s = await serve();
    const code = exitOf(s);
    s.process.kill("SIGTERM");
    expect(await within(code, 10_000)).toBe(7);
    expect(readFileSync(join(dir, "server.log"), "utf8")).toContain("term");
  }));

test("a forwarded SIGTERM gives the server's status every time (300 stops; dash lost it about 1 in 100 before the final wait)", () => {
  const dir = tempDir("tls-reload-stops-");
  try {
    // The stand-in says when its own TERM handler is set: a TERM before that would kill it (143), which is the
    // stand-in's start-up, not the script under test.
    const standIn = `sh -c 'trap "exit 7" TERM; echo "stand-in ready" >&2; while :; do sleep 0.01; done'`;
    writeFileSync(join(dir, "serve.sh"), `set -eu\n${serveWithTlsReload(standIn, { watchFiles: [join(dir, "tls.crt")], reload: SIGHUP_RELOAD, intervalSeconds: 1 })}`);
    // Four workers, 75 stops each: start the script, wait for its watcher's line (its traps are set) and the stand-in's, TERM it, keep its status.
    const driver = [
      "worker() {",
      "  for i in $(seq 1 75); do",
      `    log=${dir}/$1-$i.log`,
      `    sh ${dir}/serve.sh 2>"$log" & p=$!`,
      '    until grep -q "tls-reload: watching" "$log" && grep -q "stand-in ready" "$log"; do sleep 0.01; done',
      '    kill -TERM "$p"; wait "$p" && echo 0 || echo $?',
      "  done",
      "}",
      "for w in 1 2 3 4; do worker $w > " + `${dir}` + "/statuses-$w & done",
      "wait",
      `cat ${dir}/statuses-*`,
    ].join("\n");
    const r = spawnSync("bash", ["-c", driver], { encoding: "utf8", timeout: 120_000 });
    const statuses = r.stdout.trim().split("\n");
    expect(statuses).toHaveLength(300);
    expect(statuses.filter((x) => x !== "7")).toEqual([]);
  } finally {
    removeDir(dir);
  }
}, 150_000);

test.concurrent("SIGHUP sent to the container is forwarded to the server", () =>
  withBench(async ({ serve, hups }) => {
    const s = await serve();
    s.process.kill("SIGHUP");
    await waitFor("the forwarded SIGHUP", () => hups() === 1, 5_000);
  }));

test.concurrent("when the server exits by itself the script exits with its status and the watcher stops", () =>
  withBench(async ({ dir, serve }) => {
    const s = await serve();
    const code = exitOf(s);
    writeFileSync(join(dir, "die"), "");
    expect(await within(code, 10_000)).toBe(3);
    // The watcher was stopped with the server: a change now reloads nothing and nothing is logged.
    const out = s.output();
    writeFileSync(join(dir, "tls.crt"), "certificate C\n");
    await sleep(2500);
    expect(s.output()).toBe(out);
  }));

test("the generated script runs its watcher every 60 s by default and forwards TERM, INT, QUIT and HUP", () => {
  const text = serveWithTlsReload("postgres -D /data", { watchFiles: ["/vault/secrets/tls.crt"], reload: SIGHUP_RELOAD });
  expect(TLS_RELOAD_INTERVAL_SECONDS).toBe(60);
  expect(text).toContain("sleep 60 & nap=$!");
  expect(text.startsWith("postgres -D /data &\nSERVER_PID=$!\n")).toBe(true);
  for (const s of ["TERM", "INT", "QUIT", "HUP"]) expect(text).toContain(`trap 'kill -${s} "$SERVER_PID" 2>/dev/null || :' ${s}`);
  expect(text.trimEnd().endsWith('exit "$status"')).toBe(true);
});

test.each([
  [{ watchFiles: [], reload: SIGHUP_RELOAD }, /at least one file/],
  [{ watchFiles: ["/vault/secrets/tls.crt; rm -rf /"], reload: SIGHUP_RELOAD }, /plain paths/],
  [{ watchFiles: ["/vault/secrets/tls.crt"], reload: " " }, /reload command/],
  [{ watchFiles: ["/vault/secrets/tls.crt"], reload: SIGHUP_RELOAD, intervalSeconds: 0 }, /positive integer/],
])("bad options are refused: %j", (options, message) => {
  expect(() => serveWithTlsReload("server", options)).toThrow(message);
});
