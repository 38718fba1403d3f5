import type { Context, Hono } from "hono";
import { FlowError } from "../../../kernel/index.ts";
import { hostError } from "../codes.ts";
import { listRuns } from "../durable/history.ts";
import {
  durableCancelResponse,
  durableEventResponse,
  durableRunFlow,
  durableRunResponse,
} from "../durable/routes.ts";
import type { FlowSet } from "../flow-set.ts";
import { errorResponse } from "../responses.ts";
import { runsRefusal } from "./auth.ts";
import { RUNS_BINDING, RUNS_CLASS } from "./declaration.ts";
import type { RecordStatus } from "./record.ts";
import { type RunsOptions, type RunsRecorder, runStoreIn } from "./recording.ts";
import type { RerunHandler } from "./rerun.ts";
import { followResponse, resumePoint } from "./resume.ts";
import { decodeCursor, type RunStore } from "./store.ts";

/** The base path of the run API. */
export const RUNS_PATH = "/_flows/runs";
/** Runs per page of `GET /_flows/runs`: `limit` by default, and at most. */
export const LIST_LIMITS = Object.freeze({ default: 50, max: 200 });
/** The statuses `status=` takes. */
export const RUN_STATUSES: readonly RecordStatus[] = [
  "running",
  "waiting",
  "ok",
  "failed",
  "cancelled",
  "deadline_exceeded",
];

// biome-ignore lint/suspicious/noExplicitAny: mounted on the host's app whatever its env type.
type AnyContext = Context<any>;

/** How to add the binding, in the words of the 503. */
const NOT_BOUND = `the run store is not bound: add a Durable Object binding \`${RUNS_BINDING}\` of class \`${RUNS_CLASS}\` (durable_objects.bindings, and a migration with new_sqlite_classes = ["${RUNS_CLASS}"]) and export ${RUNS_CLASS} from the Worker (\`export { ${RUNS_CLASS} } from "flows-runtime/hosts/workers/objects"\`); \`flows package workers\` and \`flows dev\` declare all three`;

/** Who may read runs: see `runsRefusal`. */
const refusal = (c: AnyContext): Promise<Response | undefined> =>
  runsRefusal(c.req.raw, c.env, c.get("runId"));

/** The query of `GET /_flows/runs`, checked; or the error to answer. */
function listQuery(
  c: AnyContext,
  set: FlowSet,
): { flowId: string; status?: string; limit: number; cursor?: string } | FlowError {
  const flowId = c.req.query("flow");
  const known = [...set.documents.keys()];
  if (!flowId)
    return hostError("RUNS_QUERY_INVALID", `\`flow\` is required: one of ${known.join(", ")}`, {
      flows: known,
    });
  if (!set.documents.has(flowId))
    return hostError("FLOW_NOT_FOUND", `no flow \`${flowId}\` (known: ${known.join(", ")})`);
  const query: { flowId: string; status?: string; limit: number; cursor?: string } = {
    flowId,
    limit: LIST_LIMITS.default,
  };
  const status = c.req.query("status");
  if (status !== undefined) {
    if (!(RUN_STATUSES as readonly string[]).includes(status))
      return hostError(
        "RUNS_QUERY_INVALID",
        `\`status\` is ${JSON.stringify(status)}: use one of ${RUN_STATUSES.join(", ")}`,
      );
    query.status = status;
  }
  const limit = c.req.query("limit");
  if (limit !== undefined) {
    const n = /^[0-9]{1,4}$/.test(limit) ? Number(limit) : Number.NaN;
    if (!(n >= 1 && n <= LIST_LIMITS.max))
      return hostError(
        "RUNS_QUERY_INVALID",
        `\`limit\` is ${JSON.stringify(limit)}: use a whole number from 1 to ${LIST_LIMITS.max}`,
      );
    query.limit = n;
  }
  const cursor = c.req.query("cursor");
  if (cursor !== undefined) {
    if (!decodeCursor(cursor))
      return hostError(
        "RUNS_QUERY_INVALID",
        "`cursor` is not one this API gave: pass the `cursor` of the previous page as it is",
      );
    query.cursor = cursor;
  }
  return query;
}

/**
 * The read side of the run API, behind `Authorization: Bearer <FLOWS_ADMIN_TOKEN>` (absent secret: no routes):
 * - `GET /_flows/runs/:id`: the run's record (`RunRecord` of `./record.ts`), 404 `RUN_NOT_FOUND` when not stored;
 * - `GET /_flows/runs?flow=<id>&status=&limit=&cursor=`: a page of the flow's runs, newest first,
 *   `{ runs: IndexEntry[], cursor }` (`cursor` null on the last page).
 * - `GET /_flows/runs/:id/events`: its event log as SSE after `Last-Event-ID` (or `?lastEventId=`), then live until
 *   the run ends (a continuing run); 204 when nothing comes after the id of a run that ended;
 * - `POST /_flows/runs/:id/cancel`: cancels a continuing run, answering when it has ended;
 * - `POST /_flows/runs/:id/rerun`: the same flow version and input, a new run id (`./rerun.ts`);
 * - a durable run (`<flow>_<key>`, hosts/workers/durable): `GET …/:id` and `POST …/:id/cancel` ask its Workflow
 *   instance, and `POST …/:id/events/:type` sends it an event (its JSON body the payload).
 * Without the `FLOWS_RUNS` binding they answer 503 `RUNS_NOT_CONFIGURED`, saying how to add it.
 */
export function registerRunsApi(
  // biome-ignore lint/suspicious/noExplicitAny: mounted on the host's app whatever its env type.
  app: Hono<any>,
  set: FlowSet,
  recorder: RunsRecorder,
  options: RunsOptions = {},
  clockOf?: (env: object) => { now(): number } | undefined,
  hooks: { rerun?: RerunHandler } = {},
): void {
  const storeOf = (c: AnyContext): RunStore | FlowError => {
    const env = (c.env ?? {}) as object;
    return runStoreIn(env, options, clockOf?.(env)) ?? hostError("RUNS_NOT_CONFIGURED", NOT_BOUND);
  };
  for (const path of [RUNS_PATH, `${RUNS_PATH}/*`]) {
    app.use(path, async (c, next) => {
      const refused = await refusal(c);
      if (refused) return refused;
      await next();
    });
  }
  app.get(RUNS_PATH, async (c) => {
    const runId: string = c.get("runId");
    const store = storeOf(c);
    if (store instanceof FlowError) return errorResponse(store, runId);
    const query = listQuery(c, set);
    if (query instanceof FlowError) return errorResponse(query, runId);
    const { flowId, ...rest } = query;
    const durable = set.documents.get(flowId)?.durable === true;
    return c.json(await listRuns(store, flowId, rest, recorder.policy(flowId).maxRuns, durable));
  });
  app.get(`${RUNS_PATH}/:id`, async (c) => {
    const runId: string = c.get("runId");
    const id = c.req.param("id");
    const durable = durableRunFlow(set, id);
    if (durable) {
      const store = storeOf(c);
      const stored =
        store instanceof FlowError
          ? undefined
          : { waits: () => store.run(id).waits(), record: () => store.get(id) };
      return durableRunResponse(c.env ?? {}, id, durable, runId, stored);
    }
    const store = storeOf(c);
    if (store instanceof FlowError) return errorResponse(store, runId);
    const record = await store.get(id);
    if (!record) return errorResponse(notRecorded(id, "in the run store"), runId);
    return c.json(record);
  });
  app.get(`${RUNS_PATH}/:id/events`, async (c) => {
    const runId: string = c.get("runId");
    const store = storeOf(c);
    if (store instanceof FlowError) return errorResponse(store, runId);
    const id = c.req.param("id");
    const after = resumePoint(c.req.raw, id);
    if (after instanceof Error) return errorResponse(after, runId);
    return followResponse(store, id, after, runId);
  });
  app.post(`${RUNS_PATH}/:id/events/:type`, async (c) => {
    const runId: string = c.get("runId");
    const id = c.req.param("id");
    if (!durableRunFlow(set, id))
      return errorResponse(
        hostError(
          "RUN_NOT_FOUND",
          `no durable run \`${id}\`: only a run of a durable flow (durable: true) takes events`,
        ),
        runId,
      );
    return durableEventResponse(c.req.raw, c.env ?? {}, id, c.req.param("type"), runId);
  });
  app.post(`${RUNS_PATH}/:id/cancel`, async (c) => {
    const runId: string = c.get("runId");
    const store = storeOf(c);
    const durableId = c.req.param("id");
    const durable = durableRunFlow(set, durableId);
    if (durable) {
      const env = (c.env ?? {}) as object;
      const history =
        store instanceof FlowError
          ? undefined
          : { store, ...recorder.policy(durable), now: () => clockOf?.(env)?.now() ?? Date.now() };
      return durableCancelResponse(env, durableId, runId, history);
    }
    if (store instanceof FlowError) return errorResponse(store, runId);
    const id = c.req.param("id");
    const answer = await store.run(id).cancelRun("cancelled through the run API");
    if (answer.state === "cancelled") return c.json({ runId: id, status: answer.status });
    if (answer.state === "not_running")
      return errorResponse(
        hostError(
          "RUN_NOT_RUNNING",
          answer.status === "running"
            ? `run \`${id}\` is not going on in its object any more`
            : `run \`${id}\` is not going on: it ended \`${answer.status}\` (only a continuing run, onDisconnect: continue, can be cancelled here; another ends with its request)`,
          { status: answer.status },
        ),
        runId,
      );
    return errorResponse(
      hostError(
        "RUN_NOT_FOUND",
        `no run \`${id}\` in the run store: only a continuing run (onDisconnect: continue) can be cancelled through the API`,
      ),
      runId,
    );
  });
  app.post(`${RUNS_PATH}/:id/rerun`, async (c) => {
    const runId: string = c.get("runId");
    const store = storeOf(c);
    if (store instanceof FlowError) return errorResponse(store, runId);
    const id = c.req.param("id");
    const record = await store.get(id);
    if (!record) return errorResponse(notRecorded(id, "in the run store to rerun"), runId);
    if (!hooks.rerun) throw new TypeError("the run API was mounted without a rerun handler");
    return hooks.rerun(c, record, store);
  });
}

/** RUN_NOT_FOUND for a run the store does not hold, saying the two reasons it may not. */
const notRecorded = (id: string, where: string): FlowError =>
  hostError(
    "RUN_NOT_FOUND",
    `no run \`${id}\` ${where}: it was not recorded (see the flow's runs.record; the default records failed runs only), or it expired`,
  );
