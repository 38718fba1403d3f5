/**
 * The one error type of the runtime. Every error has a stable UPPER_SNAKE `code` (listed in
 * `impl-docs/errors.md`), an HTTP `status` that fits it, and a user/system split:
 *
 * - `expose: true` (user error): caused by the request or the flow's own logic; the message and details are
 *   written for the caller and may reach the client.
 * - `expose: false` (system error): the client sees the code and a generic message with the run id; the
 *   message, details and cause go to the log only.
 *
 * Errors that are not FlowErrors are unexpected: they reach a client as `INTERNAL` plus the run id, never
 * with their own message.
 */

/** What a client receives: `{ "error": { code, message, details, runId, nodeId } }`. */
export interface ErrorEnvelope {
  error: ErrorBody;
}

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
  runId?: string;
  nodeId?: string;
}

export interface FlowErrorOptions {
  /** HTTP status; defaults per code (see CODE_DEFAULTS), else 500. */
  status?: number;
  /** Whether the message and details may reach a client; defaults per code, else true. */
  expose?: boolean;
  /** Whether the kernel may retry the failed attempt; defaults per code, else false. */
  retriable?: boolean;
  details?: unknown;
  cause?: unknown;
  runId?: string;
  nodeId?: string;
}

interface CodeDefaults {
  status: number;
  expose: boolean;
  retriable?: boolean;
}

/** Defaults of the runtime codes. Codes not listed here (e.g. from a `fail` node) are user errors. */
export const CODE_DEFAULTS: Readonly<Record<string, CodeDefaults>> = Object.freeze({
  INTERNAL: { status: 500, expose: false },
  NODE_FAILED: { status: 500, expose: false },
  NODE_TIMEOUT: { status: 504, expose: true, retriable: true },
  NODE_INPUT_INVALID: { status: 422, expose: true },
  RUN_CANCELLED: { status: 503, expose: true },
  DEADLINE_EXCEEDED: { status: 504, expose: true },
  EXPRESSION_FAILED: { status: 422, expose: true },
  EXPRESSION_LIMIT: { status: 422, expose: true },
  HTTP_FETCH_FAILED: { status: 502, expose: true },
  UNKNOWN_KIND: { status: 500, expose: false },
  PLAN_INVALID: { status: 500, expose: false },
  SUBFLOW_NOT_FOUND: { status: 500, expose: true },
  SUBFLOW_DEPTH_EXCEEDED: { status: 508, expose: false },
  JOURNAL_FAILED: { status: 500, expose: false, retriable: true },
  IDEMPOTENCY_PENDING: { status: 409, expose: true, retriable: true },
  IDEMPOTENCY_FAILED: { status: 500, expose: false, retriable: true },
  STREAM_REPLAY_EXCEEDED: { status: 500, expose: false },
  DURABLE_STEP_STREAM: { status: 500, expose: true },
  DURABLE_STEP_OUTPUT: { status: 500, expose: true },
  DURABLE_STEP_TOO_LARGE: { status: 500, expose: true },
  WAIT_TIMEOUT: { status: 504, expose: true },
  WAIT_NOT_DURABLE: { status: 500, expose: true },
});

const CODE_PATTERN = /^[A-Z][A-Z0-9_]*$/;

/**
 * An error with a stable code. `name` is `FlowError [CODE]` so that stack traces and logs show the code.
 * @example throw new FlowError("NODE_INPUT_INVALID", "map input `items` must be a list, got string")
 */
export class FlowError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly retriable: boolean;
  readonly details: unknown;
  runId: string | undefined;
  nodeId: string | undefined;

  constructor(code: string, message: string, options: FlowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (!CODE_PATTERN.test(code))
      throw new TypeError(`error code must be UPPER_SNAKE, got ${JSON.stringify(code)}`);
    const defaults = CODE_DEFAULTS[code];
    this.name = `FlowError [${code}]`;
    this.code = code;
    this.status = options.status ?? defaults?.status ?? 500;
    this.expose = options.expose ?? defaults?.expose ?? true;
    this.retriable = options.retriable ?? defaults?.retriable ?? false;
    this.details = options.details;
    this.runId = options.runId;
    this.nodeId = options.nodeId;
  }

  /** The client envelope (a system error's message and details are replaced; see `toEnvelope`). */
  toJSON(): ErrorEnvelope {
    return toEnvelope(this, this.runId, this.nodeId);
  }
}

/**
 * Thrown by a node to say that retrying cannot help (bad input, permanent refusal). Stops retries at once.
 * @example throw new NonRetriableError("the repository is archived", { code: "REPO_ARCHIVED", status: 409, expose: true })
 */
export class NonRetriableError extends FlowError {
  constructor(message: string, options: FlowErrorOptions & { code?: string } = {}) {
    super(options.code ?? "NODE_FAILED", message, { ...options, retriable: false });
  }
}

/**
 * Thrown by a node to ask for a retry after `retryAfterMs` (e.g. an HTTP 429 with `Retry-After`). The delay
 * replaces the policy's backoff; the policy's attempt count still applies.
 * @example throw new RetryAfterError(2_000, "rate limited by api.github.com")
 */
export class RetryAfterError extends FlowError {
  readonly retryAfterMs: number;
  constructor(
    retryAfterMs: number,
    message = "retry later",
    options: FlowErrorOptions & { code?: string } = {},
  ) {
    super(options.code ?? "NODE_FAILED", message, { ...options, retriable: true });
    this.retryAfterMs = Math.max(0, retryAfterMs);
  }
}

/** True for a FlowError of this code. */
export function isFlowError(error: unknown, code?: string): error is FlowError {
  return error instanceof FlowError && (code === undefined || error.code === code);
}

const GENERIC_MESSAGE = "An internal error occurred; the run id locates the cause in the logs.";

/**
 * Turns any error into the client envelope. FlowErrors keep their code; a system error's message and details
 * are replaced by a generic message; any other value becomes `INTERNAL`. Never includes a raw message of
 * an unexpected error.
 * @example toEnvelope(new Error("db password wrong"), "run-1") // { error: { code: "INTERNAL", message: "An internal…", runId: "run-1" } }
 */
export function toEnvelope(error: unknown, runId?: string, nodeId?: string): ErrorEnvelope {
  const body: ErrorBody = { code: "INTERNAL", message: GENERIC_MESSAGE };
  if (error instanceof FlowError) {
    body.code = error.code;
    if (error.expose) {
      body.message = error.message;
      if (error.details !== undefined) body.details = error.details;
    }
    runId ??= error.runId;
    nodeId ??= error.nodeId;
  }
  if (runId !== undefined) body.runId = runId;
  if (nodeId !== undefined) body.nodeId = nodeId;
  return { error: body };
}

/**
 * Normalises a thrown value into a FlowError: FlowErrors pass through; anything else becomes `INTERNAL`
 * with the original kept as `cause` (for the log) and a generic message (for clients).
 */
export function toFlowError(error: unknown, runId?: string, nodeId?: string): FlowError {
  const flowError =
    error instanceof FlowError ? error : new FlowError("INTERNAL", GENERIC_MESSAGE, { cause: error });
  flowError.runId ??= runId;
  flowError.nodeId ??= nodeId;
  return flowError;
}

/** Whether the kernel may retry after this error: plain errors yes (transient), FlowErrors per `retriable`. */
export function isRetriable(error: unknown): boolean {
  return error instanceof FlowError ? error.retriable : true;
}

/** A thrown value as plain data for a log line (name, message, stack); never sent to a client. */
export function describeCause(cause: unknown): unknown {
  if (cause instanceof Error) return { name: cause.name, message: cause.message, stack: cause.stack };
  return String(cause);
}
