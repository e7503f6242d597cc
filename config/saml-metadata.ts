import { DOMParser, onErrorStopParsing, type Element } from "@xmldom/xmldom";

/**
 * The endpoints and keys of a SAML 2.0 identity provider, read from its metadata document
 * (OASIS SAML 2.0 Metadata, saml-metadata-2.0-os) the way Keycloak reads them when an administrator
 * imports IdP metadata, so the realm carries them from the first start.
 *
 * Why at synth time: Keycloak's SAML broker sends the login request to `singleSignOnServiceUrl`
 * (SAMLIdentityProvider.performLogin: `destination(getConfig().getSingleSignOnServiceUrl())`); the
 * metadata URL (`useMetadataDescriptorUrl`) is used only to locate and refresh the IdP's signing keys
 * (SAMLEndpoint.getIDPKeyLocator, SAMLIdentityProvider.reloadKeys). A realm imported with the metadata URL
 * alone therefore sends users to a null destination. (keycloak/keycloak, services/src/main/java/org/keycloak/
 * broker/saml/, release 26.x.)
 *
 * Selection rules are Keycloak's own (SAMLIdentityProviderFactory.parseConfig, keycloak 26.x):
 * - SingleSignOnService: the first HTTP-POST endpoint, else the last HTTP-Redirect one; POST also sets
 *   `postBindingResponse` and `postBindingAuthnRequest`.
 * - SingleLogoutService: the same, setting `postBindingLogout`.
 * - KeyDescriptor use="signing" certificates are the signing certificates; a KeyDescriptor without `use`
 *   is used for signing only when no signing one exists, and for encryption when no encryption one exists.
 * - `idpEntityId` is the EntityDescriptor's entityID; `WantAuthnRequestsSigned` is the IdP's wish.
 */
export interface SamlIdpMetadata {
  readonly entityId: string;
  readonly singleSignOnServiceUrl: string;
  /** The SSO endpoint takes HTTP-POST (else HTTP-Redirect). */
  readonly postBinding: boolean;
  readonly singleLogoutServiceUrl?: string;
  readonly postBindingLogout: boolean;
  /** Base64 DER of each signing certificate (whitespace removed). */
  readonly signingCertificates: readonly string[];
  readonly encryptionCertificate?: string;
  readonly nameIdFormats: readonly string[];
  readonly wantAuthnRequestsSigned: boolean;
  /** `validUntil` of the EntityDescriptor, if any (ISO 8601). */
  readonly validUntil?: string;
}

const MD = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS = "http://www.w3.org/2000/09/xmldsig#";
const PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol";
/** Binding URIs (saml-bindings-2.0-os, section 3). */
export const SAML_BINDINGS = {
  post: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
  redirect: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
} as const;

/** A metadata document that cannot serve: the messages say what is wrong and what to do. */
export class SamlMetadataError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("; "));
    this.name = "SamlMetadataError";
  }
}

function children(parent: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === n.ELEMENT_NODE) {
      const e = n as Element;
      if (e.namespaceURI === ns && e.localName === local) out.push(e);
    }
  }
  return out;
}

function descendants(parent: Element, ns: string, local: string): Element[] {
  return Array.from(parent.getElementsByTagNameNS(ns, local));
}

/** Keycloak's endpoint choice: the first POST endpoint wins; otherwise the last Redirect one. */
function pickEndpoint(endpoints: readonly Element[]): { url?: string; post: boolean } {
  let url: string | undefined;
  for (const e of endpoints) {
    const binding = e.getAttribute("Binding");
    if (binding === SAML_BINDINGS.post) return { url: e.getAttribute("Location") ?? undefined, post: true };
    if (binding === SAML_BINDINGS.redirect) url = e.getAttribute("Location") ?? undefined;
  }
  return { url, post: false };
}

const base64 = (text: string) => text.replace(/\s+/g, "");

/**
 * Reads an IdP's SAML 2.0 metadata document. Throws SamlMetadataError (never a parser stack trace) when
 * the text is not XML, holds no single identity provider, or lacks what a login needs: an HTTPS
 * single sign-on endpoint with the POST or Redirect binding, and a signing certificate.
 */
export function readSamlIdpMetadata(xml: string): SamlIdpMetadata {
  let root: Element | null;
  try {
    root = new DOMParser({ onError: onErrorStopParsing }).parseFromString(xml, "text/xml").documentElement;
  } catch (e) {
    throw new SamlMetadataError([`not well-formed XML (${String((e as Error).message).split("\n")[0]})`]);
  }
  if (!root || root.namespaceURI !== MD || !["EntityDescriptor", "EntitiesDescriptor"].includes(root.localName ?? "")) {
    throw new SamlMetadataError([`not SAML 2.0 metadata: the document element must be md:EntityDescriptor (namespace ${MD}), got ${root?.tagName ?? "nothing"}`]);
  }
  const entities = root.localName === "EntityDescriptor" ? [root] : descendants(root, MD, "EntityDescriptor");
  const idps = entities.filter((e) => children(e, MD, "IDPSSODescriptor").some((d) => (d.getAttribute("protocolSupportEnumeration") ?? "").split(/\s+/).includes(PROTOCOL)));
  if (idps.length !== 1) {
    throw new SamlMetadataError([
      idps.length === 0
        ? "holds no SAML 2.0 identity provider (an IDPSSODescriptor whose protocolSupportEnumeration lists urn:oasis:names:tc:SAML:2.0:protocol)"
        : `holds ${idps.length} identity providers (${idps.map((e) => e.getAttribute("entityID")).join(", ")}): give the metadata of the one to use`,
    ]);
  }
  const entity = idps[0];
  const idp = children(entity, MD, "IDPSSODescriptor").find((d) => (d.getAttribute("protocolSupportEnumeration") ?? "").split(/\s+/).includes(PROTOCOL))!;
  const problems: string[] = [];

  const entityId = entity.getAttribute("entityID") ?? "";
  if (!entityId) problems.push("the EntityDescriptor has no entityID");
  const sso = pickEndpoint(children(idp, MD, "SingleSignOnService"));
  if (!sso.url) problems.push("no SingleSignOnService with the HTTP-POST or HTTP-Redirect binding");
  const slo = pickEndpoint(children(idp, MD, "SingleLogoutService"));

  const signing: string[] = [];
  let encryption: string | undefined;
  let unspecified: string | undefined;
  for (const kd of children(idp, MD, "KeyDescriptor")) {
    const cert = descendants(kd, DS, "X509Certificate")[0];
    if (!cert) continue;
    const value = base64(cert.textContent ?? "");
    const use = kd.getAttribute("use");
    if (use === "signing") signing.push(value);
    else if (use === "encryption") encryption = value;
    else if (!use) unspecified = value;
  }
  if (unspecified !== undefined) {
    if (signing.length === 0) signing.push(unspecified);
    encryption ??= unspecified;
  }
  if (signing.length === 0) problems.push("no signing certificate (KeyDescriptor with ds:X509Certificate): Keycloak could not verify the IdP's signatures");
  for (const [what, url] of [["SingleSignOnService", sso.url], ["SingleLogoutService", slo.url]] as const) {
    if (url !== undefined && !/^https:\/\/[^\s/]+/.test(url)) problems.push(`${what} ${url} is not an https:// URL (the realm requires TLS for every request)`);
  }
  if (problems.length) throw new SamlMetadataError(problems);

  const validUntil = entity.getAttribute("validUntil") || undefined;
  return {
    entityId,
    singleSignOnServiceUrl: sso.url!,
    postBinding: sso.post,
    ...(slo.url ? { singleLogoutServiceUrl: slo.url } : {}),
    postBindingLogout: slo.post,
    signingCertificates: signing,
    ...(encryption ? { encryptionCertificate: encryption } : {}),
    nameIdFormats: children(idp, MD, "NameIDFormat").map((n) => (n.textContent ?? "").trim()),
    wantAuthnRequestsSigned: idp.getAttribute("WantAuthnRequestsSigned") === "true",
    ...(validUntil ? { validUntil } : {}),
  };
}
