/** Options of the generated Keycloak realm. Every default is the secure one. */
export interface KeycloakRealmOptions {
  /** Realm name. @default "platform" */
  readonly realm?: string;
  /** The public hostname users reach (the entry point), e.g. catalog.example.com. */
  readonly publicHostname: string;
  /** SAML 2.0 identity brokering, when the deployment names an IdP. @default - none: username/password (+ OTP) only */
  readonly saml?: { readonly idpMetadataUrl: string; readonly displayName: string };
  /** Minimum password length. @default 12 (values below 12 are refused) */
  readonly minPasswordLength?: number;
}

/** The realm role whose holders must use OTP at every login. */
export const ADMIN_ROLE = "platform-admin";
/** The OIDC client Atlas's UI and API authenticate users through. */
export const ATLAS_CLIENT_ID = "atlas";

/** PBKDF2-SHA512 iterations: OWASP's 2023 recommendation for PBKDF2-HMAC-SHA512. */
export const PASSWORD_HASH_ITERATIONS = 210_000;

/**
 * The platform's Keycloak realm as code (`kc.sh import` format): strong password hashing and policy,
 * brute-force detection, OTP available to everyone and forced for admins, HTTPS required for every
 * request (so every cookie is Secure), hardened browser headers, short sessions, audit events, and
 * optional SAML 2.0 brokering to the customer's IdP with signed assertions.
 */
export function keycloakRealm(options: KeycloakRealmOptions): Record<string, unknown> {
  const realm = options.realm ?? "platform";
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
        { name: ADMIN_ROLE, description: "Administers the platform; OTP is required at every login." },
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
    browserFlow: "browser-otp-for-admins",
    authenticationFlows: [
      {
        alias: "browser-otp-for-admins",
        description: "Browser login: SSO cookie, IdP redirect, or password + OTP (forced for admins, optional for others).",
        providerId: "basic-flow",
        topLevel: true,
        builtIn: false,
        authenticationExecutions: [
          { authenticator: "auth-cookie", requirement: "ALTERNATIVE", priority: 10, authenticatorFlow: false, userSetupAllowed: false },
          { authenticator: "identity-provider-redirector", requirement: "ALTERNATIVE", priority: 20, authenticatorFlow: false, userSetupAllowed: false },
          { flowAlias: "password-and-otp", requirement: "ALTERNATIVE", priority: 30, authenticatorFlow: true, userSetupAllowed: false },
        ],
      },
      {
        alias: "password-and-otp",
        description: "Username and password, then OTP.",
        providerId: "basic-flow",
        topLevel: false,
        builtIn: false,
        authenticationExecutions: [
          { authenticator: "auth-username-password-form", requirement: "REQUIRED", priority: 10, authenticatorFlow: false, userSetupAllowed: false },
          {
            authenticator: "auth-conditional-otp-form",
            authenticatorConfig: "otp-for-admins",
            requirement: "REQUIRED",
            priority: 20,
            authenticatorFlow: false,
            // An admin without OTP is made to configure it (CONFIGURE_TOTP) before getting in.
            userSetupAllowed: true,
          },
        ],
      },
    ],
    authenticatorConfig: [
      {
        alias: "otp-for-admins",
        // Admins always; anyone who configured OTP is asked for it; others skip.
        config: { forceOtpRole: ADMIN_ROLE, otpControlAttribute: "", defaultOtpOutcome: "skip" },
      },
    ],
    identityProviders: options.saml ? [samlIdentityProvider(options.saml)] : [],
  };
}

function samlIdentityProvider(saml: NonNullable<KeycloakRealmOptions["saml"]>): Record<string, unknown> {
  return {
    alias: "saml",
    displayName: saml.displayName,
    providerId: "saml",
    enabled: true,
    trustEmail: false,
    storeToken: false,
    firstBrokerLoginFlowAlias: "first broker login",
    config: {
      // Keycloak reads (and refreshes) the IdP's endpoints and signing keys from its metadata.
      useMetadataDescriptorUrl: "true",
      metadataDescriptorUrl: saml.idpMetadataUrl,
      validateSignature: "true",
      wantAssertionsSigned: "true",
      wantAuthnRequestsSigned: "true",
      signatureAlgorithm: "RSA_SHA256",
      postBindingResponse: "true",
      postBindingAuthnRequest: "true",
      nameIDPolicyFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
      principalType: "SUBJECT",
      syncMode: "IMPORT",
    },
  };
}
