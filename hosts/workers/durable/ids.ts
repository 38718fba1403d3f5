import { DURABLE_LIMITS, INSTANCE_ID_PATTERN } from "../../../flows/ir/durable.ts";

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
