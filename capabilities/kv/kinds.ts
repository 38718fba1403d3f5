import {
  ChunkStream,
  createRegistry,
  type KindRegistry,
  type NodeContext,
  type NodeKind,
} from "../../kernel/index.ts";
import { type BindingShape, binding, checkAborted, hasMethods } from "../binding.ts";
import { platformError } from "../codes.ts";
import { describe, inputError, optionalInteger, optionalString, stringInput } from "../inputs.ts";
import {
  KIND_KV_DELETE,
  KIND_KV_GET,
  KIND_KV_LIST,
  KIND_KV_PUT,
  KV_KIND_SPECS,
  KV_LIMITS,
} from "./declaration.ts";

/** The run-time half of KV: each kind reads its namespace lazily from `env[config.binding]`. */

export const KV_SHAPE: BindingShape<KVNamespace> = {
  label: "KV namespace",
  section: "kv_namespaces",
  is: (value): value is KVNamespace => hasMethods(value, "get", "getWithMetadata", "put", "delete", "list"),
};

const spec = (name: string) => KV_KIND_SPECS[name]!;
const encoder = new TextEncoder();

const key = (ctx: NodeContext): string => stringInput(ctx, "key", KV_LIMITS.keyBytes);

const failed = (ctx: NodeContext, op: string, cause: unknown, k?: string) =>
  platformError("KV_FAILED", `${op} on \`${String(ctx.config.binding)}\``, cause, {
    binding: ctx.config.binding,
    ...(k === undefined ? {} : { key: k }),
  });

export const kvGetKind: NodeKind = {
  spec: spec(KIND_KV_GET),
  run: async (ctx) => {
    const kv = binding(ctx, KV_SHAPE);
    const k = key(ctx);
    const type = (ctx.config.type as "text" | "json" | "arrayBuffer" | "stream" | undefined) ?? "text";
    const cacheTtl = ctx.config.cacheTtl as number | undefined;
    checkAborted(ctx);
    let result: KVNamespaceGetWithMetadataResult<unknown, unknown>;
    try {
      result = await kv.getWithMetadata(
        k,
        // One call for every type: the overloads only differ in the value's static type.
        { type, ...(cacheTtl === undefined ? {} : { cacheTtl }) } as KVNamespaceGetOptions<"text">,
      );
    } catch (error) {
      throw failed(ctx, "kv.get", error, k);
    }
    const value = result.value instanceof ArrayBuffer ? new Uint8Array(result.value) : result.value;
    return { out: value ?? null, metadata: result.metadata ?? null };
  },
};

/** The value to store: strings, bytes and streams as they are, anything else as JSON. */
function putValue(ctx: NodeContext): string | ArrayBuffer | ArrayBufferView | ReadableStream {
  const raw = ctx.inputs.value;
  if (raw === undefined) throw inputError(ctx, "value", `must be given, got ${describe(raw)}`);
  if (raw instanceof ReadableStream) return raw;
  if (raw instanceof ChunkStream) return raw.toReadableStream() as ReadableStream;
  const value =
    typeof raw === "string" || raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)
      ? raw
      : JSON.stringify(raw);
  const size = typeof value === "string" ? encoder.encode(value).byteLength : value.byteLength;
  if (size > KV_LIMITS.valueBytes)
    throw inputError(ctx, "value", `is ${size} bytes; KV's limit is ${KV_LIMITS.valueBytes} (25 MiB)`);
  return value;
}

export const kvPutKind: NodeKind = {
  spec: spec(KIND_KV_PUT),
  run: async (ctx) => {
    const kv = binding(ctx, KV_SHAPE);
    const k = key(ctx);
    const value = putValue(ctx);
    const options: KVNamespacePutOptions = {};
    const ttl =
      optionalInteger(ctx, "expirationTtl", KV_LIMITS.minExpirationTtl) ??
      (ctx.config.expirationTtl as number | undefined);
    if (ttl !== undefined) options.expirationTtl = ttl;
    const metadata = ctx.inputs.metadata;
    if (metadata !== undefined && metadata !== null) {
      const size = encoder.encode(JSON.stringify(metadata)).byteLength;
      if (size > KV_LIMITS.metadataBytes)
        throw inputError(
          ctx,
          "metadata",
          `is ${size} bytes as JSON; KV's limit is ${KV_LIMITS.metadataBytes}`,
        );
      options.metadata = metadata;
    }
    checkAborted(ctx);
    try {
      await kv.put(k, value, options);
    } catch (error) {
      throw failed(ctx, "kv.put", error, k);
    }
    return { out: k };
  },
};

export const kvDeleteKind: NodeKind = {
  spec: spec(KIND_KV_DELETE),
  run: async (ctx) => {
    const kv = binding(ctx, KV_SHAPE);
    const k = key(ctx);
    checkAborted(ctx);
    try {
      await kv.delete(k);
    } catch (error) {
      throw failed(ctx, "kv.delete", error, k);
    }
    return { out: k };
  },
};

export const kvListKind: NodeKind = {
  spec: spec(KIND_KV_LIST),
  run: async (ctx) => {
    const kv = binding(ctx, KV_SHAPE);
    const prefix = optionalString(ctx, "prefix");
    const cursor = optionalString(ctx, "cursor");
    const limit = optionalInteger(ctx, "limit", 1, KV_LIMITS.listLimit);
    checkAborted(ctx);
    let page: KVNamespaceListResult<unknown, string>;
    try {
      page = await kv.list({
        ...(prefix === undefined ? {} : { prefix }),
        ...(cursor === undefined ? {} : { cursor }),
        ...(limit === undefined ? {} : { limit }),
      });
    } catch (error) {
      throw failed(ctx, "kv.list", error);
    }
    const keys = page.keys.map((k) => ({
      name: k.name,
      ...(k.expiration === undefined ? {} : { expiration: k.expiration }),
      ...(k.metadata === undefined ? {} : { metadata: k.metadata }),
    }));
    const next = page.list_complete ? null : page.cursor;
    return { out: keys, cursor: next, complete: page.list_complete };
  },
};

/** The KV kinds, keyed by kind name. */
export const KV_KINDS: KindRegistry = createRegistry(kvGetKind, kvPutKind, kvDeleteKind, kvListKind);
