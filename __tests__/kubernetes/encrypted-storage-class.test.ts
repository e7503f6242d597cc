import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import { Testing } from "cdktf";
import { EncryptedStorageClass } from "../../constructs/kubernetes/encrypted-storage-class";
import { FAKE_FOUNDATION } from "../fixtures/fake-foundation";

const synth = (props: Partial<ConstructorParameters<typeof EncryptedStorageClass>[2]> = {}) =>
  Testing.synthScope((s) => new EncryptedStorageClass(s, "Sc", { spec: FAKE_FOUNDATION.encryptedStorage, ...props }));

test("the class uses the foundation's provisioner and encryption parameters", () => {
  expect(synth()).toHaveResourceWithProperties(StorageClassV1, {
    storage_provisioner: "csi.fake.example",
    parameters: { encrypted: "true", type: "ssd" },
  });
});

test("volumes bind on first consumer, can grow and are retained", () => {
  expect(synth()).toHaveResourceWithProperties(StorageClassV1, {
    volume_binding_mode: "WaitForFirstConsumer",
    allow_volume_expansion: true,
    reclaim_policy: "Retain",
  });
});

test("it is named 'encrypted' and explicitly not the cluster's default class", () => {
  expect(synth()).toHaveResourceWithProperties(StorageClassV1, {
    metadata: expect.objectContaining({ name: "encrypted", annotations: { "storageclass.kubernetes.io/is-default-class": "false" } }),
  });
});

test("a provisioner without parameters is refused (encryption must be explicit)", () => {
  expect(() => synth({ spec: { provisioner: "x.csi", parameters: {} } })).toThrow(/no parameters/);
});
