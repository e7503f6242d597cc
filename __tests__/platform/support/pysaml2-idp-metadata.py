# A real SAML 2.0 IdP implementation (PySAML2, Debian python3-pysaml2) writes the metadata of an IdP
# with the endpoints given: argv = base URL, key file, certificate file. Used by keycloak.test.ts.
import sys
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, BINDING_SOAP
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_EMAILADDRESS
base = sys.argv[1]
conf = {
  "entityid": base + "/idp/metadata",
  "key_file": sys.argv[2], "cert_file": sys.argv[3],
  "service": {"idp": {
    "endpoints": {
      "single_sign_on_service": [(base + "/sso/redirect", BINDING_HTTP_REDIRECT), (base + "/sso/post", BINDING_HTTP_POST)],
      "single_logout_service": [(base + "/slo/redirect", BINDING_HTTP_REDIRECT), (base + "/slo/post", BINDING_HTTP_POST)],
      "artifact_resolution_service": [(base + "/ars", BINDING_SOAP)],
    },
    "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_EMAILADDRESS],
    "want_authn_requests_signed": True,
  }},
}
c = IdPConfig(); c.load(conf)
sys.stdout.write(create_metadata_string(None, c, 4, None, None, None, None, None).decode())
