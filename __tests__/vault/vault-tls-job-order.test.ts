import { DEPLOYMENTS } from "../support/deployments";
import { many, one, resources, strings, type JsonObject } from "../support/synthesized";

// The Vault TLS bootstrap Job's pod lives in a namespace whose egress is denied by default
// (SecureNamespace); only its own NetworkPolicy (and, where the API server is a name, the FQDN policy
// of its ExternalEgress) lets it reach the API server. Terraform creates resources in parallel unless
// an edge orders them (https://developer.hashicorp.com/terraform/language/meta-arguments/depends_on),
// and the Job waits for completion: started before its egress exists, its pod cannot reach the API.
// Every policy of the vault stack that selects the Job's pods must be in the Job's depends_on.

const subset = (labels: JsonObject, of: JsonObject) => Object.keys(labels).length > 0 && Object.entries(labels).every(([k, v]) => of[k] === v);

describe.each(DEPLOYMENTS.map((d) => d.key))("%s", (key) => {
  test("the Vault TLS bootstrap Job depends on every egress policy that selects its pods", () => {
    const jobs = resources(key, "vault", "kubernetes_job_v1");
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) {
      const namespace = one(job.body.metadata).namespace;
      const podLabels = one(one(one(job.body.spec).template).metadata).labels as JsonObject;
      const selecting = [
        ...resources(key, "vault", "kubernetes_network_policy_v1")
          .filter((p) => one(p.body.metadata).namespace === namespace && subset(one(one(one(p.body.spec).pod_selector).match_labels), podLabels))
          .filter((p) => many(one(p.body.spec).egress).length > 0),
        ...resources(key, "vault", "kubernetes_manifest").filter((m) => {
          const manifest = one(m.body.manifest);
          const spec = one(manifest.spec);
          const selector = one(spec.endpointSelector ?? spec.podSelector);
          return one(manifest.metadata).namespace === namespace && subset(one(selector.matchLabels), podLabels) && many(spec.egress).length > 0;
        }),
      ].map((r) => `${r.type}.${r.name}`);
      expect(selecting.length).toBeGreaterThan(0);
      const dependsOn = strings(job.raw.depends_on);
      expect(selecting.filter((s) => !dependsOn.includes(s)).map((s) => `${job.name} does not depend on ${s}`)).toEqual([]);
    }
  });
});
