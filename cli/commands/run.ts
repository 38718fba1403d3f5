import type { Command } from "commander";
import { CliError } from "../run/errors.ts";
import type { RunCommandOptions, RunProcess } from "../run/run.ts";
import type { CommandIO } from "./io.ts";

/**
 * Prints a CliError (as the error envelope with `--json`) and returns its exit code. Shared by `run`,
 * `graph` and `new`; other errors are rethrown.
 */
export function reportCliError(error: unknown, json: boolean, io: CommandIO): number {
  if (!(error instanceof CliError)) throw error;
  if (json) io.out(`${JSON.stringify(error)}\n`);
  else io.err(`flows: error[${error.code}] ${error.message}\n`);
  return error.exitCode;
}

/** Adds `flows run` to the program (`proc`: stdin, Ctrl-C and environment variables; the real process by default). */
export function registerRun(program: Command, io: CommandIO, proc?: RunProcess): void {
  program
    .command("run")
    .description("run a flow once, locally, printing its run events and its output")
    .argument(
      "<paths...>",
      "the flow file (.yaml, .yml or .json), with the files or folders of the flows its subflow nodes call",
    )
    .option(
      "--flow <id>",
      "the flow to run (required when several of the flows given have triggers, or the --trigger id)",
    )
    .option("--trigger <id>", "the trigger to start from (required when the flow has several)")
    .option(
      "--input <file>",
      "trigger data as JSON (`-` reads stdin): http { body, headers, params, query }, queue { message: { body } }, cron { scheduledTime }, github { event, payload }; a flow without triggers gets it as is, as from a subflow node",
    )
    .option("--json", "print events, logs and the result as JSON lines")
    .option("--timeout <duration>", "deadline of the whole run, e.g. 30s (default: the flow's, else 25s)")
    .option("--expect <file>", "JSON file the output must equal (exit 4 when it differs)")
    .option("--persist <dir>", "keep local KV/R2/queue data in this folder (default: a fresh, empty store)")
    .option(
      "--skip-sleeps",
      "a durable flow's sleeps end at once (and a wait with no event times out at once)",
    )
    .option(
      "--event <type[=file]>",
      "an event for a durable flow's `wait` nodes, with its payload from a JSON file; repeatable, taken in order",
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 invalid flow, 2 usage error, 3 the run failed, 4 output differs from --expect, 130 interrupted (Ctrl-C).",
    )
    .action(async (paths: string[], options: RunCommandOptions) => {
      try {
        const { runCommand } = await import("../run/run.ts");
        io.setExitCode(await runCommand(paths, options, io, proc));
      } catch (error) {
        io.setExitCode(reportCliError(error, options.json === true, io));
      }
    });
}
