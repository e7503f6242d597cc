import { createHash } from "node:crypto";
import { IMAGES, deploymentImages, imageRef, secretsServerImage } from "../../constructs/kubernetes/images";

test("every image is pinned to an exact version, never latest", () => {
  for (const [name, image] of Object.entries(IMAGES)) {
    expect({ name, tag: image.tag }).toEqual({ name, tag: expect.stringMatching(/^v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?$/) });
  }
});

test("without a mirror an image is pulled from its public registry", () => {
  expect(imageRef(IMAGES.vault)).toBe("docker.io/hashicorp/vault:1.18.3");
});

test("a mirror replaces the registry host and keeps the repository path", () => {
  expect(imageRef(IMAGES.openbao, { registry: "registry.example.com/mirror" })).toBe("registry.example.com/mirror/openbao/openbao:2.1.0");
});

test("the lock's digest is appended for exactly the locked reference (mirror and tag included), never for another", () => {
  // Not an image digest: the lock's mechanics only (real digests come from a registry, images-lock.test.ts).
  const digest = `sha256:${createHash("sha256").update("not an image").digest("hex")}`;
  const lock = { lockVersion: 1 as const, images: { "registry.example.com/mirror/hashicorp/vault:1.18.3": { digest, mediaType: "application/vnd.oci.image.index.v1+json" } } };
  expect(imageRef(IMAGES.vault, { registry: "registry.example.com/mirror", lock })).toBe(`registry.example.com/mirror/hashicorp/vault:1.18.3@${digest}`);
  expect(imageRef(IMAGES.vault, { lock })).toBe("docker.io/hashicorp/vault:1.18.3");
  expect(imageRef(IMAGES.redis, { registry: "registry.example.com/mirror", lock })).toBe("registry.example.com/mirror/library/redis:7.4.1");
});

test("a deployment runs every image but the secrets server it does not use", () => {
  const names = (d: "vault" | "openbao") => deploymentImages({ vaultDistribution: d, projectRegistry: "r.example/p" }).map((i) => i.name);
  expect(names("vault")).toEqual(Object.keys(IMAGES).filter((n) => n !== "openbao"));
  expect(names("openbao")).toEqual(Object.keys(IMAGES).filter((n) => n !== "vault"));
  expect(deploymentImages({ vaultDistribution: "vault", projectRegistry: "r.example/p" }).find((i) => i.name === "atlas")?.ref).toBe("r.example/p/apache/atlas:2.5.0");
});

test("the secrets server is Vault by default and OpenBao (binary bao) when chosen", () => {
  expect(secretsServerImage({ vaultDistribution: "vault" })).toEqual({ image: "docker.io/hashicorp/vault:1.18.3", binary: "vault", distribution: "vault" });
  expect(secretsServerImage({ vaultDistribution: "openbao", registry: "mirror.example" })).toEqual({
    image: "mirror.example/openbao/openbao:2.1.0",
    binary: "bao",
    distribution: "openbao",
  });
});
