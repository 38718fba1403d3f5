import { namedTriggers } from "../../flows/ir/triggers.ts";
import { colorsFor } from "../color.ts";
import type { CommandIO } from "../commands/io.ts";
import { scheduledUrl } from "../package/dev-worker.ts";
import { CliError, EXIT } from "../run/errors.ts";
import { invalidReport, loadFlows } from "../run/load.ts";
import { baseUrl } from "../runs/client.ts";
import { deliver, printAnswer } from "./deliver.ts";

/**
 * `flows trigger cron <flow>`: fires a flow's cron schedule on a `flows dev` (Miniflare's scheduled route, as the
 * platform would at that time). The schedule comes from the flow's file among `--flows` (default `flows`); a flow
 * with more than one cron trigger needs `--trigger <id>`.
 */

export interface CronTriggerOptions {
  url?: string;
  flows?: string[];
  trigger?: string;
  json?: boolean;
}

/** The cron schedule of `flowId`'s trigger among the flow files at `paths`. */
export async function cronOf(flowId: string, paths: readonly string[], trigger?: string): Promise<string> {
  const set = await loadFlows(paths);
  if (!set.ok)
    throw new CliError(
      "CLI_INPUT_INVALID",
      `the flows are invalid:\n${invalidReport(set, false, colorsFor({}, {}))}`,
    );
  const doc = set.documents.find((d) => d.id === flowId);
  if (!doc)
    throw new CliError(
      "CLI_FLOW_UNKNOWN",
      `no flow \`${flowId}\` in ${paths.join(", ")} (known: ${set.documents.map((d) => d.id).join(", ")}): give its folder with --flows`,
    );
  const crons = namedTriggers(doc).flatMap(({ id, trigger: t }) =>
    t.type === "cron" ? [{ id, schedule: t.schedule }] : [],
  );
  if (crons.length === 0) throw new CliError("CLI_TRIGGER_UNKNOWN", `flow \`${flowId}\` has no cron trigger`);
  const chosen =
    trigger === undefined ? (crons.length === 1 ? crons[0] : undefined) : crons.find((c) => c.id === trigger);
  if (!chosen)
    throw new CliError(
      trigger === undefined ? "CLI_TRIGGER_REQUIRED" : "CLI_TRIGGER_UNKNOWN",
      `flow \`${flowId}\` has cron triggers ${crons.map((c) => `${c.id} (${c.schedule})`).join(", ")}: pick one with --trigger <id>`,
    );
  return chosen.schedule;
}

/** Fires the schedule; exit 0 when the Worker ran its scheduled handler, 3 otherwise. */
export async function triggerCron(
  flowId: string,
  options: CronTriggerOptions,
  io: CommandIO,
  fetcher?: typeof fetch,
): Promise<number> {
  const base = baseUrl(options.url ?? "http://127.0.0.1:8787");
  const schedule = await cronOf(flowId, options.flows?.length ? options.flows : ["flows"], options.trigger);
  const answer = await deliver(scheduledUrl(base, schedule), {}, fetcher);
  printAnswer(io, options.json === true, { flow: flowId, cron: schedule }, answer);
  return answer.status >= 200 && answer.status < 300 ? EXIT.ok : EXIT.runFailed;
}
