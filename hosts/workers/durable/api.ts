import { WORKFLOW_BINDING, WORKFLOW_CLASS } from "../../../capabilities/workflows/declaration.ts";
import {
  instanceOf,
  isWorkflowBinding,
  liveInstance,
  startDurableRun,
  type WorkflowBinding,
} from "../../../capabilities/workflows/start.ts";
import { DURABLE_LIMITS, isEventType } from "../../../flows/ir/durable.ts";
import { FlowError } from "../../../kernel/index.ts";
import { hostError } from "../codes.ts";
import type { LogSink } from "../run-log.ts";
import type { DurableWait } from "../runs/object.ts";
import type { RunRecord, RunTriggerRef } from "../runs/record.ts";
import { decodeFlowError } from "./engine.ts";

/**
 * Durable runs through the Workflow binding: start one (an instance whose id is the run id), read its status, send
 * it an event, cancel it. The run API (`runs/api.ts`) and the trigger hosts use these; nothing here runs a flow.
 */

/** A durable run as the run API answers it. */
export interface DurableRunView {
  runId: string;
  flowId: string;
  durable: true;
  /** `running`, `waiting`, `paused`, `queued`, then `ok`, `failed` or `cancelled`. */
  status: string;
  /** The instance's own status, as the platform gives it. */
  instanceStatus: string;
  output?: unknown;
  error?: ReturnType<FlowError["toJSON"]>["error"];
  /** While it sleeps or waits: for what, and until when (noted by the run in the run store, when it is bound). */
  waitingFor?: DurableWait[];
  /** From the run's record in the run store, when it has one (hosts/workers/durable/history.ts). */
  flowVersion?: string;
  trigger?: RunTriggerRef;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
}

/** What the run store holds of a durable run: the waits it noted and its record. */
export interface StoredDurableRun {
  waits(): Promise<DurableWait[]>;
  record(): Promise<RunRecord | null>;
}

const NOT_BOUND = `durable flows need the Workflow binding \`${WORKFLOW_BINDING}\` of class \`${WORKFLOW_CLASS}\` (\`[[workflows]]\` in the wrangler config) and \`export { ${WORKFLOW_CLASS} } from "flows-runtime/hosts/workers/objects"\`; \`flows package workers\` and \`flows dev\` declare both`;

/** The Workflow binding of `env`, or the 503 that says how to add it. */
export function workflowIn(env: object): WorkflowBinding | FlowError {
  const binding = (env as Record<string, unknown>)[WORKFLOW_BINDING];
  return isWorkflowBinding(binding) ? binding : hostError("DURABLE_NOT_CONFIGURED", NOT_BOUND);
}

/**
 * Starts a durable run for a delivery of a trigger that is not a request (a queue message, a cron tick), and logs
 * it: true once the instance exists (new, or from an earlier delivery of the same key), false when it could not be
 * started (no binding, the platform refused): the caller retries the delivery then.
 */
export async function startDeliveredRun(
  env: object,
  flowId: string,
  key: string,
  trigger: unknown,
  triggerType: string,
  log: LogSink,
): Promise<boolean> {
  const workflow = workflowIn(env);
  try {
    if (workflow instanceof FlowError) throw workflow;
    const { runId, created } = await startDurableRun(workflow, flowId, key, trigger, triggerType);
    log({
      level: "info",
      message: created ? "durable run started" : "durable run already started by this delivery",
      flowId,
      trigger: triggerType,
      runId,
    });
    return true;
  } catch (error) {
    const flow = error instanceof FlowError ? error : undefined;
    log({
      level: "error",
      message: "could not start a durable run",
      flowId,
      trigger: triggerType,
      errorCode: flow?.code ?? "INTERNAL",
      errorMessage: (error instanceof Error ? error.message : String(error)).slice(0, 500),
    });
    return false;
  }
}

const RUN_STATUS: Readonly<Record<string, string>> = Object.freeze({
  complete: "ok",
  errored: "failed",
  terminated: "cancelled",
  waitingForPause: "paused",
});

/**
 * A durable run's status, output and error, from its instance (the platform's word on where it is), with its start
 * and trigger from its record when stored; undefined when there is no such instance.
 */
export async function durableRunView(
  workflow: WorkflowBinding,
  runId: string,
  flowId: string,
  stored?: StoredDurableRun,
): Promise<DurableRunView | undefined> {
  const instance = await instanceOf(workflow, runId);
  if (!instance) return undefined;
  const [state, waiting, record] = await Promise.all([
    instance.status(),
    stored?.waits() ?? Promise.resolve([]),
    stored?.record() ?? Promise.resolve(null),
  ]);
  const view: DurableRunView = {
    runId,
    flowId,
    durable: true,
    status: RUN_STATUS[state.status] ?? state.status,
    instanceStatus: state.status,
  };
  if (record) {
    view.flowVersion = record.flowVersion;
    view.trigger = record.trigger;
    view.startedAt = record.startedAt;
    if (record.status !== "running") {
      view.endedAt = record.endedAt;
      view.durationMs = record.durationMs;
    }
  }
  // The platform says `waiting` while an instance hibernates; the local engine says `running`: the run's notes decide.
  if ((state.status === "running" || state.status === "waiting") && waiting.length > 0) {
    view.status = "waiting";
    view.waitingFor = waiting;
  }
  if (state.status === "complete") view.output = state.output ?? null;
  if (state.status === "errored" && state.error)
    view.error = decodeFlowError(new Error(state.error.message)).toJSON().error;
  return view;
}

/** Cancels a durable run: its instance is terminated (a waiting run ends at once). */
export async function cancelDurableRun(
  workflow: WorkflowBinding,
  runId: string,
): Promise<{ state: "cancelled" } | { state: "not_running"; status: string } | { state: "not_found" }> {
  const live = await liveInstance(workflow, runId);
  if (!live) return { state: "not_found" };
  if ("ended" in live) return { state: "not_running", status: RUN_STATUS[live.ended]! };
  await live.instance.terminate();
  return { state: "cancelled" };
}

/** The event type of `POST /_flows/runs/:id/events/:type`, checked: what Workflows accepts. */
export function checkEventType(type: string): FlowError | undefined {
  if (isEventType(type)) return undefined;
  return hostError(
    "EVENT_INVALID",
    `event type ${JSON.stringify(type)} is not one Workflows takes: at most ${DURABLE_LIMITS.instanceIdLength} letters, digits, \`_\` and \`-\`, not starting with \`-\``,
  );
}

/** Sends an event to a durable run; `not_found` when there is no such instance, `ended` when it is over. */
export async function sendDurableEvent(
  workflow: WorkflowBinding,
  runId: string,
  type: string,
  payload: unknown,
): Promise<{ state: "sent" } | { state: "ended"; status: string } | { state: "not_found" }> {
  const live = await liveInstance(workflow, runId);
  if (!live) return { state: "not_found" };
  if ("ended" in live) return { state: "ended", status: RUN_STATUS[live.ended]! };
  await live.instance.sendEvent({ type, payload });
  return { state: "sent" };
}
