import { type Context, Hono } from "hono";
import {
  celLoaded,
  type ExecutionPlan,
  FlowError,
  loadCel,
  newRunId,
  type RunOptions,
  type RunResult,
  startRun,
  toByteStream,
} from "../../kernel/index.ts";
import {
  isStreamableBody,
  type RequestBody,
  readRawRequestBody,
  readRequestBody,
  streamRequestBody,
} from "./body.ts";
import { hostError } from "./codes.ts";
import { startDurableResponse } from "./durable/http.ts";
import { registerDurableFlow } from "./durable/registry.ts";
import type { FlowSet, HttpRoute } from "./flow-set.ts";
import { httpTriggerEvent } from "./http-trigger.ts";
import { RunMetrics } from "./metrics/write.ts";
import {
  errorResponse,
  failedRunResponse,
  noResponseError,
  outputResponse,
  RUN_ID_HEADER,
} from "./responses.ts";
import { consoleSink, type LogSink, logRun } from "./run-log.ts";
import { registerRunsApi } from "./runs/api.ts";
import { parseEventId, registerContinuingFlow } from "./runs/continuing.ts";
import { allListeners, requestContext } from "./runs/host.ts";
import { storedInput } from "./runs/input.ts";
import { type RunsOptions, RunsRecorder, runStoreIn } from "./runs/recording.ts";
import { rerunHandler } from "./runs/rerun.ts";
import { followResponse, lastEventIdOf, startContinuingResponse } from "./runs/resume.ts";
import { sseRunStream } from "./sse/stream.ts";
import type { RunViewer } from "./viewer/index.ts";

/** Where the host's own routes live: health, the run store API, the viewer (`VIEWER_PATH` of viewer/routes.ts). */
const HOST_PATH = "/_flows";

/** The Workers `env` (bindings, vars, secrets). Any object type: a user's `Env` interface fits. */
export type Bindings = object;

export interface HostOptions {
  /** Where the per-run log line goes (one JSON line on stdout by default). */
  log?: LogSink;
  /** SSE heartbeat interval, ms. */
  heartbeatMs?: number;
  /** Serve `GET /_flows/health` (default true). */
  health?: boolean;
  /**
   * The run viewer at `/_flows/` (see `viewer/routes.ts`): off by default; `true` (or an object) serves the page and
   * its API, which need `Authorization: Bearer <FLOWS_ADMIN_TOKEN>` (the secret binding; without it they answer 503
   * `VIEWER_NOT_CONFIGURED`). `recordAll: true` records every run's events in the isolate, so any run can be
   * followed by its id (for local development: it costs an event hub per run); by default only the viewer's own
   * runs are recorded.
   */
  viewer?: boolean | { recordAll?: boolean };
  /**
   * The viewer itself (`RUN_VIEWER` of `./viewer/index.ts`), injected so that a Worker with the viewer off does not
   * bundle it: `createWorker` of `hosts/workers/index.ts` passes it, the packaged entry only with `--viewer`.
   * Without it there is no viewer (asking for one with `viewer` is then a TypeError).
   */
  runViewer?: RunViewer;
  /** Extra run options for every run (clock, fetch, journal…), e.g. for tests. */
  runOptions?: (bindings: Bindings) => Partial<RunOptions>;
  /**
   * The run store (`FLOWS_RUNS`, see impl-docs/runs.md): the deployment's defaults for each field of a flow's
   * `runs:` it leaves out (built in: record `failed`, retention `7d`, maxRuns `1000`), and the binding name.
   */
  runs?: RunsOptions;
}

type AppEnv = { Bindings: Bindings; Variables: { runId: string } };

/** Options shared by every run the host starts. */
export function baseRunOptions(set: FlowSet, bindings: Bindings, options: HostOptions): RunOptions {
  return {
    env: bindings as Readonly<Record<string, unknown>>,
    plans: set.plans,
    ...options.runOptions?.(bindings),
  };
}

/** A continuing route's body: read whole (parsed or raw), since the run moves to its object. */
function readWholeBody(request: Request, route: HttpRoute): Promise<RequestBody> {
  return route.body === "raw"
    ? readRawRequestBody(request, route.maxBodyBytes, request.signal)
    : readRequestBody(request, route.maxBodyBytes, request.signal);
}

/**
 * An `onDisconnect: continue` route (impl-docs/runs.md#runs-that-outlive-their-connection): a request with a
 * `Last-Event-ID` of this route's stream (`<runId>:<n>`) follows that run; any other starts a run in its own
 * `run:<id>` object, which goes on when the client leaves.
 */
async function serveContinuing(
  request: Request,
  route: HttpRoute,
  flowVersion: string,
  params: Record<string, string>,
  runId: string,
  env: object,
  options: HostOptions,
  clock: { now(): number } | undefined,
): Promise<Response> {
  const store = runStoreIn(env, options.runs, clock);
  if (!store)
    return errorResponse(
      hostError(
        "RUNS_NOT_CONFIGURED",
        `\`${route.method} ${route.path}\` continues its runs when the client leaves (onDisconnect: continue), which needs the run store: add the \`FLOWS_RUNS\` Durable Object binding (flows package workers declares it)`,
      ),
      runId,
    );
  const last = lastEventIdOf(request);
  const resume = last === undefined ? undefined : parseEventId(last);
  if (resume?.runId) return followResponse(store, resume.runId, resume.afterId, runId, route.flowId);
  const body = await readWholeBody(request, route);
  // Plain data: the lazy fields of the trigger are read here, since the event crosses to the object.
  const event = { ...httpTriggerEvent(request, route.triggerId, params, body) };
  return startContinuingResponse(store, {
    runId,
    flowId: route.flowId,
    flowVersion,
    trigger: { type: "http", id: route.triggerId },
    event,
    input: storedInput(event),
  });
}

async function serveRoute(
  request: Request,
  route: HttpRoute,
  plan: ExecutionPlan,
  params: Record<string, string>,
  run: RunOptions,
  options: HostOptions,
  onDone?: (result: RunResult, input?: unknown) => void,
): Promise<Response> {
  const runId = run.runId!;
  let trigger: unknown;
  // A streamed body's verdict (over its limit, broken off) and its end when the run ends (`streamRequestBody`).
  let overLimit: () => FlowError | undefined = NO_VERDICT;
  let release: () => void = NOTHING;
  const log = (result: RunResult): void => {
    release();
    logRun(options.log ?? consoleSink, route.flowId, `http:${route.triggerId}`, result);
    onDone?.(result, trigger);
  };
  let body: RequestBody;
  if (route.body === "stream" && isStreamableBody(request)) {
    const streamed = streamRequestBody(request, route.maxBodyBytes);
    body = streamed.body;
    overLimit = streamed.overLimit;
    release = streamed.release;
  } else if (route.body === "raw")
    body = await readRawRequestBody(request, route.maxBodyBytes, request.signal);
  else body = await readRequestBody(request, route.maxBodyBytes, request.signal);
  trigger = httpTriggerEvent(request, route.triggerId, params, body);
  // `run` is this request's own options (made by the route's handler): the trigger and signal go into it. The run
  // line (`log`) reports the failure: the kernel does not log it a second time.
  run.trigger = trigger;
  run.signal = request.signal;
  run.logsRunFailure ??= true;

  if (route.response === "sse") {
    const heartbeatMs = options.heartbeatMs;
    const stream = sseRunStream(
      plan,
      run,
      heartbeatMs === undefined ? { onDone: log } : { heartbeatMs, onDone: log },
    );
    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        [RUN_ID_HEADER]: runId,
      },
    });
  }

  // JSON and a streamed body read the same run: its output as soon as it exists (a stream in it, such as an
  // `r2.get` body passed to `respond`, is answered at once so the body flows while the run goes on; its reader
  // joins at once, which keeps the ChunkStream's buffer bounded), else its result.
  const handle = startRun(plan, run);
  const output = await handle.output;
  if (output.stream) {
    void handle.result.then(log);
    if (route.response === "stream") {
      return new Response(toByteStream(output.stream), {
        headers: { "content-type": "application/octet-stream", [RUN_ID_HEADER]: runId },
      });
    }
    return outputResponse(runId, output.value, plan.outputIsResponse, output.stream);
  }
  const result = await handle.result;
  log(result);
  if (result.status === "ok") {
    return result.outputSkipped
      ? errorResponse(noResponseError(result.outputSkipped), runId)
      : outputResponse(runId, result.output, plan.outputIsResponse);
  }
  // A streamed body that went past its limit fails whichever node read it: the answer is the host's 413.
  const tooLarge = overLimit();
  return tooLarge ? errorResponse(tooLarge, runId) : failedRunResponse(result);
}

const NO_VERDICT = (): FlowError | undefined => undefined;
const NOTHING = (): void => {};

/**
 * The flows as a Hono app: one route per HTTP trigger, 405 for a known path with another method, 404 with the
 * error envelope otherwise, `GET /_flows/health`. Mountable into an existing app: `app.route("/flows", flowsApp)`.
 */
export function createFlowsApp(set: FlowSet, options: HostOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // The host's own routes (health, run store API, viewer) get the request's run id and the CEL library here; a
  // flow's route does the same in its one handler, so that Hono serves it on its single-handler path.
  app.use(`${HOST_PATH}/*`, async (c, next) => {
    c.set("runId", newRunId());
    // The CEL library is loaded before the first plan compiles, not at the Worker's import (cel-loader.ts).
    if (!celLoaded()) await loadCel();
    await next();
    if (!c.res.headers.has(RUN_ID_HEADER)) c.res.headers.set(RUN_ID_HEADER, c.get("runId"));
  });

  if (options.health !== false) {
    app.get(`${HOST_PATH}/health`, (c) =>
      c.json({
        ok: true,
        flows: [...set.documents.values()].map((doc) => ({
          id: doc.id,
          version: doc.version,
          determinism: set.plans.get(doc.id)?.determinism,
          triggers: doc.triggers.map((t) => t.type),
        })),
      }),
    );
  }

  if (options.viewer && !options.runViewer) {
    throw new TypeError(
      "`viewer` asks for the run viewer: pass `runViewer: RUN_VIEWER` (hosts/workers/viewer)",
    );
  }
  // The run store: its read API (behind FLOWS_ADMIN_TOKEN), and each route's runs recorded per their flow's policy.
  const runs = new RunsRecorder(set.documents.values(), options.runs ?? {}, options.log ?? consoleSink);
  const metrics = new RunMetrics(set.documents.values(), options.log ?? consoleSink);
  const clockOf = (env: object) => options.runOptions?.(env).clock;
  registerRunsApi(app, set, runs, options.runs, clockOf, {
    rerun: rerunHandler(set, runs, options, (env) => baseRunOptions(set, env, options)),
  });

  // Off unless asked (`viewer: true` or `{ recordAll }`): its API starts runs with the Worker's bindings.
  const recorder = options.viewer
    ? options.runViewer?.mount(
        app,
        set,
        (bindings, runId) => ({ ...baseRunOptions(set, bindings, options), runId }),
        { recorder: runs, store: (env) => runStoreIn(env, options.runs, clockOf(env)) },
      )
    : undefined;
  const recordAll = typeof options.viewer === "object" && options.viewer.recordAll === true;

  // One handler per path, which picks the method's flow (HEAD: GET's) or answers 405 with Allow: Hono composes
  // nothing for a request it routes to a single handler. Paths are grouped by shape (`/a/:x` ≡ `/a/:y`, as
  // flow-set's conflict check has it), so two methods' flows may name a path's parameters differently: the handler
  // is registered with the first path's names, and each flow gets the values under its own names, by position.
  type Serve = (
    c: Context<AppEnv>,
    runId: string,
    params: Record<string, string>,
  ) => Response | Promise<Response>;
  interface PathRoutes {
    path: string;
    names: string[];
    methods: Map<string, { serve: Serve; names: string[] }>;
  }
  const byShape = new Map<string, PathRoutes>();
  const on = (method: string, path: string, serve: Serve): void => {
    const shape = path.replace(/:[^/]+/g, ":");
    let routes = byShape.get(shape);
    if (!routes) {
      routes = { path, names: paramNames(path), methods: new Map() };
      byShape.set(shape, routes);
    }
    if (!routes.methods.has(method)) routes.methods.set(method, { serve, names: paramNames(path) });
  };
  for (const doc of set.documents.values()) {
    if (doc.durable !== true) continue;
    // The Workflow instance (in whichever isolate) finds the flow in this module's registry.
    registerDurableFlow(doc.id, {
      plan: set.plans.get(doc.id)!,
      flowVersion: doc.version,
      runOptions: (env) => baseRunOptions(set, env, options),
      onDone: (result, trigger, env) => {
        logRun(options.log ?? consoleSink, doc.id, `${trigger.type}:durable`, result);
        metrics.write(env, doc.id, trigger, result);
      },
      waitNotes: (env, runId) => {
        const store = runStoreIn(env, options.runs, clockOf(env));
        return store ? (step, wait) => store.run(runId).noteWait(step, wait) : undefined;
      },
      history: (env) => {
        const store = runs.records(env, doc.id) ? runStoreIn(env, options.runs, clockOf(env)) : undefined;
        const { retentionMs, maxRuns } = runs.policy(doc.id);
        return store && { store, retentionMs, maxRuns };
      },
    });
  }
  for (const route of set.http) {
    const plan = set.plans.get(route.flowId)!;
    const trigger = { type: "http", id: route.triggerId };
    if (set.documents.get(route.flowId)?.durable === true) {
      on(route.method, route.path, async (c, runId, params) => {
        const request = c.req.raw;
        // Plain data: the lazy fields of the trigger are read here, since the event goes to the instance.
        const event = {
          ...httpTriggerEvent(request, route.triggerId, params, await readWholeBody(request, route)),
        };
        return startDurableResponse(c.env ?? {}, route.flowId, runId, event);
      });
      continue;
    }
    if (route.onDisconnect === "continue") {
      const flowVersion = set.documents.get(route.flowId)?.version ?? "";
      // The run's object (in whichever isolate) finds the flow in this module's registry.
      registerContinuingFlow(route.flowId, {
        plan,
        flowVersion,
        policy: runs.policy(route.flowId),
        runs: options.runs ?? {},
        ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
        runOptions: (env) => baseRunOptions(set, env, options),
        onDone: (result, env) => {
          logRun(options.log ?? consoleSink, route.flowId, `http:${route.triggerId}`, result);
          metrics.write(env, route.flowId, { type: "http", id: route.triggerId }, result);
        },
      });
      on(route.method, route.path, (c, runId, params) => {
        const env = c.env ?? {};
        return serveContinuing(c.req.raw, route, flowVersion, params, runId, env, options, clockOf(env));
      });
      continue;
    }
    on(route.method, route.path, (c, runId, params) => {
      const env = c.env ?? {};
      const base = baseRunOptions(set, env, options);
      // Nothing is allocated for a run that is not recorded (no binding, or `record: none`).
      const recording = runs.records(env, route.flowId)
        ? runs.start(requestContext(c, base.clock), route.flowId, trigger, route.response === "sse")
        : undefined;
      const watched = recordAll && recorder ? recorder.record(runId, route.flowId) : undefined;
      const onEvent =
        watched || recording?.onEvent
          ? allListeners(...[base.onEvent, watched, recording?.onEvent].filter((l) => l !== undefined))
          : base.onEvent;
      // The viewer's history alone does without a byte stream's chunks: R2's body still goes to the client as is.
      const handOff =
        watched !== undefined && !base.onEvent && !recording?.onEvent && route.response !== "sse";
      // `base` is this request's own object (baseRunOptions makes one per call): the run's fields go into it.
      base.runId = runId;
      if (onEvent) base.onEvent = onEvent;
      if (handOff) base.handOffWhenListened = true;
      return serveRoute(
        c.req.raw,
        route,
        plan,
        params,
        base,
        options,
        metrics.around(env, route.flowId, trigger, recording)?.done,
      );
    });
  }

  for (const { path, names, methods } of byShape.values()) {
    const allowed = [...methods.keys()].sort();
    const allow = allowed.join(", ");
    app.all(path, (c): Response | Promise<Response> => {
      const runId = newRunId();
      c.set("runId", runId);
      const method = c.req.method;
      const chosen = methods.get(method) ?? (method === "HEAD" ? methods.get("GET") : undefined);
      if (!chosen)
        return errorResponse(
          hostError("METHOD_NOT_ALLOWED", `${method} is not allowed on ${path}: use ${allow}`, {
            allow: allowed,
          }),
          runId,
          { allow },
        );
      const raw = names.length === 0 ? {} : (c.req.param() as Record<string, string>);
      const params = sameNames(chosen.names, names) ? raw : renamed(raw, names, chosen.names);
      // The CEL library is loaded before the first plan compiles, not at the Worker's import (cel-loader.ts).
      return celLoaded()
        ? chosen.serve(c, runId, params)
        : loadCel().then(() => chosen.serve(c, runId, params) as Promise<Response>);
    });
  }

  app.notFound((c) =>
    errorResponse(
      hostError("ROUTE_NOT_FOUND", `no flow is served at ${c.req.method} ${new URL(c.req.url).pathname}`),
      c.get("runId") ?? newRunId(),
    ),
  );

  app.onError((error, c) => {
    if (!(error instanceof FlowError) || !error.expose) {
      // Unexpected: the client gets INTERNAL and the run id; the cause goes to the log only.
      (options.log ?? consoleSink)({
        level: "error",
        message: "request failed",
        runId: c.get("runId"),
        path: new URL(c.req.url).pathname,
        errorCode: error instanceof FlowError ? error.code : "INTERNAL",
        cause: `${error.name}: ${error.message}`.slice(0, 500),
      });
    }
    return errorResponse(error, c.get("runId") ?? newRunId());
  });

  return app;
}

/** A route path's parameter names, in order (`/a/:id{[0-9]+}/:rest?` → `["id", "rest"]`). */
function paramNames(path: string): string[] {
  return path
    .split("/")
    .filter((segment) => segment.startsWith(":"))
    .map((segment) => segment.slice(1).replace(/\{.*$/, "").replace(/\?$/, ""));
}

const sameNames = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((name, i) => name === b[i]);

/** The values of `params` (named `from`) under the names `to`, position by position. */
function renamed(
  params: Record<string, string>,
  from: readonly string[],
  to: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  to.forEach((name, i) => {
    const value = params[from[i]!];
    if (value !== undefined) out[name] = value;
  });
  return out;
}
