import type { DurableParams } from "../../../capabilities/workflows/start.ts";
import {
  celLoaded,
  FlowError,
  loadCel,
  type RunResult,
  runFlow,
  type StepEngine,
} from "../../../kernel/index.ts";
import { durableFlow } from "./registry.ts";

export type { DurableParams };

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
