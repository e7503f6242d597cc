/**
 * The scripts and CQL of the platform's Cassandra pods: the maintenance round (first-start bootstrap of
 * the roles and keyspaces, daily snapshot, weekly repair), the bootstrap CQL files Vault Agent renders
 * (password fields are template expressions in the cluster, literals in tests), and cqlshrc.
 */

/** Options of cassandraMaintenanceRound. */
export interface CassandraMaintenanceOptions {
  /** The headless Service the node's own name is under (`$HOSTNAME.<headless>.$NAMESPACE.svc`, as on its certificate). */
  readonly headless: string;
  /** CQL's TLS port. */
  readonly port: number;
  /** Where Vault Agent renders admin-password and the bootstrap CQL files. */
  readonly secretsDir: string;
  /** The heartbeat directory the round marks its daily work in. */
  readonly heartbeatDir: string;
  /** Shell test: the daily snapshot is due now. */
  readonly snapshotDue: string;
  /** Shell test: the repair (on Sundays) is due now. */
  readonly repairDue: string;
  /** Snapshot TTL (nodetool snapshot --ttl). */
  readonly snapshotTtl: string;
}

/** One round of the `maintenance` container (the body of a scheduledLoop round). */
export function cassandraMaintenanceRound(o: CassandraMaintenanceOptions): string {
  const cqlsh = (user: string, passwordExpr: string) => `cqlsh --ssl -u ${user} -p "${passwordExpr}" "$HOSTNAME.${o.headless}.$NAMESPACE.svc" ${o.port}`;
  return [
    // First start: replace the default superuser (pod 0 only, once; harmless to retry).
    `  if [ "\${HOSTNAME##*-}" = "0" ] && ${cqlsh("cassandra", "cassandra")} -e "DESCRIBE KEYSPACES" >/dev/null 2>&1; then`,
    `    ${cqlsh("cassandra", "cassandra")} -f ${o.secretsDir}/bootstrap-admin.cql || return 1`,
    `    ${cqlsh("admin", `$(cat ${o.secretsDir}/admin-password)`)} -f ${o.secretsDir}/bootstrap.cql || return 1`,
    "  fi",
    `  if ${o.snapshotDue}; then`,
    // Cassandra removes the snapshot itself after the TTL (4.1+, CASSANDRA-16789): by then the uploader
    // has long moved its files, and only the emptied directories Cassandra owns are left to it.
    `    nodetool snapshot --ttl ${o.snapshotTtl} -t "daily-$(date -u +%F)" && touch ${o.heartbeatDir}/snapshot-$(date -u +%F) || return 1`,
    "  fi",
    `  if [ "$(date -u +%u)" = "7" ] && ${o.repairDue}; then`,
    `    nodetool repair -pr && touch ${o.heartbeatDir}/repair-$(date -u +%F) || return 1`,
    "  fi",
  ].join("\n");
}

/** CQL run once as the default superuser: creates `admin`, the superuser the platform uses. `adminPassword` goes inside a CQL string literal, already quoted for it. */
export function cassandraBootstrapAdminCql(adminPassword: string): string {
  return `CREATE ROLE IF NOT EXISTS admin WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = '${adminPassword}';\n`;
}

/**
 * CQL run once as `admin`: Atlas's role and keyspaces first (they need only this node); then the default
 * superuser is disabled and system_auth replicated to every node (the weekly repair spreads it).
 * `atlasPassword` goes inside a CQL string literal, already quoted for it.
 */
export function cassandraBootstrapCql(atlasPassword: string): string {
  return [
    `CREATE ROLE IF NOT EXISTS atlas WITH LOGIN = true AND PASSWORD = '${atlasPassword}';`,
    "CREATE KEYSPACE IF NOT EXISTS atlas WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3};",
    "CREATE KEYSPACE IF NOT EXISTS atlas_audit WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3};",
    "GRANT ALL PERMISSIONS ON KEYSPACE atlas TO atlas;",
    "GRANT ALL PERMISSIONS ON KEYSPACE atlas_audit TO atlas;",
    "ALTER ROLE cassandra WITH SUPERUSER = false AND LOGIN = false;",
    "ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3};",
    "",
  ].join("\n");
}

/** cqlshrc: cqlsh verifies the node's certificate against the platform CA. */
export function cqlshrc(caFile: string): string {
  return `[ssl]\ncertfile = ${caFile}\nvalidate = true\n`;
}
