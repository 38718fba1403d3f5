import {
  type ExecutionPlan,
  type RunEvent,
  type RunOptions,
  type RunResult,
  startRun,
  toEnvelope,
} from "../../../kernel/index.ts";
import { formatSseComment, formatSseEvent } from "./format.ts";

export interface SseOptions {
  /** A comment is sent after this long without any write, so proxies keep the stream open. Default 15 s. */
  heartbeatMs?: number;
  /** Called once when the run has ended (for logging). */
  onDone?: (result: RunResult) => void;
}

export const DEFAULT_HEARTBEAT_MS = 15_000;

/** Formatted text is encoded and enqueued once this much has gathered (or at the next turn of the event loop). */
const FLUSH_BYTES = 16 * 1024;

const encoder = new TextEncoder();

/**
 * One run event as an SSE frame. The event type is one of the kernel's fixed names, the id a number and
 * `JSON.stringify` output holds no raw line break, so this skips the general formatter's checks.
 */
const eventFrame = (event: RunEvent): string =>
  `event: ${event.type}\nid: ${event.seq}\ndata: ${JSON.stringify(event)}\n\n`;

/**
 * Runs a plan and streams it as Server-Sent Events: every run event (`event: node.start`, … with `id` = its
 * sequence number, `data` = the event as JSON), then a final `end` event with the output, or `error` with the
 * JSON envelope. Events are formatted as the kernel publishes them and written in batches; a heartbeat
 * comment goes out after `heartbeatMs` without a write. When the client goes away (the stream is cancelled,
 * or `runOptions.signal` aborts) the run is cancelled. The stream is closed on every path.
 */
export function sseRunStream(
  plan: ExecutionPlan,
  runOptions: RunOptions,
  options: SseOptions = {},
): ReadableStream<Uint8Array> {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let cancelRun: (reason: string) => void = () => {};
  let pending = "";
  let flushScheduled = false;
  let closed = false;
  let lastSeq = 0;
  let heartbeat: ReturnType<typeof setTimeout> | undefined;

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const armHeartbeat = (): void => {
        if (heartbeat !== undefined) clearTimeout(heartbeat);
        heartbeat = closed
          ? undefined
          : setTimeout(() => write(formatSseComment("heartbeat"), true), heartbeatMs);
      };
      const flush = (): void => {
        flushScheduled = false;
        if (closed || pending === "") return;
        controller.enqueue(encoder.encode(pending));
        pending = "";
        armHeartbeat();
      };
      const write = (text: string, now = false): void => {
        if (closed) return;
        pending += text;
        if (now || pending.length >= FLUSH_BYTES) flush();
        else if (!flushScheduled) {
          // The tail goes out at the next turn of the event loop, so a slow run's events are not held back.
          flushScheduled = true;
          setTimeout(flush, 0);
        }
      };
      const finish = (): void => {
        flush();
        closed = true;
        if (heartbeat !== undefined) clearTimeout(heartbeat);
        try {
          controller.close();
        } catch {
          // Already cancelled by the client: nothing to close.
        }
      };

      write(formatSseComment("flow run"), true);
      const alsoOnEvent = runOptions.onEvent;
      const onEvent = (event: RunEvent): void => {
        lastSeq = event.seq;
        alsoOnEvent?.(event);
        write(eventFrame(event));
      };
      const run = startRun(plan, { ...runOptions, onEvent });
      cancelRun = (reason) => run.cancel(reason);
      void run.result
        .then((result) => {
          const id = String(lastSeq + 1);
          if (result.status === "ok") {
            const end = { runId: result.runId, status: result.status, output: result.output ?? null };
            write(formatSseEvent({ event: "end", id, data: JSON.stringify(end) }));
          } else {
            const envelope = toEnvelope(result.error, result.runId);
            write(formatSseEvent({ event: "error", id, data: JSON.stringify(envelope) }));
          }
          options.onDone?.(result);
        })
        .catch((error: unknown) => {
          write(
            formatSseEvent({
              event: "error",
              id: String(lastSeq + 1),
              data: JSON.stringify(toEnvelope(error, runOptions.runId)),
            }),
          );
        })
        .finally(finish);
    },
    cancel() {
      // The client went away: stop writing and cancel the run (its nodes see their signals abort).
      closed = true;
      if (heartbeat !== undefined) clearTimeout(heartbeat);
      cancelRun("the client closed the event stream");
    },
  });
}
