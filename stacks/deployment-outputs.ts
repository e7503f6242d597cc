import { Fn, TerraformOutput, type TerraformStack } from "cdktf";
import type { Deployment } from "../config/schema";
import type { DeploymentStacks } from "./deployment";

/**
 * What a user (and CI) needs after a deploy, as stack outputs: where the platform is, how to reach the
 * cluster and Vault, and what to do next. `npm run deploy` prints them at the end (scripts/deploy.ts);
 * CI reads them with `terraform output -json`. None is sensitive: names, public URLs and commands that
 * use the operator's own login; no address of a data store, no credential.
 */
export const OUTPUT_NAMES = {
  cloud: ["cluster_name", "kubeconfig_command"],
  vault: ["vault_address", "vault_port_forward_command", "next_step"],
  platform: ["entry_point_url", "entry_point_address", "next_step"],
} as const;

/** Adds the outputs of OUTPUT_NAMES to the stacks of one deployment. */
export function addDeploymentOutputs(stacks: DeploymentStacks, d: Deployment): void {
  const cluster = stacks.cloud.foundation.cluster;
  output(stacks.cloud, "cluster_name", cluster.name, "The Kubernetes cluster's name.");
  output(stacks.cloud, "kubeconfig_command", Fn.join("", kubeconfigCommand(d, cluster.name)), "Writes a kubeconfig entry that logs in with your cloud identity (no static credential).");

  const vault = stacks.vault.server.workload;
  const ns = vault.resource.metadata.namespace;
  output(stacks.vault, "vault_address", Fn.join("", ["https://", vault.service.metadata.name, ".", ns, ".svc:8200"]), "Vault's address inside the cluster (TLS); from a workstation, use the port-forward command.");
  output(stacks.vault, "vault_port_forward_command", Fn.join("", ["kubectl -n ", ns, " port-forward svc/", vault.service.metadata.name, " 8200:8200"]), "Reaches Vault at https://127.0.0.1:8200 from a workstation.");
  output(stacks.vault, "next_step", "Initialise Vault once (docs/vault.md), then set VAULT_ADDR and VAULT_TOKEN and deploy the vault-config and platform stacks.", "What to do after this stack.");

  const entry = stacks.platform.entryPoint.workload.service;
  output(stacks.platform, "entry_point_url", `https://${d.domain.name}`, "Where users reach the platform, once domain.name points at entry_point_address.");
  // The load balancer's hostname (AWS) or IP (Azure, GCP), as Kubernetes reports it on the Service.
  const ingress = entry.status.get(0).loadBalancer.get(0).ingress.get(0);
  // AWS reports a hostname and an empty ip, Azure and GCP an ip and an empty hostname: the first non-empty one.
  // Behind a cloud application load balancer (GKE Gateway) the Service is a ClusterIP: the address is the one reserved for it.
  const proxiedAddress = stacks.cloud.foundation.loadBalancer.proxied?.address;
  output(stacks.platform, "entry_point_address", proxiedAddress ?? Fn.try([Fn.coalesce([ingress.hostname, ingress.ip]), "pending (the load balancer is being created)"]), "Point domain.name at this address (CNAME for a hostname, A record for an IP).");
  output(stacks.platform, "next_step", `Point ${d.domain.name} at entry_point_address, then open https://${d.domain.name} (first administrator: docs/vault.md).`, "What to do now.");
}

function output(scope: TerraformStack, id: string, value: string, description: string): void {
  new TerraformOutput(scope, id, { value, description, sensitive: false });
}

function kubeconfigCommand(d: Deployment, name: string): string[] {
  switch (d.cloud) {
    case "aws":
      return ["aws eks update-kubeconfig --region ", d.region, " --name ", name];
    case "azure":
      return ["az aks get-credentials --resource-group ", `${d.name}-cluster`, " --name ", name, " && kubelogin convert-kubeconfig -l azurecli"];
    case "gcp":
      return ["gcloud container clusters get-credentials ", name, " --region ", d.region, " --project ", d.gcp.projectId];
  }
}
