import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";

/**
 * The image lock file: for each image reference a deployment pulls, the digest its registry served for
 * that tag when `npm run images:lock` resolved it. Written only by that command (scripts/images-lock.ts),
 * from the registry's own answer; committed by the customer's deployment repository next to the
 * deployment file; read by the config loader, so synth pins every image it finds here by digest.
 */

/** The lock file format this program writes and reads. */
export const IMAGES_LOCK_VERSION = 1;

/** A content digest as registries name manifests (OCI image-spec descriptor.md: algorithm "sha256", 64 hex). */
export const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** An image reference without digest, as `imageRef` renders it: host[:port][/path]/repository:tag. */
export const LOCKED_REFERENCE = /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

const LockedImage = z.strictObject({
  digest: z.string().regex(DIGEST, { message: "must be sha256:<64 hex digits>, as the registry reported it" }),
  mediaType: z.string().min(1).describe("The manifest's media type the registry served (an index or manifest list for multi-platform images)."),
});

/** The lock file's content. */
export const ImagesLockSchema = z.strictObject({
  lockVersion: z.literal(IMAGES_LOCK_VERSION).describe("Format version of the lock file."),
  comment: z.string().optional().describe("Free text the lock command writes (how the lock was made)."),
  images: z
    .record(z.string().regex(LOCKED_REFERENCE, { message: "must be an image reference host/repository:tag" }), LockedImage)
    .describe("Each image reference (host/repository:tag, as pulled) and the digest its registry served."),
});

/** A parsed lock file. */
export type ImagesLock = z.output<typeof ImagesLockSchema>;

/** The command that writes the lock, for messages. */
export function imagesLockCommand(configFile?: string): string {
  return `npm run images:lock -- --config ${configFile ?? "<deployment file>"}`;
}

/**
 * Where a deployment file's lock lives: `images.lockFile` relative to the deployment file, or by default
 * `<deployment file without extension>.images-lock.json` beside it (one lock per deployment: mirrors differ).
 */
export function imagesLockPath(configFile: string, lockFile?: string): string {
  if (lockFile) return path.resolve(path.dirname(configFile), lockFile);
  const base = path.basename(configFile).replace(/\.(ya?ml|json)$/i, "");
  return path.join(path.dirname(path.resolve(configFile)), `${base}.images-lock.json`);
}

/** The lock file as text: sorted keys, one entry per image, so the same resolution writes the same bytes. */
export function renderImagesLock(images: Readonly<Record<string, { digest: string; mediaType: string }>>): string {
  const sorted = Object.fromEntries(Object.keys(images).sort().map((ref) => [ref, { digest: images[ref].digest, mediaType: images[ref].mediaType }]));
  const lock: ImagesLock = {
    lockVersion: IMAGES_LOCK_VERSION,
    comment: "Written by `npm run images:lock` from each registry's answer. Commit it with the deployment file; never edit it by hand.",
    images: sorted,
  };
  return `${JSON.stringify(lock, null, 2)}\n`;
}

/** Problems with a lock file's text, each naming where (empty when it is valid). */
export function imagesLockProblems(text: string): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return [`not valid JSON: ${(e as Error).message}`];
  }
  const r = ImagesLockSchema.safeParse(raw);
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.map(String).join(".") || "(top level)"}: ${i.message}`);
}

/**
 * Reads the lock of a deployment file, if there is one. Returns the problems instead of throwing so the
 * loader reports them with every other config problem.
 */
export function readImagesLock(file: string): { lock?: ImagesLock; problems: string[] } {
  if (!existsSync(file)) return { problems: [] };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return { problems: [`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`] };
  }
  const problems = imagesLockProblems(text);
  return problems.length ? { problems } : { lock: ImagesLockSchema.parse(JSON.parse(text)), problems };
}
