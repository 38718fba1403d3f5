/**
 * Injected time: a clock (Workers freeze `Date.now()` during computation, and tests want control) and
 * timers, plus a cancellable sleep (and duration parsing, from flows/units).
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

// Durations have one grammar, in flows/units/duration.ts; the kernel's surface re-exports it.
export { formatDuration, parseDuration } from "../flows/units/duration.ts";
