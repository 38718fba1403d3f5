import type { FlowDocument } from "../ir/types.ts";
import { loadFlowSource } from "../load/index.ts";
import type { FlowSource } from "../validate/types.ts";
import type { PlanProblem } from "./types.ts";

/**
 * The flows of one side of a plan, from files: flow files (YAML or JSON, through the loader) and packaged
 * `flows.json` files (a JSON list of documents, what `flows package workers` writes). Files that cannot be read
 * as flows are problems, not flows.
 */

/** A flow of one side: its file and its loaded document. */
export interface FlowInput {
  file: string;
  document: FlowDocument;
}

/** One side of a plan. */
export interface FlowSet {
  flows: FlowInput[];
  /** Files of this side that could not be planned (`side` is set by `flowSet`). */
  problems: PlanProblem[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** True for a packaged `flows.json`: a JSON file whose text is a list. */
const isPackaged = (file: string, text: string): boolean =>
  file.toLowerCase().endsWith(".json") && text.trimStart().startsWith("[");

/** Why a loaded document cannot be planned, or undefined when it can. */
function notAFlow(document: unknown): string | undefined {
  if (!isRecord(document)) return "it is not a mapping";
  if (typeof document.id !== "string" || document.id === "") return "it has no `id`";
  if (!Array.isArray(document.nodes)) return "its `nodes` is not a list";
  return undefined;
}

/**
 * The flows of `sources`, for the `before` or `after` side. A flow id declared by two files is a problem
 * (`PLAN_DUPLICATE_FLOW`); the first file keeps it.
 * @example flowSet([{ file: "hello.yaml", text }], "after").flows[0].document.id // "hello"
 */
export function flowSet(sources: readonly FlowSource[], side: PlanProblem["side"]): FlowSet {
  const flows: FlowInput[] = [];
  const problems: PlanProblem[] = [];
  const problem = (file: string, code: string, message: string) =>
    problems.push({ side, file, code, message });
  const add = (file: string, document: unknown) => {
    const why = notAFlow(document);
    if (why) return problem(file, "PLAN_NOT_A_FLOW", `not a flow: ${why}`);
    const doc = document as unknown as FlowDocument;
    const first = flows.find((f) => f.document.id === doc.id);
    if (first)
      return problem(file, "PLAN_DUPLICATE_FLOW", `flow \`${doc.id}\` is also declared by ${first.file}`);
    flows.push({ file, document: doc });
  };
  for (const { file, text } of sources) {
    if (isPackaged(file, text)) {
      let list: unknown;
      try {
        list = JSON.parse(text);
      } catch (error) {
        problem(file, "FLOW_SYNTAX", `not JSON: ${(error as Error).message}`);
        continue;
      }
      for (const document of list as unknown[]) add(file, document);
      continue;
    }
    const loaded = loadFlowSource(text, file);
    const error = loaded.diagnostics.find((d) => d.severity === "error");
    if (error) problem(file, error.code, `${error.message} (line ${error.line}, column ${error.column})`);
    else add(file, loaded.document);
  }
  return { flows, problems };
}
