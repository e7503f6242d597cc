import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { imagesLockPath, readImagesLock, renderImagesLock } from "../config/images-lock";
import { ConfigError, configPathFrom, readConfigFile, validateDeployment } from "../config/load";
import { deploymentImages } from "../constructs/kubernetes/images";
import { INDEX_MEDIA_TYPES, RegistryError, resolveManifest, type RegistryCredentials } from "./registry-client";

/**
 * `npm run images:lock -- --config <deployment file> [--ca-file <pem>] [--authfile <auth.json>]`
 *
 * Resolves every image the deployment runs (through its mirror, `images.registry`, when one is set) to the
 * digest its registry serves for the tag right now, and writes the deployment's lock file
 * (`images.lockFile`, default `<file>.images-lock.json` beside it). Synth then pins each image by that
 * digest; `images.digestsRequired: true` makes the policy fail for any image the lock does not pin.
 * Every digest written is the sha256 of the manifest bytes the registry served: none is guessed, kept from
 * elsewhere, or written when any image fails (then nothing is written and the old lock stays).
 *
 * Credentials: anonymous, or from a containers/Docker auth file (`--authfile`, else $REGISTRY_AUTH_FILE,
 * else ~/.docker/config.json): `{"auths": {"<host>": {"auth": base64("user:password")}}}`. Credential
 * helpers (`credsStore`) are not run.
 */

const USAGE = "usage: npm run images:lock -- --config <deployment.yaml> [--ca-file <registry-ca.pem>] [--authfile <auth.json>]";

/** A user mistake on the command line: shown without a stack trace. */
export class UsageError extends Error {}

interface Options {
  readonly config: string;
  readonly caFile?: string;
  readonly authFile?: string;
}

function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  let caFile: string | undefined;
  let authFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (!v || v.startsWith("--")) throw new UsageError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === "--config") i++;
    else if (a.startsWith("--config=")) continue;
    else if (a === "--ca-file") caFile = value();
    else if (a === "--authfile") authFile = value();
    else throw new UsageError(`unknown argument '${a}'\n${USAGE}`);
  }
  const config = configPathFrom(argv, env);
  if (!config) throw new UsageError(`give the deployment file: the lock is written beside it and committed with it\n${USAGE}`);
  return { config, caFile, authFile: authFile ?? (env.REGISTRY_AUTH_FILE || undefined) };
}

/** Credentials per registry host from a containers/Docker auth file (`auths`, base64 `auth` entries). */
export function authFileCredentials(file: string | undefined): (host: string) => RegistryCredentials | undefined {
  const candidate = file ?? path.join(homedir(), ".docker", "config.json");
  if (!existsSync(candidate)) {
    if (file) throw new UsageError(`--authfile ${file}: no such file`);
    return () => undefined;
  }
  let auths: Record<string, { auth?: string }>;
  try {
    auths = (JSON.parse(readFileSync(candidate, "utf8")) as { auths?: Record<string, { auth?: string }> }).auths ?? {};
  } catch (e) {
    throw new UsageError(`${candidate}: not valid JSON (${(e as Error).message})`);
  }
  return (host) => {
    const keys = host === "docker.io" ? ["docker.io", "https://index.docker.io/v1/", "index.docker.io", "registry-1.docker.io"] : [host, `https://${host}`];
    const entry = keys.map((k) => auths[k]).find((e) => e?.auth);
    if (!entry?.auth) return undefined;
    const text = Buffer.from(entry.auth, "base64").toString("utf8");
    const i = text.indexOf(":");
    return i > 0 ? { username: text.slice(0, i), password: text.slice(i + 1) } : undefined;
  };
}

/** Runs the command; returns the exit code. Output goes to `out` / `err`. */
export async function imagesLock(argv: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const opts = parseArgs(argv, env);
  // The deployment as written, without its current lock: the lock is what this command replaces.
  const deployment = validateDeployment(readConfigFile(opts.config, { imagesLock: false }), opts.config);
  const lockFile = imagesLockPath(opts.config, deployment.images.lockFile);
  const previous = readImagesLock(lockFile).lock?.images ?? {};
  const ca = opts.caFile ? readFileSync(opts.caFile, "utf8") : undefined;
  const credentials = authFileCredentials(opts.authFile);

  const images = deploymentImages(deployment.images);
  const results = await Promise.all(
    images.map(async (image) => {
      try {
        return { image, resolved: await resolveManifest(image.ref, { ca, credentials }) };
      } catch (e) {
        if (e instanceof RegistryError) return { image, error: e.message };
        throw e;
      }
    }),
  );

  const failed = results.filter((r) => r.error !== undefined);
  if (failed.length) {
    err(`images:lock: ${failed.length} of ${images.length} images could not be resolved; nothing was written${existsSync(lockFile) ? ` (${lockFile} is unchanged)` : ""}:`);
    for (const f of failed) err(`  images.${f.image.name} ${f.image.ref}: ${f.error}`);
    return 1;
  }

  const locked: Record<string, { digest: string; mediaType: string }> = {};
  for (const r of results) {
    const { digest, mediaType } = r.resolved!;
    locked[r.image.ref] = { digest, mediaType };
    const before = previous[r.image.ref]?.digest;
    const change = before === undefined ? "new" : before === digest ? "unchanged" : `MOVED: was ${before}`;
    const kind = INDEX_MEDIA_TYPES.includes(mediaType) ? "index" : "single-platform manifest";
    out(`${r.image.name.padEnd(14)} ${r.image.ref} ${digest} (${kind}; ${change})`);
  }
  for (const ref of Object.keys(previous).filter((k) => !(k in locked)).sort()) out(`dropped ${ref} (no longer used by this deployment)`);

  // Written whole, then renamed: a reader never sees half a lock.
  const tmp = `${lockFile}.tmp-${process.pid}`;
  writeFileSync(tmp, renderImagesLock(locked));
  renameSync(tmp, lockFile);
  out(`wrote ${path.relative(process.cwd(), lockFile) || lockFile}: ${images.length} images pinned by digest; commit it with ${opts.config}`);
  return 0;
}

if (require.main === module) {
  imagesLock(process.argv.slice(2), process.env, (l) => console.log(l), (l) => console.error(l))
    .then((code) => (process.exitCode = code))
    .catch((e: unknown) => {
      if (e instanceof UsageError || e instanceof ConfigError) {
        console.error(e.message);
        process.exitCode = 2;
        return;
      }
      console.error(e);
      process.exitCode = 1;
    });
}
