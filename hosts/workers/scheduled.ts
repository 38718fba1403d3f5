import { type RunOptions, runFlow } from "../../kernel/index.ts";
import { startDeliveredRun } from "./durable/api.ts";
import type { CronRoute, FlowSet } from "./flow-set.ts";
import { consoleSink, type LogSink, logRun } from "./run-log.ts";
import { allListeners } from "./runs/host.ts";
import type { RunRecording } from "./runs/recording.ts";

/** What a flow started by a cron trigger sees as `trigger`. */
export interface CronTriggerEvent {
  type: "cron";
  id: string;
  cron: string;
  scheduledTime: string;
}

/**
 * Runs every flow whose cron trigger has exactly the schedule that fired (Workers pass the cron string as
 * written in wrangler.toml, which the packager copies from the flows). Each run goes under `waitUntil`; a durable
 * flow's run is started as a Workflow instance keyed by the trigger and the scheduled time.
 */
export function handleScheduled(
  set: FlowSet,
  controller: ScheduledController,
  ctx: ExecutionContext,
  runOptions: RunOptions,
  log: LogSink = consoleSink,
  recording?: (route: CronRoute) => RunRecording | undefined,
  env: object = runOptions.env ?? {},
): Promise<void> {
  const runs = set.crons
    .filter((route) => route.schedule === controller.cron)
    .map(async (route) => {
      const trigger: CronTriggerEvent = {
        type: "cron",
        id: route.triggerId,
        cron: controller.cron,
        scheduledTime: new Date(controller.scheduledTime).toISOString(),
      };
      if (set.documents.get(route.flowId)?.durable === true) {
        // One instance per trigger and scheduled time: a tick delivered twice starts one run.
        const key = `${route.triggerId}-${controller.scheduledTime}`;
        await startDeliveredRun(env, route.flowId, key, trigger, "cron", log);
        return;
      }
      const recorded = recording?.(route);
      const onEvent = allListeners(...[runOptions.onEvent, recorded?.onEvent].filter((l) => l !== undefined));
      const result = await runFlow(set.plans.get(route.flowId)!, {
        ...runOptions,
        ...(onEvent ? { onEvent } : {}),
        trigger,
        logsRunFailure: runOptions.logsRunFailure ?? true,
      });
      logRun(log, route.flowId, `cron:${route.schedule}`, result);
      recorded?.done(result, trigger);
    });
  const all = Promise.all(runs).then(() => undefined);
  ctx.waitUntil(all);
  return all;
}
