/**
 * The runtime's defaults that decide whether a written value is a change: `maxBodySize: 1mb` and no
 * `maxBodySize` are the same flow. Their definitions live in the kernel and the Workers host, which `flows/` may
 * not import; `defaults.test.ts` holds these copies to them.
 */
export const RUNTIME_DEFAULTS = Object.freeze({
  /** hosts/workers/body.ts DEFAULT_MAX_BODY_BYTES */
  maxBodyBytes: 1024 * 1024,
  /** kernel/plan.ts DEFAULT_DEADLINE_MS */
  deadlineMs: 25_000,
  /** kernel/retry.ts DEFAULT_RETRY_DELAY_MS, DEFAULT_RETRY_MAX_DELAY_MS, and its default backoff */
  retryDelayMs: 200,
  retryMaxDelayMs: 30_000,
  retryBackoff: "exponential",
  /** hosts/workers/queue.ts DEFAULT_RETRY_DELAY_SECONDS, in ms */
  queueRetryDelayMs: 5_000,
});
