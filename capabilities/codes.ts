import { FlowError } from "../kernel/index.ts";
import { type CapabilityErrorOptions, errorWithDefaults } from "./error.ts";

/** The code every capability shares (see `binding.ts`). */
export const SHARED_CAPABILITY_CODES = Object.freeze({
  /** The node's binding is not in `env`, or is not the kind of binding the node needs. */
  BINDING_MISSING: {
    status: 500,
    expose: false,
    retriable: false,
    doc: "The node's binding is not in `env`, or is not the kind of binding the node needs.",
  },
} as const);

/** The `kv` capability's codes (its `defineCapability` declares them). */
export const KV_CODES = Object.freeze({
  KV_FAILED: {
    status: 502,
    expose: false,
    retriable: true,
    doc: "A KV call failed; `retriable` is decided per error (transient vs refused).",
  },
} as const);

/** The `r2` capability's codes (its `defineCapability` declares them). */
export const R2_CODES = Object.freeze({
  R2_FAILED: {
    status: 502,
    expose: false,
    retriable: true,
    doc: "An R2 call failed; `retriable` is decided per error.",
  },
} as const);

/** The `queues` capability's codes (its `defineCapability` declares them). */
export const QUEUES_CODES = Object.freeze({
  QUEUE_SEND_FAILED: {
    status: 502,
    expose: false,
    retriable: true,
    doc: "Sending to a queue failed; `retriable` is decided per error.",
  },
} as const);

/** The `durable-objects` capability's codes (its `defineCapability` declares them). */
export const DO_CODES = Object.freeze({
  DO_FAILED: {
    status: 502,
    expose: false,
    retriable: true,
    doc: "A Durable Object call failed; retriable unless the object refused the operation.",
  },
} as const);

/** The `github.webhook` capability's codes (its `defineCapability` declares them). */
export const GITHUB_WEBHOOK_CODES = Object.freeze({
  GITHUB_WEBHOOK_SIGNATURE_INVALID: {
    status: 401,
    expose: true,
    retriable: false,
    doc: "A GitHub webhook delivery without a valid `X-Hub-Signature-256` (missing, malformed or wrong).",
  },
  GITHUB_WEBHOOK_HEADERS_MISSING: {
    status: 400,
    expose: true,
    retriable: false,
    doc: "A GitHub webhook delivery without `X-GitHub-Event` or `X-GitHub-Delivery`.",
  },
} as const);

/** The `github` capability's codes (its `defineCapability` declares them). */
export const GITHUB_CODES = Object.freeze({
  GITHUB_AUTH_FAILED: {
    status: 502,
    expose: false,
    retriable: false,
    doc: "GitHub App auth failed (bad key or App id, unknown installation, 401 from GitHub); never shows a secret.",
  },
  GITHUB_REQUEST_FAILED: {
    status: 502,
    expose: false,
    retriable: false,
    doc: "A GitHub REST call answered an error status or no response; retriable for 5xx and network errors.",
  },
  GITHUB_RATE_LIMITED: {
    status: 429,
    expose: true,
    retriable: true,
    doc: "GitHub's rate limit outlasted the node's retries; carries the wait (`retryAfterMs`) for the kernel.",
  },
  GITHUB_BUDGET_EXHAUSTED: {
    status: 429,
    expose: true,
    retriable: true,
    doc: "The installation's shared rate budget cannot start the call within the node's `maxWait`; carries the wait (`retryAfterMs`).",
  },
} as const);

/** The `workflows` capability's codes (its `defineCapability` declares them). */
export const WORKFLOWS_CODES = Object.freeze({
  DURABLE_RUN_NOT_FOUND: {
    status: 404,
    expose: true,
    retriable: false,
    doc: "`durable.event` named a run that is not a durable run of this Worker, or one that has ended.",
  },
  DURABLE_EVENT_FAILED: {
    status: 502,
    expose: false,
    retriable: true,
    doc: "Sending an event to a durable run failed on the platform's side.",
  },
} as const);

/**
 * Codes raised by the built-in capability kinds at run time (the kernel's own codes are in `kernel/errors.ts`),
 * with their HTTP status, whether a client may see the message, and whether a retry may help: the shared
 * BINDING_MISSING plus each built-in capability's `codes` (the tables above, each declared by its capability with
 * `defineCapability`; `declarations.test.ts` checks this equals the registry's). Every one is documented in
 * impl-docs/errors.md, "Capability codes". The run-time kinds import this small module, never the declarations.
 */
export const CAPABILITY_CODES = Object.freeze({
  ...SHARED_CAPABILITY_CODES,
  ...KV_CODES,
  ...R2_CODES,
  ...QUEUES_CODES,
  ...DO_CODES,
  ...GITHUB_WEBHOOK_CODES,
  ...GITHUB_CODES,
  ...WORKFLOWS_CODES,
});

export type CapabilityCode = keyof typeof CAPABILITY_CODES;

/** A FlowError with the capability code's defaults; `retriable` may be overridden. */
export function capabilityError(
  code: CapabilityCode,
  message: string,
  options: CapabilityErrorOptions = {},
): FlowError {
  return errorWithDefaults(code, CAPABILITY_CODES[code], message, options);
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
