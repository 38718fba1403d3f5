import { type RunOptions, runFlow } from "../../kernel/index.ts";
import type { FlowSet } from "./flow-set.ts";
import { consoleSink, type LogSink, logRun } from "./run-log.ts";

/** What a flow started by a cron trigger sees as `trigger`. */
export interface CronTriggerEvent {
  type: "cron";
  id: string;
  cron: string;
  scheduledTime: string;
}

/**
 * Runs every flow whose cron trigger has exactly the schedule that fired (Workers pass the cron string as
 * written in wrangler.toml, which the packager copies from the flows). Each run goes under `waitUntil`.
 */
export function handleScheduled(
  set: FlowSet,
  controller: ScheduledController,
  ctx: ExecutionContext,
  runOptions: RunOptions,
  log: LogSink = consoleSink,
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
      const result = await runFlow(set.plans.get(route.flowId)!, {
        ...runOptions,
        trigger,
        logsRunFailure: runOptions.logsRunFailure ?? true,
      });
      logRun(log, route.flowId, `cron:${route.schedule}`, result);
    });
  const all = Promise.all(runs).then(() => undefined);
  ctx.waitUntil(all);
  return all;
}
