import { AZURE_DELEGATION_FACTS } from "./azure-grant-condition";

const STORAGE_DOCS = "https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-attributes";
const BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs";

/**
 * How Azure ABAC constrains blob data actions, and what terraform's azurerm backend calls on a stack's state blob:
 * facts, with their sources, that the deploy identities' state role assignments rely on.
 */
export const AZURE_BLOB_CONDITION_FACTS = {
  /**
   * The data actions of the two built-in roles (Storage Blob Data Contributor: read, write, delete, add/action,
   * move/action; Storage Blob Data Reader: read), each with the attributes a condition may test on it. Reading splits
   * into two suboperations: `Blob.List` (request attribute Blob prefix, no Blob path) and `NOT Blob.List` (resource
   * attribute Blob path).
   */
  actions: {
    value: {
      [`${BLOBS}/read`]: { list: { request: ["prefix"], resource: [] }, other: { request: [], resource: ["path"] } },
      [`${BLOBS}/write`]: { other: { request: [], resource: ["path"] } },
      [`${BLOBS}/delete`]: { other: { request: [], resource: ["path"] } },
      [`${BLOBS}/add/action`]: { other: { request: [], resource: ["path"] } },
      [`${BLOBS}/move/action`]: { other: { request: [], resource: ["path"] } },
    } as Readonly<Record<string, { list?: { request: readonly string[]; resource: readonly string[] }; other: { request: readonly string[]; resource: readonly string[] } }>>,
    source:
      `${STORAGE_DOCS} (Azure Blob Storage actions and suboperations: List blobs = blobs/read with Blob.List, request attribute Blob prefix; ` +
      "Read a blob = blobs/read NOT Blob.List, Write to a blob = blobs/write, Delete a blob = blobs/delete, Create a blob = blobs/add/action, " +
      "Rename = blobs/move/action, each with resource attribute Blob path); " +
      "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage (the roles' DataActions)",
  },
  /** The two attributes, their type and the operator used here (case-sensitive string equality). */
  attributes: {
    value: {
      path: { attribute: `${BLOBS}:path`, source: "Resource", operators: ["StringEquals"] },
      prefix: { attribute: `${BLOBS}:prefix`, source: "Request", operators: ["StringEquals"] },
    },
    source:
      `${STORAGE_DOCS} (Blob path: Resource, String, without the container name or a leading '/'; Blob prefix: Request, String); ` +
      "https://learn.microsoft.com/azure/role-based-access-control/conditions-format (StringEquals: case-sensitive match; " +
      "SubOperationMatches; an expression on an attribute the request lacks is false)",
  },
  /**
   * What the azurerm backend does with a stack's blob `<key>` (hashicorp/terraform internal/backend/remote-state/azure,
   * v1.11): client.go Get (Get Blob), Put (Get Blob Properties, Put Block Blob), Lock (Get Blob Properties, Put Block
   * Blob when absent, Lease Blob acquire, Set Blob Metadata), Unlock (Get Blob Properties, Set Blob Metadata, Lease Blob
   * release), Delete (Delete Blob); backend_state.go Workspaces lists blobs with prefix `<key>env:` (keyEnvPrefix), and
   * other workspaces' blobs are `<key>env:<name>` (unused here: every stack uses the default workspace). Get Blob and
   * Get Blob Properties are blob reads; Put Block Blob, Set Blob Metadata and Lease Blob blob writes
   * (https://learn.microsoft.com/rest/api/storageservices/lease-blob, set-blob-metadata, put-blob: Permissions sections;
   * the lease's action was not confirmed from a stored copy of that page here). Whichever of the role's data actions an
   * operation needs, the condition admits it on exactly these blobs: it constrains every data action of the role by path.
   */
  backend: { workspacePrefixSuffix: "env:", source: "hashicorp/terraform v1.11 internal/backend/remote-state/azure/backend_state.go (keyEnvPrefix, Workspaces), client.go" },
  /** Conditions are version 2.0. */
  conditionVersion: { value: "2.0", source: "https://learn.microsoft.com/rest/api/authorization/role-assignments/create (properties.conditionVersion: 'Currently the only accepted value is 2.0')" },
} as const;

/** The built-in role of each deploy identity on the state container: the apply identity writes state, the plan identity reads it (its plans run with -lock=false). */
export const STATE_CONTAINER_ROLES = { apply: "Storage Blob Data Contributor", plan: "Storage Blob Data Reader" } as const;

const quote = (s: string) => {
  if (s.includes("'")) throw new Error(`a state blob name cannot contain a single quote (${s}): the role assignment condition could not name it`);
  return `'${s}'`;
};
const anyOf = (attribute: string, values: readonly string[]) => `(${values.map((v) => `${attribute} StringEquals ${quote(v)}`).join(" OR ")})`;

/**
 * The ABAC condition (version 2.0) of a deploy identity's role assignment on the state container: every blob data
 * action of the role (`actions`, from AZURE_BLOB_CONDITION_FACTS) reaches only the given blobs (Blob path, exact and
 * case-sensitive), and listing only the backend's workspace listing of those blobs (Blob prefix `<blob>env:`). Any
 * other blob in the container, another deployment's state included, is out of reach.
 */
export function stateBlobsCondition(blobs: readonly string[], actions: readonly string[]): string {
  if (!blobs.length) throw new Error("the state condition needs at least one blob");
  const facts = AZURE_BLOB_CONDITION_FACTS.actions.value;
  for (const a of actions) if (!facts[a]) throw new Error(`data action ${a} has no condition facts in AZURE_BLOB_CONDITION_FACTS`);
  const { path, prefix } = AZURE_BLOB_CONDITION_FACTS.attributes.value;
  const read = `${BLOBS}/read`;
  const targets = actions.map((a) => (a === read ? `!(ActionMatches{'${a}'} AND NOT SubOperationMatches{'Blob.List'})` : `!(ActionMatches{'${a}'})`));
  const onBlobs = `((${targets.join(" AND ")}) OR ${anyOf(`@Resource[${path.attribute}]`, blobs)})`;
  if (!actions.includes(read)) return onBlobs;
  const lists = `((!(ActionMatches{'${read}'} AND SubOperationMatches{'Blob.List'})) OR ${anyOf(`@Request[${prefix.attribute}]`, blobs.map((b) => b + AZURE_BLOB_CONDITION_FACTS.backend.workspacePrefixSuffix))})`;
  const condition = `${onBlobs} AND ${lists}`;
  const max = AZURE_DELEGATION_FACTS.maxConditionBytes.value;
  if (Buffer.byteLength(condition) > max) throw new Error(`the state condition is ${Buffer.byteLength(condition)} bytes; Azure accepts at most ${max} (shorten state.keyPrefix)`);
  return condition;
}

/** The data actions of each role, for the condition (the roles' DataActions, AZURE_BLOB_CONDITION_FACTS.actions.source). */
export const STATE_ROLE_DATA_ACTIONS = {
  apply: [`${BLOBS}/read`, `${BLOBS}/write`, `${BLOBS}/delete`, `${BLOBS}/add/action`, `${BLOBS}/move/action`],
  plan: [`${BLOBS}/read`],
} as const;
