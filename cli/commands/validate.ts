import type { Command } from "commander";
import { validateFlows } from "../../flows/index.ts";
import { colorsFor } from "../color.ts";
import { readFlowFiles } from "../files.ts";
import { loadProject } from "../project.ts";
import { formatReport, jsonReport } from "../report.ts";
import { type CommandIO, reportStream } from "./io.ts";

interface ValidateOptions {
  json?: boolean;
}

/**
 * `flows validate <files or dirs...> [--json]`: exit 0 when every flow is valid, 1 when any is invalid,
 * 2 on a usage error (thrown as UsageError). The report goes to stderr, the `--json` report to stdout.
 */
export async function runValidate(
  paths: readonly string[],
  options: ValidateOptions,
  io: CommandIO,
): Promise<number> {
  const sources = await readFlowFiles(paths);
  const { catalog, configValidators } = await loadProject();
  const result = validateFlows(sources, catalog, { configValidators });
  if (options.json) io.out(`${jsonReport(result)}\n`);
  else {
    const texts = new Map(sources.map((s) => [s.file, s.text]));
    io.err(`${formatReport(result, texts, colorsFor(reportStream(io)))}\n`);
  }
  return result.ok ? 0 : 1;
}

/** Adds the `validate` command to the program. */
export function registerValidate(program: Command, io: CommandIO): void {
  program
    .command("validate")
    .description(
      "check flow files: syntax, schema and semantic rules (exit 0 valid, 1 invalid, 2 usage error)",
    )
    .argument("<paths...>", "flow files, or directories searched recursively for .yaml/.yml/.json flows")
    .option("--json", "print a JSON report: { ok, diagnostics, flows }")
    .action(async (paths: string[], options: ValidateOptions) => {
      io.setExitCode(await runValidate(paths, options, io));
    });
}
