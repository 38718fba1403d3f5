import type { Command } from "commander";
import type { ListOptions, RunsCommandOptions, RunsProcess, TailCommandOptions } from "../runs/index.ts";
import type { CommandIO } from "./io.ts";
import { reportCliError } from "./run.ts";

const EXIT_CODES =
  "\nExit codes: 0 ok, 2 usage error (no --url, no token, a bad option), 3 the Worker answered an error (its code is printed), 4 no answer from --url.";
const TOKEN_HELP = "the Worker's FLOWS_ADMIN_TOKEN (default: the FLOWS_ADMIN_TOKEN environment variable)";

/**
 * Adds `flows runs list|show|tail|cancel|rerun` to the program: the run store of a served Worker, through its run API
 * (`proc`: the environment and `fetch`; the real process by default).
 */
export function registerRuns(
  program: Command,
  io: CommandIO,
  proc: RunsProcess = { environment: process.env },
): void {
  const runs = program
    .command("runs")
    .description("the recorded runs of a served Worker (its run store, through GET /_flows/runs)");
  runs
    .command("list")
    .description("list a flow's recorded runs, newest first")
    .requiredOption("--url <url>", "the Worker's origin, e.g. http://127.0.0.1:8787")
    .option("--flow <id>", "the flow whose runs to list (required)")
    .option(
      "--status <status>",
      "only runs with this status: running (durable runs going on), waiting (durable runs that sleep or wait), ok, failed, cancelled, deadline_exceeded",
    )
    .option("--limit <n>", "runs per page, 1 to 200 (default 50)")
    .option("--cursor <cursor>", "the next page, as the previous one printed it")
    .option("--token <token>", TOKEN_HELP)
    .option("--json", "print the API's answer as JSON: { runs, cursor }")
    .addHelpText("after", EXIT_CODES)
    .action(async (options: ListOptions) => {
      try {
        const { listRuns } = await import("../runs/index.ts");
        io.setExitCode(await listRuns(options, io, proc));
      } catch (error) {
        io.setExitCode(reportCliError(error, options.json === true, io));
      }
    });
  runs
    .command("show")
    .description("show one recorded run: status, timings and error of each node, output or error")
    .argument("<runId>", "the run id (the x-flow-run-id header of its answer)")
    .requiredOption("--url <url>", "the Worker's origin, e.g. http://127.0.0.1:8787")
    .option("--token <token>", TOKEN_HELP)
    .option("--json", "print the run's record as JSON")
    .addHelpText("after", EXIT_CODES)
    .action(async (runId: string, options: RunsCommandOptions) => {
      try {
        const { showRun } = await import("../runs/index.ts");
        io.setExitCode(await showRun(runId, options, io, proc));
      } catch (error) {
        io.setExitCode(reportCliError(error, options.json === true, io));
      }
    });
  runs
    .command("tail")
    .description(
      "follow a run's events as they come (the stored ones first); resumes by itself with Last-Event-ID when the connection drops",
    )
    .argument("<runId>", "the run id (the x-flow-run-id header of its answer)")
    .requiredOption("--url <url>", "the Worker's origin, e.g. http://127.0.0.1:8787")
    .option("--after <id>", "start after this event id (<runId>:<n> or <n>), as a stream gave it")
    .option("--token <token>", TOKEN_HELP)
    .option("--json", "one JSON line per event: { id, event, data }")
    .addHelpText(
      "after",
      "\nExit codes: 0 the run ended ok, 2 usage error, 3 the run ended otherwise (its error frame is printed) or the Worker answered an error, 4 no answer from --url (10 reconnects in a row without an event).",
    )
    .action(async (runId: string, options: TailCommandOptions) => {
      try {
        const { tailCommand } = await import("../runs/index.ts");
        io.setExitCode(await tailCommand(runId, options, io, proc));
      } catch (error) {
        io.setExitCode(reportCliError(error, options.json === true, io));
      }
    });
  runs
    .command("cancel")
    .description(
      "cancel a run that goes on without its client (onDisconnect: continue); answers once it ended",
    )
    .argument("<runId>", "the run id")
    .requiredOption("--url <url>", "the Worker's origin, e.g. http://127.0.0.1:8787")
    .option("--token <token>", TOKEN_HELP)
    .option("--json", "print the API's answer as JSON: { runId, status }")
    .addHelpText("after", EXIT_CODES)
    .action(async (runId: string, options: RunsCommandOptions) => {
      try {
        const { cancelCommand } = await import("../runs/index.ts");
        io.setExitCode(await cancelCommand(runId, options, io, proc));
      } catch (error) {
        io.setExitCode(reportCliError(error, options.json === true, io));
      }
    });
  runs
    .command("rerun")
    .description("run a recorded run again: the same flow version and input, a new run id")
    .argument("<runId>", "the run id")
    .requiredOption("--url <url>", "the Worker's origin, e.g. http://127.0.0.1:8787")
    .option("--token <token>", TOKEN_HELP)
    .option("--json", "print the API's answer as JSON: { runId, rerunOf, status, output | error }")
    .addHelpText(
      "after",
      "\nExit codes: 0 the rerun ended ok (or goes on: a continuing route), 2 usage error, 3 the rerun failed or the Worker answered an error (e.g. RUN_VERSION_CHANGED), 4 no answer from --url.",
    )
    .action(async (runId: string, options: RunsCommandOptions) => {
      try {
        const { rerunCommand } = await import("../runs/index.ts");
        io.setExitCode(await rerunCommand(runId, options, io, proc));
      } catch (error) {
        io.setExitCode(reportCliError(error, options.json === true, io));
      }
    });
}
