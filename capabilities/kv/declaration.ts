import type { JsonSchema, KindCatalog, NodeKindSpec } from "../../flows/kinds/spec.ts";
import { KV_CODES } from "../codes.ts";
import { bindingsOf } from "../declaration.ts";
import { defineCapability } from "../define.ts";

/**
 * Workers KV: the pure half (kind specs and the wrangler bindings). Config is static (which binding, how to
 * read); inputs are the per-run values (keys, values, metadata, cursors).
 */

export const KIND_KV_GET = "kv.get";
export const KIND_KV_PUT = "kv.put";
export const KIND_KV_DELETE = "kv.delete";
export const KIND_KV_LIST = "kv.list";

/** KV limits (https://developers.cloudflare.com/kv/platform/limits/). */
export const KV_LIMITS = Object.freeze({
  keyBytes: 512,
  valueBytes: 25 * 1024 * 1024,
  metadataBytes: 1024,
  listLimit: 1000,
  minExpirationTtl: 60,
  minCacheTtl: 30,
});

const BINDING: JsonSchema = {
  type: "string",
  pattern: "^[A-Z][A-Z0-9_]*$",
  description: "The kv binding to use; may be left out when the flow declares exactly one.",
};

const get: NodeKindSpec = {
  kind: KIND_KV_GET,
  description:
    "Reads input `key` from a KV namespace. `out` is the value (null when the key is missing) read as `config.type` (`text` by default, `json`, `arrayBuffer` as bytes, or `stream`); `metadata` is the key's metadata (null when none). `config.cacheTtl` (≥ 30 s) sets edge caching of the read.",
  effect: "read",
  determinism: "stable",
  inputs: { key: { required: true, description: "Key, at most 512 bytes." } },
  outputs: { out: {}, metadata: {} },
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      binding: BINDING,
      type: { enum: ["text", "json", "arrayBuffer", "stream"] },
      cacheTtl: { type: "integer", minimum: KV_LIMITS.minCacheTtl },
    },
  },
  needs: ["kv"],
  defaultTimeout: "10s",
};

const put: NodeKindSpec = {
  kind: KIND_KV_PUT,
  description:
    "Writes input `value` under input `key`: a string, bytes or a stream as is, anything else as JSON. Input `metadata` (an object, at most 1024 bytes as JSON) is stored with it. The entry expires after input `expirationTtl` seconds (≥ 60), else `config.expirationTtl`, else never. `out` is the key.",
  effect: "write",
  determinism: "best_effort",
  inputs: {
    key: { required: true, description: "Key, at most 512 bytes." },
    value: { required: true, description: "At most 25 MiB." },
    metadata: {},
    expirationTtl: { description: "Seconds until the entry expires; overrides config.expirationTtl." },
  },
  outputs: { out: {} },
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      binding: BINDING,
      expirationTtl: { type: "integer", minimum: KV_LIMITS.minExpirationTtl },
    },
  },
  needs: ["kv"],
  defaultTimeout: "10s",
};

const del: NodeKindSpec = {
  kind: KIND_KV_DELETE,
  description: "Deletes input `key` (deleting a missing key is not an error). `out` is the key.",
  effect: "write",
  determinism: "best_effort",
  inputs: { key: { required: true } },
  outputs: { out: {} },
  configSchema: { type: "object", additionalProperties: false, properties: { binding: BINDING } },
  needs: ["kv"],
  defaultTimeout: "10s",
};

const list: NodeKindSpec = {
  kind: KIND_KV_LIST,
  description:
    "Lists keys in order, filtered by input `prefix`, at most input `limit` (1–1000, default 1000) per page. `out` is the page's keys as `{ name, expiration?, metadata? }`; `cursor` is the cursor of the next page (null on the last one; pass it back as input `cursor`); `complete` is true on the last page.",
  effect: "read",
  determinism: "stable",
  inputs: { prefix: {}, cursor: {}, limit: {} },
  outputs: { out: {}, cursor: {}, complete: {} },
  configSchema: { type: "object", additionalProperties: false, properties: { binding: BINDING } },
  needs: ["kv"],
  defaultTimeout: "10s",
};

/** The KV kinds' specs, keyed by kind name. */
export const KV_KIND_SPECS: KindCatalog = Object.freeze({
  [KIND_KV_GET]: get,
  [KIND_KV_PUT]: put,
  [KIND_KV_DELETE]: del,
  [KIND_KV_LIST]: list,
});

/** A placeholder namespace id from the binding name (`FLOW_KV` → `flow-kv`); set the real id to deploy. */
export const placeholderId = (binding: string): string => binding.toLowerCase().replaceAll("_", "-");

/**
 * KV as a capability: kinds `kv.*` on `kv` bindings; wrangler `kv_namespaces` entries, one per binding.
 * @example KV_DECLARATION.wrangler({ FLOW_KV: { type: "kv" } }) // { kv_namespaces: [{ binding: "FLOW_KV", id: "flow-kv" }] }
 */
export const KV_DECLARATION = defineCapability({
  name: "kv",
  codes: KV_CODES,
  runtime: { module: "flows-runtime/capabilities/kv/kinds", export: "KV_KINDS" },
  bindingType: "kv",
  kinds: KV_KIND_SPECS,
  wrangler: (bindings) => {
    const entries = bindingsOf(bindings, "kv").map(([binding]) => ({ binding, id: placeholderId(binding) }));
    return entries.length > 0 ? { kv_namespaces: entries } : {};
  },
});
