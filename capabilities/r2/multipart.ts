import { abortable, type NodeContext, type NodeKind } from "../../kernel/index.ts";
import { binding, checkAborted } from "../binding.ts";
import { describe, inputError, optionalInteger, stringInput } from "../inputs.ts";
import { bodyInput, bodySize, fixedLength } from "./body.ts";
import {
  KIND_R2_MULTIPART_ABORT,
  KIND_R2_MULTIPART_COMPLETE,
  KIND_R2_MULTIPART_CREATE,
  KIND_R2_MULTIPART_UPLOAD_PART,
  R2_KIND_SPECS,
  R2_LIMITS,
} from "./declaration.ts";
import { metadataInputs, objectInfo, objectKey, R2_SHAPE, r2Failed } from "./shape.ts";

const spec = (name: string) => R2_KIND_SPECS[name]!;

/** The upload named by inputs `key` and `uploadId` (resuming makes no request). */
function upload(ctx: NodeContext): { key: string; upload: R2MultipartUpload } {
  const bucket = binding(ctx, R2_SHAPE);
  const key = objectKey(ctx);
  const uploadId = stringInput(ctx, "uploadId");
  return { key, upload: bucket.resumeMultipartUpload(key, uploadId) };
}

export const r2MultipartCreateKind: NodeKind = {
  spec: spec(KIND_R2_MULTIPART_CREATE),
  run: async (ctx) => {
    const bucket = binding(ctx, R2_SHAPE);
    const key = objectKey(ctx);
    const options = metadataInputs(ctx);
    checkAborted(ctx);
    try {
      const created = await bucket.createMultipartUpload(key, options);
      return { out: created.uploadId, key: created.key };
    } catch (error) {
      throw r2Failed(ctx, "r2.multipart.create", error, key);
    }
  },
};

export const r2MultipartUploadPartKind: NodeKind = {
  spec: spec(KIND_R2_MULTIPART_UPLOAD_PART),
  run: async (ctx) => {
    const { key, upload: target } = upload(ctx);
    const partNumber = optionalInteger(ctx, "partNumber", 1, R2_LIMITS.maxParts);
    if (partNumber === undefined) throw inputError(ctx, "partNumber", "must be given");
    const body = bodyInput(ctx);
    const size = bodySize(ctx, body);
    if (body.kind === "stream" && size === undefined)
      throw inputError(ctx, "size", "must be given for a stream body (R2 needs the length of a part)");
    checkAborted(ctx);
    try {
      const value = body.kind === "value" ? body.value : fixedLength(body.stream, size!, ctx.signal);
      const part = await abortable(ctx.signal, target.uploadPart(partNumber, value));
      return { out: { partNumber: part.partNumber, etag: part.etag } };
    } catch (error) {
      throw r2Failed(ctx, "r2.multipart.uploadPart", error, key);
    }
  },
};

function partsInput(ctx: NodeContext): R2UploadedPart[] {
  const raw = ctx.inputs.parts;
  const ok =
    Array.isArray(raw) &&
    raw.length > 0 &&
    raw.every(
      (p) =>
        typeof p === "object" &&
        p !== null &&
        Number.isInteger((p as R2UploadedPart).partNumber) &&
        typeof (p as R2UploadedPart).etag === "string",
    );
  if (!ok)
    throw inputError(ctx, "parts", `must be a non-empty list of { partNumber, etag }, got ${describe(raw)}`);
  return (raw as R2UploadedPart[]).map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
}

export const r2MultipartCompleteKind: NodeKind = {
  spec: spec(KIND_R2_MULTIPART_COMPLETE),
  run: async (ctx) => {
    const { key, upload: target } = upload(ctx);
    const parts = partsInput(ctx);
    checkAborted(ctx);
    try {
      return { out: objectInfo(await target.complete(parts)) };
    } catch (error) {
      throw r2Failed(ctx, "r2.multipart.complete", error, key);
    }
  },
};

export const r2MultipartAbortKind: NodeKind = {
  spec: spec(KIND_R2_MULTIPART_ABORT),
  run: async (ctx) => {
    const { key, upload: target } = upload(ctx);
    checkAborted(ctx);
    try {
      await target.abort();
    } catch (error) {
      throw r2Failed(ctx, "r2.multipart.abort", error, key);
    }
    return { out: true };
  },
};
