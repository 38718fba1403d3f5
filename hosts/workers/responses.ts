import {
  ChunkStream,
  type ErrorEnvelope,
  FlowError,
  RetryAfterError,
  type RunResult,
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
 * Sets `Retry-After` (whole seconds, rounded up) on a 429 or 503 answering an error that says when to retry (a
 * RetryAfterError, e.g. GITHUB_RATE_LIMITED): clients and proxies read the header, not `details.retryAfterMs`.
 */
function withRetryAfter(response: Response, error: unknown): Response {
  if (error instanceof RetryAfterError && (response.status === 429 || response.status === 503)) {
    response.headers.set("retry-after", String(Math.ceil(error.retryAfterMs / 1_000)));
  }
  return response;
}

/** The JSON error envelope response, with the run id header (and `Retry-After`, see `withRetryAfter`). */
export function errorResponse(error: unknown, runId: string, headers?: HeadersInit): Response {
  const envelope: ErrorEnvelope = toEnvelope(error, runId);
  const response = Response.json(envelope, { status: statusOf(error), headers });
  response.headers.set(RUN_ID_HEADER, runId);
  return withRetryAfter(response, error);
}

/** The error response for a run that did not end `ok` (with `Retry-After`, see `withRetryAfter`). */
export function failedRunResponse(result: RunResult): Response {
  const error =
    result.error ??
    new FlowError("INTERNAL", `run ended ${result.status} without an error`, { expose: false });
  const status =
    error instanceof FlowError && result.status !== "failed"
      ? (STATUS_BY_RUN_STATUS[result.status as keyof typeof STATUS_BY_RUN_STATUS] ?? error.status)
      : statusOf(error);
  const response = Response.json(toEnvelope(error, result.runId), { status });
  response.headers.set(RUN_ID_HEADER, result.runId);
  return withRetryAfter(response, error);
}

interface RespondOutput {
  status?: unknown;
  headers?: unknown;
  body?: unknown;
}

function headersFrom(value: unknown): Headers {
  const headers = new Headers();
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [name, v] of Object.entries(value)) {
      if (v === undefined || v === null) continue;
      try {
        headers.set(name, String(v));
      } catch {
        throw hostError("RESPONSE_INVALID", `response header ${JSON.stringify(name)} is not a valid header`);
      }
    }
  }
  return headers;
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
  const headers = headersFrom(output.headers);
  headers.set(RUN_ID_HEADER, runId);
  const body = output.body;
  const noBody = status === 204 || status === 304;
  if (noBody) {
    void stream?.cancel();
    return new Response(null, { status, headers });
  }
  if (body instanceof ChunkStream || stream) {
    const bytes = toByteStream(stream ?? (body as ChunkStream).toReadableStream());
    if (!headers.has("content-type")) headers.set("content-type", "application/octet-stream");
    return new Response(bytes, { status, headers });
  }
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) {
    if (!headers.has("content-type")) headers.set("content-type", "application/octet-stream");
    return new Response(body as BodyInit, { status, headers });
  }
  if (typeof body === "string" && !/json/.test(headers.get("content-type") ?? "")) {
    if (!headers.has("content-type")) headers.set("content-type", "text/plain; charset=utf-8");
    return new Response(body, { status, headers });
  }
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body ?? null), { status, headers });
}
