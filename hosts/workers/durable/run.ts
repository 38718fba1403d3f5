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
import { trackWaits } from "./waits.ts";

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
  const options = flow.runOptions(env);
  const notes = flow.waitNotes(env, instanceId);
  const clock = options.clock ?? { now: () => Date.now() };
  const logger = options.logger;
  const tracked = notes
    ? trackWaits(
        steps,
        notes,
        () => clock.now(),
        (error) =>
          logger?.log("warn", "could not note a durable run's wait in the run store", {
            runId: instanceId,
            error: error instanceof Error ? error.message : String(error),
          }),
      )
    : steps;
  const result = await runFlow(flow.plan, {
    ...options,
    trigger: params.trigger,
    runId: instanceId,
    steps: tracked,
    deadlineMs: Number.POSITIVE_INFINITY,
    logsRunFailure: true,
  });
  flow.onDone(result, params.triggerType);
  return result;
}
