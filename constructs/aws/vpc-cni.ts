import { Construct } from "constructs";
import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { VPC_CNI_NETWORK_POLICY_FACTS } from "./eks-facts";

/** Props of {@link VpcCni}. */
export interface VpcCniProps {
  /** The cluster (a token of the cluster resource). */
  readonly clusterName: string;
}

/**
 * The `vpc-cni` EKS add-on with its network policy agent on (`enableNetworkPolicy`), so the cluster enforces
 * NetworkPolicy: without it EKS accepts NetworkPolicy objects and enforces none. It takes over the
 * self-managed CNI EKS installs at creation (conflicts resolved by overwriting), and node groups depend on
 * it, so every node starts with the agent (VPC_CNI_NETWORK_POLICY_FACTS). The CNI keeps the node role's
 * AmazonEKS_CNI_Policy.
 */
export class VpcCni extends Construct {
  readonly resource: EksAddon;

  constructor(scope: Construct, id: string, props: VpcCniProps) {
    super(scope, id);
    this.resource = new EksAddon(this, "Resource", {
      clusterName: props.clusterName,
      addonName: "vpc-cni",
      configurationValues: JSON.stringify(VPC_CNI_NETWORK_POLICY_FACTS.configuration.value),
      // The configuration is ours: EKS must apply it over whatever the self-managed install had.
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
    });
  }
}
