import type { Hono } from "hono";
import { startDurableRun } from "../../../capabilities/workflows/start.ts";
import { flowGraph, toSvg, triggerLabel } from "../../../flows/graph/index.ts";
import type { FlowDocument } from "../../../flows/ir/types.ts";
import { FlowError, type RunOptions, runFlow } from "../../../kernel/index.ts";
import { readLimited } from "../body.ts";
import { hostError } from "../codes.ts";
import { workflowIn } from "../durable/api.ts";
import { listRuns, withWaits } from "../durable/history.ts";
import type { FlowSet } from "../flow-set.ts";
import { errorResponse, RUN_ID_HEADER } from "../responses.ts";
import { allListeners, requestContext } from "../runs/host.ts";
import type { StoredEvent } from "../runs/record.ts";
import { formatSseComment, formatSseEvent } from "../sse/format.ts";
import { adminToken, checkViewerRequest, VIEWER_CHALLENGE } from "./auth.ts";
import type { ViewerRuns } from "./index.ts";
import { viewerPage } from "./page.ts";
import type { RunRecorder } from "./recorder.ts";

/** The base path of the viewer and its API. */
export const VIEWER_PATH = "/_flows";

/** A started run's trigger, as the page sends it: merged over an HTTP-like default. */
interface StartRequest {
  trigger?: Record<string, unknown>;
}

const MAX_START_BYTES = 1024 * 1024;

/** What the page lists for a flow. */
function flowSummary(doc: FlowDocument, set: FlowSet) {
  const plan = set.plans.get(doc.id);
  return {
    id: doc.id,
    version: doc.version,
    description: doc.description ?? null,
    effect: plan?.effect,
    determinism: plan?.determinism,
    nodes: doc.nodes.length,
    triggers: doc.triggers.map((t) => ({ type: t.type, label: triggerLabel(t) })),
  };
}

/** The default trigger of a run started from the page: the flow's first HTTP trigger, with an empty request. */
function defaultTrigger(doc: FlowDocument): Record<string, unknown> {
  const http = doc.triggers.find((t) => t.type === "http");
  return {
    type: "http",
    method: http?.type === "http" ? http.method : "POST",
    path: http?.type === "http" ? http.path : "/",
    params: {},
    query: {},
    headers: {},
    body: null,
  };
}

/** Runs' events as an SSE response: every event (`event: <type>`, `id: <seq>`), then a final `end` comment. */
function eventsResponse(events: AsyncIterable<unknown>, runId: string, signal: AbortSignal): Response {
  const encoder = new TextEncoder();
  const iterator = events[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const step = await iterator.next();
      if (step.done) {
        controller.enqueue(encoder.encode(formatSseComment("end")));
        controller.close();
        return;
      }
      const event = step.value as { type: string; seq: number };
      controller.enqueue(
        encoder.encode(
          formatSseEvent({ event: event.type, id: String(event.seq), data: JSON.stringify(event) }),
        ),
      );
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  signal.addEventListener("abort", () => void iterator.return?.(), { once: true });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      [RUN_ID_HEADER]: runId,
    },
  });
}

/** A run's stored events (its log in the run store) as an SSE response, then the final `end` comment. */
function storedEventsResponse(events: readonly StoredEvent[], runId: string): Response {
  let text = "";
  for (const e of events) text += formatSseEvent({ event: e.type, id: String(e.id), data: e.data });
  return new Response(text + formatSseComment("end"), {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      [RUN_ID_HEADER]: runId,
    },
  });
}

/** Runs of the viewer's history list. */
const HISTORY_LIMIT = 20;

/**
 * The run viewer (`/_flows/`): a page listing the flows, each flow's graph, and runs lighting up node by node as
 * their events arrive. Its API: `GET /_flows/api/flows`, `GET /_flows/api/flows/:id/graph` (the graph and its
 * SVG), `POST /_flows/api/flows/:id/runs` (starts a run, answers `{ runId }`; the run goes on under `waitUntil`),
 * `GET /_flows/api/runs?flow=` (the history: the run store's when `FLOWS_RUNS` is bound, else this isolate's recent
 * runs), `GET /_flows/api/runs/:runId` (a stored record) and `GET /_flows/api/runs/:runId/events` (SSE: the events
 * this isolate recorded, then live ones; else those the run store kept).
 * Every API request needs `Authorization: Bearer <FLOWS_ADMIN_TOKEN>` (401 `VIEWER_UNAUTHORIZED` otherwise);
 * without that secret the page and the API answer 503 `VIEWER_NOT_CONFIGURED`. The page holds no data: it asks for
 * the token (or takes it from the URL fragment, `#token=…`, which is never sent to the server) and sends it as
 * that header.
 */
export function registerViewer(
  // biome-ignore lint/suspicious/noExplicitAny: mounted on the host's app whatever its env type.
  app: Hono<any>,
  set: FlowSet,
  recorder: RunRecorder,
  runOptions: (bindings: object, runId: string) => RunOptions,
  runs?: ViewerRuns,
): void {
  const document = viewerPage(VIEWER_PATH);
  const html = () =>
    new Response(document, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy":
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'",
      },
    });
  const page = (c: { env?: object; get: (key: "runId") => string }) => {
    const token = adminToken(c.env ?? {});
    return typeof token === "string" ? html() : errorResponse(token, c.get("runId"));
  };
  app.get(VIEWER_PATH, page);
  app.get(`${VIEWER_PATH}/`, page);

  app.use(`${VIEWER_PATH}/api/*`, async (c, next) => {
    const refused = await checkViewerRequest(c.req.raw, c.env ?? {});
    if (refused) {
      const headers =
        refused.code === "VIEWER_UNAUTHORIZED" ? { "www-authenticate": VIEWER_CHALLENGE } : undefined;
      return errorResponse(refused, c.get("runId"), headers);
    }
    await next();
  });

  app.get(`${VIEWER_PATH}/api/flows`, (c) =>
    c.json({ flows: [...set.documents.values()].map((doc) => flowSummary(doc, set)) }),
  );

  app.get(`${VIEWER_PATH}/api/flows/:id/graph`, (c) => {
    const id = c.req.param("id");
    const doc = set.documents.get(id);
    const plan = set.plans.get(id);
    if (!doc || !plan) return errorResponse(hostError("FLOW_NOT_FOUND", `no flow \`${id}\``), c.get("runId"));
    const graph = flowGraph(doc, plan);
    return c.json({ graph, svg: toSvg(graph) });
  });

  app.post(`${VIEWER_PATH}/api/flows/:id/runs`, async (c) => {
    const id = c.req.param("id");
    const doc = set.documents.get(id);
    const plan = set.plans.get(id);
    const runId: string = c.get("runId");
    if (!doc || !plan) return errorResponse(hostError("FLOW_NOT_FOUND", `no flow \`${id}\``), runId);
    // Read at most the limit (a 413 past it, without buffering the rest), never the whole body first.
    let text: string;
    try {
      text = new TextDecoder().decode(await readLimited(c.req.raw.body, MAX_START_BYTES, c.req.raw.signal));
    } catch (error) {
      if (error instanceof FlowError) return errorResponse(error, runId);
      throw error;
    }
    let request: StartRequest = {};
    if (text.trim() !== "") {
      try {
        request = JSON.parse(text) as StartRequest;
      } catch {
        return errorResponse(hostError("BODY_INVALID_JSON", "the run request is not valid JSON"), runId);
      }
    }
    if (typeof request !== "object" || request === null || Array.isArray(request))
      return errorResponse(hostError("BODY_INVALID_JSON", "the run request must be a JSON object"), runId);
    const trigger = { ...defaultTrigger(doc), ...(request.trigger ?? {}) };
    if (doc.durable === true) {
      // A Workflow instance, as its triggers start one; the page follows its record (a durable run has no events).
      const workflow = workflowIn(c.env ?? {});
      if (workflow instanceof FlowError) return errorResponse(workflow, runId);
      const started = await startDurableRun(workflow, id, runId, trigger, "viewer");
      return c.json({ runId: started.runId, durable: true }, 202);
    }
    const options = runOptions(c.env ?? {}, runId);
    const context = requestContext(c, options.clock);
    // Recorded in the run store as any run of the flow is (its events exist anyway: the page follows them).
    const recording = runs?.recorder.start(context, id, { type: "viewer", id: "viewer" }, true);
    const onEvent = allListeners(
      ...[recorder.record(runId, id), recording?.onEvent].filter((l) => l !== undefined),
    );
    // Not tied to this request: the page follows the run through its events.
    const run = runFlow(plan, { ...options, runId, trigger, ...(onEvent ? { onEvent } : {}) }).then(
      (result) => recording?.done(result),
    );
    context.waitUntil(run);
    return c.json({ runId, events: `${VIEWER_PATH}/api/runs/${runId}/events` }, 202);
  });

  // The history: the run store's (the same from every isolate, across restarts) when bound, else this isolate's.
  app.get(`${VIEWER_PATH}/api/runs`, async (c) => {
    const flowId = c.req.query("flow");
    const store = runs?.store(c.env ?? {});
    if (!runs || !store || !flowId || !set.documents.has(flowId)) {
      const recent = recorder.list().filter((r) => !flowId || r.flowId === flowId);
      return c.json({ source: "isolate", runs: recent });
    }
    const durable = set.documents.get(flowId)?.durable === true;
    const { maxRuns } = runs.recorder.policy(flowId);
    return c.json({
      source: "store",
      ...(await listRuns(store, flowId, { limit: HISTORY_LIMIT }, maxRuns, durable)),
    });
  });

  app.get(`${VIEWER_PATH}/api/runs/:runId`, async (c) => {
    const runId = c.req.param("runId");
    const store = runs?.store(c.env ?? {});
    const record = await store?.get(runId);
    if (!store || !record)
      return errorResponse(
        hostError("RUN_NOT_FOUND", `no run \`${runId}\` in the run store`),
        c.get("runId"),
      );
    return c.json(record.durable ? withWaits(record, await store.run(runId).waits()) : record);
  });

  app.get(`${VIEWER_PATH}/api/runs/:runId/events`, async (c) => {
    const runId = c.req.param("runId");
    const events = recorder.follow(runId, c.req.raw.signal);
    if (events) return eventsResponse(events, runId, c.req.raw.signal);
    const stored = await runs?.store(c.env ?? {})?.events(runId);
    if (stored && stored.length > 0) return storedEventsResponse(stored, runId);
    return errorResponse(
      hostError("RUN_NOT_FOUND", `no run \`${runId}\` in this isolate's recent runs or in the run store`),
      c.get("runId"),
    );
  });
}
