import { Construct } from "constructs";
import { Fn, Op, ref, Token } from "cdktf";
import { DataGoogleComputeNetwork } from "@cdktf/provider-google/lib/data-google-compute-network";
import { DataGoogleComputeSubnetwork } from "@cdktf/provider-google/lib/data-google-compute-subnetwork";

/**
 * A postcondition's condition: an expression (a token), since literal strings are escaped for Terraform
 * (lib/terraform-text.ts). Never a falsy literal operand (`""`, `0`, `false`): cdktf 0.21's `Op` renders
 * it as `undefined` (measured; __tests__/support/postconditions.ts evaluates every condition with terraform).
 */
const check = (expression: unknown) => Token.asAny(expression);

/** Props of {@link ExistingNetwork}. */
export interface ExistingNetworkProps {
  /** The project owning the network: the Shared VPC host project, or the deployment's own. */
  readonly projectId: string;
  readonly region: string;
  /** Name of the VPC network. */
  readonly network: string;
  /** Name of the subnetwork in `region`. */
  readonly subnetwork: string;
  /** The subnetwork's primary range (network.cidr). */
  readonly nodeCidr: string;
  /** Its secondary range for pods, by name and range (network.podCidr). */
  readonly podsRange: { readonly name: string; readonly cidr: string };
  /** Its secondary range for Services, by name and range (network.serviceCidr). */
  readonly servicesRange: { readonly name: string; readonly cidr: string };
  /**
   * The network's Private Service Connect NAT subnetwork (gcp.existingNetwork.pscNatSubnetwork, gcp.pscNatCidr).
   * @default - none read
   */
  readonly pscNat?: { readonly name: string; readonly cidr: string };
  /**
   * The network's proxy-only subnetwork (gcp.existingNetwork.proxyOnlySubnetwork, gcp.proxyOnlyCidr).
   * @default - none read
   */
  readonly proxyOnly?: { readonly name: string; readonly cidr: string };
}

/**
 * A VPC network and subnetwork the customer already has (their own, or a Shared VPC host project's),
 * read, never managed: no network, subnetwork, router or NAT is created. What the config states about it
 * is checked by the data sources' postconditions, so a plan against a subnetwork that differs fails with the
 * field to fix: its primary range, both secondary ranges by name and range (GKE's VPC-native cluster takes
 * pods and Services from them), and Private Google Access (private nodes reach Google APIs without NAT).
 */
export class ExistingNetwork extends Construct {
  readonly vpc: DataGoogleComputeNetwork;
  readonly subnet: DataGoogleComputeSubnetwork;
  /** The Private Service Connect NAT subnetwork, when `pscNat` is given. */
  readonly pscNat?: DataGoogleComputeSubnetwork;
  /** The proxy-only subnetwork, when `proxyOnly` is given. */
  readonly proxyOnly?: DataGoogleComputeSubnetwork;

  constructor(scope: Construct, id: string, props: ExistingNetworkProps) {
    super(scope, id);
    const field = "gcp.existingNetwork";
    this.vpc = new DataGoogleComputeNetwork(this, "Resource", { name: props.network, project: props.projectId });
    this.subnet = new DataGoogleComputeSubnetwork(this, "Nodes", {
      name: props.subnetwork,
      project: props.projectId,
      region: props.region,
      lifecycle: {
        postcondition: [
          {
            condition: check(Op.eq(ref("self.ip_cidr_range"), props.nodeCidr)),
            errorMessage: `${field}.subnetwork ${props.subnetwork}: its primary range is not network.cidr (${props.nodeCidr}); set network.cidr to the subnetwork's range`,
          },
          {
            condition: check(ref("self.private_ip_google_access")),
            errorMessage: `${field}.subnetwork ${props.subnetwork}: Private Google Access is off; private nodes need it (gcloud compute networks subnets update ${props.subnetwork} --region=${props.region} --enable-private-ip-google-access)`,
          },
          ...[
            { range: props.podsRange, key: "podsRangeName", cidrField: "network.podCidr" },
            { range: props.servicesRange, key: "servicesRangeName", cidrField: "network.serviceCidr" },
          ].map(({ range, key, cidrField }) => ({
            condition: check(Fn.contains(ref('[for r in self.secondary_ip_range : format("%s=%s", r.range_name, r.ip_cidr_range)]'), `${range.name}=${range.cidr}`)),
            errorMessage: `${field}.${key}: the subnetwork has no secondary range ${range.name} of ${range.cidr} (${cidrField}); add it, or state the range it has`,
          })),
        ],
      },
    });

    // The NAT subnetwork of the entry point's service attachment: in this network and of the stated range. Its
    // purpose (PRIVATE_SERVICE_CONNECT) is not an attribute of the google 6.50.0 data source; GKE refuses a subnet
    // of another purpose when it creates the attachment (docs/deployment-guide.md, Private access).
    if (props.pscNat) this.pscNat = this.subnetworkOfRange("PscNat", props, props.pscNat, { field: `${field}.pscNatSubnetwork`, rangeField: "gcp.pscNatCidr", what: "the Private Service Connect subnetwork" });

    // The proxy-only subnetwork of the Gateway's regional load balancer: in this network, of the stated range. Its
    // purpose and role (REGIONAL_MANAGED_PROXY, ACTIVE) are not attributes of the google 6.50.0 data source; GKE's
    // Gateway stays unprogrammed without an active one (docs/deployment-guide.md, Certificates from Certificate Manager).
    if (props.proxyOnly) this.proxyOnly = this.subnetworkOfRange("ProxyOnly", props, props.proxyOnly, { field: `${field}.proxyOnlySubnetwork`, rangeField: "gcp.proxyOnlyCidr", what: "the proxy-only subnetwork" });
  }

  /** A named subnetwork of a special purpose, checked at plan to be in this network and of the range the config states. */
  private subnetworkOfRange(
    id: string,
    props: { readonly projectId: string; readonly region: string; readonly network: string },
    subnet: { readonly name: string; readonly cidr: string },
    names: { readonly field: string; readonly rangeField: string; readonly what: string },
  ): DataGoogleComputeSubnetwork {
    return new DataGoogleComputeSubnetwork(this, id, {
      name: subnet.name,
      project: props.projectId,
      region: props.region,
      lifecycle: {
        postcondition: [
          {
            condition: check(Op.eq(ref("self.ip_cidr_range"), subnet.cidr)),
            errorMessage: `${names.field} ${subnet.name}: its range is not ${names.rangeField} (${subnet.cidr}); set ${names.rangeField} to the subnetwork's range`,
          },
          {
            condition: check(Fn.endswith(Token.asString(ref("self.network")), `/projects/${props.projectId}/global/networks/${props.network}`)),
            errorMessage: `${names.field} ${subnet.name}: it is not in the network ${props.network}; name ${names.what} of that network`,
          },
        ],
      },
    });
  }
}
