import { createHash } from "node:crypto";
import type AuthenticationFlowRepresentation from "@keycloak/keycloak-admin-client/lib/defs/authenticationFlowRepresentation";
import type { RealmRepresentation } from "./keycloak-realm";

/**
 * Applies the realm as code to a RUNNING Keycloak, without touching its users.
 *
 * Why: `kc.sh start --import-realm` imports a realm file only when the realm does not exist. At start-up
 * import Keycloak sets the strategy IGNORE_EXISTING (ExportImportManager: "import at startup" ->
 * `ExportImportConfig.setStrategy(Strategy.IGNORE_EXISTING)`), and ImportUtils.importRealm then logs
 * "Realm '%s' already exists. Import skipped" (keycloak/keycloak services/src/main/java/org/keycloak/
 * exportimport/, release 26.x). `kc.sh import --override true` (OVERWRITE_EXISTING) is no way out: it
 * removes the realm, with every user and OTP credential, before importing ("Removing it before import").
 *
 * How: a container next to Keycloak runs `kcadm.sh` (the admin CLI shipped in the same image) against the
 * in-cluster service with the bootstrap admin service account (client credentials from Vault), and
 * every `intervalSeconds` (drift is corrected too):
 * 1. creates the realm from the import file if it is missing;
 * 2. creates missing realm roles and groups (partial import with `ifResourceExists=SKIP`: existing ones,
 *    and the users mapped to them, are left alone);
 * 3. creates or updates each client, found by clientId;
 * 4. creates each authentication flow that is missing (flow aliases carry a hash of their definition, so
 *    a changed flow is a new flow; the old versions are deleted once the realm points elsewhere);
 * 5. updates the realm's settings (`PUT /admin/realms/{realm}`: policies, OTP, brute force, headers,
 *    tokens, and `browserFlow`, bound by alias) and the required actions;
 * 6. creates, updates in place (keeping users' links to it) or deletes the identity providers, so the
 *    realm has exactly those of the deployment;
 * 7. deletes the password-login bootstrap user `admin` of earlier releases from the master realm.
 * Users, their credentials and sessions are never written.
 */
export interface RealmSyncOptions {
  /** Keycloak's base URL inside the cluster, e.g. https://keycloak.identity.svc:8443/auth. */
  readonly serverUrl: string;
  /** Client id of the bootstrap admin service account (master realm). */
  readonly clientId: string;
  /** Rendered Keycloak config holding `bootstrap-admin-client-secret=`. */
  readonly secretsFile: string;
  /** The platform CA (PEM) the server certificate is verified against. */
  readonly caFile: string;
  /** Where the files of `realmSyncFiles` are mounted. */
  readonly filesDir: string;
  /** The import file of the realm (used when the realm does not exist yet). */
  readonly importFile: string;
  /** Writable scratch directory (kcadm config, truststore, state). */
  readonly workDir: string;
  /** @default 600 */
  readonly intervalSeconds?: number;
}

/** The user of earlier releases' password bootstrap admin (bootstrap-admin-username=admin), removed from master. */
export const LEGACY_BOOTSTRAP_USER = "admin";

/** Flows of a realm with version-stamped aliases: `<alias>-<8 hex of the flows' definition>`. */
export function versionedFlows(realm: RealmRepresentation): RealmRepresentation {
  const flows = (realm.authenticationFlows ?? []) as AuthenticationFlowRepresentation[];
  const version = createHash("sha256").update(JSON.stringify(flows)).digest("hex").slice(0, 8);
  const rename = (alias: string | undefined) => (alias && flows.some((f) => f.alias === alias) ? `${alias}-${version}` : alias);
  return {
    ...realm,
    browserFlow: rename(realm.browserFlow),
    authenticationFlows: flows.map((f) => ({
      ...f,
      alias: rename(f.alias),
      authenticationExecutions: (f.authenticationExecutions ?? []).map((e) => (e.flowAlias ? { ...e, flowAlias: rename(e.flowAlias) } : e)),
    })),
  };
}

const COLLECTIONS = ["users", "clients", "roles", "groups", "identityProviders", "identityProviderMappers", "authenticationFlows", "authenticatorConfig", "requiredActions", "defaultRoles"] as const;

/** The ConfigMap files the sync reads: one JSON document per thing it applies. Keys are ConfigMap-safe. */
export function realmSyncFiles(realm: RealmRepresentation): Record<string, string> {
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  const settings = Object.fromEntries(Object.entries(realm).filter(([k]) => !(COLLECTIONS as readonly string[]).includes(k)));
  const files: Record<string, string> = {
    "realm-settings.json": json(settings),
    "roles-groups.json": json({ ifResourceExists: "SKIP", roles: realm.roles ?? {}, groups: realm.groups ?? [] }),
  };
  for (const c of realm.clients ?? []) files[`client.${c.clientId}.json`] = json(c);
  for (const p of realm.identityProviders ?? []) files[`idp.${p.alias}.json`] = json(p);
  for (const a of realm.requiredActions ?? []) files[`required-action.${a.alias}.json`] = json(a);
  for (const f of (realm.authenticationFlows ?? []) as AuthenticationFlowRepresentation[]) files[`flow.${f.alias}.json`] = json({ ...f, authenticationExecutions: [] });
  files["flows.sh"] = flowCommands(realm);
  return files;
}

/** The kcadm commands that build each flow of the realm (sourced by the sync script). */
function flowCommands(realm: RealmRepresentation): string {
  const flows = (realm.authenticationFlows ?? []) as AuthenticationFlowRepresentation[];
  const lines = ["# Built from the realm's authenticationFlows: one function per top-level flow."];
  const build = (f: AuthenticationFlowRepresentation): string[] =>
    (f.authenticationExecutions ?? [])
      .slice()
      .sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0))
      .flatMap((e) => {
        if (e.flowAlias) {
          const sub = flows.find((x) => x.alias === e.flowAlias)!;
          return [
            `  add_subflow '${f.alias}' '${sub.alias}' '${sub.providerId ?? "basic-flow"}' '${e.requirement}' || return 1`,
            ...build(sub),
          ];
        }
        return [`  add_execution '${f.alias}' '${e.authenticator}' '${e.requirement}' || return 1`];
      });
  for (const top of flows.filter((f) => f.topLevel)) {
    lines.push(`build_flow_${safe(top.alias!)}() {`, `  create_flow '${top.alias}' || return 1`, ...build(top), "}");
  }
  lines.push(`TOP_FLOWS='${flows.filter((f) => f.topLevel).map((f) => f.alias).join(" ")}'`, "");
  return lines.join("\n");
}

const safe = (alias: string) => alias.replace(/[^A-Za-z0-9]/g, "_");

/**
 * The container script: log in with client credentials, then apply the realm every `intervalSeconds`.
 * bash and the image's own tools only (kcadm.sh, keytool; no curl, grep or jq in Keycloak's image).
 * State for the probes: `<workDir>/failing-since` exists while applying fails.
 */
export function realmSyncScript(realmName: string, o: RealmSyncOptions): string {
  return `set -u
: "\${KCADM:=/opt/keycloak/bin/kcadm.sh}" "\${KEYTOOL:=keytool}"
REALM='${realmName}'
FILES='${o.filesDir}'
WORK='${o.workDir}'
CFG="$WORK/kcadm.config"
mkdir -p "$WORK"
kc() { "$KCADM" "$@" --config "$CFG"; }
log() { echo "realm-sync: $*" >&2; }

client_secret() {
  local line
  while IFS= read -r line; do
    case "$line" in bootstrap-admin-client-secret=*) printf '%s' "\${line#*=}" ;; esac
  done < '${o.secretsFile}'
}

login() {
  local pass
  pass="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \\n')"
  rm -f "$WORK/truststore.p12"
  "$KEYTOOL" -importcert -noprompt -alias platform-ca -file '${o.caFile}' -keystore "$WORK/truststore.p12" -storetype PKCS12 -storepass "$pass" >/dev/null &&
    kc config truststore --trustpass "$pass" "$WORK/truststore.p12" &&
    kc config credentials --server '${o.serverUrl}' --realm master --client '${o.clientId}' --secret "$(client_secret)"
}

# Lines of a CSV listing (kcadm get ... --format csv --noquotes).
list() { kc get "$@" --format csv --noquotes; }

create_flow() { kc create authentication/flows -r "$REALM" -f "$FILES/flow.$1.json" >/dev/null; }
set_requirement() { kc update "authentication/flows/$1/executions" -r "$REALM" -b "{\\"id\\":\\"$2\\",\\"requirement\\":\\"$3\\"}"; }
add_execution() {
  local id
  id="$(kc create "authentication/flows/$1/executions/execution" -r "$REALM" -b "{\\"provider\\":\\"$2\\"}" -i)" || return 1
  set_requirement "$1" "$id" "$3"
}
add_subflow() {
  local line id=
  kc create "authentication/flows/$1/executions/flow" -r "$REALM" -b "{\\"alias\\":\\"$2\\",\\"type\\":\\"$3\\",\\"provider\\":\\"registration-page-form\\",\\"description\\":\\"\\"}" >/dev/null || return 1
  while IFS=, read -r eid name; do [ "$name" = "$2" ] && id="$eid"; done < <(list "authentication/flows/$1/executions" -r "$REALM" --fields id,displayName)
  [ -n "$id" ] || { log "subflow $2 not found in $1"; return 1; }
  set_requirement "$1" "$id" "$4"
}

apply() {
  local f name id existing flows line
  kc get "realms/$REALM" >/dev/null 2>&1 || kc create realms -f '${o.importFile}' || return 1
  kc create partialImport -r "$REALM" -f "$FILES/roles-groups.json" >/dev/null || return 1
  for f in "$FILES"/client.*.json; do
    [ -e "$f" ] || continue
    name="\${f#"$FILES/client."}"; name="\${name%.json}"
    id="$(list clients -r "$REALM" -q "clientId=$name" --fields id)" || return 1
    if [ -n "$id" ]; then kc update "clients/$id" -r "$REALM" -f "$f" || return 1; else kc create clients -r "$REALM" -f "$f" || return 1; fi
  done
  . "$FILES/flows.sh"
  flows="$(list authentication/flows -r "$REALM" --fields alias)" || return 1
  for name in $TOP_FLOWS; do
    case "$(printf '\\n%s\\n' "$flows")" in *"
$name
"*) ;; *) log "creating flow $name"; "build_flow_\${name//[^A-Za-z0-9]/_}" || return 1 ;; esac
  done
  kc update "realms/$REALM" -f "$FILES/realm-settings.json" || return 1
  for f in "$FILES"/required-action.*.json; do
    [ -e "$f" ] || continue
    name="\${f#"$FILES/required-action."}"; name="\${name%.json}"
    kc update "authentication/required-actions/$name" -r "$REALM" -f "$f" || return 1
  done
  # Older versions of our flows (same alias, another version stamp) go once nothing points at them.
  while IFS=, read -r id name; do
    for f in $TOP_FLOWS; do
      if [ "\${name%-*}" = "\${f%-*}" ] && [ "$name" != "$f" ]; then log "deleting flow $name"; kc delete "authentication/flows/$id" -r "$REALM" || return 1; fi
    done
  done < <(list authentication/flows -r "$REALM" --fields id,alias)
  existing="$(list identity-provider/instances -r "$REALM" --fields alias)" || return 1
  for f in "$FILES"/idp.*.json; do
    [ -e "$f" ] || continue
    name="\${f#"$FILES/idp."}"; name="\${name%.json}"
    if kc get "identity-provider/instances/$name" -r "$REALM" >/dev/null 2>&1; then
      kc update "identity-provider/instances/$name" -r "$REALM" -f "$f" || return 1
    else
      kc create identity-provider/instances -r "$REALM" -f "$f" || return 1
    fi
  done
  while IFS= read -r name; do
    [ -n "$name" ] && [ ! -e "$FILES/idp.$name.json" ] && { log "deleting identity provider $name"; kc delete "identity-provider/instances/$name" -r "$REALM" || return 1; }
  done <<< "$existing"
  id="$(list users -r master -q username=${LEGACY_BOOTSTRAP_USER} -q exact=true --fields id)" || return 1
  if [ -n "$id" ]; then log "deleting the password bootstrap admin of master"; kc delete "users/$id" -r master || return 1; fi
  return 0
}

while true; do
  if login && apply; then
    rm -f "$WORK/failing-since"
    log "realm $REALM applied"
    sleep ${o.intervalSeconds ?? 600}
  else
    [ -e "$WORK/failing-since" ] || date +%s > "$WORK/failing-since"
    log "applying realm $REALM failed; retrying in 30 s"
    sleep 30
  fi
done
`;
}
