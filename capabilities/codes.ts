import { FlowError } from "../kernel/index.ts";

/**
 * Codes raised by capability kinds at run time (the kernel's own codes are in `kernel/errors.ts`), with their
 * HTTP status, whether a client may see the message, and whether a retry may help. Every one is documented in
 * impl-docs/errors.md, "Capability codes" (`capabilities/declarations.test.ts` checks). A capability plugin adds its
 * codes here.
 */
export const CAPABILITY_CODES = Object.freeze({
  /** The node's binding is not in `env`, or is not the kind of binding the node needs. */
  BINDING_MISSING: { status: 500, expose: false, retriable: false },
  /** A KV call failed; `retriable` is decided per error (transient vs refused). */
  KV_FAILED: { status: 502, expose: false, retriable: true },
  /** An R2 call failed; `retriable` is decided per error. */
  R2_FAILED: { status: 502, expose: false, retriable: true },
  /** Sending to a queue failed; `retriable` is decided per error. */
  QUEUE_SEND_FAILED: { status: 502, expose: false, retriable: true },
  /** A Durable Object call failed; retriable unless the object refused the operation. */
  DO_FAILED: { status: 502, expose: false, retriable: true },
  /** A GitHub webhook delivery without a valid `X-Hub-Signature-256` (missing, malformed or wrong). */
  GITHUB_WEBHOOK_SIGNATURE_INVALID: { status: 401, expose: true, retriable: false },
  /** A GitHub webhook delivery without `X-GitHub-Event` or `X-GitHub-Delivery`. */
  GITHUB_WEBHOOK_HEADERS_MISSING: { status: 400, expose: true, retriable: false },
  /** GitHub App auth failed (bad key or App id, unknown installation, 401 from GitHub); never shows a secret. */
  GITHUB_AUTH_FAILED: { status: 502, expose: false, retriable: false },
  /** A GitHub REST call answered an error status or no response; retriable for 5xx and network errors. */
  GITHUB_REQUEST_FAILED: { status: 502, expose: false, retriable: false },
  /** GitHub's rate limit outlasted the node's retries; carries the wait (`retryAfterMs`) for the kernel. */
  GITHUB_RATE_LIMITED: { status: 429, expose: true, retriable: true },
} as const);

export type CapabilityCode = keyof typeof CAPABILITY_CODES;

/** A FlowError with the capability code's defaults; `retriable` may be overridden. */
export function capabilityError(
  code: CapabilityCode,
  message: string,
  options: { details?: unknown; cause?: unknown; retriable?: boolean } = {},
): FlowError {
  const defaults = CAPABILITY_CODES[code];
  return new FlowError(code, message, {
    status: defaults.status,
    expose: defaults.expose,
    retriable: options.retriable ?? defaults.retriable,
    details: options.details,
    cause: options.cause,
  });
}

/** Platform errors that a retry cannot fix: the request itself is refused (size, shape, limits). */
const PERMANENT =
  /\b(400|401|403|404|405|409|411|413|414|416)\b|too (large|long|big)|exceed|invalid|not allowed|must be|limit|unsupported|does not exist|not found|no such|clone|serializ/i;

/**
 * Maps a platform error (a rejected KV, R2 or Queues call) to a FlowError of `code`: retriable unless its
 * message says the request itself was refused. The platform's message goes to the log only (system error).
 */
export function platformError(
  code: "KV_FAILED" | "R2_FAILED" | "QUEUE_SEND_FAILED",
  what: string,
  cause: unknown,
  details?: Record<string, unknown>,
): FlowError {
  if (cause instanceof FlowError) return cause;
  const text = cause instanceof Error ? cause.message : String(cause);
  // Type, syntax and range errors come from the request itself (a value that is not JSON, a bad argument).
  const refused =
    cause instanceof TypeError ||
    cause instanceof SyntaxError ||
    cause instanceof RangeError ||
    PERMANENT.test(text);
  return capabilityError(code, `${what} failed: ${text}`, { cause, details, retriable: !refused });
}
