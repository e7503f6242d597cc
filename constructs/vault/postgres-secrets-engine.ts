import { Construct } from "constructs";
import { DatabaseSecretBackendConnection } from "@cdktf/provider-vault/lib/database-secret-backend-connection";
import { DatabaseSecretBackendRole } from "@cdktf/provider-vault/lib/database-secret-backend-role";
import { Mount } from "@cdktf/provider-vault/lib/mount";
import { idOf } from "../../lib/construct-id";
import { VAULT_MOUNTS } from "../../platform/service-names";

/** A dynamic database role: short-lived logins that join one group role. */
export interface DatabaseRoleSpec {
  /** Vault role name (what `database/creds/<name>` returns). */
  readonly name: string;
  /** PostgreSQL group role the login joins; created by the PostgreSQL bootstrap, owns the schema. */
  readonly groupRole: string;
  /** @default 3600 */
  readonly defaultTtlSeconds?: number;
  /** @default 86400 */
  readonly maxTtlSeconds?: number;
}

/** Props of PostgresSecretsEngine. */
export interface PostgresSecretsEngineProps {
  /**
   * `host:port` of every PostgreSQL server; Vault connects to the writable one
   * (target_session_attrs=read-write), so a standby is never written to and a promoted one is found.
   */
  readonly hosts: readonly string[];
  /** Database the admin connects to. @default "postgres" */
  readonly database?: string;
  /** Login Vault manages users with (CREATEROLE), created by the PostgreSQL bootstrap. @default "vault_admin" */
  readonly adminUsername?: string;
  /** PEM of the CA that issued PostgreSQL's certificate (Vault's PKI root; public). */
  readonly caCertificatePem: string;
  readonly roles: readonly DatabaseRoleSpec[];
  /**
   * Let a plan delete the mount and the connection. After rotate-root the connection holds the only copy
   * of vault_admin's password; disabling the mount or deleting the connection loses it.
   * @default false - lifecycle prevent_destroy on both
   */
  readonly allowDestroy?: boolean;
}

/**
 * The SQL Vault runs for one dynamic role, as the admin login (`vault_admin`, CREATEROLE, not a
 * superuser). Vault's PostgreSQL plugin (hashicorp/vault plugins/database/postgresql/postgresql.go,
 * NewUser / changeUserExpiration / customDeleteUser) runs each list in ONE transaction, after
 * replacing `{{name}}`, `{{password}}` (a SCRAM-SHA-256 verifier when password_authentication is
 * scram-sha-256) and `{{expiration}}` (format `2006-01-02 15:04:05-0700`). A failing statement rolls
 * the whole list back.
 *
 * Why the creation grants the new login to the admin (`GRANT ... TO CURRENT_USER`): REASSIGN OWNED
 * and DROP OWNED need membership in (PostgreSQL 15) or the privileges of (16) the role they act on,
 * and CREATEROLE alone gives neither in 15 (in 16 the creator gets ADMIN OPTION without INHERIT,
 * `createrole_self_grant` empty). Without it every revocation fails and the logins pile up.
 * The login's objects belong to the group role anyway (`SET role` at login); REASSIGN/DROP OWNED
 * only catch what a session created after RESET ROLE.
 */
export function databaseRoleStatements(groupRole: string) {
  return {
    creation: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' INHERIT IN ROLE "${groupRole}";`,
      `ALTER ROLE "{{name}}" SET role = "${groupRole}";`,
      `GRANT "{{name}}" TO CURRENT_USER;`,
    ],
    // Vault's default renewal, written out so what runs is reviewed and tested.
    renewal: [`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`],
    revocation: [`REASSIGN OWNED BY "{{name}}" TO "${groupRole}";`, `DROP OWNED BY "{{name}}";`, `DROP ROLE IF EXISTS "{{name}}";`],
  } as const;
}

/**
 * The database secrets engine for PostgreSQL: dynamic, short-lived logins per role, over TLS that
 * verifies the server's name and CA (sslmode=verify-full).
 *
 * No password passes through Terraform: the connection is created without one (nothing is sent, and
 * the provider never sends a password it was not given on update, terraform-provider-vault v5.6.0
 * `setDatabaseConnectionDataWithUserPass`). `npm run vault:bootstrap` generates vault_admin's initial
 * password inside Vault (password policy), writes it to PostgreSQL's KV secret (its bootstrap creates
 * the login with it) and to this connection (an update merges into the stored connection details,
 * builtin/logical/database/path_config_connection.go); once PostgreSQL runs, `--rotate-database-root`
 * makes Vault its only holder. The connection is not verified at apply time: PostgreSQL is deployed
 * later by the platform stack.
 */
export class PostgresSecretsEngine extends Construct {
  readonly mount: Mount;
  readonly connection: DatabaseSecretBackendConnection;
  readonly roles: Readonly<Record<string, DatabaseSecretBackendRole>>;

  constructor(scope: Construct, id: string, props: PostgresSecretsEngineProps) {
    super(scope, id);
    if (props.hosts.length === 0 || props.hosts.some((h) => !/^[a-z0-9.-]+:\d+$/.test(h))) {
      throw new Error(`PostgresSecretsEngine: hosts must be host:port entries, got ${JSON.stringify(props.hosts)}`);
    }
    const lifecycle = { preventDestroy: !(props.allowDestroy ?? false) };
    this.mount = new Mount(this, "Resource", { path: VAULT_MOUNTS.database, type: "database", description: "Dynamic PostgreSQL credentials", lifecycle });
    const database = props.database ?? "postgres";
    this.connection = new DatabaseSecretBackendConnection(this, "Postgresql", {
      backend: this.mount.path,
      name: "postgresql",
      allowedRoles: props.roles.map((r) => r.name),
      verifyConnection: false,
      rootRotationStatements: [`ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}';`],
      postgresql: {
        connectionUrl: `postgresql://{{username}}:{{password}}@${props.hosts.join(",")}/${database}?sslmode=verify-full&target_session_attrs=read-write`,
        tlsCa: props.caCertificatePem,
        username: props.adminUsername ?? "vault_admin",
        passwordAuthentication: "scram-sha-256",
        maxOpenConnections: 4,
        maxConnectionLifetime: 300,
      },
      lifecycle,
    });
    const roles: Record<string, DatabaseSecretBackendRole> = {};
    for (const r of props.roles) {
      const statements = databaseRoleStatements(r.groupRole);
      roles[r.name] = new DatabaseSecretBackendRole(this, `Role${idOf(r.name)}`, {
        backend: this.mount.path,
        name: r.name,
        dbName: this.connection.name,
        defaultTtl: r.defaultTtlSeconds ?? 3600,
        maxTtl: r.maxTtlSeconds ?? 86400,
        creationStatements: [...statements.creation],
        renewStatements: [...statements.renewal],
        revocationStatements: [...statements.revocation],
      });
    }
    this.roles = roles;
  }
}
