import { FlowError } from "../kernel/errors.ts";

/** What a capability's error code defaults to (its HTTP status, whether its message reaches clients, retries). */
export interface CodeDefaults {
  readonly status: number;
  readonly expose: boolean;
  readonly retriable: boolean;
}

export interface CapabilityErrorOptions {
  details?: unknown;
  cause?: unknown;
  retriable?: boolean;
}

/** A FlowError with a code's defaults; `retriable` may be overridden. */
export function errorWithDefaults(
  code: string,
  defaults: CodeDefaults,
  message: string,
  options: CapabilityErrorOptions = {},
): FlowError {
  return new FlowError(code, message, {
    status: defaults.status,
    expose: defaults.expose,
    retriable: options.retriable ?? defaults.retriable,
    details: options.details,
    cause: options.cause,
  });
}
