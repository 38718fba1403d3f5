import { hostError } from "../codes.ts";
import { errorResponse, RUN_ID_HEADER } from "../responses.ts";
import { type ContinuingSpec, parseEventId } from "./continuing.ts";
import type { RunStore } from "./store.ts";

/**
 * The Worker's side of resumable streams: it starts a continuing run in its `run:<id>` object and passes the
 * object's event stream on; a reconnect (`Last-Event-ID: <runId>:<n>`, or `?lastEventId=`) follows the same run
 * from after that id. The stream's ids carry the run id, so the browser's EventSource, which reconnects to the
 * same URL with the last id it saw, lands on its run (impl-docs/runs.md#runs-that-outlive-their-connection).
 */

export const SSE_HEADERS = Object.freeze({
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
});

/** The id a client sends back: the `Last-Event-ID` header, else `?lastEventId=` (for clients that cannot set it). */
export function lastEventIdOf(request: Request): string | undefined {
  const header = request.headers.get("last-event-id");
  if (header !== null && header !== "") return header;
  if (!request.url.includes("lastEventId=")) return undefined;
  return new URL(request.url).searchParams.get("lastEventId") ?? undefined;
}

/** The resume point of a request for `runId` (the events endpoint): an id naming another run is an error. */
export function resumePoint(request: Request, runId: string): number | Error {
  const text = lastEventIdOf(request);
  if (text === undefined) return 0;
  const parsed = parseEventId(text);
  if (!parsed || (parsed.runId !== undefined && parsed.runId !== runId))
    return hostError(
      "RUNS_QUERY_INVALID",
      `Last-Event-ID ${JSON.stringify(text.slice(0, 120))} is not an id of run \`${runId}\`: send \`<n>\` or \`${runId}:<n>\` as the stream gave it`,
    );
  return parsed.afterId;
}

/**
 * The events of `runId` after `afterId` from its object, then live until the run ends: 200 with the stream, 204
 * when the run ended with nothing after the id, 404 `RUN_NOT_FOUND` when the object has no such run (or it is of
 * another flow than `flowId`, for a reconnect to a flow's route).
 */
export async function followResponse(
  store: RunStore,
  runId: string,
  afterId: number,
  requestRunId: string,
  flowId?: string,
): Promise<Response> {
  const query = `after=${afterId}${flowId ? `&flow=${encodeURIComponent(flowId)}` : ""}`;
  const answer = await store.run(runId).fetch(`http://run/follow?${query}`);
  if (answer.status === 204) return new Response(null, { status: 204, headers: { [RUN_ID_HEADER]: runId } });
  if (answer.status !== 200 || !answer.body) {
    await answer.body?.cancel();
    return errorResponse(
      hostError(
        "RUN_NOT_FOUND",
        flowId
          ? `no run \`${runId}\` of flow \`${flowId}\` to resume: it ended and expired, or the id is not one this route gave`
          : `no run \`${runId}\` with events in the run store`,
      ),
      requestRunId,
    );
  }
  return new Response(answer.body, { headers: { ...SSE_HEADERS, [RUN_ID_HEADER]: runId } });
}

/** Starts a continuing run in its object, then answers its event stream from the start. */
export async function startContinuingResponse(store: RunStore, spec: ContinuingSpec): Promise<Response> {
  const started = await store.run(spec.runId).startContinuing(spec);
  if ("error" in started) {
    return errorResponse(
      hostError(
        started.error.code === "RUN_OWNER_MISSING" ? "RUN_OWNER_MISSING" : "RUNS_NOT_CONFIGURED",
        started.error.message,
      ),
      spec.runId,
    );
  }
  return followResponse(store, spec.runId, 0, spec.runId);
}
