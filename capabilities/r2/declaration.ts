import type { JsonSchema, KindCatalog, NodeKindSpec } from "../../flows/kinds/spec.ts";
import { R2_CODES } from "../codes.ts";
import { bindingsOf } from "../declaration.ts";
import { defineCapability } from "../define.ts";

/**
 * R2: the pure half (kind specs and the wrangler bindings). Config is static (which binding, how to read);
 * inputs are per-run values (keys, bodies, ranges, conditions, cursors).
 */

export const KIND_R2_GET = "r2.get";
export const KIND_R2_HEAD = "r2.head";
export const KIND_R2_PUT = "r2.put";
export const KIND_R2_DELETE = "r2.delete";
export const KIND_R2_LIST = "r2.list";
export const KIND_R2_MULTIPART_CREATE = "r2.multipart.create";
export const KIND_R2_MULTIPART_UPLOAD_PART = "r2.multipart.uploadPart";
export const KIND_R2_MULTIPART_COMPLETE = "r2.multipart.complete";
export const KIND_R2_MULTIPART_ABORT = "r2.multipart.abort";

/** R2 limits (https://developers.cloudflare.com/r2/platform/limits/). */
export const R2_LIMITS = Object.freeze({
  keyBytes: 1024,
  /** Every part of a multipart upload but the last is at least 5 MiB (and all of them the same size). */
  minPartBytes: 5 * 1024 * 1024,
  maxParts: 10_000,
  listLimit: 1000,
  deleteBatch: 1000,
});

const BINDING: JsonSchema = {
  type: "string",
  pattern: "^[A-Z][A-Z0-9_]*$",
  description: "The r2 binding to use; may be left out when the flow declares exactly one.",
};
/** A fresh object per kind: ajv's standalone output breaks when two kinds share one schema object. */
const bindingOnly = (): JsonSchema => ({
  type: "object",
  additionalProperties: false,
  properties: { binding: BINDING },
});

/** `object` outputs: `{ key, size, etag, httpEtag, uploaded, version, httpMetadata, customMetadata, range? }`. */
const OBJECT =
  "`{ key, size, etag, httpEtag, uploaded (ISO time), version, httpMetadata, customMetadata, range? }`";
const ONLY_IF =
  "Input `onlyIf` is `{ etagMatches?, etagDoesNotMatch?, uploadedBefore?, uploadedAfter? }` (times as ISO strings).";
const common = { needs: ["r2"], defaultTimeout: "30s" } as const;

const get: NodeKindSpec = {
  kind: KIND_R2_GET,
  description: `Reads object input \`key\`. \`out\` is its body as \`config.type\`: \`stream\` (default; passed on chunk by chunk, never buffered by the kind; answered as it is, a whole object's body keeps its \`content-length\`), \`text\`, \`json\` or \`arrayBuffer\` (bytes). \`object\` is ${OBJECT}. \`status\` is \`ok\`, \`missing\` (out and object null) or \`precondition_failed\` (out null, object set). Input \`range\` is \`{ offset?, length? }\` or \`{ suffix }\`. ${ONLY_IF}`,
  effect: "read",
  determinism: "stable",
  inputs: { key: { required: true }, range: {}, onlyIf: {} },
  outputs: {
    out: { bytes: true, streamWhen: { field: "type", values: ["stream"], byDefault: true } },
    object: {},
    status: {},
  },
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: { binding: BINDING, type: { enum: ["stream", "text", "json", "arrayBuffer"] } },
  },
  ...common,
};

const head: NodeKindSpec = {
  kind: KIND_R2_HEAD,
  description: `Reads the metadata of object input \`key\`: \`out\` is ${OBJECT}, or null when it is missing.`,
  effect: "read",
  determinism: "stable",
  inputs: { key: { required: true } },
  outputs: { out: {} },
  configSchema: bindingOnly(),
  ...common,
};

const put: NodeKindSpec = {
  kind: KIND_R2_PUT,
  description: `Writes input \`body\` (a string, bytes, a stream, or anything else as JSON) to object input \`key\`. A stream is never buffered whole: with its length known (input \`size\`, or a \`body: stream\` request body that came with a \`content-length\`) it is sent in one request through a FixedLengthStream; without it, it is uploaded in ${R2_LIMITS.minPartBytes / 1024 / 1024} MiB multipart parts (one part in memory at a time). Inputs \`contentType\`, \`httpMetadata\` and \`customMetadata\` are stored with it. ${ONLY_IF} \`out\` is ${OBJECT} (null when a condition failed); \`status\` is \`ok\` or \`precondition_failed\`.`,
  effect: "write",
  determinism: "best_effort",
  inputs: {
    key: { required: true },
    body: { required: true },
    size: {
      description:
        "Byte length of a stream body (a request body with a content-length brings its own); a numeric string (a header value) is accepted.",
    },
    contentType: {},
    httpMetadata: {},
    customMetadata: {},
    onlyIf: {},
  },
  outputs: { out: {}, status: {} },
  configSchema: bindingOnly(),
  ...common,
  defaultTimeout: "5m",
};

const del: NodeKindSpec = {
  kind: KIND_R2_DELETE,
  description: `Deletes input \`key\`: one key or a list of up to ${R2_LIMITS.deleteBatch} (missing keys are not an error). \`out\` is the list of keys.`,
  effect: "write",
  determinism: "best_effort",
  inputs: { key: { required: true } },
  outputs: { out: {} },
  configSchema: bindingOnly(),
  ...common,
};

const list: NodeKindSpec = {
  kind: KIND_R2_LIST,
  description: `Lists objects in key order, filtered by input \`prefix\`, after input \`startAfter\`, at most input \`limit\` (1–1000) per page. With input \`delimiter\` (e.g. \`/\`), keys are grouped: \`prefixes\` lists the "folders". \`out\` is the page's objects as ${OBJECT} (with metadata when \`config.include\` asks for it); \`cursor\` is the next page's cursor (null on the last one); \`complete\` is true on the last page.`,
  effect: "read",
  determinism: "stable",
  inputs: { prefix: {}, cursor: {}, limit: {}, delimiter: {}, startAfter: {} },
  outputs: { out: {}, prefixes: {}, cursor: {}, complete: {} },
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      binding: BINDING,
      include: { type: "array", items: { enum: ["httpMetadata", "customMetadata"] }, uniqueItems: true },
    },
  },
  ...common,
};

const mpCreate: NodeKindSpec = {
  kind: KIND_R2_MULTIPART_CREATE,
  description:
    "Starts a multipart upload of object input `key` (with inputs `contentType`, `httpMetadata`, `customMetadata`). `out` is the upload id; `key` the key.",
  effect: "write",
  determinism: "best_effort",
  inputs: { key: { required: true }, contentType: {}, httpMetadata: {}, customMetadata: {} },
  outputs: { out: {}, key: {} },
  configSchema: bindingOnly(),
  ...common,
};

const mpUpload: NodeKindSpec = {
  kind: KIND_R2_MULTIPART_UPLOAD_PART,
  description: `Uploads part input \`partNumber\` (1–${R2_LIMITS.maxParts}) of upload \`uploadId\` of \`key\`: input \`body\` (string, bytes or a stream with input \`size\`). Every part but the last must be at least 5 MiB, and all of them the same size. \`out\` is \`{ partNumber, etag }\` for \`r2.multipart.complete\`.`,
  effect: "write",
  determinism: "best_effort",
  inputs: {
    key: { required: true },
    uploadId: { required: true },
    partNumber: { required: true },
    body: { required: true },
    size: {},
  },
  outputs: { out: {} },
  configSchema: bindingOnly(),
  ...common,
  defaultTimeout: "2m",
};

const mpComplete: NodeKindSpec = {
  kind: KIND_R2_MULTIPART_COMPLETE,
  description: `Completes upload \`uploadId\` of \`key\` from input \`parts\` (the list of \`{ partNumber, etag }\` from \`r2.multipart.uploadPart\`). \`out\` is ${OBJECT}.`,
  effect: "write",
  determinism: "best_effort",
  inputs: { key: { required: true }, uploadId: { required: true }, parts: { required: true } },
  outputs: { out: {} },
  configSchema: bindingOnly(),
  ...common,
};

const mpAbort: NodeKindSpec = {
  kind: KIND_R2_MULTIPART_ABORT,
  description: "Aborts upload `uploadId` of `key`, dropping its parts. `out` is true.",
  effect: "write",
  determinism: "best_effort",
  inputs: { key: { required: true }, uploadId: { required: true } },
  outputs: { out: {} },
  configSchema: bindingOnly(),
  ...common,
};

/** The R2 kinds' specs, keyed by kind name. */
export const R2_KIND_SPECS: KindCatalog = Object.freeze({
  [KIND_R2_GET]: get,
  [KIND_R2_HEAD]: head,
  [KIND_R2_PUT]: put,
  [KIND_R2_DELETE]: del,
  [KIND_R2_LIST]: list,
  [KIND_R2_MULTIPART_CREATE]: mpCreate,
  [KIND_R2_MULTIPART_UPLOAD_PART]: mpUpload,
  [KIND_R2_MULTIPART_COMPLETE]: mpComplete,
  [KIND_R2_MULTIPART_ABORT]: mpAbort,
});

/**
 * R2 as a capability: kinds `r2.*` on `r2` bindings; wrangler `r2_buckets` entries, one per binding.
 * @example R2_DECLARATION.wrangler({ FILES: { type: "r2", bucket: "files" } }) // { r2_buckets: [{ binding: "FILES", bucket_name: "files" }] }
 */
export const R2_DECLARATION = defineCapability({
  name: "r2",
  codes: R2_CODES,
  runtime: { module: "flows-runtime/capabilities/r2/kinds", export: "R2_KINDS" },
  bindingType: "r2",
  kinds: R2_KIND_SPECS,
  wrangler: (bindings) => {
    const entries = bindingsOf(bindings, "r2").map(([binding, decl]) => ({
      binding,
      bucket_name: decl.bucket,
    }));
    return entries.length > 0 ? { r2_buckets: entries } : {};
  },
});
