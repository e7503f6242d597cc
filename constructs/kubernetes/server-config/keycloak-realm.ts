import type AuthenticationFlowRepresentation from "@keycloak/keycloak-admin-client/lib/defs/authenticationFlowRepresentation";
import type IdentityProviderRepresentation from "@keycloak/keycloak-admin-client/lib/defs/identityProviderRepresentation";
import type RealmRepresentation from "@keycloak/keycloak-admin-client/lib/defs/realmRepresentation";
import { readSamlIdpMetadata } from "../../../config/saml-metadata";

/**
 * Keycloak's own representation types, from `@keycloak/keycloak-admin-client` at the version of the
 * deployed image (IMAGES.keycloak, 26.3.3; a test holds the two equal): a misspelt or misplaced realm
 * setting fails the typecheck. Types only; nothing of the package runs.
 */
export type { RealmRepresentation };

/** SAML 2.0 brokering to the customer's IdP (deployment.saml). */
export interface SamlBrokering {
  /** Where Keycloak refreshes the IdP's signing keys from (`useMetadataDescriptorUrl`). */
  readonly idpMetadataUrl: string;
  /** The IdP's metadata document: endpoints and certificates are taken from it (config/saml-metadata.ts). Required (the config schema refuses a SAML section without it). */
  readonly idpMetadata?: string;
  readonly displayName: string;
}

/** Options of the generated Keycloak realm. Every default is the secure one. */
export interface KeycloakRealmOptions {
  /** Realm name. @default "platform" */
  readonly realm?: string;
  /** The public hostname users reach (the entry point), e.g. catalog.example.com. */
  readonly publicHostname: string;
  /** SAML 2.0 identity brokering, when the deployment names an IdP. @default - none: username/password (+ OTP) only */
  readonly saml?: SamlBrokering;
  /** Minimum password length. @default 12 (values below 12 are refused) */
  readonly minPasswordLength?: number;
}

/** The platform's realm (the only one users reach). */
export const PLATFORM_REALM = "platform";
/** The realm role of the platform's administrators: manages the realm (through the internal admin console). */
export const ADMIN_ROLE = "platform-admin";
/** The browser flow: SSO cookie, IdP redirect, or password followed by OTP for every user. */
export const BROWSER_FLOW = "browser-password-otp";
/** The alias of the SAML identity provider in the realm. */
export const SAML_IDP_ALIAS = "saml";
/** The OIDC client Atlas's UI and API authenticate users through. */
export const ATLAS_CLIENT_ID = "atlas";

/** PBKDF2-SHA512 iterations: OWASP's 2023 recommendation for PBKDF2-HMAC-SHA512. */
export const PASSWORD_HASH_ITERATIONS = 210_000;

/**
 * The platform's Keycloak realm as code (`kc.sh import` format): strong password hashing and policy,
 * brute-force detection, a one-time password (TOTP) at every password login for every user, HTTPS
 * required for every request (so every cookie is Secure), hardened browser headers, short sessions,
 * audit events, and optional SAML 2.0 brokering to the customer's IdP with signed assertions.
 *
 * 2FA decision: every user who logs in with a password must use OTP, admins and users alike; a user
 * without an OTP credential is made to enrol (CONFIGURE_TOTP) before getting in. The promise is that
 * 2FA is supported for accessing resources; requiring it for every password login is its secure
 * reading, and a conditional OTP (asked only of some) is what let enrolled users skip it. Users who
 * come through the customer's SAML IdP authenticate there, with the IdP's own second factor.
 */
export function keycloakRealm(options: KeycloakRealmOptions): RealmRepresentation {
  const realm = options.realm ?? PLATFORM_REALM;
  const minLength = options.minPasswordLength ?? 12;
  if (minLength < 12) throw new Error(`Keycloak minPasswordLength ${minLength}: must be at least 12`);
  const origin = `https://${options.publicHostname}`;
  return {
    realm,
    enabled: true,
    // HTTPS for every client, internal ones included; Keycloak then marks every cookie Secure.
    sslRequired: "all",
    registrationAllowed: false,
    resetPasswordAllowed: true,
    duplicateEmailsAllowed: false,
    passwordPolicy: [
      `length(${minLength})`,
      "maxLength(128)",
      "hashAlgorithm(pbkdf2-sha512)",
      `hashIterations(${PASSWORD_HASH_ITERATIONS})`,
      "upperCase(1)",
      "lowerCase(1)",
      "digits(1)",
      "specialChars(1)",
      "notUsername",
      "notEmail",
      "passwordHistory(5)",
    ].join(" and "),
    // Brute-force detection: temporary lockouts growing to 15 minutes, quick-fire logins throttled.
    bruteForceProtected: true,
    permanentLockout: false,
    failureFactor: 5,
    waitIncrementSeconds: 60,
    maxFailureWaitSeconds: 900,
    maxDeltaTimeSeconds: 43_200,
    quickLoginCheckMilliSeconds: 1000,
    minimumQuickLoginWaitSeconds: 60,
    // OTP (TOTP, RFC 6238) with parameters every authenticator app supports.
    otpPolicyType: "totp",
    otpPolicyAlgorithm: "HmacSHA1",
    otpPolicyDigits: 6,
    otpPolicyPeriod: 30,
    otpPolicyLookAheadWindow: 1,
    otpSupportedApplications: ["totpAppGoogleName", "totpAppFreeOTPName", "totpAppMicrosoftAuthenticatorName"],
    requiredActions: [
      { alias: "CONFIGURE_TOTP", name: "Configure OTP", providerId: "CONFIGURE_TOTP", enabled: true, defaultAction: false, priority: 10, config: {} },
      { alias: "UPDATE_PASSWORD", name: "Update Password", providerId: "UPDATE_PASSWORD", enabled: true, defaultAction: false, priority: 30, config: {} },
    ],
    // Sessions and tokens: short-lived access tokens, refresh tokens used once.
    accessTokenLifespan: 300,
    ssoSessionIdleTimeout: 1800,
    ssoSessionMaxLifespan: 36_000,
    revokeRefreshToken: true,
    refreshTokenMaxReuse: 0,
    browserSecurityHeaders: {
      strictTransportSecurity: "max-age=31536000; includeSubDomains",
      contentSecurityPolicy: "frame-src 'self'; frame-ancestors 'self'; object-src 'none';",
      xFrameOptions: "SAMEORIGIN",
      xContentTypeOptions: "nosniff",
      xRobotsTag: "none",
      referrerPolicy: "no-referrer",
    },
    eventsEnabled: true,
    adminEventsEnabled: true,
    adminEventsDetailsEnabled: true,
    roles: {
      realm: [
        {
          name: ADMIN_ROLE,
          description: "Administers the platform realm (users, groups, the IdP) through the internal admin console.",
          composite: true,
          composites: { client: { "realm-management": ["realm-admin"] } },
        },
        { name: "platform-user", description: "Uses the catalog." },
      ],
    },
    groups: [
      { name: "admins", path: "/admins", realmRoles: [ADMIN_ROLE] },
      { name: "users", path: "/users", realmRoles: ["platform-user"] },
    ],
    defaultRoles: ["platform-user"],
    clients: [
      {
        clientId: ATLAS_CLIENT_ID,
        name: "Apache Atlas",
        enabled: true,
        protocol: "openid-connect",
        // A public client with PKCE: no client secret exists to leak.
        publicClient: true,
        standardFlowEnabled: true,
        implicitFlowEnabled: false,
        directAccessGrantsEnabled: false,
        serviceAccountsEnabled: false,
        redirectUris: [`${origin}/*`],
        webOrigins: [origin],
        attributes: { "pkce.code.challenge.method": "S256", "post.logout.redirect.uris": `${origin}/*` },
      },
    ],
    browserFlow: BROWSER_FLOW,
    authenticationFlows: browserFlows(),
    identityProviders: options.saml ? [samlIdentityProvider(options.saml)] : [],
  };
}

/**
 * The browser flow: an SSO cookie, or the IdP redirect, or username + password and then OTP, both
 * REQUIRED. `auth-otp-form` requires a user and is "configured for" a user with an OTP credential; a
 * REQUIRED execution not configured for the user, whose factory allows user setup, adds its required
 * action (CONFIGURE_TOTP) instead of failing (DefaultAuthenticationFlow.processSingleFlowExecutionModel,
 * OTPFormAuthenticator, keycloak 26.x). So: enrolled users are always asked, others enrol first.
 */
function browserFlows(): AuthenticationFlowRepresentation[] {
  const forms = `${BROWSER_FLOW}-forms`;
  return [
    {
      alias: BROWSER_FLOW,
      description: "Browser login: SSO cookie, IdP redirect, or password followed by OTP (every user).",
      providerId: "basic-flow",
      topLevel: true,
      builtIn: false,
      authenticationExecutions: [
        { authenticator: "auth-cookie", requirement: "ALTERNATIVE", priority: 10, autheticatorFlow: false, userSetupAllowed: false },
        { authenticator: "identity-provider-redirector", requirement: "ALTERNATIVE", priority: 20, autheticatorFlow: false, userSetupAllowed: false },
        { flowAlias: forms, requirement: "ALTERNATIVE", priority: 30, autheticatorFlow: true, userSetupAllowed: false },
      ],
    },
    {
      alias: forms,
      description: "Username and password, then a one-time password.",
      providerId: "basic-flow",
      topLevel: false,
      builtIn: false,
      authenticationExecutions: [
        { authenticator: "auth-username-password-form", requirement: "REQUIRED", priority: 10, autheticatorFlow: false, userSetupAllowed: false },
        { authenticator: "auth-otp-form", requirement: "REQUIRED", priority: 20, autheticatorFlow: false, userSetupAllowed: false },
      ],
    },
  ];
}

/** NameID formats Keycloak can map to a stable user (SUBJECT principal); transient cannot (SAMLIdentityProviderConfig.validate). */
const PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
const TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

/**
 * The SAML identity provider with every endpoint its metadata gives, as Keycloak's own metadata import
 * fills them (config/saml-metadata.ts), plus the platform's stricter choices: signatures on responses and
 * assertions always validated and AuthnRequests always signed.
 */
function samlIdentityProvider(saml: SamlBrokering): IdentityProviderRepresentation {
  if (saml.idpMetadata === undefined) throw new Error("SAML brokering needs the IdP's metadata (saml.idpMetadata)");
  const idp = readSamlIdpMetadata(saml.idpMetadata);
  const nameIdFormat = idp.nameIdFormats.length === 0 || idp.nameIdFormats.includes(PERSISTENT) ? PERSISTENT : idp.nameIdFormats.find((f) => f !== TRANSIENT) ?? PERSISTENT;
  return {
    alias: SAML_IDP_ALIAS,
    displayName: saml.displayName,
    providerId: "saml",
    enabled: true,
    trustEmail: false,
    storeToken: false,
    firstBrokerLoginFlowAlias: "first broker login",
    config: {
      idpEntityId: idp.entityId,
      singleSignOnServiceUrl: idp.singleSignOnServiceUrl,
      postBindingAuthnRequest: String(idp.postBinding),
      postBindingResponse: String(idp.postBinding),
      ...(idp.singleLogoutServiceUrl ? { singleLogoutServiceUrl: idp.singleLogoutServiceUrl, postBindingLogout: String(idp.postBindingLogout) } : {}),
      signingCertificate: idp.signingCertificates.join(","),
      ...(idp.encryptionCertificate ? { encryptionPublicKey: idp.encryptionCertificate } : {}),
      // The IdP's signing keys are refreshed from its metadata URL when it rotates them.
      useMetadataDescriptorUrl: "true",
      metadataDescriptorUrl: saml.idpMetadataUrl,
      validateSignature: "true",
      wantAssertionsSigned: "true",
      wantAuthnRequestsSigned: "true",
      signatureAlgorithm: "RSA_SHA256",
      nameIDPolicyFormat: nameIdFormat,
      principalType: "SUBJECT",
      syncMode: "IMPORT",
    },
  };
}
