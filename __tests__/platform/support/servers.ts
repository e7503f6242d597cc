import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, closeSync, openSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Test support for the real-server tests: throwaway certificates, free loopback ports, bounded processes. */

/** A throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate. */
export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

function openssl(cwd: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd, stdio: "pipe", timeout: 30_000 });
}

/** Makes the PKI in `dir` with openssl (EC P-256 keys: fast). Nothing here is ever committed. */
export function makeTestPki(dir: string): TestPki {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(dir, "req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=test-ca");
  for (const [name, cn, ext] of [
    ["server", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth"],
    ["client", "test-client", "extendedKeyUsage=clientAuth"],
  ]) {
    openssl(dir, "req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    openssl(dir, "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-out", `${name}.crt`, "-extfile", `${name}.ext`);
  }
  for (const f of readdirSync(dir)) if (f.endsWith(".key")) chmodSync(join(dir, f), 0o600);
  return {
    dir,
    caCert: join(dir, "ca.crt"),
    serverCert: join(dir, "server.crt"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.crt"),
    clientKey: join(dir, "client.key"),
  };
}

/**
 * Issues one more server certificate (same names as `serverCert`, a new serial) from the test CA, e.g.
 * the "renewed" certificate a Vault Agent would write. Returns its PEM files inside `pki.dir`.
 */
export function issueServerCertificate(pki: TestPki, name: string): { cert: string; key: string; serial: string } {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(pki.dir, "req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", "/CN=localhost");
  openssl(pki.dir, "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-out", `${name}.crt`, "-extfile", "server.ext");
  chmodSync(join(pki.dir, `${name}.key`), 0o600);
  return { cert: join(pki.dir, `${name}.crt`), key: join(pki.dir, `${name}.key`), serial: certificateSerial(readFileSync(join(pki.dir, `${name}.crt`), "utf8")) };
}

/** The serial (hex) of the first certificate in a PEM text. */
export function certificateSerial(pem: string): string {
  const r = spawnSync("openssl", ["x509", "-noout", "-serial"], { input: pem, encoding: "utf8", timeout: 10_000 });
  const m = /serial=([0-9A-F]+)/.exec(r.stdout ?? "");
  if (!m) throw new Error(`no certificate serial in: ${r.stdout}${r.stderr}`);
  return m[1];
}

/**
 * The serial of the certificate a server presents to a NEW TLS connection (openssl s_client, bounded).
 * `extra` adds e.g. ["-starttls", "postgres"] or a client certificate.
 */
export function presentedSerial(port: number, extra: readonly string[] = []): string {
  const r = run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", ...extra], {}, 10_000);
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.out);
  if (!pem) throw new Error(`no certificate presented on port ${port}:\n${r.out}`);
  return certificateSerial(pem[0]);
}

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a temporary directory made by `tempDir`. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Gives a directory tree to a user (servers that refuse to run as root). */
export function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

/**
 * A TCP port on 127.0.0.1 for a test server, free when returned.
 *
 * Not the kernel's `listen(0)`: that hands out ports from the ephemeral range (Linux: 32768-60999,
 * /proc/sys/net/ipv4/ip_local_port_range), the same range every outgoing connection of every process
 * takes its local port from, so a client's connection could take the port between the check and the
 * server's bind. These ports come from below that range (20000-32767), from a block of this process's
 * own (by pid) walked in order, and each is checked by binding it. A server that still fails to bind
 * says so and is retried by `startOnFreePort`.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_LOW + ((portBlock + nextPort++) % PORT_SPAN);
    if (await canBind(port)) return port;
  }
  throw new Error("no free port in 20000-32767 on 127.0.0.1");
}

const PORT_LOW = 20000;
const PORT_SPAN = 32768 - PORT_LOW;
const portBlock = (process.pid * 61) % PORT_SPAN;
let nextPort = 0;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen({ port, host: "127.0.0.1", exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * Starts a server on a free port and waits for the server's own word that it listens there
 * (`listening(server)`, e.g. its log line), not merely for the port to answer: another process on that
 * port would answer too. When the server exits first (its port was taken after all), it is started
 * again on another port, up to 5 times.
 */
export async function startOnFreePort(what: string, start: (port: number) => RunningServer, listening: (server: RunningServer) => boolean, timeoutMs = 30_000): Promise<{ port: number; server: RunningServer }> {
  let last = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const server = start(port);
    const exited = () => server.process.exitCode !== null || server.process.signalCode !== null;
    await waitFor(`${what} to listen on ${port}`, () => listening(server) || exited(), timeoutMs).catch((e: Error) => {
      throw new Error(`${e.message}\n${server.output()}`);
    });
    if (!exited()) return { port, server };
    last = server.output();
    if (!/address already in use|EADDRINUSE|could not bind|bind\(\) to .* failed/i.test(last)) break;
  }
  throw new Error(`${what} did not start:\n${last}`);
}

/** A server process started by a test, with its output kept for diagnostics. */
export interface RunningServer {
  readonly process: ChildProcess;
  output(): string;
  /** Stops the server: `signal`, then SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

/** Starts a long-running server. */
export function startServer(command: string, args: readonly string[], options: { readonly logFile?: string } = {}): RunningServer {
  // With a log file the server writes straight to it: a pipe is only drained while the event loop
  // runs, and a chatty server blocks on a full pipe while a test runs clients synchronously.
  const log = options.logFile ? openSync(options.logFile, "a") : undefined;
  const child = spawn(command, args, { stdio: log === undefined ? ["ignore", "pipe", "pipe"] : ["ignore", log, log] });
  if (log !== undefined) closeSync(log);
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // "close": every process holding the server's output pipes is gone. A server's own children (a watcher's
  // `sleep`, a forked worker) can hold them after the server exits: measured 1.3 s for a serve script's
  // `sleep 1`. Until then the pipes keep the jest worker alive, and jest force-exits it ("A worker process
  // has failed to exit gracefully").
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return {
    process: child,
    output: () => (options.logFile ? readFileSync(options.logFile, "utf8") : out),
    async stop(signal = "SIGTERM", timeoutMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      // Give stragglers a moment to end; then let go of our ends of the pipes (they end by themselves).
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (grace = setTimeout(resolve, 2_000)))]);
      clearTimeout(grace);
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
  };
}

/** Runs a client command to completion (bounded), returning exit status and combined output. */
export function run(command: string, args: readonly string[], env: Record<string, string> = {}, timeoutMs = 15_000): { status: number | null; out: string } {
  const r = spawnSync(command, args, { env: { ...process.env, ...env }, encoding: "utf8", timeout: timeoutMs });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A client process kept open on one connection: lines are written to its stdin over time, and its
 * whole output is read when it exits (after `finish`). Proves a session spans an event (a reload).
 */
export interface HeldSession {
  send(line: string): void;
  /** Sends the last lines, closes stdin and waits (bounded) for the client to exit. */
  finish(lastLines: string, timeoutMs?: number): Promise<{ status: number | null; out: string }>;
}

/** Starts a client whose stdin stays open (see HeldSession). */
export function holdSession(command: string, args: readonly string[], env: Record<string, string> = {}): HeldSession {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  // "close", not "exit": exit can fire before the last stdout chunk has been read.
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return {
    send: (line) => void child.stdin?.write(`${line}\n`),
    async finish(lastLines, timeoutMs = 10_000) {
      child.stdin?.end(`${lastLines}\n`);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const status = await exited;
      clearTimeout(timer);
      return { status, out };
    },
  };
}

/**
 * Fails with the fix when a server binary the real-server tests need is missing (a newcomer's machine),
 * instead of a bare spawn error deep in a test.
 */
export function requireBinaries(paths: readonly string[]): void {
  const missing = paths.filter((p) => (p.includes("/") ? !existsSync(p) : run("sh", ["-c", `command -v ${p}`]).status !== 0));
  if (missing.length) {
    throw new Error(`missing ${missing.join(", ")}: run \`bash .ci/install-test-servers\` (PostgreSQL 15, Redis, nginx, openssl, curl, rclone, Go, cfssl from Debian packages)`);
  }
}
