import { tlsFilesIn, type TlsFiles } from "./paths";
import { SIGHUP_RELOAD, serveWithTlsReload } from "./tls-reload";

/** One upstream route of the entry point. */
export interface ProxyRoute {
  /** Path prefix, e.g. "/auth/realms/platform/". */
  readonly path: string;
  /** Upstream base URL (https), e.g. https://keycloak.identity.svc:8443. */
  readonly upstream: string;
  /** Name the upstream's certificate is verified for. */
  readonly upstreamName: string;
}

/** A path prefix the entry point refuses (404), e.g. Keycloak's admin console and master realm. */
export interface ClosedRoute {
  readonly path: string;
  readonly closed: true;
}

/** A route of the entry point: proxied to an upstream, or closed. The longest matching prefix wins (nginx). */
export type NginxRoute = ProxyRoute | ClosedRoute;

/** Options of the entry point's nginx.conf. */
export interface EntryPointNginxOptions {
  /** The public hostname (server_name and HSTS scope). */
  readonly serverName: string;
  /** Port of the TLS listener. @default 8443 */
  readonly httpsPort?: number;
  /** Port of the plain-HTTP listener that only redirects. @default 8080 */
  readonly httpPort?: number;
  /** The public certificate and key. */
  readonly certificate: Pick<TlsFiles, "certFile" | "keyFile">;
  /** CA that upstream certificates are verified against (the platform CA). @default "/vault/secrets/ca.crt" */
  readonly upstreamCaFile?: string;
  readonly routes: readonly NginxRoute[];
  /** Writable directory for the pid file and temporary files. @default "/tmp" */
  readonly runtimeDir?: string;
  /** Where access logs go. @default "/dev/stdout" (the container log) */
  readonly accessLog?: string;
  /** Address to listen on. @default - every address of the pod */
  readonly listenAddress?: string;
}

/** Process-wide settings; the pid file and temporary files go to `runtimeDir` (the root filesystem is read-only). */
function common(runtimeDir: string): string[] {
  // `stderr` is nginx's own name for file descriptor 2 (no open of /dev/stderr, which fails on sockets).
  return ["worker_processes auto;", `pid ${runtimeDir}/nginx.pid;`, "error_log stderr notice;", "events { worker_connections 1024; }"];
}

function tempPaths(runtimeDir: string): string[] {
  return ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((k) => `  ${k}_temp_path ${runtimeDir}/${k};`);
}

function tlsServerLines(cert: Pick<TlsFiles, "certFile" | "keyFile">): string[] {
  return [
    `    ssl_certificate ${cert.certFile};`,
    `    ssl_certificate_key ${cert.keyFile};`,
    // TLS 1.2+ only, forward-secret AEAD suites for 1.2 (1.3 suites are all strong).
    "    ssl_protocols TLSv1.2 TLSv1.3;",
    "    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;",
    "    ssl_prefer_server_ciphers on;",
    "    ssl_session_tickets off;",
    "    ssl_session_cache shared:TLS:10m;",
  ];
}

function proxyLines(upstream: string, name: string, caFile: string): string[] {
  return [
    `      proxy_pass ${upstream};`,
    // Upstreams are verified: TLS inside the cluster, certificate from the platform CA, right name.
    "      proxy_ssl_verify on;",
    `      proxy_ssl_trusted_certificate ${caFile};`,
    `      proxy_ssl_name ${name};`,
    "      proxy_ssl_server_name on;",
    "      proxy_ssl_protocols TLSv1.2 TLSv1.3;",
    "      proxy_set_header Host $host;",
    "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "      proxy_set_header X-Forwarded-Proto https;",
    "      proxy_set_header X-Forwarded-Host $host;",
    "      proxy_set_header X-Forwarded-Port 443;",
  ];
}

/**
 * nginx.conf of the entry point: HTTPS only (TLS 1.2+), HSTS, plain HTTP answered only with a 301 to
 * HTTPS, the routes to Keycloak and Atlas over verified TLS, and closed prefixes answered with a 404.
 * nginx matches locations on the normalised path (dot segments resolved, percent-encoding decoded), so
 * `/auth/realms/platform/../../admin/` is the closed `/auth/admin/`, never proxied.
 */
export function entryPointNginxConf(o: EntryPointNginxOptions): string {
  const ca = o.upstreamCaFile ?? tlsFilesIn().caFile;
  const runtimeDir = o.runtimeDir ?? "/tmp";
  const at = o.listenAddress ? `${o.listenAddress}:` : "";
  const lines = [
    ...common(runtimeDir),
    "http {",
    ...tempPaths(runtimeDir),
    "  server_tokens off;",
    `  access_log ${o.accessLog ?? "/dev/stdout"};`,
    "  client_max_body_size 64m;",
    "  server {",
    `    listen ${at}${o.httpPort ?? 8080};`,
    `    server_name ${o.serverName};`,
    "    location / { return 301 https://$host$request_uri; }",
    "  }",
    "  server {",
    // `listen ... http2` rather than `http2 on` (1.25+): the same file runs on older nginx too.
    `    listen ${at}${o.httpsPort ?? 8443} ssl http2;`,
    `    server_name ${o.serverName};`,
    ...tlsServerLines(o.certificate),
    '    add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;',
    "    add_header X-Content-Type-Options nosniff always;",
    '    add_header Referrer-Policy "no-referrer" always;',
    "    location = /healthz { access_log off; return 200 'ok'; }",
    ...o.routes.flatMap((r) => ("closed" in r ? [`    location ${r.path} { return 404; }`] : [`    location ${r.path} {`, ...proxyLines(r.upstream, r.upstreamName, ca), "    }"])),
    "  }",
    "}",
    "",
  ];
  return lines.join("\n");
}

/** Options of a TLS-terminating sidecar in front of an application that listens on loopback only. */
export interface TlsSidecarOptions {
  /** The TLS port the pod exposes. */
  readonly httpsPort: number;
  /** The application's loopback port. */
  readonly upstreamPort: number;
  /** @default tlsFilesIn("/vault/secrets") */
  readonly tls?: TlsFiles;
  /** Writable directory for the pid file and temporary files. @default "/tmp" */
  readonly runtimeDir?: string;
}

/** nginx.conf for a TLS sidecar: the pod's only listener is TLS 1.2+; the application is reachable on loopback only. */
export function tlsSidecarNginxConf(o: TlsSidecarOptions): string {
  const tls = o.tls ?? tlsFilesIn();
  const runtimeDir = o.runtimeDir ?? "/tmp";
  return [
    ...common(runtimeDir),
    "http {",
    ...tempPaths(runtimeDir),
    "  server_tokens off;",
    "  access_log /dev/stdout;",
    "  client_max_body_size 64m;",
    "  server {",
    `    listen ${o.httpsPort} ssl;`,
    ...tlsServerLines(tls),
    "    location / {",
    `      proxy_pass http://127.0.0.1:${o.upstreamPort};`,
    "      proxy_set_header Host $host;",
    "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "      proxy_set_header X-Forwarded-Proto https;",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Options of `nginxServeScript`. */
export interface NginxServeOptions {
  /** The generated nginx.conf. */
  readonly confFile: string;
  /** The certificate files nginx loads (its own pair and the CA it verifies upstreams with). */
  readonly watchFiles: readonly string[];
  /** nginx's prefix directory (`-p`). @default - the compiled-in prefix */
  readonly prefix?: string;
  /** @default TLS_RELOAD_INTERVAL_SECONDS (60) */
  readonly intervalSeconds?: number;
  /** @default "nginx" */
  readonly nginxBinary?: string;
}

/**
 * The container script of an nginx (entry point, TLS sidecar): nginx in the foreground, and a renewed
 * certificate picked up with no restart: the configuration is tested first (`nginx -t`, which loads
 * the new pair), then the master gets SIGHUP (`nginx -s reload`): new workers use the new
 * certificate, old workers finish their requests.
 */
export function nginxServeScript(o: NginxServeOptions): string {
  const bin = o.nginxBinary ?? "nginx";
  const args = `-c ${o.confFile}${o.prefix ? ` -p ${o.prefix}` : ""}`;
  return `set -eu\n${serveWithTlsReload(`${bin} ${args} -g 'daemon off;'`, {
    watchFiles: o.watchFiles,
    reload: `${bin} -t -q ${args} && ${SIGHUP_RELOAD}`,
    intervalSeconds: o.intervalSeconds,
  })}`;
}
