import type { Command } from "commander";
import type { GraphOptions } from "../graph/index.ts";
import type { CommandIO } from "./io.ts";
import { reportCliError } from "./run.ts";

/** Adds `flows graph` to the program. */
export function registerGraph(program: Command, io: CommandIO): void {
  program
    .command("graph")
    .description("draw a flow: triggers, nodes (coloured by effect), data and `after` edges")
    .argument("<file>", "the flow file")
    .option("--format <format>", "mermaid (text, default) or svg (self-contained image)")
    .option("--out <file>", "write to this file instead of stdout")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 invalid flow, 2 usage error (missing file, bad format, unwritable --out).",
    )
    .action(async (file: string, options: GraphOptions) => {
      try {
        const { graphCommand } = await import("../graph/index.ts");
        io.setExitCode(await graphCommand(file, options, io));
      } catch (error) {
        io.setExitCode(reportCliError(error, false, io));
      }
    });
}
