import type { Effect, RetryPolicyDecl } from "../flows/ir/types.ts";
import { RetryAfterError } from "./errors.ts";
import { parseDuration } from "./time.ts";

/** A retry policy with every field resolved to numbers. */
export interface RetrySettings {
  /** Total attempts including the first; 1 means no retry. */
  readonly attempts: number;
  readonly backoff: "constant" | "linear" | "exponential";
  readonly delayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: boolean;
  /**
   * True when the declared policy asked for retries that the node's effect does not allow (a `write` or
   * `external` node without an idempotency key or `idempotent: true`): `attempts` was forced to 1.
   */
  readonly gated: boolean;
}

export const DEFAULT_RETRY_DELAY_MS = 200;
export const DEFAULT_RETRY_MAX_DELAY_MS = 30_000;

export const NO_RETRY: RetrySettings = Object.freeze({
  attempts: 1,
  backoff: "exponential",
  delayMs: DEFAULT_RETRY_DELAY_MS,
  maxDelayMs: DEFAULT_RETRY_MAX_DELAY_MS,
  jitter: false,
  gated: false,
});

const durationOr = (text: string | undefined, fallback: number): number =>
  (text === undefined ? undefined : parseDuration(text)) ?? fallback;

/**
 * Resolves a declared policy for a node of this effect. Only `pure` and `read` work is retried freely;
 * `write` and `external` work is retried only when it has an idempotency key or the policy says
 * `idempotent: true`, otherwise attempts are forced to 1.
 * @example resolveRetry({ attempts: 3 }, "external", false).attempts // 1
 */
export function resolveRetry(
  decl: RetryPolicyDecl | undefined,
  effect: Effect,
  hasIdempotencyKey: boolean,
): RetrySettings {
  if (!decl || decl.attempts <= 1) return NO_RETRY;
  const safe = effect === "pure" || effect === "read" || hasIdempotencyKey || decl.idempotent === true;
  return Object.freeze({
    attempts: safe ? Math.floor(decl.attempts) : 1,
    backoff: decl.backoff ?? "exponential",
    delayMs: durationOr(decl.delay, DEFAULT_RETRY_DELAY_MS),
    maxDelayMs: durationOr(decl.maxDelay, DEFAULT_RETRY_MAX_DELAY_MS),
    jitter: decl.jitter ?? false,
    gated: !safe,
  });
}

/**
 * The wait before attempt `failedAttempt + 1`. Backoff: constant `d`, linear `d·n`, exponential `d·2^(n-1)`,
 * capped at `maxDelayMs`; with jitter, a uniform value in `[delay/2, delay]`. A RetryAfterError's delay
 * replaces the backoff (and is not capped: the server asked for it; the run deadline still bounds it).
 * @example retryDelay({ ...policy, backoff: "exponential", delayMs: 100 }, 3, err, Math.random) // 400
 */
export function retryDelay(
  policy: RetrySettings,
  failedAttempt: number,
  error: unknown,
  random: () => number,
): number {
  if (error instanceof RetryAfterError) return error.retryAfterMs;
  const n = Math.max(1, failedAttempt);
  const base =
    policy.backoff === "constant"
      ? policy.delayMs
      : policy.backoff === "linear"
        ? policy.delayMs * n
        : policy.delayMs * 2 ** (n - 1);
  const capped = Math.min(base, policy.maxDelayMs);
  return policy.jitter ? Math.round(capped / 2 + (random() * capped) / 2) : capped;
}
