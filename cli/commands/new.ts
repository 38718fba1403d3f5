import type { Command } from "commander";
import type { NewOptions } from "../new/index.ts";
import type { CommandIO } from "./io.ts";
import { reportCliError } from "./run.ts";

/** Adds `flows new` to the program. */
export function registerNew(program: Command, io: CommandIO): void {
  program
    .command("new")
    .description("create a project from a template: flows, fixtures, tests that pass, a README")
    .argument("<dir>", "the project folder (created; must be empty unless --force)")
    .option("--template <name>", "http-sse, github-app, queue or cron")
    .option("--force", "write into a non-empty folder (template files replace existing ones)")
    .option("--flows-spec <spec>", "npm spec of the flows dependency (default: file: this checkout)")
    .addHelpText(
      "after",
      "\nExit codes: 0 created, 2 usage error (unknown template, non-empty folder, unwritable folder).",
    )
    .action(async (dir: string, options: NewOptions) => {
      try {
        const { newCommand } = await import("../new/index.ts");
        io.setExitCode(await newCommand(dir, options, io));
      } catch (error) {
        io.setExitCode(reportCliError(error, false, io));
      }
    });
}
