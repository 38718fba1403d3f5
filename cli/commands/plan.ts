import type { Command } from "commander";
import type { PlanOptions } from "../plan/index.ts";
import type { CommandIO } from "./io.ts";
import { reportCliError } from "./run.ts";

/** Adds `flows plan` to the program. */
export function registerPlan(program: Command, io: CommandIO): void {
  program
    .command("plan")
    .description(
      "what a new version of a set of flows changes and what that means: triggers, nodes, edges, bindings, policies, effects, breaking changes",
    )
    .argument(
      "[sides...]",
      "<before> <after>: each a flow file, a folder of flows or a packaged flows.json; with --base, the paths to compare (default .)",
    )
    .option(
      "--base <revision>",
      "the before side: these paths at a git revision of this repository (e.g. main)",
    )
    .option(
      "--head <revision>",
      "with --base, the after side at a git revision too (default: the working tree)",
    )
    .option("--json", "print the plan as JSON (shape version 1, impl-docs/plan.md)")
    .option("--markdown", "print the plan as Markdown, for a pull-request comment")
    .option("--title <text>", "the Markdown title (default: Flow plan)")
    .option("--fail-on <what>", "breaking (exit 3 only for breaking changes), changes (default), or never")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  flows plan old/ new/                       two folders (or files, or packaged flows.json)",
        "  flows plan --base main flows/              the working tree against main",
        "  flows plan --base origin/main --head HEAD --markdown",
        "",
        "Exit codes: 0 no change, 1 changes, 3 breaking changes (--fail-on breaking: 0 or 3; never: 0),",
        "2 usage error (bad option, missing path, git error, a file that cannot be read as flows).",
      ].join("\n"),
    )
    .action(async (sides: string[], options: PlanOptions) => {
      try {
        const { planCommand } = await import("../plan/index.ts");
        io.setExitCode(await planCommand(sides, options, io));
      } catch (error) {
        io.setExitCode(reportCliError(error, false, io));
      }
    });
}
