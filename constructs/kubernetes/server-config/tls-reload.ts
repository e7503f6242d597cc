/** Options of `serveWithTlsReload`. */
export interface TlsReloadOptions {
  /** Files whose change means a renewed certificate: the certificate chain, its key and the CA. */
  readonly watchFiles: readonly string[];
  /**
   * Shell command that makes the running server re-read its TLS files without a restart; it runs in
   * the server's container, where `$SERVER_PID` is the server's process id. A non-zero exit is retried
   * on the next round. E.g. `kill -HUP "$SERVER_PID"` (PostgreSQL, nginx).
   */
  readonly reload: string;
  /** How often the files are compared. @default 60 */
  readonly intervalSeconds?: number;
}

/** How often a watcher compares the certificate files by default, in seconds. */
export const TLS_RELOAD_INTERVAL_SECONDS = 60;

/**
 * The reload of servers that re-read their certificate on SIGHUP: PostgreSQL 10+ (what `pg_ctl reload`
 * sends to the postmaster) and nginx (what `nginx -s reload` sends to the master). Existing connections
 * are kept: PostgreSQL's sessions go on, nginx's old workers finish their requests.
 */
export const SIGHUP_RELOAD = 'kill -HUP "$SERVER_PID"';

const SHELL_WORD = /^[A-Za-z0-9_./-]+$/;

/**
 * The end of a container's shell script that serves with certificate renewal: starts `server` (a shell
 * command line) in the background and, in the SAME container, a small watcher that compares the
 * checksum of `watchFiles` every `intervalSeconds` and runs `reload` once a change has been stable for
 * a whole round (Vault Agent writes the key, the chain and the CA one after the other: a server is
 * never asked to load a half-written pair). The server keeps running and keeps its connections.
 *
 * The shell stays as the container's PID 1 and behaves like `exec`: TERM, INT, QUIT and HUP are
 * forwarded to the server; when the server exits the watcher is stopped (and stops by itself within a
 * round if the server is gone), and the shell exits with the server's own status (128+n for signal n).
 * Safe under `set -eu`. No extra process namespace, capability or privilege is needed: the watcher is
 * the server's sibling in its own container.
 */
export function serveWithTlsReload(server: string, o: TlsReloadOptions): string {
  const interval = o.intervalSeconds ?? TLS_RELOAD_INTERVAL_SECONDS;
  if (!Number.isInteger(interval) || interval < 1) throw new Error(`serveWithTlsReload: intervalSeconds must be a positive integer, got ${interval}`);
  if (o.watchFiles.length === 0) throw new Error("serveWithTlsReload: give at least one file to watch");
  const bad = o.watchFiles.filter((f) => !SHELL_WORD.test(f));
  if (bad.length) throw new Error(`serveWithTlsReload: watched files must be plain paths, got ${bad.join(", ")}`);
  if (!o.reload.trim()) throw new Error("serveWithTlsReload: give a reload command");
  return [
    `${server} &`,
    "SERVER_PID=$!",
    // This shell is PID 1: signals it does not trap would be dropped, so each one goes to the server.
    ...["TERM", "INT", "QUIT", "HUP"].map((s) => `trap 'kill -${s} "$SERVER_PID" 2>/dev/null || :' ${s}`),
    "(",
    // The watcher: its own TERM handler ends the nap too, so nothing outlives it.
    "  nap=",
    `  trap 'kill "$nap" 2>/dev/null; exit 0' TERM`,
    `  tls_state() { cat ${o.watchFiles.join(" ")} 2>/dev/null | sha256sum; }`,
    '  seen="$(tls_state)"',
    '  loaded="$seen"',
    // Says the watcher holds the files' state at start: a change from now on is reloaded.
    `  echo "tls-reload: watching ${o.watchFiles.join(" ")} every ${interval}s" >&2`,
    "  while :; do",
    `    sleep ${interval} & nap=$!`,
    '    wait "$nap" || :',
    '    kill -0 "$SERVER_PID" 2>/dev/null || exit 0',
    '    now="$(tls_state)"',
    '    if [ "$now" = "$seen" ] && [ "$now" != "$loaded" ]; then',
    `      if ${o.reload}; then loaded="$now"; echo "tls-reload: certificate files changed; server reloaded them" >&2;`,
    '      else echo "tls-reload: reload failed; retrying next round" >&2; fi',
    "    fi",
    '    seen="$now"',
    "  done",
    ") &",
    "WATCHER_PID=$!",
    // `wait` returns early when a forwarded signal arrives: wait again until the server is really gone.
    "while :; do",
    '  wait "$SERVER_PID" && status=0 || status=$?',
    '  kill -0 "$SERVER_PID" 2>/dev/null || break',
    "done",
    // A wait cut short by the signal can find the server already collected (dash does, ~1 in 100 runs):
    // its status is still the shell's to give; an unknown pid (127) means the status above is the real one.
    'wait "$SERVER_PID" 2>/dev/null && status=0 || { s=$?; [ "$s" -eq 127 ] || status=$s; }',
    'kill "$WATCHER_PID" 2>/dev/null || :',
    'exit "$status"',
    "",
  ].join("\n");
}
