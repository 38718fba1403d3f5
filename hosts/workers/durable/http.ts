import { startDurableRun } from "../../../capabilities/workflows/start.ts";
import { FlowError } from "../../../kernel/index.ts";
import type { HttpTriggerEvent } from "../http-trigger.ts";
import { errorResponse, RUN_ID_HEADER } from "../responses.ts";
import { RUNS_PATH } from "../runs/api.ts";
import { withoutCredentials } from "../runs/input.ts";
import { workflowIn } from "./api.ts";

/**
 * An HTTP trigger of a durable flow: the request starts a Workflow instance and is answered at once, `202` with the
 * run id and where to follow it. The trigger becomes the instance's parameters (kept by the platform with the
 * instance), so it is plain data, and credentials are left out of its headers, as the run store does.
 */
export async function startDurableResponse(
  env: object,
  flowId: string,
  runId: string,
  event: HttpTriggerEvent,
): Promise<Response> {
  const workflow = workflowIn(env);
  if (workflow instanceof FlowError) return errorResponse(workflow, runId);
  const trigger = { ...event, headers: withoutCredentials(event.headers) };
  const started = await startDurableRun(workflow, flowId, runId, trigger, "http");
  const statusUrl = `${RUNS_PATH}/${started.runId}`;
  return Response.json(
    { runId: started.runId, status: "running", statusUrl },
    { status: 202, headers: { [RUN_ID_HEADER]: started.runId, location: statusUrl } },
  );
}
