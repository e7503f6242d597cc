import { readFileSync } from "node:fs";
import * as path from "node:path";
import { FLOW_LOG_KEY_FACTS } from "../../constructs/azure/vnet-flow-log";
import { outputDir, synthesizedStacks } from "../support/deployments";

// The one Azure account whose keys work: the flow-log account. A documented exception (docs/azure.md,
// FLOW_LOG_KEY_FACTS), held here against the synthesized stack and the pinned provider binding.

type Block = Record<string, unknown>;
const cloud = Object.entries(synthesizedStacks("examples-azure")).find(([id]) => id.endsWith("-azure"))![1] as { resource: Record<string, Record<string, Block>> };
const accounts = cloud.resource.azurerm_storage_account;
const [flowLogId, flowLog] = Object.entries(accounts).find(([id]) => id.startsWith("FlowLogStorage_"))!;

test("the exception exists because the pinned provider cannot give the flow log an identity (it fails the day it can)", () => {
  // The binding is generated from azurerm 4.55's schema: no identity block on the flow log.
  const binding = readFileSync(path.join(__dirname, "../../node_modules/@cdktf/provider-azurerm/lib/network-watcher-flow-log/index.d.ts"), "utf8");
  expect(binding).not.toMatch(/identity/i);
  expect(FLOW_LOG_KEY_FACTS.noIdentityArgument.source).toMatch(/v4\.55\.0 .*network_watcher_flow_log_resource\.go/);
  const flowLogs = Object.values(cloud.resource.azurerm_network_watcher_flow_log);
  expect(flowLogs.map((f) => f.storage_account_id)).toEqual([`\${azurerm_storage_account.${flowLogId}.id}`]);
});

test("only the flow-log account has usable keys, and its firewall admits no network: trusted Azure services only", () => {
  const withKeys = Object.entries(accounts).filter(([, a]) => a.shared_access_key_enabled !== false).map(([id]) => id);
  expect(withKeys).toEqual([flowLogId]);
  expect(flowLog.network_rules).toEqual({ default_action: "Deny", bypass: ["AzureServices"], ip_rules: [], virtual_network_subnet_ids: [] });
  // It receives flow logs only: no container of ours, no grant to anyone.
  expect(Object.values(cloud.resource.azurerm_storage_container ?? {}).filter((c) => String(c.storage_account_id).includes(flowLogId))).toEqual([]);
  expect(Object.values(cloud.resource.azurerm_role_assignment).filter((r) => String(r.scope).includes(flowLogId))).toEqual([]);
});

test("the policy excuses exactly that account from AZ-5, with the reason written", () => {
  const report = JSON.parse(readFileSync(path.join(outputDir("examples-azure"), "policy-report.json"), "utf8")) as { findings: { ruleId: string; status: string; path: string; reason?: string }[] };
  const az5 = report.findings.filter((f) => f.ruleId === "AZ-5" && f.status === "suppressed");
  expect(az5.map((f) => f.path)).toEqual([expect.stringMatching(/-azure\/FlowLogStorage\/Resource$/)]);
  expect(az5[0].reason).toMatch(/#30219/);
});
