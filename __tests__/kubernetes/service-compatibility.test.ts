import { readFileSync } from "node:fs";
import * as path from "node:path";
import { IMAGES } from "../../constructs/kubernetes/images";
import { ATLAS_RELEASES, CASSANDRA_BEYOND_TESTED, CQL_PROTOCOLS, JANUSGRAPH_RELEASES } from "../../constructs/kubernetes/service-compatibility";
import { DEPLOYMENTS, synthesizedStacks } from "../support/deployments";
import { podTemplates } from "./pod-inventory";

/**
 * The versions every shipped deployment runs (read from its synthesized pods) against the version
 * facts of constructs/kubernetes/service-compatibility.ts: Atlas's JanusGraph accepts the
 * Elasticsearch major, and Atlas's CQL drivers (graph and audit) share a native protocol with the
 * Cassandra it runs, which is in JanusGraph's tested matrix or listed beyond it with a reason.
 */

const ROOT = path.resolve(__dirname, "..", "..");

function runningTag(key: string, pod: string, container: string): string {
  const c = Object.entries(synthesizedStacks(key))
    .flatMap(([id, s]) => podTemplates(id, s))
    .find((p) => p.name === pod)
    ?.containers.find((x) => x.name === container);
  if (!c) throw new Error(`${key}: no container ${pod}/${container}`);
  return c.image.split("@")[0].split(":").pop()!;
}

const meets = (a: readonly number[], b: readonly number[]) => a.some((v) => b.includes(v));

describe.each(DEPLOYMENTS.map((d) => d.key))("%s", (key) => {
  const atlasTag = runningTag(key, "atlas", "atlas");
  const esTag = runningTag(key, "elasticsearch", "elasticsearch");
  const cassandraTag = runningTag(key, "cassandra", "cassandra");
  const atlas = ATLAS_RELEASES[atlasTag];
  const janusgraph = atlas && JANUSGRAPH_RELEASES[atlas.janusgraph];

  test("the Atlas release is one whose embedded versions are known", () => {
    expect(atlas).toBeDefined();
    expect(janusgraph).toBeDefined();
  });

  test("Atlas's JanusGraph accepts the Elasticsearch major the platform runs", () => {
    expect({ atlas: atlasTag, janusgraph: atlas.janusgraph, accepts: janusgraph.elasticsearchMajors }).toEqual(
      expect.objectContaining({ accepts: expect.arrayContaining([Number(esTag.split(".")[0])]) }),
    );
  });

  test("Atlas's CQL drivers (graph and audit repository) share a native protocol with Cassandra", () => {
    const line = cassandraTag.split(".").slice(0, 2).join(".");
    const server = CQL_PROTOCOLS[`cassandra ${line}`];
    expect(server).toBeDefined();
    for (const driver of [janusgraph.cqlDriver, atlas.auditCqlDriver]) {
      expect({ driver, meets: meets(CQL_PROTOCOLS[`driver ${driver}`].versions, server.versions) }).toEqual({ driver, meets: true });
    }
  });

  test("the Cassandra line is in JanusGraph's tested matrix, or listed beyond it with a reason", () => {
    const line = cassandraTag.split(".").slice(0, 2).join(".");
    expect(janusgraph.cassandraTested.includes(line) || (CASSANDRA_BEYOND_TESTED[line] ?? "").length > 20).toBe(true);
  });
});

test("the Atlas image's recipe builds the pinned release from its tag's commit, and the pin names the recipe", () => {
  const dockerfile = readFileSync(path.join(ROOT, IMAGES.atlas.buildRecipe, "Dockerfile"), "utf8");
  expect(dockerfile).toContain(`ARG ATLAS_TAG=release-${IMAGES.atlas.tag}`);
  expect(dockerfile).toMatch(/ARG ATLAS_COMMIT=[0-9a-f]{40}\n/);
  expect(dockerfile).toContain('test "$(git rev-parse HEAD)" = "${ATLAS_COMMIT}"');
  expect(dockerfile).toMatch(/USER 10001:10001/);
  expect(dockerfile).toContain('for p in /patches/*.patch; do git apply --verbose "$p" || exit 1; done');
});

test("the recipe's patch gives Atlas 2.5.0's Cassandra audit repository TLS, one contact point per host and its table in an existing keyspace", () => {
  // Upstream (release-2.5.0 CassandraBasedAuditRepository.createSession): addContactPoint(hostname) with the whole
  // property as one host, no withSSL, and CREATE TABLE only in the branch that creates the keyspace.
  const patch = readFileSync(path.join(ROOT, IMAGES.atlas.buildRecipe, "patches", "0001-cassandra-audit-contact-points-tls-table.patch"), "utf8");
  const added = patch.split("\n").filter((l) => l.startsWith("+") && !l.startsWith("+++")).join("\n");
  const removed = patch.split("\n").filter((l) => l.startsWith("-") && !l.startsWith("---")).join("\n");
  expect(patch).toContain("+++ b/repository/src/main/java/org/apache/atlas/repository/audit/CassandraBasedAuditRepository.java");
  expect(removed).toContain("addContactPoint(hostname)");
  expect(added).toContain("getStringArray(CASSANDRA_HOSTNAME_PROPERTY)");
  expect(added).toContain("addContactPoints(hostnames)");
  expect(added).toContain("withSSL(sslOptions())");
  expect(added).toContain('setEndpointIdentificationAlgorithm("HTTPS")');
  expect(added).toContain('"CREATE TABLE IF NOT EXISTS audit("');
});
