import { createHash } from "node:crypto";
import { request as httpsRequest } from "node:https";
import { URL } from "node:url";

/**
 * A minimal client of the OCI distribution API (the Docker Registry HTTP API V2), for one question:
 * which manifest does this tag name right now, and what is its digest?
 *
 * Facts relied on, with their source:
 * - `GET /v2/<name>/manifests/<reference>` returns the manifest the tag points to; the client names the
 *   media types it accepts in `Accept`, and a multi-platform image is served as its index (OCI) or
 *   manifest list (Docker) when those are accepted. The registry may send the manifest's digest as
 *   `Docker-Content-Digest`; the digest of a manifest is the sha256 of the exact bytes served.
 *   (opencontainers/distribution-spec v1.1.0 spec.md "Pulling manifests"; opencontainers/image-spec
 *   descriptor.md "Digests": the digest is computed over the content's bytes.)
 * - A registry that wants credentials answers 401 with `WWW-Authenticate: Bearer realm=...,service=...,scope=...`;
 *   the client GETs `realm?service=...&scope=...` (with Basic credentials when it has them) and retries with
 *   `Authorization: Bearer <token>`, the token being `token` or `access_token` of the JSON answer
 *   (distribution/distribution docs/spec/auth/token.md; registry/auth/token/accesscontroller.go challengeParams).
 *   `WWW-Authenticate: Basic` asks for the credentials themselves.
 * - `docker.io` names Docker Hub, whose registry API is served at registry-1.docker.io
 *   (moby/moby registry/config.go DefaultV2Registry).
 */

/** Manifest media types accepted, multi-platform first (what "the manifest-list digest" means). */
export const MANIFEST_MEDIA_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
] as const;

/** The media types of an index / manifest list (several platforms). */
export const INDEX_MEDIA_TYPES: readonly string[] = MANIFEST_MEDIA_TYPES.slice(0, 2);

/** Where Docker Hub's registry API answers for `docker.io` references (moby registry/config.go DefaultV2Registry). */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";

/** Manifests larger than this are refused (distribution-spec: registries SHOULD accept manifests up to 4 MiB). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A reference split into the registry's API host and the repository name on it. */
export interface ParsedReference {
  /** Host (and port) as written in the reference, e.g. docker.io or registry.example.com:5000. */
  readonly host: string;
  /** Host the API is reached at (docker.io -> registry-1.docker.io). */
  readonly apiHost: string;
  /** Repository name, mirror path included, e.g. mirror/hashicorp/vault. */
  readonly name: string;
  readonly tag: string;
}

/** Splits `host[:port]/path/repository:tag`. */
export function parseReference(ref: string): ParsedReference {
  const m = /^([^/]+)\/(.+):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(ref);
  if (!m || m[2].includes("@")) throw new Error(`image reference '${ref}' is not host/repository:tag`);
  const host = m[1];
  return { host, apiHost: host === "docker.io" ? DOCKER_HUB_API_HOST : host, name: m[2], tag: m[3] };
}

/** Username and password for a registry host. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** How to talk to registries. */
export interface RegistryClientOptions {
  /** Extra CA certificates (PEM) trusted for registries and token services (a private mirror's CA). @default - Node's CAs */
  readonly ca?: string;
  /** Credentials per registry host (as written in references). @default - anonymous */
  readonly credentials?: (host: string) => RegistryCredentials | undefined;
  /** Per request. @default 20000 */
  readonly timeoutMs?: number;
}

/** What a registry answered for one tag. */
export interface ResolvedManifest {
  /** `sha256:` + hex of the served manifest's bytes. */
  readonly digest: string;
  readonly mediaType: string;
  /** The URL the manifest was served from. */
  readonly url: string;
}

/** A registry did not give a manifest for a reference: the message names the host, the reference and the cause. */
export class RegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegistryError";
  }
}

interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function get(url: string, headers: Record<string, string>, opts: RegistryClientOptions): Promise<HttpResponse> {
  const u = new URL(url);
  if (u.protocol !== "https:") return Promise.reject(new RegistryError(`refusing ${u.protocol}//${u.host}: registries and token services are reached over https only`));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: u.hostname, port: u.port || 443, path: `${u.pathname}${u.search}`, method: "GET", headers, ...(opts.ca ? { ca: opts.ca } : {}), timeout: opts.timeoutMs ?? 20_000 },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_MANIFEST_BYTES) req.destroy(new RegistryError(`${u.host} sent more than ${MAX_MANIFEST_BYTES} bytes for ${u.pathname}`));
          else chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new RegistryError(`${u.host} did not answer within ${opts.timeoutMs ?? 20_000} ms`)));
    req.on("error", reject);
    req.end();
  });
}

const header = (r: HttpResponse, name: string): string | undefined => {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** The parameters of a `WWW-Authenticate` challenge: scheme plus key="value" pairs. */
export function parseChallenge(value: string): { scheme: string; params: Record<string, string> } {
  const scheme = value.trim().split(/\s+/)[0] ?? "";
  const params: Record<string, string> = {};
  for (const m of value.slice(scheme.length).matchAll(/([A-Za-z_]+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
  return { scheme: scheme.toLowerCase(), params };
}

const basic = (c: RegistryCredentials) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;

function registryErrorText(r: HttpResponse): string {
  try {
    const errors = (JSON.parse(r.body.toString("utf8")) as { errors?: { code?: string; message?: string }[] }).errors ?? [];
    return errors.map((e) => [e.code, e.message].filter(Boolean).join(": ")).join("; ");
  } catch {
    return "";
  }
}

function networkProblem(e: unknown, host: string): RegistryError {
  if (e instanceof RegistryError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? "";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return new RegistryError(`cannot verify ${host}'s TLS certificate (${code}); give the registry's CA with --ca-file <pem>`);
  }
  return new RegistryError(`cannot reach ${host} (${code || err.message})`);
}

/** A bearer token for `scope` from the token service named in a challenge. */
async function bearerToken(challenge: Record<string, string>, scope: string, creds: RegistryCredentials | undefined, opts: RegistryClientOptions, host: string): Promise<string> {
  if (!challenge.realm) throw new RegistryError(`${host} asked for a bearer token without naming a realm`);
  const url = new URL(challenge.realm);
  if (challenge.service) url.searchParams.set("service", challenge.service);
  url.searchParams.set("scope", challenge.scope ?? scope);
  let r: HttpResponse;
  try {
    r = await get(url.toString(), creds ? { Authorization: basic(creds) } : {}, opts);
  } catch (e) {
    throw networkProblem(e, url.host);
  }
  if (r.status !== 200) throw new RegistryError(`the token service ${url.host} refused ${scope} (HTTP ${r.status})${creds ? "" : "; give credentials for the registry (--authfile)"}`);
  const body = JSON.parse(r.body.toString("utf8")) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new RegistryError(`the token service ${url.host} answered without a token`);
  return token;
}

/**
 * The manifest a tag names now, and its digest: the sha256 of the bytes the registry served, checked
 * against the registry's own `Docker-Content-Digest` when it sends one. Throws RegistryError otherwise.
 */
export async function resolveManifest(ref: string, opts: RegistryClientOptions = {}): Promise<ResolvedManifest> {
  const { host, apiHost, name, tag } = parseReference(ref);
  const url = `https://${apiHost}/v2/${name}/manifests/${encodeURIComponent(tag)}`;
  const accept = MANIFEST_MEDIA_TYPES.join(", ");
  const creds = opts.credentials?.(host);
  const fetchWith = async (authorization?: string) => {
    try {
      return await get(url, { Accept: accept, ...(authorization ? { Authorization: authorization } : {}) }, opts);
    } catch (e) {
      throw networkProblem(e, apiHost);
    }
  };
  let r = await fetchWith();
  if (r.status === 401) {
    const challenge = parseChallenge(header(r, "www-authenticate") ?? "");
    if (challenge.scheme === "bearer") r = await fetchWith(`Bearer ${await bearerToken(challenge.params, `repository:${name}:pull`, creds, opts, apiHost)}`);
    else if (challenge.scheme === "basic" && creds) r = await fetchWith(basic(creds));
    else throw new RegistryError(`${apiHost} wants credentials for ${name} (${challenge.scheme || "no challenge"}); give them with --authfile`);
  }
  if (r.status === 404) {
    throw new RegistryError(`${ref}: not found on ${apiHost} (HTTP 404${registryErrorText(r) ? ` ${registryErrorText(r)}` : ""}); push or mirror the image, or check the tag`);
  }
  if (r.status !== 200) throw new RegistryError(`${ref}: ${apiHost} answered HTTP ${r.status}${registryErrorText(r) ? ` (${registryErrorText(r)})` : ""}`);
  const mediaType = (header(r, "content-type") ?? "").split(";")[0].trim();
  if (!(MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    throw new RegistryError(`${ref}: ${apiHost} served '${mediaType || "no content type"}', not an OCI or Docker v2 manifest`);
  }
  const digest = `sha256:${createHash("sha256").update(r.body).digest("hex")}`;
  const claimed = header(r, "docker-content-digest");
  if (claimed && claimed !== digest) throw new RegistryError(`${ref}: ${apiHost} claims digest ${claimed} for bytes whose sha256 is ${digest.slice(7)}; refusing to lock either`);
  return { digest, mediaType, url };
}
