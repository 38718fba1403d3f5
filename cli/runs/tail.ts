import { CliError } from "../run/errors.ts";
import { answerOf, type RunsApi } from "./client.ts";

/**
 * `flows runs tail`: follows a run's events (`GET /_flows/runs/:id/events`) and, when the connection drops before
 * the run's final frame, reconnects by itself with `Last-Event-ID` (the last id it printed), so no event is lost
 * or repeated. Ends at the final `end` or `error` frame, or at 204 (the run ended, nothing after that id).
 */

export interface TailFrame {
  /** The SSE id: `<runId>:<n>`. */
  id: string;
  event: string;
  data: string;
}

export interface TailOptions {
  /** Resume after this id (`<runId>:<n>` or `<n>`); from the start without it. */
  after?: string;
  /** Reconnects in a row without a new event before giving up (default 10). */
  maxRetries?: number;
  signal?: AbortSignal;
  /** Waits between reconnects (injectable for tests); the stream's `retry:` sets the delay (default 1 s). */
  sleep?: (ms: number) => Promise<void>;
  /** Told of each reconnect (the id it resumes after). */
  onReconnect?: (after: string | undefined, attempt: number) => void;
}

export interface TailResult {
  /** The final frame (`end` or `error`), or undefined when the stream answered 204 (nothing more). */
  final?: TailFrame;
  reconnects: number;
}

const FINAL = new Set(["end", "error"]);
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Parses SSE text into frames, keeping the incomplete tail; `retry` as it was last set. */
export function parseSse(text: string): { frames: TailFrame[]; rest: string; retry?: number } {
  const frames: TailFrame[] = [];
  let retry: number | undefined;
  const blocks = text.replace(/\r\n?/g, "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let id: string | undefined;
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") id = value;
      else if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else if (field === "retry" && /^[0-9]+$/.test(value)) retry = Number(value);
    }
    if (id !== undefined && data.length > 0) frames.push({ id, event, data: data.join("\n") });
  }
  return retry === undefined ? { frames, rest } : { frames, rest, retry };
}

/** Follows `runId`, calling `onFrame` once per event id, in order; see the comment at the top of this file. */
export async function tailRun(
  api: RunsApi,
  runId: string,
  onFrame: (frame: TailFrame) => void,
  options: TailOptions = {},
): Promise<TailResult> {
  const sleep = options.sleep ?? defaultSleep;
  const maxRetries = options.maxRetries ?? 10;
  let after = options.after;
  let retryMs = 1_000;
  let failures = 0;
  let reconnects = 0;
  const url = `${api.url}/_flows/runs/${encodeURIComponent(runId)}/events`;
  for (;;) {
    let response: Response | undefined;
    let cause = "";
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${api.token}`,
        accept: "text/event-stream",
      };
      if (after !== undefined) headers["last-event-id"] = after;
      response = await (api.fetch ?? fetch)(url, {
        headers,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    }
    if (response?.status === 204) {
      await response.body?.cancel();
      return { reconnects };
    }
    if (response && !response.ok) await answerOf(api, response); // throws the Worker's error
    let progressed = false;
    if (response?.body) {
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const parsed = parseSse(buffer + value);
          buffer = parsed.rest;
          if (parsed.retry !== undefined) retryMs = parsed.retry;
          for (const frame of parsed.frames) {
            after = frame.id;
            progressed = true;
            onFrame(frame);
            if (FINAL.has(frame.event)) {
              await reader.cancel().catch(() => {});
              return { final: frame, reconnects };
            }
          }
        }
      } catch (error) {
        if (options.signal?.aborted) throw error;
        cause = (error as Error).name;
      }
    }
    // The connection dropped before the final frame: resume after the last id.
    failures = progressed ? 1 : failures + 1;
    if (failures > maxRetries)
      throw new CliError(
        "CLI_RUNS_UNREACHABLE",
        `lost the event stream of ${runId} ${maxRetries} times in a row${cause ? ` (${cause})` : ""}; resume with --after ${after ?? "0"}`,
        { url: api.url, after: after ?? null },
      );
    reconnects++;
    options.onReconnect?.(after, reconnects);
    await sleep(retryMs);
  }
}
