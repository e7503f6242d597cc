
/**
 * Container images of the platform, pinned by version, in one table.
 *
 * Tags are exact versions (never `latest`). No digest is written here: digests are read from each registry
 * by `npm run images:lock` into the deployment's lock file (config/images-lock.ts), and a reference is pinned
 * by the digest the lock holds for exactly that reference (mirror and tag included). `deployment.images.registry`
 * turns every reference into a pull from the customer's mirror (air-gapped installs): the source
 * registry host is replaced by the mirror prefix and the repository path is kept, e.g.
 * `docker.io/hashicorp/vault:1.18.3` -> `registry.example.com/mirror/hashicorp/vault:1.18.3`.
 */
export interface PinnedImage {
  /** Registry host the image is published on, e.g. docker.io. */
  readonly registry: string;
  /** Repository path on that registry, e.g. hashicorp/vault. */
  readonly repository: string;
  /** Exact version tag. */
  readonly tag: string;
  /**
   * Built by this project from a recipe in `images/` (no maintained public image exists): pulled from
   * the deployment's `images.projectRegistry` (or its mirror, `images.registry`), never from `registry`.
   * @default - a published image
   */
  readonly buildRecipe?: string;
}

/** Every image the platform runs. Bump versions here only. */
export const IMAGES = {
  /** HashiCorp Vault server and agent (BUSL-1.1). */
  vault: { registry: "docker.io", repository: "hashicorp/vault", tag: "1.18.3" },
  /** OpenBao server and agent (MPL-2.0 fork of Vault, same API), for licence policies that exclude BUSL. */
  openbao: { registry: "quay.io", repository: "openbao/openbao", tag: "2.1.0" },
  /** cfssl toolkit (with curl and a shell): generates Vault's bootstrap listener certificate inside the cluster. */
  tlsBootstrap: { registry: "docker.io", repository: "cfssl/cfssl", tag: "v1.6.5" },
  /** PostgreSQL server. */
  postgresql: { registry: "docker.io", repository: "library/postgres", tag: "16.6" },
  /** Redis cache. */
  redis: { registry: "docker.io", repository: "library/redis", tag: "7.4.1" },
  /** Keycloak identity server. */
  keycloak: { registry: "quay.io", repository: "keycloak/keycloak", tag: "26.3.3" },
  /** Elasticsearch search engine. */
  elasticsearch: { registry: "docker.elastic.co", repository: "elasticsearch/elasticsearch", tag: "8.17.0" },
  /** Apache Cassandra. */
  cassandra: { registry: "docker.io", repository: "library/cassandra", tag: "4.1.7" },
  /** Unprivileged NGINX, the HTTPS entry point. */
  entryPoint: { registry: "docker.io", repository: "nginxinc/nginx-unprivileged", tag: "1.27.3-alpine" },
  /**
   * Apache Atlas 2.5.0 (JanusGraph 1.1.0: Elasticsearch 6/7/8, see service-compatibility.ts). The Apache
   * project publishes source releases only, and a community build from a personal account is no supply
   * chain for this platform: the image is built from the release tag by the project's own recipe
   * (images/atlas: commit pinned, one reviewed patch, non-root, no start script) and pulled from the
   * deployment's projectRegistry. `registry` names where the recipe's source lives.
   */
  atlas: { registry: "github.com", repository: "apache/atlas", tag: "2.5.0", buildRecipe: "images/atlas" },
  /** rclone: uploads backups (WAL, base backups, Cassandra snapshots) to the platform bucket by workload identity. */
  rclone: { registry: "docker.io", repository: "rclone/rclone", tag: "1.68.2" },
} as const satisfies Record<string, PinnedImage>;

/** Names of the images in IMAGES. */
export type ImageName = keyof typeof IMAGES;

/**
 * What decides which images are pulled (from deployment.images): mirror, project registry, distribution, lock.
 * The constructs' own type; the deployment's images section is one (tested in __tests__/config/deployment-union.test.ts).
 */
export interface ImageSettings {
  /** One registry (mirror) every image is pulled from. @default - each image's public registry */
  readonly registry?: string;
  /** Where the images this project builds (IMAGES entries with a buildRecipe) are pushed. @default - none (then `registry` must hold them) */
  readonly projectRegistry?: string;
  /** Which secrets server runs: HashiCorp Vault or OpenBao. @default "vault" */
  readonly vaultDistribution?: "vault" | "openbao";
  /** Digests by pulled reference (`host/repository:tag`), as `npm run images:lock` wrote them. @default - none (pulled by tag) */
  readonly lock?: { readonly images: Readonly<Record<string, { readonly digest: string }>> };
}

/** A pinned image as a reference without digest (the lock file's key), through the customer's mirror when one is configured. */
export function taggedRef(image: PinnedImage, settings: Pick<ImageSettings, "registry" | "projectRegistry"> = {}): string {
  const host = image.buildRecipe ? (settings.registry ?? settings.projectRegistry) : (settings.registry ?? image.registry);
  if (!host) {
    throw new Error(`images.projectRegistry: ${image.repository} is built from ${image.buildRecipe} (no maintained public image); build it, push it to your registry and name that registry, e.g. registry.example.com/platform`);
  }
  return `${host}/${image.repository}:${image.tag}`;
}

/**
 * A pinned image as a pull reference, through the customer's mirror when one is configured, and by digest
 * (`host/repo:tag@sha256:...`) when the deployment's lock holds one for exactly that reference.
 */
export function imageRef(image: PinnedImage, settings: Pick<ImageSettings, "registry" | "projectRegistry" | "lock"> = {}): string {
  const ref = taggedRef(image, settings);
  const locked = settings.lock?.images[ref];
  return locked ? `${ref}@${locked.digest}` : ref;
}

/**
 * The images a deployment runs, by name, as references without digest: every image of IMAGES except the
 * secrets server it does not use (Vault or OpenBao). What `npm run images:lock` resolves.
 */
export function deploymentImages(settings: ImageSettings): { readonly name: ImageName; readonly ref: string }[] {
  const unused: ImageName = settings.vaultDistribution === "openbao" ? "vault" : "openbao";
  return (Object.keys(IMAGES) as ImageName[]).filter((n) => n !== unused).map((name) => ({ name, ref: taggedRef(IMAGES[name], settings) }));
}

/** The secrets server (Vault or OpenBao) chosen by the deployment: image and the name of its binary. */
export interface SecretsServerImage {
  /** Pull reference. */
  readonly image: string;
  /** The CLI inside the image: `vault` or `bao` (server and agent subcommands are the same). */
  readonly binary: "vault" | "bao";
  /** Which distribution it is. */
  readonly distribution: "vault" | "openbao";
}

/** The Vault or OpenBao image of a deployment (`images.vaultDistribution`), through the mirror if any. */
export function secretsServerImage(settings: ImageSettings): SecretsServerImage {
  return settings.vaultDistribution === "openbao"
    ? { image: imageRef(IMAGES.openbao, settings), binary: "bao", distribution: "openbao" }
    : { image: imageRef(IMAGES.vault, settings), binary: "vault", distribution: "vault" };
}
