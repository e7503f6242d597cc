import { Construct } from "constructs";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import type { MountedCertificate } from "../../platform/platform-foundation";
import { AZURE_KEY_VAULT_ID } from "../../config/schema";
import type { Fact } from "./azure-facts";
import { privateEndpoint, type PrivateEndpointPlacement, type PrivateZone } from "./private-link";
import { WorkloadIdentity, type ServiceAccountRef } from "./workload-identity";

const PROVIDER_REPO = "https://github.com/Azure/secrets-store-csi-driver-provider-azure/blob/d5f7cf5b598c2eede99ad3683de0ba10f7a8736b";

/**
 * What the entry point relies on from AKS's Azure Key Vault provider for the Secrets Store CSI driver (the
 * `key_vault_secrets_provider` add-on) to serve a customer's Key Vault certificate. Nothing of it runs here: the
 * synthesized SecretProviderClass and pod are held against these (__tests__/azure/key-vault-certificate.test.ts),
 * and the real nginx is fed the file layout they describe (__tests__/platform/entry-point-key-vault.test.ts).
 */
export const KEY_VAULT_CSI_FACTS = {
  /** The SecretProviderClass the volume names: same namespace as the pod, provider `azure`. */
  providerClass: {
    value: { apiVersion: "secrets-store.csi.x-k8s.io/v1", kind: "SecretProviderClass", provider: "azure" },
    source: "https://azure.github.io/secrets-store-csi-driver-provider-azure/docs/configurations/identity-access-modes/workload-identity-mode/ (example); 'The SecretProviderClass has to be in the same namespace as the pod referencing it' (.../docs/getting-started/usage)",
  },
  /** The parameter names the provider reads (workload identity: clientID, no pod identity, no VM identity). */
  parameters: {
    value: { keyvaultName: "keyvaultName", tenantId: "tenantId", clientID: "clientID", objects: "objects", usePodIdentity: "usePodIdentity", useVMManagedIdentity: "useVMManagedIdentity" },
    source: `${PROVIDER_REPO}/pkg/provider/types/types.go (KeyVaultNameParameter, TenantIDParameter, ClientIDParameter, ObjectsParameter, UsePodIdentityParameter, UseVMManagedIdentityParameter)`,
  },
  /** objectType `secret` on a certificate's name returns the private key and the whole chain in one file. */
  secretObjectOfCertificate: {
    value: { objectType: "secret", contents: "private key, then certificate chain", chainOrder: "leaf, intermediates, root" },
    source:
      `${PROVIDER_REPO}/website/content/en/configurations/getting-certs-and-keys.md ('How to obtain the private key and certificate': objectType secret, ` +
      "'the private key and certificate in PEM format', 'returns entire certificate chain along with the private key'); " +
      `${PROVIDER_REPO}/pkg/provider/provider.go getSecret/decodePKCS12 (a PKCS#12 certificate becomes PKCS#8 'PRIVATE KEY' blocks followed by the ` +
      "CERTIFICATE blocks; cmd/main.go --construct-pem-chain defaults to true: SERVER, INTERMEDIATE, ROOT); a PEM certificate is written as stored",
  },
  /** Separate .crt/.key files exist only behind a provider flag that is off by default: rely on the single file. */
  separateFilesOffByDefault: {
    value: true,
    source: `${PROVIDER_REPO}/cmd/main.go (--write-cert-and-key-in-separate-files, default false)`,
  },
  /** The file is named by objectAlias when set, else objectName. */
  fileName: {
    value: "objectAlias, else objectName",
    source: `${PROVIDER_REPO}/pkg/provider/types/parameters.go KeyVaultObject.GetFileName`,
  },
  /** The CSI volume: this driver, read-only, the class named by volumeAttributes.secretProviderClass. */
  volume: {
    value: { driver: "secrets-store.csi.k8s.io", readOnly: true, classAttribute: "secretProviderClass" },
    source: "https://learn.microsoft.com/azure/aks/csi-secrets-store-driver (pod example: csi.driver secrets-store.csi.k8s.io, readOnly true, volumeAttributes.secretProviderClass)",
  },
  /** The driver writes the files with Kubernetes' atomic writer: `<file> -> ..data/<file>`, an update swaps `..data`. */
  atomicWrites: {
    value: true,
    source: "https://github.com/kubernetes-sigs/secrets-store-csi-driver/blob/main/pkg/util/fileutil/writer.go (WritePayloads: NewAtomicWriter(path, \"secrets-store-csi-driver\"))",
  },
  /** With rotation on, the mount is refreshed by polling; the driver never restarts the pod (the app reloads). */
  rotation: {
    value: { defaultInterval: "2m", restartsPods: false },
    source:
      "https://learn.microsoft.com/azure/aks/csi-secrets-store-configuration-options ('The default rotation poll interval is two minutes'); " +
      `${PROVIDER_REPO}/website/content/en/configurations/enable-auto-rotation-secrets.md ('The CSI driver does not restart the application pods')`,
  },
  /** Key Vault RBAC roles can be assigned on one secret: `<vault id>/secrets/<name>`. A certificate's key+chain is its secret. */
  secretScopedRole: {
    value: { role: "Key Vault Secrets User", scope: "{vaultId}/secrets/{name}" },
    source:
      "https://learn.microsoft.com/azure/key-vault/general/rbac-guide ('Key Vault Secrets User: Read secret contents'; 'Secret scope role assignment'); " +
      "https://learn.microsoft.com/azure/key-vault/certificates/about-certificates ('When a Key Vault certificate is created, an addressable key and secret are also created with the same name')",
  },
} as const satisfies Record<string, Fact<unknown>>;

/** The add-on's rotation poll interval, written out (the documented default). */
export const CERTIFICATE_ROTATION_INTERVAL = KEY_VAULT_CSI_FACTS.rotation.value.defaultInterval;

/** The one file the mount holds: the PEM private key followed by the certificate chain. */
export const KEY_VAULT_CERTIFICATE_FILE = "tls.pem";

/** Props of {@link KeyVaultCertificate}. */
export interface KeyVaultCertificateProps {
  /** Deployment name (names the identity and the endpoint). */
  readonly name: string;
  readonly location: string;
  /** Where the identity lives (the cluster's group). */
  readonly identityResourceGroupName: string;
  readonly tenantId: string;
  /** The customer's vault (resource id) and the certificate in it. */
  readonly keyVaultId: string;
  readonly certificateName: string;
  /** The cluster's OIDC issuer. */
  readonly issuerUrl: string;
  /** The entry point's service account: the only subject that may act as the identity. */
  readonly subject: ServiceAccountRef;
  /** Where the vault's private endpoint goes (the deployment's other endpoints' subnet, VNet and group). */
  readonly endpoints: PrivateEndpointPlacement;
  /** The VNet's privatelink.vaultcore.azure.net zone (already linked). */
  readonly vaultDnsZone: PrivateZone;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A customer's Key Vault certificate served by the entry point without its key passing through Terraform: a
 * workload identity federated with the entry point's service account only, granted Key Vault Secrets User on that
 * certificate's secret only, and a private endpoint for the vault in the cluster's network (the VNet's
 * privatelink.vaultcore.azure.net zone answers every vault name there, so a vault without a record in it would not
 * resolve). `mount` is what the entry point needs: the SecretProviderClass and the file it produces.
 */
export class KeyVaultCertificate extends Construct {
  readonly identity: WorkloadIdentity;
  readonly mount: MountedCertificate;

  constructor(scope: Construct, id: string, props: KeyVaultCertificateProps) {
    super(scope, id);
    const vaultName = AZURE_KEY_VAULT_ID.exec(props.keyVaultId)?.[3];
    if (!vaultName) throw new Error(`domain.certificate.keyVaultId '${props.keyVaultId}' is not a Key Vault resource id`);
    this.identity = new WorkloadIdentity(this, "Identity", {
      name: `${props.name}-entry-point`,
      location: props.location,
      resourceGroupName: props.identityResourceGroupName,
      issuerUrl: props.issuerUrl,
      subjects: [props.subject],
      ...(props.tags ? { tags: props.tags } : {}),
    });
    const role = KEY_VAULT_CSI_FACTS.secretScopedRole.value;
    new RoleAssignment(this, "SecretGrant", {
      scope: role.scope.replace("{vaultId}", props.keyVaultId).replace("{name}", props.certificateName),
      roleDefinitionName: role.role,
      principalId: this.identity.principalId,
      principalType: "ServicePrincipal",
    });
    privateEndpoint(this, "Endpoint", props.endpoints, {
      name: `${props.name}-certificate-vault`,
      targetResourceId: props.keyVaultId,
      service: "vault",
      dnsZone: props.vaultDnsZone,
    });

    const facts = KEY_VAULT_CSI_FACTS;
    const p = facts.parameters.value;
    const className = "entry-point-certificate";
    // The provider parses `objects` as YAML: an `array` of YAML documents, one per object.
    const objects = [
      "array:",
      "  - |",
      `    objectName: ${props.certificateName}`,
      `    objectType: ${facts.secretObjectOfCertificate.value.objectType}`,
      `    objectAlias: ${KEY_VAULT_CERTIFICATE_FILE}`,
      "",
    ].join("\n");
    this.mount = {
      providerClass: {
        apiVersion: facts.providerClass.value.apiVersion,
        kind: facts.providerClass.value.kind,
        name: className,
        spec: {
          provider: facts.providerClass.value.provider,
          parameters: {
            [p.usePodIdentity]: "false",
            [p.useVMManagedIdentity]: "false",
            [p.clientID]: this.identity.resource.clientId,
            [p.keyvaultName]: vaultName,
            [p.tenantId]: props.tenantId,
            [p.objects]: objects,
          },
        },
      },
      csi: { driver: facts.volume.value.driver, readOnly: facts.volume.value.readOnly, volumeAttributes: { [facts.volume.value.classAttribute]: className } },
      certificateFile: KEY_VAULT_CERTIFICATE_FILE,
      keyFile: KEY_VAULT_CERTIFICATE_FILE,
      serviceAccountAnnotations: { "azure.workload.identity/client-id": this.identity.resource.clientId },
    };
  }
}
