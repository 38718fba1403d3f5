import {
  abortable,
  type NodeContext,
  type NodeKind,
  NonRetriableError,
  withByteLength,
} from "../../kernel/index.ts";
import { binding, checkAborted } from "../binding.ts";
import { describe, inputError, optionalInteger, optionalString } from "../inputs.ts";
import { bodyInput, bodySize, fixedLength, parts } from "./body.ts";
import {
  KIND_R2_DELETE,
  KIND_R2_GET,
  KIND_R2_HEAD,
  KIND_R2_LIST,
  KIND_R2_PUT,
  R2_KIND_SPECS,
  R2_LIMITS,
} from "./declaration.ts";
import {
  metadataInputs,
  objectInfo,
  objectKey,
  onlyIfInput,
  R2_SHAPE,
  r2Failed,
  rangeInput,
} from "./shape.ts";

const spec = (name: string) => R2_KIND_SPECS[name]!;

async function readBody(
  ctx: NodeContext,
  object: R2ObjectBody,
  key: string,
  whole: boolean,
): Promise<unknown> {
  const type = (ctx.config.type as string | undefined) ?? "stream";
  // The whole object's body is `size` long (an answer made of it says its content-length); a range's is not.
  if (type === "stream") return whole ? withByteLength(object.body, object.size) : object.body;
  if (type === "arrayBuffer") return new Uint8Array(await object.arrayBuffer());
  const text = await object.text();
  if (type === "text") return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new NonRetriableError(`r2.get \`${key}\`: the object is not valid JSON`, {
      code: "R2_FAILED",
      status: 502,
      expose: false,
      cause: error,
      details: { key },
    });
  }
}

export const r2GetKind: NodeKind = {
  spec: spec(KIND_R2_GET),
  run: async (ctx) => {
    const bucket = binding(ctx, R2_SHAPE);
    const key = objectKey(ctx);
    const range = rangeInput(ctx);
    const onlyIf = onlyIfInput(ctx);
    checkAborted(ctx);
    let object: R2Object | R2ObjectBody | null;
    try {
      object = await bucket.get(key, { ...(range ? { range } : {}), ...(onlyIf ? { onlyIf } : {}) });
    } catch (error) {
      throw r2Failed(ctx, "r2.get", error, key);
    }
    if (object === null) return { out: null, object: null, status: "missing" };
    // A failed condition gives the object's metadata without a body.
    if (!("body" in object)) return { out: null, object: objectInfo(object), status: "precondition_failed" };
    return { out: await readBody(ctx, object, key, !range), object: objectInfo(object), status: "ok" };
  },
};

export const r2HeadKind: NodeKind = {
  spec: spec(KIND_R2_HEAD),
  run: async (ctx) => {
    const bucket = binding(ctx, R2_SHAPE);
    const key = objectKey(ctx);
    checkAborted(ctx);
    try {
      const object = await bucket.head(key);
      return { out: object ? objectInfo(object) : null };
    } catch (error) {
      throw r2Failed(ctx, "r2.head", error, key);
    }
  },
};

/** Uploads a stream of unknown length in parts; a stream shorter than one part is one plain put. */
async function putInParts(
  ctx: NodeContext,
  bucket: R2Bucket,
  key: string,
  stream: ReadableStream<Uint8Array>,
  options: R2MultipartOptions,
): Promise<R2Object> {
  const iterator = parts(ctx, stream);
  const first = await iterator.next();
  const firstPart = first.done ? new Uint8Array(0) : first.value;
  if (firstPart.byteLength < R2_LIMITS.minPartBytes) {
    checkAborted(ctx);
    return bucket.put(key, firstPart, options);
  }
  checkAborted(ctx);
  const upload = await bucket.createMultipartUpload(key, options);
  try {
    const uploaded: R2UploadedPart[] = [await upload.uploadPart(1, firstPart)];
    for await (const part of iterator) {
      checkAborted(ctx);
      uploaded.push(await upload.uploadPart(uploaded.length + 1, part));
    }
    checkAborted(ctx);
    return await upload.complete(uploaded);
  } catch (error) {
    await upload.abort().catch(() => {});
    await stream.cancel(error).catch(() => {});
    throw error;
  }
}

export const r2PutKind: NodeKind = {
  spec: spec(KIND_R2_PUT),
  run: async (ctx) => {
    const bucket = binding(ctx, R2_SHAPE);
    const key = objectKey(ctx);
    const body = bodyInput(ctx);
    const size = bodySize(ctx, body);
    const onlyIf = onlyIfInput(ctx);
    const metadata = metadataInputs(ctx, body.kind === "value" && body.json ? "application/json" : undefined);
    if (body.kind === "stream" && size === undefined && onlyIf)
      throw inputError(
        ctx,
        "onlyIf",
        "needs input `size` for a stream body (a multipart upload has no conditions)",
      );
    checkAborted(ctx);
    let object: R2Object | null;
    try {
      if (body.kind === "value")
        object = await bucket.put(key, body.value, { ...metadata, ...(onlyIf ? { onlyIf } : {}) });
      else if (size !== undefined)
        object = await abortable(
          ctx.signal,
          bucket.put(key, fixedLength(body.stream, size, ctx.signal), {
            ...metadata,
            ...(onlyIf ? { onlyIf } : {}),
          }),
        );
      else object = await putInParts(ctx, bucket, key, body.stream, metadata);
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      throw r2Failed(ctx, "r2.put", error, key);
    }
    if (object === null) return { out: null, status: "precondition_failed" };
    return { out: objectInfo(object), status: "ok" };
  },
};

export const r2DeleteKind: NodeKind = {
  spec: spec(KIND_R2_DELETE),
  run: async (ctx) => {
    const bucket = binding(ctx, R2_SHAPE);
    const raw = ctx.inputs.key;
    const keys = Array.isArray(raw) ? raw : [raw];
    if (
      keys.length === 0 ||
      keys.length > R2_LIMITS.deleteBatch ||
      !keys.every((k) => typeof k === "string" && k !== "")
    )
      throw inputError(
        ctx,
        "key",
        `must be a key or a list of 1 to ${R2_LIMITS.deleteBatch} keys, got ${Array.isArray(raw) ? `a list of ${raw.length}` : describe(raw)}`,
      );
    checkAborted(ctx);
    try {
      await bucket.delete(keys as string[]);
    } catch (error) {
      throw r2Failed(ctx, "r2.delete", error);
    }
    return { out: keys };
  },
};

export const r2ListKind: NodeKind = {
  spec: spec(KIND_R2_LIST),
  run: async (ctx) => {
    const bucket = binding(ctx, R2_SHAPE);
    const options: R2ListOptions = {};
    for (const name of ["prefix", "cursor", "delimiter", "startAfter"] as const) {
      const value = optionalString(ctx, name);
      if (value !== undefined) options[name] = value;
    }
    const limit = optionalInteger(ctx, "limit", 1, R2_LIMITS.listLimit);
    if (limit !== undefined) options.limit = limit;
    const include = ctx.config.include as ("httpMetadata" | "customMetadata")[] | undefined;
    if (include) options.include = include;
    checkAborted(ctx);
    let page: R2Objects;
    try {
      page = await bucket.list(options);
    } catch (error) {
      throw r2Failed(ctx, "r2.list", error);
    }
    return {
      out: page.objects.map(objectInfo),
      prefixes: page.delimitedPrefixes,
      cursor: page.truncated ? page.cursor : null,
      complete: !page.truncated,
    };
  },
};
