import { ControlPlaneAccess } from "../../platform/control-plane-access";

// The one cloud-neutral access choice; what each cloud renders of it is tested beside its cluster
// (__tests__/aws/control-plane-endpoint.test.ts, __tests__/azure/cluster.test.ts, __tests__/gcp/gke-cluster.test.ts).
describe("ControlPlaneAccess", () => {
  test.each([["0.0.0.0/0"], ["10.0.0.0/0"], ["10.0.0.0/33"], ["not-a-cidr"], ["10.0.0.1/24"], ["2001:db8::/32"], ["010.0.0.0/8"]])("refuses %s, naming it", (cidr) => {
    const named = new RegExp(`control-plane CIDRs ${cidr.replace(/[./]/g, "\\$&")}: give host or office ranges`);
    expect(() => ControlPlaneAccess.publicFrom([cidr])).toThrow(named);
    expect(() => ControlPlaneAccess.privateFrom(["203.0.113.0/24", cidr])).toThrow(named);
    expect(() => ControlPlaneAccess.of({ publicEndpoint: false, adminCidrs: [cidr] })).toThrow(named);
  });

  test("a public endpoint needs at least one admin CIDR; a private one may name none", () => {
    expect(() => ControlPlaneAccess.publicFrom([])).toThrow(/a public endpoint needs at least one admin CIDR/);
    expect(() => ControlPlaneAccess.of({ publicEndpoint: true, adminCidrs: [] })).toThrow(/at least one admin CIDR/);
    expect(ControlPlaneAccess.privateFrom([])).toMatchObject({ publicEndpoint: false, adminCidrs: [] });
  });

  test("PRIVATE has no public endpoint and no CIDRs", () => {
    expect(ControlPlaneAccess.PRIVATE).toMatchObject({ publicEndpoint: false, adminCidrs: [] });
  });

  test("of() keeps the config's choice and exactly its ranges, in order", () => {
    const adminCidrs = ["203.0.113.0/24", "198.51.100.7/32"];
    expect(ControlPlaneAccess.of({ publicEndpoint: true, adminCidrs })).toEqual(ControlPlaneAccess.publicFrom(adminCidrs));
    expect(ControlPlaneAccess.of({ publicEndpoint: true, adminCidrs })).toMatchObject({ publicEndpoint: true, adminCidrs });
    expect(ControlPlaneAccess.of({ publicEndpoint: false, adminCidrs })).toMatchObject({ publicEndpoint: false, adminCidrs });
  });
});
