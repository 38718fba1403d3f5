import type { DurableParams } from "../../../capabilities/workflows/start.ts";
import {
  celLoaded,
  FlowError,
  loadCel,
  type RunResult,
  runFlow,
  type StepEngine,
} from "../../../kernel/index.ts";
import { storedInput } from "../runs/input.ts";
import { type DurableIdentity, recordEnded, recordRunning } from "./history.ts";
import { durableFlow } from "./registry.ts";
import { trackWaits } from "./waits.ts";

export type { DurableParams };

/**
 * One replay of a durable run: the whole flow from the start, its steps answered from the engine's records where
 * they finished (pure nodes recomputed). There is no run deadline: a replay may come days after the start.
 * `startedAt` is the instance's creation time. The run's record (`./history.ts`) is written `running` beside the
 * replay and final after it; a record that cannot be written is logged and does not stop the run.
 */
export async function runDurable(
  params: DurableParams,
  instanceId: string,
  startedAt: number,
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
  const warn = (what: string) => (error: unknown) =>
    logger?.log("warn", `could not ${what} in the run store`, {
      runId: instanceId,
      error: error instanceof Error ? error.message : String(error),
    });
  const tracked = notes
    ? trackWaits(steps, notes, () => clock.now(), warn("note a durable run's wait"))
    : steps;
  const trigger = { type: params.triggerType, id: triggerIdOf(params.trigger) };
  const history = flow.history(env);
  const identity: DurableIdentity | undefined = history && {
    runId: instanceId,
    flowId: params.flow,
    flowVersion: flow.flowVersion,
    trigger,
    startedAt,
    input: storedInput(params.trigger),
    retentionMs: history.retentionMs,
    maxRuns: history.maxRuns,
  };
  const running =
    history && identity
      ? recordRunning(history.store, identity, clock.now()).catch(warn("record a durable run"))
      : undefined;
  const result = await runFlow(flow.plan, {
    ...options,
    trigger: params.trigger,
    runId: instanceId,
    steps: tracked,
    deadlineMs: Number.POSITIVE_INFINITY,
    logsRunFailure: true,
  });
  if (history && identity) {
    await running;
    await recordEnded(history.store, identity, result).catch(warn("record a durable run's end"));
  }
  flow.onDone(result, trigger, env);
  return result;
}

/** The id of the trigger in the flow, from its event (every trigger event carries it as `id`). */
function triggerIdOf(trigger: unknown): string {
  const id = (trigger as { id?: unknown } | null)?.id;
  return typeof id === "string" ? id : "";
}
