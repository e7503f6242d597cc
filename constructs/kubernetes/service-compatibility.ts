import type { UpstreamSource } from "./image-contracts";

/**
 * Which versions of the services work together, as data with its upstream source: Atlas embeds a
 * JanusGraph, whose Elasticsearch client accepts only some server majors and whose CQL driver speaks
 * only some native-protocol versions; Atlas's Cassandra audit repository has a driver of its own.
 * __tests__/kubernetes/service-compatibility.test.ts checks the images every shipped deployment runs
 * against this table. Bump an image, read its sources again, extend the table.
 */

/** What an Atlas release embeds (its pom.xml). */
export interface AtlasRelease {
  readonly janusgraph: string;
  /** DataStax Java driver of CassandraBasedAuditRepository (repository/pom.xml). */
  readonly auditCqlDriver: string;
  readonly source: UpstreamSource;
}

/** What a JanusGraph release supports. */
export interface JanusGraphRelease {
  /** Elasticsearch server majors its index accepts (ElasticMajorVersion.parse throws on others). */
  readonly elasticsearchMajors: readonly number[];
  /** Cassandra lines in JanusGraph's compatibility matrix (tested). */
  readonly cassandraTested: readonly string[];
  /** Its CQL driver (cassandra-java-driver). */
  readonly cqlDriver: string;
  readonly source: readonly UpstreamSource[];
}

const atlasPom = (release: string): UpstreamSource => ({ repo: "github.com/apache/atlas", file: "pom.xml (janusgraph.version), repository/pom.xml (cassandra-driver-core)", release });
const janus = (release: string, extra: string): UpstreamSource[] => [
  { repo: "github.com/JanusGraph/janusgraph", file: "docs/changelog.md (Version Compatibility Matrix)", release },
  { repo: "github.com/JanusGraph/janusgraph", file: "janusgraph-es/src/main/java/org/janusgraph/diskstorage/es/ElasticMajorVersion.java", release },
  { repo: "github.com/JanusGraph/janusgraph", file: `pom.xml (cassandra-driver.version ${extra})`, release },
];

/** Atlas releases by version. */
export const ATLAS_RELEASES: Readonly<Record<string, AtlasRelease>> = {
  "2.3.0": { janusgraph: "0.6.1", auditCqlDriver: "3.11.5", source: atlasPom("release-2.3.0") },
  "2.5.0": { janusgraph: "1.1.0", auditCqlDriver: "3.11.5", source: atlasPom("release-2.5.0") },
};

/** JanusGraph releases by version. */
export const JANUSGRAPH_RELEASES: Readonly<Record<string, JanusGraphRelease>> = {
  "0.6.1": { elasticsearchMajors: [6, 7], cassandraTested: ["3.0", "3.11"], cqlDriver: "4.13.0", source: janus("v0.6.1", "4.13.0") },
  "1.1.0": { elasticsearchMajors: [6, 7, 8], cassandraTested: ["3.11", "4.0"], cqlDriver: "4.17.0", source: janus("v1.1.0", "4.17.0") },
};

/**
 * CQL native-protocol versions each side speaks. A driver negotiates down from its newest supported
 * version, so a client and a server work together when the sets meet.
 */
export const CQL_PROTOCOLS: Readonly<Record<string, { readonly versions: readonly number[]; readonly source: UpstreamSource }>> = {
  // Drivers (the 4.x line: V3..V5 non-beta; the 3.x line: V1..V5).
  "driver 4.13.0": { versions: [3, 4, 5], source: { repo: "github.com/apache/cassandra-java-driver", file: "core/src/main/java/com/datastax/oss/driver/api/core/DefaultProtocolVersion.java", release: "4.13.0" } },
  "driver 4.17.0": { versions: [3, 4, 5], source: { repo: "github.com/apache/cassandra-java-driver", file: "core/src/main/java/com/datastax/oss/driver/api/core/DefaultProtocolVersion.java", release: "4.17.0" } },
  "driver 3.11.5": { versions: [1, 2, 3, 4, 5], source: { repo: "github.com/apache/cassandra-java-driver", file: "driver-core/src/main/java/com/datastax/driver/core/ProtocolVersion.java (NEWEST_SUPPORTED = V5)", release: "3.11.5" } },
  // Servers.
  "cassandra 4.1": { versions: [3, 4, 5], source: { repo: "github.com/apache/cassandra", file: "src/java/org/apache/cassandra/transport/ProtocolVersion.java (SUPPORTED = V3, V4, V5)", release: "cassandra-4.1" } },
  "cassandra 4.0": { versions: [3, 4, 5], source: { repo: "github.com/apache/cassandra", file: "src/java/org/apache/cassandra/transport/ProtocolVersion.java (SUPPORTED = V3, V4, V5)", release: "cassandra-4.0" } },
};

/**
 * Cassandra lines the platform runs beyond JanusGraph's tested matrix, each with why it is sound.
 * 4.1: cassandra.yaml uses the PEM SSL context factory (4.1+) for hot-reloaded Vault certificates; 4.1
 * keeps 4.0's native protocols (V3-V5) and CQL, which is all JanusGraph's CQL backend uses.
 */
export const CASSANDRA_BEYOND_TESTED: Readonly<Record<string, string>> = {
  "4.1": "PEM-based TLS (4.1+) is required by cassandra.yaml; 4.1 speaks the same native protocols (V3-V5) as the tested 4.0",
};

/** Elasticsearch's Java low-level REST client works with every server version (Atlas 2.5.0 pulls 7.17.8 beside JanusGraph's). */
export const ELASTICSEARCH_LOW_LEVEL_CLIENT: UpstreamSource = {
  repo: "elastic.co/guide/en/elasticsearch/client/java-rest/current/java-rest-overview.html",
  file: "\"It is compatible with all Elasticsearch versions\"",
  release: "7.17",
};
