import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type RealmRepresentation from "@keycloak/keycloak-admin-client/lib/defs/realmRepresentation";
import { ConfigError, validateDeployment, withSamlMetadataFile } from "../../config/load";
import { DEFAULT_DEPLOYMENT } from "../../config/default";
import { IMAGES } from "../../constructs/kubernetes/images";
import { BROWSER_FLOW, keycloakRealm } from "../../constructs/kubernetes/server-config/keycloak-realm";
import { decodedStack } from "../support/deployments";
import { removeDir, run, tempDir } from "./support/servers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ROOT = join(__dirname, "..", "..");
const PYTHON = "/usr/bin/python3"; // Debian's python3 with python3-pysaml2 (.ci/install-test-servers)

const platform = (key = "default") => decodedStack(key, "platform").blocks as Record<string, Json>;
const configMapData = (blocks: Record<string, Json>, name: string): Record<string, string> =>
  Object.entries(blocks).find(([k, v]) => k.startsWith("resource.kubernetes_config_map_v1.") && v.metadata.name === name)![1].data;
const keycloakPod = (blocks: Record<string, Json>) => Object.values(blocks).find((b) => b.metadata?.name === "keycloak" && b.spec?.template)!.spec.template.spec;
const agentTemplate = (blocks: Record<string, Json>, file: string): string =>
  JSON.parse(configMapData(blocks, "keycloak-vault-agent")["agent.json"]).template.find((t: Json) => t.destination.endsWith(`/${file}`)).contents;

describe("the realm is typed against Keycloak's own representation of the deployed release", () => {
  test("@keycloak/keycloak-admin-client is pinned exactly at the Keycloak image's version", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const installed = JSON.parse(readFileSync(join(ROOT, "node_modules/@keycloak/keycloak-admin-client/package.json"), "utf8")).version;
    expect(pkg.devDependencies["@keycloak/keycloak-admin-client"]).toBe(IMAGES.keycloak.tag);
    expect(installed).toBe(IMAGES.keycloak.tag);
  });

  test("a misspelt or misplaced setting fails the typecheck (tsc checks this file)", () => {
    const realm: RealmRepresentation = keycloakRealm({ publicHostname: "c.example.com" });
    // @ts-expect-error misspelt: sslRequire is not a RealmRepresentation field
    const misspelt: RealmRepresentation = { sslRequire: "all" };
    // @ts-expect-error misplaced: the OTP policy is a realm field, not a client's
    const misplaced: RealmRepresentation = { clients: [{ clientId: "x", otpPolicyDigits: 6 }] };
    expect([realm.sslRequired, misspelt, misplaced]).toHaveLength(3);
  });
});

/**
 * Keycloak's browser-flow semantics the realm relies on, as data (keycloak/keycloak, release 26.x):
 * - DefaultAuthenticationFlow.processSingleFlowExecutionModel: an authenticator that `requiresUser()` and is
 *   not `configuredFor` the user runs `setRequiredActions` (SETUP_REQUIRED) when its factory
 *   `isUserSetupAllowed()`, the execution is REQUIRED and its required action is enabled; otherwise it
 *   fails with CREDENTIAL_SETUP_REQUIRED. A configured one runs `authenticate` (the user must answer).
 * - ALTERNATIVE executions: the first that succeeds ends the flow; REQUIRED ones all must succeed.
 */
const AUTHENTICATORS: Record<string, { requiresUser: boolean; userSetupAllowed: boolean; credential?: string; requiredAction?: string; source: string }> = {
  "auth-cookie": { requiresUser: false, userSetupAllowed: false, source: "CookieAuthenticatorFactory" },
  "identity-provider-redirector": { requiresUser: false, userSetupAllowed: false, source: "IdentityProviderAuthenticatorFactory" },
  "auth-username-password-form": { requiresUser: false, userSetupAllowed: false, source: "UsernamePasswordFormFactory" },
  "auth-otp-form": { requiresUser: true, userSetupAllowed: true, credential: "otp", requiredAction: "CONFIGURE_TOTP", source: "OTPFormAuthenticatorFactory / OTPFormAuthenticator.configuredFor, setRequiredActions" },
};

type Outcome = "asked for OTP" | "must enrol OTP" | "in without OTP";
/** What a fresh password login (no SSO cookie, no IdP redirect) asks of a user, by Keycloak's rules above. */
function passwordLogin(realm: Json, user: { otp: boolean }): Outcome {
  const flow = (alias: string) => realm.authenticationFlows.find((f: Json) => f.alias === alias);
  const forms = flow(realm.browserFlow).authenticationExecutions.find((e: Json) => e.autheticatorFlow);
  const enabledActions = new Set(realm.requiredActions.filter((a: Json) => a.enabled).map((a: Json) => a.alias));
  for (const e of flow(forms.flowAlias).authenticationExecutions) {
    const a = AUTHENTICATORS[e.authenticator];
    if (!a) throw new Error(`unknown authenticator ${e.authenticator}: add its facts`);
    if (e.requirement !== "REQUIRED" || !a.credential) continue;
    if (user.otp) return "asked for OTP";
    if (a.userSetupAllowed && enabledActions.has(a.requiredAction)) return "must enrol OTP";
    throw new Error("CREDENTIAL_SETUP_REQUIRED: the login fails");
  }
  return "in without OTP";
}

describe("2FA: every password login needs OTP (the realm as deployed)", () => {
  const realm = JSON.parse(configMapData(platform(), "keycloak-config")["platform-realm.json"]);
  test("a user with OTP configured is asked for it; a user without must enrol before getting in", () => {
    expect(passwordLogin(realm, { otp: true })).toBe("asked for OTP");
    expect(passwordLogin(realm, { otp: false })).toBe("must enrol OTP");
  });
  test("the browser flow uses only authenticators whose behaviour is recorded above, and no conditional OTP", () => {
    const used = realm.authenticationFlows.flatMap((f: Json) => f.authenticationExecutions.filter((e: Json) => e.authenticator).map((e: Json) => e.authenticator));
    for (const a of used) expect(Object.keys(AUTHENTICATORS)).toContain(a);
    expect(JSON.stringify(realm)).not.toContain("auth-conditional-otp-form");
    expect(realm.browserFlow).toMatch(new RegExp(`^${BROWSER_FLOW}-[0-9a-f]{8}$`));
  });
});

describe("SAML: the IdP's endpoints come from its metadata, written by a real IdP implementation (PySAML2)", () => {
  let dir: string;
  let metadata: string;
  beforeAll(() => {
    if (run(PYTHON, ["-c", "import saml2"]).status !== 0) throw new Error("PySAML2 is missing: run .ci/install-test-servers (apt-get install python3-pysaml2)");
    dir = tempDir("saml-idp-");
    run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "idp.key"), "-out", join(dir, "idp.crt"), "-days", "30", "-subj", "/CN=idp.test"]);
    const r = run(PYTHON, [join(__dirname, "support", "pysaml2-idp-metadata.py"), "https://idp.test", join(dir, "idp.key"), join(dir, "idp.crt")]);
    if (r.status !== 0) throw new Error(r.out);
    metadata = r.out;
  });
  afterAll(() => dir && removeDir(dir));

  test("every endpoint the metadata gives lands in the identity provider, chosen as Keycloak's import chooses", () => {
    const d = validateDeployment({ ...DEFAULT_DEPLOYMENT, saml: { idpMetadataUrl: "https://idp.test/idp/metadata", idpMetadata: metadata } }, "test");
    const idp = keycloakRealm({ publicHostname: "c.example.com", saml: d.saml })!.identityProviders![0];
    const cert = readFileSync(join(dir, "idp.crt"), "utf8").replace(/-----[^-]+-----|\s/g, "");
    expect(idp.config).toMatchObject({
      idpEntityId: "https://idp.test/idp/metadata",
      // PySAML2 wrote Redirect then POST: Keycloak takes the POST endpoint and then sends and expects POST.
      singleSignOnServiceUrl: "https://idp.test/sso/post",
      postBindingAuthnRequest: "true",
      postBindingResponse: "true",
      singleLogoutServiceUrl: "https://idp.test/slo/post",
      postBindingLogout: "true",
      signingCertificate: cert,
      nameIDPolicyFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
      validateSignature: "true",
      wantAuthnRequestsSigned: "true",
      metadataDescriptorUrl: "https://idp.test/idp/metadata",
    });
  });

  test("the examples' IdPs reach the synthesized realm with their SSO endpoint", () => {
    for (const [key, sso] of [["examples-aws", "https://idp.acme.example.com/saml/sso"], ["examples-azure", "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/saml2"]]) {
      const realm = JSON.parse(configMapData(platform(key), "keycloak-config")["platform-realm.json"]);
      expect(realm.identityProviders[0].config.singleSignOnServiceUrl).toBe(sso);
    }
  });

  test("metadata that cannot serve a login is refused with the field and the reason, nothing synthesized", () => {
    const refuse = (idpMetadata: string) => () => validateDeployment({ ...DEFAULT_DEPLOYMENT, saml: { idpMetadataUrl: "https://idp.test/m", idpMetadata } }, "f.yaml");
    expect(refuse("<not xml")).toThrow(/saml\.idpMetadata: IdP metadata: not well-formed XML/);
    expect(refuse(metadata.replace(/https:\/\/idp\.test\/sso/g, "http://idp.test/sso"))).toThrow(/SingleSignOnService http:\/\/idp\.test\/sso\/post is not an https:\/\/ URL/);
    expect(refuse(metadata.replace(/<ns0:SingleSignOnService[^>]*\/>/g, ""))).toThrow(/no SingleSignOnService/);
    expect(refuse(metadata.replace(/<ns0:KeyDescriptor.*<\/ns0:KeyDescriptor>/s, ""))).toThrow(/no signing certificate/);
    expect(() => validateDeployment({ ...DEFAULT_DEPLOYMENT, saml: { idpMetadataUrl: "https://idp.test/m" } }, "f.yaml")).toThrow(/saml\.idpMetadata: required: the IdP's SAML metadata; give saml\.idpMetadataFile/);
    expect(() => withSamlMetadataFile({ saml: { idpMetadataUrl: "https://idp.test/m", idpMetadataFile: "missing.xml" } }, join(dir, "d.yaml"))).toThrow(ConfigError);
  });
});

describe("Keycloak's admin console and master realm are internal only; no password admin", () => {
  const blocks = platform();
  test("keycloak.conf: no bootstrap admin user or password, a service-account bootstrap admin, the admin console at the in-cluster URL", () => {
    const conf = agentTemplate(blocks, "keycloak.conf");
    expect(conf).not.toMatch(/bootstrap-admin-(username|password)/);
    expect(conf).toContain("bootstrap-admin-client-id=platform-bootstrap");
    expect(conf).toMatch(/bootstrap-admin-client-secret=\{\{ with secret "kv\/data\/services\/identity\/keycloak" \}\}\{\{ \.Data\.data\.admin_client_secret \}\}\{\{ end \}\}/);
    expect(conf).toContain("hostname-admin=https://keycloak.identity.svc:8443/auth");
  });
});

/**
 * Realm changes reach a running Keycloak: the realm-sync container's script, taken from the synthesized pod,
 * runs against a recording stand-in for kcadm.sh that keeps the realm's state (which flows, identity
 * providers, clients and master users exist). Every call must be a Keycloak Admin REST resource of the
 * release (keycloak.org/docs-api/26.3.3/rest-api), and users are never written.
 */
const ADMIN_REST = [
  /^(get|update) realms\/platform$/, /^create realms$/, /^create partialImport$/,
  /^get clients$/, /^update clients\/[^/]+$/, /^create clients$/,
  /^(get|create) authentication\/flows$/, /^delete authentication\/flows\/[^/]+$/,
  /^create authentication\/flows\/[^/]+\/executions\/(execution|flow)$/, /^(get|update) authentication\/flows\/[^/]+\/executions$/,
  /^update authentication\/required-actions\/[A-Z_]+$/,
  /^(get|create) identity-provider\/instances$/, /^(get|update|delete) identity-provider\/instances\/[^/]+$/,
  /^get users$/, /^delete users\/[^/]+$/,
];

const FAKE_KCADM = `#!/bin/bash
S="$FAKE_STATE"; echo "$*" >> "$S/calls"
cmd=$1; path=$2; shift 2
arg() { local want=$1; shift; while [ $# -gt 0 ]; do [ "$1" = "$want" ] && { echo "$2"; return; }; shift; done; }
alias_in() { sed -n 's/.*"alias": *"\\([^"]*\\)".*/\\1/p' "$1" | head -1; }
n=$(( $(wc -l < "$S/calls") ))
case "$cmd $path" in
  "config "*) exit 0 ;;
  "get realms/"*) [ -e "$S/realm" ] ;;
  "create realms") touch "$S/realm" ;;
  "get authentication/flows") if [ "$(arg --fields "$@")" = "id,alias" ]; then cat "$S/flows"; else cut -d, -f2 "$S/flows"; fi ;;
  "create authentication/flows") echo "f$n,$(alias_in "$(arg -f "$@")")" >> "$S/flows" ;;
  "delete authentication/flows/"*) sed -i "/^\${path##*/},/d" "$S/flows" ;;
  "create authentication/flows/"*"/executions/execution") echo "e$n" ;;
  "create authentication/flows/"*"/executions/flow") a=$(arg -b "$@" | sed 's/.*"alias":"\\([^"]*\\)".*/\\1/'); p=\${path#authentication/flows/}; p=\${p%%/*}; echo "x$n,$a" >> "$S/exec.$p"; echo "f$n,$a" >> "$S/flows" ;;
  "get authentication/flows/"*"/executions") p=\${path#authentication/flows/}; p=\${p%%/*}; cat "$S/exec.$p" 2>/dev/null ;;
  "get identity-provider/instances") cat "$S/idps" ;;
  "get identity-provider/instances/"*) grep -qx "\${path##*/}" "$S/idps" ;;
  "create identity-provider/instances") alias_in "$(arg -f "$@")" >> "$S/idps" ;;
  "delete identity-provider/instances/"*) sed -i "/^\${path##*/}$/d" "$S/idps" ;;
  "get clients") q=$(arg -q "$@"); grep "^[^,]*,\${q#clientId=}$" "$S/clients" | cut -d, -f1 ;;
  "get users") if grep -q admin "$S/master-users"; then echo u-admin; fi ;;
  "delete users/"*) : > "$S/master-users" ;;
esac
`;

describe("realm changes reach a running Keycloak (realm-sync)", () => {
  const pod = keycloakPod(platform("examples-aws"));
  const sync = pod.container.find((c: Json) => c.name === "realm-sync");
  const files = configMapData(platform("examples-aws"), "keycloak-realm-sync");
  const realm = JSON.parse(configMapData(platform("examples-aws"), "keycloak-config")["platform-realm.json"]);
  let dir: string;
  beforeAll(() => {
    dir = tempDir("kc-sync-");
  });
  afterAll(() => dir && removeDir(dir));

  /** Runs the pod's script once (its loop stopped by a `sleep` stand-in) against a realm in `state`. */
  function runOnce(state: { realm: boolean; flows: string[]; idps: string[]; clients: string[]; masterUsers: string[] }): { calls: string[]; log: string; applied: boolean } {
    const s = join(dir, `state-${Math.random().toString(36).slice(2)}`);
    const bin = join(s, "bin");
    const mount = join(s, "files");
    mkdirSync(bin, { recursive: true });
    mkdirSync(mount);
    for (const [k, v] of Object.entries(files)) writeFileSync(join(mount, k), v);
    writeFileSync(join(s, "import.json"), JSON.stringify(realm));
    writeFileSync(join(s, "keycloak.conf"), "db-url=x\nbootstrap-admin-client-secret=s3cret\n");
    writeFileSync(join(s, "ca.crt"), "");
    if (state.realm) writeFileSync(join(s, "realm"), "");
    writeFileSync(join(s, "flows"), state.flows.map((a, i) => `old${i},${a}\n`).join(""));
    writeFileSync(join(s, "idps"), state.idps.map((a) => `${a}\n`).join(""));
    writeFileSync(join(s, "clients"), state.clients.map((c, i) => `c${i},${c}\n`).join(""));
    writeFileSync(join(s, "master-users"), state.masterUsers.join("\n"));
    writeFileSync(join(s, "calls"), "");
    writeFileSync(join(bin, "kcadm.sh"), FAKE_KCADM);
    writeFileSync(join(bin, "keytool"), "#!/bin/sh\nexit 0\n");
    writeFileSync(join(bin, "sleep"), `#!/bin/sh\ntouch ${s}/slept; kill -TERM $PPID\n`);
    for (const f of ["kcadm.sh", "keytool", "sleep"]) chmodSync(join(bin, f), 0o755);
    // Only file paths are the test's: the mounts, the secrets file and the scratch directory.
    const script = (sync.command[2] as string)
      .split("/opt/keycloak-realm-sync").join(mount)
      .split("/opt/keycloak/data/import/platform-realm.json").join(join(s, "import.json"))
      .split("/vault/secrets/keycloak.conf").join(join(s, "keycloak.conf"))
      .split("/vault/secrets/ca.crt").join(join(s, "ca.crt"))
      .split("/tmp/realm-sync").join(join(s, "work"));
    const r = run("/bin/bash", ["-c", script], { FAKE_STATE: s, KCADM: join(bin, "kcadm.sh"), KEYTOOL: join(bin, "keytool"), PATH: `${bin}:${process.env.PATH}` }, 30_000);
    if (process.env.DEBUG_SYNC) console.log(r.out, readFileSync(join(s, "calls"), "utf8"));
    return { calls: readFileSync(join(s, "calls"), "utf8").trim().split("\n"), log: r.out, applied: !existsSync(join(s, "work", "failing-since")) && existsSync(join(s, "slept")) };
  }
  const verb = (c: string) => c.split(" ").slice(0, 2).join(" ");

  test("on a realm that exists without the IdP: the IdP is created, flows built, settings and clients updated; users untouched", () => {
    const r = runOnce({ realm: true, flows: ["browser", "direct grant"], idps: [], clients: ["atlas"], masterUsers: ["admin"] });
    expect(r.applied).toBe(true);
    for (const c of r.calls) expect(ADMIN_REST.some((re) => re.test(verb(c))) || c.startsWith("config ")).toBe(true);
    expect(r.calls).toContainEqual(expect.stringMatching(/^create identity-provider\/instances -r platform -f .*idp\.saml\.json/));
    expect(r.calls).toContainEqual(expect.stringMatching(/^update realms\/platform -f .*realm-settings\.json/));
    expect(r.calls).toContainEqual(expect.stringMatching(/^update clients\/c0 -r platform -f .*client\.atlas\.json/));
    expect(r.calls).toContainEqual(expect.stringMatching(new RegExp(`^create authentication/flows -r platform -f .*flow\\.${realm.browserFlow}\\.json`)));
    expect(r.calls).toContainEqual(expect.stringMatching(/executions\/execution -r platform -b \{"provider":"auth-otp-form"\} -i/));
    expect(r.calls).toContainEqual(expect.stringMatching(/^delete users\/u-admin -r master/));
    // The flows exist before the realm points its browserFlow at them.
    expect(r.calls.findIndex((c) => c.startsWith("create authentication/flows "))).toBeLessThan(r.calls.findIndex((c) => c.startsWith("update realms/platform")));
    expect(r.calls.filter((c) => /\busers\b/.test(c) && !c.includes("-r master"))).toEqual([]);
    expect(r.calls.join("\n")).not.toMatch(/OVERWRITE|delete realms/);
  });

  test("on a realm already in the desired state: the IdP is updated in place, nothing recreated; an IdP no longer configured is deleted", () => {
    const r = runOnce({ realm: true, flows: ["browser", realm.browserFlow, `${realm.browserFlow.replace(/-[0-9a-f]{8}$/, "")}-0ld0ld00`], idps: ["saml", "old-idp"], clients: ["atlas"], masterUsers: [] });
    expect(r.applied).toBe(true);
    expect(r.calls).toContainEqual(expect.stringMatching(/^update identity-provider\/instances\/saml -r platform/));
    expect(r.calls).toContainEqual("delete identity-provider/instances/old-idp -r platform --config " + r.calls.find((c) => c.startsWith("delete identity-provider"))!.split("--config ")[1]);
    expect(r.calls.filter((c) => c.startsWith("create authentication/flows"))).toEqual([]);
    expect(r.calls).toContainEqual(expect.stringMatching(/^delete authentication\/flows\/old2 -r platform/));
    expect(r.calls.filter((c) => c.startsWith("create identity-provider"))).toEqual([]);
  });

  test("a realm missing on the running Keycloak is created from the import file; failed rounds are recorded for the liveness probe", () => {
    const r = runOnce({ realm: false, flows: [], idps: [], clients: [], masterUsers: [] });
    // The stand-in creates the realm from the import file, so this run applies; a refused login does not.
    expect(r.calls[r.calls.findIndex((c) => c.startsWith("get realms/platform")) + 1]).toMatch(/^create realms -f .*import\.json/);
    expect(sync.liveness_probe.exec.command.join(" ")).toContain("failing-since");
  });
});
