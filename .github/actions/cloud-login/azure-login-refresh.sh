#!/usr/bin/env bash
# Keeps the Azure CLI login of a GitHub Actions job valid for as long as the job runs.
#
# kubelogin (the Kubernetes provider's exec plugin: `kubelogin get-token --login azurecli`) takes its tokens
# from the Azure CLI. A CLI login made with a GitHub OIDC token cannot renew itself: the GitHub token lives
# about 10 minutes and the CLI's access token about an hour (Azure/azure-cli#28708, Azure/login#180), shorter
# than a first rollout. Every <interval> seconds this asks GitHub for a fresh token (audience
# api://AzureADTokenExchange) and logs the CLI in again with it. Nothing is printed; no token is written.
#
# Usage: azure-login-refresh.sh [interval-seconds (default 1800)] [rounds (default 0: until the job ends)]
# Environment: AZURE_CLIENT, AZURE_TENANT, AZURE_SUBSCRIPTION, and GitHub's ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN.
set -uo pipefail
interval="${1:-1800}"
rounds="${2:-0}"
n=0
while [ "$rounds" = 0 ] || [ "$n" -lt "$rounds" ]; do
  sleep "$interval"
  n=$((n + 1))
  jwt="$(curl -sSf -H "Authorization: bearer ${ACTIONS_ID_TOKEN_REQUEST_TOKEN}" "${ACTIONS_ID_TOKEN_REQUEST_URL}&audience=api://AzureADTokenExchange" | jq -r '.value // empty')" || continue
  [ -n "$jwt" ] || continue
  az login --service-principal --username "$AZURE_CLIENT" --tenant "$AZURE_TENANT" --federated-token "$jwt" --allow-no-subscriptions --output none >/dev/null 2>&1 &&
    az account set --subscription "$AZURE_SUBSCRIPTION" --output none >/dev/null 2>&1
done
