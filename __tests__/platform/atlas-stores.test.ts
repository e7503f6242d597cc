import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { podTemplates, readers } from "../kubernetes/pod-inventory";
import { DEPLOYMENTS, synthesizedStacks } from "../support/deployments";
import { localPod } from "./support/pod";
import { removeDir, tempDir } from "./support/servers";

/**
 * Atlas's settings for its stores, read from every shipped deployment's synthesized Vault Agent
 * template (atlas-application.properties), held against what the other side of each connection is in
 * the same synthesized output: the Cassandra nodes and their certificate names, the datacenter their
 * keyspaces replicate in, the Elasticsearch Service, and the absence of Kafka.
 *
 * Facts about Atlas 2.5.0 / JanusGraph 1.1.0 relied on (sources):
 * - JanusGraph's CQL driver uses only nodes of `storage.cql.local-datacenter`, default "datacenter1"
 *   (JanusGraph v1.1.0 janusgraph-cql CQLConfigOptions.LOCAL_DATACENTER).
 * - TLS hostname validation keeps the names of contact points only; nodes the driver discovers are
 *   reached by address (cassandra-java-driver 4.17.0 InitialNodeListRefresh.compute keeps a contact
 *   point's endpoint; DefaultSslEngineFactory.newSslEngine validates the endpoint's host name).
 * - NotificationHookConsumer starts no consumer when atlas.notification.consumer.disabled=true, and
 *   EntityNotificationSender (post-commit) logs a failed send instead of failing the write (Atlas
 *   release-2.5.0 webapp/src/main/java/org/apache/atlas/notification/).
 */

type Json = Record<string, unknown>;

describe.each(DEPLOYMENTS.map((d) => d.key))("%s", (key) => {
  const stacks = synthesizedStacks(key);
  const pods = Object.entries(stacks).flatMap(([id, s]) => podTemplates(id, s));
  const atlas = pods.find((p) => p.name === "atlas")!;
  const files = atlas.files(atlas.containers.find((c) => c.name === "atlas")!);
  const props = readers.properties(files["/vault/secrets/atlas-application.properties"]);
  const cassandra = pods.find((p) => p.name === "cassandra")!;
  const cassandraFiles = cassandra.files(cassandra.containers.find((c) => c.name === "cassandra")!);

  test("every Cassandra node is its own contact point, by a name its certificate carries", () => {
    const hosts = props.get("atlas.graph.storage.hostname")!.split(",");
    expect(hosts).toHaveLength(cassandra.replicas);
    // The names each node's certificate carries, as its Vault Agent gets it from the synthesized PKI role.
    const dir = tempDir("atlas-stores-");
    const names = Array.from({ length: cassandra.replicas }, (_, ordinal) => {
      const issued = localPod(key, "cassandra", { root: join(dir, `pod-${ordinal}`), caDir: join(dir, "ca"), ordinal }).init.issued[0];
      return [issued.commonName, ...issued.dnsNames];
    }).flat();
    removeDir(dir);
    const covered = (h: string) => names.some((n) => n === h || (n.startsWith("*.") && h.endsWith(n.slice(1)) && !h.slice(0, -n.length + 1).includes(".")));
    for (const h of hosts) expect({ h, covered: covered(h) }).toEqual({ h, covered: true });
    expect(props.get("atlas.graph.storage.cql.ssl.enabled")).toBe("true");
    expect(props.get("atlas.graph.storage.cql.ssl.hostname_validation")).toBe("true");
    expect(props.get("atlas.graph.storage.port")).toBe(String((parseYaml(Object.entries(cassandraFiles).find(([f]) => f.endsWith("/cassandra.yaml"))![1]) as Json).native_transport_port));
  });

  test("the graph's local datacenter is the one Cassandra's bootstrap replicates Atlas's keyspaces in", () => {
    const bootstrap = cassandraFiles["/vault/secrets/bootstrap.cql"];
    for (const ks of ["atlas", "atlas_audit"]) {
      const dc = new RegExp(`CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = \\{'class': 'NetworkTopologyStrategy', '([^']+)'`).exec(bootstrap)?.[1];
      expect({ ks, dc }).toEqual({ ks, dc: props.get("atlas.graph.storage.cql.local-datacenter") });
    }
    expect(props.get("atlas.graph.storage.cql.keyspace")).toBe("atlas");
    expect(props.get("atlas.EntityAuditRepository.keyspace")).toBe("atlas_audit");
  });

  test("Elasticsearch is reached at its Service over HTTPS with verification", () => {
    const es = pods.find((p) => p.name === "elasticsearch")!;
    expect(props.get("atlas.graph.index.search.hostname")).toBe(`elasticsearch.${es.namespace}.svc:9200`);
    expect(props.get("atlas.graph.index.search.elasticsearch.ssl.enabled")).toBe("true");
    expect(props.get("atlas.graph.index.search.elasticsearch.ssl.disable-hostname-verification")).toBe("false");
  });

  test("no Kafka: no embedded broker, no hook consumer, notifications after commit, no bootstrap servers", () => {
    expect(props.get("atlas.notification.embedded")).toBe("false");
    expect(props.get("atlas.notification.consumer.disabled")).toBe("true");
    expect(props.get("atlas.notification.send.postcommit")).toBe("true");
    expect([...props.keys()].filter((k) => k.startsWith("atlas.kafka."))).toEqual([]);
  });
});
