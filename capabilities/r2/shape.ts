import type { NodeContext } from "../../kernel/index.ts";
import { type BindingShape, hasMethods } from "../binding.ts";
import { platformError } from "../codes.ts";
import { describe, inputError, optionalString, stringInput } from "../inputs.ts";
import { R2_LIMITS } from "./declaration.ts";

/** How the R2 kinds recognise a bucket binding in `env`. */
export const R2_SHAPE: BindingShape<R2Bucket> = {
  label: "R2 bucket",
  section: "r2_buckets",
  is: (value): value is R2Bucket =>
    hasMethods(
      value,
      "get",
      "head",
      "put",
      "delete",
      "list",
      "createMultipartUpload",
      "resumeMultipartUpload",
    ),
};

/** What `object` outputs hold: plain JSON, times as ISO strings. */
export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  httpEtag: string;
  uploaded: string;
  version: string;
  httpMetadata: Record<string, string>;
  customMetadata: Record<string, string>;
  range?: unknown;
}

/** An R2Object as plain JSON. */
export function objectInfo(object: R2Object): ObjectInfo {
  const http: Record<string, string> = {};
  for (const [name, value] of Object.entries(object.httpMetadata ?? {})) {
    if (value instanceof Date) http[name] = value.toISOString();
    else if (typeof value === "string") http[name] = value;
  }
  const info: ObjectInfo = {
    key: object.key,
    size: object.size,
    etag: object.etag,
    httpEtag: object.httpEtag,
    uploaded: object.uploaded.toISOString(),
    version: object.version,
    httpMetadata: http,
    customMetadata: { ...(object.customMetadata ?? {}) },
  };
  if (object.range !== undefined) info.range = { ...object.range };
  return info;
}

export const objectKey = (ctx: NodeContext): string => stringInput(ctx, "key", R2_LIMITS.keyBytes);

export const r2Failed = (ctx: NodeContext, op: string, cause: unknown, key?: string) =>
  platformError("R2_FAILED", `${op} on \`${String(ctx.config.binding)}\``, cause, {
    binding: ctx.config.binding,
    ...(key === undefined ? {} : { key }),
  });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Input `onlyIf`: etag conditions as strings, time conditions as ISO strings. */
export function onlyIfInput(ctx: NodeContext): R2Conditional | undefined {
  const raw = ctx.inputs.onlyIf;
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) throw inputError(ctx, "onlyIf", `must be an object, got ${describe(raw)}`);
  const out: R2Conditional = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === "etagMatches" || name === "etagDoesNotMatch") {
      if (typeof value !== "string") throw inputError(ctx, "onlyIf", `.${name} must be an etag string`);
      out[name] = value;
    } else if (name === "uploadedBefore" || name === "uploadedAfter") {
      const date = typeof value === "string" ? new Date(value) : undefined;
      if (!date || Number.isNaN(date.getTime()))
        throw inputError(ctx, "onlyIf", `.${name} must be an ISO time like 2026-01-31T12:00:00Z`);
      out[name] = date;
    } else {
      throw inputError(
        ctx,
        "onlyIf",
        `has an unknown field \`${name}\`: use etagMatches, etagDoesNotMatch, uploadedBefore, uploadedAfter`,
      );
    }
  }
  return out;
}

const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0;

/** Input `range`: `{ offset?, length? }` or `{ suffix }`, whole numbers of bytes. */
export function rangeInput(ctx: NodeContext): R2Range | undefined {
  const raw = ctx.inputs.range;
  if (raw === undefined || raw === null) return undefined;
  const bad = () => inputError(ctx, "range", "must be { offset?, length? } or { suffix } in whole bytes");
  if (!isRecord(raw)) throw bad();
  if ("suffix" in raw) {
    if (!isCount(raw.suffix) || Object.keys(raw).length !== 1) throw bad();
    return { suffix: raw.suffix };
  }
  const { offset, length, ...rest } = raw;
  if (Object.keys(rest).length > 0) throw bad();
  if (offset !== undefined && !isCount(offset)) throw bad();
  if (length !== undefined && !isCount(length)) throw bad();
  if (offset === undefined && length === undefined) throw bad();
  return {
    ...(offset === undefined ? {} : { offset }),
    ...(length === undefined ? {} : { length }),
  } as R2Range;
}

/** Inputs `contentType` and `httpMetadata` as R2HTTPMetadata, and `customMetadata`. */
export function metadataInputs(
  ctx: NodeContext,
  defaultType?: string,
): { httpMetadata?: R2HTTPMetadata; customMetadata?: Record<string, string> } {
  const out: { httpMetadata?: R2HTTPMetadata; customMetadata?: Record<string, string> } = {};
  const http = ctx.inputs.httpMetadata;
  if (http !== undefined && http !== null && !isRecord(http))
    throw inputError(ctx, "httpMetadata", `must be an object, got ${describe(http)}`);
  const httpMetadata: R2HTTPMetadata = {};
  for (const [name, value] of Object.entries(http ?? {})) {
    if (typeof value !== "string") throw inputError(ctx, "httpMetadata", `.${name} must be a string`);
    if (name === "cacheExpiry") httpMetadata.cacheExpiry = new Date(value);
    else (httpMetadata as Record<string, string>)[name] = value;
  }
  const contentType = optionalString(ctx, "contentType") ?? httpMetadata.contentType ?? defaultType;
  if (contentType !== undefined) httpMetadata.contentType = contentType;
  if (Object.keys(httpMetadata).length > 0) out.httpMetadata = httpMetadata;
  const custom = ctx.inputs.customMetadata;
  if (custom !== undefined && custom !== null) {
    if (!isRecord(custom))
      throw inputError(ctx, "customMetadata", `must be an object, got ${describe(custom)}`);
    out.customMetadata = Object.fromEntries(
      Object.entries(custom).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
  }
  return out;
}
