import { toGcpLabels } from "../../constructs/gcp/labels";

test("tags become GCP labels: lowercase, only [a-z0-9_-], at most 63 characters", () => {
  const labels = toGcpLabels({ Project: "Metadata Platform", "cost.center": "R&D/42", long: "x".repeat(80) });
  expect(labels).toEqual({ project: "metadata_platform", cost_center: "r_d_42", long: "x".repeat(63) });
  for (const [k, v] of Object.entries(labels)) {
    expect(k).toMatch(/^[a-z][a-z0-9_-]{0,62}$/);
    expect(v).toMatch(/^[a-z0-9_-]{0,63}$/);
  }
});

test("the same tags give the same labels whatever their order", () => {
  expect(JSON.stringify(toGcpLabels({ b: "2", a: "1" }))).toBe(JSON.stringify(toGcpLabels({ a: "1", b: "2" })));
});

test("two tags that map to one label key are refused, naming both", () => {
  expect(() => toGcpLabels({ Env: "a", env: "b" })).toThrow(/'Env' and 'env' both become the GCP label 'env'/);
});
