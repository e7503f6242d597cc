import type { ContainerSpec } from "../../constructs/kubernetes/pod-spec";

/** A minimal application container with the three probes. */
export const APP: ContainerSpec = {
  name: "app",
  image: "registry.example/app:1.0.0",
  ports: [{ name: "https", port: 8443 }],
  resources: { cpuRequest: "100m", memoryRequest: "256Mi" },
  probes: {
    startup: { check: { tcpSocket: { port: "https" } } },
    readiness: { check: { httpGet: { path: "/ready", port: "https" } } },
    liveness: { check: { exec: { command: ["/bin/true"] } } },
  },
  volumeMounts: [{ name: "data", mountPath: "/data", readOnly: false }],
};

export const ZONES = ["zone-a", "zone-b", "zone-c"];
