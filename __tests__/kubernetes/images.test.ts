import { IMAGES, imageRef, secretsServerImage } from "../../constructs/kubernetes/images";

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

test("a verified digest is appended to the tag", () => {
  expect(imageRef({ registry: "r.example", repository: "x/y", tag: "1.0.0", digest: "sha256:abc" })).toBe("r.example/x/y:1.0.0@sha256:abc");
});

test("the secrets server is Vault by default and OpenBao (binary bao) when chosen", () => {
  expect(secretsServerImage({ vaultDistribution: "vault" })).toEqual({ image: "docker.io/hashicorp/vault:1.18.3", binary: "vault", distribution: "vault" });
  expect(secretsServerImage({ vaultDistribution: "openbao", registry: "mirror.example" })).toEqual({
    image: "mirror.example/openbao/openbao:2.1.0",
    binary: "bao",
    distribution: "openbao",
  });
});
