import { durableFlowOf, type WorkflowBinding } from "../../../capabilities/workflows/start.ts";
import { DURABLE_LIMITS } from "../../../flows/ir/durable.ts";
import { FlowError } from "../../../kernel/index.ts";
import { readRequestBody } from "../body.ts";
import { hostError } from "../codes.ts";
import type { FlowSet } from "../flow-set.ts";
import { errorResponse } from "../responses.ts";
import type { RunStore } from "../runs/store.ts";
import {
  cancelDurableRun,
  checkEventType,
  durableRunView,
  type StoredDurableRun,
  sendDurableEvent,
  workflowIn,
} from "./api.ts";
import { cancelledRecord } from "./history.ts";

/**
 * The run API's answers for durable runs (mounted by `runs/api.ts`, behind the same bearer token): their status
 * from the Workflow instance, cancel, and events. A durable run id (`<flow>_<key>`) of a durable flow of this
 * Worker goes here; any other id goes to the run store.
 */

/** The durable flow a run id belongs to, when it is one of this Worker's. */
export function durableRunFlow(set: FlowSet, runId: string): string | undefined {
  const flowId = durableFlowOf(runId);
  return flowId !== undefined && set.documents.get(flowId)?.durable === true ? flowId : undefined;
}

const notFound = (runId: string): FlowError =>
  hostError(
    "RUN_NOT_FOUND",
    `no durable run \`${runId}\`: it never started, or the platform no longer keeps it`,
  );

async function withWorkflow(
  env: object,
  requestRunId: string,
  then: (workflow: WorkflowBinding) => Promise<Response>,
): Promise<Response> {
  const workflow = workflowIn(env);
  if (workflow instanceof FlowError) return errorResponse(workflow, requestRunId);
  return then(workflow);
}

/** `GET /_flows/runs/:id` of a durable run. */
export function durableRunResponse(
  env: object,
  runId: string,
  flowId: string,
  requestRunId: string,
  stored?: StoredDurableRun,
): Promise<Response> {
  return withWorkflow(env, requestRunId, async (workflow) => {
    const view = await durableRunView(workflow, runId, flowId, stored);
    return view ? Response.json(view) : errorResponse(notFound(runId), requestRunId);
  });
}

/** Where a cancel writes the run's end: its store, the flow's retention and the runs it keeps. */
export interface CancelHistory {
  store: RunStore;
  retentionMs: number;
  maxRuns: number;
  now(): number;
}

/**
 * `POST /_flows/runs/:id/cancel` of a durable run: its instance is terminated (it writes nothing after), so the
 * cancel writes its record `cancelled` (which clears its waits); a run with no record only has its notes forgotten.
 */
export function durableCancelResponse(
  env: object,
  runId: string,
  requestRunId: string,
  history?: CancelHistory,
): Promise<Response> {
  return withWorkflow(env, requestRunId, async (workflow) => {
    const answer = await cancelDurableRun(workflow, runId);
    if (answer.state === "cancelled") {
      if (history) {
        const record = await history.store.get(runId);
        if (record?.status === "running")
          await history.store.save(
            cancelledRecord(record, history.now(), history.retentionMs),
            [],
            history.maxRuns,
          );
        else if (!record) await history.store.run(runId).forget();
      }
      return Response.json({ runId, status: "cancelled" });
    }
    if (answer.state === "not_found") return errorResponse(notFound(runId), requestRunId);
    return errorResponse(
      hostError("RUN_NOT_RUNNING", `run \`${runId}\` is not going on: it ended \`${answer.status}\``, {
        status: answer.status,
      }),
      requestRunId,
    );
  });
}

/** `POST /_flows/runs/:id/events/:type`: the JSON body (or none) is the event's payload. */
export function durableEventResponse(
  request: Request,
  env: object,
  runId: string,
  type: string,
  requestRunId: string,
): Promise<Response> {
  return withWorkflow(env, requestRunId, async (workflow) => {
    const invalid = checkEventType(type);
    if (invalid) return errorResponse(invalid, requestRunId);
    let payload: unknown;
    try {
      payload = (await readRequestBody(request, DURABLE_LIMITS.stepOutputBytes, request.signal)).value;
    } catch (error) {
      if (error instanceof FlowError && error.code === "BODY_TOO_LARGE")
        return errorResponse(
          hostError("EVENT_INVALID", `an event's payload is at most ${DURABLE_LIMITS.stepOutputBytes} bytes`),
          requestRunId,
        );
      throw error;
    }
    if (payload instanceof Uint8Array)
      return errorResponse(
        hostError("EVENT_INVALID", "an event's payload is JSON or text, not bytes"),
        requestRunId,
      );
    const answer = await sendDurableEvent(workflow, runId, type, payload);
    if (answer.state === "sent")
      return Response.json({ runId, event: type, status: "sent" }, { status: 202 });
    if (answer.state === "not_found") return errorResponse(notFound(runId), requestRunId);
    return errorResponse(
      hostError(
        "RUN_NOT_RUNNING",
        `run \`${runId}\` ended \`${answer.status}\`: it waits for no event any more`,
        {
          status: answer.status,
        },
      ),
      requestRunId,
    );
  });
}
