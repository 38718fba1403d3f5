import { type RunEvent, type RunHandle, type RunResult, toEnvelope } from "../../../kernel/index.ts";
import { formatSseComment, formatSseEvent } from "./format.ts";

export interface SseOptions {
  /** A comment is sent after this long without an event, so proxies keep the stream open. Default 15 s. */
  heartbeatMs?: number;
  /** Called once when the run has ended and the stream is closed (for logging). */
  onDone?: (result: RunResult) => void;
}

export const DEFAULT_HEARTBEAT_MS = 15_000;

const encoder = new TextEncoder();

/** The `data` of a run event: the whole event as JSON (its `type` and `seq` are also the SSE `event` and `id`). */
const eventData = (event: RunEvent): string => JSON.stringify(event);

/**
 * Streams a run as Server-Sent Events: every run event (`event: node.start`, … with `id` = its sequence
 * number), then a final `end` event with the output, or `error` with the JSON envelope. Heartbeat comments on
 * long gaps. When the client goes away (the stream is cancelled), the run is cancelled. The stream is closed
 * on every path.
 */
export function sseStream(run: RunHandle, options: SseOptions = {}): ReadableStream<Uint8Array> {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const iterator = run.events[Symbol.asyncIterator]();
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let lastSentAt = Date.now();
  let lastSeq = 0;
  let closed = false;

  const stop = (): void => {
    closed = true;
    if (heartbeat !== undefined) clearInterval(heartbeat);
    heartbeat = undefined;
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string): void => {
        if (closed) return;
        lastSentAt = Date.now();
        controller.enqueue(encoder.encode(text));
      };
      heartbeat = setInterval(
        () => {
          // Date.now() advances between I/O events in Workers, which is all a heartbeat needs.
          if (Date.now() - lastSentAt >= heartbeatMs) send(formatSseComment("heartbeat"));
        },
        Math.max(10, Math.floor(heartbeatMs / 2)),
      );
      send(formatSseComment("flow run"));
      void (async () => {
        try {
          for (;;) {
            const next = await iterator.next();
            if (next.done) break;
            lastSeq = next.value.seq;
            send(
              formatSseEvent({
                event: next.value.type,
                id: String(next.value.seq),
                data: eventData(next.value),
              }),
            );
          }
          const result = await run.result;
          if (result.status === "ok") {
            send(
              formatSseEvent({
                event: "end",
                id: String(lastSeq + 1),
                data: JSON.stringify({
                  runId: result.runId,
                  status: result.status,
                  output: result.output ?? null,
                }),
              }),
            );
          } else {
            send(
              formatSseEvent({
                event: "error",
                id: String(lastSeq + 1),
                data: JSON.stringify(toEnvelope(result.error, result.runId)),
              }),
            );
          }
          options.onDone?.(result);
        } catch (error) {
          send(
            formatSseEvent({
              event: "error",
              id: String(lastSeq + 1),
              data: JSON.stringify(toEnvelope(error, run.runId)),
            }),
          );
        } finally {
          const wasClosed = closed;
          stop();
          if (!wasClosed) {
            try {
              controller.close();
            } catch {
              // Already closed or errored by a cancel: nothing to do.
            }
          }
        }
      })();
    },
    cancel(reason) {
      // The client went away: stop the run, which ends the event loop above.
      stop();
      run.cancel(typeof reason === "string" ? reason : "client disconnected");
    },
  });
}
