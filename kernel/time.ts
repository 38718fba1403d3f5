/**
 * Injected time: a clock (Workers freeze `Date.now()` during computation, and tests want control) and
 * timers, plus a cancellable sleep and duration parsing.
 */

/** Milliseconds since the epoch; `Date.now` by default. */
export interface Clock {
  now(): number;
}

/** The subset of the timer API the kernel uses; the global timers by default. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

export const systemTimers: Timers = Object.freeze({
  setTimeout: (callback: () => void, ms: number): unknown => setTimeout(callback, ms),
  clearTimeout: (handle: unknown): void => clearTimeout(handle as number),
});

/**
 * Waits `ms`, or rejects with `signal.reason` as soon as the signal aborts. Removes its listener and its
 * timer on both paths, so a long run of sleeps leaks nothing.
 * @example await sleep(250, ctx.signal)
 */
export function sleep(ms: number, signal?: AbortSignal, timers: Timers = systemTimers): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      timers.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = timers.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION = /^([0-9]+)(ms|s|m|h)$/;

/**
 * Parses `"250ms"`, `"5s"`, `"2m"`, `"1h"` into milliseconds; undefined for anything else.
 * @example parseDuration("5s") // 5000
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** Formats milliseconds the way flows write durations (`1500` → `"1.5s"`), for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(3)}s`;
  return `${+(ms / 60_000).toFixed(3)}m`;
}
