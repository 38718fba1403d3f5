import type { Command } from "commander";
import type { CronTriggerOptions } from "../trigger/cron.ts";
import type { GithubTriggerOptions, TriggerProcess } from "../trigger/github.ts";
import type { QueueTriggerOptions } from "../trigger/queue.ts";
import type { CommandIO } from "./io.ts";
import { reportCliError } from "./run.ts";

const EXIT_CODES =
  "\nExit codes: 0 the Worker took it (2xx), 2 usage error (a bad option, no secret, an unreadable payload), 3 the Worker answered an error (printed), 4 no answer from --url.";
const URL_HELP = "the Worker's origin (default http://127.0.0.1:8787, where `flows dev` serves)";

/**
 * Adds `flows trigger github|queue|cron` to the program: a trigger's delivery sent to a served Worker as the platform (or
 * GitHub) would send it, to replay real deliveries locally (`proc`: environment, working directory, `fetch`).
 */
export function registerTrigger(
  program: Command,
  io: CommandIO,
  proc: TriggerProcess = { environment: process.env },
): void {
  const trigger = program
    .command("trigger")
    .description(
      "send a served Worker a trigger's delivery: a signed GitHub webhook, a queue message, a cron tick",
    );
  trigger
    .command("github")
    .description(
      "send a GitHub webhook delivery, signed with the webhook secret, with a fresh X-GitHub-Delivery",
    )
    .argument("<event>", "the event and, optionally, its action: issues.opened, pull_request.closed, push")
    .requiredOption(
      "--payload <file>",
      "the delivery's JSON body (e.g. saved from the App's advanced settings)",
    )
    .option("--url <url>", URL_HELP)
    .option("--path <path>", "the webhook path (default /api/github/webhooks)")
    .option(
      "--secret <secret>",
      "the webhook secret (default: GITHUB_WEBHOOK_SECRET of the environment, else of .dev.vars)",
    )
    .option("--secret-name <name>", "the secret's name when the trigger names another (its `secret:`)")
    .option(
      "--delivery <id>",
      "the X-GitHub-Delivery id (default a fresh UUID; the same id twice is a redelivery)",
    )
    .option("--json", "print { delivery, event, status, statusText, runId, body } as JSON")
    .addHelpText("after", EXIT_CODES)
    .action(async (event: string, options: GithubTriggerOptions) => {
      try {
        const { triggerGithub } = await import("../trigger/github.ts");
        io.setExitCode(await triggerGithub(event, options, io, proc));
      } catch (error) {
        io.setExitCode(reportCliError(error, options.json === true, io));
      }
    });
  trigger
    .command("queue")
    .description("put a message on a local queue of `flows dev`; the Worker's consumer runs it")
    .argument("<queue>", "the queue's name, as a flow's queue trigger gives it")
    .requiredOption("--message <file>", "the message's body (JSON unless --content-type says otherwise)")
    .option("--content-type <type>", "json (parsed, the default), text or bytes: how the message is sent")
    .option("--delay <seconds>", "deliver it after this many seconds (at most 43200)")
    .option("--url <url>", URL_HELP)
    .option(
      "--token <token>",
      "the Worker's FLOWS_ADMIN_TOKEN (default: the environment's, else the one flows dev wrote in .flows/dev/<port>/.dev.vars)",
    )
    .option("--json", "print { queue, status, statusText, runId, body } as JSON")
    .addHelpText("after", EXIT_CODES)
    .action(async (queue: string, options: QueueTriggerOptions) => {
      try {
        const { triggerQueue } = await import("../trigger/queue.ts");
        io.setExitCode(await triggerQueue(queue, options, io, proc));
      } catch (error) {
        io.setExitCode(reportCliError(error, options.json === true, io));
      }
    });
  trigger
    .command("cron")
    .description("fire a flow's cron schedule on `flows dev` (its scheduled handler, as at that time)")
    .argument("<flow>", "the flow's id")
    .option("--flows <paths...>", "the flow files or folders to find it in (default flows)")
    .option("--trigger <id>", "which cron trigger, when the flow has more than one")
    .option("--url <url>", URL_HELP)
    .option("--json", "print { flow, cron, status, statusText, runId, body } as JSON")
    .addHelpText("after", EXIT_CODES)
    .action(async (flow: string, options: CronTriggerOptions) => {
      try {
        const { triggerCron } = await import("../trigger/cron.ts");
        io.setExitCode(await triggerCron(flow, options, io, proc.fetch));
      } catch (error) {
        io.setExitCode(reportCliError(error, options.json === true, io));
      }
    });
}
