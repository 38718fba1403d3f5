import { writeFile } from "node:fs/promises";
import { flowGraph, toMermaid, toSvg } from "../../flows/graph/index.ts";
import { createPlan } from "../../kernel/index.ts";
import { colorsFor } from "../color.ts";
import { type CommandIO, reportStream } from "../commands/io.ts";
import { CliError, EXIT } from "../run/errors.ts";
import { invalidReport, loadFlow, projectKinds } from "../run/load.ts";

export interface GraphOptions {
  format?: string;
  out?: string;
}

export const GRAPH_FORMATS = ["mermaid", "svg"] as const;

/**
 * `flows graph <file>`: validates the flow and prints (or writes to `--out`) its picture as Mermaid text or
 * SVG. Returns the exit code: 0, 1 invalid flow; throws CliError for usage problems (exit 2).
 */
export async function graphCommand(file: string, options: GraphOptions, io: CommandIO): Promise<number> {
  const format = options.format ?? "mermaid";
  if (!(GRAPH_FORMATS as readonly string[]).includes(format)) {
    throw new CliError("CLI_OPTION_INVALID", `--format ${format} is not one of ${GRAPH_FORMATS.join(", ")}`);
  }
  const flow = await loadFlow(file);
  if (!flow.ok) {
    io.err(`${invalidReport(flow, false, colorsFor(reportStream(io)))}\n`);
    return EXIT.invalid;
  }
  const graph = flowGraph(flow.document, createPlan(flow.document, { registry: await projectKinds() }));
  const text = format === "svg" ? toSvg(graph) : toMermaid(graph);
  if (options.out === undefined) {
    io.out(text);
    return EXIT.ok;
  }
  try {
    await writeFile(options.out, text);
  } catch (error) {
    throw new CliError(
      "CLI_OUT_UNWRITABLE",
      `cannot write ${options.out}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { file: options.out },
    );
  }
  io.err(`wrote ${options.out} (${format}, ${graph.vertices.length} boxes, ${graph.edges.length} edges)\n`);
  return EXIT.ok;
}
