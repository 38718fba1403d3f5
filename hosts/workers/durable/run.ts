import {
  celLoaded,
  FlowError,
  loadCel,
  type RunResult,
  runFlow,
  type StepEngine,
} from "../../../kernel/index.ts";
import { durableFlow } from "./registry.ts";

/** What a durable run's Workflow instance is created with. */
export interface DurableParams {
  /** The flow's id (one Workflow class runs every durable flow of the Worker). */
  readonly flow: string;
  /** The trigger event, as plain data. */
  readonly trigger: unknown;
  /** The type of the trigger that started it (`http`, `queue`, `cron`, `github`), for the run's log line. */
  readonly triggerType: string;
}

/**
 * One replay of a durable run: the whole flow from the start, its steps answered from the engine's records where
 * they finished (pure nodes recomputed). There is no run deadline: a replay may come days after the start.
 */
export async function runDurable(
  params: DurableParams,
  instanceId: string,
  env: object,
  steps: StepEngine,
): Promise<RunResult> {
  const flow = durableFlow(params.flow);
  if (!flow)
    throw new FlowError(
      "FLOW_NOT_FOUND",
      `durable run \`${instanceId}\` names flow \`${params.flow}\`, which this Worker does not serve (removed or renamed since the run started)`,
      { status: 404, expose: true, details: { flowId: params.flow } },
    );
  if (!celLoaded()) await loadCel();
  const result = await runFlow(flow.plan, {
    ...flow.runOptions(env),
    trigger: params.trigger,
    runId: instanceId,
    steps,
    deadlineMs: Number.POSITIVE_INFINITY,
    logsRunFailure: true,
  });
  flow.onDone(result, params.triggerType);
  return result;
}
