import type { Context } from "hono";
import type { RunEvent } from "../../../kernel/index.ts";
import type { RecordingContext } from "./recording.ts";

/**
 * Glue between a Hono request and a run's recording: its `waitUntil` (the recording outlives the answer) and the
 * kernel's one `onEvent` for several listeners.
 */

/** The recording context of a request: its env, its `executionCtx.waitUntil`, the runs' clock. */
export function requestContext(
  // biome-ignore lint/suspicious/noExplicitAny: any Hono env.
  c: Context<any>,
  clock?: { now(): number },
): RecordingContext {
  const context: RecordingContext = {
    env: (c.env ?? {}) as object,
    waitUntil: (promise) => {
      try {
        c.executionCtx.waitUntil(promise);
      } catch {
        // No execution context (a direct `app.fetch` in tests): the promise goes on by itself.
      }
    },
  };
  if (clock) context.clock = clock;
  return context;
}

/** One listener calling each given one in order; undefined when none is given (the kernel then builds no events). */
export function allListeners(
  ...listeners: ((event: RunEvent) => void)[]
): ((event: RunEvent) => void) | undefined {
  if (listeners.length <= 1) return listeners[0];
  return (event) => {
    for (const listener of listeners) listener(event);
  };
}
