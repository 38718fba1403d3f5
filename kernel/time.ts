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

/**
 * `wait`, or `signal.reason` as soon as the signal aborts (for a call that takes no signal of its own); a `wait` that
 * fails after the abort fails with the reason too. Removes its listener either way.
 * @example await abortable(ctx.signal, bucket.put(key, stream))
 */
export function abortable<T>(signal: AbortSignal, wait: Promise<T>): Promise<T> {
  if (signal.aborted) {
    wait.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    wait.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(signal.aborted ? signal.reason : error);
      },
    );
  });
}

// Durations have one grammar, in flows/units/duration.ts; the kernel's surface re-exports it.
export { formatDuration, parseDuration } from "../flows/units/duration.ts";
