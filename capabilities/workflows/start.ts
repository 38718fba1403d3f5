/**
 * Starting durable runs (Workflow instances): the run id of a delivery and the `create` that starts at most one
 * instance per id. Used by the Workers host (HTTP, queue and cron triggers) and by the GitHub webhook flow's
 * dispatch (a delivery to a durable flow). Web standards only.
 */
import { DURABLE_LIMITS, INSTANCE_ID_PATTERN } from "../../flows/ir/durable.ts";

/**
 * The id of a durable run, which is its Workflow instance's id: `<flow id>_<key>`. A flow id never holds `_` and a
 * run id of a run that is not durable (a UUID) never does either, so the API tells them apart by the shape alone.
 * The key is the start's own (a request's run id) or the delivery's (a GitHub delivery id, a queue message id, a
 * cron time): the same delivery gives the same instance id, so a redelivery cannot start a second instance. A key
 * that would not fit the instance id's characters or length is replaced by its SHA-256.
 * @example await durableRunId("approval", "3f2c…") // "approval_3f2c…"
 */
export async function durableRunId(flowId: string, key: string): Promise<string> {
  const id = `${flowId}_${key}`;
  if (id.length <= DURABLE_LIMITS.instanceIdLength && INSTANCE_ID_PATTERN.test(id)) return id;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${flowId}_${hex.slice(0, DURABLE_LIMITS.instanceIdLength - flowId.length - 1)}`;
}

const DURABLE_RUN_ID = /^([a-z][a-z0-9-]{0,62})_[A-Za-z0-9_-]+$/;

/** The flow id of a durable run id, or undefined for any other id. */
export function durableFlowOf(runId: string): string | undefined {
  if (runId.length > DURABLE_LIMITS.instanceIdLength) return undefined;
  return DURABLE_RUN_ID.exec(runId)?.[1];
}

/** What a durable run's Workflow instance is created with. */
export interface DurableParams {
  /** The flow's id (one Workflow class runs every durable flow of the Worker). */
  readonly flow: string;
  /** The trigger event, as plain data. */
  readonly trigger: unknown;
  /** The type of the trigger that started it (`http`, `queue`, `cron`, `github`), for the run's log line. */
  readonly triggerType: string;
}

/** The part of the `Workflow` binding flows uses. */
export interface WorkflowBinding {
  create(options: { id: string; params: DurableParams }): Promise<{ id: string }>;
  get(id: string): Promise<WorkflowInstanceHandle>;
}

export interface WorkflowInstanceHandle {
  status(): Promise<{ status: string; error?: { name: string; message: string } | null; output?: unknown }>;
  terminate(): Promise<void>;
  sendEvent(event: { type: string; payload: unknown }): Promise<void>;
}

/** True when `value` looks like a Workflow binding. */
export const isWorkflowBinding = (value: unknown): value is WorkflowBinding =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as WorkflowBinding).create === "function" &&
  typeof (value as WorkflowBinding).get === "function";

const ALREADY_EXISTS = /already.exists|already exists/i;

/**
 * Starts flow `flowId`'s run for delivery `key` (its instance id derives from it): `created` is false when that
 * instance already exists, i.e. the delivery came before, and nothing new starts.
 */
export async function startDurableRun(
  workflow: WorkflowBinding,
  flowId: string,
  key: string,
  trigger: unknown,
  triggerType: string,
): Promise<{ runId: string; created: boolean }> {
  const runId = await durableRunId(flowId, key);
  try {
    await workflow.create({ id: runId, params: { flow: flowId, trigger, triggerType } });
    return { runId, created: true };
  } catch (error) {
    if (error instanceof Error && ALREADY_EXISTS.test(error.message)) return { runId, created: false };
    throw error;
  }
}

/** The instance of a durable run, or undefined when the platform knows none by that id (or the id is not one). */
export async function instanceOf(
  workflow: WorkflowBinding,
  runId: string,
): Promise<WorkflowInstanceHandle | undefined> {
  try {
    return await workflow.get(runId);
  } catch (error) {
    if (error instanceof Error && /not.found|invalid id/i.test(error.message)) return undefined;
    throw error;
  }
}

/** The instance states after which a durable run is over. */
const ENDED = new Set(["complete", "errored", "terminated"]);

/**
 * A durable run's instance while it goes on; `{ ended }` with the instance's status once it is over; undefined when
 * the platform knows no instance by that id. What sending an event or cancelling checks first.
 */
export async function liveInstance(
  workflow: WorkflowBinding,
  runId: string,
): Promise<{ instance: WorkflowInstanceHandle } | { ended: string } | undefined> {
  const instance = await instanceOf(workflow, runId);
  if (!instance) return undefined;
  const { status } = await instance.status();
  return ENDED.has(status) ? { ended: status } : { instance };
}
