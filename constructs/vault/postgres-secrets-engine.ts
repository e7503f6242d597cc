import { Construct } from "constructs";
import { TerraformVariable } from "cdktf";
import { DatabaseSecretBackendConnection } from "@cdktf/provider-vault/lib/database-secret-backend-connection";
import { DatabaseSecretBackendRole } from "@cdktf/provider-vault/lib/database-secret-backend-role";
import { Mount } from "@cdktf/provider-vault/lib/mount";
import { VAULT_MOUNTS, idOf } from "./paths";

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
 * The database secrets engine for PostgreSQL: dynamic, short-lived logins per role, over TLS that
 * verifies the server's name and CA (sslmode=verify-full).
 *
 * The admin password is supplied at deploy time through an EPHEMERAL Terraform variable
 * (`TF_VAR_postgresql_vault_admin_password`) into the provider's write-only `password_wo`: it is in
 * neither configuration, synthesized JSON nor state. Right after the first apply, `vault write -f
 * database/rotate-root/postgresql` makes Vault the only holder of it (docs/vault.md). The connection
 * is not verified at apply time: PostgreSQL is deployed later by the platform stack.
 */
export class PostgresSecretsEngine extends Construct {
  readonly mount: Mount;
  readonly connection: DatabaseSecretBackendConnection;
  readonly roles: Readonly<Record<string, DatabaseSecretBackendRole>>;

  constructor(scope: Construct, id: string, props: PostgresSecretsEngineProps) {
    super(scope, id);
    const password = new TerraformVariable(this, "AdminPassword", {
      type: "string",
      sensitive: true,
      nullable: false,
      description: "Initial password of PostgreSQL's vault_admin login; write-only into Vault, rotated by rotate-root. Set TF_VAR_postgresql_vault_admin_password.",
    });
    password.overrideLogicalId("postgresql_vault_admin_password");
    // Terraform >= 1.10: the value is never persisted in plan or state.
    password.addOverride("ephemeral", true);
    const version = new TerraformVariable(this, "AdminPasswordVersion", {
      type: "number",
      default: 1,
      description: "Bump to send a new initial admin password (write-only attributes are only sent when this changes).",
    });
    version.overrideLogicalId("postgresql_vault_admin_password_version");

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
        passwordWo: password.stringValue,
        passwordWoVersion: version.numberValue,
        passwordAuthentication: "scram-sha-256",
        maxOpenConnections: 4,
        maxConnectionLifetime: 300,
      },
      lifecycle,
    });
    const roles: Record<string, DatabaseSecretBackendRole> = {};
    for (const r of props.roles) {
      roles[r.name] = new DatabaseSecretBackendRole(this, `Role${idOf(r.name)}`, {
        backend: this.mount.path,
        name: r.name,
        dbName: this.connection.name,
        defaultTtl: r.defaultTtlSeconds ?? 3600,
        maxTtl: r.maxTtlSeconds ?? 86400,
        creationStatements: [
          `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' INHERIT IN ROLE "${r.groupRole}";`,
          `ALTER ROLE "{{name}}" SET role = "${r.groupRole}";`,
        ],
        revocationStatements: [
          `REASSIGN OWNED BY "{{name}}" TO "${r.groupRole}";`,
          `DROP OWNED BY "{{name}}";`,
          `DROP ROLE IF EXISTS "{{name}}";`,
        ],
      });
    }
    this.roles = roles;
  }
}
