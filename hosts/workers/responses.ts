import {
  ChunkStream,
  type ErrorEnvelope,
  explainSkippedOutput,
  FlowError,
  RetryAfterError,
  type RunResult,
  type SkipStep,
  toByteStream,
  toEnvelope,
} from "../../kernel/index.ts";
import { hostError } from "./codes.ts";

export const RUN_ID_HEADER = "x-flow-run-id";

const STATUS_BY_RUN_STATUS = { cancelled: 503, deadline_exceeded: 504 } as const;

/** The HTTP status that fits an error: its own for FlowErrors, 500 otherwise. */
export function statusOf(error: unknown): number {
  return error instanceof FlowError ? error.status : 500;
}

/**
 * An error answer's headers, given once to the Response (no `headers.set` after it is made, each a native call):
 * the run id, `content-type`, and `Retry-After` (whole seconds, rounded up) on a 429 or 503 answering an error that
 * says when to retry (a RetryAfterError, e.g. GITHUB_RATE_LIMITED): clients and proxies read the header, not
 * `details.retryAfterMs`.
 */
function errorHeaders(
  error: unknown,
  status: number,
  runId: string,
  extra?: Record<string, string>,
): Record<string, string> {
  const headers: Record<string, string> = { ...extra, "content-type": "application/json" };
  headers[RUN_ID_HEADER] = runId;
  if (error instanceof RetryAfterError && (status === 429 || status === 503))
    headers["retry-after"] = String(Math.ceil(error.retryAfterMs / 1_000));
  return headers;
}

/** The JSON error envelope response, with the run id header (and `Retry-After`, see `errorHeaders`). */
export function errorResponse(error: unknown, runId: string, headers?: Record<string, string>): Response {
  const envelope: ErrorEnvelope = toEnvelope(error, runId);
  const status = statusOf(error);
  return new Response(JSON.stringify(envelope), {
    status,
    headers: errorHeaders(error, status, runId, headers),
  });
}

/** The error response for a run that did not end `ok` (with `Retry-After`, see `errorHeaders`). */
export function failedRunResponse(result: RunResult): Response {
  const error =
    result.error ??
    new FlowError("INTERNAL", `run ended ${result.status} without an error`, { expose: false });
  const status =
    error instanceof FlowError && result.status !== "failed"
      ? (STATUS_BY_RUN_STATUS[result.status as keyof typeof STATUS_BY_RUN_STATUS] ?? error.status)
      : statusOf(error);
  return new Response(JSON.stringify(toEnvelope(error, result.runId)), {
    status,
    headers: errorHeaders(error, status, result.runId),
  });
}

/** NO_RESPONSE: the run ended ok but every node that could answer was skipped (`explainSkippedOutput` says why). */
export function noResponseError(skipped: Record<string, SkipStep[]>): FlowError {
  return hostError("NO_RESPONSE", `the run ended without a response: ${explainSkippedOutput(skipped)}`, {
    skipped,
  });
}

interface RespondOutput {
  status?: unknown;
  headers?: unknown;
  body?: unknown;
}

/**
 * A `respond` node's headers as a plain record with lower-case names (the last of two spellings wins, as with
 * `Headers.set`), null and undefined values left out. A record, not a `Headers`: building one costs a native call
 * per header, where the Response takes a record in one.
 */
function headerRecord(value: unknown): Record<string, string> {
  // An ordinary object (one made with a null prototype is a slow dictionary, which the Response then reads name by
  // name): a header named `__proto__` is defined as an own property, not assigned (which would set the prototype).
  const headers: Record<string, string> = {};
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const name in value) {
      if (!Object.hasOwn(value, name)) continue;
      const v = (value as Record<string, unknown>)[name];
      if (v === undefined || v === null) continue;
      const lower = name.toLowerCase();
      if (lower === "__proto__")
        Object.defineProperty(headers, lower, { value: String(v), enumerable: true, writable: true });
      else headers[lower] = String(v);
    }
  }
  return headers;
}

/** The Response, or RESPONSE_INVALID naming the first header the platform refuses. */
function respond(body: BodyInit | null, status: number, headers: Record<string, string>): Response {
  try {
    return new Response(body, { status, headers });
  } catch (error) {
    for (const [name, v] of Object.entries(headers)) {
      try {
        new Headers([[name, v]]);
      } catch {
        throw hostError("RESPONSE_INVALID", `response header ${JSON.stringify(name)} is not a valid header`);
      }
    }
    throw error;
  }
}

function validStatus(value: unknown): number {
  if (value === undefined || value === null) return 200;
  const status = Number(value);
  if (!Number.isInteger(status) || status < 200 || status > 599)
    throw hostError(
      "RESPONSE_INVALID",
      `response status must be a whole number from 200 to 599, got ${JSON.stringify(value)}`,
    );
  return status;
}

/**
 * The response for a successful run's output. A `respond` node's `{ status, headers, body }` sets all three; any
 * other output is the JSON body. Bodies: a stream is passed through without buffering (`stream`: a reader of it
 * made by the caller, else one is made here), bytes as `application/octet-stream`, a string as `text/plain`,
 * anything else JSON.
 */
export function outputResponse(
  runId: string,
  value: unknown,
  fromRespondNode: boolean,
  stream?: ReadableStream<unknown>,
): Response {
  const output = fromRespondNode ? ((value ?? {}) as RespondOutput) : { body: value };
  const status = validStatus(output.status);
  const headers = headerRecord(fromRespondNode ? output.headers : undefined);
  headers[RUN_ID_HEADER] = runId;
  const body = output.body;
  const contentType = headers["content-type"];
  if (status === 204 || status === 304) {
    void stream?.cancel();
    return respond(null, status, headers);
  }
  if (body instanceof ChunkStream || stream) {
    const bytes = toByteStream(stream ?? (body as ChunkStream).toReadableStream());
    headers["content-type"] ??= "application/octet-stream";
    return respond(bytes, status, headers);
  }
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) {
    headers["content-type"] ??= "application/octet-stream";
    return respond(body as BodyInit, status, headers);
  }
  if (typeof body === "string" && !/json/.test(contentType ?? "")) {
    headers["content-type"] ??= "text/plain; charset=utf-8";
    return respond(body, status, headers);
  }
  headers["content-type"] ??= "application/json";
  return respond(JSON.stringify(body ?? null), status, headers);
}
