import { FlowError } from "../../kernel/errors.ts";

/**
 * Codes the Workers host answers with before or around a run (the kernel's codes are in `kernel/errors.ts`),
 * with their HTTP status. Every one is documented in impl-docs/errors.md, "Host codes" (a test checks).
 */
export const HOST_CODES = Object.freeze({
  BODY_TOO_LARGE: 413,
  BODY_INVALID_JSON: 400,
  BODY_INVALID_UTF8: 400,
  BODY_INCOMPLETE: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  RESPONSE_INVALID: 500,
  NO_RESPONSE: 500,
  FLOW_CONFLICT: 500,
  FLOW_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  VIEWER_UNAUTHORIZED: 401,
  VIEWER_NOT_CONFIGURED: 503,
  RUNS_UNAUTHORIZED: 401,
  RUNS_FORBIDDEN: 403,
  RUNS_NOT_CONFIGURED: 503,
  RUNS_QUERY_INVALID: 400,
  RUN_NOT_RUNNING: 409,
  RUN_VERSION_CHANGED: 409,
  RUN_INPUT_UNAVAILABLE: 409,
  RUN_OWNER_MISSING: 500,
  RUN_INTERRUPTED: 503,
  DURABLE_NOT_CONFIGURED: 503,
  EVENT_INVALID: 400,
  QUEUE_NOT_FOUND: 404,
} as const);

export type HostCode = keyof typeof HOST_CODES;

/** A client-facing FlowError with the host code's status. */
export function hostError(code: HostCode, message: string, details?: unknown): FlowError {
  return new FlowError(code, message, { status: HOST_CODES[code], expose: true, details });
}
